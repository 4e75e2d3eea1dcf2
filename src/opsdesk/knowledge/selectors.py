"""Every read of knowledge articles, scoped to the viewer: what they may not see does not exist (404).

Staff of a contract (any contractor role on it) see all its articles, drafts and retired ones included.
Requesters and client contacts see only published articles meant for requesters, of the contracts they
hold a role on or of their own organisation; engineer articles never reach them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from opsdesk.accounts.choices import CLIENT_ROLES, Role
from opsdesk.accounts.models import Contract, User
from opsdesk.accounts.selectors import access_for
from opsdesk.core.db import one_or_none
from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.core.models import Activity
from opsdesk.core.pagination import Page, keyset_page
from opsdesk.core.params import param_list, param_one
from opsdesk.incidents.models import IncidentCategory

from .choices import ArticleStatus, Audience
from .models import ArticleVersion, KnowledgeArticle

NUMBER_RE = re.compile(r"^KB-\d{8}-\d{4,}$", re.IGNORECASE)
TEXT_HITS = 100  # a text filter shows the best hits of the search, in its order (no further pages)


def client_contract_ids(user: User) -> list[int]:
    """Contracts on which `user` holds a client role (requester, contact …)."""
    access = access_for(user)
    return sorted(cid for cid, roles in access.roles_by_contract.items() if roles & CLIENT_ROLES)


def is_article_staff(user: User, article: KnowledgeArticle) -> bool:
    """Whether `user` works the article's contract (sees drafts, the history, the actions)."""
    return article.contract_id in access_for(user).staff_contract_ids


def article_visibility_q(user: User) -> Q:
    """The filter limiting any article query to what `user` may read."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    access = access_for(user)
    client = Q(status=ArticleStatus.PUBLISHED, audience=Audience.REQUESTER)
    where = Q(contract_id__in=client_contract_ids(user))
    if user.organisation_id:
        where |= Q(organisation_id=user.organisation_id)
    q = client & where
    if access.staff_contract_ids:
        q |= Q(contract_id__in=sorted(access.staff_contract_ids))
    return q


def _base() -> QuerySet[KnowledgeArticle]:
    return KnowledgeArticle.objects.select_related(
        "contract", "author", "reviewer", "source_incident").prefetch_related(
        Prefetch("categories", queryset=IncidentCategory.objects.select_related("parent")))


def article_get(*, number: str, visible_to: User) -> KnowledgeArticle:
    """One article the viewer may read; NotFound for anything else (malformed numbers included)."""
    number = (number or "").strip().upper()
    found = one_or_none(_base().filter(article_visibility_q(visible_to), number=number)) \
        if NUMBER_RE.match(number) else None
    if found is None:
        raise NotFound(_("There is no article %(number)s.") % {"number": number[:40]}, code="article_not_found")
    return found


def article_solutions(*, ids: list[int]) -> dict[int, str]:
    """The solutions of the articles `ids` (search hits the caller was allowed to see), in one query."""
    if not ids:
        return {}
    return dict(KnowledgeArticle.objects.filter(pk__in=ids).values_list("pk", "solution"))


def article_versions(*, article: KnowledgeArticle) -> list[ArticleVersion]:
    """Every published text of the article, newest first."""
    return list(ArticleVersion.objects.filter(article=article).select_related("published_by")
                .order_by("-revision"))


def article_timeline(*, article: KnowledgeArticle) -> list[Activity]:
    """The lifecycle actions taken on the article (submitted, rejected with why, published, retired)."""
    return list(Activity.objects.filter(content_type=ContentType.objects.get_for_model(KnowledgeArticle),
                                        object_id=article.pk).select_related("actor").order_by("id"))


@dataclass
class ArticleFilters:
    """The filters of the article list page and list API (the same names in both)."""

    status: list[str] = field(default_factory=list)
    audience: str = ""
    contract: str = ""
    q: str = ""

    @classmethod
    def parse(cls, params: Any) -> ArticleFilters:
        """From a QueryDict or dict; an unknown value is a ValidationError naming the field."""
        errors: dict[str, str] = {}
        status = param_list(params, "status")
        bad = [s for s in status if s not in ArticleStatus.values]
        if bad:
            errors["status"] = _("Unknown status “%(value)s”.") % {"value": bad[0]}
        audience = param_one(params, "audience", drop_nul=True)
        if audience and audience not in Audience.values:
            errors["audience"] = _("Unknown audience “%(value)s”.") % {"value": audience}
        if errors:
            raise ValidationError(fields=errors)
        return cls(status=status, audience=audience, contract=param_one(params, "contract", drop_nul=True),
                   q=param_one(params, "q", drop_nul=True)[:200])


def _filtered(*, visible_to: User, filters: ArticleFilters) -> QuerySet[KnowledgeArticle]:
    qs = _base().filter(article_visibility_q(visible_to))
    if filters.status:
        qs = qs.filter(status__in=filters.status)
    if filters.audience:
        qs = qs.filter(audience=filters.audience)
    if filters.contract:
        qs = qs.filter(contract__code=filters.contract)
    return qs


def _text_hits(*, visible_to: User, filters: ArticleFilters) -> list[int]:
    """Ids of the articles the search finds for `filters.q`, best first (visibility applied in the query)."""
    from opsdesk.search.selectors import SearchFilters, search

    hits = search(visible_to=visible_to, filters=SearchFilters(
        q=filters.q, types=["article"], contract=filters.contract, status=filters.status, limit=TEXT_HITS))
    return [h.object_id for h in hits]


def article_list(*, visible_to: User, filters: ArticleFilters, limit: int, cursor: str | None = None) -> Page:
    """A page of articles, newest first; with text, the search's best hits in its order (one page)."""
    qs = _filtered(visible_to=visible_to, filters=filters)
    if not filters.q:
        return keyset_page(qs, order=("-id",), limit=limit, cursor=cursor)
    ids = _text_hits(visible_to=visible_to, filters=filters)
    rows = {a.pk: a for a in qs.filter(pk__in=ids)}
    items = [rows[i] for i in ids if i in rows][:limit]
    return Page(items=items, next_cursor=None, prev_cursor=None, count=len(items), count_capped=False)


def self_help_list(*, visible_to: User, q: str, limit: int, cursor: str | None = None) -> Page:
    """Published requester articles the viewer may read (self-help): newest first, or the best search hits."""
    filters = ArticleFilters(status=[ArticleStatus.PUBLISHED], audience=Audience.REQUESTER, q=q)
    return article_list(visible_to=visible_to, filters=filters, limit=limit, cursor=cursor)


def review_queue(*, reviewer: User) -> list[KnowledgeArticle]:
    """Articles waiting for review on the contracts where `reviewer` is the project manager, oldest first."""
    access = access_for(reviewer)
    ids = sorted(cid for cid, roles in access.roles_by_contract.items() if Role.PROJECT_MANAGER in roles)
    return list(_base().filter(contract_id__in=ids, status=ArticleStatus.IN_REVIEW).order_by("updated_at", "id"))


def author_contracts(*, user: User) -> QuerySet[Contract]:
    """Contracts on which `user` may write articles (pickers)."""
    from .workflow import AUTHORS

    access = access_for(user)
    ids = [cid for cid, roles in access.roles_by_contract.items() if roles & AUTHORS]
    return Contract.objects.filter(pk__in=ids, is_active=True).order_by("code")


def active_categories() -> QuerySet[IncidentCategory]:
    return IncidentCategory.objects.filter(is_active=True).select_related("parent").order_by("parent__name", "name")

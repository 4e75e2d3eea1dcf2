"""The search adapter of knowledge articles (kind "article"), registered in KnowledgeConfig.ready."""

from __future__ import annotations

import math
from typing import Any

from django.db import models
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import Access
from opsdesk.core.sql import q
from opsdesk.search.registry import Document

from .choices import ArticleStatus, Audience

# The index's `audience` column: requester articles are for everyone signed in (of the organisation),
# engineer articles for service staff only.
INDEX_AUDIENCE = {Audience.REQUESTER: "everyone", Audience.ENGINEER: "staff"}
BOOST_MAX = 3


def boost(solved_count: int) -> int:
    """The search boost of an article: 0 below 1 solved, 1 from 1, 2 from 3, 3 from 7 ("this solved it").

    Among articles matching the words equally well, the ones that solved more problems rank higher (each
    step is 10 % of the match score: search/ranking.py)."""
    return min(BOOST_MAX, int(math.log2(1 + max(0, solved_count))))


class ArticleAdapter:
    """Articles: title; keywords, affected systems, categories as keywords; symptom, cause and solution as
    body. Who finds what: staff of the contract find published articles and their own drafts and articles
    in review; requesters and client contacts find only published requester articles of their contracts
    (or their organisation). Retired articles are found by nobody."""

    kind = "article"
    label = _("Knowledge article")

    @property
    def model(self) -> type[models.Model]:
        from .models import KnowledgeArticle

        return KnowledgeArticle

    def queryset(self) -> models.QuerySet[Any]:
        from opsdesk.incidents.models import IncidentCategory

        return self.model._default_manager.prefetch_related(
            Prefetch("categories", queryset=IncidentCategory.objects.order_by("pk"))).order_by("pk")

    def document(self, obj: Any) -> Document:
        categories = " ".join(c.name for c in obj.categories.all())
        keywords = " ".join(x for x in (obj.keywords, obj.affected_systems, categories, obj.number) if x)
        body = "\n".join(x for x in (obj.symptom, obj.cause, obj.solution) if x)
        return Document(object_id=obj.pk, number=obj.number, title=obj.title, keywords=keywords, body=body,
                        status=obj.status, contract_id=obj.contract_id, organisation_id=obj.organisation_id,
                        owner_id=obj.author_id, audience=INDEX_AUDIENCE.get(obj.audience, "staff"),
                        boost=boost(obj.solved_count))

    def visibility_sql(self, *, user: User, access: Access, alias: str) -> tuple[str, list[Any]]:
        from opsdesk.accounts.choices import CLIENT_ROLES

        published = f"{alias}.{q('status')} = %s"
        parts: list[str] = []
        params: list[Any] = []
        if access.staff_contract_ids:
            ids = sorted(access.staff_contract_ids)
            parts.append(f"({alias}.{q('contract_id')} IN ({', '.join(['%s'] * len(ids))}) AND "
                         f"({published} OR ({alias}.{q('owner_id')} = %s AND {alias}.{q('status')} IN (%s, %s))))")
            params += [*ids, ArticleStatus.PUBLISHED, user.pk, ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW]
        client_ids = sorted(cid for cid, roles in access.roles_by_contract.items() if roles & CLIENT_ROLES)
        where: list[str] = []
        where_params: list[Any] = []
        if client_ids:
            where.append(f"{alias}.{q('contract_id')} IN ({', '.join(['%s'] * len(client_ids))})")
            where_params += client_ids
        if getattr(user, "organisation_id", None):
            where.append(f"{alias}.{q('organisation_id')} = %s")
            where_params.append(user.organisation_id)
        if where:
            parts.append(f"({published} AND {alias}.{q('audience')} = %s AND ({' OR '.join(where)}))")
            params += [ArticleStatus.PUBLISHED, INDEX_AUDIENCE[Audience.REQUESTER], *where_params]
        if not parts:
            return "1=0", []
        return "(" + " OR ".join(parts) + ")", params

    def visibility_scope(self, *, user: User, access: Access) -> list[str] | None:
        """Clients: their organisation, and the client contracts of other organisations (rare); staff see
        whole contracts (no narrowing)."""
        from opsdesk.accounts.choices import CLIENT_ROLES

        if access.staff_contract_ids:
            return None
        org = getattr(user, "organisation_id", None)
        others = sorted(cid for cid, roles in access.roles_by_contract.items()
                        if roles & CLIENT_ROLES and access.org_by_contract.get(cid) != org)
        return [*([f"org{org}"] if org else []), *(f"contract{c}" for c in others)]

"""Every write to knowledge articles: create, edit (a new version when published), review actions,
"this solved it", and the candidate article made from a resolved incident."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.accounts.models import Contract, User
from opsdesk.accounts.selectors import access_for
from opsdesk.core.audit import audit_record, snapshot
from opsdesk.core.errors import Conflict, PermissionDenied, ValidationError
from opsdesk.core.numbering import next_number
from opsdesk.core.workflow import perform
from opsdesk.incidents.choices import IncidentStatus
from opsdesk.incidents.models import Incident, IncidentCategory

from .choices import ArticleStatus, Audience
from .models import KEYWORDS_MAX, SYSTEMS_MAX, TITLE_MAX, ArticleSolved, KnowledgeArticle
from .workflow import ARTICLE_WORKFLOW, AUTHORS, record_version

TEXT_MAX = 20000
TEXT_FIELDS = ("title", "symptom", "cause", "solution", "keywords", "affected_systems", "audience")
AUDIT_FIELDS = ("number", "title", "status", "audience", "contract", "keywords", "affected_systems", "revision",
                "source_incident")
EDITABLE = (ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW, ArticleStatus.PUBLISHED)
# Incidents whose fix is known: the ones a candidate article can be made from.
CANDIDATE_SOURCES = (IncidentStatus.RESOLVED, IncidentStatus.CLOSED)


def _text(errors: dict[str, str], name: str, value: Any, *, required: bool = False,
          max_length: int = TEXT_MAX) -> str:
    text = "" if value is None else str(value).strip()
    if "\x00" in text:
        errors[name] = _("Null characters are not allowed.")
    elif required and not text:
        errors[name] = _("This field is required.")
    elif len(text) > max_length:
        errors[name] = _("At most %(n)d characters (you gave %(m)d).") % {"n": max_length, "m": len(text)}
    return text


def _clean(errors: dict[str, str], data: dict[str, Any]) -> dict[str, Any]:
    """The text fields of an article, trimmed and checked; problems go to `errors` by field."""
    out = {
        "title": _text(errors, "title", data.get("title"), required=True, max_length=TITLE_MAX),
        "symptom": _text(errors, "symptom", data.get("symptom")),
        "cause": _text(errors, "cause", data.get("cause")),
        "solution": _text(errors, "solution", data.get("solution")),
        "keywords": _text(errors, "keywords", data.get("keywords"), max_length=KEYWORDS_MAX),
        "affected_systems": _text(errors, "affected_systems", data.get("affected_systems"), max_length=SYSTEMS_MAX),
    }
    audience = str(data.get("audience") or Audience.ENGINEER)
    if audience not in Audience.values:
        errors["audience"] = _("Unknown audience “%(value)s”.") % {"value": audience}
    out["audience"] = audience
    return out


def _categories(errors: dict[str, str], ids: Iterable[Any] | None) -> list[IncidentCategory] | None:
    """The related categories by id (None: leave them as they are); unknown or retired ids are an error."""
    if ids is None:
        return None
    try:
        wanted = sorted({int(i) for i in ids})
    except (TypeError, ValueError):
        errors["categories"] = _("Unknown category.")
        return []
    found = list(IncidentCategory.objects.filter(pk__in=wanted, is_active=True)) if wanted else []
    if len(found) != len(wanted):
        errors["categories"] = _("Unknown category.")
    return found


def _require_author(by: User, contract_id: int) -> None:
    if not access_for(by).roles_on(contract_id) & AUTHORS:
        raise PermissionDenied(_("Only the service staff of the contract may write knowledge articles."))


def article_create(*, by: User, contract: Contract | None, categories: Iterable[Any] | None = None,
                   source_incident: Incident | None = None, **fields: Any) -> KnowledgeArticle:
    """Write a draft article on a contract where `by` is service staff (agent, engineer, second line, PM).

    Every problem with the input is reported at once, per field; nothing is written unless all is valid."""
    errors: dict[str, str] = {}
    data = _clean(errors, fields)
    cats = _categories(errors, categories) or []
    if contract is None:
        errors["contract"] = _("Unknown contract.")
    elif not contract.is_active:
        errors["contract"] = _("This contract is not active.")
    elif not access_for(by).roles_on(contract.pk):
        errors["contract"] = _("Unknown contract.")  # not yours: indistinguishable from absent
    elif not access_for(by).roles_on(contract.pk) & AUTHORS:
        errors["contract"] = _("Only the service staff of the contract may write knowledge articles.")
    if errors:
        raise ValidationError(fields=errors)
    assert contract is not None
    with transaction.atomic():
        article = KnowledgeArticle.objects.create(number=next_number("KB"), contract=contract,
                                         organisation_id=contract.organisation_id, author=by,
                                         source_incident=source_incident, **data)
        if cats:
            article.categories.set(cats)
        audit_record(actor=by, action="article.create", instance=article,
                     after={**snapshot(article, AUDIT_FIELDS), "categories": [c.pk for c in cats]})
    return article


def article_update(*, article: KnowledgeArticle, by: User, version: int | None = None,
                   categories: Iterable[Any] | None = None, **fields: Any) -> KnowledgeArticle:
    """Edit an article (draft, in review or published) as service staff of its contract.

    Editing a published article publishes the new text at once as its next revision (ArticleVersion): a
    fix to a known solution must reach the people using it now, and every earlier text stays readable in
    the history. A stale `version` (someone else saved meanwhile) is a Conflict; nothing is written."""
    _require_author(by, article.contract_id)
    if article.status not in EDITABLE:
        raise Conflict(_("A retired article can no longer be edited."), code="invalid_state")
    if version is not None and int(version) != article.version:
        raise Conflict(_("This record was changed by someone else (your version %(mine)s, now %(now)s). "
                         "Reload it and try again.") % {"mine": version, "now": article.version},
                       code="stale_version")
    errors: dict[str, str] = {}
    current = {name: getattr(article, name) for name in TEXT_FIELDS}
    data = _clean(errors, {**current, **{k: v for k, v in fields.items() if k in TEXT_FIELDS and v is not None}})
    cats = _categories(errors, categories)
    if errors:
        raise ValidationError(fields=errors)
    before = snapshot(article, AUDIT_FIELDS)
    with transaction.atomic():
        moved = KnowledgeArticle.objects.filter(pk=article.pk, version=article.version, status=article.status).update(
            version=F("version") + 1, updated_at=timezone.now(), **data)
        if moved != 1:
            raise Conflict(_("This record was changed by someone else in the meantime. Reload it and try again."),
                           code="stale_version")
        article.refresh_from_db()
        if cats is not None:
            article.categories.set(cats)
        if article.status == ArticleStatus.PUBLISHED:
            record_version(article, by)
            KnowledgeArticle.objects.filter(pk=article.pk).update(revision=article.revision)
        after = snapshot(article, AUDIT_FIELDS)
        if cats is not None:
            after["categories"] = [c.pk for c in cats]
        audit_record(actor=by, action="article.update", instance=article, before=before, after=after)
    return article


def article_act(*, article: KnowledgeArticle, action: str, by: User, data: dict[str, Any] | None = None,
                version: int | None = None) -> KnowledgeArticle:
    """Take a lifecycle action (submit, accept, reject, retire) on an article; see workflow.py."""
    result: KnowledgeArticle = perform(ARTICLE_WORKFLOW, record=article, action=action, by=by, data=data,
                                       version=version)
    return result


def article_mark_solved(*, article: KnowledgeArticle, by: User, incident: Incident | None = None) -> bool:
    """Record that the published article solved a problem for `by` (staff on an incident, or a requester
    in self-help). Counted once per person per article: True when counted now, False when already done."""
    if article.status != ArticleStatus.PUBLISHED:
        raise Conflict(_("Only a published article can be marked as having solved a problem."),
                       code="invalid_state")
    try:
        with transaction.atomic():
            ArticleSolved.objects.create(article=article, user=by, incident=incident)
            # solved_count feeds the ranking (adapters.boost): the update re-queues the article for indexing.
            KnowledgeArticle.objects.filter(pk=article.pk).update(solved_count=F("solved_count") + 1)
            audit_record(actor=by, action="article.solved", instance=article,
                         after={"incident": incident.number if incident is not None else None})
    except IntegrityError:
        return False
    article.solved_count += 1
    return True


def article_from_incident(*, incident: Incident, by: User) -> tuple[KnowledgeArticle, bool]:
    """Make a candidate article (a draft) from a resolved or closed incident, pre-filled from its title,
    symptom (or description), error message and solution, linked to it; flag the incident as a knowledge
    candidate. One candidate per incident: when one exists already it is returned (created False)."""
    _require_author(by, incident.contract_id)
    if incident.status not in CANDIDATE_SOURCES:
        raise Conflict(_("Only a resolved or closed incident can become candidate knowledge."),
                       code="invalid_state")
    existing = KnowledgeArticle.objects.filter(source_incident=incident).order_by("id").first()
    if existing is not None:
        return existing, False
    symptom = incident.symptom or incident.description
    if incident.error_message:
        symptom = "\n\n".join(x for x in (symptom, _("Error message: %(text)s") % {"text": incident.error_message})
                              if x)
    keywords = " ".join(incident.error_message.split())[:KEYWORDS_MAX] if incident.error_message else ""
    with transaction.atomic():
        article = article_create(
            by=by, contract=incident.contract, title=incident.title, symptom=symptom, solution=incident.solution,
            keywords=keywords, affected_systems=incident.affected_system[:SYSTEMS_MAX],
            categories=[incident.category_id] if incident.category_id else [], source_incident=incident)
        Incident.objects.filter(pk=incident.pk).update(knowledge_candidate=True)
        incident.knowledge_candidate = True
        audit_record(actor=by, action="incident.knowledge_candidate", instance=incident,
                     after={"knowledge_candidate": True, "article": article.number})
    return article, True

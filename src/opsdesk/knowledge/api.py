"""REST API of the knowledge base (mounted at /api/v1/knowledge): list, create, detail, edit, lifecycle
actions and "this solved it".

Handlers stay thin: reads through selectors.py (scoped to the caller: what one may not see is a 404), writes
through services.py, `allowed_actions` from the workflow declaration, as in the incident API.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from opsdesk.accounts.models import Contract, User
from opsdesk.accounts.selectors import contract_get
from opsdesk.core.api import ERROR_RESPONSES, CursorPageOut, OutSchema, Text, api_user, fields_with_nul, idempotent
from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.core.workflow import describe_actions
from opsdesk.incidents.api import ActionIn, ActionOut
from opsdesk.incidents.selectors import incident_get

from . import services
from .choices import Audience
from .models import KEYWORDS_MAX, SYSTEMS_MAX, TITLE_MAX, ArticleVersion, KnowledgeArticle
from .selectors import ArticleFilters, article_get, article_list, article_versions, is_article_staff
from .workflow import ARTICLE_WORKFLOW

router = Router(tags=["knowledge"])


CategoryId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class CategoryRefOut(OutSchema):
    id: int
    name: str


class ArticleItemOut(OutSchema):
    """An article as a list row."""

    number: str = Field(examples=["KB-20261122-0001"])
    title: str
    status: str = Field(description="draft | in_review | published | retired")
    status_label: str
    audience: str = Field(description="requester (self-help) | engineer")
    contract: str = Field(description="Contract code.")
    keywords: str
    affected_systems: str
    categories: list[CategoryRefOut]
    author: str = Field(description="Username.")
    revision: int = Field(description="How many texts were published (0 before the first publication).")
    solved_count: int = Field(description="People who said the article solved their problem (once each).")
    version: int = Field(description="Send it back with an edit or an action; a stale one gets 409.")
    created_at: dt.datetime
    updated_at: dt.datetime
    published_at: dt.datetime | None
    allowed_actions: list[ActionOut] = Field(description="The actions the caller may take now, with their fields.")


class ArticleVersionOut(OutSchema):
    revision: int
    title: str
    symptom: str
    cause: str
    solution: str
    keywords: str
    affected_systems: str
    audience: str
    published_by: str | None
    published_at: dt.datetime


class ArticleOut(ArticleItemOut):
    """An article with its text; staff of the contract also get the published history."""

    symptom: str
    cause: str
    solution: str
    reviewer: str | None
    reject_reason: str
    retire_reason: str
    source_incident: str | None = Field(description="Number of the incident it was made from (staff only).")
    retired_at: dt.datetime | None
    versions: list[ArticleVersionOut] = Field(description="Every published text, newest first (staff only).")


class ArticlePageOut(CursorPageOut):
    items: list[ArticleItemOut]


class ArticleIn(Schema):
    contract: Text = Field(description="Contract code.")
    title: Text = Field(max_length=TITLE_MAX)
    symptom: Text = ""
    cause: Text = ""
    solution: Text = ""
    keywords: Text = Field("", max_length=KEYWORDS_MAX)
    affected_systems: Text = Field("", max_length=SYSTEMS_MAX)
    audience: Text = Field(Audience.ENGINEER.value, description="requester (self-help) | engineer")
    categories: list[CategoryId] = Field([], description="Ids of related incident categories.")


class ArticleUpdateIn(Schema):
    """Only the fields sent change. Editing a published article publishes the new text as its next revision."""

    version: int | None = Field(None, ge=0, le=2**31 - 1, description="The version you saw; a stale one gets 409.")
    title: Text | None = Field(None, max_length=TITLE_MAX)
    symptom: Text | None = None
    cause: Text | None = None
    solution: Text | None = None
    keywords: Text | None = Field(None, max_length=KEYWORDS_MAX)
    affected_systems: Text | None = Field(None, max_length=SYSTEMS_MAX)
    audience: Text | None = None
    categories: list[CategoryId] | None = Field(None, description="Ids of related incident categories; "
                                                                   "absent: unchanged.")


class SolvedIn(Schema):
    incident: Text | None = Field(None, description="Number of the incident it solved (staff), if any.")


class SolvedOut(OutSchema):
    counted: bool = Field(description="False when you had already said so (counted once per person).")
    solved_count: int


class ArticleListParams(Schema):
    status: list[Text] = Field([], description="Repeatable or comma-separated.")
    audience: Text = Field("", description="requester | engineer")
    contract: Text = Field("", description="Contract code.")
    q: Text = Field("", description="Search text (Chinese segmentation, synonyms, pinyin); gives the best hits "
                                    "in rank order on one page.")
    limit: int = Field(25, ge=1, le=200)
    cursor: Text | None = None


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value) if value is not None else None


def _item(article: KnowledgeArticle, actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "number": article.number, "title": article.title, "status": article.status,
        "status_label": ARTICLE_WORKFLOW.status_label(article.status), "audience": article.audience,
        "contract": article.contract.code, "keywords": article.keywords,
        "affected_systems": article.affected_systems,
        "categories": [{"id": c.pk, "name": str(c)} for c in article.categories.all()],
        "author": article.author.username, "revision": article.revision, "solved_count": article.solved_count,
        "version": article.version, "created_at": _local(article.created_at),
        "updated_at": _local(article.updated_at), "published_at": _local(article.published_at),
        "allowed_actions": actions,
    }


def _version(v: ArticleVersion) -> dict[str, Any]:
    return {"revision": v.revision, "title": v.title, "symptom": v.symptom, "cause": v.cause,
            "solution": v.solution, "keywords": v.keywords, "affected_systems": v.affected_systems,
            "audience": v.audience, "published_by": v.published_by.username if v.published_by else None,
            "published_at": _local(v.created_at)}


def _full(article: KnowledgeArticle, user: User) -> dict[str, Any]:
    out = _item(article, describe_actions(ARTICLE_WORKFLOW, article, user))
    staff = is_article_staff(user, article)
    out.update(symptom=article.symptom, cause=article.cause, solution=article.solution,
               reviewer=article.reviewer.username if article.reviewer else None,
               reject_reason=article.reject_reason if staff else "",
               retire_reason=article.retire_reason if staff else "",
               source_incident=article.source_incident.number if staff and article.source_incident else None,
               retired_at=_local(article.retired_at),
               versions=[_version(v) for v in article_versions(article=article)] if staff else [])
    return out


def _contract_or_none(code: str, user: User) -> Contract | None:
    try:
        return contract_get(code=code.strip(), visible_to=user)
    except NotFound:
        return None


@router.get("", response={200: ArticlePageOut, **ERROR_RESPONSES}, summary="List knowledge articles")
def article_list_api(request: HttpRequest, params: Query[ArticleListParams]) -> dict[str, Any]:
    user = api_user(request)
    filters = ArticleFilters.parse(params.model_dump(exclude={"limit", "cursor"}))
    page = article_list(visible_to=user, filters=filters, limit=params.limit, cursor=params.cursor)
    return {"items": [_item(a, describe_actions(ARTICLE_WORKFLOW, a, user, with_choices=False)) for a in page.items],
            "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor, "count": page.count,
            "count_capped": page.count_capped}


@router.post("", response={201: ArticleOut, **ERROR_RESPONSES}, summary="Write a draft article",
             description="Service staff of the contract only. Honours `Idempotency-Key`.")
def article_create_api(request: HttpRequest, payload: ArticleIn) -> Status[dict[str, Any]]:
    user = api_user(request)

    def create() -> tuple[int, dict[str, Any]]:
        article = services.article_create(
            by=user, contract=_contract_or_none(payload.contract, user), categories=payload.categories,
            title=payload.title, symptom=payload.symptom, cause=payload.cause, solution=payload.solution,
            keywords=payload.keywords, affected_systems=payload.affected_systems, audience=payload.audience)
        return 201, _full(article_get(number=article.number, visible_to=user), user)

    return Status(*idempotent(request, scope="knowledge.create", payload=payload, create=create, schema=ArticleOut))


@router.post("/from-incident/{incident_number}", response={201: ArticleOut, 200: ArticleOut, **ERROR_RESPONSES},
             summary="Make candidate knowledge from an incident",
             description="Service staff of the incident's contract, on a resolved or closed incident (409 "
                         "otherwise): a draft pre-filled from its title, symptom (or description), error message "
                         "and solution, linked to it; the incident is flagged as a knowledge candidate. One "
                         "candidate per incident: when it exists already it is returned with 200.")
def article_from_incident_api(request: HttpRequest, incident_number: Text) -> Status[dict[str, Any]]:
    user = api_user(request)
    incident = incident_get(number=incident_number, visible_to=user)
    article, created = services.article_from_incident(incident=incident, by=user)
    return Status(201 if created else 200, _full(article_get(number=article.number, visible_to=user), user))


class SuggestParams(Schema):
    text: str = Field("", max_length=4000, description="The draft: title and description of a new incident, or "
                                                       "what a requester is about to report.")
    contract: str = Field("", max_length=40, description="Contract code: only its articles and incidents.")
    limit: int = Field(5, ge=1, le=20, description="At most this many articles, and this many incidents.")


class SuggestHitOut(OutSchema):
    type: str = Field(examples=["article"])
    id: int
    number: str
    title: str
    snippet: str = Field(description="HTML: the text around the match, escaped, with <mark> around matched words.")
    score: float = Field(description="Higher is better; only comparable within one list.")
    status: str


class SuggestOut(OutSchema):
    articles: list[SuggestHitOut] = Field(description="Published articles you may read, most similar first.")
    incidents: list[SuggestHitOut] = Field(description="Resolved or closed incidents you may see, most similar "
                                                       "first (for requesters: their own and, for client "
                                                       "contacts, their organisation's).")


def _suggest_hit(hit: Any) -> dict[str, Any]:
    return {"type": hit.type, "id": hit.object_id, "number": hit.number, "title": hit.title,
            "snippet": hit.snippet, "score": hit.score, "status": hit.status}


@router.get("/suggest", response={200: SuggestOut, **ERROR_RESPONSES}, summary="Articles and incidents like a draft",
            description="What the new-incident form shows while an agent types: any word of the draft may "
                        "match (synonyms and pinyin typos included); records holding more, and rarer, of its "
                        "words come first. Visibility applies inside the search.")
def suggest_api(request: HttpRequest, params: Query[SuggestParams]) -> dict[str, Any]:
    from opsdesk.search.selectors import similar

    user = api_user(request)
    draft = params.text.replace("\x00", " ").strip()
    contract = params.contract.replace("\x00", "").strip()
    if not draft:
        return {"articles": [], "incidents": []}
    articles = similar(visible_to=user, draft=draft, kinds_statuses={"article": ["published"]},
                       contract=contract, limit=params.limit)
    incidents = similar(visible_to=user, draft=draft, kinds_statuses={"incident": ["resolved", "closed"]},
                        contract=contract, limit=params.limit)
    return {"articles": [_suggest_hit(h) for h in articles], "incidents": [_suggest_hit(h) for h in incidents]}


@router.get("/{number}", response={200: ArticleOut, **ERROR_RESPONSES}, summary="An article")
def article_detail_api(request: HttpRequest, number: Text) -> dict[str, Any]:
    user = api_user(request)
    return _full(article_get(number=number, visible_to=user), user)


@router.patch("/{number}", response={200: ArticleOut, **ERROR_RESPONSES}, summary="Edit an article",
              description="Service staff of the contract; a retired article or a stale `version`: 409. Editing "
                          "a published article publishes the new text as its next revision.")
def article_update_api(request: HttpRequest, number: Text, payload: ArticleUpdateIn) -> dict[str, Any]:
    user = api_user(request)
    article = article_get(number=number, visible_to=user)
    fields = payload.model_dump(exclude={"version", "categories"})
    services.article_update(article=article, by=user, version=payload.version, categories=payload.categories,
                            **fields)
    return _full(article_get(number=number, visible_to=user), user)


@router.post("/{number}/actions/{action}", response={200: ArticleOut, **ERROR_RESPONSES},
             summary="Take a lifecycle action",
             description="submit, accept, reject (with `reason`), retire. Stale `version` or a status that does "
                         "not allow the action: 409; a role that does not: 403; an unknown action: 404; a "
                         "missing or invalid field: 422 naming it.")
def article_action_api(request: HttpRequest, number: Text, action: Text, payload: ActionIn) -> dict[str, Any]:
    user = api_user(request)
    article = article_get(number=number, visible_to=user)
    data = dict(payload.model_extra or {})
    if bad := fields_with_nul(data):
        raise ValidationError(fields=bad)
    data["comment"] = payload.comment
    services.article_act(article=article, action=action, by=user, data=data, version=payload.version)
    return _full(article_get(number=number, visible_to=user), user)


@router.post("/{number}/solved", response={200: SolvedOut, **ERROR_RESPONSES}, summary="This solved it",
             description="Counted once per person per article; only published articles (409 otherwise).")
def article_solved_api(request: HttpRequest, number: Text, payload: SolvedIn) -> dict[str, Any]:
    user = api_user(request)
    article = article_get(number=number, visible_to=user)
    incident = incident_get(number=payload.incident.strip(), visible_to=user) if payload.incident else None
    counted = services.article_mark_solved(article=article, by=user, incident=incident)
    return {"counted": counted, "solved_count": article.solved_count if counted else
            article_get(number=number, visible_to=user).solved_count}

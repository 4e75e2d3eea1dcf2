"""REST API for incidents: create, list, detail, workflow actions and comments (mounted at /api/v1/incidents).

Handlers stay thin: every read goes through selectors.py (scoped to the caller, so what one may not see is
a 404), every write through services.py, and `allowed_actions` comes from the workflow declaration, so the
API, the pages and the engine never disagree about what a caller may do.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict

from opsdesk.accounts.models import Contract, User
from opsdesk.accounts.selectors import contract_get, requester_get
from opsdesk.core.api import (
    ERROR_RESPONSES,
    CursorPageOut,
    OutSchema,
    Text,
    activity_out,
    api_user,
    fields_with_nul,
    idempotent,
)
from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.core.workflow import describe_actions
from opsdesk.sla.api import SlaSummaryOut, TicketSlaOut, sla_detail, sla_summary

from . import services
from .choices import Channel
from .models import TITLE_MAX, Incident, IncidentCategory, SatisfactionRating, WorkOrder
from .selectors import (
    IncidentFilters,
    category_get,
    incident_get,
    incident_links,
    incident_page_for_api,
    incident_rating,
    incident_timeline,
    incident_work_orders,
)
from .workflow import INCIDENT_WORKFLOW

router = Router(tags=["incidents"])

ChannelName = Literal[tuple(Channel.values)]  # type: ignore[valid-type]


# --- schemas -------------------------------------------------------------------------------------------

class ChoiceOut(OutSchema):
    value: str
    label: str


class ActionFieldOut(OutSchema):
    name: str
    label: str
    type: str = Field(description="text | textarea | choice | user | datetime | bool")
    required: bool
    max_length: int | None = None
    choices: list[ChoiceOut] | None = Field(
        None, description="The allowed values of a `choice` or `user` field (usernames). Null in list rows: "
                          "GET the incident for them.")


class ActionOut(OutSchema):
    name: str
    label: str
    description: str = ""
    style: str = "secondary"
    target: str = Field(description="The status the incident will have after the action.")
    fields: list[ActionFieldOut]


class CategoryOut(OutSchema):
    id: int
    name: str


class IncidentItemOut(OutSchema):
    """An incident as a list row."""

    number: str = Field(examples=["INC-20261122-0001"])
    title: str
    status: str
    status_label: str
    level: int
    channel: str
    category: CategoryOut | None
    affected_system: str
    contract: str = Field(description="Contract code.")
    organisation: str = Field(description="Client organisation code.")
    requester: str = Field(description="Username.")
    owner: str | None = Field(description="Username of who accepted it (one-stop owner); null before.")
    assignee: str | None = Field(description="Username of who works it now; null when none.")
    version: int = Field(description="Send it back with an action; a stale one gets 409.")
    created_at: dt.datetime
    updated_at: dt.datetime
    accepted_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    reported_at: dt.datetime = Field(description="When the call came in; the SLA clocks start there.")
    sla: SlaSummaryOut = Field(description="SLA at a glance: earliest due time, badge, breach flag.")
    allowed_actions: list[ActionOut] = Field(description="The actions the caller may take now, with their fields.")


class IncidentOut(IncidentItemOut):
    """An incident with all its fields."""

    description: str
    symptom: str
    operation_steps: str
    error_message: str
    contact_phone: str
    created_by: str
    solution: str
    reject_reason: str
    hold_reason: str
    hold_note: str
    escalation_reason: str
    reopen_count: int
    knowledge_candidate: bool
    sla: TicketSlaOut = Field(description="SLA with each clock: target, due, elapsed, paused and remaining "
                                          "business seconds, breach, grade.")


class AttachmentOut(Schema):
    id: int
    name: str
    size: int


class ActivityOut(Schema):
    id: int
    kind: str = Field(description="created | action | comment | note | attachment | system")
    action: str
    from_status: str
    to_status: str
    actor: str | None
    body: str
    data: dict[str, Any]
    internal: bool
    created_at: dt.datetime
    attachment: AttachmentOut | None = None


class WorkOrderOut(Schema):
    number: str
    status: str
    engineer: str
    dispatched_by: str
    site: str
    instructions: str
    created_at: dt.datetime
    arrived_at: dt.datetime | None
    completed_at: dt.datetime | None


class RatingOut(Schema):
    score: int = Field(description="1 (very dissatisfied) to 5 (very satisfied).")
    comment: str
    rated_by: str = Field(description="Username.")
    rated_at: dt.datetime


class RatingIn(Schema):
    score: int = Field(description="1 (very dissatisfied) to 5 (very satisfied).")
    comment: Text = Field("", max_length=services.RATING_COMMENT_MAX)


class IncidentDetailOut(IncidentOut):
    """An incident with its timeline (internal entries only for service staff), its work orders and its
    satisfaction rating (null until the requester rates it)."""

    timeline: list[ActivityOut]
    work_orders: list[WorkOrderOut]
    rating: RatingOut | None = None


class IncidentPageOut(CursorPageOut):
    items: list[IncidentItemOut]


class IncidentCreateIn(Schema):
    title: Text = Field(max_length=TITLE_MAX)
    description: Text = ""
    symptom: Text = ""
    operation_steps: Text = ""
    error_message: Text = ""
    channel: ChannelName = Channel.API.value  # type: ignore[valid-type]
    level: Annotated[int, Field(ge=1, le=4, strict=True)] = Field(
        4, description="1 system down, 2 severely degraded, 3 partly impaired, 4 consultation.")
    category: int | None = Field(None, ge=1, le=2**63 - 1, description="Category id.")
    affected_system: Text = ""
    contact_phone: Text = ""
    contract: Text = Field(description="Contract code.")
    requester: Text | None = Field(None, description="Username; the caller when absent.")
    reported_at: dt.datetime | None = Field(
        None, description="When the call actually came in (ISO 8601; without an offset: Asia/Shanghai). Never "
                          "in the future (422), at most 30 days back; now when absent. The SLA clocks start there.")


class IncidentBatchIn(Schema):
    incidents: list[IncidentCreateIn] = Field(
        description=f"1 to {services.BATCH_MAX} incidents, each as `POST /api/v1/incidents` takes it.")


class IncidentCreatedOut(OutSchema):
    """An incident just logged in a batch: enough to follow it up (GET it by number for the rest)."""

    number: str = Field(examples=["INC-20261122-0001"])
    title: str
    status: str
    level: int = Field(description="After a recurring fault raised it, the raised level.")
    channel: str
    contract: str = Field(description="Contract code.")
    requester: str = Field(description="Username.")
    created_at: dt.datetime
    reported_at: dt.datetime
    sla: SlaSummaryOut


class IncidentBatchOut(OutSchema):
    count: int
    incidents: list[IncidentCreatedOut] = Field(description="In the order sent.")


class ActionIn(BaseModel):
    """`version` and `comment`, plus the action's own fields as listed in `allowed_actions`."""

    # A plain pydantic model: ninja's Schema drops undeclared keys, and the action fields are those.

    model_config = ConfigDict(extra="allow")

    version: int | None = Field(None, ge=0, le=2**31 - 1, description="The version you saw; a stale one gets 409.")
    comment: Text = ""


class CommentIn(Schema):
    body: Text = Field(min_length=1, max_length=services.TEXT_MAX)
    internal: bool = Field(False, description="An internal note, hidden from requesters and client contacts.")


class IncidentListParams(Schema):
    status: list[Text] = Field([], description="Repeatable or comma-separated; `open` = every open status.")
    level: list[Text] = Field([], description="Repeatable or comma-separated, 1-4.")
    contract: Text = Field("", description="Contract code.")
    assignee: Text = Field("", description="Username, `me` or `none`.")
    owner: Text = Field("", description="Username, `me` or `none`.")
    requester: Text = Field("", description="Username, `me` or `none`.")
    created_from: Text = Field("", description="Date (YYYY-MM-DD, Asia/Shanghai), inclusive.")
    created_to: Text = Field("", description="Date (YYYY-MM-DD, Asia/Shanghai), inclusive.")
    q: Text = Field("", description="Text in the title, or an incident number.")
    sort: Text = Field("-created", description="`-created`, `created`, `level` or `due` (SLA due soonest: only "
                                                "incidents with a running SLA clock).")
    limit: int = Field(25, ge=1, le=200)
    cursor: Text | None = None


# --- serialisation -------------------------------------------------------------------------------------

def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value) if value is not None else None


def _username(user: User | None) -> str | None:
    return user.username if user is not None else None


def _actions_light(incident: Incident, user: User) -> list[dict[str, Any]]:
    """`allowed_actions` for a list row: no field choices (they would query per row and bloat the page)."""
    return describe_actions(INCIDENT_WORKFLOW, incident, user, with_choices=False)


def _item(incident: Incident, actions: list[dict[str, Any]]) -> dict[str, Any]:
    category = incident.category
    return {
        "number": incident.number,
        "title": incident.title,
        "status": incident.status,
        "status_label": INCIDENT_WORKFLOW.status_label(incident.status),
        "level": incident.level,
        "channel": incident.channel,
        "category": {"id": category.pk, "name": category.name} if category is not None else None,
        "affected_system": incident.affected_system,
        "contract": incident.contract.code,
        "organisation": incident.organisation.code,
        "requester": incident.requester.username,
        "owner": _username(incident.owner),
        "assignee": _username(incident.assignee),
        "version": incident.version,
        "created_at": _local(incident.created_at),
        "updated_at": _local(incident.updated_at),
        "accepted_at": _local(incident.accepted_at),
        "resolved_at": _local(incident.resolved_at),
        "closed_at": _local(incident.closed_at),
        "reported_at": _local(incident.reported_at),
        "sla": sla_summary(incident),
        "allowed_actions": actions,
    }


def _full(incident: Incident, user: User) -> dict[str, Any]:
    out = _item(incident, describe_actions(INCIDENT_WORKFLOW, incident, user))
    out.update(
        description=incident.description, symptom=incident.symptom, operation_steps=incident.operation_steps,
        error_message=incident.error_message, contact_phone=incident.contact_phone,
        created_by=incident.created_by.username, solution=incident.solution,
        reject_reason=incident.reject_reason, hold_reason=incident.hold_reason, hold_note=incident.hold_note,
        escalation_reason=incident.escalation_reason, reopen_count=incident.reopen_count,
        knowledge_candidate=incident.knowledge_candidate, sla=sla_detail(incident),
    )
    return out




def _work_order(order: WorkOrder) -> dict[str, Any]:
    return {
        "number": order.number, "status": order.status, "engineer": order.engineer.username,
        "dispatched_by": order.dispatched_by.username, "site": order.site, "instructions": order.instructions,
        "created_at": _local(order.created_at), "arrived_at": _local(order.arrived_at),
        "completed_at": _local(order.completed_at),
    }


def _json_ready(schema: type[Schema], data: dict[str, Any]) -> dict[str, Any]:
    """Plain JSON (ISO strings for times) as stored for Idempotency-Key replays."""
    return schema.model_validate(data).model_dump(mode="json")


# --- lookups of references in a create -----------------------------------------------------------------

def _contract_or_none(code: str, user: User) -> Contract | None:
    # A contract the caller holds no role on is reported exactly like one that does not exist.
    try:
        return contract_get(code=code.strip(), visible_to=user)
    except NotFound:
        return None


def _requester_or_none(username: str | None, contract: Contract | None, user: User) -> User | None:
    if username is None or username.strip() in ("", user.username):
        return user
    if contract is None:
        return None
    # Only people of the contract's client organisation exist for this purpose: no probing of usernames.
    return requester_get(contract=contract, username=username.strip())


def _category_or_error(category_id: int | None) -> IncidentCategory | None:
    if category_id is None:
        return None
    category = category_get(pk=category_id)
    if category is None:
        raise ValidationError(fields={"category": _("Unknown category.")})
    return category


# --- endpoints -----------------------------------------------------------------------------------------

@router.post("", response={201: IncidentOut, **ERROR_RESPONSES}, summary="Log an incident",
             description="Honours `Idempotency-Key`: a replay returns the first response; the same key with "
                         "another body is a 422.")
def incident_create(request: HttpRequest, payload: IncidentCreateIn) -> Status[dict[str, Any]]:
    user = api_user(request)

    def create() -> tuple[int, dict[str, Any]]:
        contract = _contract_or_none(payload.contract, user)
        incident = services.incident_create(
            by=user, contract=contract, requester=_requester_or_none(payload.requester, contract, user),
            title=payload.title, description=payload.description, symptom=payload.symptom,
            operation_steps=payload.operation_steps, error_message=payload.error_message,
            channel=payload.channel, level=payload.level, category=_category_or_error(payload.category),
            affected_system=payload.affected_system, contact_phone=payload.contact_phone,
            reported_at=payload.reported_at)
        # The service's instance carries every related row the response shows: no re-read.
        return 201, _full(incident, user)

    return Status(*idempotent(request, scope="incidents.create", payload=payload, create=create, schema=IncidentOut))


@router.post("/batch", response={201: IncidentBatchOut, **ERROR_RESPONSES}, summary="Log many incidents at once",
             description=f"For monitoring systems and integrations that report bursts: up to {services.BATCH_MAX} "
                         "incidents in one request and one transaction, all or none. Each is checked as "
                         "`POST /api/v1/incidents` checks one; any error answers 422 with every error, named "
                         "`incidents.<index>.<field>`, and nothing is written. Honours `Idempotency-Key`.")
def incident_create_batch(request: HttpRequest, payload: IncidentBatchIn) -> Status[dict[str, Any]]:
    user = api_user(request)

    def create() -> tuple[int, dict[str, Any]]:
        contracts: dict[str, Contract | None] = {}
        requesters: dict[tuple[str | None, int | None], User | None] = {}
        categories: dict[int, IncidentCategory | None] = {}
        errors: dict[str, str] = {}
        items: list[dict[str, Any]] = []
        for index, entry in enumerate(payload.incidents):  # each reference looked up once per batch
            code = entry.contract.strip()
            if code not in contracts:
                contracts[code] = _contract_or_none(code, user)
            contract = contracts[code]
            who = (entry.requester, contract.pk if contract is not None else None)
            if who not in requesters:
                requesters[who] = _requester_or_none(entry.requester, contract, user)
            category = None
            if entry.category is not None:
                if entry.category not in categories:
                    categories[entry.category] = category_get(pk=entry.category)
                category = categories[entry.category]
                if category is None:
                    errors[f"incidents.{index}.category"] = _("Unknown category.")
            items.append(dict(
                contract=contract, requester=requesters[who], title=entry.title, description=entry.description,
                symptom=entry.symptom, operation_steps=entry.operation_steps, error_message=entry.error_message,
                channel=entry.channel, level=entry.level, category=category,
                affected_system=entry.affected_system, contact_phone=entry.contact_phone,
                reported_at=entry.reported_at))
        incidents = services.incident_create_many(by=user, items=items, reference_errors=errors)
        now = timezone.now()
        return 201, {"count": len(incidents), "incidents": [
            {"number": i.number, "title": i.title, "status": i.status, "level": i.level, "channel": i.channel,
             "contract": i.contract.code, "requester": i.requester.username, "created_at": _local(i.created_at),
             "reported_at": _local(i.reported_at), "sla": sla_summary(i, now)} for i in incidents]}

    return Status(*idempotent(request, scope="incidents.create_batch", payload=payload, create=create,
                              schema=IncidentBatchOut))


@router.get("", response={200: IncidentPageOut, **ERROR_RESPONSES}, summary="List incidents")
def incident_list(request: HttpRequest, filters: Query[IncidentListParams]) -> dict[str, Any]:
    user = api_user(request)
    # The very parser of the list page, so that a page and the API can never filter differently.
    parsed = IncidentFilters.parse(filters.model_dump(exclude={"limit", "cursor"}))
    page = incident_page_for_api(visible_to=user, filters=parsed, limit=filters.limit, cursor=filters.cursor)
    return {
        "items": [_item(inc, _actions_light(inc, user)) for inc in page.items],
        "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor,
        "count": page.count, "count_capped": page.count_capped,
    }


@router.get("/{number}", response={200: IncidentDetailOut, **ERROR_RESPONSES}, summary="An incident with its timeline")
def incident_detail(request: HttpRequest, number: Text) -> dict[str, Any]:
    user = api_user(request)
    incident = incident_get(number=number, visible_to=user)
    out = _full(incident, user)
    out["timeline"] = [activity_out(a) for a in incident_timeline(incident=incident, viewer=user)]
    links = incident_links(incident=incident)
    out["work_orders"] = ([_work_order(o) for o in incident_work_orders(incident=incident)]
                          if "work_orders" in links else [])
    rating = incident_rating(incident=incident) if "rating" in links else None
    out["rating"] = _rating(rating) if rating is not None else None
    return out


def _rating(rating: SatisfactionRating) -> dict[str, Any]:
    return {"score": rating.score, "comment": rating.comment, "rated_by": rating.rated_by.username,
            "rated_at": _local(rating.rated_at)}


@router.post("/{number}/rating", response={201: RatingOut, **ERROR_RESPONSES}, summary="Rate the service",
             description="Only the requester or the client organisation's contact, once the incident is closed "
                         "or its solution confirmed (resolved); once per incident. Not theirs to rate: 403; not "
                         "finished or already rated: 409; a score outside 1-5: 422.")
def incident_rate(request: HttpRequest, number: Text, payload: RatingIn) -> Status[dict[str, Any]]:
    user = api_user(request)
    incident = incident_get(number=number, visible_to=user)
    rating = services.incident_rate(incident=incident, by=user, score=payload.score, comment=payload.comment)
    rating.rated_by = user
    return Status(201, _rating(rating))


@router.post("/{number}/actions/{action}", response={200: IncidentOut, **ERROR_RESPONSES}, summary="Take an action",
             description="Stale `version` or a status that does not allow the action: 409; a role that does "
                         "not: 403; an unknown action: 404; a missing or invalid field: 422 naming it.")
def incident_action(request: HttpRequest, number: Text, action: Text, payload: ActionIn) -> dict[str, Any]:
    user = api_user(request)
    incident = incident_get(number=number, visible_to=user)
    data = dict(payload.model_extra or {})
    if bad := fields_with_nul(data):
        raise ValidationError(fields=bad)
    data["comment"] = payload.comment
    services.incident_act(incident=incident, action=action, by=user, data=data, version=payload.version)
    return _full(incident_get(number=number, visible_to=user), user)


class ApplyArticleIn(Schema):
    article: Text = Field(description="The number of a published knowledge article you may read (KB-…).")
    version: int | None = Field(None, ge=0, le=2**31 - 1, description="The version you saw; a stale one gets 409.")


@router.post("/{number}/apply-article", response={200: IncidentOut, **ERROR_RESPONSES},
             summary="Take a knowledge article's solution",
             description="Service staff of the contract, on an open incident: the article's solution becomes the "
                         "incident's (resolve it as usual), the timeline names the article and its \"this solved "
                         "it\" count rises (once per person). An article you may not read or that is not "
                         "published: 404 / 409; a stale `version` or an incident no longer open: 409.")
def incident_apply_article_api(request: HttpRequest, number: Text, payload: ApplyArticleIn) -> dict[str, Any]:
    user = api_user(request)
    incident = incident_get(number=number, visible_to=user)
    if "\x00" in payload.article:
        raise ValidationError(fields={"article": _("Invalid characters.")})
    services.incident_apply_article(incident=incident, article=payload.article.strip(), by=user,
                                    version=payload.version)
    return _full(incident_get(number=number, visible_to=user), user)


@router.post("/{number}/comments", response={201: ActivityOut, **ERROR_RESPONSES}, summary="Comment or internal note",
             description="Honours `Idempotency-Key`.")
def incident_comment(request: HttpRequest, number: Text, payload: CommentIn) -> Status[dict[str, Any]]:
    user = api_user(request)
    incident = incident_get(number=number, visible_to=user)

    def create() -> tuple[int, dict[str, Any]]:
        entry = services.incident_comment(incident=incident, by=user, body=payload.body,
                                          internal=payload.internal)
        return 201, _json_ready(ActivityOut, activity_out(entry))

    return Status(*idempotent(request, scope=f"incidents.comment:{incident.number}",
                              payload=payload.model_dump(), create=create))

"""REST API of service requests (mounted at /api/v1/service-requests): list, create, the kinds and their
declared steps, detail (with `version`, `allowed_actions`, `kind` and the step list), procedure actions and
comments.

Handlers stay thin: reads through selectors.py (a request one may not see is a 404), writes through
services.py, `allowed_actions` from the declaration of the request's kind.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from opsdesk.accounts.models import Contract, User
from opsdesk.accounts.selectors import contract_get
from opsdesk.core.api import (
    ERROR_RESPONSES,
    CursorPageOut,
    OutSchema,
    Text,
    action_data,
    activity_out,
    api_user,
    idempotent,
)
from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.core.workflow import describe_actions
from opsdesk.incidents.api import ActionIn, ActionOut, ActivityOut

from . import selectors, services
from .models import SYSTEM_MAX, TITLE_MAX, ServiceRequest
from .workflow import step_list, workflow_for

router = Router(tags=["servicerequests"])


class StepOut(OutSchema):
    state: str
    label: str
    phase: str = Field(description="done | current | next | skipped")


class RequestItemOut(OutSchema):
    """A service request as a list row."""

    number: str = Field(examples=["SRQ-20261123-0001"])
    kind: str = Field(description="urgent | major_change | optimisation | migration | data_maintenance | onsite | "
                                  "collaborative")
    kind_label: str
    title: str
    status: str
    status_label: str
    contract: str = Field(description="Contract code.")
    requester: str | None = Field(description="Username of the client person it is for.")
    handler: str | None = Field(description="Username of the dispatched handler.")
    version: int = Field(description="Send it back with an action; a stale one gets 409.")
    created_at: dt.datetime
    updated_at: dt.datetime
    allowed_actions: list[ActionOut] = Field(description="The actions the caller may take now, with their fields.")


class RequestOut(RequestItemOut):
    """A request with everything its steps recorded, its step list and its timeline."""

    description: str
    affected_system: str
    incident: str | None
    problem: str | None
    desired_date: dt.date | None
    created_by: str
    steps: list[StepOut]
    record: dict[str, Any] = Field(description="What the steps recorded (assessment, staffing, plan, test, "
                                               "report …), by field name.")
    knowledge_article: str | None
    timeline: list[ActivityOut]


class RequestPageOut(CursorPageOut):
    items: list[RequestItemOut]


class RequestCreateIn(Schema):
    kind: Text = Field(max_length=20)
    contract: Text = Field("", max_length=40, description="Contract code; may be left out with `incident` or "
                                                          "`problem` (theirs).")
    title: Text = Field(max_length=TITLE_MAX)
    description: Text = ""
    requester: Text = Field("", max_length=150, description="Username of a client person of the contract; the "
                                                            "caller when a client leaves it out.")
    affected_system: Text = Field("", max_length=SYSTEM_MAX)
    incident: Text = Field("", max_length=40, description="Number of a linked incident (same contract).")
    problem: Text = Field("", max_length=40, description="Number of a linked problem (same contract).")
    desired_date: dt.date | None = None


class RequestCommentIn(Schema):
    body: Text = Field(min_length=1, max_length=services.COMMENT_MAX)
    internal: bool = False


class RequestListParams(Schema):
    kind: list[Text] = Field([], description="Repeatable or comma-separated.")
    status: list[Text] = Field([], description="Repeatable or comma-separated; `open` = not ended.")
    contract: Text = Field("", description="Contract code.")
    handler: Text = Field("", description="Username, `me` or `none`.")
    mine: Text = Field("", description="true: requested, created or handled by you.")
    q: Text = Field("", max_length=200, description="A request number or words of the title.")
    limit: int = Field(25, ge=1, le=200)
    cursor: Text | None = None


class KindStepOut(OutSchema):
    name: str
    label: str
    roles: list[str] = Field(description="Role codes; `handler` is the dispatched handler, `system` the system.")
    sources: list[str]
    target: str | None = Field(description="null: stays, or decided by the input (an automatic step follows).")
    automatic: bool
    fields: list[str]


class KindPathOut(OutSchema):
    state: str
    label: str


class KindOut(OutSchema):
    kind: str
    label: str
    path: list[KindPathOut]
    steps: list[KindStepOut]
    kind_steps: list[str] = Field(description="The steps of this kind beyond the common skeleton.")


RECORD_FIELDS = (
    "effort_hours", "difficulty", "needs_extra_resources", "staffing_resources", "staffing_reason",
    "staffing_approved", "staffing_waived", "staffing_reject_reason", "dispatched_at", "system_down",
    "affected_business", "restore_notes", "restored_at", "root_cause", "potential_risks", "solution", "om_advice",
    "collaborators", "agreed_arrival_at", "resources_needed", "arrived_at", "plan", "impact_analysis",
    "rollback_plan", "plan_approved", "plan_reject_reason", "test_environment", "test_passed", "test_notes",
    "change_window_start", "change_window_end", "findings", "implementation_notes", "implemented_at",
    "signer_name", "stamped", "satisfied", "signed_at", "refuse_reason", "phenomenon", "analysis", "cause", "steps",
    "log", "reported_at", "sent_back_reason", "sent_back_count", "closed_at", "cancel_reason", "reject_reason",
    "knowledge_done", "no_knowledge_reason",
)


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is not None and not isinstance(value, bool | int | str | float):
        return str(value)
    return value


def _username(user: User | None) -> str | None:
    return user.username if user is not None else None


def _item(sr: ServiceRequest, actions: list[dict[str, Any]]) -> dict[str, Any]:
    wf = workflow_for(sr)
    return {"number": sr.number, "kind": sr.kind, "kind_label": sr.get_kind_display(), "title": sr.title,
            "status": sr.status, "status_label": wf.status_label(sr.status), "contract": sr.contract.code,
            "requester": _username(sr.requester), "handler": _username(sr.handler), "version": sr.version,
            "created_at": timezone.localtime(sr.created_at), "updated_at": timezone.localtime(sr.updated_at),
            "allowed_actions": actions}




def _full(sr: ServiceRequest, user: User) -> dict[str, Any]:
    out = _item(sr, describe_actions(workflow_for(sr), sr, user))
    out.update(description=sr.description, affected_system=sr.affected_system,
               incident=sr.incident.number if sr.incident is not None else None,
               problem=sr.problem.number if sr.problem is not None else None, desired_date=sr.desired_date,
               created_by=sr.created_by.username, steps=step_list(sr),
               record={name: _json(getattr(sr, name)) for name in RECORD_FIELDS},
               knowledge_article=sr.knowledge_article.number if sr.knowledge_article is not None else None,
               timeline=[activity_out(a) for a in selectors.request_timeline(sr=sr, viewer=user)])
    return out


def resolve_links(*, user: User, incident: str, problem: str) -> tuple[Any, Any]:
    """The incident and problem named by number, as `user` sees them; an unknown one is a field error."""
    from opsdesk.incidents.selectors import incident_get
    from opsdesk.problems.selectors import problem_get

    errors: dict[str, str] = {}
    found_incident = found_problem = None
    if incident.strip():
        try:
            found_incident = incident_get(number=incident.strip()[:40], visible_to=user)
        except NotFound:
            errors["incident"] = _("There is no incident %(number)s.") % {"number": incident.strip()[:40]}
    if problem.strip():
        try:
            found_problem = problem_get(number=problem.strip()[:40], visible_to=user)
        except NotFound:
            errors["problem"] = _("There is no problem %(number)s.") % {"number": problem.strip()[:40]}
    if errors:
        raise ValidationError(fields=errors)
    return found_incident, found_problem


def resolve_requester(*, contract: Contract | None, username: str) -> User | None:
    if not username.strip():
        return None
    found = None
    if contract is not None:
        found = selectors.client_people(contract_id=contract.pk).filter(username=username.strip()).first()
    if found is None:
        raise ValidationError(fields={"requester": _("%(name)s is not a client person of this contract.") % {
            "name": username.strip()[:40]}})
    return found


def contract_or_none(code: str, user: User) -> Contract | None:
    try:
        return contract_get(code=code.strip(), visible_to=user) if code.strip() else None
    except NotFound:
        return None


@router.get("", response={200: RequestPageOut, **ERROR_RESPONSES}, summary="List service requests")
def request_list_api(request: HttpRequest, params: Query[RequestListParams]) -> dict[str, Any]:
    user = api_user(request)
    filters = selectors.RequestFilters.parse(params.model_dump(exclude={"limit", "cursor"}))
    page = selectors.request_list(visible_to=user, filters=filters, limit=params.limit, cursor=params.cursor)
    return {"items": [_item(sr, describe_actions(workflow_for(sr), sr, user, with_choices=False))
                      for sr in page.items],
            "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor, "count": page.count,
            "count_capped": page.count_capped}


@router.post("", response={201: RequestOut, **ERROR_RESPONSES}, summary="Open a service request",
             description="Client people of the contract (requester, client contact, application owner) or its "
                         "staff (agent, engineers, project manager). Honours `Idempotency-Key`.")
def request_create_api(request: HttpRequest, payload: RequestCreateIn) -> Status[dict[str, Any]]:
    user = api_user(request)

    def create() -> tuple[int, dict[str, Any]]:
        incident, problem = resolve_links(user=user, incident=payload.incident, problem=payload.problem)
        contract = contract_or_none(payload.contract, user)
        if contract is None and not payload.contract.strip():
            linked = incident or problem
            contract = linked.contract if linked is not None else None
        sr = services.request_create(
            by=user, contract=contract, kind=payload.kind.strip(), title=payload.title,
            description=payload.description,
            requester=resolve_requester(contract=contract, username=payload.requester),
            affected_system=payload.affected_system, incident=incident, problem=problem,
            desired_date=payload.desired_date)
        return 201, _full(selectors.request_get(number=sr.number, visible_to=user), user)

    return Status(*idempotent(request, scope="servicerequests.create", payload=payload, create=create,
                              schema=RequestOut))


@router.get("/kinds", response={200: list[KindOut], **ERROR_RESPONSES}, summary="The kinds and their steps",
            description="Each kind with its main path and every step its declaration holds.")
def request_kinds_api(request: HttpRequest) -> list[dict[str, Any]]:
    api_user(request)
    return selectors.kinds_overview()


@router.get("/{number}", response={200: RequestOut, **ERROR_RESPONSES}, summary="A service request")
def request_detail_api(request: HttpRequest, number: Text) -> dict[str, Any]:
    user = api_user(request)
    return _full(selectors.request_get(number=number, visible_to=user), user)


@router.post("/{number}/actions/{action}", response={200: RequestOut, **ERROR_RESPONSES},
             summary="Take a procedure action",
             description="The actions of the request's kind (GET /kinds). Stale `version` or a status that does "
                         "not allow the action: 409; a role that does not: 403; an unknown action: 404; a missing "
                         "or invalid field: 422 naming it.")
def request_action_api(request: HttpRequest, number: Text, action: Text, payload: ActionIn) -> dict[str, Any]:
    user = api_user(request)
    sr = selectors.request_get(number=number, visible_to=user)
    data = action_data(payload)
    services.request_act(sr=sr, action=action, by=user, data=data, version=payload.version)
    return _full(selectors.request_get(number=number, visible_to=user), user)


@router.post("/{number}/comments", response={201: ActivityOut, **ERROR_RESPONSES},
             summary="Comment or internal note")
def request_comment_api(request: HttpRequest, number: Text, payload: RequestCommentIn) -> Status[dict[str, Any]]:
    user = api_user(request)
    sr = selectors.request_get(number=number, visible_to=user)
    entry = services.request_comment(sr=sr, by=user, body=payload.body, internal=payload.internal)
    return Status(201, activity_out(entry))

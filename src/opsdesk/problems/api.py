"""REST API of problems (mounted at /api/v1/problems): list, create (on its own or from incidents), detail,
procedure actions, linking and unlinking incidents, comments, publishing as knowledge, and metrics.

Handlers stay thin: reads through selectors.py (only the contract's staff see a problem: for anyone else it
is a 404), writes through services.py, `allowed_actions` from the workflow declaration, as for incidents.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

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
from opsdesk.incidents.api import ActionIn, ActionOut, ActivityOut, CategoryOut
from opsdesk.incidents.models import Incident, IncidentCategory
from opsdesk.incidents.selectors import category_get, incident_get
from opsdesk.incidents.workflow import INCIDENT_WORKFLOW

from . import services
from .models import SYSTEM_MAX, TITLE_MAX, Problem
from .selectors import (
    ProblemFilters,
    incidents_by_numbers,
    metrics_period,
    problem_get,
    problem_incidents,
    problem_list,
    problem_metrics,
    problem_timeline,
)
from .workflow import PROBLEM_WORKFLOW

router = Router(tags=["problems"])

IncidentNumber = Annotated[str, Field(min_length=1, max_length=40)]


class ProblemIncidentOut(OutSchema):
    number: str
    title: str
    status: str
    status_label: str
    active: bool = Field(description="False once the problem is closed or cancelled.")


class ProblemItemOut(OutSchema):
    """A problem as a list row."""

    number: str = Field(examples=["PRB-20261122-0001"])
    title: str
    status: str = Field(description="new | investigating | known_error | solved | closed | cancelled")
    status_label: str
    level: int
    known_error: bool
    contract: str = Field(description="Contract code.")
    category: CategoryOut | None
    affected_system: str
    owner: str | None = Field(description="Username of the problem manager.")
    assignee: str | None = Field(description="Username of who works it now.")
    incident_count: int
    version: int = Field(description="Send it back with an action; a stale one gets 409.")
    created_at: dt.datetime
    updated_at: dt.datetime
    solved_at: dt.datetime | None
    closed_at: dt.datetime | None
    allowed_actions: list[ActionOut] = Field(description="The actions the caller may take now, with their fields.")


class ProblemOut(ProblemItemOut):
    """A problem with its analysis, its linked incidents and its timeline."""

    description: str
    root_cause: str
    workaround: str
    solution: str = Field(description="The permanent solution.")
    cancel_reason: str
    reopen_count: int
    created_by: str
    article: str | None = Field(description="Number of the knowledge article published from it.")
    incidents: list[ProblemIncidentOut]
    timeline: list[ActivityOut]


class ProblemPageOut(CursorPageOut):
    items: list[ProblemItemOut]


class ProblemCreateIn(Schema):
    contract: Text = Field("", description="Contract code; may be left out when `incidents` are given.")
    incidents: list[IncidentNumber] = Field([], max_length=services.MAX_INCIDENTS,
                                            description="Numbers of the incidents it is made from (one contract, "
                                                        "still open, not linked to another open problem).")
    title: Text = Field(max_length=TITLE_MAX)
    description: Text = ""
    category: int | None = Field(None, ge=1, le=2**63 - 1, description="Category id.")
    affected_system: Text = Field("", max_length=SYSTEM_MAX)
    level: Annotated[int, Field(ge=1, le=4, strict=True)] | None = Field(
        None, description="1-4; from incidents: the most severe one's when absent, else 3.")


class ProblemLinkIn(Schema):
    incident: Text = Field(max_length=40, description="Incident number.")


class ProblemCommentIn(Schema):
    body: Text = Field(min_length=1, max_length=services.DESCRIPTION_MAX)
    internal: bool = False


class ProblemKnowledgeOut(OutSchema):
    article: str = Field(description="Number of the knowledge article (a draft when just made).")
    created: bool = Field(description="False when it had been published before (the same article).")


class ProblemListParams(Schema):
    status: list[Text] = Field([], description="Repeatable or comma-separated; `open` = new, investigating, "
                                                "known error.")
    contract: Text = Field("", description="Contract code.")
    known_error: Text = Field("", description="true | false")
    q: Text = Field("", max_length=200, description="A problem number or words of the title.")
    limit: int = Field(25, ge=1, le=200)
    cursor: Text | None = None


class ProblemMetricsParams(Schema):
    contract: Text = Field("", description="Contract code; every contract you work when absent.")
    date_from: Text = Field("", description="Date (YYYY-MM-DD, Asia/Shanghai), inclusive; 30 days back by default.")
    date_to: Text = Field("", description="Date (YYYY-MM-DD, Asia/Shanghai), inclusive; today by default.")


class ProblemMetricsRowOut(OutSchema):
    contract: str
    contract_name: str
    opened: int = Field(description="Problems opened in the period.")
    solved: int = Field(description="Problems solved in the period.")
    resolution_rate: float | None = Field(description="Of the problems opened in the period, the share solved by "
                                                      "its end (0-1); null when none was opened.")
    mean_hours_to_resolve: float | None = Field(description="Mean of solved − created, in hours, of the problems "
                                                            "solved in the period.")


class ProblemMetricsOut(OutSchema):
    date_from: dt.date
    date_to: dt.date
    contracts: list[ProblemMetricsRowOut]


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value) if value is not None else None


def _username(user: User | None) -> str | None:
    return user.username if user is not None else None


def _item(problem: Problem, actions: list[dict[str, Any]], incident_count: int) -> dict[str, Any]:
    category = problem.category
    return {
        "number": problem.number, "title": problem.title, "status": problem.status,
        "status_label": PROBLEM_WORKFLOW.status_label(problem.status), "level": problem.level,
        "known_error": problem.known_error, "contract": problem.contract.code,
        "category": {"id": category.pk, "name": category.name} if category is not None else None,
        "affected_system": problem.affected_system, "owner": _username(problem.owner),
        "assignee": _username(problem.assignee), "incident_count": incident_count, "version": problem.version,
        "created_at": _local(problem.created_at), "updated_at": _local(problem.updated_at),
        "solved_at": _local(problem.solved_at), "closed_at": _local(problem.closed_at),
        "allowed_actions": actions,
    }




def _linked(inc: Incident) -> dict[str, Any]:
    return {"number": inc.number, "title": inc.title, "status": inc.status,
            "status_label": INCIDENT_WORKFLOW.status_label(inc.status),
            "active": bool(getattr(inc, "problem_link_active", True))}


def _full(problem: Problem, user: User) -> dict[str, Any]:
    incidents = problem_incidents(problem=problem)
    out = _item(problem, describe_actions(PROBLEM_WORKFLOW, problem, user), len(incidents))
    out.update(description=problem.description, root_cause=problem.root_cause, workaround=problem.workaround,
               solution=problem.solution, cancel_reason=problem.cancel_reason, reopen_count=problem.reopen_count,
               created_by=problem.created_by.username,
               article=problem.article.number if problem.article is not None else None,
               incidents=[_linked(i) for i in incidents],
               timeline=[activity_out(a) for a in problem_timeline(problem=problem)])
    return out


def _contract_or_none(code: str, user: User) -> Contract | None:
    try:
        return contract_get(code=code.strip(), visible_to=user)
    except NotFound:
        return None


def _category(category_id: int | None) -> IncidentCategory | None:
    if category_id is None:
        return None
    category = category_get(pk=category_id)
    if category is None:
        raise ValidationError(fields={"category": _("Unknown category.")})
    return category


@router.get("", response={200: ProblemPageOut, **ERROR_RESPONSES}, summary="List problems")
def problem_list_api(request: HttpRequest, params: Query[ProblemListParams]) -> dict[str, Any]:
    user = api_user(request)
    filters = ProblemFilters.parse(params.model_dump(exclude={"limit", "cursor"}))
    page = problem_list(visible_to=user, filters=filters, limit=params.limit, cursor=params.cursor)
    return {"items": [_item(p, describe_actions(PROBLEM_WORKFLOW, p, user, with_choices=False),
                            p.incident_count) for p in page.items],
            "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor, "count": page.count,
            "count_capped": page.count_capped}


@router.post("", response={201: ProblemOut, **ERROR_RESPONSES}, summary="Open a problem",
             description="On its own (`contract`), or from incidents (`incidents`: they are linked, each gets a "
                         "note). Engineers, second line, problem reviewers and the project manager of the "
                         "contract. Honours `Idempotency-Key`.")
def problem_create_api(request: HttpRequest, payload: ProblemCreateIn) -> Status[dict[str, Any]]:
    user = api_user(request)

    def create() -> tuple[int, dict[str, Any]]:
        category = _category(payload.category)
        if payload.incidents:
            found, missing = incidents_by_numbers(numbers=list(payload.incidents), visible_to=user)
            if missing:
                raise ValidationError(fields={"incidents": _("There is no incident %(number)s.") % {
                    "number": missing[0]}})
            if payload.contract.strip() and any(i.contract.code != payload.contract.strip() for i in found):
                raise ValidationError(fields={"contract": _("The incidents are on another contract.")})
            problem = services.problem_create_from_incidents(
                by=user, incidents=found, title=payload.title, description=payload.description,
                category=category, affected_system=payload.affected_system, level=payload.level)
        else:
            problem = services.problem_create(
                by=user, contract=_contract_or_none(payload.contract, user), title=payload.title,
                description=payload.description, category=category, affected_system=payload.affected_system,
                level=payload.level if payload.level is not None else 3)
        return 201, _full(problem_get(number=problem.number, visible_to=user), user)

    return Status(*idempotent(request, scope="problems.create", payload=payload, create=create, schema=ProblemOut))


@router.get("/metrics", response={200: ProblemMetricsOut, **ERROR_RESPONSES}, summary="Problem metrics per contract",
            description="Per contract you work: problems opened and solved in the period, resolution rate and "
                        "mean time to resolve in hours.")
def problem_metrics_api(request: HttpRequest, params: Query[ProblemMetricsParams]) -> dict[str, Any]:
    user = api_user(request)
    start, end = metrics_period(params.date_from, params.date_to)
    rows = problem_metrics(visible_to=user, date_from=start, date_to=end, contract=params.contract.strip())
    return {"date_from": start, "date_to": end,
            "contracts": [{"contract": r.contract, "contract_name": r.contract_name, "opened": r.opened,
                           "solved": r.solved, "resolution_rate": r.resolution_rate,
                           "mean_hours_to_resolve": r.mean_hours_to_resolve} for r in rows]}


@router.get("/{number}", response={200: ProblemOut, **ERROR_RESPONSES}, summary="A problem with its timeline")
def problem_detail_api(request: HttpRequest, number: Text) -> dict[str, Any]:
    user = api_user(request)
    return _full(problem_get(number=number, visible_to=user), user)


@router.post("/{number}/actions/{action}", response={200: ProblemOut, **ERROR_RESPONSES},
             summary="Take a procedure action",
             description="investigate, assign, record_analysis, mark_known_error, solve, close, reopen, cancel. "
                         "Stale `version` or a status that does not allow the action: 409; a role that does not: "
                         "403; an unknown action: 404; a missing or invalid field: 422 naming it.")
def problem_action_api(request: HttpRequest, number: Text, action: Text, payload: ActionIn) -> dict[str, Any]:
    user = api_user(request)
    problem = problem_get(number=number, visible_to=user)
    data = action_data(payload)
    services.problem_act(problem=problem, action=action, by=user, data=data, version=payload.version)
    return _full(problem_get(number=number, visible_to=user), user)


@router.post("/{number}/incidents", response={201: ProblemOut, **ERROR_RESPONSES}, summary="Link an incident",
             description="The incident must be on the problem's contract, still open and not linked to another "
                         "open problem (422 naming `incident`); a closed or cancelled problem: 409.")
def problem_link_api(request: HttpRequest, number: Text, payload: ProblemLinkIn) -> Status[dict[str, Any]]:
    user = api_user(request)
    problem = problem_get(number=number, visible_to=user)
    try:
        incident = incident_get(number=payload.incident.strip(), visible_to=user)
    except NotFound:
        raise ValidationError(fields={"incident": _("There is no incident %(number)s.") % {
            "number": payload.incident.strip()[:40]}}) from None
    services.problem_link_incident(problem=problem, incident=incident, by=user)
    return Status(201, _full(problem_get(number=number, visible_to=user), user))


@router.delete("/{number}/incidents/{incident_number}", response={200: ProblemOut, **ERROR_RESPONSES},
               summary="Unlink an incident")
def problem_unlink_api(request: HttpRequest, number: Text, incident_number: Text) -> dict[str, Any]:
    user = api_user(request)
    problem = problem_get(number=number, visible_to=user)
    incident = incident_get(number=incident_number, visible_to=user)
    services.problem_unlink_incident(problem=problem, incident=incident, by=user)
    return _full(problem_get(number=number, visible_to=user), user)


@router.post("/{number}/comments", response={201: ActivityOut, **ERROR_RESPONSES},
             summary="Comment or internal note")
def problem_comment_api(request: HttpRequest, number: Text, payload: ProblemCommentIn) -> Status[dict[str, Any]]:
    user = api_user(request)
    problem = problem_get(number=number, visible_to=user)
    entry = services.problem_comment(problem=problem, by=user, body=payload.body, internal=payload.internal)
    return Status(201, activity_out(entry))


@router.post("/{number}/knowledge", response={201: ProblemKnowledgeOut, 200: ProblemKnowledgeOut, **ERROR_RESPONSES},
             summary="Publish as knowledge",
             description="A draft knowledge article pre-filled from a known-error or solved problem (409 "
                         "otherwise), linked back; when one was made before it is returned with 200.")
def problem_knowledge_api(request: HttpRequest, number: Text) -> Status[dict[str, Any]]:
    user = api_user(request)
    problem = problem_get(number=number, visible_to=user)
    article, created = services.problem_publish_knowledge(problem=problem, by=user)
    return Status(201 if created else 200, {"article": article.number, "created": created})

"""REST API of bug and requirement confirmation (mounted at /api/v1/confirmations): items (list, submit,
detail, procedure actions) and the transfer-out reports (list, compile the monthly one, detail, actions, and
the application division's answer per item). The same visibility as the pages (404 otherwise), the same
`allowed_actions` / `version` / 409 contract as incidents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from opsdesk.accounts.models import User
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
from opsdesk.incidents.selectors import incident_get
from opsdesk.problems.selectors import problem_get

from . import selectors, services
from .models import TITLE_MAX, Confirmation, TransferReport
from .workflow import CONFIRMATION_WORKFLOW, REPORT_WORKFLOW

router = Router(tags=["confirmations"])


class ConfirmationItemOut(OutSchema):
    number: str = Field(examples=["BUG-20261123-0001"])
    kind: str = Field(description="bug | requirement")
    title: str
    contract: str
    status: str
    status_label: str
    urgent: bool | None
    report: str | None = Field(description="Number of the transfer-out report holding it.")
    version: int
    created_at: dt.datetime
    confirmed_at: dt.datetime | None
    allowed_actions: list[ActionOut]


class ConfirmationOut(ConfirmationItemOut):
    description: str
    affected_system: str
    problem: str | None
    incident: str | None
    submitted_by: str
    reviewer: str | None
    check_notes: str
    confirmed_with: str
    summary: str
    impact: str
    suggestion: str
    answer: str
    answer_result: str
    answered_by: str | None
    answered_at: dt.datetime | None
    return_reason: str
    cancel_reason: str
    timeline: list[ActivityOut]


class ConfirmationPageOut(CursorPageOut):
    items: list[ConfirmationItemOut]


class ConfirmationCreateIn(Schema):
    kind: Text = Field(description="bug | requirement")
    contract: Text = Field("", description="Contract code; may be left out with `problem` or `incident`.")
    problem: Text = Field("", max_length=40)
    incident: Text = Field("", max_length=40)
    title: Text = Field(max_length=TITLE_MAX)
    description: Text = ""
    affected_system: Text = Field("", max_length=TITLE_MAX)


class ConfirmationListParams(Schema):
    kind: Text = ""
    status: Text = Field("", description="A status, or `open`.")
    contract: Text = ""
    urgent: Text = Field("", description="true | false")
    q: Text = Field("", max_length=200)
    limit: int = Field(25, ge=1, le=200)
    cursor: Text | None = None


class ReportItemOut(OutSchema):
    number: str
    kind: str
    title: str
    summary: str
    impact: str
    suggestion: str
    status: str
    answer: str
    answer_result: str
    version: int


class ReportSummaryOut(OutSchema):
    number: str = Field(examples=["TR-20261201-0001"])
    kind: str = Field(description="urgent | monthly")
    title: str
    contract: str
    period: str | None = Field(description="YYYY-MM of a monthly report.")
    status: str
    status_label: str
    version: int
    submitted_at: dt.datetime | None
    approved_at: dt.datetime | None


class ReportOut(ReportSummaryOut):
    approved_by: str | None
    return_reason: str
    items: list[ReportItemOut]
    allowed_actions: list[ActionOut]
    timeline: list[ActivityOut]


class ReportPageOut(CursorPageOut):
    items: list[ReportSummaryOut]


class ReportListParams(Schema):
    status: Text = ""
    kind: Text = ""
    contract: Text = ""
    limit: int = Field(25, ge=1, le=200)
    cursor: Text | None = None


class MonthlyIn(Schema):
    contract: Text = Field(max_length=40)
    month: Text = Field(description="YYYY-MM", max_length=7, examples=["2026-10"])


class MonthlyOut(OutSchema):
    report: ReportOut
    added: int = Field(description="Items this call added (0 when it was up to date).")


class AnswerIn(Schema):
    answer: Text = Field(max_length=10000)
    result: Text = Field(description="accepted | planned | fixed | rejected")
    version: int | None = None


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value) if value is not None else None




def _item(item: Confirmation, actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {"number": item.number, "kind": item.kind, "title": item.title, "contract": item.contract.code,
            "status": item.status, "status_label": CONFIRMATION_WORKFLOW.status_label(item.status),
            "urgent": item.urgent, "report": item.report.number if item.report else None, "version": item.version,
            "created_at": _local(item.created_at), "confirmed_at": _local(item.confirmed_at),
            "allowed_actions": actions}


def _full(item: Confirmation, user: User) -> dict[str, Any]:
    out = _item(item, describe_actions(CONFIRMATION_WORKFLOW, item, user))
    staff = selectors.is_confirmation_staff(user, item.contract_id)
    out.update(description=item.description, affected_system=item.affected_system,
               problem=item.problem.number if item.problem and staff else None,
               incident=item.incident.number if item.incident and staff else None,
               submitted_by=item.submitted_by.username, reviewer=item.reviewer.username if item.reviewer else None,
               check_notes=item.check_notes, confirmed_with=item.confirmed_with, summary=item.summary,
               impact=item.impact, suggestion=item.suggestion, answer=item.answer, answer_result=item.answer_result,
               answered_by=item.answered_by.username if item.answered_by else None,
               answered_at=_local(item.answered_at), return_reason=item.return_reason,
               cancel_reason=item.cancel_reason, timeline=[activity_out(a) for a in selectors.timeline(item)])
    return out


def _summary(report: TransferReport) -> dict[str, Any]:
    return {"number": report.number, "kind": report.kind, "title": report.title, "contract": report.contract.code,
            "period": report.period.strftime("%Y-%m") if report.period else None, "status": report.status,
            "status_label": REPORT_WORKFLOW.status_label(report.status), "version": report.version,
            "submitted_at": _local(report.submitted_at), "approved_at": _local(report.approved_at)}


def _report(report: TransferReport, user: User) -> dict[str, Any]:
    out = _summary(report)
    out.update(approved_by=report.approved_by.username if report.approved_by else None,
               return_reason=report.return_reason,
               items=[{"number": i.number, "kind": i.kind, "title": i.title, "summary": i.summary, "impact": i.impact,
                       "suggestion": i.suggestion, "status": i.status, "answer": i.answer,
                       "answer_result": i.answer_result, "version": i.version}
                      for i in selectors.report_items(report)],
               allowed_actions=describe_actions(REPORT_WORKFLOW, report, user),
               timeline=[activity_out(a) for a in selectors.timeline(report)])
    return out


# --- reports first: "/reports…" must not be taken for an item number ------------------------------------

@router.get("/reports", response={200: ReportPageOut, **ERROR_RESPONSES}, summary="List transfer-out reports")
def report_list_api(request: HttpRequest, params: Query[ReportListParams]) -> dict[str, Any]:
    user = api_user(request)
    page = selectors.report_list(visible_to=user, filters=params.model_dump(exclude={"limit", "cursor"}),
                                 limit=params.limit, cursor=params.cursor)
    return {"items": [_summary(r) for r in page.items], "next_cursor": page.next_cursor,
            "prev_cursor": page.prev_cursor, "count": page.count, "count_capped": page.count_capped}


@router.post("/reports/monthly", response={200: MonthlyOut, 201: MonthlyOut, **ERROR_RESPONSES},
             summary="Compile the monthly transfer-out report",
             description="The contract's report of that month with every non-urgent item confirmed in it (Beijing "
                         "time), each once; calling again adds only items confirmed since (200), the first call "
                         "makes it (201). Problem reviewers of the contract.")
def report_monthly_api(request: HttpRequest, payload: MonthlyIn) -> Status[dict[str, Any]]:
    user = api_user(request)
    try:
        month = dt.datetime.strptime(payload.month.strip(), "%Y-%m").date()
    except ValueError:
        raise ValidationError(fields={"month": _("Give the month as YYYY-MM.")}) from None
    try:
        contract = contract_get(code=payload.contract.strip(), visible_to=user)
    except NotFound:
        raise ValidationError(fields={"contract": _("Unknown contract.")}) from None
    existed = TransferReport.objects.filter(contract=contract, kind="monthly", period=month).exists()
    report, added = services.transfer_report_generate_monthly(contract=contract, month=month, by=user)
    fresh = selectors.report_get(number=report.number, visible_to=user)
    return Status(200 if existed else 201, {"report": _report(fresh, user), "added": added})


@router.get("/reports/{number}", response={200: ReportOut, **ERROR_RESPONSES}, summary="A transfer-out report")
def report_detail_api(request: HttpRequest, number: Text) -> dict[str, Any]:
    user = api_user(request)
    return _report(selectors.report_get(number=number, visible_to=user), user)


@router.post("/reports/{number}/actions/{action}", response={200: ReportOut, **ERROR_RESPONSES},
             summary="Take a report action", description="submit (reviewer; a monthly report once its month is "
                                                         "over), approve, send_back (`reason`) (application owner).")
def report_action_api(request: HttpRequest, number: Text, action: Text, payload: ActionIn) -> dict[str, Any]:
    user = api_user(request)
    report = selectors.report_get(number=number, visible_to=user)
    services.report_act(report=report, action=action, by=user, data=action_data(payload), version=payload.version)
    return _report(selectors.report_get(number=number, visible_to=user), user)


@router.post("/reports/{number}/items/{item_number}/answer", response={200: ReportOut, **ERROR_RESPONSES},
             summary="Answer one item (application division)")
def item_answer_api(request: HttpRequest, number: Text, item_number: Text, payload: AnswerIn) -> dict[str, Any]:
    user = api_user(request)
    report = selectors.report_get(number=number, visible_to=user)
    item = selectors.confirmation_get(number=item_number, visible_to=user)
    services.item_answer(report=report, item=item, by=user, answer=payload.answer, result=payload.result,
                         version=payload.version)
    return _report(selectors.report_get(number=number, visible_to=user), user)


# --- items ---------------------------------------------------------------------------------------------------

@router.get("", response={200: ConfirmationPageOut, **ERROR_RESPONSES}, summary="List bug / requirement items")
def confirmation_list_api(request: HttpRequest, params: Query[ConfirmationListParams]) -> dict[str, Any]:
    user = api_user(request)
    filters = selectors.parse_filters(params.model_dump(exclude={"limit", "cursor"}))
    page = selectors.confirmation_list(visible_to=user, filters=filters, limit=params.limit, cursor=params.cursor)
    return {"items": [_item(i, describe_actions(CONFIRMATION_WORKFLOW, i, user, with_choices=False))
                      for i in page.items],
            "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor, "count": page.count,
            "count_capped": page.count_capped}


@router.post("", response={201: ConfirmationOut, **ERROR_RESPONSES}, summary="Submit for confirmation",
             description="A program bug or a requirement change found by the handler, on its own or from a problem "
                         "or incident. Honours `Idempotency-Key`.")
def confirmation_create_api(request: HttpRequest, payload: ConfirmationCreateIn) -> Status[dict[str, Any]]:
    user = api_user(request)

    def create() -> tuple[int, dict[str, Any]]:
        errors: dict[str, str] = {}
        problem = incident = contract = None
        if payload.problem.strip():
            try:
                problem = problem_get(number=payload.problem, visible_to=user)
            except NotFound:
                errors["problem"] = _("There is no problem %(number)s.") % {"number": payload.problem.strip()[:40]}
        if payload.incident.strip():
            try:
                incident = incident_get(number=payload.incident, visible_to=user)
            except NotFound:
                errors["incident"] = _("There is no incident %(number)s.") % {"number": payload.incident.strip()[:40]}
        if payload.contract.strip():
            try:
                contract = contract_get(code=payload.contract.strip(), visible_to=user)
            except NotFound:
                errors["contract"] = _("Unknown contract.")
        if errors:
            raise ValidationError(fields=errors)
        item = services.confirmation_create(by=user, kind=payload.kind.strip(), contract=contract, title=payload.title,
                                            description=payload.description, affected_system=payload.affected_system,
                                            problem=problem, incident=incident)
        return 201, _full(selectors.confirmation_get(number=item.number, visible_to=user), user)

    return Status(*idempotent(request, scope="confirmations.create", payload=payload, create=create,
                              schema=ConfirmationOut))


@router.get("/{number}", response={200: ConfirmationOut, **ERROR_RESPONSES}, summary="An item with its timeline")
def confirmation_detail_api(request: HttpRequest, number: Text) -> dict[str, Any]:
    user = api_user(request)
    return _full(selectors.confirmation_get(number=number, visible_to=user), user)


@router.post("/{number}/actions/{action}", response={200: ConfirmationOut, **ERROR_RESPONSES},
             summary="Take a confirmation step",
             description="take_review, reproduce (bug) / confirm_with_user (requirement), confirm, "
                         "return_to_handler, resubmit, withdraw, mark_urgent, queue_monthly, answer, cancel. Stale "
                         "`version` or wrong status: 409; role: 403; unknown action: 404; bad field: 422.")
def confirmation_action_api(request: HttpRequest, number: Text, action: Text, payload: ActionIn) -> dict[str, Any]:
    user = api_user(request)
    item = selectors.confirmation_get(number=number, visible_to=user)
    services.confirmation_act(item=item, action=action, by=user, data=action_data(payload), version=payload.version)
    return _full(selectors.confirmation_get(number=number, visible_to=user), user)

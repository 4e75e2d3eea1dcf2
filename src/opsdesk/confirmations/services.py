"""Every write to bug and requirement confirmations and their transfer-out reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.accounts.models import Contract, User
from opsdesk.accounts.selectors import access_for
from opsdesk.core.audit import audit_record
from opsdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from opsdesk.core.models import Activity, ActivityKind
from opsdesk.core.numbering import next_number
from opsdesk.core.services import clean_text
from opsdesk.core.workflow import perform
from opsdesk.incidents.models import Incident
from opsdesk.problems.models import Problem

from .choices import ConfirmationKind, ConfirmationStatus, ReportKind, ReportStatus
from .models import TITLE_MAX, Confirmation, TransferReport
from .workflow import CONFIRMATION_WORKFLOW, HANDLERS, REPORT_WORKFLOW, REVIEWERS

DESCRIPTION_MAX = 20000
S = ConfirmationStatus


def _created(record: Any, by: User | None, data: dict[str, Any]) -> None:
    Activity.objects.create(content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk,
                            kind=ActivityKind.CREATED, to_status=record.status, actor=by, data=data)


def confirmation_create(*, by: User, kind: str, contract: Contract | None, title: str, description: str = "",
                        affected_system: str = "", problem: Problem | None = None,
                        incident: Incident | None = None) -> Confirmation:
    """Submit a program bug or a requirement change for confirmation (the handler: second line, engineer or
    project manager of the contract), on its own or from a problem / incident of the same contract (which then
    gives the contract when none is named). Every bad input is reported at once, per field; nothing is written
    unless all is valid."""
    errors: dict[str, str] = {}
    title = clean_text(errors, "title", title, required=True, max_length=TITLE_MAX)
    description = clean_text(errors, "description", description, max_length=DESCRIPTION_MAX)
    affected_system = clean_text(errors, "affected_system", affected_system, max_length=TITLE_MAX)
    if kind not in ConfirmationKind.values:
        errors["kind"] = _("Choose “bug” or “requirement”.")
    if contract is None:
        contract = problem.contract if problem is not None else incident.contract if incident is not None else None
    roles = access_for(by).roles_on(contract.pk) if contract is not None else frozenset()
    if contract is None or not roles:
        errors["contract"] = _("Unknown contract.")
    elif not roles & HANDLERS:
        errors["contract"] = _("Only the engineers and the project manager of the contract submit items for "
                               "confirmation.")
    elif contract is not None:
        if problem is not None and problem.contract_id != contract.pk:
            errors["problem"] = _("The problem is on another contract.")
        if incident is not None and incident.contract_id != contract.pk:
            errors["incident"] = _("The incident is on another contract.")
    if errors:
        raise ValidationError(fields=errors)
    assert contract is not None
    with transaction.atomic():
        item = Confirmation.objects.create(
            number=next_number("BUG" if kind == ConfirmationKind.BUG else "REQ"), kind=kind, contract=contract,
            organisation_id=contract.organisation_id, title=title, description=description,
            affected_system=affected_system, problem=problem, incident=incident, submitted_by=by)
        _created(item, by, {"problem": problem.number if problem else "", "incident": incident.number if incident
                            else ""})
        audit_record(actor=by, action="confirmation.create", instance=item,
                     after={"number": item.number, "kind": kind, "contract": contract.code, "title": title,
                            "problem": problem.number if problem else None,
                            "incident": incident.number if incident else None})
    return item


def confirmation_act(*, item: Confirmation, action: str, by: User, data: dict[str, Any] | None = None,
                     version: int | None = None) -> Confirmation:
    """Take a step of the confirmation procedure (see workflow.py)."""
    result: Confirmation = perform(CONFIRMATION_WORKFLOW, record=item, action=action, by=by, data=data,
                                   version=version)
    return result


# --- transfer-out reports ------------------------------------------------------------------------------

def _report(*, kind: str, contract: Contract, by: User | None, title: str, period: dt.date | None = None
            ) -> TransferReport:
    report = TransferReport.objects.create(number=next_number("TR"), kind=kind, contract=contract,
                                           organisation_id=contract.organisation_id, period=period, title=title,
                                           created_by=by)
    _created(report, by, {})
    audit_record(actor=by, action="transfer_report.create", instance=report,
                 after={"number": report.number, "kind": kind, "contract": contract.code,
                        "period": period.isoformat() if period else None})
    return report


def open_urgent_report(*, item: Confirmation, by: User) -> TransferReport:
    """An urgent item's own report, submitted to the application owner at once (the same day). Runs inside
    the item's `mark_urgent` action."""
    report = _report(kind=ReportKind.URGENT, contract=item.contract, by=by,
                     title=_("Urgent application-system transfer-out report: %(number)s") % {"number": item.number})
    item.report = report
    item.urgent = True
    item.save(update_fields=["report", "urgent"])
    perform(REPORT_WORKFLOW, record=report, action="submit", by=None)
    return report


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[first instant, first instant of the next month) of a calendar month in Beijing time."""
    start = dt.datetime(month.year, month.month, 1)
    end = dt.datetime(month.year + (month.month == 12), month.month % 12 + 1, 1)
    tz = timezone.get_current_timezone()
    return timezone.make_aware(start, tz), timezone.make_aware(end, tz)


def transfer_report_generate_monthly(*, contract: Contract, month: dt.date, by: User) -> tuple[TransferReport, int]:
    """The contract's monthly transfer-out report (《XX月应用系统问题转出报告》), made or brought up to date.

    It holds every non-urgent item of the contract confirmed in that month (Beijing time), each once: a second
    run adds only items confirmed since, and two runs at the same moment share one report (a unique
    constraint) and never take an item twice (each is claimed by a conditional update). Once submitted the
    report no longer changes. Returns the report and how many items this run added."""
    roles = access_for(by).roles_on(contract.pk)
    if not roles:
        raise NotFound(_("Unknown contract."))
    if not roles & REVIEWERS:
        raise PermissionDenied(_("Only the problem reviewers of the contract compile transfer-out reports."))
    month = month.replace(day=1)
    today = timezone.localdate()
    if month > today.replace(day=1):
        raise ValidationError(fields={"month": _("That month has not begun.")})
    start, end = month_bounds(month)
    with transaction.atomic():
        report = TransferReport.objects.filter(contract=contract, kind=ReportKind.MONTHLY, period=month).first()
        if report is None:
            try:
                with transaction.atomic():
                    report = _report(kind=ReportKind.MONTHLY, contract=contract, by=by, period=month,
                                     title=_("Application-system transfer-out report for %(month)s") % {
                                         "month": month.strftime("%Y-%m")})
            except IntegrityError:
                report = TransferReport.objects.get(contract=contract, kind=ReportKind.MONTHLY, period=month)
        if report.status not in (ReportStatus.DRAFT, ReportStatus.RETURNED):
            return report, 0
        candidates = list(Confirmation.objects.filter(
            contract=contract, status=S.QUEUED, report__isnull=True, confirmed_at__gte=start, confirmed_at__lt=end,
        ).order_by("confirmed_at", "id"))
        added = []
        for item in candidates:
            if Confirmation.objects.filter(pk=item.pk, report__isnull=True, status=S.QUEUED).update(report=report):
                item.report = report
                perform(CONFIRMATION_WORKFLOW, record=item, action="add_to_report", by=None)
                added.append(item.number)
        if added:
            Activity.objects.create(content_type=ContentType.objects.get_for_model(TransferReport),
                                    object_id=report.pk, kind=ActivityKind.SYSTEM, action="items_added", actor=by,
                                    data={"items": added})
        audit_record(actor=by, action="transfer_report.generate", instance=report,
                     after={"period": month.isoformat(), "added": added})
    return report, len(added)


def transfer_items(*, report: TransferReport) -> list[str]:
    """On approval: every item of the report goes to the application division (each its own timeline step)."""
    moved = []
    for item in report.items.filter(status=S.IN_REPORT).order_by("id"):
        perform(CONFIRMATION_WORKFLOW, record=item, action="transfer", by=None)
        moved.append(item.number)
    return moved


def report_act(*, report: TransferReport, action: str, by: User, data: dict[str, Any] | None = None,
               version: int | None = None) -> TransferReport:
    """Take a step of the report (submit, approve, send back). A monthly report goes out only once its month
    has ended, so that it holds the whole month; an empty report does not go out at all."""
    if action == "submit" and report.status in (ReportStatus.DRAFT, ReportStatus.RETURNED) \
            and REPORT_WORKFLOW.roles_of(by, report) & REVIEWERS:
        if report.kind == ReportKind.MONTHLY and report.period is not None:
            _start, end = month_bounds(report.period)
            if timezone.now() < end:
                raise Conflict(_("The report of %(month)s can be submitted once the month is over (from "
                                 "%(date)s).") % {"month": report.period.strftime("%Y-%m"),
                                                  "date": timezone.localtime(end).date().isoformat()},
                               code="month_not_over")
        if not report.items.exists():
            raise Conflict(_("The report has no items."), code="empty_report")
    result: TransferReport = perform(REPORT_WORKFLOW, record=report, action=action, by=by, data=data,
                                     version=version)
    return result


def item_answer(*, report: TransferReport, item: Confirmation, by: User, answer: str, result: str,
                version: int | None = None) -> Confirmation:
    """The application division answers one item of a transferred report; the report is answered with the
    last of its items (in the same transaction)."""
    if item.report_id != report.pk:
        raise NotFound(_("There is no item %(number)s in this report.") % {"number": item.number})
    with transaction.atomic():
        perform(CONFIRMATION_WORKFLOW, record=item, action="answer", by=by,
                data={"answer": answer, "result": result}, version=version)
        report.refresh_from_db()
        if report.status == ReportStatus.TRANSFERRED and not report.items.exclude(status=S.ANSWERED).exists():
            perform(REPORT_WORKFLOW, record=report, action="mark_answered", by=None)
    return item

"""Bug and requirement confirmation and the transfer-out report, declared as data on the workflow engine.

Confirmation (程序问题确认规程 / 需求问题确认规程, one shape for both kinds):
    submitted → take_review (problem reviewer 问题审核岗) → reviewing → reproduce (bug: in the simulated
    environment) | confirm_with_user (requirement) → checked → confirm (with the developer / the user; the
    transfer-out report's fields) → confirmed → mark_urgent (a report of its own, submitted the same day) |
    queue_monthly (waits for the contract's monthly report) … → in the report → transferred when the
    application owner approves the report → answer (application division 应用处) → answered.
    Not a bug / not a requirement: return_to_handler (reason) → returned → resubmit | withdraw.
    The project manager may cancel an item not yet in a report.
Transfer-out report (应用系统问题转出报告):
    draft → submit (the reviewer as 问题汇总岗) → submitted → approve (application owner 应用系统负责人:
    transferred to the application division) | send_back (reason) → returned → submit again;
    transferred → answered (the system, once every item has its answer).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.choices import Role
from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import access_for
from opsdesk.core.workflow import SYSTEM_ROLE, Action, ActionContext, Field, Workflow

from .choices import CANCELLABLE, AnswerResult, ConfirmationKind, ConfirmationStatus, ReportStatus
from .models import Confirmation, TransferReport

S = ConfirmationStatus
R = ReportStatus
HANDLERS = frozenset({Role.SECOND_LINE, Role.ENGINEER, Role.PROJECT_MANAGER})  # 应用运维岗 / 问题处理岗
REVIEWERS = frozenset({Role.REVIEWER})  # 问题审核汇总岗
MANAGERS = frozenset({Role.PROJECT_MANAGER})
APP_OWNERS = frozenset({Role.APP_OWNER})  # 应用系统负责人 (问题审批转出岗)
APP_DIVISION = frozenset({Role.APP_DIVISION})  # 应用处
SYSTEM = frozenset({SYSTEM_ROLE})
ACTING = HANDLERS | REVIEWERS | MANAGERS | APP_OWNERS | APP_DIVISION
TEXT_MAX = 10000


def confirmation_roles(user: User | None, record: Confirmation | TransferReport) -> frozenset[str]:
    if user is None:
        return SYSTEM
    return access_for(user).roles_on(record.contract_id) & ACTING


def _text(name: str, label: Any, model_field: str | None = None, *, required: bool = True,
          max_length: int = TEXT_MAX, help_text: Any = "") -> Field:
    return Field(name, label, kind="textarea" if max_length > 200 else "text", required=required,
                 max_length=max_length, model_field=model_field or name, help_text=help_text)


def _is_bug(record: Confirmation, actor: Any) -> bool:
    return record.kind == ConfirmationKind.BUG


def _is_requirement(record: Confirmation, actor: Any) -> bool:
    return record.kind == ConfirmationKind.REQUIREMENT


# --- effects ---------------------------------------------------------------------------------------------

def _take(ctx: ActionContext) -> None:
    item: Confirmation = ctx.record
    item.reviewer = ctx.actor
    item.save(update_fields=["reviewer"])
    ctx.audit_extra["reviewer"] = ctx.actor.username


def _confirmed(ctx: ActionContext) -> None:
    item: Confirmation = ctx.record
    item.confirmed_at = timezone.now()
    item.save(update_fields=["confirmed_at"])


def _urgent(ctx: ActionContext) -> None:
    from .services import open_urgent_report  # a report of its own, submitted the same day

    item: Confirmation = ctx.record
    report = open_urgent_report(item=item, by=ctx.actor)
    ctx.audit_extra["report"] = report.number
    ctx.timeline_extra["report"] = report.number


def _not_urgent(ctx: ActionContext) -> None:
    item: Confirmation = ctx.record
    item.urgent = False
    item.save(update_fields=["urgent"])


def _answered(ctx: ActionContext) -> None:
    item: Confirmation = ctx.record
    item.answered_by = ctx.actor
    item.answered_at = timezone.now()
    item.save(update_fields=["answered_by", "answered_at"])


def _report_submitted(ctx: ActionContext) -> None:
    report: TransferReport = ctx.record
    report.submitted_at = timezone.now()
    report.save(update_fields=["submitted_at"])


def _report_approved(ctx: ActionContext) -> None:
    from .services import transfer_items

    report: TransferReport = ctx.record
    report.approved_by = ctx.actor
    report.approved_at = timezone.now()
    report.save(update_fields=["approved_by", "approved_at"])
    ctx.audit_extra["items"] = transfer_items(report=report)


CONFIRMATION_WORKFLOW = Workflow(
    name="confirmation",
    model=Confirmation,
    states=ConfirmationStatus,
    initial=S.SUBMITTED,
    roles_of=confirmation_roles,
    audit_fields=("status", "reviewer", "check_notes", "confirmed_with", "summary", "impact", "suggestion",
                  "urgent", "report", "answer", "answer_result", "return_reason", "cancel_reason", "description"),
    terminal=(S.ANSWERED, S.WITHDRAWN, S.CANCELLED),
    actions=(
        Action("take_review", _("Take for review"), sources=(S.SUBMITTED,), target=S.REVIEWING, roles=REVIEWERS,
               effects=(_take,), style="primary", description=_("You review it: reproduce it or confirm it.")),
        Action("reproduce", _("Record the reproduction"), sources=(S.REVIEWING,), target=S.CHECKED,
               roles=REVIEWERS, condition=_is_bug,
               fields=(_text("check_notes", _("How it was reproduced in the simulated environment")),),
               style="primary"),
        Action("confirm_with_user", _("Record the confirmation with the user"), sources=(S.REVIEWING,),
               target=S.CHECKED, roles=REVIEWERS, condition=_is_requirement,
               fields=(_text("check_notes", _("What the user confirmed")),), style="primary"),
        Action("confirm", _("Confirm and write the transfer-out item"), sources=(S.CHECKED,), target=S.CONFIRMED,
               roles=REVIEWERS,
               fields=(_text("confirmed_with", _("Confirmed with (developer or user)"), max_length=100),
                       _text("summary", _("Summary for the report")),
                       _text("impact", _("Impact")),
                       _text("suggestion", _("Suggested handling"), required=False)),
               effects=(_confirmed,), style="success",
               description=_("It is a program bug (confirmed with a developer) or a requirement change (confirmed "
                             "with the user): fill in its part of the application-system transfer-out report.")),
        Action("return_to_handler", _("Not confirmed: return to the handler"), sources=(S.REVIEWING, S.CHECKED),
               target=S.RETURNED, roles=REVIEWERS,
               fields=(_text("reason", _("Reason"), "return_reason", max_length=2000),), style="danger"),
        Action("resubmit", _("Resubmit"), sources=(S.RETURNED,), target=S.SUBMITTED, roles=HANDLERS,
               fields=(_text("description", _("Revised description"), required=False, max_length=20000),),
               style="primary"),
        Action("withdraw", _("Withdraw"), sources=(S.RETURNED,), target=S.WITHDRAWN, roles=HANDLERS,
               style="secondary", description=_("It was not a bug or requirement after all.")),
        Action("mark_urgent", _("Urgent: transfer today"), sources=(S.CONFIRMED,), target=S.IN_REPORT,
               roles=REVIEWERS, effects=(_urgent,), style="danger",
               description=_("Urgent and severe: its own transfer-out report goes to the application owner "
                             "today.")),
        Action("queue_monthly", _("Not urgent: monthly report"), sources=(S.CONFIRMED,), target=S.QUEUED,
               roles=REVIEWERS, effects=(_not_urgent,), style="secondary",
               description=_("It goes out with this month's transfer-out report.")),
        Action("add_to_report", _("Added to the monthly report"), sources=(S.QUEUED,), target=S.IN_REPORT,
               roles=SYSTEM, comment=False),
        Action("transfer", _("Transferred to the application division"), sources=(S.IN_REPORT,),
               target=S.TRANSFERRED, roles=SYSTEM, comment=False),
        Action("answer", _("Answer"), sources=(S.TRANSFERRED,), target=S.ANSWERED, roles=APP_DIVISION,
               fields=(_text("answer", _("Answer")),
                       Field("result", _("Result"), kind="choice", choices=lambda r: AnswerResult.choices,
                             model_field="answer_result")),
               effects=(_answered,), style="success"),
        Action("cancel", _("Cancel"), sources=CANCELLABLE, target=S.CANCELLED, roles=MANAGERS,
               fields=(_text("reason", _("Reason"), "cancel_reason", max_length=2000),), style="danger"),
    ),
)

REPORT_WORKFLOW = Workflow(
    name="transfer_report",
    model=TransferReport,
    states=ReportStatus,
    initial=R.DRAFT,
    roles_of=confirmation_roles,
    audit_fields=("status", "return_reason"),
    terminal=(R.ANSWERED,),
    actions=(
        Action("submit", _("Submit to the application owner"), sources=(R.DRAFT, R.RETURNED),
               target=R.SUBMITTED, roles=REVIEWERS | SYSTEM, effects=(_report_submitted,), style="primary"),
        Action("approve", _("Approve and transfer"), sources=(R.SUBMITTED,), target=R.TRANSFERRED,
               roles=APP_OWNERS, effects=(_report_approved,), style="success",
               description=_("Approve the report and transfer its items to the application division.")),
        Action("send_back", _("Send back"), sources=(R.SUBMITTED,), target=R.RETURNED, roles=APP_OWNERS,
               fields=(_text("reason", _("Reason"), "return_reason", max_length=2000),), style="danger"),
        Action("mark_answered", _("Every item answered"), sources=(R.TRANSFERRED,), target=R.ANSWERED,
               roles=SYSTEM, comment=False),
    ),
)

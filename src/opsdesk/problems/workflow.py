"""The problem procedure (问题管理), declared as data on the workflow engine (core.workflow).

new → investigating (root-cause analysis) → known error (root cause and workaround recorded) → solved (a
permanent solution is required) → closed (the project manager). Cancel (with a reason) from any working
state, by the project manager; reopen (with a reason) from solved. Second-line and on-site engineers, problem
reviewers and the project manager of the contract investigate; client people hold no role here (they never
see problems). Solving resolves the linked incidents through the incident procedure (services.py does it,
so that this declaration stays data).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.choices import Role
from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import access_for, staff_on_contract, staff_picker
from opsdesk.core.db import one_or_none
from opsdesk.core.workflow import SYSTEM_ROLE, Action, ActionContext, Field, Workflow

from .choices import WORKING_STATUSES, ProblemStatus
from .models import Problem, ProblemIncident

S = ProblemStatus
INVESTIGATORS = frozenset({Role.SECOND_LINE, Role.ENGINEER, Role.PROJECT_MANAGER, Role.REVIEWER})
MANAGERS = frozenset({Role.PROJECT_MANAGER})
TEXT_MAX = 10000


def problem_roles(user: User | None, problem: Problem) -> frozenset[str]:
    """The contract roles `user` holds on the problem's contract that carry a problem action."""
    if user is None:
        return frozenset({SYSTEM_ROLE})
    return access_for(user).roles_on(problem.contract_id) & (INVESTIGATORS | MANAGERS)


def _investigator_choices(problem: Problem) -> list[tuple[str, str]]:
    return staff_picker(problem, INVESTIGATORS)


def _investigator(value: Any, field: Field, problem: Problem) -> User:
    user = one_or_none(staff_on_contract(contract_id=problem.contract_id, roles=INVESTIGATORS)
                       .filter(username=str(value)))
    if user is None:
        raise ValueError(gettext("“%(value)s” is not an investigator on this contract.") % {"value": value})
    return user


# --- effects -----------------------------------------------------------------------------------------

def _take(ctx: ActionContext) -> None:
    problem: Problem = ctx.record
    problem.owner = problem.owner or ctx.actor
    problem.assignee = ctx.data.get("assignee") or problem.assignee or ctx.actor
    problem.save(update_fields=["owner", "assignee"])
    ctx.audit_extra.update(owner=problem.owner.username, assignee=problem.assignee.username)


def _assign(ctx: ActionContext) -> None:
    problem: Problem = ctx.record
    user: User = ctx.data["assignee"]
    problem.assignee = user
    problem.save(update_fields=["assignee"])
    ctx.audit_extra["assignee"] = user.username


def _known_error(ctx: ActionContext) -> None:
    problem: Problem = ctx.record
    problem.known_error = True
    problem.save(update_fields=["known_error"])


def _solved(ctx: ActionContext) -> None:
    from .services import resolve_linked_incidents  # the incident procedure, called through its services

    problem: Problem = ctx.record
    problem.solved_at = timezone.now()
    problem.save(update_fields=["solved_at"])
    resolved, left = resolve_linked_incidents(problem=problem, by=ctx.actor)
    ctx.audit_extra.update(resolved_incidents=resolved, incidents_left=left)
    if resolved:
        ctx.timeline_extra["resolved_incidents"] = ", ".join(resolved)


def _reopened(ctx: ActionContext) -> None:
    problem: Problem = ctx.record
    problem.solved_at = None
    problem.reopen_count += 1
    problem.save(update_fields=["solved_at", "reopen_count"])


def _ended(ctx: ActionContext) -> None:
    """Closed or cancelled: the linked incidents are free to be linked to another problem."""
    problem: Problem = ctx.record
    if ctx.to_status == S.CLOSED:
        problem.closed_at = timezone.now()
        problem.save(update_fields=["closed_at"])
    ProblemIncident.objects.filter(problem=problem, active=True).update(active=False)


def _after(ctx: ActionContext) -> None:
    """After the action's own timeline entry: a note listing the incidents solving could not move."""
    left = ctx.audit_extra.get("incidents_left") or []
    if ctx.action.name == "solve" and left:
        from .services import add_system_note

        add_system_note(problem=ctx.record, action="incidents_left", data={"incidents": left},
                        body="\n".join(f"{item['number']}: {item['reason']}" for item in left))


REASON = Field("reason", _("Reason"), kind="textarea", max_length=2000)
ROOT_CAUSE_OPTIONAL = Field("root_cause", _("Root cause"), kind="textarea", required=False, max_length=TEXT_MAX,
                            model_field="root_cause",
                            help_text=_("Required unless it was recorded before."))
ASSIGNEE = Field("assignee", _("Assignee"), kind="user", choices=_investigator_choices, clean=_investigator)

PROBLEM_WORKFLOW = Workflow(
    name="problem",
    model=Problem,
    states=ProblemStatus,
    initial=S.NEW,
    roles_of=problem_roles,
    audit_fields=("status", "owner", "assignee", "known_error", "root_cause", "workaround", "solution",
                  "cancel_reason"),
    terminal=(S.CLOSED, S.CANCELLED),
    after_action=_after,
    actions=(
        Action("investigate", _("Start investigation"), sources=(S.NEW,), target=S.INVESTIGATING,
               roles=INVESTIGATORS,
               fields=(Field("assignee", _("Assignee"), kind="user", required=False, choices=_investigator_choices,
                             clean=_investigator),),
               effects=(_take,), style="primary",
               description=_("Start the root-cause analysis; the assignee (you when none is chosen) works it.")),
        Action("assign", _("Assign"), sources=WORKING_STATUSES, roles=INVESTIGATORS, fields=(ASSIGNEE,),
               effects=(_assign,)),
        Action("record_analysis", _("Record root cause"), sources=(S.INVESTIGATING, S.KNOWN_ERROR),
               roles=INVESTIGATORS,
               fields=(Field("root_cause", _("Root cause"), kind="textarea", max_length=TEXT_MAX,
                             model_field="root_cause"),),
               description=_("Write down what the analysis found so far.")),
        Action("mark_known_error", _("Record as known error"), sources=(S.INVESTIGATING,), target=S.KNOWN_ERROR,
               roles=INVESTIGATORS,
               fields=(ROOT_CAUSE_OPTIONAL,
                       Field("workaround", _("Workaround"), kind="textarea", max_length=TEXT_MAX,
                             model_field="workaround")),
               effects=(_known_error,), style="warning",
               description=_("The cause is known and a workaround helps the users until the permanent fix.")),
        Action("solve", _("Solve"), sources=(S.INVESTIGATING, S.KNOWN_ERROR), target=S.SOLVED,
               roles=INVESTIGATORS,
               fields=(ROOT_CAUSE_OPTIONAL,
                       Field("solution", _("Permanent solution"), kind="textarea", max_length=TEXT_MAX,
                             model_field="solution")),
               effects=(_solved,), style="success",
               description=_("Record the permanent solution. Every linked incident still being worked is "
                             "resolved with it and its requester asked to confirm.")),
        Action("close", _("Close"), sources=(S.SOLVED,), target=S.CLOSED, roles=MANAGERS, effects=(_ended,),
               style="secondary", description=_("The solution holds: close the problem.")),
        Action("reopen", _("Reopen"), sources=(S.SOLVED,), target=S.INVESTIGATING,
               roles=INVESTIGATORS | {SYSTEM_ROLE},
               fields=(REASON,), effects=(_reopened,), style="danger",
               description=_("The solution did not hold: investigate again.")),
        Action("cancel", _("Cancel"), sources=WORKING_STATUSES, target=S.CANCELLED, roles=MANAGERS,
               fields=(Field("reason", _("Reason"), kind="textarea", max_length=2000, model_field="cancel_reason"),),
               effects=(_ended,), style="danger",
               description=_("Not a problem after all, or a duplicate: end it with the reason.")),
    ),
)

# Actions whose `root_cause` input may be left empty only when the problem has one recorded already.
NEEDS_ROOT_CAUSE = frozenset({"mark_known_error", "solve"})

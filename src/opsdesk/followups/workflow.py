"""The follow-up procedure (问题回访与确认规程), declared as data on the workflow engine.

open → verify (the on-site engineer checks the solution is right) → call back (tells the user the solution)
→ the user confirms it works with no side effects (the user on the portal, or the engineer recording the
call) or sends it back (the ticket goes back to be worked: `on_sent_back` of its registered kind) → the
project manager updates the tracking table (转出问题跟踪表) → the engineer records the solution and closes
(the ticket is closed: `on_confirmed`). The project manager may cancel a follow-up that is no longer needed.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.choices import Role
from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import access_for
from opsdesk.core.workflow import SYSTEM_ROLE, Action, ActionContext, Field, Workflow

from .choices import OPEN_STATUSES, FollowUpStatus
from .models import FollowUp
from .registry import kind_of

S = FollowUpStatus
REQUESTER = "ticket_requester"  # the person the ticket was for (a pseudo-role of this record)
FOLLOWERS = frozenset({Role.ENGINEER, Role.SECOND_LINE, Role.AGENT})  # 现场应用运维岗 and the desk
MANAGERS = frozenset({Role.PROJECT_MANAGER})
USERS = frozenset({REQUESTER, Role.CLIENT_CONTACT})
TEXT_MAX = 10000


def followup_roles(user: User | None, follow_up: FollowUp) -> frozenset[str]:
    if user is None:
        return frozenset({SYSTEM_ROLE})
    access = access_for(user)
    roles = set(access.roles_on(follow_up.contract_id) & (FOLLOWERS | MANAGERS))
    if follow_up.organisation_id in access.contact_org_ids:
        roles.add(Role.CLIENT_CONTACT)
    if follow_up.requester_id == user.pk:
        roles.add(REQUESTER)
    return frozenset(roles)


def ticket_of(follow_up: FollowUp) -> Any:
    model = follow_up.ticket_type.model_class()
    assert model is not None
    return model._default_manager.get(pk=follow_up.ticket_id)


def _must_be_true(value: Any, field: Field, record: Any) -> bool:
    if str(value).lower() not in ("1", "true", "on", "yes"):
        raise ValueError(gettext("Only a user who saw no side effects confirms; otherwise send it back."))
    return True


def _sent_back(ctx: ActionContext) -> None:
    follow_up: FollowUp = ctx.record
    follow_up.closed_at = timezone.now()
    follow_up.save(update_fields=["closed_at"])
    ticket = ticket_of(follow_up)
    kind_of(type(ticket)).on_sent_back(ticket, follow_up, ctx.actor, ctx.data["reason"])
    ctx.audit_extra["ticket"] = follow_up.ticket_number


def _closed(ctx: ActionContext) -> None:
    follow_up: FollowUp = ctx.record
    follow_up.closed_at = timezone.now()
    follow_up.save(update_fields=["closed_at"])
    ticket = ticket_of(follow_up)
    kind_of(type(ticket)).on_confirmed(ticket, follow_up, ctx.actor)
    ctx.audit_extra["ticket"] = follow_up.ticket_number


def _cancelled(ctx: ActionContext) -> None:
    follow_up: FollowUp = ctx.record
    follow_up.closed_at = timezone.now()
    follow_up.save(update_fields=["closed_at"])


def _text(name: str, label: Any, model_field: str, *, required: bool = True) -> Field:
    return Field(name, label, kind="textarea", required=required, max_length=TEXT_MAX, model_field=model_field)


FOLLOWUP_WORKFLOW = Workflow(
    name="follow_up",
    model=FollowUp,
    states=FollowUpStatus,
    initial=S.OPEN,
    roles_of=followup_roles,
    audit_fields=("status", "verification", "callback_note", "user_statement", "sent_back_reason",
                  "tracking_note", "solution_record", "cancel_reason"),
    terminal=(S.CLOSED, S.SENT_BACK, S.CANCELLED),
    actions=(
        Action("verify", _("Verify the solution"), sources=(S.OPEN,), target=S.VERIFIED, roles=FOLLOWERS,
               fields=(_text("verification", _("How the solution was verified"), "verification"),),
               style="primary",
               description=_("Check that the solution handed over is right before telling the user.")),
        Action("call_back", _("Call the user back"), sources=(S.VERIFIED,), target=S.CALLED_BACK,
               roles=FOLLOWERS,
               fields=(_text("callback_note", _("What the user was told"), "callback_note"),),
               style="primary", description=_("Tell the user the solution and ask them to apply and check it.")),
        Action("confirm", _("User confirms: solved, no side effects"), sources=(S.CALLED_BACK,),
               target=S.CONFIRMED, roles=FOLLOWERS | USERS,
               fields=(Field("no_side_effects", _("Solved, and no side effects seen"), kind="bool",
                             clean=_must_be_true),
                       _text("user_statement", _("The user's words"), "user_statement", required=False)),
               style="success",
               description=_("The user applied the solution, checked it, and saw nothing else break.")),
        Action("send_back", _("Not satisfied: send back"), sources=(S.CALLED_BACK, S.CONFIRMED),
               target=S.SENT_BACK, roles=FOLLOWERS | USERS | MANAGERS,
               fields=(_text("reason", _("What is still wrong"), "sent_back_reason"),),
               effects=(_sent_back,), style="danger",
               description=_("The solution does not hold or caused something else: the ticket goes back to be "
                             "worked again.")),
        Action("update_tracking", _("Update the tracking table"), sources=(S.CONFIRMED,), target=S.TRACKED,
               roles=MANAGERS,
               fields=(_text("tracking_note", _("Note"), "tracking_note", required=False),),
               style="primary", description=_("Mark the ticket closed in the transfer-out tracking table.")),
        Action("close", _("Record the solution and close"), sources=(S.TRACKED,), target=S.CLOSED,
               roles=FOLLOWERS,
               fields=(_text("solution_record", _("Solution as recorded"), "solution_record", required=False),),
               effects=(_closed,), style="success",
               description=_("The ticket is closed with its solution.")),
        Action("cancel", _("Cancel"), sources=OPEN_STATUSES, target=S.CANCELLED, roles=MANAGERS,
               fields=(_text("reason", _("Reason"), "cancel_reason"),), effects=(_cancelled,), style="danger"),
    ),
)

"""Every write to follow-ups: opening one on a resolved ticket (idempotent) and taking its actions."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction

from opsdesk.accounts.models import User
from opsdesk.core.audit import audit_record
from opsdesk.core.models import Activity, ActivityKind
from opsdesk.core.numbering import next_number
from opsdesk.core.workflow import perform

from .choices import ENDED_STATUSES
from .models import FollowUp
from .registry import kind_of
from .workflow import FOLLOWUP_WORKFLOW


def open_followup_of(ticket: Any) -> FollowUp | None:
    """The follow-up under way on `ticket`, if any."""
    return (FollowUp.objects.filter(ticket_type=ContentType.objects.get_for_model(type(ticket)),
                                    ticket_id=ticket.pk).exclude(status__in=ENDED_STATUSES).first())


def followup_open(*, ticket: Any, by: User | None) -> FollowUp:
    """Open the follow-up of a resolved `ticket` (any registered ticket type), or return the one under way.

    Called inside the transaction of the write that resolved the ticket; a unique constraint keeps one open
    follow-up per ticket even when two resolutions race.
    """
    kind = kind_of(type(ticket))
    existing = open_followup_of(ticket)
    if existing is not None:
        return existing
    requester = kind.requester_of(ticket)
    try:
        with transaction.atomic():
            follow_up = FollowUp.objects.create(
                number=next_number("FUP"), contract_id=ticket.contract_id, organisation_id=ticket.organisation_id,
                ticket_type=ContentType.objects.get_for_model(type(ticket)), ticket_id=ticket.pk,
                ticket_number=ticket.number, ticket_title=str(ticket.title)[:200], requester=requester,
                opened_by=by)
    except IntegrityError:
        found = open_followup_of(ticket)
        if found is None:
            raise
        return found
    Activity.objects.create(content_type=ContentType.objects.get_for_model(FollowUp), object_id=follow_up.pk,
                            kind=ActivityKind.CREATED, to_status=follow_up.status, actor=by,
                            data={"ticket": ticket.number})
    audit_record(actor=by, action="follow_up.create", instance=follow_up,
                 after={"number": follow_up.number, "ticket": ticket.number, "status": follow_up.status})
    return follow_up


def followup_act(*, follow_up: FollowUp, action: str, by: User, data: dict[str, Any] | None = None,
                 version: int | None = None) -> FollowUp:
    """Take a follow-up action (see workflow.py); the outcome moves the ticket through its registered kind."""
    result: FollowUp = perform(FOLLOWUP_WORKFLOW, record=follow_up, action=action, by=by, data=data,
                               version=version)
    return result


def followup_note(follow_up: FollowUp, *, body: str, by: User | None = None) -> Activity:
    """A system line on the follow-up's timeline (e.g. the ticket was closed some other way)."""
    return Activity.objects.create(content_type=ContentType.objects.get_for_model(FollowUp), object_id=follow_up.pk,
                                   kind=ActivityKind.SYSTEM, action="note", actor=by, body=body)


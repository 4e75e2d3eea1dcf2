"""Every write to service requests: creation, the procedure actions of the request's kind, comments, and the
follow-up outcome (registered with the followups app in apps.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.accounts.choices import CLIENT_ROLES, Role
from opsdesk.accounts.models import Contract, User
from opsdesk.accounts.selectors import access_for
from opsdesk.core.audit import audit_record, snapshot
from opsdesk.core.errors import DomainError, NotFound, ValidationError
from opsdesk.core.models import Activity, ActivityKind
from opsdesk.core.numbering import next_number
from opsdesk.core.workflow import perform
from opsdesk.incidents.models import Incident
from opsdesk.problems.models import Problem

from .choices import RequestKind, RequestStatus
from .models import SYSTEM_MAX, TITLE_MAX, ServiceRequest
from .selectors import is_request_staff, request_visibility_q
from .workflow import CLIENT_CREATORS, CREATORS, STAFF_CREATORS, workflow_for

DESCRIPTION_MAX = 20000
COMMENT_MAX = 10000
CREATE_AUDIT_FIELDS = ("number", "kind", "title", "status", "contract", "requester", "affected_system", "incident",
                       "problem", "desired_date")


def _ct_id() -> int:
    return ContentType.objects.get_for_model(ServiceRequest).pk


def _text(errors: dict[str, str], name: str, value: Any, *, required: bool = False,
          max_length: int = DESCRIPTION_MAX) -> str:
    text = "" if value is None else str(value).strip()
    if "\x00" in text:
        errors[name] = _("Null characters are not allowed.")
    elif required and not text:
        errors[name] = _("This field is required.")
    elif len(text) > max_length:
        errors[name] = _("At most %(n)d characters (you gave %(m)d).") % {"n": max_length, "m": len(text)}
    return text


def _date(errors: dict[str, str], value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            errors["desired_date"] = _("Use a date like 2026-11-22.")
            return None
    day: dt.date = value
    if day < timezone.localdate():
        errors["desired_date"] = _("The desired date cannot be in the past.")
    return day


def _requester(errors: dict[str, str], by: User, contract: Contract, requester: User | None) -> User | None:
    """A client person of the contract; the creator when a client creates it without naming one. A plain
    requester asks only for themselves."""
    roles = access_for(by).roles_on(contract.pk)
    is_client = not (roles & STAFF_CREATORS) and bool(roles & CLIENT_CREATORS)
    if requester is None:
        return by if is_client else None
    if is_client and roles & CLIENT_CREATORS == {Role.REQUESTER} and requester.pk != by.pk:
        errors["requester"] = _("You can only ask for yourself.")
    elif not (access_for(requester).roles_on(contract.pk) & CLIENT_ROLES) or not requester.is_active:
        errors["requester"] = _("%(name)s is not a client person of this contract.") % {
            "name": requester.display_name}
    return requester


def request_create(*, by: User, contract: Contract | None, kind: str, title: str, description: str = "",
                   requester: User | None = None, affected_system: str = "", incident: Incident | None = None,
                   problem: Problem | None = None, desired_date: dt.date | str | None = None) -> ServiceRequest:
    """Open a service request on a contract. Client people of the contract (requester, contact, application
    owner) and its staff (agent, engineers, project manager) may; a linked incident or problem must be of the
    same contract. Every problem with the input is reported at once, per field; nothing is written unless all
    is valid."""
    errors: dict[str, str] = {}
    title = _text(errors, "title", title, required=True, max_length=TITLE_MAX)
    description = _text(errors, "description", description)
    affected_system = _text(errors, "affected_system", affected_system, max_length=SYSTEM_MAX)
    date = _date(errors, desired_date)
    if kind not in RequestKind.values:
        errors["kind"] = _("Choose the kind of request.")
    if contract is None or not access_for(by).roles_on(contract.pk):
        errors["contract"] = _("Unknown contract.")  # not yours: indistinguishable from absent
    elif not contract.is_active:
        errors["contract"] = _("This contract is not active.")
    elif not access_for(by).roles_on(contract.pk) & CREATORS:
        errors["contract"] = _("Your role on this contract does not open service requests.")
    else:
        requester = _requester(errors, by, contract, requester)
        if incident is not None and incident.contract_id != contract.pk:
            errors["incident"] = _("%(number)s is on another contract.") % {"number": incident.number}
        if problem is not None and problem.contract_id != contract.pk:
            errors["problem"] = _("%(number)s is on another contract.") % {"number": problem.number}
    if errors:
        raise ValidationError(fields=errors)
    assert contract is not None
    with transaction.atomic():
        sr = ServiceRequest.objects.create(
            number=next_number("SRQ"), kind=kind, contract=contract, organisation_id=contract.organisation_id,
            title=title, description=description, requester=requester, created_by=by,
            affected_system=affected_system, incident=incident, problem=problem, desired_date=date)
        Activity.objects.create(content_type_id=_ct_id(), object_id=sr.pk, kind=ActivityKind.CREATED,
                                to_status=sr.status, actor=by, data={"kind": kind})
        audit_record(actor=by, action="service_request.create", instance=sr,
                     after=snapshot(sr, CREATE_AUDIT_FIELDS))
    return sr


def request_act(*, sr: ServiceRequest, action: str, by: User | None, data: dict[str, Any] | None = None,
                version: int | None = None) -> ServiceRequest:
    """Take an action of the request's procedure (the declaration of its kind, workflow.py).

    When a step's effect refuses the input after the record moved in memory (e.g. a change window ending
    before it starts), the transaction is rolled back and the record read again, so the caller never sees a
    state that was not written."""
    seen = sr.version
    try:
        result: ServiceRequest = perform(workflow_for(sr), record=sr, action=action, by=by, data=data,
                                         version=version)
    except DomainError:
        if sr.version != seen:
            sr.refresh_from_db()
        raise
    return result


def request_comment(*, sr: ServiceRequest, by: User, body: str, internal: bool = False) -> Activity:
    """A comment on the request's timeline (anyone who sees it), or an internal note (its contract's staff)."""
    if not ServiceRequest.objects.filter(request_visibility_q(by), pk=sr.pk).exists():
        raise NotFound(_("There is no service request %(number)s.") % {"number": sr.number},
                       code="service_request_not_found")
    errors: dict[str, str] = {}
    body = _text(errors, "body", body, required=True, max_length=COMMENT_MAX)
    if internal and not is_request_staff(by, sr):
        errors["internal"] = _("Only the contract's staff write internal notes.")
    if errors:
        raise ValidationError(fields=errors)
    with transaction.atomic():
        activity = Activity.objects.create(
            content_type_id=_ct_id(), object_id=sr.pk, kind=ActivityKind.NOTE if internal else ActivityKind.COMMENT,
            actor=by, body=body, internal=internal)
        audit_record(actor=by, action="service_request.note" if internal else "service_request.comment",
                     instance=sr, after={"activity": activity.pk, "internal": internal})
    return activity


# --- follow-up outcome (registered in apps.py) -----------------------------------------------------------------

def followup_confirmed(sr: ServiceRequest, follow_up: Any, by: User) -> None:
    """The user confirmed the solution and the follow-up closed: the request waits for its closure (闭单)."""
    sr.refresh_from_db()
    if sr.status == RequestStatus.FOLLOW_UP:
        request_act(sr=sr, action="follow_up_confirmed", by=None, data={
            "comment": _("Confirmed in follow-up %(number)s by %(name)s.") % {
                "number": follow_up.number, "name": by.display_name if by is not None else "—"}})


def followup_sent_back(sr: ServiceRequest, follow_up: Any, by: User, reason: str) -> None:
    """The user was not satisfied: the request goes back to its handler, the reason recorded."""
    sr.refresh_from_db()
    if sr.status == RequestStatus.FOLLOW_UP:
        request_act(sr=sr, action="follow_up_sent_back", by=None, data={
            "reason": (reason or "—")[:2000],
            "comment": _("Sent back in follow-up %(number)s.") % {"number": follow_up.number}})

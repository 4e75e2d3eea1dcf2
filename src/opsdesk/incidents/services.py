"""Every write to incidents: creation, workflow actions, comments, notes and attachments."""

from __future__ import annotations

import datetime as dt
import mimetypes
import secrets
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.accounts.choices import SERVICE_ROLES, Role
from opsdesk.accounts.models import Contract, User
from opsdesk.accounts.selectors import access_for
from opsdesk.core import sql
from opsdesk.core.audit import audit_entry, audit_record, snapshot
from opsdesk.core.errors import NotFound, PermissionDenied, ValidationError
from opsdesk.core.models import Activity, ActivityKind, Attachment
from opsdesk.core.numbering import next_number
from opsdesk.core.workflow import perform
from opsdesk.sla.choices import Metric
from opsdesk.sla.services import clocks_prepare, clocks_start, clocks_stop

from . import events
from .choices import Channel, Level
from .models import TITLE_MAX, Incident, IncidentCategory
from .selectors import is_service_staff
from .workflow import INCIDENT_WORKFLOW, incident_roles

TEXT_MAX = 20000
CREATE_AUDIT_FIELDS = ("number", "title", "status", "level", "channel", "contract", "requester", "owner",
                       "assignee", "category", "affected_system", "reported_at")
# Who may log an incident on a contract for someone else (an agent on the phone); requesters log their own.
LOGGERS = SERVICE_ROLES | {Role.CLIENT_CONTACT}


def _text(errors: dict[str, str], name: str, value: Any, *, required: bool = False, max_length: int = TEXT_MAX) -> str:
    text = "" if value is None else str(value)
    text = text.strip()
    if required and not text:
        errors[name] = _("This field is required.")
    elif len(text) > max_length:
        errors[name] = _("At most %(n)d characters (you gave %(m)d).") % {"n": max_length, "m": len(text)}
    return text


REPORTED_AT_MAX_AGE = dt.timedelta(days=30)
CLOCK_SKEW = dt.timedelta(seconds=60)


def _reported_at(errors: dict[str, str], value: dt.datetime | str | None, now: dt.datetime) -> dt.datetime:
    """When the call came in: now when not given; never in the future (a minute of clock skew is taken as
    now), at most 30 days back. A time without offset is Asia/Shanghai time."""
    if value in (None, ""):
        return now
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            errors["reported_at"] = _("Use a date and time like 2026-11-22 14:30.")
            return now
    assert isinstance(value, dt.datetime)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > now + CLOCK_SKEW:
        errors["reported_at"] = _("The call cannot have come in in the future.")
    elif value < now - REPORTED_AT_MAX_AGE:
        errors["reported_at"] = _("At most %(days)d days back.") % {"days": REPORTED_AT_MAX_AGE.days}
    return min(value, now)


def incident_create(*, by: User, contract: Contract | None, requester: User | None, title: str,
                    description: str = "", symptom: str = "", operation_steps: str = "", error_message: str = "",
                    channel: str = Channel.PHONE, level: int | str | None = Level.L4,
                    category: IncidentCategory | None = None, affected_system: str = "",
                    contact_phone: str = "", reported_at: dt.datetime | str | None = None) -> Incident:
    """Log an incident. Staff log for any requester of the contract's organisation; requesters for themselves.

    `reported_at` is when the call came in (default now); the SLA clocks start there.

    Every problem with the input is reported at once, per field; nothing is written unless all is valid.
    """
    errors: dict[str, str] = {}
    title = _text(errors, "title", title, required=True, max_length=TITLE_MAX)
    description = _text(errors, "description", description)
    symptom = _text(errors, "symptom", symptom)
    operation_steps = _text(errors, "operation_steps", operation_steps)
    error_message = _text(errors, "error_message", error_message)
    affected_system = _text(errors, "affected_system", affected_system, max_length=200)
    contact_phone = _text(errors, "contact_phone", contact_phone, max_length=40)
    reported = _reported_at(errors, reported_at, timezone.now())
    if channel not in Channel.values:
        errors["channel"] = _("Unknown channel “%(value)s”.") % {"value": channel}
    try:
        level_value = int(level) if level not in (None, "") else 0
    except (TypeError, ValueError):
        level_value = 0
    if level_value not in Level.values:
        errors["level"] = _("The level must be 1, 2, 3 or 4.")
    if category is not None and not category.is_active:
        errors["category"] = _("This category is no longer in use.")
    access = access_for(by)
    if contract is None:
        errors["contract"] = _("Unknown contract.")
    elif not contract.is_active:
        errors["contract"] = _("This contract is not active.")
    else:
        roles = access.roles_on(contract.pk)
        if not roles:
            errors["contract"] = _("Unknown contract.")  # not yours: indistinguishable from absent
        elif requester is None:
            errors["requester"] = _("Unknown requester.")
        elif requester.pk != by.pk and not roles & LOGGERS:
            errors["requester"] = _("You may only report incidents for yourself.")
        elif requester.pk == by.pk and not roles & (LOGGERS | {Role.REQUESTER}):
            errors["contract"] = _("You may not report incidents on this contract.")
        elif requester.organisation_id != contract.organisation_id and requester.pk != by.pk:
            errors["requester"] = _("The requester does not belong to the contract's client organisation.")
        elif Role.CLIENT_CONTACT in roles and not roles & SERVICE_ROLES and \
                requester.organisation_id != by.organisation_id:
            errors["requester"] = _("The requester does not belong to your organisation.")
    if errors:
        raise ValidationError(fields=errors)
    assert contract is not None and requester is not None
    with transaction.atomic():
        # core.sql.insert: the ORM's own field preparation, one prepared statement (creation is a hot path).
        incident = Incident(
            number=next_number("INC"), title=title, description=description, symptom=symptom,
            operation_steps=operation_steps, error_message=error_message, channel=channel, level=level_value,
            category=category, affected_system=affected_system, contract=contract,
            organisation=contract.organisation, requester=requester, created_by=by,
            contact_phone=contact_phone or requester.phone, reported_at=reported,
        )
        clocks_prepare(incident, at=reported)  # the SLA list fields go in with the row (no UPDATE after)
        incident = sql.insert(incident)
        # The timeline entry and the audit entry in one statement on PostgreSQL (core.sql.insert_many).
        sql.insert_many(
            Activity(content_type=ContentType.objects.get_for_model(Incident), object_id=incident.pk,
                     kind=ActivityKind.CREATED, to_status=incident.status, actor=by,
                     data={"channel": channel, "level": level_value}),
            audit_entry(actor=by, action="incident.create", instance=incident,
                        after=snapshot(incident, CREATE_AUDIT_FIELDS)))
        clocks_start(incident, at=reported)
        transaction.on_commit(lambda: events.incident_created.send(sender=Incident, incident_id=incident.pk))
    return incident


def incident_act(*, incident: Incident, action: str, by: User, data: dict[str, Any] | None = None,
                 version: int | None = None) -> Incident:
    """Take a workflow action (accept, dispatch, resolve …) on an incident; see workflow.py."""
    result: Incident = perform(INCIDENT_WORKFLOW, record=incident, action=action, by=by, data=data, version=version)
    return result




@transaction.atomic
def incident_comment(*, incident: Incident, by: User, body: str, internal: bool = False) -> Activity:
    """Add a comment (visible to the requester) or an internal note (staff only) to the timeline."""
    errors: dict[str, str] = {}
    body = _text(errors, "body", body, required=True, max_length=TEXT_MAX)
    if errors:
        raise ValidationError(fields=errors)
    roles = incident_roles(by, incident)
    if not roles:
        raise NotFound()
    if internal and not is_service_staff(by, incident):
        raise PermissionDenied(_("Only service staff may write internal notes."))
    activity = Activity.objects.create(
        content_type=ContentType.objects.get_for_model(Incident), object_id=incident.pk,
        kind=ActivityKind.NOTE if internal else ActivityKind.COMMENT, actor=by, body=body, internal=internal)
    audit_record(actor=by, action="incident.note" if internal else "incident.comment", instance=incident,
                 after={"activity": activity.pk, "internal": internal})
    if not internal and is_service_staff(by, incident):  # the first reply the requester sees is a response
        clocks_stop(incident, metrics=(Metric.RESPONSE,), at=activity.created_at, reason="first reply")
    return activity


def incident_attach(*, incident: Incident, by: User, upload: UploadedFile, internal: bool = False) -> Attachment:
    """Attach a file to an incident; it is stored outside the web root under a random key."""
    limit = settings.MAX_ATTACHMENT_BYTES
    if upload is None:
        raise ValidationError(fields={"file": _("Choose a file.")})
    size = upload.size or 0
    if size > limit:
        raise ValidationError(fields={"file": _("The file is larger than %(mb)d MB.") % {"mb": limit // (1024 * 1024)}})
    if size == 0:
        raise ValidationError(fields={"file": _("The file is empty.")})
    roles = incident_roles(by, incident)
    if not roles:
        raise NotFound()
    if internal and not is_service_staff(by, incident):
        raise PermissionDenied(_("Only service staff may attach internal files."))
    name = (upload.name or "file").replace("\\", "/").rsplit("/", 1)[-1][:255]
    ctype = upload.content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    with transaction.atomic():
        activity = Activity.objects.create(
            content_type=ContentType.objects.get_for_model(Incident), object_id=incident.pk,
            kind=ActivityKind.ATTACHMENT, actor=by, body=name, internal=internal, data={"size": size})
        att = Attachment(content_type_id=activity.content_type_id, object_id=incident.pk, activity=activity,
                         storage_key=secrets.token_hex(16), name=name, size=size,
                         content_type_header=ctype[:120], uploaded_by=by, internal=internal)
        att.file.save(att.storage_key, upload, save=False)
        try:
            att.save()
        except Exception:
            att.file.delete(save=False)
            raise
        audit_record(actor=by, action="incident.attach", instance=incident,
                     after={"attachment": att.pk, "name": name, "size": size})
    return att


@transaction.atomic
def incident_category_create(*, by: User | None, name: str, parent: IncidentCategory | None = None) -> IncidentCategory:
    """Create an incident category (under `parent` for the second level); an existing one is returned as is."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(fields={"name": _("This field is required.")})
    if len(name) > 100:
        raise ValidationError(fields={"name": _("At most %(n)d characters.") % {"n": 100}})
    category, created = IncidentCategory.objects.get_or_create(parent=parent, name=name)
    if created:
        audit_record(actor=by, action="incident_category.create", instance=category,
                     after={"name": name, "parent": parent.pk if parent else None})
    return category

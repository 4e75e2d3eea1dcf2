"""Every write to incidents: creation, workflow actions, comments, notes and attachments."""

from __future__ import annotations

import datetime as dt
import mimetypes
import secrets
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opsdesk.accounts.choices import SERVICE_ROLES, Role
from opsdesk.accounts.models import Contract, User
from opsdesk.accounts.selectors import access_for
from opsdesk.core import sql
from opsdesk.core.audit import audit_entry, audit_record, snapshot
from opsdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from opsdesk.core.models import Activity, ActivityKind, Attachment, AuditEntry
from opsdesk.core.numbering import next_numbers
from opsdesk.core.workflow import perform
from opsdesk.sla.choices import Metric
from opsdesk.sla.escalation import recurring_fault
from opsdesk.sla.selectors import policy_for_contract
from opsdesk.sla.services import clocks_insert_many, clocks_prepare, clocks_started_many, clocks_stop

from . import events
from .choices import CallOutcome, Channel, IncidentStatus, Level
from .models import TITLE_MAX, CallRecord, Incident, IncidentCategory, SatisfactionRating
from .selectors import is_service_staff
from .workflow import CLIENT, INCIDENT_WORKFLOW, incident_roles

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


def _past_time(errors: dict[str, str], name: str, value: dt.datetime | str | None, now: dt.datetime, *,
               max_age: dt.timedelta, future_error: str) -> dt.datetime:
    """A time typed or sent for something that already happened: now when not given; never in the future (a
    minute of clock skew is taken as now), at most `max_age` back. A time without offset is Asia/Shanghai."""
    if value in (None, ""):
        return now
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            errors[name] = _("Use a date and time like 2026-11-22 14:30.")
            return now
    assert isinstance(value, dt.datetime)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > now + CLOCK_SKEW:
        errors[name] = future_error
    elif value < now - max_age:
        errors[name] = ngettext("At most %(days)d day back.", "At most %(days)d days back.",
                                max_age.days) % {"days": max_age.days}
    return min(value, now)


def _reported_at(errors: dict[str, str], value: dt.datetime | str | None, now: dt.datetime) -> dt.datetime:
    """When the call came in: at most 30 days back."""
    return _past_time(errors, "reported_at", value, now, max_age=REPORTED_AT_MAX_AGE,
                      future_error=_("The call cannot have come in in the future."))


def _new_incident(errors: dict[str, str], *, by: User, access: Any, now: dt.datetime, contract: Contract | None,
                  requester: User | None, title: str, description: str = "", symptom: str = "",
                  operation_steps: str = "", error_message: str = "", channel: str = Channel.PHONE,
                  level: int | str | None = Level.L4, category: IncidentCategory | None = None,
                  affected_system: str = "", contact_phone: str = "",
                  reported_at: dt.datetime | str | None = None) -> Incident | None:
    """The unsaved incident `by` logs (no number yet), or None with every problem of the input in `errors`."""
    title = _text(errors, "title", title, required=True, max_length=TITLE_MAX)
    description = _text(errors, "description", description)
    symptom = _text(errors, "symptom", symptom)
    operation_steps = _text(errors, "operation_steps", operation_steps)
    error_message = _text(errors, "error_message", error_message)
    affected_system = _text(errors, "affected_system", affected_system, max_length=200)
    contact_phone = _text(errors, "contact_phone", contact_phone, max_length=40)
    reported = _reported_at(errors, reported_at, now)
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
        return None
    assert contract is not None and requester is not None
    return Incident(
        title=title, description=description, symptom=symptom, operation_steps=operation_steps,
        error_message=error_message, channel=channel, level=level_value, category=category,
        affected_system=affected_system, contract=contract, organisation=contract.organisation,
        requester=requester, created_by=by, contact_phone=contact_phone or requester.phone, reported_at=reported)


def _created_activity(incident: Incident, by: User) -> Activity:
    return Activity(content_type=ContentType.objects.get_for_model(Incident), object_id=incident.pk,
                    kind=ActivityKind.CREATED, to_status=incident.status, actor=by,
                    data={"channel": incident.channel, "level": incident.level})


def _created_audit(incident: Incident, by: User) -> AuditEntry:
    return audit_entry(actor=by, action="incident.create", instance=incident,
                       after=snapshot(incident, CREATE_AUDIT_FIELDS))


def _insert_new(by: User, incidents: list[Incident], now: dt.datetime) -> None:
    """Write checked, unsaved incidents in one transaction: numbers in the order given, and each with its
    timeline entry, audit entry and SLA clocks; then, after commit, tell the receivers.

    Multi-row INSERTs, one per table, whatever the number of incidents. On PostgreSQL the incidents' keys are
    taken first (`sql.reserve_ids`), so the rows that refer to them go in before the numbered rows: the
    day's counter row is locked from the number to COMMIT, and concurrent creations queue on that lock, so
    it is taken last (bench/RESULTS.md). A recurring fault is recognised after the INSERT, each incident
    seeing those logged before it (in this batch too) and none after.
    """
    with transaction.atomic():
        policies: dict[int, Any] = {}
        memo: dict[Any, Any] | None = {} if len(incidents) > 1 else None  # clocks alike across a batch: once
        for incident in incidents:
            if incident.contract_id not in policies:
                policies[incident.contract_id] = policy_for_contract(incident.contract_id)
            # the SLA list fields go in with the row (no UPDATE after)
            clocks_prepare(incident, at=incident.reported_at, looked_up=policies[incident.contract_id],
                           recurrence=False, now=now, memo=memo)
        started = [incident.reported_at for incident in incidents]
        keys = sql.reserve_ids(Incident, len(incidents))
        if keys:
            for incident, key in zip(incidents, keys, strict=True):
                incident.pk = key
            sql.insert_rows([_created_activity(incident, by) for incident in incidents])
            clocks_insert_many(incidents, at=started)
        for incident, number in zip(incidents, next_numbers("INC", len(incidents)), strict=True):
            incident.number = number
        sql.insert_rows(incidents)
        if not keys:
            sql.insert_rows([_created_activity(incident, by) for incident in incidents])
            clocks_insert_many(incidents, at=started)
        sql.insert_rows([_created_audit(incident, by) for incident in incidents])
        ids = [incident.pk for incident in incidents]
        for position, incident in enumerate(incidents):
            policy = policies[incident.contract_id][0]
            incident._sla_recurrence = (  # type: ignore[attr-defined]
                recurring_fault(incident, policy, exclude=ids[position:]), policy)
        clocks_started_many(incidents)
        for incident in incidents:
            _announce(incident)


def _announce(incident: Incident) -> None:
    """After commit: the receivers (notifications, search indexing) learn of the new incident."""
    incident_id, level = incident.pk, incident.level
    transaction.on_commit(lambda: events.incident_created.send(sender=Incident, incident_id=incident_id, level=level))


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
    now = timezone.now()
    incident = _new_incident(
        errors, by=by, access=access_for(by), now=now, contract=contract, requester=requester,
        title=title, description=description, symptom=symptom, operation_steps=operation_steps,
        error_message=error_message, channel=channel, level=level, category=category,
        affected_system=affected_system, contact_phone=contact_phone, reported_at=reported_at)
    if incident is None:
        raise ValidationError(fields=errors)
    _insert_new(by, [incident], now)
    return incident


BATCH_MAX = 100


def incident_create_many(*, by: User, items: Sequence[dict[str, Any]],
                         reference_errors: dict[str, str] | None = None) -> list[Incident]:
    """Log up to BATCH_MAX incidents at once (a monitoring system's burst of alerts, an import), all or none.

    Each item takes `incident_create`'s arguments and is checked exactly as one logged alone; the errors of
    every item come back together, named `incidents.<index>.<field>`, and then nothing is written. Valid, the
    batch is one transaction written as `incident_create` writes one incident: consecutive numbers in the
    order given, recurring faults recognised across the batch as if logged one after the other.
    `reference_errors` are what the caller found resolving the items' references (an unknown category id),
    named the same way: they are reported with the rest and, like them, stop the batch.
    """
    if not items:
        raise ValidationError(fields={"incidents": _("Send at least one incident.")})
    if len(items) > BATCH_MAX:
        raise ValidationError(fields={"incidents": _("At most %(n)d incidents at once (you sent %(m)d).") % {
            "n": BATCH_MAX, "m": len(items)}})
    access, now = access_for(by), timezone.now()
    errors: dict[str, str] = {}
    incidents: list[Incident] = []
    for index, item in enumerate(items):
        item_errors: dict[str, str] = {}
        incident = _new_incident(item_errors, by=by, access=access, now=now, **item)
        errors.update({f"incidents.{index}.{name}": message for name, message in item_errors.items()})
        if incident is not None:
            incidents.append(incident)
    errors.update(reference_errors or {})
    if errors:
        raise ValidationError(fields=errors)
    _insert_new(by, incidents, now)
    return incidents


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


def upload_error(upload: UploadedFile | None) -> str:
    """Why a file cannot be attached ("" when it can): none chosen, empty, or over the size limit."""
    limit = settings.MAX_ATTACHMENT_BYTES
    if upload is None:
        return _("Choose a file.")
    size = upload.size or 0
    if size > limit:
        return _("The file is larger than %(mb)d MB.") % {"mb": limit // (1024 * 1024)}
    if size == 0:
        return _("The file is empty.")
    return ""


def incident_attach(*, incident: Incident, by: User, upload: UploadedFile, internal: bool = False) -> Attachment:
    """Attach a file to an incident; it is stored outside the web root under a random key."""
    if problem := upload_error(upload):
        raise ValidationError(fields={"file": problem})
    size = upload.size or 0
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


# --- the requester portal: a report with its files, the rating --------------------------------------------

MAX_SUBMIT_FILES = 5


def incident_create_with_attachments(*, by: User, attachments: list[UploadedFile] | tuple[()] = (),
                                     **create: Any) -> Incident:
    """Log an incident (incident_create's arguments) together with files, all or nothing.

    Each file is checked like an attachment added later (not empty, within the size limit), at most
    MAX_SUBMIT_FILES of them. Any bad file, like any bad field, means no incident and no stored file; the
    errors of the fields and of the files come back together (the files under `attachments`).
    """
    uploads = list(attachments)
    file_error = ""
    if len(uploads) > MAX_SUBMIT_FILES:
        file_error = _("At most %(n)d files at once.") % {"n": MAX_SUBMIT_FILES}
    for upload in uploads:
        if problem := upload_error(upload):
            file_error = f"{(upload.name or '')[:100]}: {problem}" if upload is not None else problem
            break
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            try:
                incident = incident_create(by=by, **create)
            except ValidationError as exc:
                if file_error:
                    raise ValidationError(fields={**exc.fields, "attachments": file_error}) from None
                raise
            if file_error:
                raise ValidationError(fields={"attachments": file_error})
            for upload in uploads:
                stored.append(incident_attach(incident=incident, by=by, upload=upload))
    except Exception:
        for att in stored:  # the rows are rolled back; the files on disk must go too
            att.file.delete(save=False)
        raise
    return incident


RATEABLE_STATUSES = (IncidentStatus.RESOLVED, IncidentStatus.CLOSED)
RATING_COMMENT_MAX = 2000


def incident_rate(*, incident: Incident, by: User, score: int | str | None, comment: str = "") -> SatisfactionRating:
    """Rate the service of an incident (1–5, optional comment).

    Only its requester or the client organisation's contact, only once the incident is closed or the solution
    confirmed (resolved), and only once per incident: a second rating is a Conflict, never an overwrite.
    """
    roles = incident_roles(by, incident)
    if not roles:
        raise NotFound(_("There is no incident %(number)s.") % {"number": incident.number},
                       code="incident_not_found")
    if not roles & CLIENT:
        raise PermissionDenied(_("Only the requester or the client's contact may rate the service."))
    errors: dict[str, str] = {}
    try:
        value = int(score) if score not in (None, "") and not isinstance(score, bool) else 0
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        errors["score"] = _("Choose from 1 to 5 stars.")
    comment = _text(errors, "comment", comment, max_length=RATING_COMMENT_MAX)
    if errors:
        raise ValidationError(fields=errors)
    if incident.status not in RATEABLE_STATUSES:
        raise Conflict(_("The service can be rated once the solution is confirmed or the incident is closed."),
                       code="not_rateable")
    try:
        with transaction.atomic():
            rating = SatisfactionRating.objects.create(incident=incident, score=value, comment=comment, rated_by=by)
            Activity.objects.create(
                content_type=ContentType.objects.get_for_model(Incident), object_id=incident.pk,
                kind=ActivityKind.SYSTEM, action="rated", actor=by, body=comment, data={"score": value})
            audit_record(actor=by, action="incident.rate", instance=incident,
                         after={"score": value, "comment": comment})
    except IntegrityError:  # the one-to-one key: someone rated it first (or this is a second try)
        raise Conflict(_("This incident has already been rated."), code="already_rated") from None
    return rating


# --- hotline calls ----------------------------------------------------------------------------------------

CALL_NOTES_MAX = 10000
CALL_MAX_AGE = dt.timedelta(days=1)
CALL_TAKERS = SERVICE_ROLES


def call_record_create(*, by: User, outcome: str, contract: Contract | None = None, incident: Incident | None = None,
                       phone: str = "", caller: User | None = None, notes: str = "",
                       started_at: dt.datetime | str | None = None,
                       ended_at: dt.datetime | str | None = None) -> CallRecord:
    """Record a hotline call the agent took (see CallRecord).

    A call that opened or followed up an incident links it (its contract is the incident's) and its notes go
    on the incident's timeline as an internal note; an enquiry answered on the phone needs notes and a
    contract the agent serves, and links nothing. Only service staff of the contract record calls. The call
    began at most a day ago and not after it ended (both default to now).
    """
    errors: dict[str, str] = {}
    notes = _text(errors, "notes", notes, max_length=CALL_NOTES_MAX)
    phone = _text(errors, "phone", phone, max_length=40)
    if outcome not in CallOutcome.values:
        errors["outcome"] = _("Unknown outcome “%(value)s”.") % {"value": outcome}
    elif outcome == CallOutcome.ANSWERED:
        if incident is not None:
            errors["outcome"] = _("A call about a ticket is a follow-up, not an enquiry answered without one.")
        if not notes and "notes" not in errors:
            errors["notes"] = _("Write down what the caller asked and what you answered.")
    elif incident is None:
        errors["incident"] = _("Choose the incident the call was about.")
    elif outcome == CallOutcome.FOLLOW_UP and not notes and "notes" not in errors:
        errors["notes"] = _("Write down what the caller said.")
    if incident is not None:
        contract = incident.contract
    now = timezone.now()
    future = _("The call cannot be in the future.")
    started = _past_time(errors, "started_at", started_at, now, max_age=CALL_MAX_AGE, future_error=future)
    ended = _past_time(errors, "ended_at", ended_at, now, max_age=CALL_MAX_AGE, future_error=future)
    if "started_at" not in errors and "ended_at" not in errors and ended < started:
        errors["ended_at"] = _("The call cannot end before it started.")
    if contract is None:
        errors["contract"] = _("Unknown contract.")
    elif not access_for(by).roles_on(contract.pk) & CALL_TAKERS:
        if incident is not None:
            raise NotFound(_("There is no incident %(number)s.") % {"number": incident.number},
                           code="incident_not_found")
        errors["contract"] = _("Unknown contract.")
    elif caller is not None and caller.organisation_id != contract.organisation_id:
        errors["caller"] = _("The caller does not belong to the contract's client organisation.")
    if errors:
        raise ValidationError(fields=errors)
    assert contract is not None
    with transaction.atomic():
        call = CallRecord.objects.create(contract=contract, phone=phone, caller=caller, agent=by,
                                         started_at=started, ended_at=ended, notes=notes, outcome=outcome,
                                         incident=incident)
        if incident is not None:
            Activity.objects.create(
                content_type=ContentType.objects.get_for_model(Incident), object_id=incident.pk,
                kind=ActivityKind.NOTE, action="call", actor=by, internal=True,
                body=notes, data={"call": call.pk, "outcome": outcome, "phone": phone,
                                  "started_at": started.isoformat(), "ended_at": ended.isoformat()})
        audit_record(actor=by, action="call.create", instance=call,
                     after={"outcome": outcome, "phone": phone, "incident": incident.number if incident else None,
                            "caller": caller.username if caller else None})
    return call


def incident_create_from_call(*, by: User, call_notes: str = "", call_started_at: dt.datetime | str | None = None,
                              call_phone: str = "", article: Any = None, **create: Any) -> tuple[Incident, CallRecord]:
    """Log an incident from a hotline call and record the call with it (outcome: new incident), in one
    transaction: the agent's notes land on the timeline as an internal note. With `article` (a knowledge
    article the agent applied while typing), its solution becomes the incident's (incident_apply_article).
    An error in any part leaves nothing written."""
    with transaction.atomic():
        incident = incident_create(by=by, **create)
        call = call_record_create(by=by, outcome=CallOutcome.NEW_INCIDENT, incident=incident,
                                  phone=call_phone or incident.contact_phone, caller=incident.requester,
                                  notes=call_notes, started_at=call_started_at)
        if article is not None:
            incident = incident_apply_article(incident=incident, article=article, by=by)
    return incident, call


APPLY_SOURCES = (IncidentStatus.NEW, IncidentStatus.ACCEPTED, IncidentStatus.IN_PROGRESS, IncidentStatus.ESCALATED,
                 IncidentStatus.ON_HOLD)


def incident_apply_article(*, incident: Incident, article: Any, by: User, version: int | None = None) -> Incident:
    """Take a published knowledge article's solution as the incident's solution, in one action: the
    solution field is filled (the resolve form then shows it), the timeline says which article it came
    from, and the article's "this solved it" is counted for `by` (once per person). The incident still has
    to be resolved and confirmed as usual.

    Service staff of the contract only (others: NotFound); the incident must still be open and `version`,
    when given, current (Conflict); the article must be published and of the incident's contract or
    visible to `by` (NotFound)."""
    from opsdesk.knowledge.choices import ArticleStatus
    from opsdesk.knowledge.selectors import article_get
    from opsdesk.knowledge.services import article_mark_solved

    if not is_service_staff(by, incident):
        raise NotFound()
    article = article_get(number=getattr(article, "number", article), visible_to=by)
    if article.status != ArticleStatus.PUBLISHED:
        raise Conflict(_("Only a published article's solution can be applied."), code="invalid_state")
    if version is not None and int(version) != incident.version:
        raise Conflict(_("This incident was changed by someone else in the meantime. Reload it and try again."),
                       code="stale_version")
    if incident.status not in APPLY_SOURCES:
        raise Conflict(_("A solution can only be applied while the incident is open."), code="invalid_state")
    solution = (article.solution or "").strip() or article.title
    with transaction.atomic():
        before = {"solution": incident.solution}
        moved = Incident.objects.filter(pk=incident.pk, version=incident.version,
                                        status__in=APPLY_SOURCES).update(
            solution=solution[:TEXT_MAX], version=F("version") + 1, updated_at=timezone.now())
        if moved != 1:
            raise Conflict(_("This incident was changed by someone else in the meantime. Reload it and try "
                             "again."), code="stale_version")
        incident.solution = solution[:TEXT_MAX]
        incident.version += 1
        Activity.objects.create(
            content_type=ContentType.objects.get_for_model(Incident), object_id=incident.pk,
            kind=ActivityKind.NOTE, actor=by, internal=True,
            body=_("Solution from knowledge article %(number)s “%(title)s”.") % {
                "number": article.number, "title": article.title})
        audit_record(actor=by, action="incident.apply_article", instance=incident, before=before,
                     after={"solution": incident.solution, "article": article.number})
        article_mark_solved(article=article, by=by, incident=incident)
    return incident

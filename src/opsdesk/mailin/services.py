"""Every write of the e-mail intake: ingesting a message, retrying or discarding a quarantined one, and the
mailboxes. Each ingest is one transaction with one audit entry; nothing raises out of `mail_ingest`."""

from __future__ import annotations

import datetime as dt
import email.parser
import email.utils
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opsdesk.accounts import services as account_services
from opsdesk.accounts.choices import Role
from opsdesk.accounts.models import Contract, User
from opsdesk.accounts.selectors import access_for
from opsdesk.core.audit import audit_record, snapshot
from opsdesk.core.db import one_or_none
from opsdesk.core.errors import DomainError, NotFound, ValidationError
from opsdesk.incidents import services as incident_services
from opsdesk.incidents.choices import Channel
from opsdesk.incidents.models import TITLE_MAX, Incident
from opsdesk.incidents.workflow import incident_roles

from . import parsing
from .choices import Outcome, Security, UnknownSenderPolicy
from .models import InboundMessage, Mailbox
from .selectors import can_manage_mail, find_sender

logger = logging.getLogger(__name__)

REPORTED_AT_MAX_AGE = incident_services.REPORTED_AT_MAX_AGE
MAILBOX_FIELDS = ("name", "address", "imap_host", "imap_port", "security", "username", "folder", "enabled",
                  "unknown_sender_policy")


@dataclass
class IngestResult:
    """What became of one message; `line` is what `opsdesk mail ingest` prints."""

    outcome: str
    reason: str = ""
    incident_number: str = ""
    message: InboundMessage | None = None

    @property
    def stored(self) -> bool:
        return self.message is not None and self.message.pk is not None

    @property
    def line(self) -> str:
        if self.outcome in (Outcome.CREATED, Outcome.APPENDED):
            return self.incident_number
        if self.outcome == Outcome.DUPLICATE:
            return f"duplicate: {self.incident_number or '-'}"
        return f"{self.outcome}: {self.reason}"


def _max_bytes() -> int:
    return int(getattr(settings, "OPSDESK_MAIL_MAX_BYTES", 25 * 1024 * 1024))


def _headers_only(raw: bytes) -> tuple[str, str, str]:
    """(sender, sender name, subject) read from the header block alone (for messages not parsed in full)."""
    try:
        head = email.parser.BytesHeaderParser(policy=parsing.RAW_POLICY).parsebytes(raw[:65536])
        name, address = parsing.parse_address(head.get("From", ""))
        return (parsing.safe(address), parsing.safe(name),
                parsing.safe(parsing.decode_header_value(head.get("Subject", "")))[:255])
    except Exception:  # only for display; the message is quarantined anyway
        return "", "", ""


def mail_ingest(raw: bytes, *, mailbox: Mailbox | None = None, contract: Contract | None = None,
                imap_uid: int | None = None) -> IngestResult:
    """Turn one received e-mail into an incident, a timeline comment, or a logged non-event.

    In order: a Message-ID seen before for the contract → duplicate, nothing else happens; an auto-reply or
    bounce → ignored (kept, no ticket, never answered); no usable sender, too large, unparseable →
    quarantined with the reason; a reply to a ticket (its number in the subject, or In-Reply-To/References
    naming one of its messages or our notifications) → the new text and files are added by the sender, if
    the sender may see that ticket; otherwise a new incident with channel e-mail. Unknown senders follow the
    mailbox's policy. Never raises for any bytes: whatever goes wrong is stored as a quarantined message.
    """
    if mailbox is not None:
        contract = mailbox.contract
    if contract is None:
        raise ValueError("mail_ingest needs a mailbox or a contract")
    raw = bytes(raw or b"")
    try:
        return _ingest(raw, contract=contract, mailbox=mailbox, imap_uid=imap_uid)
    except Exception as exc:  # the promise: no input bytes make ingest raise
        logger.exception("mail ingest failed; quarantining the message")
        reason = parsing.safe(f"internal error: {type(exc).__name__}: {exc}")[:1000]
        try:
            return _store_failure(raw, contract=contract, mailbox=mailbox, imap_uid=imap_uid, reason=reason)
        except Exception:  # the database itself is failing: the caller keeps the message
            logger.exception("could not store the quarantined message either")
            return IngestResult(outcome=Outcome.QUARANTINED, reason=reason)


def _store_failure(raw: bytes, *, contract: Contract, mailbox: Mailbox | None, imap_uid: int | None,
                   reason: str) -> IngestResult:
    sender, name, subject = _headers_only(raw)
    with transaction.atomic():
        record = InboundMessage(contract=contract, mailbox=mailbox, dedupe_key=parsing.dedupe_key("", raw),
                                sender=sender, sender_name=name, subject=subject, raw=raw, size=len(raw),
                                imap_uid=imap_uid, outcome=Outcome.QUARANTINED, reason=reason)
        try:
            with transaction.atomic():
                record.save()
        except IntegrityError:
            return IngestResult(outcome=Outcome.DUPLICATE, reason=reason)
        audit_record(actor=None, action="mail.ingest", instance=record,
                     after={"outcome": record.outcome, "reason": reason})
    return IngestResult(outcome=Outcome.QUARANTINED, reason=reason, message=record)


def _ingest(raw: bytes, *, contract: Contract, mailbox: Mailbox | None, imap_uid: int | None) -> IngestResult:
    parsed: parsing.ParsedMessage | None = None
    problem = ""
    if len(raw) > _max_bytes():
        problem = f"message too large: {len(raw)} bytes (limit {_max_bytes()})"
    else:
        try:
            parsed = parsing.parse_message(raw)
        except parsing.MalformedMessage as exc:
            problem = f"malformed: {exc}"
    key = parsed.dedupe_key if parsed else parsing.dedupe_key("", raw)
    with transaction.atomic():
        existing = one_or_none(InboundMessage.objects.filter(contract=contract, dedupe_key=key)
                               .select_related("incident").defer("raw"))
        if existing is not None:
            return _duplicate(existing)
        if parsed is not None:
            record = InboundMessage(message_id=parsed.message_id, sender=parsed.sender,
                                    sender_name=parsed.sender_name, subject=parsed.subject, sent_at=parsed.date)
        else:
            sender, name, subject = _headers_only(raw)
            record = InboundMessage(sender=sender, sender_name=name, subject=subject)
        record.contract = contract
        record.mailbox = mailbox
        record.dedupe_key = key
        record.raw = raw
        record.size = len(raw)
        record.imap_uid = imap_uid
        record.outcome = Outcome.QUARANTINED
        record.reason = problem or "processing"
        # The row first: a second copy arriving at the same moment (two pollers) fails here, before any ticket.
        try:
            with transaction.atomic():
                record.save()
        except IntegrityError:
            other = one_or_none(InboundMessage.objects.filter(contract=contract, dedupe_key=key)
                                .select_related("incident").defer("raw"))
            return _duplicate(other) if other else IngestResult(outcome=Outcome.DUPLICATE)
        if parsed is not None:
            _process(record, parsed, contract=contract, mailbox=mailbox)
        record.save(update_fields=["outcome", "reason", "incident", "updated_at"])
        audit_record(actor=_actor(record), action="mail.ingest", instance=record,
                     after={"outcome": record.outcome, "reason": record.reason, "incident": record.incident_id,
                            "message_id": record.message_id})
    return IngestResult(outcome=record.outcome, reason=record.reason,
                        incident_number=record.incident.number if record.incident else "", message=record)


def _duplicate(existing: InboundMessage) -> IngestResult:
    return IngestResult(outcome=Outcome.DUPLICATE, reason=_("already received"),
                        incident_number=existing.incident.number if existing.incident else "", message=existing)


def _actor(record: InboundMessage) -> User | None:
    return getattr(record, "_sender_user", None)


def _unknown_sender_policy(contract: Contract, mailbox: Mailbox | None) -> str:
    if mailbox is not None:
        return mailbox.unknown_sender_policy
    own = one_or_none(Mailbox.objects.filter(contract=contract).order_by("id"))
    if own is not None:
        return own.unknown_sender_policy
    return str(getattr(settings, "OPSDESK_MAIL_UNKNOWN_SENDER", UnknownSenderPolicy.CREATE_REQUESTER))


def _thread_incident(contract: Contract, parsed: parsing.ParsedMessage) -> Incident | None:
    """The incident a reply belongs to: a ticket number in the subject, a Message-ID we stored for it, or
    the ticket number our notifications put at the start of their Message-IDs. Only the contract's own."""
    numbers: list[str] = []
    if number := parsing.ticket_number_in_subject(parsed.subject):
        numbers.append(number)
    thread_ids = parsed.thread_ids
    for mid in thread_ids:
        if (number := parsing.ticket_number_in_message_id(mid)) and number not in numbers:
            numbers.append(number)
    for number in numbers:
        incident = one_or_none(Incident.objects.filter(number=number, contract=contract))
        if incident is not None:
            return incident
    if thread_ids:
        known = (InboundMessage.objects.filter(contract=contract, message_id__in=thread_ids[:100],
                                               incident__isnull=False)
                 .select_related("incident").defer("raw").order_by("-id"))
        for message in known[:1]:
            return message.incident
    return None


def _plausible_date(when: dt.datetime | None) -> dt.datetime | None:
    """The Date header when it can be when the mail was written: not in the future, not older than the
    incidents' limit for a report time. Otherwise the time of receipt."""
    if when is None:
        return None
    now = timezone.now()
    if when > now + incident_services.CLOCK_SKEW or when < now - REPORTED_AT_MAX_AGE + dt.timedelta(minutes=5):
        return None
    return min(when, now)


def _error_text(exc: DomainError) -> str:
    detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
    return f"{exc.message} ({detail})" if detail else exc.message


def _new_requester(contract: Contract, parsed: parsing.ParsedMessage) -> User:
    """A requester account for an unknown sender: the contract's client organisation, no password (they
    are helped by mail; an administrator sets a password when they need the portal)."""
    base = parsed.sender[:140]
    username = base
    for n in range(2, 100):
        if not User.objects.filter(username=username).exists():
            break
        username = f"{base}-{n}"
    user = account_services.user_create(by=None, username=username, email=parsed.sender,
                                        full_name=parsed.sender_name[:100], organisation=contract.organisation)
    account_services.role_grant(by=None, user=user, role=Role.REQUESTER, contract=contract)
    return user


def _own_addresses(mailbox: Mailbox | None) -> set[str]:
    """Addresses OpsDesk itself sends from: mail from them is our own coming back (a loop), never a request."""
    own = {email.utils.parseaddr(str(settings.DEFAULT_FROM_EMAIL))[1].lower()}
    if mailbox is not None:
        own.add(mailbox.address.lower())
    own.discard("")
    return own


def _process(record: InboundMessage, parsed: parsing.ParsedMessage, *, contract: Contract,
             mailbox: Mailbox | None, as_user: User | None = None) -> None:
    """Decide the outcome of a stored message and do it (inside the caller's transaction)."""
    record.incident = None
    if parsed.auto_reason:
        record.outcome, record.reason = Outcome.IGNORED, parsed.auto_reason
        return
    if not parsed.has_from:
        record.outcome, record.reason = Outcome.QUARANTINED, "malformed: no From header"
        return
    if not parsed.sender:
        record.outcome, record.reason = Outcome.QUARANTINED, "malformed: the From header has no valid address"
        return
    if parsed.sender in _own_addresses(mailbox) and as_user is None:
        record.outcome, record.reason = Outcome.IGNORED, f"loop: sent from OpsDesk's own address {parsed.sender}"
        return
    sender = as_user or find_sender(contract=contract, address=parsed.sender)
    incident = _thread_incident(contract, parsed)
    if sender is None:
        policy = _unknown_sender_policy(contract, mailbox)
        if policy == UnknownSenderPolicy.REJECT:
            record.outcome, record.reason = Outcome.REJECTED, f"unknown sender {parsed.sender}"
            _queue_rejection(parsed, contract=contract, mailbox=mailbox)
            return
        if incident is not None:
            record.outcome = Outcome.QUARANTINED
            record.reason = f"unknown sender {parsed.sender} replied to {incident.number}"
            return
        try:
            with transaction.atomic():
                sender = _new_requester(contract, parsed)
        except DomainError as exc:
            record.outcome, record.reason = Outcome.QUARANTINED, f"could not create requester: {_error_text(exc)}"
            return
    record._sender_user = sender  # type: ignore[attr-defined]
    notes: list[str] = []
    try:
        with transaction.atomic():
            if incident is not None:
                if not incident_roles(sender, incident):
                    record.outcome = Outcome.QUARANTINED
                    record.reason = f"sender {parsed.sender} may not see {incident.number}"
                    return
                body = parsed.reply_text[:incident_services.TEXT_MAX]
                if not body and not parsed.attachments:
                    record.outcome, record.reason, record.incident = Outcome.IGNORED, "empty reply", incident
                    return
                if body:
                    incident_services.incident_comment(incident=incident, by=sender, body=body)
                record.outcome = Outcome.APPENDED
            else:
                title = _title(parsed)
                incident = incident_services.incident_create(
                    by=sender, contract=contract, requester=sender, title=title,
                    description=parsed.text[:incident_services.TEXT_MAX], channel=Channel.EMAIL,
                    reported_at=_plausible_date(parsed.date))
                record.outcome = Outcome.CREATED
            for attachment in parsed.attachments:
                upload = SimpleUploadedFile(attachment.filename or "attachment", attachment.data,
                                            content_type=attachment.content_type)
                if problem := incident_services.upload_error(upload):
                    notes.append(f"{attachment.filename}: {problem}")
                    continue
                incident_services.incident_attach(incident=incident, by=sender, upload=upload)
    except DomainError as exc:
        record.outcome, record.reason, record.incident = Outcome.QUARANTINED, _error_text(exc), None
        return
    record.incident = incident
    record.reason = "; ".join(notes)


def _title(parsed: parsing.ParsedMessage) -> str:
    title = parsed.subject.strip()
    if not title:
        title = next((line.strip() for line in parsed.text.split("\n") if line.strip()), "")
    if not title:
        title = _("(no subject)")
    return title[:TITLE_MAX]


def _queue_rejection(parsed: parsing.ParsedMessage, *, contract: Contract, mailbox: Mailbox | None) -> None:
    """Answer an unknown sender once the transaction commits. The reply says Auto-Submitted: auto-replied,
    so a well-behaved system never answers it; auto-replies never reach here."""
    if mailbox is not None and parsed.sender == mailbox.address.lower():
        return  # our own address: answering would loop
    sender, subject, message_id = parsed.sender, parsed.subject, parsed.message_id
    from_address = mailbox.address if mailbox is not None else settings.DEFAULT_FROM_EMAIL

    def send() -> None:
        try:
            with translation.override(settings.LANGUAGE_CODE):
                body = _("Your message to %(contract)s was not accepted: your address %(address)s is not "
                         "registered for this service. Please ask your IT contact to register you, or call the "
                         "service desk.") % {"contract": contract.name, "address": sender}
                reply_subject = _("Not accepted: %(subject)s") % {"subject": subject or _("(no subject)")}
            headers = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"}
            if message_id:
                headers["In-Reply-To"] = f"<{message_id}>"
                headers["References"] = f"<{message_id}>"
            EmailMessage(subject=reply_subject.replace("\r", " ").replace("\n", " "), body=body,
                         from_email=from_address, to=[sender], headers=headers).send()
        except Exception:  # a lost rejection notice must not undo the intake
            logger.exception("could not send the rejection reply to %s", sender)

    transaction.on_commit(send)


# --- quarantine handling -----------------------------------------------------------------------------

RETRYABLE = (Outcome.QUARANTINED, Outcome.REJECTED)


def inbound_retry(*, message: InboundMessage, by: User, as_user: User | None = None) -> IngestResult:
    """Process a quarantined (or rejected) message again, after its cause was fixed (the sender given a
    role on the contract, the mailbox policy changed); optionally as one of the contract's people."""
    if not can_manage_mail(by, message.contract_id):
        raise NotFound()
    if message.outcome not in RETRYABLE:
        raise ValidationError(_("Only quarantined or rejected messages can be processed again."),
                              fields={"outcome": _("This message was already handled.")})
    if as_user is not None and not access_for(as_user).roles_on(message.contract_id):
        raise ValidationError(fields={"as_user": _("This person holds no role on the contract.")})
    with transaction.atomic():
        record = (InboundMessage.objects.select_for_update(of=("self",)).select_related("contract", "mailbox")
                  .get(pk=message.pk))
        if record.outcome not in RETRYABLE:
            raise ValidationError(fields={"outcome": _("This message was already handled.")})
        before = {"outcome": record.outcome, "reason": record.reason}
        try:
            parsed = parsing.parse_message(bytes(record.raw))
        except parsing.MalformedMessage as exc:
            record.outcome, record.reason = Outcome.QUARANTINED, f"malformed: {exc}"
        else:
            _process(record, parsed, contract=record.contract, mailbox=record.mailbox, as_user=as_user)
        record.handled_by = by
        record.save(update_fields=["outcome", "reason", "incident", "handled_by", "updated_at"])
        audit_record(actor=by, action="mail.retry", instance=record, before=before,
                     after={"outcome": record.outcome, "reason": record.reason, "incident": record.incident_id,
                            "as_user": as_user.pk if as_user else None})
    return IngestResult(outcome=record.outcome, reason=record.reason,
                        incident_number=record.incident.number if record.incident else "", message=record)


@transaction.atomic
def inbound_discard(*, message: InboundMessage, by: User, reason: str) -> InboundMessage:
    """Give up on a quarantined or rejected message, with the reason; it stays in the log (and its bytes)."""
    if not can_manage_mail(by, message.contract_id):
        raise NotFound()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(fields={"reason": _("This field is required.")})
    if len(reason) > 1000:
        raise ValidationError(fields={"reason": _("At most %(n)d characters.") % {"n": 1000}})
    record = InboundMessage.objects.select_for_update().get(pk=message.pk)
    if record.outcome not in RETRYABLE:
        raise ValidationError(fields={"outcome": _("This message was already handled.")})
    before = {"outcome": record.outcome, "reason": record.reason}
    record.outcome, record.reason, record.handled_by = Outcome.DISCARDED, reason, by
    record.save(update_fields=["outcome", "reason", "handled_by", "updated_at"])
    audit_record(actor=by, action="mail.discard", instance=record, before=before,
                 after={"outcome": record.outcome, "reason": reason})
    return record


# --- mailboxes ------------------------------------------------------------------------------------

def _mailbox_clean(data: dict[str, Any], *, instance: Mailbox | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for name, limit in (("name", 100), ("imap_host", 255), ("username", 255), ("folder", 255)):
        value = str(data.get(name) if data.get(name) is not None else "").strip()
        if name == "folder" and not value:
            value = "INBOX"
        if not value:
            errors[name] = _("This field is required.")
        elif len(value) > limit:
            errors[name] = _("At most %(n)d characters.") % {"n": limit}
        out[name] = value
    address = str(data.get("address") or "").strip().lower()
    try:
        validate_email(address)
    except Exception:  # Django's ValidationError
        errors["address"] = _("Enter a valid e-mail address.")
    else:
        clash = Mailbox.objects.filter(address__iexact=address)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            errors["address"] = _("Another mailbox already reads this address.")
    out["address"] = address
    try:
        port = int(data.get("imap_port") or 0)
    except (TypeError, ValueError):
        port = 0
    if not 1 <= port <= 65535:
        errors["imap_port"] = _("A port number from 1 to 65535.")
    out["imap_port"] = port
    security = str(data.get("security") or "")
    if security not in Security.values:
        errors["security"] = _("Choose SSL/TLS or STARTTLS.")
    out["security"] = security
    policy = str(data.get("unknown_sender_policy") or "")
    if policy not in UnknownSenderPolicy.values:
        errors["unknown_sender_policy"] = _("Choose what happens to mail from unknown senders.")
    out["unknown_sender_policy"] = policy
    out["enabled"] = bool(data.get("enabled"))
    password = str(data.get("password") or "")
    if len(password) > 255:
        errors["password"] = _("At most %(n)d characters.") % {"n": 255}
    if password:
        out["password"] = password
    elif instance is None:
        out["password"] = ""
    if errors:
        raise ValidationError(fields=errors)
    return out


@transaction.atomic
def mailbox_create(*, by: User, contract: Contract, data: dict[str, Any]) -> Mailbox:
    """Add a mailbox to a contract (its agents, project managers and system administrators may)."""
    if not can_manage_mail(by, contract.pk):
        raise NotFound()
    values = _mailbox_clean(data, instance=None)
    mailbox = Mailbox.objects.create(contract=contract, **values)
    audit_record(actor=by, action="mailbox.create", instance=mailbox, after=snapshot(mailbox, MAILBOX_FIELDS))
    return mailbox


@transaction.atomic
def mailbox_update(*, by: User, mailbox: Mailbox, data: dict[str, Any]) -> Mailbox:
    """Change a mailbox; a blank password keeps the stored one. A new server, account or folder starts
    reading that folder from its beginning (UIDs belong to one folder)."""
    if not can_manage_mail(by, mailbox.contract_id):
        raise NotFound()
    values = _mailbox_clean(data, instance=mailbox)
    before = snapshot(mailbox, MAILBOX_FIELDS)
    moved = any(values[k] != getattr(mailbox, k) for k in ("imap_host", "imap_port", "username", "folder"))
    for key, value in values.items():
        setattr(mailbox, key, value)
    if moved:
        mailbox.last_uid, mailbox.uid_validity = 0, None
    mailbox.save()
    audit_record(actor=by, action="mailbox.update", instance=mailbox, before=before,
                 after=snapshot(mailbox, MAILBOX_FIELDS))
    return mailbox


def mailbox_poll_state_save(*, mailbox: Mailbox, last_uid: int | None = None, uid_validity: int | None = None,
                            error: str | None = None) -> None:
    """Remember how far the poller got and its last error. Not audited: it records the poller's progress,
    not a change anyone made (like api_token_touch)."""
    now = timezone.now()
    changes: dict[str, Any] = {"last_polled_at": now}
    if last_uid is not None:
        changes["last_uid"] = last_uid
    if uid_validity is not None:
        changes["uid_validity"] = uid_validity
    if error is not None:
        changes["last_error"] = error[:2000]
        changes["last_error_at"] = now if error else None
    Mailbox.objects.filter(pk=mailbox.pk).update(**changes)
    for key, value in changes.items():
        setattr(mailbox, key, value)

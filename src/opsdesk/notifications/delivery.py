"""Writes of outgoing delivery: creating deliveries, claiming and sending them, retrying and reclaiming.

Business rules:
- an event is delivered once per channel and target: Delivery is unique on (event_key, channel, target), and the
  rows are inserted in the transaction that creates the in-app notifications;
- a sender claims with a conditional UPDATE (pending and due → sending, with a fresh lease token and a lease
  end), so two workers never send one delivery at once; only the holder of the token records the outcome;
- a delivery left `sending` after its lease (the worker died mid-delivery) is put back to pending by the
  periodic job and its open attempt is logged as interrupted;
- failures are retried with exponential backoff (1, 2, 4 … minutes, at most 6 h) up to MAX_ATTEMPTS; a robot
  that answers "rate limited" is tried again a minute later without using up an attempt;
- a group robot is sent at most RATE_LIMIT messages per RATE_WINDOW (counted from the attempt log, across all
  workers, under a lock on the robot row); when several events wait, they go out together in one message.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opsdesk.accounts.models import User
from opsdesk.core.audit import audit_record
from opsdesk.core.models import Activity
from opsdesk.incidents.models import Incident

from . import channels
from .choices import AttemptOutcome, DeliveryStatus, NotificationChannel, NotificationKind
from .models import Delivery, DeliveryAttempt, NotificationPreference, Robot

MAX_ATTEMPTS = 8
BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_CAP = dt.timedelta(hours=6)
RATE_LIMIT = 20
RATE_WINDOW = dt.timedelta(seconds=60)
MAX_BATCH = 20  # events in one robot message
# WeCom caps a markdown message at 4096 bytes: fewer (and shortened) lines per message there.
BATCH_BY_PROVIDER = {"wecom": 10}
BATCH_TITLE_CHARS = 60
INTERRUPTED = "The worker stopped during the delivery; its lease expired and the delivery was retried."


def backoff(attempts: int) -> dt.timedelta:
    """The wait before the next try after `attempts` failed ones: 1, 2, 4, … minutes, at most 6 hours."""
    return min(BACKOFF_BASE * (1 << min(max(attempts - 1, 0), 16)), BACKOFF_CAP)


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.OPSDESK_DELIVERY_LEASE_SECONDS)


# --- creating --------------------------------------------------------------------------------------------

def email_enabled(*, user: User, kind: str, off: set[tuple[int, str]]) -> bool:
    """E-mail is on by default for a person with an address, unless they turned the kind off."""
    return bool(user.email) and (user.pk, kind) not in off


def deliveries_create(*, planned: Sequence[tuple[int, str, Activity]], events: Sequence[tuple[Activity, str]],
                      tickets: Mapping[int, Incident]) -> list[int]:
    """Insert the outgoing deliveries of these events (call inside the in-app notifications' transaction):
    an e-mail per planned person whose preference allows it, a message per active robot of the ticket's
    contract that receives the kind. Existing ones are skipped; the sending jobs start after commit."""
    now = timezone.now()
    people = User.objects.only("pk", "email", "is_active").in_bulk({uid for uid, _k, _a in planned}) \
        if planned else {}
    off = set(NotificationPreference.objects.filter(
        user_id__in=list(people), channel=NotificationChannel.EMAIL, enabled=False)
        .values_list("user_id", "kind")) if people else set()
    contracts = {t.contract_id for t in tickets.values()}
    robots: dict[int, list[Robot]] = {}
    if events and contracts:
        for robot in Robot.objects.filter(contract_id__in=contracts, is_active=True).order_by("id"):
            robots.setdefault(robot.contract_id, []).append(robot)
    rows: list[Delivery] = []

    def row(activity: Activity, ticket: Incident, kind: str, **target: object) -> Delivery:
        return Delivery(event_key=f"activity:{activity.pk}", kind=kind, contract_id=ticket.contract_id,
                        content_type_id=activity.content_type_id, object_id=ticket.pk,
                        ticket_number=ticket.number, ticket_title=ticket.title[:200],
                        text=_text(activity), event_at=activity.created_at or now, next_attempt_at=now,
                        **target)

    for uid, kind, activity in planned:
        ticket, user = tickets.get(activity.object_id), people.get(uid)
        if ticket is None or user is None or not email_enabled(user=user, kind=kind, off=off):
            continue
        rows.append(row(activity, ticket, kind, channel=NotificationChannel.EMAIL, target=f"user:{uid}",
                        recipient_id=uid, url=_link(ticket, uid)))
    for activity, kind in events:
        ticket = tickets.get(activity.object_id)
        if ticket is None:
            continue
        for robot in robots.get(ticket.contract_id, []):
            if kind in (robot.kinds or []):
                rows.append(row(activity, ticket, kind, channel=robot.provider, target=f"robot:{robot.pk}",
                                robot_id=robot.pk, url=_link(ticket, None)))
    if not rows:
        return []
    keys = {r.event_key for r in rows}
    have = set(Delivery.objects.filter(event_key__in=keys).values_list("event_key", "channel", "target"))
    rows = [r for r in rows if (r.event_key, r.channel, r.target) not in have]
    if not rows:
        return []
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    created = list(Delivery.objects.filter(event_key__in={r.event_key for r in rows}, attempts=0,
                                           status=DeliveryStatus.PENDING)
                   .values_list("pk", "robot_id"))
    audit_record(actor=None, action="delivery.create", object_type="notifications.delivery",
                 object_repr=f"{len(rows)} outgoing",
                 after={"events": sorted(keys), "channels": sorted({r.channel for r in rows})})
    emails = [pk for pk, robot_id in created if robot_id is None]
    robot_ids = sorted({robot_id for _pk, robot_id in created if robot_id is not None})

    def start() -> None:
        from .tasks import send_email_delivery, send_robot_deliveries

        for pk in emails:
            send_email_delivery(pk)
        for robot_id in robot_ids:
            send_robot_deliveries(robot_id)

    transaction.on_commit(start)
    return [pk for pk, _r in created]


def _text(activity: Activity) -> str:
    text = " ".join(str(activity.body or "").split())
    return text if len(text) <= 300 else text[:299] + "…"


def _link(ticket: Incident, recipient_id: int | None) -> str:
    from .services import _url

    path = _url(ticket, recipient_id or 0) if recipient_id else ticket.get_absolute_url()
    return f"{settings.OPSDESK_SITE_URL}{path}" if path else ""


# --- claiming and finishing ------------------------------------------------------------------------------

@dataclass
class Claim:
    token: str
    deliveries: list[Delivery]
    attempts: dict[int, DeliveryAttempt]


def _claim(where: Q, *, now: dt.datetime, limit: int, robot: Robot | None = None) -> Claim | None:
    """Claim up to `limit` due pending deliveries matching `where` (call inside a transaction): the
    conditional UPDATE takes only rows still pending, so a row claimed by another worker is left alone."""
    due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    ids = list(Delivery.objects.filter(where & due).order_by("id").values_list("pk", flat=True)[:limit])
    if not ids:
        return None
    token = uuid.uuid4().hex
    Delivery.objects.filter(due, pk__in=ids).update(status=DeliveryStatus.SENDING, lease_token=token,
                                                    lease_until=now + _lease(), attempts=F("attempts") + 1)
    claimed = list(Delivery.objects.filter(pk__in=ids, lease_token=token, status=DeliveryStatus.SENDING)
                   .order_by("id"))
    if not claimed:
        return None
    attempts = DeliveryAttempt.objects.bulk_create([
        DeliveryAttempt(delivery=d, started_at=now, robot=robot if i == 0 else None)
        for i, d in enumerate(claimed)])
    return Claim(token=token, deliveries=claimed, attempts={a.delivery_id: a for a in attempts})


def _finish(claim: Claim, *, ok: bool, error: str, rate_limited: bool = False, final: bool = False,
            duration_ms: int, now: dt.datetime) -> None:
    """Record the outcome of a claimed send: the attempts, and each delivery's new state (only while this
    claim still holds it: a reclaimed delivery belongs to someone else now)."""
    with transaction.atomic():
        for d in claim.deliveries:
            if ok:
                outcome, status, nxt = AttemptOutcome.SENT, DeliveryStatus.SENT, d.next_attempt_at
            elif rate_limited:
                outcome, status, nxt = AttemptOutcome.RATE_LIMITED, DeliveryStatus.PENDING, now + RATE_WINDOW
            elif final or d.attempts >= MAX_ATTEMPTS:
                outcome, status, nxt = AttemptOutcome.FAILED, DeliveryStatus.FAILED, d.next_attempt_at
            else:
                outcome, status, nxt = AttemptOutcome.RETRY, DeliveryStatus.PENDING, now + backoff(d.attempts)
            DeliveryAttempt.objects.filter(pk=claim.attempts[d.pk].pk).update(
                outcome=outcome, duration_ms=duration_ms, error=error[:2000])
            changes: dict[str, object] = {"status": status, "next_attempt_at": nxt, "lease_token": "",
                                          "lease_until": None, "last_error": error[:2000]}
            if ok:
                changes["sent_at"] = now
            if rate_limited:
                changes["attempts"] = F("attempts") - 1  # waiting for the robot's quota is not a failure
            Delivery.objects.filter(pk=d.pk, lease_token=claim.token, status=DeliveryStatus.SENDING) \
                .update(**changes)
        audit_record(actor=None, action="delivery.sent" if ok else "delivery.failed",
                     object_type="notifications.delivery", object_id=str(claim.deliveries[0].pk),
                     object_repr=f"{claim.deliveries[0]}"[:200],
                     after={"deliveries": [d.pk for d in claim.deliveries], "error": error[:500]})


# --- e-mail ----------------------------------------------------------------------------------------------

def render_mail(delivery: Delivery, recipient: User) -> channels.Mail:
    """The mail of a delivery in the recipient's language (zh-hans or en; text and HTML)."""
    language = recipient.language if recipient.language in ("zh-hans", "en") else settings.LANGUAGE_CODE
    with translation.override(language):
        context = {"d": delivery, "recipient": recipient, "title": channels.one_line(delivery.ticket_title),
                   "kind": _kind_label(delivery.kind), "language": language}
        text = render_to_string("notifications/email/notification.txt", context)
        html = render_to_string("notifications/email/notification.html", context)
    return channels.Mail(to=recipient.email, subject=f"[{delivery.ticket_number}] {delivery.ticket_title}",
                         text=text, html=html,
                         message_id=channels.message_id(delivery.ticket_number, delivery.pk),
                         thread=channels.thread_id(delivery.ticket_number))


def _kind_label(kind: str) -> str:
    return str(NotificationKind(kind).label) if kind in NotificationKind.values else kind


def email_delivery_send(*, delivery_id: int, now: dt.datetime | None = None) -> bool | None:
    """Claim and send one e-mail delivery; True sent, False failed (retried later unless final), None when
    it was not claimable (sent already, not yet due, or another worker holds it)."""
    given, now = now, now or timezone.now()
    with transaction.atomic():
        claim = _claim(Q(pk=delivery_id, channel=NotificationChannel.EMAIL), now=now, limit=1)
    if claim is None:
        return None
    delivery = claim.deliveries[0]
    recipient = User.objects.filter(pk=delivery.recipient_id).first() if delivery.recipient_id else None
    started = time.monotonic()
    error, final = "", False
    if recipient is None or not recipient.is_active or not recipient.email:
        error, final = "The recipient has no e-mail address or is no longer active.", True
    else:
        try:
            channels.mail_send(render_mail(delivery, recipient))
        except Exception as exc:  # an SMTP or network error of any kind: logged and retried, never raised
            error = channels.one_line(f"{type(exc).__name__}: {exc}", 2000)
    _finish(claim, ok=not error, error=error, final=final, now=given or timezone.now(),
            duration_ms=int((time.monotonic() - started) * 1000))
    return not error


# --- robots ----------------------------------------------------------------------------------------------

@dataclass
class RobotRun:
    sent: int = 0  # events delivered by this run
    wait_until: dt.datetime | None = None  # the robot's quota is used up until then
    more: bool = False  # further events are due now


def robot_message(robot: Robot, deliveries: Sequence[Delivery]) -> tuple[str, str]:
    """Title and text (markdown) of one robot message: one event, or a digest of several."""
    with translation.override(robot.language):
        if len(deliveries) == 1:
            d = deliveries[0]
            title = channels.one_line(f"[{d.ticket_number}] {d.ticket_title}")
            lines = [f"**{_kind_label(d.kind)}** {title}"]
            if d.text:
                lines.append(channels.one_line(d.text, 300))
            if d.url:
                lines.append(f"[{_('Open the ticket')}]({d.url})")
            return title, "\n\n".join(lines)
        title = _("%(n)d notifications") % {"n": len(deliveries)}
        lines = [f"**{title}**"]
        for d in deliveries:
            line = (f"- **{_kind_label(d.kind)}** [{d.ticket_number}] "
                    f"{channels.one_line(d.ticket_title, BATCH_TITLE_CHARS)}")
            lines.append(f"{line} ({d.url})" if d.url else line)
        return title, "\n".join(lines)


def robot_deliveries_send(*, robot_id: int, now: dt.datetime | None = None) -> RobotRun:
    """Send what is due for one robot as one message, within its rate limit (see the module docstring).
    A disabled or deleted robot sends nothing; its waiting deliveries are marked failed."""
    given, now = now, now or timezone.now()
    run = RobotRun()
    with transaction.atomic():
        robot = Robot.objects.select_for_update().filter(pk=robot_id).first()
        if robot is None:
            return run
        if not robot.is_active:
            Delivery.objects.filter(robot=robot, status=DeliveryStatus.PENDING).update(
                status=DeliveryStatus.FAILED, last_error="The group robot is disabled.")
            return run
        window = list(DeliveryAttempt.objects.filter(robot=robot, started_at__gt=now - RATE_WINDOW)
                      .order_by("started_at").values_list("started_at", flat=True))
        if len(window) >= RATE_LIMIT:
            run.wait_until = window[len(window) - RATE_LIMIT] + RATE_WINDOW
            return run
        claim = _claim(Q(robot=robot), now=now, limit=BATCH_BY_PROVIDER.get(robot.provider, MAX_BATCH), robot=robot)
    if claim is None:
        return run
    title, text = robot_message(robot, claim.deliveries)
    started = time.monotonic()
    answer = channels.robot_post(provider=robot.provider, webhook_url=robot.webhook_url, secret=robot.secret,
                                 title=title, text=text)
    _finish(claim, ok=answer.ok, error=answer.error, rate_limited=answer.rate_limited, now=given or timezone.now(),
            duration_ms=int((time.monotonic() - started) * 1000))
    run.sent = len(claim.deliveries) if answer.ok else 0
    run.more = Delivery.objects.filter(robot=robot, status=DeliveryStatus.PENDING, next_attempt_at__lte=now).exists()
    return run


# --- the periodic job ------------------------------------------------------------------------------------

def deliveries_reclaim(*, now: dt.datetime | None = None) -> int:
    """Put deliveries whose sender died (still `sending` after the lease) back to pending, due now, and log
    their open attempt as interrupted; returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        stuck = Q(status=DeliveryStatus.SENDING, lease_until__lt=now)
        ids = list(Delivery.objects.filter(stuck).values_list("pk", flat=True)[:500])
        if not ids:
            return 0
        moved = Delivery.objects.filter(stuck, pk__in=ids).update(
            status=DeliveryStatus.PENDING, next_attempt_at=now, lease_token="", lease_until=None,
            last_error=INTERRUPTED)
        DeliveryAttempt.objects.filter(delivery_id__in=ids, outcome=AttemptOutcome.STARTED).update(
            outcome=AttemptOutcome.INTERRUPTED, error=INTERRUPTED)
        audit_record(actor=None, action="delivery.reclaim", object_type="notifications.delivery",
                     object_repr=f"{moved} reclaimed", after={"deliveries": ids})
    return int(moved)


def deliveries_due(*, now: dt.datetime | None = None, limit: int = 500) -> tuple[list[int], list[int]]:
    """Due e-mail deliveries (ids) and robots with due deliveries (ids), oldest first."""
    now = now or timezone.now()
    due = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    emails = list(due.filter(channel=NotificationChannel.EMAIL).order_by("id").values_list("pk", flat=True)[:limit])
    robots = sorted(set(due.filter(robot__isnull=False).values_list("robot_id", flat=True)[:limit]))
    return emails, robots


def robot_test_send(*, robot: Robot, by: User) -> channels.RobotAnswer:
    """Send a test message to a robot now (outside the queue and its log); the answer is shown to `by`."""
    with translation.override(robot.language):
        title = _("OpsDesk test message")
        text = _("This group will receive OpsDesk notifications through the robot %(name)s.") \
            % {"name": robot.name}
    answer = channels.robot_post(provider=robot.provider, webhook_url=robot.webhook_url, secret=robot.secret,
                                 title=title, text=f"**{title}**\n\n{text}")
    with transaction.atomic():
        audit_record(actor=by, action="robot.test", instance=robot, after={"ok": answer.ok, "error": answer.error})
    return answer


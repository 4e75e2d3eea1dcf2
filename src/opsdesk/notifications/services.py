"""Writes of the notifications app: deriving notifications from timeline entries, marking them read.

Who is told is derived from the durable timeline entry (core Activity) of each event, never from the in-process
signal alone, so the job that follows a signal and the periodic catch-up (a signal lost when a process died
after its commit) run the same function; the unique (recipient, event_key, channel) makes both idempotent.

Who is told (DOMAIN.md section 1, issue 4), never the actor of the action:
- created: nobody, except the contract's project managers for levels 1 and 2 (agents are not told of every
  call: they are the ones logging them);
- assigned (assign, or escalate naming an engineer): the new assignee;
- dispatched: the engineer sent on site;
- waiting for confirmation (resolve) and resolved (confirm): the requester;
- SLA warning, breach and automatic escalation: exactly the recipients the SLA engine resolved and wrote on
  its timeline entry (`data.recipients`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.accounts.choices import Role
from opsdesk.accounts.models import RoleGrant, User
from opsdesk.core.audit import audit_record
from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.core.models import Activity, ActivityKind
from opsdesk.incidents.choices import IncidentStatus
from opsdesk.incidents.models import Incident, WorkOrder

from .choices import NotificationChannel, NotificationKind
from .models import Notification, Robot

K = NotificationKind
URGENT_LEVELS = (1, 2)
ASSIGNING_ACTIONS = ("assign", "escalate")
SLA_ACTIONS = {"sla_warning": K.SLA_WARNING, "sla_breach": K.SLA_BREACH}
STATUS_KINDS = {IncidentStatus.AWAITING_CONFIRMATION: K.AWAITING_CONFIRMATION, IncidentStatus.RESOLVED: K.RESOLVED}
# The timeline entries that may notify someone (the catch-up reads only these).
RELEVANT = (Q(kind=ActivityKind.CREATED)
            | Q(kind=ActivityKind.ACTION, action__in=(*ASSIGNING_ACTIONS, "dispatch", "change_level"))
            | Q(kind=ActivityKind.ACTION, to_status__in=tuple(STATUS_KINDS))
            | Q(kind=ActivityKind.SYSTEM, action__in=tuple(SLA_ACTIONS)))
CATCH_UP_WINDOW = dt.timedelta(hours=1)
BURST_MARGIN = dt.timedelta(minutes=1)
SLA_ENTRIES = (Q(kind=ActivityKind.SYSTEM, action__in=tuple(SLA_ACTIONS))
               | Q(kind=ActivityKind.ACTION, action="change_level"))
SCAN_STEP = 2000  # timeline rows per id window while walking back to the start of the catch-up window


def event_key(activity_id: int) -> str:
    return f"activity:{activity_id}"


@dataclass(frozen=True)
class _Planned:
    recipient_id: int
    kind: str
    activity: Activity


# --- delivery --------------------------------------------------------------------------------------------

def notifications_deliver(*, activities: Sequence[Activity]) -> int:
    """Create the in-app notifications the given timeline entries call for, and in the same transaction the
    outgoing deliveries (e-mail per person and preference, one per group robot); returns how many in-app
    notifications were new.

    Safe to run any number of times and concurrently: rows already there are skipped, and a concurrent insert
    of the same (recipient, event, channel) is ignored by the unique constraint (deliveries likewise on
    (event, channel, target)). One audit entry per run that created something. The sending jobs start after
    commit.
    """
    planned, event_kinds = _plan_events([a for a in activities if a.content_type_id == _incident_ct_id()])
    if not planned and not event_kinds:
        return 0
    keys = {event_key(p.activity.pk) for p in planned}
    with transaction.atomic():
        existing = set(Notification.objects.filter(event_key__in=keys, channel=NotificationChannel.IN_APP)
                       .values_list("recipient_id", "event_key"))
        todo = [p for p in planned if (p.recipient_id, event_key(p.activity.pk)) not in existing]
        tickets = Incident.objects.only("pk", "number", "title", "requester_id", "contract_id").in_bulk(
            {p.activity.object_id for p in planned} | {a.object_id for a, _kind in event_kinds})
        rows = []
        for p in todo:
            ticket = tickets.get(p.activity.object_id)
            if ticket is None:
                continue
            rows.append(Notification(
                recipient_id=p.recipient_id, channel=NotificationChannel.IN_APP, kind=p.kind,
                content_type_id=p.activity.content_type_id, object_id=ticket.pk, ticket_number=ticket.number,
                ticket_title=ticket.title[:200], text=_text(p.activity), url=_url(ticket, p.recipient_id),
                event_key=event_key(p.activity.pk)))
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        if rows:
            audit_record(actor=None, action="notification.deliver", object_type="notifications.notification",
                         object_repr=f"{len(rows)} in_app",
                         after={"channel": NotificationChannel.IN_APP,
                                "events": sorted({r.event_key for r in rows}),
                                "recipients": sorted({r.recipient_id for r in rows})})
        from .delivery import deliveries_create

        deliveries_create(planned=[(p.recipient_id, p.kind, p.activity) for p in planned],
                          events=event_kinds, tickets=tickets)
    return len(rows)


def notifications_deliver_for_activities(*, activity_ids: Iterable[int]) -> int:
    """Deliver the notifications of the given timeline entries (e.g. an SLA event's `activity_id`)."""
    ids = sorted({int(i) for i in activity_ids})
    if not ids:
        return 0
    return notifications_deliver(activities=list(Activity.objects.filter(RELEVANT, pk__in=ids).order_by("id")))


def notifications_deliver_sla_from(*, first_activity_id: int) -> int:
    """Deliver the SLA events of a burst that began with timeline entry `first_activity_id`.

    A sweep sends its events in no particular id order (an escalation's entry may be announced before the
    breaches recorded just before it), so the burst is taken as every SLA entry since a minute before its
    first announced one."""
    first = Activity.objects.filter(pk=first_activity_id).values_list("created_at", flat=True).first()
    if first is None:
        return 0
    return notifications_catch_up(since=first - BURST_MARGIN, only=SLA_ENTRIES)


def notifications_deliver_for_record(*, content_type_id: int, object_id: int,
                                     since: dt.datetime | None = None) -> int:
    """Deliver what the record's recent timeline entries call for (after an incident was created or acted on:
    the signal names the record, not the entry)."""
    since = since or timezone.now() - CATCH_UP_WINDOW
    rows = Activity.objects.filter(RELEVANT, content_type_id=content_type_id, object_id=object_id,
                                   created_at__gte=since).order_by("id")
    return notifications_deliver(activities=list(rows))


def notifications_catch_up(*, since: dt.datetime | None = None, now: dt.datetime | None = None,
                           only: Q | None = None) -> int:
    """Re-derive the notifications of every relevant timeline entry since `since` (default: the last hour).

    The timeline has no index on its time, so the window is found by walking back over primary-key ranges from
    the newest entry (each step an index range scan), not by filtering the whole table on `created_at`.
    """
    since = since or (now or timezone.now()) - CATCH_UP_WINDOW
    top = Activity.objects.order_by("-id").values_list("id", flat=True).first()
    created = 0
    while top is not None and top > 0:
        low = max(top - SCAN_STEP, 0)
        window = Activity.objects.filter(pk__gt=low, pk__lte=top)
        oldest = window.order_by("id").values_list("created_at", flat=True).first()
        rows = list(window.filter(only if only is not None else RELEVANT, created_at__gte=since).order_by("id"))
        created += notifications_deliver(activities=rows)
        if oldest is None or oldest < since:
            break
        top = low
    return created


# --- reading state -----------------------------------------------------------------------------------------

def notification_mark_read(*, notification: Notification, by: User) -> Notification:
    """Mark one of `by`'s own notifications read (nothing happens when it already is)."""
    if notification.recipient_id != by.pk:
        raise NotFound()
    if notification.read_at is not None:
        return notification
    now = timezone.now()
    with transaction.atomic():
        moved = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        if moved:
            audit_record(actor=by, action="notification.read", instance=notification, after={"read_at": now})
    notification.read_at = now
    return notification


def notifications_mark_all_read(*, by: User) -> int:
    """Mark every unread notification of `by` read; returns how many were unread."""
    now = timezone.now()
    with transaction.atomic():
        moved = Notification.objects.filter(recipient=by, read_at__isnull=True).update(read_at=now)
        if moved:
            audit_record(actor=by, action="notification.read_all", object_type="notifications.notification",
                         object_repr=by.username, after={"count": moved, "read_at": now})
    return int(moved)


# --- who is told -------------------------------------------------------------------------------------------

def _plan(activities: Sequence[Activity]) -> list[_Planned]:
    """The (recipient, kind) pairs each timeline entry calls for; a few queries per batch, none per entry."""
    return _plan_events(activities)[0]


def _plan_events(activities: Sequence[Activity]) -> tuple[list[_Planned], list[tuple[Activity, str]]]:
    """The (recipient, kind) pairs each timeline entry calls for, and each entry's kind for the group robots
    (an event tells the group whoever the actor was: the group is not the actor)."""
    if not activities:
        return [], []
    incidents = Incident.objects.only("pk", "contract_id", "requester_id").in_bulk(
        {a.object_id for a in activities})
    assignees = _assignees(activities)
    engineers = dict(WorkOrder.objects.filter(
        number__in=[str(a.data.get("work_order")) for a in activities if a.action == "dispatch"
                    and (a.data or {}).get("work_order")]).values_list("number", "engineer_id"))
    urgent_contracts = {incidents[a.object_id].contract_id for a in activities
                        if a.kind == ActivityKind.CREATED and a.object_id in incidents
                        and _int((a.data or {}).get("level")) in URGENT_LEVELS}
    managers: dict[int, list[int]] = {}
    if urgent_contracts:
        for contract_id, user_id in RoleGrant.objects.filter(
                contract_id__in=urgent_contracts, role=Role.PROJECT_MANAGER, user__is_active=True) \
                .values_list("contract_id", "user_id").distinct():
            managers.setdefault(contract_id, []).append(user_id)
    out: list[_Planned] = []
    events: list[tuple[Activity, str]] = []
    for a in activities:
        incident = incidents.get(a.object_id)
        if incident is None:
            continue
        data = a.data or {}
        told: list[tuple[int | None, str]] = []
        if a.kind == ActivityKind.CREATED:
            if _int(data.get("level")) in URGENT_LEVELS:
                told += [(u, K.CREATED) for u in managers.get(incident.contract_id, [])]
        elif a.kind == ActivityKind.SYSTEM and a.action in SLA_ACTIONS:
            told += [(_recipient_id(p), SLA_ACTIONS[a.action]) for p in data.get("recipients") or []]
        elif a.kind == ActivityKind.ACTION:
            if a.action == "change_level" and data.get("automatic"):
                told += [(_recipient_id(p), K.ESCALATION) for p in data.get("recipients") or []]
            elif a.action in ASSIGNING_ACTIONS:
                told.append((assignees.get(a.pk), K.ASSIGNED))
            elif a.action == "dispatch":
                told.append((engineers.get(str(data.get("work_order"))), K.DISPATCHED))
            if a.to_status in STATUS_KINDS and a.from_status != a.to_status:
                told.append((incident.requester_id, STATUS_KINDS[IncidentStatus(a.to_status)]))
        if told:
            events.append((a, told[0][1]))
        seen: set[int] = set()
        for person, kind in told:
            if person is None or person == a.actor_id or person in seen:
                continue
            seen.add(person)
            out.append(_Planned(recipient_id=person, kind=kind, activity=a))
    active = set(User.objects.filter(pk__in={p.recipient_id for p in out}, is_active=True)
                 .values_list("pk", flat=True)) if out else set()
    return [p for p in out if p.recipient_id in active], events


def _assignees(activities: Sequence[Activity]) -> dict[int, int]:
    """The person each assign / escalate entry assigned, by entry id (the workflow records `assignee_id`)."""
    return {a.pk: a.data["assignee_id"] for a in activities
            if a.action in ASSIGNING_ACTIONS and isinstance((a.data or {}).get("assignee_id"), int)}


def _recipient_id(person: Any) -> int | None:
    if isinstance(person, dict):
        return _int(person.get("id"))
    return _int(person)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _text(activity: Activity) -> str:
    text = " ".join(str(activity.body or "").split())
    return text if len(text) <= 300 else text[:299] + "…"


def _url(ticket: Incident, recipient_id: int) -> str:
    # The requester follows their ticket in the portal; everyone else on the staff pages.
    try:
        if ticket.requester_id == recipient_id:
            return reverse("portal:incident_detail", args=[ticket.number])
        return ticket.get_absolute_url()
    except NoReverseMatch:
        return ""


def _incident_ct_id() -> int:
    return ContentType.objects.get_for_model(Incident).pk


# --- preferences -------------------------------------------------------------------------------------------

def notification_preferences_save(*, user: User, email: dict[str, bool] | None = None,
                                  language: str | None = None) -> User:
    """Save `user`'s e-mail choice per kind and the language of their messages. In-app notifications are
    always on and cannot be turned off; a kind not named keeps its current choice."""
    from .choices import MessageLanguage
    from .models import NotificationPreference

    errors: dict[str, str] = {}
    email = email or {}
    unknown = sorted(k for k in email if k not in NotificationKind.values)
    if unknown:
        errors["email"] = _("Unknown notification kind: %(kinds)s.") % {"kinds": ", ".join(unknown)}
    if language is not None and language not in MessageLanguage.values:
        errors["language"] = _("Choose zh-hans or en.")
    if errors:
        raise ValidationError(fields=errors)
    with transaction.atomic():
        before = {"language": user.language,
                  "email_off": sorted(NotificationPreference.objects.filter(
                      user=user, channel=NotificationChannel.EMAIL, enabled=False).values_list("kind", flat=True))}
        for kind, enabled in email.items():
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind, channel=NotificationChannel.EMAIL, defaults={"enabled": bool(enabled)})
        if language is not None and language != user.language:
            User.objects.filter(pk=user.pk).update(language=language)
            user.language = language
        after = {"language": user.language,
                 "email_off": sorted(NotificationPreference.objects.filter(
                     user=user, channel=NotificationChannel.EMAIL, enabled=False).values_list("kind", flat=True))}
        audit_record(actor=user, action="notification.preferences", instance=user, before=before, after=after)
    return user


# --- group robots ------------------------------------------------------------------------------------------

ROBOT_FIELDS = ("contract", "provider", "name", "webhook_url", "secret", "kinds", "language", "is_active")


def robot_may_manage(*, user: User, contract_id: int) -> bool:
    """Robots of a contract are configured by its project managers and system administrators (and
    superusers)."""
    from opsdesk.accounts.selectors import access_for

    if user.is_superuser:
        return True
    return bool(access_for(user).roles_on(contract_id) & MANAGING_ROLES)


MANAGING_ROLES = frozenset({Role.PROJECT_MANAGER, Role.SYSTEM_ADMIN})


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _robot_validate(*, provider: str, name: str, webhook_url: str, secret: str, kinds: Sequence[str],
                    language: str) -> dict[str, str]:
    from .choices import MessageLanguage, RobotProvider

    errors: dict[str, str] = {}
    if provider not in RobotProvider.values:
        errors["provider"] = _("Choose DingTalk, WeCom or Feishu.")
    if not name.strip():
        errors["name"] = _("Give the robot a name.")
    elif len(name) > 100:
        errors["name"] = _("At most %(n)d characters.") % {"n": 100}
    url = webhook_url.strip()
    if not url.lower().startswith(("https://", "http://")) or any(c.isspace() for c in url) or len(url) > 500:
        errors["webhook_url"] = _("Enter the robot's webhook URL (https://…).")
    elif _host(url) not in settings.OPSDESK_ROBOT_ALLOWED_HOSTS:
        errors["webhook_url"] = _("Robots may only call %(hosts)s (OPSDESK_ROBOT_ALLOWED_HOSTS).") % {
            "hosts": ", ".join(settings.OPSDESK_ROBOT_ALLOWED_HOSTS)}
    elif provider == RobotProvider.WECOM and "key=" not in url:
        errors["webhook_url"] = _("A WeCom webhook URL contains the robot's key (…/send?key=…).")
    elif provider == RobotProvider.DINGTALK and "access_token=" not in url:
        errors["webhook_url"] = _("A DingTalk webhook URL contains the access token (…/send?access_token=…).")
    if len(secret) > 200 or any(c.isspace() for c in secret):
        errors["secret"] = _("The signing secret is one word of at most 200 characters.")
    bad = [k for k in kinds if k not in NotificationKind.values]
    if not kinds:
        errors["kinds"] = _("Choose at least one kind of notification.")
    elif bad:
        errors["kinds"] = _("Unknown notification kind: %(kinds)s.") % {"kinds": ", ".join(bad)}
    if language not in MessageLanguage.values:
        errors["language"] = _("Choose zh-hans or en.")
    return errors


def robot_create(*, by: User, contract_id: int, provider: str, name: str, webhook_url: str, secret: str = "",
                 kinds: Sequence[str], language: str = "zh-hans") -> Robot:
    """Add a group robot to a contract (its project managers and system administrators only)."""
    if not robot_may_manage(user=by, contract_id=contract_id):
        raise NotFound()
    errors = _robot_validate(provider=provider, name=name, webhook_url=webhook_url, secret=secret, kinds=kinds,
                             language=language)
    if not errors and Robot.objects.filter(contract_id=contract_id, name=name.strip()).exists():
        errors["name"] = _("This contract already has a robot of that name.")
    if errors:
        raise ValidationError(fields=errors)
    with transaction.atomic():
        robot = Robot.objects.create(contract_id=contract_id, provider=provider, name=name.strip(),
                                     webhook_url=webhook_url.strip(), secret=secret, kinds=list(dict.fromkeys(kinds)),
                                     language=language)
        audit_record(actor=by, action="robot.create", instance=robot, after=_robot_snapshot(robot))
    return robot


def robot_update(*, robot: Robot, by: User, name: str, webhook_url: str, secret: str | None, kinds: Sequence[str],
                 language: str, is_active: bool) -> Robot:
    """Change a robot; `secret=None` keeps the stored secret (the form never shows it)."""
    if not robot_may_manage(user=by, contract_id=robot.contract_id):
        raise NotFound()
    secret = robot.secret if secret is None else secret
    errors = _robot_validate(provider=robot.provider, name=name, webhook_url=webhook_url, secret=secret,
                             kinds=kinds, language=language)
    if not errors and Robot.objects.filter(contract_id=robot.contract_id, name=name.strip()) \
            .exclude(pk=robot.pk).exists():
        errors["name"] = _("This contract already has a robot of that name.")
    if errors:
        raise ValidationError(fields=errors)
    with transaction.atomic():
        before = _robot_snapshot(robot)
        robot.name, robot.webhook_url, robot.secret = name.strip(), webhook_url.strip(), secret
        robot.kinds, robot.language, robot.is_active = list(dict.fromkeys(kinds)), language, is_active
        robot.save()
        audit_record(actor=by, action="robot.update", instance=robot, before=before, after=_robot_snapshot(robot))
    return robot


def robot_disable(*, robot: Robot, by: User) -> Robot:
    """Stop a robot: it receives nothing more, and what was waiting for it is not sent."""
    if not robot_may_manage(user=by, contract_id=robot.contract_id):
        raise NotFound()
    from .choices import DeliveryStatus
    from .models import Delivery

    with transaction.atomic():
        Robot.objects.filter(pk=robot.pk).update(is_active=False)
        Delivery.objects.filter(robot=robot, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED, last_error="The group robot is disabled.")
        robot.is_active = False
        audit_record(actor=by, action="robot.disable", instance=robot, after={"is_active": False})
    return robot


def _robot_snapshot(robot: Robot) -> dict[str, Any]:
    # The secret and the webhook's token are credentials: the audit trail records only that they are set.
    return {"name": robot.name, "provider": robot.provider, "kinds": robot.kinds, "language": robot.language,
            "is_active": robot.is_active, "secret_set": bool(robot.secret),
            "webhook_host": robot.webhook_url.split("/")[2] if robot.webhook_url.count("/") >= 2 else ""}

"""API of the notifications app, mounted at /api/v1/notifications (see config/api.py): the caller's own
in-app notifications, the unread count, marking read. Someone else's notification is a 404.

Handlers stay thin: reads through selectors.py (scoped to the caller), writes through services.py.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from opsdesk.core.api import ERROR_RESPONSES, CursorPageOut, OutSchema, Text, api_user

from . import selectors, services
from .choices import DeliveryStatus, NotificationChannel, NotificationKind
from .models import Delivery, Notification

if TYPE_CHECKING:
    from opsdesk.accounts.models import User

router = Router(tags=["notifications"])


class NotificationOut(OutSchema):
    id: int
    kind: str = Field(description="created, assigned, dispatched, awaiting_confirmation, resolved, sla_warning, "
                                  "sla_breach or escalation.")
    kind_label: str
    ticket_number: str
    ticket_title: str
    text: str
    url: str = Field(description="The ticket's page for this reader.")
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPageOut(CursorPageOut):
    items: list[NotificationOut]


class NotificationListParams(Schema):
    unread: bool = Field(False, description="Only unread notifications.")
    limit: int = Field(25, ge=1, le=200)
    cursor: Text | None = None


class UnreadCountOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int = Field(description="How many notifications were unread and are now read.")


def _out(n: Notification) -> dict[str, Any]:
    return {"id": n.pk, "kind": n.kind, "kind_label": str(NotificationKind(n.kind).label)
            if n.kind in NotificationKind.values else n.kind,
            "ticket_number": n.ticket_number, "ticket_title": n.ticket_title, "text": n.text, "url": n.url,
            "created_at": n.created_at, "read_at": n.read_at}


@router.get("", response={200: NotificationPageOut, **ERROR_RESPONSES}, summary="My notifications")
def notification_list(request: HttpRequest, filters: Query[NotificationListParams]) -> dict[str, Any]:
    page = selectors.notification_page(visible_to=api_user(request), limit=filters.limit, cursor=filters.cursor,
                                       unread_only=filters.unread)
    return {"items": [_out(n) for n in page.items], "next_cursor": page.next_cursor,
            "prev_cursor": page.prev_cursor, "count": page.count, "count_capped": page.count_capped}


@router.get("/unread-count", response={200: UnreadCountOut, **ERROR_RESPONSES}, summary="My unread count")
def notification_unread_count(request: HttpRequest) -> dict[str, int]:
    return {"unread": selectors.notification_unread_count(visible_to=api_user(request))}


@router.post("/read-all", response={200: MarkedOut, **ERROR_RESPONSES}, summary="Mark all my notifications read")
def notification_read_all(request: HttpRequest) -> dict[str, int]:
    return {"marked": services.notifications_mark_all_read(by=api_user(request))}


class PreferenceOut(OutSchema):
    kind: str
    kind_label: str
    in_app: bool = Field(description="Always true: in-app notifications cannot be turned off.")
    email: bool


class PreferencesOut(OutSchema):
    language: str = Field(description="The language of one's messages: zh-hans or en.")
    email_address: str = Field(description="Where e-mail goes; empty: no e-mail is sent, whatever is chosen.")
    kinds: list[PreferenceOut]


class PreferencesIn(Schema):
    language: Text | None = Field(None, description="zh-hans or en.")
    email: dict[Text, bool] = Field(default_factory=dict,
                                    description="Per kind: whether to receive it by e-mail. Kinds not named keep "
                                                "their current choice.")


def _preferences(user: User) -> dict[str, Any]:
    rows = selectors.notification_preferences(user=user)
    return {"language": user.language, "email_address": user.email,
            "kinds": [{"kind": r.kind, "kind_label": r.label, "in_app": r.in_app, "email": r.email} for r in rows]}


@router.get("/preferences", response={200: PreferencesOut, **ERROR_RESPONSES}, summary="My notification settings")
def preferences_get(request: HttpRequest) -> dict[str, Any]:
    return _preferences(api_user(request))


@router.put("/preferences", response={200: PreferencesOut, **ERROR_RESPONSES},
            summary="Change my notification settings")
def preferences_put(request: HttpRequest, payload: PreferencesIn) -> dict[str, Any]:
    user = api_user(request)
    services.notification_preferences_save(user=user, email=payload.email, language=payload.language)
    return _preferences(user)


class AttemptOut(OutSchema):
    started_at: dt.datetime
    duration_ms: int | None
    outcome: str = Field(description="started, sent, retry, rate_limited, failed or interrupted.")
    error: str


class DeliveryOut(OutSchema):
    id: int
    channel: str = Field(description="email, dingtalk, wecom or feishu.")
    target: str = Field(description="The recipient's username (e-mail) or the robot's name.")
    kind: str
    ticket_number: str
    ticket_title: str
    status: str = Field(description="pending, sending, sent or failed.")
    attempts: int
    next_attempt_at: dt.datetime | None = Field(description="When a pending delivery is tried next.")
    last_error: str
    sent_at: dt.datetime | None
    created_at: dt.datetime
    attempt_log: list[AttemptOut]


class DeliveryPageOut(CursorPageOut):
    items: list[DeliveryOut]


class DeliveryListParams(Schema):
    channel: NotificationChannel | None = None
    status: DeliveryStatus | None = None
    ticket: Text | None = Field(None, max_length=40, description="A ticket number.")
    limit: int = Field(25, ge=1, le=200)
    cursor: Text | None = None


def _delivery_out(d: Delivery) -> dict[str, Any]:
    target = d.recipient.username if d.recipient is not None else (d.robot.name if d.robot is not None else "")
    return {"id": d.pk, "channel": d.channel, "target": target, "kind": d.kind, "ticket_number": d.ticket_number,
            "ticket_title": d.ticket_title, "status": d.status, "attempts": d.attempts,
            "next_attempt_at": d.next_attempt_at if d.status == DeliveryStatus.PENDING else None,
            "last_error": d.last_error, "sent_at": d.sent_at, "created_at": d.created_at,
            "attempt_log": [{"started_at": a.started_at, "duration_ms": a.duration_ms, "outcome": a.outcome,
                             "error": a.error} for a in d.attempt_log.all()]}


@router.get("/deliveries", response={200: DeliveryPageOut, **ERROR_RESPONSES}, summary="Notification log")
def delivery_list(request: HttpRequest, filters: Query[DeliveryListParams]) -> dict[str, Any]:
    """Outgoing deliveries (e-mail, group robots) and every attempt, of the contracts the caller manages
    (project manager, system administrator); empty for everyone else."""
    page = selectors.delivery_page(
        visible_to=api_user(request), limit=filters.limit, cursor=filters.cursor,
        filters=selectors.DeliveryFilters(channel=filters.channel or "", status=filters.status or "",
                                          ticket=filters.ticket or ""))
    return {"items": [_delivery_out(d) for d in page.items], "next_cursor": page.next_cursor,
            "prev_cursor": page.prev_cursor, "count": page.count, "count_capped": page.count_capped}


@router.get("/{notification_id}", response={200: NotificationOut, **ERROR_RESPONSES}, summary="One notification")
def notification_detail(request: HttpRequest, notification_id: int) -> dict[str, Any]:
    return _out(selectors.notification_get(pk=notification_id, visible_to=api_user(request)))


@router.post("/{notification_id}/read", response={200: NotificationOut, **ERROR_RESPONSES},
             summary="Mark a notification read")
def notification_read(request: HttpRequest, notification_id: int) -> dict[str, Any]:
    user = api_user(request)
    found = selectors.notification_get(pk=notification_id, visible_to=user)
    return _out(services.notification_mark_read(notification=found, by=user))

"""API of the notifications app, mounted at /api/v1/notifications (see config/api.py): the caller's own
in-app notifications, the unread count, marking read. Someone else's notification is a 404.

Handlers stay thin: reads through selectors.py (scoped to the caller), writes through services.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from opsdesk.core.api import ERROR_RESPONSES, CursorPageOut, OutSchema, Text, api_user

from . import selectors, services
from .choices import NotificationKind
from .models import Notification

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


@router.get("/{notification_id}", response={200: NotificationOut, **ERROR_RESPONSES}, summary="One notification")
def notification_detail(request: HttpRequest, notification_id: int) -> dict[str, Any]:
    return _out(selectors.notification_get(pk=notification_id, visible_to=api_user(request)))


@router.post("/{notification_id}/read", response={200: NotificationOut, **ERROR_RESPONSES},
             summary="Mark a notification read")
def notification_read(request: HttpRequest, notification_id: int) -> dict[str, Any]:
    user = api_user(request)
    found = selectors.notification_get(pk=notification_id, visible_to=user)
    return _out(services.notification_mark_read(notification=found, by=user))

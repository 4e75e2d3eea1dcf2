"""Reads of the notifications app; every one is scoped to the viewer (one only ever sees one's own)."""

from __future__ import annotations

from django.db.models import QuerySet

from opsdesk.accounts.models import User
from opsdesk.core.errors import NotFound
from opsdesk.core.pagination import Page, keyset_page

from .choices import NotificationChannel
from .models import Notification

LIST_ORDER = ("-id",)


def notification_list(*, visible_to: User, unread_only: bool = False) -> QuerySet[Notification]:
    """The viewer's in-app notifications, newest first (index notification_list_idx)."""
    qs = Notification.objects.filter(recipient=visible_to, channel=NotificationChannel.IN_APP)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by(*LIST_ORDER)


def notification_page(*, visible_to: User, limit: int = 25, cursor: str | None = None,
                      unread_only: bool = False) -> Page:
    """One keyset page of the viewer's notifications (two queries: the rows and a bounded count)."""
    return keyset_page(notification_list(visible_to=visible_to, unread_only=unread_only), order=LIST_ORDER,
                       limit=limit, cursor=cursor)


def notification_get(*, pk: int, visible_to: User) -> Notification:
    """One of the viewer's own notifications; anyone else's does not exist (NotFound)."""
    found = Notification.objects.filter(pk=pk, recipient=visible_to).first()
    if found is None:
        raise NotFound()
    return found


def notification_unread_count(*, visible_to: User) -> int:
    """How many of the viewer's in-app notifications are unread: one COUNT on the partial index
    notification_unread_idx (recipient where read_at is null)."""
    return Notification.objects.filter(recipient=visible_to, read_at__isnull=True,
                                       channel=NotificationChannel.IN_APP).count()

"""Reads of the notifications app; every one is scoped to the viewer (one only ever sees one's own)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from opsdesk.accounts.models import Contract, User
from opsdesk.accounts.selectors import access_for
from opsdesk.core.errors import NotFound
from opsdesk.core.pagination import Page, keyset_page

from .choices import NotificationChannel, NotificationKind
from .models import Delivery, DeliveryAttempt, Notification, NotificationPreference, Robot
from .services import MANAGING_ROLES

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


# --- preferences -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PreferenceRow:
    kind: str
    label: str
    in_app: bool
    email: bool


def notification_preferences(*, user: User) -> list[PreferenceRow]:
    """The person's matrix of kinds × channels: in-app always on; e-mail on unless turned off (and only
    with an address: without one nothing is mailed, whatever is ticked)."""
    off = set(NotificationPreference.objects.filter(user=user, channel=NotificationChannel.EMAIL, enabled=False)
              .values_list("kind", flat=True))
    return [PreferenceRow(kind=str(k), label=str(k.label), in_app=True, email=k not in off)
            for k in NotificationKind]


# --- group robots and the delivery log ---------------------------------------------------------------------

def managed_contract_ids(*, user: User) -> list[int] | None:
    """Contracts whose robots and delivery log the user manages (project manager, system administrator);
    None means every contract (a superuser)."""
    if user.is_superuser:
        return None
    access = access_for(user)
    return sorted(cid for cid, roles in access.roles_by_contract.items() if roles & MANAGING_ROLES)


def managed_contracts(*, user: User) -> QuerySet[Contract]:
    """The contracts for the robot form's picker."""
    ids = managed_contract_ids(user=user)
    qs = Contract.objects.filter(is_active=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.order_by("code")


def robot_list(*, visible_to: User) -> QuerySet[Robot]:
    """The robots of the contracts the viewer manages, by contract and name."""
    ids = managed_contract_ids(user=visible_to)
    qs = Robot.objects.select_related("contract")
    if ids is not None:
        qs = qs.filter(contract_id__in=ids)
    return qs.order_by("contract__code", "name", "id")


def robot_get(*, pk: int, visible_to: User) -> Robot:
    """A robot of a contract the viewer manages; any other does not exist (NotFound)."""
    found = robot_list(visible_to=visible_to).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


@dataclass(frozen=True)
class DeliveryFilters:
    channel: str = ""
    status: str = ""
    ticket: str = ""


def delivery_list(*, visible_to: User, filters: DeliveryFilters | None = None) -> QuerySet[Delivery]:
    """The outgoing deliveries of the contracts the viewer manages, newest first, filtered by channel,
    status and ticket number. Nobody else sees any (an empty list, not an error)."""
    filters = filters or DeliveryFilters()
    ids = managed_contract_ids(user=visible_to)
    qs = Delivery.objects.select_related("recipient", "robot")
    if ids is not None:
        qs = qs.filter(contract_id__in=ids)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.ticket:
        qs = qs.filter(ticket_number=filters.ticket.strip())
    return qs.order_by(*LIST_ORDER)


def delivery_page(*, visible_to: User, filters: DeliveryFilters | None = None, limit: int = 25,
                  cursor: str | None = None) -> Page:
    """One keyset page of the delivery log, each delivery with its attempts (one query for all of them)."""
    page = keyset_page(delivery_list(visible_to=visible_to, filters=filters), order=LIST_ORDER, limit=limit,
                       cursor=cursor)
    prefetch_related_objects(page.items, Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("id")))
    return page

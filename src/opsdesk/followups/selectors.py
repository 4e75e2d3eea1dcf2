"""Every read of follow-ups, scoped like tickets: the contract's staff, the requester, the client contact of the
organisation; anyone else gets a 404. The list is the transfer-out tracking table (转出问题跟踪表)."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import ticket_visibility_q
from opsdesk.core.db import one_or_none
from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.core.models import Activity
from opsdesk.core.pagination import Page, keyset_page

from .choices import OPEN_STATUSES, FollowUpStatus
from .models import FollowUp

NUMBER_RE = re.compile(r"^FUP-\d{8}-\d{4,}$", re.IGNORECASE)
CONTRACT_MAX = 40


def _base() -> QuerySet[FollowUp]:
    return FollowUp.objects.select_related("contract", "requester", "ticket_type", "opened_by")


def followup_get(*, number: str, visible_to: User) -> FollowUp:
    number = (number or "").strip().upper()
    found = (one_or_none(_base().filter(ticket_visibility_q(visible_to), number=number))
             if NUMBER_RE.match(number) else None)
    if found is None:
        raise NotFound(_("There is no follow-up %(number)s.") % {"number": number[:40]}, code="follow_up_not_found")
    return found


def parse_filters(params: Any) -> dict[str, Any]:
    """`status` (a status, or "open" for every unfinished one), `contract` (code), `ticket` (number)."""
    status = str(params.get("status") or "").strip()
    if status and status != "open" and status not in FollowUpStatus.values:
        raise ValidationError(fields={"status": _("Unknown status “%(value)s”.") % {"value": status[:40]}})
    return {"status": status, "contract": str(params.get("contract") or "").replace("\x00", "").strip()[:CONTRACT_MAX],
            "ticket": str(params.get("ticket") or "").replace("\x00", "").strip().upper()[:40]}


def followup_list(*, visible_to: User, filters: dict[str, Any], limit: int, cursor: str | None = None) -> Page:
    """A page of the tracking table, newest first: one query for the rows."""
    qs = _base().filter(ticket_visibility_q(visible_to))
    if filters.get("status") == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("contract"):
        qs = qs.filter(contract__code=filters["contract"])
    if filters.get("ticket"):
        qs = qs.filter(ticket_number=filters["ticket"])
    return keyset_page(qs, order=("-id",), limit=limit, cursor=cursor)


def followups_of(ticket: Any) -> list[FollowUp]:
    """Every follow-up of one ticket, newest first (the ticket's page shows them)."""
    return list(FollowUp.objects.filter(ticket_type=ContentType.objects.get_for_model(type(ticket)),
                                        ticket_id=ticket.pk).order_by("-id"))


def followup_timeline(*, follow_up: FollowUp) -> list[Activity]:
    return list(Activity.objects.filter(content_type=ContentType.objects.get_for_model(FollowUp),
                                        object_id=follow_up.pk).select_related("actor").order_by("id"))


def ticket_url(follow_up: FollowUp, viewer: User) -> str:
    """Where the viewer reads the ticket: an incident's requester and contact read it on the portal; everyone
    else on the ticket type's own page (its get_absolute_url, which needs only the number)."""
    from django.urls import reverse

    from opsdesk.accounts.selectors import access_for

    staff = follow_up.contract_id in access_for(viewer).staff_contract_ids
    if follow_up.ticket_type.model == "incident" and not staff:
        return reverse("portal:incident_detail", args=[follow_up.ticket_number])
    model = follow_up.ticket_type.model_class()
    if model is None:
        return ""
    instance = model(pk=follow_up.ticket_id, number=follow_up.ticket_number)
    return str(instance.get_absolute_url())  # type: ignore[attr-defined]

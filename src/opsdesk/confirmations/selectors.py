"""Every read of confirmations and transfer-out reports, scoped to the viewer.

The contractor's staff of a contract see all of its items and reports. The client's application owner,
division leader and application division see the reports of their contract once they left the draft, and the
items inside them; nobody else sees anything (404).
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from opsdesk.accounts.choices import Role
from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import access_for
from opsdesk.core.approvals import PendingApproval
from opsdesk.core.db import one_or_none
from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.core.models import Activity
from opsdesk.core.pagination import Page, keyset_page

from .choices import ConfirmationKind, ConfirmationStatus, ReportKind, ReportStatus
from .models import Confirmation, TransferReport

NUMBER_RE = re.compile(r"^(BUG|REQ)-\d{8}-\d{4,}$", re.IGNORECASE)
REPORT_NUMBER_RE = re.compile(r"^TR-\d{8}-\d{4,}$", re.IGNORECASE)
CLIENT_READERS = frozenset({Role.APP_OWNER, Role.DIVISION_LEADER, Role.APP_DIVISION})


def _client_contracts(user: User) -> list[int]:
    access = access_for(user)
    return sorted(cid for cid, roles in access.roles_by_contract.items() if roles & CLIENT_READERS)


def report_visibility_q(user: User, prefix: str = "") -> Q:
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    q = Q(**{f"{prefix}contract_id__in": sorted(access_for(user).staff_contract_ids)})
    clients = _client_contracts(user)
    if clients:
        q |= Q(**{f"{prefix}contract_id__in": clients}) & ~Q(**{f"{prefix}status": ReportStatus.DRAFT})
    return q


def confirmation_visibility_q(user: User) -> Q:
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    q = Q(contract_id__in=sorted(access_for(user).staff_contract_ids))
    clients = _client_contracts(user)
    if clients:
        q |= Q(contract_id__in=clients, report__isnull=False) & ~Q(report__status=ReportStatus.DRAFT)
    return q


def is_confirmation_staff(user: User, contract_id: int) -> bool:
    return contract_id in access_for(user).staff_contract_ids


def _items() -> QuerySet[Confirmation]:
    return Confirmation.objects.select_related("contract", "submitted_by", "reviewer", "report", "problem",
                                               "incident", "answered_by")


def confirmation_get(*, number: str, visible_to: User) -> Confirmation:
    number = (number or "").strip().upper()
    found = (one_or_none(_items().filter(confirmation_visibility_q(visible_to), number=number))
             if NUMBER_RE.match(number) else None)
    if found is None:
        raise NotFound(_("There is no item %(number)s.") % {"number": number[:40]}, code="confirmation_not_found")
    return found


def _one(params: Any, name: str) -> str:
    value = params.get(name)
    return "" if value is None else str(value).replace("\x00", "").strip()[:200]


def parse_filters(params: Any) -> dict[str, Any]:
    """`kind`, `status` (or `open`), `contract` (code), `urgent` (true|false), `q` (number or title words)."""
    errors: dict[str, str] = {}
    kind, status, urgent = _one(params, "kind"), _one(params, "status"), _one(params, "urgent").lower()
    if kind and kind not in ConfirmationKind.values:
        errors["kind"] = _("Unknown kind “%(value)s”.") % {"value": kind[:40]}
    if status and status != "open" and status not in ConfirmationStatus.values:
        errors["status"] = _("Unknown status “%(value)s”.") % {"value": status[:40]}
    if urgent and urgent not in ("true", "false"):
        errors["urgent"] = _("Use true or false.")
    if errors:
        raise ValidationError(fields=errors)
    return {"kind": kind, "status": status, "contract": _one(params, "contract")[:40],
            "urgent": {"true": True, "false": False}.get(urgent), "q": _one(params, "q")}


def confirmation_list(*, visible_to: User, filters: dict[str, Any], limit: int, cursor: str | None = None) -> Page:
    from .choices import OPEN_STATUSES

    qs = _items().filter(confirmation_visibility_q(visible_to))
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("status") == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("contract"):
        qs = qs.filter(contract__code=filters["contract"])
    if filters.get("urgent") is not None:
        qs = qs.filter(urgent=filters["urgent"])
    if filters.get("q"):
        text = filters["q"]
        qs = qs.filter(Q(number=text.upper()) | Q(title__icontains=text))
    return keyset_page(qs, order=("-id",), limit=limit, cursor=cursor)


def timeline(record: Confirmation | TransferReport) -> list[Activity]:
    return list(Activity.objects.filter(content_type=ContentType.objects.get_for_model(type(record)),
                                        object_id=record.pk).select_related("actor").order_by("id"))


def report_get(*, number: str, visible_to: User) -> TransferReport:
    number = (number or "").strip().upper()
    found = (one_or_none(TransferReport.objects.select_related("contract", "created_by", "approved_by")
                         .filter(report_visibility_q(visible_to), number=number))
             if REPORT_NUMBER_RE.match(number) else None)
    if found is None:
        raise NotFound(_("There is no transfer-out report %(number)s.") % {"number": number[:40]},
                       code="report_not_found")
    return found


def report_list(*, visible_to: User, filters: dict[str, Any], limit: int, cursor: str | None = None) -> Page:
    qs = (TransferReport.objects.select_related("contract").filter(report_visibility_q(visible_to))
          .annotate(item_count=Count("items", distinct=True),
                    answered_count=Count("items", filter=Q(items__status=ConfirmationStatus.ANSWERED),
                                         distinct=True)))
    status, kind, contract = _one(filters, "status"), _one(filters, "kind"), _one(filters, "contract")
    if status and status not in ReportStatus.values:
        raise ValidationError(fields={"status": _("Unknown status “%(value)s”.") % {"value": status[:40]}})
    if kind and kind not in ReportKind.values:
        raise ValidationError(fields={"kind": _("Unknown kind “%(value)s”.") % {"value": kind[:40]}})
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if contract:
        qs = qs.filter(contract__code=contract[:40])
    return keyset_page(qs, order=("-id",), limit=limit, cursor=cursor)


def report_items(report: TransferReport) -> list[Confirmation]:
    return list(report.items.select_related("answered_by", "problem", "incident").order_by("confirmed_at", "id"))


def reviewer_contracts(user: User) -> list[Any]:
    from opsdesk.accounts.selectors import contract_list

    return list(contract_list(visible_to=user, role_in=frozenset({Role.REVIEWER})))


# --- my approvals ------------------------------------------------------------------------------------------

def pending_approvals(user: User) -> list[PendingApproval]:
    """Reports waiting for this application owner's approval, and transferred reports with items waiting for
    this application division's answer (one query, none for people holding neither role)."""
    access = access_for(user)
    owner = sorted(cid for cid, roles in access.roles_by_contract.items() if Role.APP_OWNER in roles)
    division = sorted(cid for cid, roles in access.roles_by_contract.items() if Role.APP_DIVISION in roles)
    if not owner and not division:
        return []
    q = Q(contract_id__in=owner, status=ReportStatus.SUBMITTED) | Q(
        contract_id__in=division, status=ReportStatus.TRANSFERRED)
    out = []
    for report in TransferReport.objects.filter(q).select_related("contract").order_by("id")[:200]:
        waiting = report.status == ReportStatus.SUBMITTED
        out.append(PendingApproval(
            kind=str(_("Transfer-out report")), number=report.number, title=report.title,
            url=report.get_absolute_url(), step=str(_("Approve and transfer") if waiting else _("Answer the items")),
            since=(report.submitted_at if waiting else report.approved_at) or report.updated_at,
            contract=report.contract.code))
    return out

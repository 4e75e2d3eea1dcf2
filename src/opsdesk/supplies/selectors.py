"""Reads of the spare-parts store and consumables, scoped to the contractor's staff of each record's contract:
for anyone else a record does not exist (404) and lists are empty. Lists fetch their page of rows, then what
the rows show (stock per location, contracts) with one query each, whatever the number of rows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.accounts.models import Contract, Department, User
from opsdesk.accounts.selectors import staff_contracts_q
from opsdesk.core.db import one_or_none
from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.core.pagination import Page, keyset_page
from opsdesk.core.params import param_one

from .choices import MovementKind
from .models import Consumable, ConsumableMovement, Loan, SparePart, Stock, StockLocation, StockMovement


def visibility_q(user: User, field: str = "contract_id") -> Q:
    """Rows of the contracts `user` works on as contractor staff."""
    return staff_contracts_q(user, field)


def store_contracts(*, visible_to: User) -> QuerySet[Contract]:
    """The contracts whose store the user sees (filters and pickers)."""
    return Contract.objects.filter(visibility_q(visible_to, "id")).order_by("code")


def contract_for(*, code: str, visible_to: User) -> Contract:
    """A contract whose store the user sees, by code; NotFound otherwise."""
    found = one_or_none(Contract.objects.select_related("organisation").filter(
        visibility_q(visible_to, "id"), code=str(code or "").replace("\x00", "").strip()[:40]))
    if found is None:
        raise NotFound(_("Unknown contract."), code="contract_not_found")
    return found


def _pk(value: Any) -> int:
    try:
        key = int(str(value).strip())
    except (TypeError, ValueError):
        return 0
    return key if 0 < key < 2**63 else 0


# --- locations -------------------------------------------------------------------------------------------------

def location_list(*, contract_id: int) -> list[StockLocation]:
    return list(StockLocation.objects.filter(contract_id=contract_id, is_active=True).order_by("code"))


def location_find(*, contract_id: int, value: Any) -> StockLocation | None:
    """A location of the contract by code, name or id (forms and the API name it any of those ways)."""
    text = str(value or "").replace("\x00", "").strip()[:200]
    if not text:
        return None
    q = Q(code=text) | Q(name=text)
    if _pk(text):
        q |= Q(pk=_pk(text))
    return StockLocation.objects.filter(q, contract_id=contract_id, is_active=True).order_by("id").first()


# --- spare parts -----------------------------------------------------------------------------------------------

def _total_stock() -> Coalesce:
    per_part = (Stock.objects.filter(part=OuterRef("pk")).order_by().values("part")
                .annotate(total=Sum("quantity")).values("total"))
    return Coalesce(Subquery(per_part, output_field=IntegerField()), 0)


def part_get(*, pk: Any, visible_to: User) -> SparePart:
    key = _pk(pk)
    found = one_or_none(SparePart.objects.select_related("contract").filter(visibility_q(visible_to), pk=key)) \
        if key else None
    if found is None:
        raise NotFound(_("There is no spare part %(id)s.") % {"id": str(pk)[:20]}, code="part_not_found")
    attach_stock([found])
    return found


def attach_stock(parts: list[SparePart]) -> None:
    """Sets `stock_rows` (per location, with the location) and `total_stock` on each part: one query."""
    rows: dict[int, list[Stock]] = {p.pk: [] for p in parts}
    for stock in (Stock.objects.filter(part_id__in=list(rows)).select_related("location")
                  .order_by("location__code")):
        rows[stock.part_id].append(stock)
    for part in parts:
        part.stock_rows = rows[part.pk]  # type: ignore[attr-defined]
        part.total_stock = sum(s.quantity for s in rows[part.pk])  # type: ignore[attr-defined]


def part_queryset(*, visible_to: User, params: Any) -> QuerySet[SparePart]:
    """Parts matching the list filters: `contract` (code), `q` (code, name or model), `label`, `location`
    (code: parts in stock there), `below_min` (true: fewer in stock than the minimum)."""
    qs = SparePart.objects.select_related("contract").filter(visibility_q(visible_to), is_active=True)
    if contract := param_one(params, "contract", drop_nul=True)[:40]:
        qs = qs.filter(contract__code=contract)
    if q := param_one(params, "q", drop_nul=True)[:200]:
        qs = qs.filter(Q(code=q) | Q(name__icontains=q) | Q(model__icontains=q))
    if label := param_one(params, "label", drop_nul=True)[:30]:
        qs = qs.filter(Q(labels=label) | Q(labels__startswith=f"{label},") | Q(labels__endswith=f",{label}")
                       | Q(labels__contains=f",{label},"))
    if location := param_one(params, "location", drop_nul=True)[:60]:
        qs = qs.filter(pk__in=Stock.objects.filter(location__code=location, quantity__gt=0).values("part_id"))
    below = param_one(params, "below_min")
    if below not in ("", "true", "false", "1", "0", "on"):
        raise ValidationError(fields={"below_min": _("Use true or false.")})
    if below in ("true", "1", "on"):
        qs = qs.annotate(total=_total_stock()).filter(total__lt=F("min_stock"))
    return qs


def part_list(*, visible_to: User, params: Any, limit: int, cursor: str | None = None) -> Page:
    """Parts newest first (see `part_queryset` for the filters), each with its stock per location."""
    page = keyset_page(part_queryset(visible_to=visible_to, params=params), order=("-id",), limit=limit,
                       cursor=cursor)
    attach_stock(page.items)
    return page


def movement_queryset(*, visible_to: User, params: Any) -> QuerySet[StockMovement]:
    """Movements matching `contract` (code), `part` (id), `kind`, `ticket` (INC-…)."""
    qs = StockMovement.objects.select_related("part", "from_location", "to_location", "incident", "by",
                                              "contract").filter(visibility_q(visible_to))
    if contract := param_one(params, "contract", drop_nul=True)[:40]:
        qs = qs.filter(contract__code=contract)
    if part := param_one(params, "part", drop_nul=True):
        qs = qs.filter(part_id=_pk(part))
    kind = param_one(params, "kind", drop_nul=True)
    if kind and kind not in MovementKind.values:
        raise ValidationError(fields={"kind": _("Unknown kind “%(value)s”.") % {"value": kind[:40]}})
    if kind:
        qs = qs.filter(kind=kind)
    if ticket := param_one(params, "ticket", drop_nul=True)[:40]:
        qs = qs.filter(incident__number=ticket)
    return qs


def movement_list(*, visible_to: User, params: Any, limit: int, cursor: str | None = None) -> Page:
    return keyset_page(movement_queryset(visible_to=visible_to, params=params), order=("-id",), limit=limit,
                       cursor=cursor)


def part_movements(*, part: SparePart, limit: int = 50) -> list[StockMovement]:
    """The part's latest movements, by the time they happened (a count entered late sorts where it belongs)."""
    return list(StockMovement.objects.filter(part=part).select_related(
        "from_location", "to_location", "incident", "by").order_by("-at", "-id")[:limit])


@dataclass
class Replenishment:
    """A part below its minimum stock and what to order to bring it back to the agreed level."""

    part: SparePart
    in_stock: int
    to_order: int

    @property
    def amount(self) -> Decimal:
        return self.part.unit_price * self.to_order


def replenishment(*, visible_to: User, contract: Contract | None = None) -> list[Replenishment]:
    """Parts with fewer in stock (all locations) than their minimum, with the quantity that brings them to the
    agreed stock level; one query."""
    qs = (SparePart.objects.select_related("contract").filter(visibility_q(visible_to), is_active=True)
          .annotate(total=_total_stock()).filter(total__lt=F("min_stock")))
    if contract is not None:
        qs = qs.filter(contract=contract)
    return [Replenishment(part=p, in_stock=p.total, to_order=p.agreed_stock - p.total)
            for p in qs.order_by("contract__code", "code")]


# --- consumables -----------------------------------------------------------------------------------------------

def consumable_get(*, pk: Any, visible_to: User) -> Consumable:
    key = _pk(pk)
    found = one_or_none(Consumable.objects.select_related("contract", "contract__organisation")
                        .filter(visibility_q(visible_to), pk=key)) if key else None
    if found is None:
        raise NotFound(_("There is no consumable %(id)s.") % {"id": str(pk)[:20]}, code="consumable_not_found")
    return found


def consumable_queryset(*, visible_to: User, params: Any) -> QuerySet[Consumable]:
    """Consumables matching `contract` (code), `q` (code, name, model or brand), `below_min`."""
    qs = Consumable.objects.select_related("contract").filter(visibility_q(visible_to), is_active=True)
    if contract := param_one(params, "contract", drop_nul=True)[:40]:
        qs = qs.filter(contract__code=contract)
    if q := param_one(params, "q", drop_nul=True)[:200]:
        qs = qs.filter(Q(code=q) | Q(name__icontains=q) | Q(model__icontains=q) | Q(brand__icontains=q))
    if param_one(params, "below_min") in ("true", "1", "on"):
        qs = qs.filter(quantity__lt=F("min_stock"))
    return qs


def consumable_list(*, visible_to: User, params: Any, limit: int, cursor: str | None = None) -> Page:
    return keyset_page(consumable_queryset(visible_to=visible_to, params=params), order=("-id",), limit=limit,
                       cursor=cursor)


def consumable_movements(*, consumable: Consumable, limit: int = 50) -> list[ConsumableMovement]:
    return list(ConsumableMovement.objects.filter(consumable=consumable)
                .select_related("department", "by").order_by("-id")[:limit])


def departments_of(*, contract: Contract) -> list[Department]:
    """The client's departments a consumable may be issued to."""
    return list(Department.objects.filter(organisation_id=contract.organisation_id).order_by("name"))


def department_find(*, contract: Contract, value: Any) -> Department | None:
    text = str(value or "").replace("\x00", "").strip()[:200]
    if not text:
        return None
    q = Q(name=text) | (Q(pk=_pk(text)) if _pk(text) else Q(pk__in=[]))
    return Department.objects.filter(q, organisation_id=contract.organisation_id).order_by("id").first()


def loan_get(*, pk: Any, visible_to: User) -> Loan:
    key = _pk(pk)
    found = one_or_none(Loan.objects.select_related("consumable", "department", "contract")
                        .filter(visibility_q(visible_to), pk=key)) if key else None
    if found is None:
        raise NotFound(_("There is no loan %(id)s.") % {"id": str(pk)[:20]}, code="loan_not_found")
    return found


def loan_queryset(*, visible_to: User, params: Any) -> QuerySet[Loan]:
    """Loans matching `contract` (code) and `state`: open (not returned), overdue, returned (default: all)."""
    qs = Loan.objects.select_related("consumable", "department", "contract").filter(visibility_q(visible_to))
    if contract := param_one(params, "contract", drop_nul=True)[:40]:
        qs = qs.filter(contract__code=contract)
    state = param_one(params, "state", drop_nul=True)
    if state == "open":
        qs = qs.filter(returned_at__isnull=True)
    elif state == "overdue":
        qs = qs.filter(returned_at__isnull=True, due_on__lt=timezone.localdate())
    elif state == "returned":
        qs = qs.filter(returned_at__isnull=False)
    elif state:
        raise ValidationError(fields={"state": _("Use open, overdue or returned.")})
    return qs


def loan_list(*, visible_to: User, params: Any, limit: int, cursor: str | None = None) -> Page:
    return keyset_page(loan_queryset(visible_to=visible_to, params=params), order=("-id",), limit=limit,
                       cursor=cursor)

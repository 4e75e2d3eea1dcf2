"""The store's reports, computed from the movements with a few aggregate queries (never one per part):
the monthly spare-parts stock report (月度备件库存报表) and the consumable usage ranking (耗材使用排行).

Months and days are Beijing time (the contracts' time): a movement at 00:00 on the 1st belongs to that month,
one at 23:59 on the last day too."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, DecimalField, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.accounts.models import Contract, User
from opsdesk.core.errors import ValidationError

from .choices import ConsumableMovementKind, MovementKind
from .models import ConsumableMovement, SparePart, StockMovement
from .selectors import visibility_q

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(value: Any) -> tuple[int, int]:
    """"2026-11" → (2026, 11); empty: this month (Beijing time)."""
    text = str(value or "").strip()
    if not text:
        today = timezone.localdate()
        return today.year, today.month
    match = MONTH_RE.match(text)
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        raise ValidationError(fields={"month": _("A month like 2026-11 is expected.")})
    return int(match.group(1)), int(match.group(2))


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """The month's first instant and the next month's, in the current (Beijing) time zone."""
    tz = timezone.get_current_timezone()
    start = dt.datetime(year, month, 1, tzinfo=tz)
    following = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start, following


def day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """From 00:00 of `first` to 00:00 of the day after `last`, Beijing time."""
    tz = timezone.get_current_timezone()
    return (dt.datetime.combine(first, dt.time(0), tzinfo=tz),
            dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz))


# --- monthly stock report ----------------------------------------------------------------------------------------

@dataclass
class StockReportRow:
    part: SparePart
    opening: int = 0
    received: int = 0
    issued: int = 0
    written_off: int = 0
    adjusted: int = 0
    transferred: int = 0

    @property
    def closing(self) -> int:
        return self.opening + self.received - self.issued - self.written_off + self.adjusted

    @property
    def closing_value(self) -> Decimal:
        return self.part.unit_price * self.closing

    @property
    def below_minimum(self) -> bool:
        return self.closing < self.part.min_stock


@dataclass
class StockReport:
    contract: Contract
    year: int
    month: int
    rows: list[StockReportRow] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def totals(self) -> dict[str, Any]:
        keys = ("opening", "received", "issued", "written_off", "adjusted", "closing")
        out: dict[str, Any] = {k: sum(getattr(r, k) for r in self.rows) for k in keys}
        out["closing_value"] = sum((r.closing_value for r in self.rows), Decimal("0.00"))
        return out


def _signed() -> Case:
    """A movement's effect on its part's total stock (a transfer moves it between locations: none)."""
    return Case(When(kind__in=(MovementKind.IN, MovementKind.ADJUSTMENT), then=F("quantity")),
                When(kind__in=(MovementKind.OUT, MovementKind.WRITE_OFF), then=F("quantity") * Value(-1)),
                default=Value(0), output_field=IntegerField())


def stock_report(*, contract: Contract, year: int, month: int) -> StockReport:
    """Per part of the contract: stock at the start of the month, received, issued, written off, adjusted by
    counts, and stock at its end. Two queries: the parts, and one aggregate over the movements up to the
    month's end grouped by part."""
    start, end = month_bounds(year, month)
    in_month = Q(at__gte=start, at__lt=end)

    def total(condition: Q) -> Coalesce:
        return Coalesce(Sum("quantity", filter=condition), 0)

    sums = (StockMovement.objects.filter(contract=contract, at__lt=end).order_by().values("part_id")
            .annotate(opening=Coalesce(Sum(_signed(), filter=Q(at__lt=start)), 0),
                      received=total(in_month & Q(kind=MovementKind.IN)),
                      issued=total(in_month & Q(kind=MovementKind.OUT)),
                      written_off=total(in_month & Q(kind=MovementKind.WRITE_OFF)),
                      adjusted=total(in_month & Q(kind=MovementKind.ADJUSTMENT)),
                      transferred=total(in_month & Q(kind=MovementKind.TRANSFER))))
    by_part: dict[int, dict[str, Any]] = {row["part_id"]: dict(row) for row in sums}
    # the parts that moved up to the month's end, and those in use that existed by then (with nothing moved)
    parts = SparePart.objects.filter(Q(pk__in=list(by_part)) | Q(is_active=True, created_at__lt=end),
                                     contract=contract).order_by("code")
    report = StockReport(contract=contract, year=year, month=month)
    for part in parts:
        row = by_part.get(part.pk, {})
        report.rows.append(StockReportRow(part=part, **{k: int(row.get(k) or 0) for k in (
            "opening", "received", "issued", "written_off", "adjusted", "transferred")}))
    return report


# --- consumable usage ranking ------------------------------------------------------------------------------------

@dataclass
class UsageRow:
    key: str
    name: str
    quantity: int
    amount: Decimal
    issues: int


def usage_ranking(*, visible_to: User, by: str, first: dt.date, last: dt.date,
                  contract: Contract | None = None) -> list[UsageRow]:
    """Consumables issued from `first` to `last` (Beijing days, both included), per department or per person,
    most money first (then most units): one aggregate query."""
    if by not in ("department", "person"):
        raise ValidationError(fields={"by": _("Rank by department or person.")})
    start, end = day_bounds(first, last)
    qs = ConsumableMovement.objects.filter(visibility_q(visible_to), kind=ConsumableMovementKind.ISSUE,
                                           at__gte=start, at__lt=end)
    if contract is not None:
        qs = qs.filter(contract=contract)
    group = ("department_id", "department__name") if by == "department" else ("recipient_id", "recipient_name")
    rows = (qs.order_by().values(*group)
            .annotate(qty=Sum("quantity"), money=Coalesce(Sum("amount"), Value(Decimal("0")),
                                                          output_field=DecimalField(max_digits=14, decimal_places=2)),
                      n=Count("id")))
    out = [UsageRow(key=str(r[group[0]] or ""), name=r[group[1]] or "—", quantity=int(r["qty"] or 0),
                    amount=Decimal(r["money"]).quantize(Decimal("0.01")), issues=int(r["n"])) for r in rows]
    out.sort(key=lambda r: (-r.amount, -r.quantity, r.name))
    return out


def parse_period(params: Any) -> tuple[dt.date, dt.date]:
    """`from` and `to` (YYYY-MM-DD, Beijing days); by default this month so far."""
    today = timezone.localdate()
    errors: dict[str, str] = {}
    values: dict[str, dt.date] = {}
    for name, default in (("from", today.replace(day=1)), ("to", today)):
        text = str(params.get(name) or "").replace("\x00", "").strip()
        try:
            values[name] = dt.date.fromisoformat(text) if text else default
        except ValueError:
            errors[name] = _("A date like 2026-11-23 is expected.")
    if not errors and values["from"] > values["to"]:
        errors["to"] = _("The end is before the start.")
    if not errors and (values["to"] - values["from"]).days > 3660:
        errors["to"] = _("At most ten years at a time.")
    if errors:
        raise ValidationError(fields=errors)
    return values["from"], values["to"]

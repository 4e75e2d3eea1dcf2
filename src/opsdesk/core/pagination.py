"""Keyset pagination shared by list pages and list APIs.

Pages are cut by the sort key of the last row seen (WHERE (level, id) > (…) ORDER BY … LIMIT n), so page 500
costs what page 1 costs, and counts are bounded (“1000+”) instead of a full COUNT(*) on every view.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from .errors import ValidationError


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None
    prev_cursor: str | None
    count: int
    count_capped: bool

    @property
    def count_display(self) -> str:
        return f"{self.count}+" if self.count_capped else str(self.count)


def _encode(values: list[Any], direction: str) -> str:
    values = [v.isoformat() if isinstance(v, dt.datetime | dt.date) else v for v in values]
    raw = json.dumps([direction, values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, width: int) -> tuple[str, list[Any]]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        direction, values = json.loads(raw)
        if direction not in ("n", "p") or not isinstance(values, list) or len(values) != width:
            raise ValueError
        if any(not isinstance(v, int | str | float) for v in values):
            raise ValueError
        return direction, values
    except (ValueError, TypeError, json.JSONDecodeError):
        raise ValidationError(fields={"cursor": _("This page link is no longer valid.")}) from None


def _after(order: tuple[str, ...], values: list[Any]) -> Q:
    """Rows strictly after `values` in the order `order` (each key ascending, or descending with '-')."""
    q = Q()
    for i, key in enumerate(order):
        name = key.lstrip("-")
        op = "lt" if key.startswith("-") else "gt"
        step = Q(**{f"{name}__{op}": values[i]})
        for j in range(i):
            step &= Q(**{order[j].lstrip("-"): values[j]})
        q |= step
    return q


def _flip(order: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(k[1:] if k.startswith("-") else f"-{k}" for k in order)


def keyset_page(qs: QuerySet, *, order: tuple[str, ...], limit: int, cursor: str | None = None,
                count_cap: int = 1000) -> Page:
    """One page of `qs` ordered by `order` (which must end in a unique key, e.g. '-id')."""
    fields = [k.lstrip("-") for k in order]
    direction = "n"
    base = qs
    try:
        if cursor:
            direction, values = _decode(cursor, len(order))
            if direction == "n":
                qs = qs.filter(_after(order, values)).order_by(*order)
            else:
                qs = qs.filter(_after(_flip(order), values)).order_by(*_flip(order))
        else:
            qs = qs.order_by(*order)
        rows = list(qs[: limit + 1])
    except (ValueError, TypeError, OverflowError, DjangoValidationError, DataError):
        # a hand-made cursor whose values do not fit the sort fields' types (or their range)
        raise ValidationError(fields={"cursor": _("This page link is no longer valid.")}) from None
    more = len(rows) > limit
    rows = rows[:limit]
    if direction == "p":
        rows.reverse()
    has_next = more if direction == "n" else bool(cursor)
    has_prev = bool(cursor) if direction == "n" else more

    def key_of(obj: Any) -> list[Any]:
        return [getattr(obj, f) for f in fields]

    next_cursor = _encode(key_of(rows[-1]), "n") if rows and has_next else None
    prev_cursor = _encode(key_of(rows[0]), "p") if rows and has_prev else None
    total = base.order_by()[: count_cap + 1].count()
    return Page(items=rows, next_cursor=next_cursor, prev_cursor=prev_cursor, count=min(total, count_cap),
                count_capped=total > count_cap)

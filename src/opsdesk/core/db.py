"""Small query helpers shared by selectors."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import QuerySet

R = TypeVar("R")


def one_or_none(qs: QuerySet[Any, R]) -> R | None:
    """The row of a lookup by a unique key, or None.

    Unlike `.first()` it adds no ORDER BY: compiling the ordering (and, with select_related, its columns) was
    a third of the CPU of creating an incident, for a query that can only return one row anyway.
    """
    for row in qs[:1]:
        return row
    return None

"""Human-readable record numbers (INC-20261122-0001), unique under concurrent creation on every database.

The counter row is created or bumped with one `INSERT … ON CONFLICT DO UPDATE … RETURNING` inside the caller's
transaction: PostgreSQL holds the row lock until commit and SQLite serialises writers, so two creators never
get the same number, and a rolled-back creation gives its number back.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from django.db import connection
from django.utils import timezone

from . import sql


def next_number(prefix: str, *, at: dt.datetime | None = None) -> str:
    """Return the next number for `prefix` on the local (Asia/Shanghai) day of `at`."""
    return next_numbers(prefix, 1, at=at)[0]


def next_numbers(prefix: str, count: int, *, at: dt.datetime | None = None) -> list[str]:
    """`count` consecutive numbers for `prefix` on the local day of `at`, taken in one statement (a batch)."""
    if count < 1:
        return []
    day = timezone.localtime(at or timezone.now()).strftime("%Y%m%d")
    key = f"{prefix}-{day}"
    row = sql.fetch_one(_bump_sql(), [key, count, count])
    assert row is not None
    last = int(row[0])
    return [f"{key}-{value:04d}" for value in range(last - count + 1, last + 1)]


@cache
def _bump_sql() -> str:
    table = connection.ops.quote_name("core_numbersequence")
    # One statement, prepared once per connection (core.sql): creation calls it every time.
    return (f'INSERT INTO {table} ("key", "value") VALUES (%s, %s) '  # noqa: S608
            f'ON CONFLICT ("key") DO UPDATE SET "value" = {table}."value" + %s RETURNING "value"')

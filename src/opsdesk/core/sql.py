"""Hot-path statements: written once from the models' metadata, prepared once per PostgreSQL connection.

Incident creation runs a handful of statements per request, and compiling them through the ORM cost more
CPU than anything else in the request (bench/RESULTS.md). The few statements on that path are built here
once per process from `_meta` (so a new column is picked up without touching them), run through Django's
cursor wrapper (they are counted by `assertNumQueries` and logged like any query), and on PostgreSQL as
server-side prepared statements: the server parses and plans each of them once per connection instead of
once per execution. Everything else keeps Django's client-side binding and per-execution plans, so the
generic-plan pitfall of skewed list filters (bench/RESULTS.md, "prepared" runs) cannot happen here: these
are lookups by a unique key and single-row inserts, whose plan never depends on the values.

Prepared statements are on unless `OPSDESK_DB_PREPARED=0` (for a transaction-mode pooler that cannot
carry them); SQLite runs the same SQL through its ordinary cursor.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from functools import cache, lru_cache
from typing import Any, TypeAlias, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

M = TypeVar("M", bound=models.Model)
R = TypeVar("R")


_PLACEHOLDER = re.compile(r"%%|%s")


@lru_cache(maxsize=512)
def _numbered(query: str) -> str:
    """`%s` placeholders as PostgreSQL's `$1, $2, …` (and `%%` as `%`), once per statement text.

    psycopg converts a statement's placeholders on every execution unless the statement is short (4 KB and
    50 parameters at most, `psycopg._queries`): the incident INSERT is longer, and converting it cost more
    than running it. A raw cursor takes the numbered text as it is."""
    numbers = iter(range(1, query.count("%s") + 1))
    return _PLACEHOLDER.sub(lambda m: "%" if m.group() == "%%" else f"${next(numbers)}", query)


def _preparing_cursor_class() -> type:
    import psycopg

    class PreparingCursor(psycopg.RawCursor):  # type: ignore[type-arg]
        """A server-binding cursor that prepares every statement it runs, numbering its placeholders once."""

        def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None,
                    binary: bool | None = None) -> Any:
            super().execute(_numbered(query) if params is not None else query, params,
                            prepare=True if prepare is None else prepare, binary=binary)
            # psycopg does not keep the text of a prepared execution; Django's query log reads it from here.
            self._query = _Logged(query, params)
            return self

    return PreparingCursor


class _Logged:
    """The statement as Django's query log shows it, composed only if someone reads it."""

    __slots__ = ("params", "sql")

    def __init__(self, sql: str, params: Any) -> None:
        self.sql, self.params = sql, params

    @property
    def query(self) -> bytes:
        return str(connection.ops.compose_sql(self.sql, self.params)).encode()


@cache
def _cursor_class() -> type:
    return _preparing_cursor_class()


def _raw_cursor(db: Any) -> Any:
    """The connection's reusable cursor: made once per connection, since making a psycopg cursor copies the
    connection's adapters, which costs more than running a prepared statement."""
    db.close_if_health_check_failed()
    db.ensure_connection()
    raw = db.connection
    cached = getattr(db, "_opsdesk_cursor", None)
    if cached is None or cached[0] is not raw or getattr(cached[1], "closed", False):
        prepare = db.vendor == "postgresql" and getattr(raw, "prepare_threshold", None) is not None
        with db.wrap_database_errors:
            made = _cursor_class()(raw) if prepare else db.create_cursor(None)
        cached = (raw, made)
        db._opsdesk_cursor = cached
    return cached[1]


def _run(sql: str, params: Sequence[Any], fetch: Callable[[Any], R], *, prepare: bool = True) -> R:
    """Execute and fetch, with Django's error translation (and broken-connection bookkeeping). Through
    Django's cursor wrapper when anyone listens (the query log, assertNumQueries, execute wrappers), so
    these statements are counted like any other; straight to the driver otherwise."""
    db = connections[DEFAULT_DB_ALIAS]  # the proxy `connection` costs a thread-local lookup per attribute
    cur = _raw_cursor(db)
    if db.queries_logged or db.execute_wrappers:
        wrapped = db._prepare_cursor(cur)
        wrapped.execute(sql, params)
        return fetch(wrapped)
    db.validate_no_broken_transaction()
    with db.wrap_database_errors:
        if prepare or db.vendor != "postgresql":
            cur.execute(sql, params)
        else:
            cur.execute(sql, params, prepare=False)
        return fetch(cur)


def q(name: str) -> str:
    return connection.ops.quote_name(name)


@cache
def fields_of(model: type[models.Model], names: tuple[str, ...] | None = None) -> tuple[models.Field[Any, Any], ...]:
    """The model's concrete fields (or the named ones), in the order `select_list` and `from_row` use."""
    if names is None:
        return tuple(model._meta.concrete_fields)
    return tuple(model._meta.get_field(n) for n in names)  # type: ignore[misc]


@cache
def attnames(model: type[models.Model], names: tuple[str, ...] | None = None) -> tuple[str, ...]:
    return tuple(f.attname for f in fields_of(model, names))


def select_list(model: type[models.Model], alias: str, names: tuple[str, ...] | None = None) -> str:
    """`alias."col", …` for every concrete column of `model` (or the named fields)."""
    return ", ".join(f"{alias}.{q(f.column)}" for f in fields_of(model, names))


@cache
def _converters(model: type[models.Model], names: tuple[str, ...] | None,
                vendor: str) -> tuple[tuple[int, tuple[Any, ...], Any], ...]:
    """Per column, the converters the ORM would apply to it (the backend's, then the field's)."""
    out = []
    for i, f in enumerate(fields_of(model, names)):
        col = f.get_col(model._meta.db_table)
        funcs = (*connection.ops.get_db_converters(col), *col.get_db_converters(connection))
        if funcs:
            out.append((i, funcs, col))
    return tuple(out)


def from_row(model: type[M], row: Sequence[Any], start: int = 0,
             names: tuple[str, ...] | None = None) -> tuple[M, int]:
    """An instance of `model` from `row[start:]` (columns as `select_list` orders them); and where it ended.

    Values go through the converters the ORM would apply (datetimes and JSON on SQLite, for instance);
    fields not named are deferred, as with `.only()`.
    """
    fields = fields_of(model, names)
    end = start + len(fields)
    values = list(row[start:end])
    for i, funcs, col in _converters(model, names, connection.vendor):
        for func in funcs:
            values[i] = func(values[i], col, connection)
    return model.from_db(DEFAULT_DB_ALIAS, attnames(model, names), values), end


def _one(cur: Any) -> tuple[Any, ...] | None:
    row = cur.fetchone()
    return tuple(row) if row is not None else None


def _all(cur: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in cur.fetchall()]


def fetch_one(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    return _run(sql, params, _one)


def fetch_all(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    return _run(sql, params, _all)


_FAST_PREP = {  # get_prep_value of these fields returns a value of this type unchanged
    models.CharField.get_prep_value: str,
    models.TextField.get_prep_value: str,
    models.IntegerField.get_prep_value: int,
    models.BooleanField.get_prep_value: bool,
}


def _fast_type(field: models.Field[Any, Any], vendor: str) -> type | None:
    """The Python type whose values `field` would store unchanged (so preparing them can be skipped)."""
    if type(field) is models.DateTimeField and vendor == "postgresql":
        return dt.datetime  # aware datetimes go to psycopg as they are (after pre_save: auto_now_add)
    if field.is_relation:
        target = getattr(field, "target_field", None)
        return _fast_type(target, vendor) if target is not None and isinstance(target, models.AutoField) else None
    if isinstance(field, models.AutoField):
        return int
    cls = type(field)
    if (isinstance(field, models.IntegerField) and cls.get_prep_value is models.IntegerField.get_prep_value
            and cls.get_db_prep_value is models.IntegerField.get_db_prep_value
            and cls.get_db_prep_save is models.Field.get_db_prep_save and cls.pre_save is models.Field.pre_save):
        # An int goes to the driver as it is (the ORM would wrap it in the driver's sized integer type, which
        # only matters to statements whose parameter types are inferred, not to an INSERT's columns).
        return int
    if (cls.get_db_prep_save is not models.Field.get_db_prep_save
            or cls.get_db_prep_value is not models.Field.get_db_prep_value
            or cls.pre_save is not models.Field.pre_save):
        return None
    return _FAST_PREP.get(cls.get_prep_value)


_Column: TypeAlias = "tuple[models.Field[Any, Any], str, type | None]"  # field, attname, the type passed through as is


@cache
def _insert_plan(model: type[models.Model], vendor: str,
                 with_pk: bool = False) -> tuple[str, tuple[_Column, ...]]:
    fields = tuple(f for f in fields_of(model)
                   if (with_pk or not f.primary_key or not f.db_returning) and not getattr(f, "generated", False))
    pk = model._meta.pk
    assert pk is not None
    cols = ", ".join(q(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    statement = f"INSERT INTO {q(model._meta.db_table)} ({cols}) VALUES ({marks}) RETURNING {q(pk.column)}"
    return statement, tuple((f, f.attname, _fast_type(f, vendor)) for f in fields)


def _params(obj: models.Model, plan: tuple[_Column, ...]) -> list[Any]:
    params: list[Any] = []
    for field, attname, fast in plan:
        if fast is dt.datetime:
            value = field.pre_save(obj, True)
            if value is None or (type(value) is dt.datetime and value.tzinfo is not None):
                params.append(value)
                continue
        else:
            value = getattr(obj, attname)
            if fast is not None and (value is None or type(value) is fast or (fast is str and isinstance(value, str))):
                params.append(value)
                continue
        params.append(field.get_db_prep_save(field.pre_save(obj, True), connection))
    return params


def _saved(obj: M, pk: Any) -> M:
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = DEFAULT_DB_ALIAS
    return obj


def insert(obj: M) -> M:
    """INSERT one new row for `obj` and set its primary key, as `Model.save()` would for a new object.

    The same per-field preparation as the ORM (`pre_save` for auto_now_add, `get_db_prep_save`), skipped
    only for values the field would pass through unchanged (a str for a text column, an int for an integer
    or a foreign key, an aware datetime on PostgreSQL): preparing some forty values was a third of the cost
    of the INSERT. One prepared statement. No pre_save/post_save signals: the hot-path models have no
    receivers, and the project keeps behaviour out of signals anyway (services send events after commit).
    """
    insert_rows([obj])
    return obj


@lru_cache(maxsize=256)
def _insert_rows_sql(model: type[models.Model], vendor: str, rows: int, with_pk: bool) -> str:
    statement, plan = _insert_plan(model, vendor, with_pk)
    head, returning = statement.split(" VALUES ", 1)
    marks = "(" + ", ".join(["%s"] * len(plan)) + ")"
    return f"{head} VALUES {', '.join([marks] * rows)} RETURNING {returning.split(' RETURNING ', 1)[1]}"


INSERT_ROWS_CHUNK = 100


def insert_rows(objs: Sequence[models.Model]) -> None:
    """INSERT many new rows of one model, as `insert` does for one, and set their primary keys.

    One multi-row `INSERT … VALUES (…), (…) RETURNING` per INSERT_ROWS_CHUNK rows, keys in the order of the
    rows (as Django's `bulk_create` relies on). The values are prepared as `insert` prepares them, which
    costs a fraction of the ORM's per-value preparation of `bulk_create`; on PostgreSQL the statement is not
    kept prepared unless it is a few rows, since its text depends on the number of rows. Rows whose keys
    were taken beforehand (`reserve_ids`) go in with them.
    """
    if not objs:
        return
    model, vendor, with_pk = type(objs[0]), connection.vendor, objs[0].pk is not None
    plan = _insert_plan(model, vendor, with_pk)[1]
    for start in range(0, len(objs), INSERT_ROWS_CHUNK):
        chunk = objs[start:start + INSERT_ROWS_CHUNK]
        params: list[Any] = []
        for obj in chunk:
            params += _params(obj, plan)
        # a few rows (one incident and its two clocks) stay prepared: at most four texts per table
        keys = _run(_insert_rows_sql(model, vendor, len(chunk), with_pk), params, _all, prepare=len(chunk) <= 4)
        for obj, row in zip(chunk, keys, strict=True):
            _saved(obj, row[0])


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """The next `count` primary keys of `model`, taken from its sequence in order, on PostgreSQL; [] on a
    database without sequences (SQLite). A key taken by a transaction that rolls back is simply not used.

    A creation that knows its row's key early can write the rows that refer to it first and the row itself
    last: incident numbering locks the day's counter row from the number to COMMIT, and that wait is what
    concurrent creations queue on (bench/RESULTS.md)."""
    if connection.vendor != "postgresql" or count < 1:
        return []
    return [row[0] for row in _run(_reserve_sql(model), [count], _all)]


@cache
def _reserve_sql(model: type[models.Model]) -> str:
    pk = model._meta.pk
    assert pk is not None
    return (f"SELECT nextval(pg_get_serial_sequence('{model._meta.db_table}', '{pk.column}')) "
            "FROM generate_series(1, %s)")

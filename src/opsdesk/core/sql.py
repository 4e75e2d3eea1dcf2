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
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, TypeAlias, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

M = TypeVar("M", bound=models.Model)
R = TypeVar("R")


def _preparing_cursor_class() -> type:
    import psycopg

    class PreparingCursor(psycopg.Cursor):  # type: ignore[type-arg]
        """A server-binding cursor that asks psycopg to prepare every statement it runs."""

        def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None,
                    binary: bool | None = None) -> Any:
            super().execute(query, params, prepare=True, binary=binary)
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


def _run(sql: str, params: Sequence[Any], fetch: Callable[[Any], R]) -> R:
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
        cur.execute(sql, params)
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
    if (cls.get_db_prep_save is not models.Field.get_db_prep_save
            or cls.get_db_prep_value is not models.Field.get_db_prep_value
            or cls.pre_save is not models.Field.pre_save):
        return None
    return _FAST_PREP.get(cls.get_prep_value)


_Column: TypeAlias = "tuple[models.Field[Any, Any], str, type | None]"  # field, attname, the type passed through as is


@cache
def _insert_plan(model: type[models.Model], vendor: str) -> tuple[str, tuple[_Column, ...]]:
    fields = tuple(f for f in fields_of(model)
                   if (not f.primary_key or not f.db_returning) and not getattr(f, "generated", False))
    pk = model._meta.pk
    assert pk is not None
    cols = ", ".join(q(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    statement = f"INSERT INTO {q(model._meta.db_table)} ({cols}) VALUES ({marks}) RETURNING {q(pk.column)}"
    return statement, tuple((f, f.attname, _fast_type(f, vendor)) for f in fields)


def _pk(cur: Any) -> Any:
    return cur.fetchone()[0]


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
    statement, plan = _insert_plan(type(obj), connection.vendor)
    return _saved(obj, _run(statement, _params(obj, plan), _pk))


@cache
def _insert_many_sql(models_: tuple[type[models.Model], ...], vendor: str) -> str:
    *first, last = [_insert_plan(m, vendor)[0] for m in models_]
    ctes = ", ".join(f"i{n} AS ({statement})" for n, statement in enumerate(first))
    earlier = "".join(f", (SELECT * FROM i{n})" for n in range(len(first)))
    return f"WITH {ctes} {last}{earlier}"


def insert_many(*objs: models.Model) -> None:
    """INSERT several new rows that do not refer to each other, as `insert` does for one.

    On PostgreSQL it is one statement (each INSERT but the last in a WITH clause, every primary key
    returned), so an incident's timeline entry and audit entry cost one round trip; elsewhere one
    INSERT after the other.
    """
    vendor = connection.vendor
    if vendor != "postgresql" or len(objs) < 2:
        for obj in objs:
            insert(obj)
        return
    params: list[Any] = []
    for obj in objs:
        params += _params(obj, _insert_plan(type(obj), vendor)[1])
    pks = _run(_insert_many_sql(tuple(type(o) for o in objs), vendor), params, _one)
    assert pks is not None
    # The row holds the last INSERT's key, then the earlier ones' in order.
    for obj, pk in zip((objs[-1], *objs[:-1]), pks, strict=True):
        _saved(obj, pk)

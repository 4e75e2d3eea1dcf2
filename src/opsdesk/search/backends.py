"""The two full-text backends, chosen by the database: SQLite FTS5 and PostgreSQL tsvector/GIN.

Both get the same parsed query (text.Term: an AND of terms, each an OR of synonym alternatives, each an AND
of canonical tokens) and return rows in the same shape. One statement answers a search: exact matches
(tier 0) first, then matches through the pinyin column only (tier 1, homophone typos), with filters and the
visibility rule inside the statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection

from opsdesk.core.sql import q

from .models import SearchEntry
from .text import Term

ENTRY = SearchEntry._meta.db_table
FTS = "search_fts"
ROW_COLUMNS = ("id", "kind", "object_id", "number", "title", "body", "status")
# Column weights: title, keywords, body, pinyin (SQLite bm25 multipliers; PostgreSQL A, B, C, D).
SQLITE_WEIGHTS = (10.0, 6.0, 1.5, 0.3)
PG_WEIGHTS = "{0.05, 0.3, 0.6, 1.0}"  # D, C, B, A


@dataclass
class Row:
    id: int
    kind: str
    object_id: int
    number: str
    title: str
    body: str
    status: str
    tier: int
    rank: float


@dataclass
class Where:
    """Filters and visibility as one SQL condition over the index row `e`."""

    sql: str
    params: list[Any]


# --- SQLite FTS5 -------------------------------------------------------------------------------------------
# (SQL below is built from our own names and placeholders only: the S608 notices are about f-strings.)

def _fts_token(tok: str) -> str:
    return '"' + tok.replace('"', '""') + '"'  # tokens are letters/digits only; quoted all the same


def _fts_alt(alt: list[str]) -> str:
    return "(" + " AND ".join(_fts_token(t) for t in alt) + ")"


def _fts_exact(terms: list[Term]) -> str:
    cols = "{title_tokens keyword_tokens body_tokens}"
    return " AND ".join(f"({cols} : ({' OR '.join(_fts_alt(a) for a in t.alternatives)}))" for t in terms)


def _fts_fallback(terms: list[Term]) -> str:
    parts = []
    for t in terms:
        opts = [f"({{title_tokens keyword_tokens body_tokens}} : ({' OR '.join(_fts_alt(a) for a in t.alternatives)}))"]
        if t.pinyin:
            opts.append(f"(pinyin_tokens : ({' OR '.join(_fts_token(p) for p in t.pinyin)}))")
        parts.append("(" + " OR ".join(opts) + ")")
    return " AND ".join(parts)


def _sqlite(terms: list[Term], where: Where, limit: int, fallback: bool) -> tuple[str, list[Any]]:
    cols = ", ".join(f"e.{q(c)}" for c in ROW_COLUMNS)
    weights = ", ".join(str(w) for w in SQLITE_WEIGHTS)
    exact = _fts_exact(terms)
    # The best exact matches first; the pinyin branch runs only when they do not fill the page.
    sql = (f"WITH exact AS MATERIALIZED (SELECT {cols}, 0 AS tier, bm25({FTS}, {weights}) AS rank FROM {FTS} "  # noqa: S608
           f"JOIN {q(ENTRY)} e ON e.{q('id')} = {FTS}.rowid WHERE {FTS} MATCH %s AND {where.sql} "
           f"ORDER BY rank LIMIT %s) SELECT * FROM exact")
    params: list[Any] = [exact, *where.params, limit]
    if fallback:
        sql += (f" UNION ALL SELECT * FROM (SELECT {cols}, 1 AS tier, bm25({FTS}, {weights}) AS rank "  # noqa: S608
                f"FROM {FTS} JOIN {q(ENTRY)} e ON e.{q('id')} = {FTS}.rowid "
                f"WHERE (SELECT count(*) FROM exact) < %s AND {FTS} MATCH %s AND {where.sql} "
                f"AND e.{q('id')} NOT IN (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s) "
                f"ORDER BY rank LIMIT %s)")
        params += [limit, _fts_fallback(terms), *where.params, exact, limit]
    sql += " ORDER BY tier, rank LIMIT %s"
    params.append(limit)
    return sql, params


# --- PostgreSQL --------------------------------------------------------------------------------------------

def _ts_token(tok: str, weights: str) -> str:
    return "'" + tok.replace("'", "''") + "':" + weights


def _ts_alt(alt: list[str], weights: str) -> str:
    return "(" + " & ".join(_ts_token(t, weights) for t in alt) + ")"


def _ts_exact(terms: list[Term]) -> str:
    return " & ".join("(" + " | ".join(_ts_alt(a, "ABC") for a in t.alternatives) + ")" for t in terms)


def _ts_fallback(terms: list[Term]) -> str:
    parts = []
    for t in terms:
        opts = [_ts_alt(a, "ABC") for a in t.alternatives] + [_ts_token(p, "D") for p in t.pinyin]
        parts.append("(" + " | ".join(opts) + ")")
    return " & ".join(parts)


def _postgres(terms: list[Term], where: Where, limit: int, fallback: bool) -> tuple[str, list[Any]]:
    cols = ", ".join(f"e.{q(c)}" for c in ROW_COLUMNS)
    doc = f"e.{q('document')}"
    tsq = "to_tsquery('simple', %s)"
    # The best exact matches first; the pinyin branch is skipped (a one-time filter) when they fill the page.
    sql = (f"WITH exact AS MATERIALIZED (SELECT {cols}, 0 AS tier, ts_rank_cd('{PG_WEIGHTS}', {doc}, {tsq}, 1) "  # noqa: S608
           f"AS rank FROM {q(ENTRY)} e WHERE {doc} @@ {tsq} AND {where.sql} ORDER BY rank DESC LIMIT %s) "
           f"SELECT * FROM exact")
    params: list[Any] = [_ts_exact(terms), _ts_exact(terms), *where.params, limit]
    if fallback:
        sql += (f" UNION ALL (SELECT {cols}, 1 AS tier, ts_rank_cd('{PG_WEIGHTS}', {doc}, {tsq}, 1) AS rank "  # noqa: S608
                f"FROM {q(ENTRY)} e WHERE (SELECT count(*) FROM exact) < %s AND {doc} @@ {tsq} "
                f"AND NOT ({doc} @@ {tsq}) AND {where.sql} "
                f"ORDER BY rank DESC LIMIT %s)")
        params += [_ts_fallback(terms), limit, _ts_fallback(terms), _ts_exact(terms), *where.params, limit]
    sql += " ORDER BY tier, rank DESC LIMIT %s"
    params.append(limit)
    return sql, params


def run(terms: list[Term], where: Where, *, limit: int, fallback: bool = True) -> list[Row]:
    """The hits of `terms` under `where`, best first (exact matches before pinyin-only ones)."""
    if not terms:
        return []
    build = _postgres if connection.vendor == "postgresql" else _sqlite
    sql, params = build(terms, where, limit, fallback)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    out = []
    for r in rows:
        rank = float(r[8] or 0.0)
        out.append(Row(id=r[0], kind=r[1], object_id=r[2], number=r[3], title=r[4], body=r[5], status=r[6],
                       tier=int(r[7]), rank=-rank if connection.vendor != "postgresql" else rank))
    return out

"""The two full-text backends, chosen by the database: SQLite FTS5 and PostgreSQL tsvector/GIN.

Both answer the same question in one statement: which visible records hold the words typed, best covered
first. Each word (text.Term: an OR of synonym alternatives, each an AND of canonical tokens) is looked up on
its own in the inverted index, newest records first, at most PER_WORD of them; a record scores the weight
(rarity) of every word it holds, less for a word held only through its pinyin (a homophone typo); the best
`limit` come back with their stored tokens, for ranking.rerank to order exactly.

Neither BM25 (FTS5's bm25() counts, for every phrase of the query, all the records holding it: a full read
of each posting list, 100+ ms for the common words of a million incidents) nor a sort of every match is
needed: each per-word list is a bounded walk of one posting list (FTS5 reads it backwards by rowid;
PostgreSQL takes the GIN bitmap or the primary key backwards, whichever its statistics find cheaper). A word
so common that more than PER_WORD records hold it contributes its newest holders only; being common, it
weighs little, and the records holding the rarer words are found through those words' own lists.

Filters and visibility are inside each per-word list (a list never fills up with records the viewer may not
see), and the scope column limits the full-text match itself to the types searched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from opsdesk.core.sql import q

from .models import SearchEntry
from .text import Term

ENTRY = SearchEntry._meta.db_table
FTS = "search_fts"
ROW_COLUMNS = ("id", "kind", "object_id", "number", "title", "body", "status",
               "title_tokens", "keyword_tokens", "body_tokens", "pinyin_tokens", "boost")
PER_WORD = 500  # records read per word typed (the newest holding it)
PINYIN_SHARE = 0.3  # of a word's weight, for holding it only through its pinyin


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
    tokens: tuple[str, str, str, str] | None = None  # title, keyword, body, pinyin tokens
    boost: float = 0.0


@dataclass
class Where:
    """Filters and visibility as one SQL condition over the index row `e`; `scopes` are the scope tokens of
    the types searched (services.scope_token), empty when every type is: the full-text match itself is
    then limited to them, so a search of 2,000 articles never walks the postings of a million incidents."""

    sql: str
    params: list[Any]
    # scope tokens (services.scope_tokens) of which a hit holds at least one; empty: no narrowing
    scopes: list[str] = field(default_factory=list)


# --- match expressions (SQL below is built from our own names and placeholders only: the S608 notices are
# --- about f-strings) ---------------------------------------------------------------------------------------

def _fts_token(tok: str) -> str:
    if tok.endswith("*"):  # a prefix (a single character typed alone: 忘 finds 忘记)
        return '"' + tok[:-1].replace('"', '""') + '"*'
    return '"' + tok.replace('"', '""') + '"'  # tokens are letters/digits only; quoted all the same


def _fts_scoped(expr: str, where: Where) -> str:
    if not where.scopes:
        return expr
    return f"(scope_tokens : ({' OR '.join(_fts_token(t) for t in where.scopes)})) AND ({expr})"


def _match_alternatives(term: Term) -> list[list[str]]:
    """The alternatives worth matching: one holding all the tokens of another matches nothing more (the
    ranking still prefers records holding the longer form)."""
    alts = term.alternatives
    return [a for a in alts if not any(set(b) < set(a) for b in alts)]


def _fts_word(term: Term) -> str:
    alts = " OR ".join("(" + " AND ".join(_fts_token(t) for t in alt) + ")" for alt in _match_alternatives(term))
    return f"({{title_tokens keyword_tokens body_tokens}} : ({alts}))"


def _fts_pinyin(term: Term) -> str:
    return f"(pinyin_tokens : ({' OR '.join(_fts_token(p) for p in term.pinyin)}))"


def _ts_token(tok: str, weights: str) -> str:
    if tok.endswith("*"):
        return "'" + tok[:-1].replace("'", "''") + "':*" + weights
    return "'" + tok.replace("'", "''") + "':" + weights


def _ts_scoped(expr: str, where: Where) -> str:
    if not where.scopes:
        return expr
    return "(" + " | ".join(_ts_token(t, "D") for t in where.scopes) + f") & ({expr})"


def _ts_word(term: Term) -> str:
    return " | ".join("(" + " & ".join(_ts_token(t, "ABC") for t in alt) + ")" for alt in _match_alternatives(term))


def _ts_pinyin(term: Term) -> str:
    return " | ".join(_ts_token(p, "D") for p in term.pinyin)


# --- the statement -----------------------------------------------------------------------------------------

def _lists(terms: list[Term], weights: list[float]) -> list[tuple[str, Term, float]]:
    """The per-word lists of a query: ("word", term, weight) for each word, ("pinyin", term, weight) for
    each distinct pinyin form. A character typed alone (a prefix) gets no list of its own: it begins
    thousands of words, so its list would be long to read and say little; it still counts in the ranking of
    the candidates the other words find. Pinyin of one syllable likewise."""
    out: list[tuple[str, Term, float]] = []
    pinyin: dict[str, float] = {}
    only_prefixes = all(tok.endswith("*") for t in terms for alt in t.alternatives for tok in alt)
    for term, weight in zip(terms, weights, strict=True):
        if only_prefixes or not all(tok.endswith("*") for alt in term.alternatives for tok in alt):
            out.append(("word", term, weight))
        for p in term.pinyin:
            if len(p) > 3 or not all(tok.endswith("*") for alt in term.alternatives for tok in alt):
                pinyin[p] = max(pinyin.get(p, 0.0), weight * PINYIN_SHARE)
    by_weight: dict[float, list[str]] = {}
    for p, w in pinyin.items():
        by_weight.setdefault(w, []).append(p)
    for w, ps in by_weight.items():
        out.append(("pinyin", Term(surface="", alternatives=[], pinyin=sorted(ps)), w))
    return out


# A list that came back full (PER_WORD records) is only the newest holders of a common word: it counts a
# tenth, so that the records found through the complete lists of the rarer words are not crowded out by
# whatever is newest (ranking.rerank then scores every candidate on all its words, exactly).
BEST = ("best AS (SELECT id, sum(CASE WHEN n < %s THEN w ELSE w * 0.1 END) AS score "
        "FROM (SELECT id, w, count(*) OVER (PARTITION BY l) AS n FROM hits) counted "
        "GROUP BY id ORDER BY score DESC, id DESC LIMIT %s)")


def _sqlite_list(term: Term, kind: str, where: Where, n: int) -> tuple[str, list[Any]]:
    match = _fts_scoped(_fts_word(term) if kind == "word" else _fts_pinyin(term), where)
    sql = (f"SELECT * FROM (SELECT {FTS}.rowid AS id, %s AS w, {n} AS l FROM {FTS} "  # noqa: S608
           f"JOIN {q(ENTRY)} e ON e.{q('id')} = {FTS}.rowid WHERE {FTS} MATCH %s AND {where.sql} "
           f"ORDER BY {FTS}.rowid DESC LIMIT %s)")
    return sql, [match, *where.params]


def _postgres_list(term: Term, kind: str, where: Where, n: int) -> tuple[str, list[Any]]:
    query = _ts_scoped(_ts_word(term) if kind == "word" else _ts_pinyin(term), where)
    sql = (f"(SELECT e.{q('id')} AS id, %s::float8 AS w, {n} AS l FROM {q(ENTRY)} e "  # noqa: S608
           f"WHERE e.{q('document')} @@ to_tsquery('simple', %s) AND {where.sql} "
           f"ORDER BY e.{q('id')} DESC LIMIT %s)")
    return sql, [query, *where.params]


def _statement(terms: list[Term], weights: list[float], where: Where, limit: int) -> tuple[str, list[Any]]:
    """One statement: the per-word lists (the database's own full-text match), their coverage sums, the best
    `limit` records with their tokens."""
    one_list = _postgres_list if connection.vendor == "postgresql" else _sqlite_list
    cols = ", ".join(f"e.{q(c)}" for c in ROW_COLUMNS)
    parts: list[str] = []
    params: list[Any] = []
    for kind, term, weight in _lists(terms, weights):
        sql, list_params = one_list(term, kind, where, len(parts))
        parts.append(sql)
        params += [weight, *list_params, PER_WORD]
    sql = (f"WITH hits AS ({' UNION ALL '.join(parts)}), {BEST} "  # noqa: S608
           f"SELECT {cols}, 0 AS tier, best.score FROM best JOIN {q(ENTRY)} e ON e.{q('id')} = best.id "
           f"ORDER BY best.score DESC, e.{q('id')} DESC")
    return sql, [*params, PER_WORD, limit]


def candidates(terms: list[Term], weights: list[float], where: Where, *, limit: int) -> list[Row]:
    """The `limit` visible records holding the most (and the rarest) of `terms`, with their tokens; `rank`
    is that coverage score. `weights` are the terms' weights (ranking.term_weights)."""
    if not terms:
        return []
    sql, params = _statement(terms, weights, where, limit)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    return [Row(id=r[0], kind=r[1], object_id=r[2], number=r[3], title=r[4], body=r[5], status=r[6],
                tokens=(r[7] or "", r[8] or "", r[9] or "", r[10] or ""), boost=float(r[11] or 0),
                tier=int(r[12]), rank=float(r[13] or 0))
            for r in rows]

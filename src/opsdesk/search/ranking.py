"""The order of partial matches: which of the records holding SOME of the words typed answers best.

BM25 ranks them badly: a synonym group is several phrases, each adding its own score, so a record repeating
a common word of a synonym group (错误) beats one holding the rare code the person typed (0x000000D1). So the
backends return a bounded set of candidates (the records holding the most, and the rarest, of the words) and
they are ordered here by coverage: the sum, over the words typed, of the word's rarity (inverse document
frequency) times where the record holds it (title, keywords, body, or only its pinyin: a typo); newer
records first among equals.

Document frequencies come from the database's own term statistics at no cost per search: SQLite's fts5vocab
view (exact counts) and PostgreSQL's `pg_stats.most_common_elems` of the tsvector column (the frequencies of
its common lexemes, as the planner uses them; a word not among them is rare). Both are cached per process
for a few minutes.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable

from django.db import connection

from .backends import ENTRY, Row
from .text import Term

FIELD_WEIGHT = {"title": 1.0, "keywords": 0.8, "body": 0.55, "pinyin": 0.3}
SPECIFIC = 0.03  # per character beyond the first of the form of a word (or synonym) a record holds
BOOST_SHARE = 0.1  # a record's boost (0-3) raises its score by up to 30 %
CACHE_SECONDS = 300.0
_cache: dict[str, tuple[float, int]] = {}
_pg_stats: dict[str, object] = {"at": 0.0, "freqs": {}, "floor": 0.0, "rows": 0}
_lock = threading.Lock()


def total_entries() -> int:
    """How many rows the index holds (about: the highest id), cached."""
    return _total()


def _total() -> int:
    hit = _cache.get("\x00total")
    if hit and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    with connection.cursor() as cur:
        cur.execute(f"SELECT coalesce(max(id), 0) FROM {ENTRY}")  # noqa: S608 - our own table name
        total = int(cur.fetchone()[0]) or 1
    _cache["\x00total"] = (time.monotonic(), total)
    return total


def _sqlite_df(tokens: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    with connection.cursor() as cur:
        cur.execute(f"SELECT term, doc FROM search_fts_vocab WHERE term IN ({', '.join(['%s'] * len(tokens))})",  # noqa: S608
                    tokens)
        for term, doc in cur.fetchall():
            out[term] = int(doc)
    return out


def _postgres_df(tokens: list[str]) -> dict[str, int]:
    now = time.monotonic()
    if now - float(_pg_stats["at"]) > CACHE_SECONDS:  # type: ignore[arg-type]
        with connection.cursor() as cur:
            cur.execute("SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
                        "WHERE tablename = %s AND attname = 'document'", [ENTRY])
            row = cur.fetchone()
            cur.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [ENTRY])
            rel = cur.fetchone()
        elems, freqs = (row or (None, None))
        elems, freqs = elems or [], freqs or []
        table = dict(zip(elems, freqs[:len(elems)], strict=False))
        _pg_stats.update(at=now, freqs=table, floor=(min(table.values()) if table else 0.0),
                         rows=max(int(rel[0]) if rel and rel[0] and rel[0] > 0 else 0, 1))
    freqs_map: dict[str, float] = _pg_stats["freqs"]  # type: ignore[assignment]
    rows = int(_pg_stats["rows"])  # type: ignore[call-overload]
    floor = float(_pg_stats["floor"])  # type: ignore[arg-type]
    # A lexeme below the statistics' horizon is rarer than the rarest listed: count it as half that.
    return {t: max(1, round(rows * freqs_map.get(t, floor / 2))) for t in tokens}


def document_frequencies(tokens: Iterable[str]) -> dict[str, int]:
    """How many index rows hold each token (cached; approximate on PostgreSQL)."""
    wanted = sorted(set(tokens))
    now = time.monotonic()
    out: dict[str, int] = {}
    missing = []
    for t in wanted:
        hit = _cache.get(t)
        if hit and now - hit[0] < CACHE_SECONDS:
            out[t] = hit[1]
        else:
            missing.append(t)
    if missing:
        found = _postgres_df(missing) if connection.vendor == "postgresql" else _sqlite_df(missing)
        with _lock:
            for t in missing:
                out[t] = found.get(t, 0)
                _cache[t] = (now, out[t])
            if len(_cache) > 50000:
                _cache.clear()
    return out


def forget() -> None:
    """Drop the cached statistics (tests that load a different index)."""
    _cache.clear()
    _pg_stats["at"] = 0.0


def term_weights(terms: list[Term]) -> list[float]:
    """The inverse document frequency of each term: that of its most common alternative (a synonym group
    is as rare as its commonest member), an alternative being as common as its rarest token."""
    tokens = {tok for t in terms for alt in t.alternatives for tok in alt if not tok.endswith("*")}
    df = document_frequencies(tokens)
    n = _total()
    weights = []
    for t in terms:
        # a prefix (one character typed alone) is a weak word whatever it matches
        freq = max((min((df.get(tok, n // 10) for tok in alt), default=0) for alt in t.alternatives), default=0)
        weights.append(math.log(1 + (n - freq + 0.5) / (freq + 0.5)))
    return weights


def _field_weights(tokens: tuple[str, str, str, str]) -> tuple[dict[str, float], dict[str, float], set[str]]:
    """Per token of a record, the weight of the best field holding it; the same per first character (for
    a character typed alone); and the record's pinyin tokens."""
    best: dict[str, float] = {}
    first: dict[str, float] = {}
    for field, text in zip(("body", "keywords", "title"), (tokens[2], tokens[1], tokens[0]), strict=True):
        weight = FIELD_WEIGHT[field]  # ascending: a better field overwrites
        for tok in text.split():
            best[tok] = weight
            first[tok[0]] = weight
    return best, first, set(tokens[3].split())


def rerank(rows: list[Row], terms: list[Term], *, limit: int, weights: list[float] | None = None,
           tiers: bool = True) -> list[Row]:
    """`rows` (with their tokens) best first; at most `limit`.

    A word counts with its weight times the best field holding it (an alternative of several tokens with
    the weakest field among them), or the pinyin share when only its pinyin matches. With `tiers`, records
    holding every word come first (tier 0), then those holding every word but some only by pinyin (tier 1,
    a typo), then the rest (tier 2, partial); without, the score alone orders (similar records)."""
    if not rows:
        return rows
    weights = weights if weights is not None else term_weights(terms)
    scored = []
    for row in rows:
        best, first, pinyin = _field_weights(row.tokens or ("", "", "", ""))
        score = 0.0
        exact = by_pinyin = 0
        for term, weight in zip(terms, weights, strict=True):
            found = 0.0
            for alt in term.alternatives:
                held = min((first.get(tok[0], 0.0) if tok.endswith("*") else best.get(tok, 0.0)) for tok in alt)
                # the most specific form held counts most: 财务核算系统 (a synonym of 财务系统) beats 财务 … 系统
                found = max(found, held * (1.0 + SPECIFIC * (sum(len(t.rstrip("*")) for t in alt) - 1)))
            if found:
                exact += 1
            elif any(p in pinyin for p in term.pinyin):
                found = FIELD_WEIGHT["pinyin"]
                by_pinyin += 1
            score += weight * found
        score *= 1.0 + BOOST_SHARE * row.boost
        tier = 0 if exact == len(terms) else 1 if exact + by_pinyin == len(terms) else 2
        scored.append((tier if tiers else 0, score, row))
    scored.sort(key=lambda s: (s[0], -s[1], -s[2].id))
    return [Row(**{**vars(r), "tier": t, "rank": s}) for t, s, r in scored[:limit]]

"""Search: what a person may find, best first, with highlighted snippets.

Visibility and filters are part of the one search statement (backends.candidates), so a page of hits is
never filled by records the viewer may not see and then thinned out.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from opsdesk.accounts.models import Contract, User
from opsdesk.accounts.selectors import access_for
from opsdesk.core.errors import ValidationError
from opsdesk.core.sql import q

from . import backends, ranking, services, text
from .registry import adapter_for, kinds, visibility_scope

MAX_LIMIT = 100
QUERY_MAX = 500  # characters of a query that are read; the rest is ignored (never an error)
SNIPPET = 160
CANDIDATES = 100  # records fetched by coverage and ordered exactly by ranking.rerank
DRAIN_IN_SEARCH = 50  # queued writes a search indexes first (normally none or a few: read-your-writes)


@dataclass
class SearchFilters:
    """The filters of a search (the API's parameters)."""

    q: str = ""
    types: list[str] = field(default_factory=list)
    contract: str = ""
    status: list[str] = field(default_factory=list)
    limit: int = 20

    def validate(self) -> None:
        errors: dict[str, str] = {}
        unknown = [t for t in self.types if adapter_for(t) is None]
        if unknown:
            errors["type"] = _("Unknown type “%(value)s”; one of: %(values)s.") % {
                "value": unknown[0], "values": ", ".join(kinds())}
        if not 1 <= self.limit <= MAX_LIMIT:
            errors["limit"] = _("Between 1 and %(n)d.") % {"n": MAX_LIMIT}
        if errors:
            raise ValidationError(fields=errors)


@dataclass
class Hit:
    """One search result."""

    type: str
    object_id: int
    number: str
    title: str
    snippet: str  # HTML: escaped text with <mark> around the matched words
    score: float
    status: str
    fallback: bool  # found only through the pinyin of its words (a homophone typo)
    partial: bool = False  # holds only some of the words typed (after every record holding them all)


def _where(*, user: User, filters: SearchFilters,
           kind_status: dict[str, list[str]] | None = None) -> backends.Where:
    access = access_for(user)
    parts: list[str] = []
    params: list[Any] = []
    for kind in filters.types or kinds():
        adapter = adapter_for(kind)
        assert adapter is not None
        vis, vis_params = adapter.visibility_sql(user=user, access=access, alias="e")
        statuses = sorted(set((kind_status or {}).get(kind, [])))
        if statuses:
            vis += f" AND e.{q('status')} IN ({', '.join(['%s'] * len(statuses))})"
            vis_params = [*vis_params, *statuses]
        parts.append(f"(e.{q('kind')} = %s AND {vis})")
        params += [kind, *vis_params]
    sql = "(" + " OR ".join(parts) + ")" if parts else "1=0"
    if filters.contract:
        sql += (f" AND e.{q('contract_id')} = (SELECT c.{q('id')} FROM {q(Contract._meta.db_table)} c "  # noqa: S608 - names and placeholders only
                f"WHERE c.{q('code')} = %s)")
        params.append(filters.contract)
    if filters.status:
        statuses = sorted(set(filters.status))
        sql += f" AND e.{q('status')} IN ({', '.join(['%s'] * len(statuses))})"
        params += statuses
    return backends.Where(sql=sql, params=params, scopes=_scopes(user=user, access=access, filters=filters))


SCOPE_SHARE = 0.2  # a scope holding more of the index than this narrows too little to be worth its walk


def _scopes(*, user: User, access: Any, filters: SearchFilters) -> list[str]:
    """The scope tokens to narrow the full-text match with: per type searched, the type's own tokens of what
    the viewer may see (a requester's `incidentowner41`), or the type's token when the adapter has none;
    nothing when that would hold a large part of the index anyway (an agent's search of every incident:
    walking a million-record posting list costs more than it saves)."""
    tokens: list[str] = []
    for kind in filters.types or kinds():
        adapter = adapter_for(kind)
        assert adapter is not None
        narrow = visibility_scope(adapter, user=user, access=access)
        if narrow is None:
            tokens.append(services.scope_token(kind))
        else:  # empty: nothing of this type is visible (its visibility condition is 1=0)
            tokens.extend(f"{kind}{t}" for t in narrow)
    if not tokens:
        return []
    df = ranking.document_frequencies(tokens)
    if sum(df.values()) > SCOPE_SHARE * ranking.total_entries():
        return []
    return tokens


def _marks(original: str, words: set[str], pinyin: set[str]) -> list[tuple[int, int]]:
    """Non-overlapping spans of `original` to mark: tokens among `words`, or whose pinyin is in `pinyin`."""
    found = [(s.start, s.end) for s in text.spans(original)
             if s.token in words or (pinyin and text.pinyin_of(s.token) in pinyin)]
    found.sort(key=lambda se: (se[0], -(se[1] - se[0])))
    out: list[tuple[int, int]] = []
    for start, end in found:
        if out and start < out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
            continue
        out.append((start, end))
    return out


def highlight(original: str, marks: list[tuple[int, int]], *, start: int = 0, end: int | None = None) -> str:
    """`original[start:end]` HTML-escaped, with <mark> around the marked spans (nothing else is HTML)."""
    end = len(original) if end is None else end
    out: list[str] = []
    pos = start
    for s, e in marks:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(html.escape(original[pos:s]))
        out.append("<mark>" + html.escape(original[s:e]) + "</mark>")
        pos = e
    out.append(html.escape(original[pos:end]))
    return "".join(out)


def snippet(body: str, title: str, words: set[str], pinyin: set[str]) -> str:
    """A window of the body around its first match (or its beginning), highlighted; the title when the
    record has no body."""
    source = body if body.strip() else title
    source = " ".join(source.split())  # one line: new lines and runs of spaces mean nothing in a snippet
    marks = _marks(source, words, pinyin)
    first = marks[0][0] if marks else 0
    start = max(0, first - SNIPPET // 4)
    end = min(len(source), start + SNIPPET)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(source) else ""
    return prefix + highlight(source, marks, start=start, end=end) + suffix


def _score(row: backends.Row) -> float:
    """The order of the hits, comparable within a search (not across searches): 2–3 for records holding
    every word, 1–2 for those that do through the pinyin of a word (a typo), 0–1 for those holding only
    some of the words; divided by 3 (0–1)."""
    raw = max(row.rank, 0.0)
    return round((raw / (1.0 + raw) + {0: 2.0, 1: 1.0}.get(row.tier, 0.0)) / 3, 6)


def search(*, visible_to: User, filters: SearchFilters) -> list[Hit]:
    """The records `visible_to` may see that match `filters.q`, best first.

    Records holding every word typed (or a synonym of it) come first; then those holding them through the
    pinyin of a word (a homophone typo); then, when those do not fill the page, records holding some of
    the words (`partial`), best covered first: people type sentences. Input is never syntax: quotes,
    operators and NUL are separators. Updates still queued for indexing are indexed first, so a search
    always sees the writes that committed.
    """
    filters.validate()
    if not getattr(visible_to, "is_authenticated", False):
        return []
    text.lexicon(check=True)
    services.drain_pending(limit=DRAIN_IN_SEARCH)  # a backlog (bulk load, outage) is the job's
    terms = text.query_terms(filters.q[:QUERY_MAX])
    if not terms:
        return []
    where = _where(user=visible_to, filters=filters)
    weights = ranking.term_weights(terms)
    found = backends.candidates(terms, weights, where, limit=max(CANDIDATES, filters.limit))
    rows = ranking.rerank(found, terms, weights=weights, limit=filters.limit)
    words, pinyin = text.highlight_tokens(terms)
    return [Hit(type=r.kind, object_id=r.object_id, number=r.number, title=r.title,
                snippet=snippet(r.body, r.title, words, pinyin if r.tier else set()), score=_score(r),
                status=r.status, fallback=r.tier == 1, partial=r.tier == 2) for r in rows]


SIMILAR_TERMS = 24  # the first distinct words of a draft that are compared (a long description adds little)


def similar(*, visible_to: User, draft: str, kinds_statuses: dict[str, list[str]], contract: str = "",
            limit: int = 5, exclude: tuple[str, int] | None = None) -> list[Hit]:
    """Records like a draft (a new incident's title and description): any of its words may match, the
    records sharing the most, and the rarest, words first; homophone typos count, for less.

    `kinds_statuses` names the types to look in and, per type, the statuses wanted (empty: any), e.g.
    ``{"article": ["published"], "incident": ["resolved", "closed"]}``. Visibility is inside the query as
    for `search`. `exclude` leaves out one record (the incident being looked at).
    """
    filters = SearchFilters(q=draft, types=sorted(kinds_statuses), contract=contract, limit=limit)
    filters.validate()
    if not getattr(visible_to, "is_authenticated", False):
        return []
    text.lexicon(check=True)
    services.drain_pending(limit=DRAIN_IN_SEARCH)
    terms = text.query_terms(draft[:QUERY_MAX * 4], max_terms=SIMILAR_TERMS)
    if not terms:
        return []
    where = _where(user=visible_to, filters=filters, kind_status=kinds_statuses)
    if exclude is not None:
        where.sql += f" AND NOT (e.{q('kind')} = %s AND e.{q('object_id')} = %s)"
        where.params += [exclude[0], exclude[1]]
    weights = ranking.term_weights(terms)
    found = backends.candidates(terms, weights, where, limit=max(CANDIDATES, limit))
    rows = ranking.rerank(found, terms, weights=weights, limit=limit, tiers=False)
    words, pinyin = text.highlight_tokens(terms)
    return [Hit(type=r.kind, object_id=r.object_id, number=r.number, title=r.title,
                snippet=snippet(r.body, r.title, words, pinyin), score=_score(r), status=r.status, fallback=False,
                partial=True)
            for r in rows]

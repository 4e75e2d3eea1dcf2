"""Every write of the search app: indexing records, draining the queue of pending updates, rebuilding, and
the operators' dictionary words and synonyms (audited, and bumping the configuration version)."""

from __future__ import annotations

import time
import uuid
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from opsdesk.core.audit import audit_record
from opsdesk.core.errors import NotFound, ValidationError

from . import text
from .models import SearchConfig, SearchEntry, SearchPending, SearchTerm, SynonymGroup
from .registry import Document, SearchAdapter, adapter_for, adapters

TITLE_MAX = 300
BODY_MAX = 20000  # characters of original text kept for snippets and indexed as body
DRAIN_BATCH = 500
ENTRY_FIELDS = ["number", "title", "body", "status", "contract_id", "organisation_id", "owner_id", "audience",
                "title_tokens", "keyword_tokens", "body_tokens", "pinyin_tokens", "scope_tokens", "boost"]


def scope_token(kind: str) -> str:
    """The token of a type in the scope column: letters only, so that both backends keep it whole."""
    return "kind" + "".join(ch for ch in kind.lower() if ch.isalnum())


def scope_tokens(kind: str, doc: Document) -> str:
    """The scope column of a record: its type, and its contract, organisation and owner within its type
    (`kindincident incidentcontract12 incidentorg3 incidentowner77`): what the search narrows the full-text
    match with (selectors._where). The migration search.0004 writes the same from the columns, in SQL."""
    toks = [scope_token(kind)]
    for name, value in (("contract", doc.contract_id), ("org", doc.organisation_id), ("owner", doc.owner_id)):
        if value is not None:
            toks.append(f"{kind}{name}{int(value)}")
    return " ".join(toks)


def entry_for(kind: str, doc: Document) -> SearchEntry:
    """The index row of a document: its text segmented once, here, for both backends."""
    title = doc.title[:TITLE_MAX]
    body = doc.body[:BODY_MAX]
    title_toks = text.index_tokens(title)
    keyword_toks = text.index_tokens(doc.keywords[:2000])
    body_toks = text.index_tokens(body)
    pinyin = text.pinyin_tokens(title_toks + keyword_toks + body_toks)
    return SearchEntry(kind=kind, object_id=doc.object_id, number=doc.number[:40], title=title, body=body,
                       status=doc.status[:30], contract_id=doc.contract_id, organisation_id=doc.organisation_id,
                       owner_id=doc.owner_id, audience=doc.audience, title_tokens=text.joined(title_toks),
                       keyword_tokens=text.joined(keyword_toks), body_tokens=text.joined(body_toks),
                       pinyin_tokens=text.joined(pinyin), scope_tokens=scope_tokens(kind, doc),
                       boost=max(0.0, min(3.0, float(doc.boost))))


def _lock_objects(kind: str, ids: Iterable[int]) -> None:
    """Serialise indexers of the same records (PostgreSQL; SQLite writers are serialised already), so that
    an indexer that read an older version can never overwrite a newer one."""
    if connection.vendor != "postgresql":
        return
    keys = sorted({(zlib.crc32(kind.encode()) << 31) ^ int(i) for i in ids})
    if keys:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k ORDER BY k", [keys])


def _upsert(entries: list[SearchEntry]) -> None:
    if entries:
        SearchEntry.objects.bulk_create(entries, update_conflicts=True, unique_fields=["kind", "object_id"],
                                        update_fields=[*ENTRY_FIELDS, "indexed_at"])


def index_records(*, adapter: SearchAdapter, ids: Iterable[int]) -> int:
    """Index the records `ids` of one type as they are now; ids that no longer exist leave the index.

    Runs in the caller's transaction when there is one (a service can index inside its own write).
    Returns the number of rows written.
    """
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return 0
    with transaction.atomic():
        _lock_objects(adapter.kind, wanted)
        objs = list(adapter.queryset().filter(pk__in=wanted))
        entries = [entry_for(adapter.kind, adapter.document(obj)) for obj in objs]
        _upsert(entries)
        gone = set(wanted) - {e.object_id for e in entries}
        if gone:
            SearchEntry.objects.filter(kind=adapter.kind, object_id__in=sorted(gone)).delete()
    return len(entries)


def index_object(obj: Any) -> None:
    """The generic hook: (re)index one record of a registered type now, in the caller's transaction."""
    from .registry import adapter_for_model

    adapter = adapter_for_model(type(obj))
    if adapter is not None and obj.pk is not None:
        index_records(adapter=adapter, ids=[obj.pk])


def remove_object(*, kind: str, object_id: int) -> None:
    """Take one record out of the index (it was deleted), in the caller's transaction."""
    SearchEntry.objects.filter(kind=kind, object_id=object_id).delete()


def drain_pending(*, limit: int = DRAIN_BATCH) -> int:
    """Index the records the triggers queued, up to `limit`; returns how many queue rows were handled.

    Safe on any number of processes at once: on PostgreSQL each takes rows no one else holds (SKIP LOCKED);
    queue rows are deleted by id after their records were indexed, so an update queued meanwhile stays.
    """
    if not SearchPending.objects.exists():
        return 0  # the usual case: one cheap read, no transaction
    with transaction.atomic():
        qs = SearchPending.objects.order_by("id")
        if connection.vendor == "postgresql":
            qs = qs.select_for_update(skip_locked=True)
        rows = list(qs.values_list("id", "kind", "object_id")[:limit])
        if not rows:
            return 0
        by_kind: dict[str, set[int]] = {}
        for _id, kind, object_id in rows:
            by_kind.setdefault(kind, set()).add(object_id)
        for kind, ids in by_kind.items():
            adapter = adapter_for(kind)
            if adapter is not None:
                index_records(adapter=adapter, ids=ids)
        SearchPending.objects.filter(id__in=[r[0] for r in rows]).delete()
    return len(rows)


def index_pending_of(*, kind: str, object_id: int) -> None:
    """Index one record the triggers queued (right after its writer committed) and take its queue rows.

    Bounded work whatever the backlog of others: a request never pays for a bulk load's rows."""
    adapter = adapter_for(kind)
    if adapter is None:
        return
    with transaction.atomic():
        ids = list(SearchPending.objects.filter(kind=kind, object_id=object_id).values_list("id", flat=True))
        index_records(adapter=adapter, ids=[object_id])
        if ids:
            SearchPending.objects.filter(id__in=ids).delete()


def drain_all() -> int:
    """Drain the queue completely (after commit, the periodic job, tests)."""
    total = 0
    while True:
        done = drain_pending()
        total += done
        if done < DRAIN_BATCH:
            return total


@dataclass
class RebuildResult:
    kind: str
    rows: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float(self.rows)


def search_rebuild(*, kinds: list[str] | None = None, batch_size: int = 1000) -> list[RebuildResult]:
    """Recreate the index of the given types (all when None) from their records, in batches.

    Each batch is one transaction: rows of the batch are upserted, rows of records that no longer exist are
    removed at the end. Safe while people work: writes meanwhile are queued by the triggers as always.
    """
    results: list[RebuildResult] = []
    for adapter in adapters(kinds):
        started = time.perf_counter()
        text.lexicon(force=True)
        # Writes queued before now are read by this rebuild: their queue rows go when it is done.
        queued_before = SearchPending.objects.filter(kind=adapter.kind).order_by("-id").values_list(
            "id", flat=True).first()
        rows = 0
        last = 0
        seen_max = 0
        while True:
            batch = list(adapter.queryset().filter(pk__gt=last)[:batch_size])
            if not batch:
                break
            with transaction.atomic():
                entries = [entry_for(adapter.kind, adapter.document(obj)) for obj in batch]
                _upsert(entries)
                # records deleted inside this id range since the last rebuild
                ids = [obj.pk for obj in batch]
                SearchEntry.objects.filter(kind=adapter.kind, object_id__gt=last, object_id__lte=ids[-1]).exclude(
                    object_id__in=ids).delete()
            rows += len(entries)
            last = seen_max = ids[-1]
        SearchEntry.objects.filter(kind=adapter.kind, object_id__gt=seen_max).delete()
        if queued_before is not None:
            SearchPending.objects.filter(kind=adapter.kind, id__lte=queued_before).delete()
        _analyse()
        results.append(RebuildResult(kind=adapter.kind, rows=rows, seconds=time.perf_counter() - started))
    return results


def _analyse() -> None:
    """Fresh planner statistics after a rebuild: without them PostgreSQL may scan a contract's rows instead
    of the GIN index."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cur:
            cur.execute(f"ANALYZE {SearchEntry._meta.db_table}")
    elif connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cur:
            cur.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")


# --- operators' dictionary and synonyms --------------------------------------------------------------------

def _bump_version() -> None:
    """Every process reloads the dictionary and synonyms within seconds; this one at its next search."""
    SearchConfig.objects.get_or_create(pk=1)
    SearchConfig.objects.filter(pk=1).update(version=F("version") + 1, stamp=uuid.uuid4().hex)
    text.invalidate()


def clean_word(word: str) -> str:
    word = (word or "").replace("\x00", "").strip()
    if not word:
        raise ValidationError(fields={"word": _("This field is required.")})
    if len(word) > 60 or any(ch.isspace() for ch in word):
        raise ValidationError(fields={"word": _("One word of at most 60 characters, without spaces.")})
    return word


def search_term_save(*, by: Any, word: str, frequency: int | None = None, note: str = "", is_active: bool = True,
                     term: SearchTerm | None = None) -> SearchTerm:
    """Add or change a dictionary word; every process segments with it within seconds. Records indexed
    before keep their old segmentation until `search_rebuild`."""
    word = clean_word(word)
    if frequency is not None and not 1 <= frequency <= 10**7:
        raise ValidationError(fields={"frequency": _("Between 1 and 10000000.")})
    clash = SearchTerm.objects.filter(word=word)
    if term is not None and term.pk is not None:
        clash = clash.exclude(pk=term.pk)
    if clash.exists():
        raise ValidationError(fields={"word": _("This word is already in the dictionary.")})
    with transaction.atomic():
        before = {"word": term.word, "is_active": term.is_active} if term else None
        term = term or SearchTerm()
        term.word, term.frequency, term.note, term.is_active = word, frequency, note[:200], is_active
        term.save()
        audit_record(actor=by, action="search.term_save", instance=term, before=before,
                     after={"word": word, "is_active": is_active})
        _bump_version()
    return term


def search_term_delete(*, by: Any, term: SearchTerm) -> None:
    with transaction.atomic():
        audit_record(actor=by, action="search.term_delete", instance=term, before={"word": term.word})
        term.delete()
        _bump_version()


def clean_synonym_terms(terms: str) -> list[str]:
    """The distinct members of a synonym group as typed; a ValidationError on `terms` when not usable."""
    members = [t.replace("\x00", "") for t in text.split_terms(terms)]
    members = list(dict.fromkeys(m for m in members if m))
    if len(members) < 2:
        raise ValidationError(fields={"terms": _("Give at least two words that mean the same.")})
    if any(len(m) > 60 for m in members):
        raise ValidationError(fields={"terms": _("Each word at most 60 characters.")})
    return members


def synonym_group_save(*, by: Any, terms: str, note: str = "", is_active: bool = True,
                       group: SynonymGroup | None = None) -> SynonymGroup:
    """Add or change a synonym group (at least two words); queries use it at once, no rebuild needed."""
    members = clean_synonym_terms(terms)
    with transaction.atomic():
        before = {"terms": group.terms} if group else None
        group = group or SynonymGroup()
        group.terms, group.note, group.is_active = "=".join(members), note[:200], is_active
        group.save()
        audit_record(actor=by, action="search.synonyms_save", instance=group, before=before,
                     after={"terms": group.terms, "is_active": is_active})
        _bump_version()
    return group


def synonym_group_delete(*, by: Any, group: SynonymGroup) -> None:
    with transaction.atomic():
        audit_record(actor=by, action="search.synonyms_delete", instance=group, before={"terms": group.terms})
        group.delete()
        _bump_version()


def synonym_group_get(*, pk: int) -> SynonymGroup:
    group = SynonymGroup.objects.filter(pk=pk).first()
    if group is None:
        raise NotFound()
    return group

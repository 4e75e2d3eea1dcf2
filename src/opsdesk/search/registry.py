"""The registry of searchable types: one adapter per type says how a record becomes a search document and
who may find it. Incidents register now; knowledge articles, problems, changes and configuration items
register the same way (`register(MyAdapter())` in their app's `ready`, or in search/adapters.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import models

from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import Access


@dataclass(frozen=True)
class Document:
    """What the index keeps of one record."""

    object_id: int
    number: str
    title: str
    keywords: str  # short, strong text: system, category, error codes, article keywords
    body: str  # the long text
    status: str = ""
    contract_id: int | None = None
    organisation_id: int | None = None
    owner_id: int | None = None
    audience: str = "record"
    boost: float = 0.0  # 0-3: lifts the record among equally good matches (e.g. articles that solved problems)


class SearchAdapter(Protocol):
    """How one type of record is indexed and who may find it."""

    kind: str  # the `type` of hits and of the API filter, e.g. "incident"
    label: Any  # translatable name of the type

    @property
    def model(self) -> type[models.Model]:
        """The model of the records."""

    def queryset(self) -> models.QuerySet[Any]:
        """The records to index, with whatever `document` needs joined (used in batches by the rebuild)."""

    def document(self, obj: Any) -> Document:
        """The search document of one record."""

    def visibility_sql(self, *, user: User, access: Access, alias: str) -> tuple[str, list[Any]]:
        """A SQL condition over the index row `alias` limiting hits of this type to what `user` may see.

        Evaluated inside the search query; an empty condition is never returned (use "1=0")."""


def visibility_scope(adapter: SearchAdapter, *, user: User, access: Access) -> list[str] | None:
    """The scope tokens of which every record of this type `user` may see holds at least one, from the
    adapter's optional `visibility_scope`, named without the type (`owner41`, `org3`, `contract12`: the
    search prefixes the type, as services.scope_tokens writes them); None when it has none (no narrowing).

    Not the rule (visibility_sql is): a superset of it that the full-text index can apply while it reads
    the postings, so a requester's search reads their own records, not those of a million others."""
    method = getattr(adapter, "visibility_scope", None)
    tokens = None if method is None else method(user=user, access=access)
    return None if tokens is None else list(tokens)


_registry: dict[str, SearchAdapter] = {}


def register(adapter: SearchAdapter) -> None:
    _registry[adapter.kind] = adapter


def adapter_for(kind: str) -> SearchAdapter | None:
    return _registry.get(kind)


def adapter_for_model(model: type[models.Model]) -> SearchAdapter | None:
    for adapter in _registry.values():
        if adapter.model is model:
            return adapter
    return None


def kinds() -> list[str]:
    return sorted(_registry)


def adapters(only: Iterable[str] | None = None) -> Sequence[SearchAdapter]:
    wanted = set(only) if only is not None else None
    return [a for k, a in sorted(_registry.items()) if wanted is None or k in wanted]

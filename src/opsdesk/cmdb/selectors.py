"""Reads of the CMDB, scoped to the contractor's staff of each item's contract (404 for anyone else), and
impact analysis: which items an outage of one reaches, level by level, over the typed relationships."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import staff_contracts_q
from opsdesk.core import sql
from opsdesk.core.db import one_or_none
from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.core.models import Activity
from opsdesk.core.pagination import Page, keyset_page
from opsdesk.core.params import param_one

from .choices import IMPACT_DIRECTION, ItemStatus
from .models import AffectedItem, CIType, ConfigurationItem, Relationship

MAX_DEPTH = 10


def item_visibility_q(user: User) -> Q:
    return staff_contracts_q(user)


def _items() -> QuerySet[ConfigurationItem]:
    return ConfigurationItem.objects.select_related("contract", "ci_type", "owner")


def item_get(*, pk: Any, visible_to: User) -> ConfigurationItem:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        key = 0
    found = one_or_none(_items().filter(item_visibility_q(visible_to), pk=key)) if 0 < key < 2**63 else None
    if found is None:
        raise NotFound(_("There is no configuration item %(id)s.") % {"id": str(pk)[:20]}, code="ci_not_found")
    return found


def type_list() -> list[CIType]:
    return list(CIType.objects.filter(is_active=True).order_by("code"))


def type_get(*, code: str) -> CIType | None:
    return CIType.objects.filter(code=str(code or "").strip()[:50]).first()


def item_filtered(*, visible_to: User, params: Any) -> QuerySet[ConfigurationItem]:
    """The items `visible_to` may read, filtered by `contract` (code), `type` (code), `status`, `q` (key or
    name): the list page, the API and the export share it."""
    qs = _items().filter(item_visibility_q(visible_to))
    status = param_one(params, "status")
    if status and status not in ItemStatus.values:
        raise ValidationError(fields={"status": _("Unknown status “%(value)s”.") % {"value": status[:40]}})
    if status:
        qs = qs.filter(status=status)
    if contract := param_one(params, "contract", drop_nul=True)[:40]:
        qs = qs.filter(contract__code=contract)
    if ci_type := param_one(params, "type", drop_nul=True)[:50]:
        qs = qs.filter(ci_type__code=ci_type)
    if q := param_one(params, "q", drop_nul=True)[:200]:
        qs = qs.filter(Q(key=q) | Q(name__icontains=q))
    return qs


def item_list(*, visible_to: User, params: Any, limit: int, cursor: str | None = None) -> Page:
    """Items newest first, filtered as `item_filtered`, one keyset page."""
    return keyset_page(item_filtered(visible_to=visible_to, params=params), order=("-id",), limit=limit,
                       cursor=cursor)


def item_history(*, item: ConfigurationItem) -> list[Activity]:
    return list(Activity.objects.filter(content_type=ContentType.objects.get_for_model(ConfigurationItem),
                                        object_id=item.pk).select_related("actor").order_by("id"))


def item_relationships(*, item: ConfigurationItem) -> list[Relationship]:
    """Both directions, with the other item (one query)."""
    return list(Relationship.objects.filter(Q(source=item) | Q(target=item))
                .select_related("source", "target", "source__ci_type", "target__ci_type").order_by("kind", "id"))


@dataclass(frozen=True)
class ImpactItem:
    """An item reached by impact analysis: what the list shows of it (a plain row, not a model: a hub can
    reach thousands of items, and building models for them would cost more than finding them)."""

    pk: int
    key: str
    name: str
    status: str
    importance: int
    type_code: str
    type_name: str
    contract: str


@dataclass
class ImpactLevel:
    level: int
    items: list[ImpactItem]


def _kinds(direction: str) -> tuple[list[str], list[str]]:
    """(kinds along which an outage travels target → source, kinds along which it travels source → target)."""
    to_source = [str(k) for k, d in IMPACT_DIRECTION.items() if d in ("target", "both")]
    to_target = [str(k) for k, d in IMPACT_DIRECTION.items() if d in ("source", "both")]
    return (to_source, to_target) if direction == "downstream" else (to_target, to_source)


# The walk's two statements are plain SQL composed from model metadata and placeholders only: Django's per-value
# lookup preparation cost more than the database did once a level holds thousands of ids.
CHUNK = 1000  # ids per statement (SQLite binds at most 32,766 parameters)


def _neighbours(frontier: list[int], from_target: list[str], from_source: list[str]) -> list[tuple[Any, ...]]:
    """The ids at the other end of the frontier's relationships that carry an outage (each index used alone)."""
    table = sql.q(Relationship._meta.db_table)
    source, target, kind = sql.q("source_id"), sql.q("target_id"), sql.q("kind")
    if connection.vendor == "postgresql":  # one array parameter each: parsed and planned in a fraction
        return _fetch(f"SELECT {source} FROM {table} WHERE {target} = ANY(%s) AND {kind} = ANY(%s) UNION ALL "
                      f"SELECT {target} FROM {table} WHERE {source} = ANY(%s) AND {kind} = ANY(%s)",
                      [frontier, from_target, frontier, from_source])
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(frontier), CHUNK):
        ids = frontier[start:start + CHUNK]
        marks = ", ".join(["%s"] * len(ids))
        statement = (f"SELECT {source} FROM {table} WHERE {target} IN ({marks}) AND {kind} IN "
                     f"({', '.join(['%s'] * len(from_target))}) UNION ALL "
                     f"SELECT {target} FROM {table} WHERE {source} IN ({marks}) AND {kind} IN "
                     f"({', '.join(['%s'] * len(from_source))})")
        rows += _fetch(statement, [*ids, *from_target, *ids, *from_source])
    return rows


def _item_rows(ids: list[int]) -> list[tuple[Any, ...]]:
    table = sql.q(ConfigurationItem._meta.db_table)
    columns = ", ".join(sql.q(c) for c in ("id", "key", "name", "status", "importance", "ci_type_id"))
    if connection.vendor == "postgresql":
        return _fetch(f"SELECT {columns} FROM {table} WHERE {sql.q('id')} = ANY(%s)", [ids])
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        marks = ", ".join(["%s"] * len(chunk))
        rows += _fetch(f"SELECT {columns} FROM {table} WHERE {sql.q('id')} IN ({marks})", chunk)
    return rows


def _fetch(statement: str, params: list[Any]) -> list[tuple[Any, ...]]:
    # Django's ordinary cursor, not core.sql's prepared one: these statements vary with the number of ids.
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return list(cursor.fetchall())


def impact(*, item: ConfigurationItem, depth: int = 3, direction: str = "downstream") -> list[ImpactLevel]:
    """The items reached from `item`, by level (1 = directly), each once at its nearest level.

    downstream: what is affected when `item` goes down (what runs on it, depends on it, what it contains,
    what it connects to); upstream: what `item` relies on (the same relationships read the other way).
    One query per level, one for the rows and one for the types, whatever the graph's size; cycles end where
    items repeat."""
    if direction not in ("downstream", "upstream"):
        raise ValidationError(fields={"direction": _("Use downstream or upstream.")})
    if not 1 <= int(depth) <= MAX_DEPTH:
        raise ValidationError(fields={"depth": _("Depth is 1 to %(n)d.") % {"n": MAX_DEPTH}})
    from_target, from_source = _kinds(direction)
    seen = {item.pk}
    frontier = [item.pk]
    found: list[tuple[int, set[int]]] = []
    for level in range(1, int(depth) + 1):
        reached = {other for (other,) in _neighbours(frontier, from_target, from_source)} - seen
        if not reached:
            break
        seen |= reached
        found.append((level, reached))
        frontier = sorted(reached)
    if not found:
        return []
    types = {t.pk: t for t in CIType.objects.all()}
    contract = item.contract.code  # relationships never leave a contract
    rows_by_id: dict[int, ImpactItem] = {}
    for pk, key, name, status, importance, type_id in _item_rows(sorted(pk for _lvl, ids in found for pk in ids)):
        ci_type = types[type_id]
        rows_by_id[pk] = ImpactItem(pk, key, name, status, importance, ci_type.code, ci_type.name, contract)
    return [ImpactLevel(level, sorted((rows_by_id[pk] for pk in ids), key=lambda i: (i.importance, i.key)))
            for level, ids in found]


def business_systems_affected(levels: list[ImpactLevel]) -> list[ImpactItem]:
    """The business systems among the items reached ("what business systems are affected")."""
    return [i for lvl in levels for i in lvl.items if i.type_code == "business_system"]



def relationship_get(*, pk: Any, visible_to: User, item: ConfigurationItem | None = None) -> Relationship:
    """A relationship between items `visible_to` reads (one end being `item`, when given), or NotFound."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        key = 0
    qs = Relationship.objects.select_related("source", "target").filter(
        pk=key, source__in=ConfigurationItem.objects.filter(item_visibility_q(visible_to)))
    if item is not None:
        qs = qs.filter(Q(source=item) | Q(target=item))
    found = one_or_none(qs) if 0 < key < 2**63 else None
    if found is None:
        raise NotFound(_("There is no relationship %(id)s.") % {"id": str(pk)[:20]})
    return found


# --- tickets and items ----------------------------------------------------------------------------------------------

def ticket_items(*, ticket: Any) -> list[ConfigurationItem]:
    """The configuration items a ticket affects (one query)."""
    content_type = ContentType.objects.get_for_model(type(ticket))
    return list(_items().filter(ticket_links__content_type=content_type, ticket_links__object_id=ticket.pk)
                .order_by("importance", "key"))


def item_incidents(*, item: ConfigurationItem, visible_to: User, limit: int = 50) -> tuple[list[Any], list[Any]]:
    """The incidents that affect `item` and that `visible_to` may see, newest first: (open, past)."""
    from opsdesk.incidents.choices import ENDED_STATUSES
    from opsdesk.incidents.models import Incident
    from opsdesk.incidents.selectors import incident_queryset

    ids = AffectedItem.objects.filter(item=item, content_type=ContentType.objects.get_for_model(Incident)
                                      ).values("object_id")
    found = list(incident_queryset(visible_to=visible_to).filter(pk__in=ids).order_by("-id")[:limit])
    return ([i for i in found if i.status not in ENDED_STATUSES], [i for i in found if i.status in ENDED_STATUSES])


def item_problems(*, item: ConfigurationItem, visible_to: User, limit: int = 50) -> list[Any]:
    """The problems that affect `item` and that `visible_to` may see, newest first."""
    from opsdesk.problems.models import Problem
    from opsdesk.problems.selectors import problem_visibility_q

    ids = AffectedItem.objects.filter(item=item, content_type=ContentType.objects.get_for_model(Problem)
                                      ).values("object_id")
    return list(Problem.objects.filter(problem_visibility_q(visible_to), pk__in=ids).order_by("-id")[:limit])


def ticket_get(*, kind: str, number: str, visible_to: User) -> Any:
    """An incident or a problem by its number (kind `incidents` or `problems`), as `visible_to` may see it."""
    if kind == "incidents":
        from opsdesk.incidents.selectors import incident_get

        return incident_get(number=number, visible_to=visible_to)
    if kind == "problems":
        from opsdesk.problems.selectors import problem_get

        return problem_get(number=number, visible_to=visible_to)
    raise NotFound(_("Not found."))


def item_by_key(*, contract_id: int, key: str, visible_to: User) -> ConfigurationItem:
    """An item by its key on one contract (what people type), or NotFound."""
    found = one_or_none(_items().filter(item_visibility_q(visible_to), contract_id=contract_id,
                                        key=str(key or "").strip()[:100]))
    if found is None:
        raise NotFound(_("There is no configuration item “%(key)s” on this contract.") % {"key": str(key)[:100]},
                       code="ci_not_found")
    return found


# --- the neighbourhood graph ----------------------------------------------------------------------------------------

GRAPH_MAX_NODES = 150


@dataclass
class Graph:
    nodes: list[ConfigurationItem]
    edges: list[Relationship]
    truncated: bool


def neighbourhood(*, item: ConfigurationItem, depth: int = 2) -> Graph:
    """The items within `depth` relationships of `item` (either way, any kind) and the relationships among
    them, for the drawn graph: at most GRAPH_MAX_NODES items, one query per level."""
    seen = {item.pk}
    frontier = {item.pk}
    truncated = False
    for _level in range(depth):
        rows = Relationship.objects.filter(Q(source_id__in=frontier) | Q(target_id__in=frontier)
                                           ).values_list("source_id", "target_id")
        reached = {pk for pair in rows for pk in pair} - seen
        if len(seen) + len(reached) > GRAPH_MAX_NODES:
            reached = set(sorted(reached)[:GRAPH_MAX_NODES - len(seen)])
            truncated = True
        if not reached:
            break
        seen |= reached
        frontier = reached
    nodes = list(_items().filter(pk__in=seen).order_by("id"))
    edges = list(Relationship.objects.filter(source_id__in=seen, target_id__in=seen).order_by("id"))
    return Graph(nodes, edges, truncated)

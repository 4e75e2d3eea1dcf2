"""Every read of incidents that matters, scoped to the viewer: what they cannot see does not exist (404)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opsdesk.accounts.choices import SERVICE_ROLES, Role
from opsdesk.accounts.models import Contract, Department, Organisation, User
from opsdesk.accounts.selectors import access_for, normalised_phone, phone_key, ticket_visibility_q
from opsdesk.core import sql
from opsdesk.core.db import one_or_none
from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.core.models import Activity, Attachment
from opsdesk.core.pagination import Page, keyset_page
from opsdesk.sla.choices import ACTIVE_CLOCK_STATUSES, ClockStatus, Metric
from opsdesk.sla.models import SlaClock

from .choices import OPEN_STATUSES, CallOutcome, IncidentStatus, Level, WorkOrderStatus
from .models import CallRecord, Incident, IncidentCategory, SatisfactionRating, WorkOrder

NUMBER_RE = re.compile(r"^(INC-\d{8}-\d{4,})$", re.IGNORECASE)

# Each sort is backed by an index ending in the same keys (see Incident.Meta.indexes).
SORTS: dict[str, tuple[tuple[str, ...], Any]] = {
    "-created": (("-id",), gettext_lazy("Newest first")),
    "created": (("id",), gettext_lazy("Oldest first")),
    "level": (("level", "-id"), gettext_lazy("Most severe first")),
    # Only incidents with a running SLA clock have a due time; the partial index inc_sla_due_idx holds them.
    "due": (("sla_due_at", "id"), gettext_lazy("SLA due soonest")),
}


def _dates(one: Callable[[str], str], names: tuple[str, ...], errors: dict[str, str]) -> dict[str, dt.date | None]:
    """Optional ISO dates of a filter form by name; a bad one is an error on its field (and taken as absent)."""
    dates: dict[str, dt.date | None] = {}
    for name in names:
        value = one(name)
        try:
            dates[name] = dt.date.fromisoformat(value) if value else None
        except ValueError:
            errors[name] = _("Use a date like 2026-11-22.")
            dates[name] = None
    return dates


@dataclass
class IncidentFilters:
    """The filters of the incident list page and list API (the same names in both)."""

    status: list[str] = field(default_factory=list)
    level: list[int] = field(default_factory=list)
    contract: str = ""
    assignee: str = ""
    owner: str = ""
    requester: str = ""
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    q: str = ""
    sort: str = "-created"

    @classmethod
    def parse(cls, params: Any) -> IncidentFilters:
        """Build filters from a QueryDict or dict; an unknown value is a ValidationError naming the field."""
        def many(name: str) -> list[str]:
            if hasattr(params, "getlist"):
                values = params.getlist(name)
            else:
                raw = params.get(name)
                values = raw if isinstance(raw, list) else ([] if raw in (None, "") else [raw])
            out: list[str] = []
            for v in values:
                out.extend(p for p in str(v).split(",") if p.strip())
            return [p.strip() for p in out]

        def one(name: str) -> str:
            value = params.get(name)
            return "" if value is None else str(value).strip()

        errors: dict[str, str] = {}
        status = many("status")
        bad = [s for s in status if s not in IncidentStatus.values and s != "open"]
        if bad:
            errors["status"] = _("Unknown status “%(value)s”.") % {"value": bad[0]}
        levels: list[int] = []
        for v in many("level"):
            if v.isascii() and v.isdigit() and int(v) in Level.values:  # "¹".isdigit(), yet int() fails
                levels.append(int(v))
            else:
                errors["level"] = _("The level must be 1, 2, 3 or 4.")
        dates = _dates(one, ("created_from", "created_to"), errors)
        sort = one("sort") or "-created"
        if sort not in SORTS:
            errors["sort"] = _("Unknown sort “%(value)s”.") % {"value": sort}
        q = one("q")
        if len(q) > 200:
            errors["q"] = _("At most %(n)d characters.") % {"n": 200}
        if errors:
            raise ValidationError(fields=errors)
        return cls(status=status, level=levels, contract=one("contract"), assignee=one("assignee"),
                   owner=one("owner"), requester=one("requester"), created_from=dates["created_from"],
                   created_to=dates["created_to"], q=q, sort=sort)


def incident_queryset(*, visible_to: User) -> QuerySet[Incident]:
    """All incidents the user may see (not yet filtered or ordered)."""
    if not getattr(visible_to, "is_authenticated", False):
        return Incident.objects.none()
    return Incident.objects.filter(ticket_visibility_q(visible_to))


def _person(value: str, viewer: User, name: str) -> Q:
    if value == "me":
        return Q(**{f"{name}_id": viewer.pk})
    if value == "none":
        return Q(**{f"{name}__isnull": True})
    person_id = one_or_none(User.objects.filter(username=value).values_list("id", flat=True))
    return Q(**{f"{name}_id": person_id}) if person_id is not None else Q(pk__in=[])


def incident_filter(qs: QuerySet[Incident], *, filters: IncidentFilters, viewer: User) -> QuerySet[Incident]:
    statuses = set(filters.status)
    if "open" in statuses:
        statuses.discard("open")
        statuses.update(OPEN_STATUSES)
    if statuses:
        qs = qs.filter(status__in=sorted(statuses))
    if filters.level:
        qs = qs.filter(level__in=filters.level)
    # Names become ids first, so that the planner reaches straight for the (contract, status, -id) and
    # (assignee, status, -id) indexes instead of joining the contracts or people table and filtering.
    if filters.contract:
        contract_id = one_or_none(Contract.objects.filter(code=filters.contract).values_list("id", flat=True))
        qs = qs.filter(contract_id=contract_id) if contract_id is not None else qs.none()
    for name in ("assignee", "owner", "requester"):
        value = getattr(filters, name)
        if value:
            qs = qs.filter(_person(value, viewer, name))
    tz = timezone.get_current_timezone()
    if filters.created_from:
        qs = qs.filter(created_at__gte=dt.datetime.combine(filters.created_from, dt.time.min, tzinfo=tz))
    if filters.created_to:
        end = dt.datetime.combine(filters.created_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        qs = qs.filter(created_at__lt=end)
    if filters.q:
        if NUMBER_RE.match(filters.q):
            qs = qs.filter(number=filters.q.upper())
        else:
            qs = qs.filter(title__icontains=filters.q)
    if filters.sort == "due":
        qs = qs.filter(sla_due_at__isnull=False)
    return qs


def _order(filters: IncidentFilters) -> tuple[str, ...]:
    """The keyset order of a list. With a creation-date range, newest/oldest first walk the creation-time
    index from the range's end instead of the id index from the table's end (266 ms → 0.5 ms for a week six
    months back at 1,000,000 incidents: bench/RESULTS.md)."""
    if (filters.created_from or filters.created_to) and filters.sort in ("-created", "created"):
        return ("-created_at", "-id") if filters.sort == "-created" else ("created_at", "id")
    return SORTS[filters.sort][0]


def attach_related(incidents: list[Incident], *, organisation: bool = False) -> None:
    """Fill in the contract, category and people of a page of incidents: one query per table, no joins.

    The incident query itself joins nothing: PostgreSQL spent 3–8 ms planning a five- to seven-table join
    for every list or detail request, ten times what executing it took (bench/RESULTS.md). One incident's
    page reads more, in fewer statements: attach_detail.
    """
    if not incidents:
        return
    people = {i for inc in incidents for i in (inc.requester_id, inc.owner_id, inc.assignee_id) if i is not None}
    users = User.objects.in_bulk(people)
    contracts = Contract.objects.in_bulk({inc.contract_id for inc in incidents})
    categories = IncidentCategory.objects.in_bulk({inc.category_id for inc in incidents if inc.category_id is not None})
    orgs = Organisation.objects.in_bulk({inc.organisation_id for inc in incidents}) if organisation else {}
    for inc in incidents:
        inc.contract = contracts[inc.contract_id]
        inc.requester = users[inc.requester_id]
        inc.owner = users.get(inc.owner_id) if inc.owner_id else None
        inc.assignee = users.get(inc.assignee_id) if inc.assignee_id else None
        inc.category = categories.get(inc.category_id) if inc.category_id else None
        if orgs:
            inc.organisation = orgs[inc.organisation_id]
            inc.contract.organisation = inc.organisation  # a contract's client is the incident's


@cache
def _references_sql() -> str:
    """One incident's contract, organisation, category and the category's parent (absent ones: NULLs)."""
    q, k = sql.q, IncidentCategory
    return (f"SELECT {sql.select_list(Contract, 'c')}, {sql.select_list(Organisation, 'o')}, "  # noqa: S608 - names only
            f"{sql.select_list(k, 'k')}, {sql.select_list(k, 'p')} FROM {q(Contract._meta.db_table)} c "
            f"JOIN {q(Organisation._meta.db_table)} o ON o.{q('id')} = %s "
            f"LEFT JOIN {q(k._meta.db_table)} k ON k.{q('id')} = %s "
            f"LEFT JOIN {q(k._meta.db_table)} p ON p.{q('id')} = k.{q('parent_id')} WHERE c.{q('id')} = %s")


@cache
def _people_sql(count: int) -> str:
    """Up to four people by id, each with their department (NULLs when none)."""
    q = sql.q
    return (f"SELECT {sql.select_list(User, 'u')}, {sql.select_list(Department, 'd')} "  # noqa: S608 - names only
            f"FROM {q(User._meta.db_table)} u LEFT JOIN {q(Department._meta.db_table)} d "
            f"ON d.{q('id')} = u.{q('department_id')} WHERE u.{q('id')} IN ({', '.join(['%s'] * count)})")


def attach_detail(inc: Incident) -> None:
    """What one incident's page shows of its related rows: contract, organisation, category with its parent,
    and requester, owner, assignee and who logged it, each with their department. Two prepared statements
    instead of four ORM queries (each ORM query cost about a millisecond of CPU to build, more than the
    database took to answer it)."""
    row = sql.fetch_one(_references_sql(), [inc.organisation_id, inc.category_id, inc.contract_id])
    if row is None:  # the rows are protected from deletion: only a broken database gets here
        raise NotFound(code="incident_not_found")
    inc.contract, end = sql.from_row(Contract, row)
    inc.organisation, end = sql.from_row(Organisation, row, end)
    category, end = sql.from_row(IncidentCategory, row, end)
    parent, _end = sql.from_row(IncidentCategory, row, end)
    inc.contract.organisation = inc.organisation  # a contract's client is the incident's
    inc.category = category if category.pk is not None else None
    if category.pk is not None:
        category.parent = parent if parent.pk is not None else None
    ids = sorted({i for i in (inc.requester_id, inc.owner_id, inc.assignee_id, inc.created_by_id) if i is not None})
    users = {}
    for person_row in sql.fetch_all(_people_sql(len(ids)), ids):
        user, end = sql.from_row(User, person_row)
        department, _end = sql.from_row(Department, person_row, end)
        user.department = department if department.pk is not None else None
        users[user.pk] = user
    inc.requester = users[inc.requester_id]
    inc.owner = users.get(inc.owner_id) if inc.owner_id else None
    inc.assignee = users.get(inc.assignee_id) if inc.assignee_id else None
    inc.created_by = users[inc.created_by_id]


def incident_list(*, visible_to: User, filters: IncidentFilters, limit: int = 25, cursor: str | None = None) -> Page:
    """One page of the incidents `visible_to` may see, filtered and sorted; related rows in bulk, not N+1."""
    qs = incident_filter(incident_queryset(visible_to=visible_to), filters=filters, viewer=visible_to)
    page = keyset_page(qs, order=_order(filters), limit=limit, cursor=cursor)
    attach_related(page.items)
    return page


def incident_get(*, number: str, visible_to: User) -> Incident:
    """The incident with this number if the user may see it; NotFound otherwise (never 403: no probing)."""
    incident = one_or_none(incident_queryset(visible_to=visible_to).filter(number=str(number).upper()))
    if incident is None:
        raise NotFound(_("There is no incident %(number)s.") % {"number": number}, code="incident_not_found")
    attach_detail(incident)
    return incident


INTERNAL_READERS = SERVICE_ROLES | {Role.REVIEWER, Role.QUALITY_MANAGER}


def is_service_staff(user: User, incident: Incident) -> bool:
    """Whether `user` works this incident's contract, and so reads and writes its internal notes and files."""
    return bool(access_for(user).roles_on(incident.contract_id) & INTERNAL_READERS)


def incident_timeline(*, incident: Incident, viewer: User) -> list[Activity]:
    """The timeline of an incident; internal notes and files only for service staff."""
    qs = Activity.objects.filter(content_type=ContentType.objects.get_for_model(Incident),
                                 object_id=incident.pk).select_related("actor", "attachment")
    if not is_service_staff(viewer, incident):
        qs = qs.filter(internal=False)
    return list(qs.order_by("id"))


def incident_attachment_get(*, incident: Incident, attachment_id: int, viewer: User) -> Attachment:
    att = one_or_none(Attachment.objects.filter(
        pk=attachment_id, content_type=ContentType.objects.get_for_model(Incident), object_id=incident.pk))
    if att is None or (att.internal and not is_service_staff(viewer, incident)):
        raise NotFound()
    return att


# The cards of an incident's page that are usually empty: most incidents never get a work order, a call
# record, a rating, a problem, a follow-up or a configuration item. One statement says which have rows, and
# only those are read (an empty ORM query still cost 1-2.5 ms of CPU: six of them were a quarter of a page).
INCIDENT_LINKS = ("work_orders", "calls", "rating", "problems", "follow_ups", "items")


@cache
def _links_sql() -> str:
    from opsdesk.cmdb.models import AffectedItem
    from opsdesk.followups.models import FollowUp
    from opsdesk.problems.models import ProblemIncident

    def exists(model: Any, where: str) -> str:
        return f"EXISTS (SELECT 1 FROM {sql.q(model._meta.db_table)} WHERE {where})"  # noqa: S608 - names only

    of_incident = f"{sql.q('incident_id')} = %s"
    return "SELECT " + ", ".join([
        exists(WorkOrder, of_incident), exists(CallRecord, of_incident), exists(SatisfactionRating, of_incident),
        exists(ProblemIncident, of_incident),
        exists(FollowUp, f"{sql.q('ticket_type_id')} = %s AND {sql.q('ticket_id')} = %s"),
        exists(AffectedItem, f"{sql.q('content_type_id')} = %s AND {sql.q('object_id')} = %s"),
    ])


def incident_links(*, incident: Incident) -> frozenset[str]:
    """Which of INCIDENT_LINKS the incident has any rows of (one indexed statement)."""
    kind = ContentType.objects.get_for_model(Incident).pk
    row = sql.fetch_one(_links_sql(), [incident.pk] * 4 + [kind, incident.pk, kind, incident.pk])
    return frozenset(name for name, present in zip(INCIDENT_LINKS, row or (), strict=False) if present)


def incident_work_orders(*, incident: Incident) -> list[WorkOrder]:
    return list(incident.work_orders.select_related("engineer", "dispatched_by").order_by("id"))


def recent_incidents_of(*, requester: User, visible_to: User, limit: int = 5) -> list[Incident]:
    """The caller's latest incidents, for the agent on the phone (only those the agent may see)."""
    return list(incident_queryset(visible_to=visible_to).filter(requester=requester)
                .select_related("contract").order_by("-id")[:limit])


def workbench_counts(*, user: User) -> dict[str, int]:
    """Queue sizes for the agent workbench, in one aggregate query over open incidents."""
    qs = incident_queryset(visible_to=user).filter(status__in=OPEN_STATUSES)
    return qs.aggregate(
        mine=Count("id", filter=Q(assignee_id=user.pk)),
        owned=Count("id", filter=Q(owner_id=user.pk)),
        unassigned=Count("id", filter=Q(status=IncidentStatus.NEW)),
        level1=Count("id", filter=Q(level=1)),
        level2=Count("id", filter=Q(level=2)),
        level3=Count("id", filter=Q(level=3)),
        level4=Count("id", filter=Q(level=4)),
        open=Count("id"),
    )


def incident_page_for_api(*, visible_to: User, filters: IncidentFilters, limit: int = 25,
                          cursor: str | None = None) -> Page:
    """incident_list, plus what API rows need without a query per row.

    The organisation is filled in too, and the page's dispatched work orders are prefetched into
    `dispatched_work_orders`, which the `record_arrival` condition reads instead of querying (one query
    per page, however many rows).
    """
    qs = incident_filter(incident_queryset(visible_to=visible_to), filters=filters, viewer=visible_to)
    qs = qs.prefetch_related(Prefetch(
        "work_orders", queryset=WorkOrder.objects.filter(status=WorkOrderStatus.DISPATCHED).order_by("id"),
        to_attr="dispatched_work_orders"))
    page = keyset_page(qs, order=_order(filters), limit=limit, cursor=cursor)
    attach_related(page.items, organisation=True)
    return page


def category_get(*, pk: int) -> IncidentCategory | None:
    """A category by id, active or not (the service says why an inactive one cannot be used)."""
    return one_or_none(IncidentCategory.objects.filter(pk=pk).select_related("parent"))


def category_list() -> QuerySet:
    """Categories an incident may be filed under (active ones), parents joined for their labels."""
    from .models import IncidentCategory

    return IncidentCategory.objects.filter(is_active=True).select_related("parent").order_by("parent__name", "name")


# --- hotline: the caller's open tickets, the calls ------------------------------------------------------

def open_incidents_by_requester(*, requesters: list[User], visible_to: User,
                                per_person: int = 5) -> dict[int, list[Incident]]:
    """The open incidents (newest first, at most `per_person` each) of several callers, in one query:
    shown next to each person the phone lookup found, so the agent sees a repeated call about one fault."""
    ids = [p.pk for p in requesters]
    if not ids:
        return {}
    rows = (incident_queryset(visible_to=visible_to)
            .filter(requester_id__in=ids, status__in=OPEN_STATUSES)
            .only("id", "number", "title", "status", "level", "requester_id", "created_at", "sla_due_at",
                  "sla_state", "sla_warn_at", "sla_critical_at", "sla_remaining_seconds", "sla_breached")
            .order_by("-id")[: per_person * len(ids) * 4])
    out: dict[int, list[Incident]] = {pk: [] for pk in ids}
    for inc in rows:
        bucket = out[inc.requester_id]
        if len(bucket) < per_person:
            bucket.append(inc)
    return out


CALL_TAKER_ROLES = SERVICE_ROLES


def _call_contract_ids(user: User) -> list[int]:
    access = access_for(user)
    return sorted(cid for cid, roles in access.roles_by_contract.items() if roles & CALL_TAKER_ROLES)


@dataclass
class CallFilters:
    """The filters of the calls list: outcome, agent (`me` or a username), contract code, a phone number's
    digits, and a date range (Asia/Shanghai days of the call's start)."""

    outcome: str = ""
    agent: str = ""
    contract: str = ""
    phone: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @classmethod
    def parse(cls, params: Any) -> CallFilters:
        def one(name: str) -> str:
            value = params.get(name)
            return "" if value is None else str(value).replace("\x00", "").strip()[:100]

        errors: dict[str, str] = {}
        outcome = one("outcome")
        if outcome and outcome not in CallOutcome.values:
            errors["outcome"] = _("Unknown outcome “%(value)s”.") % {"value": outcome}
        dates = _dates(one, ("date_from", "date_to"), errors)
        if errors:
            raise ValidationError(fields=errors)
        return cls(outcome=outcome, agent=one("agent"), contract=one("contract"), phone=one("phone"),
                   date_from=dates["date_from"], date_to=dates["date_to"])


def call_list(*, visible_to: User, filters: CallFilters, limit: int = 25, cursor: str | None = None) -> Page:
    """One page of the hotline calls on the contracts `visible_to` works as service staff (agents, project
    managers, engineers), newest first; caller, agent, contract and incident in bulk, not per row."""
    qs = CallRecord.objects.filter(contract_id__in=_call_contract_ids(visible_to))
    if filters.outcome:
        qs = qs.filter(outcome=filters.outcome)
    if filters.agent:
        qs = qs.filter(_person(filters.agent, visible_to, "agent"))
    if filters.contract:
        contract_id = one_or_none(Contract.objects.filter(code=filters.contract).values_list("id", flat=True))
        qs = qs.filter(contract_id=contract_id) if contract_id is not None else qs.none()
    if filters.phone:
        key = phone_key(filters.phone)
        qs = (qs.filter(phone__icontains=filters.phone) if key is None else
              qs.annotate(phone_digits=normalised_phone()).filter(phone_digits__contains=key))
    tz = timezone.get_current_timezone()
    if filters.date_from:
        qs = qs.filter(started_at__gte=dt.datetime.combine(filters.date_from, dt.time.min, tzinfo=tz))
    if filters.date_to:
        qs = qs.filter(started_at__lt=dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min,
                                                          tzinfo=tz))
    page = keyset_page(qs.select_related("caller", "agent", "contract", "incident"), order=("-id",), limit=limit,
                       cursor=cursor)
    return page


def incident_calls(*, incident: Incident, viewer: User) -> list[CallRecord]:
    """The calls about an incident (service staff only; nobody else sees call records)."""
    if not is_service_staff(viewer, incident):
        return []
    return list(incident.calls.select_related("caller", "agent").order_by("id"))


def incident_rating(*, incident: Incident) -> SatisfactionRating | None:
    """The incident's satisfaction rating, or None."""
    return one_or_none(SatisfactionRating.objects.filter(incident=incident).select_related("rated_by"))


# --- the requester's view of the SLA --------------------------------------------------------------------

def sla_promises(incidents: list[Incident], *, now: dt.datetime | None = None) -> dict[int, list[dict[str, Any]]]:
    """What the requester is promised, per incident, from its running or paused response and resolution
    clocks (one query for a whole page): [{"metric", "due_at", "overdue", "paused"}]. The on-site clock is
    the contractor's business and is left out."""
    ids = [inc.pk for inc in incidents if inc.sla_state]
    out: dict[int, list[dict[str, Any]]] = {inc.pk: [] for inc in incidents}
    if not ids:
        return out
    now = now or timezone.now()
    clocks = (SlaClock.objects.filter(content_type=ContentType.objects.get_for_model(Incident), object_id__in=ids,
                                      status__in=ACTIVE_CLOCK_STATUSES,
                                      metric__in=(Metric.RESPONSE, Metric.RESOLUTION))
              .only("object_id", "metric", "status", "due_at").order_by("object_id", "metric"))
    for clock in clocks:
        out[clock.object_id].append({
            "metric": clock.metric, "due_at": clock.due_at, "paused": clock.status == ClockStatus.PAUSED,
            "overdue": clock.due_at is not None and clock.status == ClockStatus.RUNNING and clock.due_at < now,
        })
    for promises in out.values():
        promises.sort(key=lambda p: 0 if p["metric"] == Metric.RESPONSE else 1)
    return out

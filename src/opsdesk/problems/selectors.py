"""Every read of problems, scoped to the viewer: only the contractor staff of a problem's contract see it;
for everybody else (client people included) it does not exist (404)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.accounts.models import Contract, User
from opsdesk.accounts.selectors import access_for, staff_contracts_q
from opsdesk.core.db import one_or_none
from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.core.models import Activity
from opsdesk.core.pagination import Page, keyset_page
from opsdesk.core.params import param_list, param_one
from opsdesk.incidents.models import Incident
from opsdesk.incidents.selectors import incident_queryset

from .choices import ProblemStatus
from .models import Problem, ProblemIncident

NUMBER_RE = re.compile(r"^PRB-\d{8}-\d{4,}$", re.IGNORECASE)
INCIDENT_NUMBER_RE = re.compile(r"^INC-\d{8}-\d{4,}$", re.IGNORECASE)
METRICS_DEFAULT_DAYS = 30
METRICS_MAX_DAYS = 3660


def problem_visibility_q(user: User) -> Q:
    """The filter limiting any problem query to what `user` may read: the contracts they work as staff."""
    return staff_contracts_q(user)


def is_problem_staff(user: User, problem: Problem) -> bool:
    return problem.contract_id in access_for(user).staff_contract_ids


def _base() -> QuerySet[Problem]:
    return Problem.objects.select_related("contract", "owner", "assignee", "category", "created_by", "article")


def problem_get(*, number: str, visible_to: User) -> Problem:
    """One problem the viewer may read; NotFound for anything else (malformed numbers included)."""
    number = (number or "").strip().upper()
    found = one_or_none(_base().filter(problem_visibility_q(visible_to), number=number)) \
        if NUMBER_RE.match(number) else None
    if found is None:
        raise NotFound(_("There is no problem %(number)s.") % {"number": number[:40]}, code="problem_not_found")
    return found


def problem_timeline(*, problem: Problem) -> list[Activity]:
    """Every entry of the problem's timeline (only staff see problems, so internal notes included)."""
    return list(Activity.objects.filter(content_type=ContentType.objects.get_for_model(Problem),
                                        object_id=problem.pk).select_related("actor").order_by("id"))


def problem_incidents(*, problem: Problem) -> list[Incident]:
    """The incidents linked to the problem, oldest link first; each carries `problem_link_active`."""
    links = (ProblemIncident.objects.filter(problem=problem)
             .select_related("incident", "incident__requester", "incident__assignee").order_by("id"))
    out = []
    for link in links:
        inc = link.incident
        inc.problem_link_active = link.active  # type: ignore[attr-defined]
        out.append(inc)
    return out


def problems_of_incident(incident: Incident, visible_to: User) -> list[Problem]:
    """The problems an incident is linked to that the viewer may see (the open one first, then newest)."""
    return list(Problem.objects.filter(problem_visibility_q(visible_to), links__incident=incident)
                .select_related("assignee").order_by("-links__active", "-id"))


def incidents_by_numbers(*, numbers: list[str], visible_to: User) -> tuple[list[Incident], list[str]]:
    """The incidents with these numbers the viewer may see, in the order given, and the numbers not found."""
    wanted: list[str] = []
    for raw in numbers:
        number = str(raw or "").replace("\x00", "").strip().upper()[:40]
        if number and number not in wanted:
            wanted.append(number)
    valid = [n for n in wanted if INCIDENT_NUMBER_RE.match(n)]
    found = {i.number: i for i in incident_queryset(visible_to=visible_to).filter(number__in=valid)
             .select_related("contract")} if valid else {}
    return [found[n] for n in wanted if n in found], [n for n in wanted if n not in found]


@dataclass
class ProblemFilters:
    """The filters of the problem list page and list API (the same names in both)."""

    status: list[str] = field(default_factory=list)
    contract: str = ""
    known_error: bool | None = None
    q: str = ""

    @classmethod
    def parse(cls, params: Any) -> ProblemFilters:
        """From a QueryDict or dict; an unknown value is a ValidationError naming the field."""
        errors: dict[str, str] = {}
        status = param_list(params, "status")
        bad = [s for s in status if s not in ProblemStatus.values and s != "open"]
        if bad:
            errors["status"] = _("Unknown status “%(value)s”.") % {"value": bad[0][:40]}
        known_raw = param_one(params, "known_error").lower()
        known: bool | None = None
        if known_raw in ("true", "1", "yes", "on"):
            known = True
        elif known_raw in ("false", "0", "no", "off"):
            known = False
        elif known_raw:
            errors["known_error"] = _("Enter true or false.")
        q = param_one(params, "q")
        for name, value in (("q", q), ("contract", param_one(params, "contract"))):
            if "\x00" in value:
                errors[name] = _("Null characters are not allowed.")
        if len(q) > 200:
            errors["q"] = _("At most %(n)d characters.") % {"n": 200}
        if errors:
            raise ValidationError(fields=errors)
        return cls(status=status, contract=param_one(params, "contract"), known_error=known, q=q)


def problem_list(*, visible_to: User, filters: ProblemFilters, limit: int, cursor: str | None = None) -> Page:
    """A page of problems, newest first, each with `incident_count` (one query for the rows, one to count)."""
    qs = _base().filter(problem_visibility_q(visible_to))
    statuses = set(filters.status)
    if "open" in statuses:
        statuses.discard("open")
        statuses.update((ProblemStatus.NEW, ProblemStatus.INVESTIGATING, ProblemStatus.KNOWN_ERROR))
    if statuses:
        qs = qs.filter(status__in=sorted(statuses))
    if filters.contract:
        qs = qs.filter(contract__code=filters.contract)
    if filters.known_error is not None:
        qs = qs.filter(known_error=filters.known_error)
    if filters.q:
        text = filters.q
        qs = qs.filter(Q(number=text.upper()) | Q(title__icontains=text))
    qs = qs.annotate(incident_count=Count("links", distinct=True))
    return keyset_page(qs, order=("-id",), limit=limit, cursor=cursor)


def investigator_contracts(*, user: User) -> QuerySet[Contract]:
    """Contracts on which `user` may open problems (pickers)."""
    from .workflow import INVESTIGATORS

    access = access_for(user)
    ids = [cid for cid, roles in access.roles_by_contract.items() if roles & INVESTIGATORS]
    return Contract.objects.filter(pk__in=ids, is_active=True).select_related("organisation").order_by("code")


# --- metrics -----------------------------------------------------------------------------------------------

@dataclass
class ContractMetrics:
    """Problem figures of one contract over a period [start, end)."""

    contract_id: int
    contract: str
    contract_name: str
    opened: int
    solved: int
    opened_solved: int
    mean_hours_to_resolve: float | None

    @property
    def resolution_rate(self) -> float | None:
        """Share of the problems opened in the period that were solved by its end (None when none opened)."""
        return round(self.opened_solved / self.opened, 4) if self.opened else None

    @property
    def resolution_percent(self) -> str:
        rate = self.resolution_rate
        return "—" if rate is None else f"{rate * 100:.0f}%"


def metrics_period(date_from: dt.date | str | None, date_to: dt.date | str | None) -> tuple[dt.date, dt.date]:
    """The inclusive local dates of a metrics period (default: the last 30 days up to today); a bad value is
    a ValidationError naming `date_from` / `date_to`."""
    errors: dict[str, str] = {}

    def parse(name: str, value: dt.date | str | None) -> dt.date | None:
        if value in (None, ""):
            return None
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            errors[name] = _("Use a date like 2026-11-22.")
            return None

    start, end = parse("date_from", date_from), parse("date_to", date_to)
    if errors:
        raise ValidationError(fields=errors)
    today = timezone.localdate()
    end = end or today
    start = start or end - dt.timedelta(days=METRICS_DEFAULT_DAYS - 1)
    if start > end:
        raise ValidationError(fields={"date_to": _("The end cannot be before the start.")})
    if (end - start).days > METRICS_MAX_DAYS:
        raise ValidationError(fields={"date_from": _("At most %(n)d days.") % {"n": METRICS_MAX_DAYS}})
    return start, end


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def problem_metrics(*, visible_to: User, date_from: dt.date, date_to: dt.date,
                    contract: str = "") -> list[ContractMetrics]:
    """Per contract the viewer works as staff: problems opened and solved in the inclusive local dates
    [date_from, date_to], the resolution rate (of those opened, the share solved by the period's end) and the
    mean time to resolve in hours (solved_at − created_at of those solved in the period). One query.

    A contract without any problem in the period has no row."""
    start, end = _local_midnight(date_from), _local_midnight(date_to + dt.timedelta(days=1))
    opened = Q(created_at__gte=start, created_at__lt=end)
    solved = Q(solved_at__gte=start, solved_at__lt=end)
    qs = Problem.objects.filter(problem_visibility_q(visible_to)).filter(opened | solved)
    if contract:
        qs = qs.filter(contract__code=contract)
    duration = ExpressionWrapper(F("solved_at") - F("created_at"), output_field=DurationField())
    rows = (qs.values("contract_id", "contract__code", "contract__name")
            .annotate(opened=Count("id", filter=opened), solved=Count("id", filter=solved),
                      opened_solved=Count("id", filter=opened & Q(solved_at__lt=end)),
                      mean=Avg(duration, filter=solved))
            .order_by("contract__code"))
    out = []
    for row in rows:
        mean = row["mean"]
        hours = None
        if mean is not None:
            seconds = mean.total_seconds() if isinstance(mean, dt.timedelta) else float(mean) / 1_000_000
            hours = round(seconds / 3600, 2)
        out.append(ContractMetrics(contract_id=row["contract_id"], contract=row["contract__code"],
                                   contract_name=row["contract__name"], opened=row["opened"], solved=row["solved"],
                                   opened_solved=row["opened_solved"], mean_hours_to_resolve=hours))
    return out

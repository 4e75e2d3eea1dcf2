"""`opsdesk demo`: a realistic demo dataset built through the services, and the logins to try it with.

A contractor serving four client organisations under five contracts, every role of DOMAIN.md held by
someone (三员分立: three different administrators), requesters with Chinese names and phone numbers, a
two-level category tree, and a few hundred incidents in every state. Incidents are created and moved with
`incident_create` / `incident_act` / `incident_comment`, so timelines, audit entries and work orders are the
real ones. A simulated clock stands in for `django.utils.timezone.now` while the history is written, so
that numbers (INC-YYYYMMDD-NNNN), creation times, timeline and audit times agree with the invented past.

Loading is all-or-nothing (one transaction); a second run changes nothing and returns the same logins.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from opsdesk.accounts import services as accounts
from opsdesk.accounts.choices import OrganisationKind, Role
from opsdesk.accounts.models import Contract, Department, Organisation, RoleGrant, User
from opsdesk.demo_assets import build_assets
from opsdesk.demo_channels import build_channels
from opsdesk.demo_cmdb import build_cmdb
from opsdesk.demo_content import (
    CATEGORIES,
    CLIENT_PEOPLE,
    CLIENTS,
    CONFIRM_COMMENTS,
    CONTRACTOR,
    DISPATCH_INSTRUCTIONS,
    HOLD_NOTES,
    INTERNAL_NOTES,
    REOPEN_REASONS,
    REQUESTER_COMMENTS,
    REQUESTERS_PER_ORG,
    STAFF,
    VENDOR,
    VENDOR_STAFF,
    IncidentText,
    fill,
    incident_text,
    person_name,
    phone_number,
    templates_for,
)
from opsdesk.demo_knowledge import build_knowledge
from opsdesk.demo_procedures import build_procedures
from opsdesk.demo_supplies import build_supplies
from opsdesk.incidents.choices import Channel, HoldReason, IncidentStatus
from opsdesk.incidents.models import IncidentCategory
from opsdesk.incidents.services import incident_act, incident_category_create, incident_comment, incident_create
from opsdesk.search import services as search_services
from opsdesk.sla.services import sla_policy_create

S = IncidentStatus
DEMO_PASSWORD = "demo1234"  # noqa: S105  (published on purpose: printed with the logins)
DEFAULT_SEED = 20261122
HISTORY_DAYS = 180

# The mix of final states: mostly closed, a realistic tail of open work. Every state appears at least once.
STATUS_WEIGHTS = {
    S.CLOSED: 58, S.REJECTED: 4, S.RESOLVED: 4, S.AWAITING_CONFIRMATION: 6, S.ON_HOLD: 4, S.ESCALATED: 5,
    S.IN_PROGRESS: 8, S.ACCEPTED: 5, S.NEW: 6,
}
# How far back an incident that ends in each state was logged (days): open work is recent, so that its SLA
# badges show the whole range (within target, 75 %, 90 %, breached) rather than a wall of breaches.
AGE_DAYS = {
    S.NEW: (0, 0.2), S.ACCEPTED: (0, 1), S.IN_PROGRESS: (0, 3), S.ESCALATED: (0.5, 5), S.ON_HOLD: (2, 20),
    S.AWAITING_CONFIRMATION: (0, 5), S.RESOLVED: (1, 10), S.CLOSED: (2, HISTORY_DAYS),
    S.REJECTED: (1, HISTORY_DAYS),
}
ORG_WEIGHTS = {"tax": 40, "si": 25, "psb": 20, "jn": 15}
SECOND_LINE_BY_CATEGORY = {"数据库": ["dba"], "网络": ["netops"], "应用系统": ["appops", "dba"],
                           "硬件": ["vendor", "netops"], "安全": ["netops", "appops"]}


class SimulatedClock:
    """Replaces `django.utils.timezone.now` inside a `with` block; `at` is the current simulated instant."""

    def __init__(self, start: dt.datetime) -> None:
        self.at = start
        self._real = timezone.now

    def now(self) -> dt.datetime:
        return self.at

    def set(self, at: dt.datetime) -> None:
        self.at = at

    def advance(self, minutes: float, *, limit: dt.datetime) -> dt.datetime:
        """Move forward by `minutes`, never past `limit` and never backwards."""
        self.at = max(self.at, min(self.at + dt.timedelta(minutes=minutes), limit))
        return self.at

    def __enter__(self) -> SimulatedClock:
        self._real = timezone.now
        timezone.now = self.now
        return self

    def __exit__(self, *exc: object) -> None:
        timezone.now = self._real


@dataclass
class ContractCrew:
    contract: Contract
    org_key: str
    agents: list[User] = field(default_factory=list)
    engineers: list[User] = field(default_factory=list)
    second_line: dict[str, User] = field(default_factory=dict)
    pm: User | None = None


@dataclass
class World:
    users: dict[str, User]
    orgs: dict[str, Organisation]
    contracts: dict[str, ContractCrew]
    requesters: dict[str, list[User]]
    contacts: dict[str, User]
    departments: dict[int, str]
    categories: dict[tuple[str, str], IncidentCategory]


def load_demo(*, incidents: int = 300, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """Load the demo dataset (once) and return the logins: username, password, organisation, roles."""
    if Organisation.objects.filter(code=CONTRACTOR["code"]).exists():
        sys.stderr.write("Demo data is already loaded; nothing was changed.\n")
        return demo_logins()
    rng = random.Random(seed)
    real_now = timezone.now()
    start = (real_now - dt.timedelta(days=HISTORY_DAYS + 30)).replace(hour=1, minute=0, second=0, microsecond=0)
    with SimulatedClock(start) as clock, transaction.atomic():
        world = _build_world(rng, start)
        _build_incidents(world, rng, clock, count=max(0, incidents), real_now=real_now)
        clock.set(real_now)
        build_channels(world, real_now)
        build_knowledge(world, clock, real_now)
        build_procedures(world, clock, real_now)
        build_cmdb(world, clock, real_now)
        build_assets(world, clock, real_now)
        build_supplies(world, clock, real_now)
    search_services.drain_all()  # the demo's tickets are searchable at once, not after the first searches
    return demo_logins()


def demo_usernames() -> list[str]:
    """Every demo account, staff first, in the order the logins are printed."""
    names = [u for u, _n, _r in STAFF] + [u for u, _n, _r in VENDOR_STAFF]
    names += [p[1] for p in CLIENT_PEOPLE]
    for client in CLIENTS:
        names += [f"{client['key']}_user{i}" for i in range(1, REQUESTERS_PER_ORG + 1)]
    return names


def demo_logins() -> list[dict[str, Any]]:
    """The logins of the demo accounts present in the database, with their roles per contract."""
    order = {name: i for i, name in enumerate(demo_usernames())}
    users = User.objects.filter(username__in=order).select_related("organisation")
    grants: dict[int, list[dict[str, str]]] = {}
    for user_id, role, code in (RoleGrant.objects.filter(user__username__in=order)
                                .order_by("role", "contract__code").values_list("user_id", "role", "contract__code")):
        grants.setdefault(user_id, []).append({"role": role, "contract": code})
    return [
        {"username": u.username, "password": DEMO_PASSWORD,
         "organisation": u.organisation.code if u.organisation else None,
         "full_name": u.full_name, "roles": grants.get(u.pk, [])}
        for u in sorted(users, key=lambda u: order[u.username])
    ]


# --- the world: organisations, contracts, people, grants, categories ------------------------------------

def _build_world(rng: random.Random, start: dt.datetime) -> World:
    contractor = accounts.organisation_create(by=None, code=CONTRACTOR["code"], name=CONTRACTOR["name"],
                                              kind=OrganisationKind.CONTRACTOR, phone=CONTRACTOR["phone"],
                                              address=CONTRACTOR["address"])
    vendor_org = accounts.organisation_create(by=None, code=VENDOR["code"], name=VENDOR["name"],
                                              kind=OrganisationKind.VENDOR, phone=VENDOR["phone"],
                                              address=VENDOR["address"])
    orgs: dict[str, Organisation] = {}
    crews: dict[str, ContractCrew] = {}
    depts_by_org: dict[str, list[Department]] = {}
    starts_on = (start + dt.timedelta(days=1)).date().replace(day=1)
    for client in CLIENTS:
        org = accounts.organisation_create(by=None, code=client["code"], name=client["name"],
                                           phone=client["phone"], address=client["address"])
        orgs[client["key"]] = org
        depts_by_org[client["key"]] = [accounts.department_create(by=None, organisation=org, name=name)
                                       for name in client["departments"]]
        for spec in client["contracts"]:
            contract = accounts.contract_create(
                by=None, code=spec["code"], name=spec["name"], organisation=org, service_scope=spec["scope"],
                starts_on=starts_on, ends_on=starts_on.replace(year=starts_on.year + 1) - dt.timedelta(days=1),
                close_on_confirmation=spec["close_on_confirmation"])
            crews[spec["code"]] = ContractCrew(contract=contract, org_key=client["key"])
            tier, preset = spec["sla"]
            sla_policy_create(by=None, contract=contract, tier=tier, preset=preset)

    users: dict[str, User] = {}
    for username, full_name, roles in STAFF + VENDOR_STAFF:
        org = vendor_org if (username, full_name, roles) in VENDOR_STAFF else contractor
        users[username] = accounts.user_create(
            by=None, username=username, full_name=full_name, phone=phone_number(rng),
            email=f"{username}@{CONTRACTOR['code']}.example.cn", organisation=org,
            is_superuser=Role.SYSTEM_ADMIN.value in roles)
        for role, codes in roles.items():
            for code in (list(crews) if codes == "*" else codes):
                accounts.role_grant(by=None, user=users[username], role=role, contract=crews[code].contract)
                crew = crews[code]
                if role == Role.AGENT:
                    crew.agents.append(users[username])
                elif role == Role.ENGINEER:
                    crew.engineers.append(users[username])
                elif role in (Role.SECOND_LINE, Role.VENDOR):
                    crew.second_line[username] = users[username]
                elif role == Role.PROJECT_MANAGER:
                    crew.pm = users[username]

    contacts: dict[str, User] = {}
    requesters: dict[str, list[User]] = {}
    departments: dict[int, str] = {}
    by_key = {c["key"]: c for c in CLIENTS}
    for key, username, full_name, dept_name, roles in CLIENT_PEOPLE:
        dept = next(d for d in depts_by_org[key] if d.name == dept_name)
        user = accounts.user_create(by=None, username=username, full_name=full_name, phone=phone_number(rng),
                                    organisation=orgs[key], department=dept)
        users[username] = user
        departments[user.pk] = dept.name
        for role in roles:
            for spec in by_key[key]["contracts"]:
                accounts.role_grant(by=None, user=user, role=role, contract=crews[spec["code"]].contract)
        if "client_contact" in roles:
            contacts[key] = user
    for client in CLIENTS:
        key = client["key"]
        requesters[key] = []
        for i in range(1, REQUESTERS_PER_ORG + 1):
            dept = rng.choice(depts_by_org[key])
            user = accounts.user_create(by=None, username=f"{key}_user{i}", full_name=person_name(rng),
                                        phone=phone_number(rng), organisation=orgs[key], department=dept)
            for spec in client["contracts"]:
                accounts.role_grant(by=None, user=user, role=Role.REQUESTER, contract=crews[spec["code"]].contract)
            users[user.username] = user
            requesters[key].append(user)
            departments[user.pk] = dept.name

    # One password for every demo account, hashed once: the real hasher is deliberately slow.
    User.objects.filter(pk__in=[u.pk for u in users.values()]).update(
        password=make_password(DEMO_PASSWORD), date_joined=start)

    categories: dict[tuple[str, str], IncidentCategory] = {}
    for parent_name, children in CATEGORIES.items():
        parent = incident_category_create(by=None, name=parent_name)
        for child in children:
            categories[(parent_name, child)] = incident_category_create(by=None, name=child, parent=parent)
    return World(users=users, orgs=orgs, contracts=crews, requesters=requesters, contacts=contacts,
                 departments=departments, categories=categories)


# --- incidents -----------------------------------------------------------------------------------------

@dataclass
class Plan:
    created_at: dt.datetime
    status: str
    crew: ContractCrew
    requester: User
    text: IncidentText
    channel: str


def _working_time(rng: random.Random, day: dt.datetime) -> dt.datetime:
    """An instant on `day` (Asia/Shanghai), mostly in office hours and mostly on weekdays."""
    local = timezone.localtime(day)
    if local.weekday() >= 5 and rng.random() < 0.85:
        local -= dt.timedelta(days=local.weekday() - 4)
    minute = rng.randint(8 * 60 + 30, 17 * 60 + 30) if rng.random() < 0.9 else rng.randint(0, 24 * 60 - 1)
    local = local.replace(hour=minute // 60, minute=minute % 60, second=rng.randint(0, 59), microsecond=0)
    return local.astimezone(dt.UTC)


def _plans(world: World, rng: random.Random, count: int, real_now: dt.datetime) -> list[Plan]:
    statuses = list(STATUS_WEIGHTS)
    targets = (statuses + rng.choices(statuses, weights=list(STATUS_WEIGHTS.values()), k=max(0, count - len(statuses))))
    targets = targets[:count]
    rng.shuffle(targets)
    # The requester's confirmation closes the incident on contracts that close on confirmation, so an incident
    # that stays resolved must live on a contract whose project manager closes after review.
    review_orgs = {c.org_key for c in world.contracts.values() if not c.contract.close_on_confirmation}
    plans = []
    for status in targets:
        keys = [k for k in ORG_WEIGHTS if status != S.RESOLVED or k in review_orgs]
        org_key = rng.choices(keys, weights=[ORG_WEIGHTS[k] for k in keys])[0]
        template = rng.choice(templates_for(org_key, in_scope=status != S.REJECTED))
        crews = [c for c in world.contracts.values() if c.org_key == org_key
                 and (status != S.RESOLVED or not c.contract.close_on_confirmation)]
        desk = [c for c in crews if "DESK" in c.contract.code]
        crew = desk[0] if desk and template.category[0] in ("硬件", "软件") else rng.choice(
            [c for c in crews if c not in desk] or crews)
        monitored = "监控告警" in template.description or "动环监控" in template.description
        requester = world.contacts.get(org_key) if monitored else rng.choice(world.requesters[org_key])
        requester = requester or rng.choice(world.requesters[org_key])
        text = incident_text(template, rng, name=requester.full_name,
                             dept=world.departments.get(requester.pk, ""))
        if monitored:
            channel = Channel.MONITORING
        else:
            channel = rng.choices([Channel.PHONE, Channel.PORTAL, Channel.EMAIL, Channel.API],
                                  weights=[58, 24, 14, 4])[0]
        low, high = AGE_DAYS[status]
        day = real_now - dt.timedelta(days=rng.uniform(low, high))
        created = min(_working_time(rng, day), real_now - dt.timedelta(minutes=30))
        plans.append(Plan(created_at=created, status=status, crew=crew, requester=requester, text=text,
                          channel=channel))
    plans.sort(key=lambda p: p.created_at)
    return plans


def _build_incidents(world: World, rng: random.Random, clock: SimulatedClock, *, count: int,
                     real_now: dt.datetime) -> None:
    limit = real_now - dt.timedelta(minutes=1)
    for plan in _plans(world, rng, count, real_now):
        clock.set(plan.created_at)
        _play(world, rng, clock, plan, limit)


def _play(world: World, rng: random.Random, clock: SimulatedClock, plan: Plan, limit: dt.datetime) -> None:
    """Create one incident and take it, step by step in simulated time, to its planned final state."""
    crew, text, requester, target = plan.crew, plan.text, plan.requester, plan.status
    agent = rng.choice(crew.agents)
    by = requester if plan.channel == Channel.PORTAL else agent
    inc = incident_create(
        by=by, contract=crew.contract, requester=requester, title=text.title, description=text.description,
        symptom=text.symptom, operation_steps=text.operation_steps, error_message=text.error_message,
        channel=plan.channel, level=text.level, category=world.categories.get(text.template.category),
        affected_system=text.affected_system)

    def step(action: str, actor: User, minutes: tuple[float, float] = (3, 40), **data: Any) -> None:
        clock.advance(rng.uniform(*minutes), limit=limit)
        incident_act(incident=inc, action=action, by=actor, data=data)

    def maybe_comment(p: float, actor: User, body: str, *, internal: bool = False) -> None:
        if rng.random() < p:
            clock.advance(rng.uniform(2, 30), limit=limit)
            incident_comment(incident=inc, by=actor, body=fill(body, rng, text.values), internal=internal)

    maybe_comment(0.15, requester, rng.choice(REQUESTER_COMMENTS))
    if target == S.NEW:
        return
    if target == S.REJECTED:
        step("reject", agent, (2, 20), reason=text.template.reject or "不属于本合同服务范围。")
        return
    owner = agent if plan.channel != Channel.MONITORING and rng.random() < 0.7 else rng.choice(crew.engineers)
    step("accept", owner, (1, 25))
    if target == S.ACCEPTED:
        return
    step("start", owner, (2, 30))
    hands_on = text.template.category[0] in ("硬件", "网络") or text.level <= 2
    if hands_on and rng.random() < 0.6:
        engineer = rng.choice(crew.engineers)
        step("dispatch", owner, (2, 15), engineer=engineer.username,
             site=f"{world.orgs[crew.org_key].name} {text.values['floor']}楼{text.values['room']}室",
             instructions=rng.choice(DISPATCH_INSTRUCTIONS))
        if target != S.IN_PROGRESS or rng.random() < 0.5:
            step("record_arrival", engineer, (15, 90))
    maybe_comment(0.3, inc.assignee or owner, rng.choice(INTERNAL_NOTES), internal=True)
    if target == S.IN_PROGRESS:
        return
    escalate = target == S.ESCALATED or (text.template.escalate and rng.random() < 0.35)
    if escalate:
        specialist = _specialist(crew, text, rng)
        data: dict[str, Any] = {"reason": text.template.escalate or "一线无法解决，需二线专家分析。"}
        if specialist is not None:
            data["assignee"] = specialist.username
        step("escalate", inc.assignee or owner, (10, 120), **data)
        if target == S.ESCALATED:
            return
    if target == S.ON_HOLD or rng.random() < 0.08:
        third_party = bool(text.template.hold) or rng.random() < 0.3
        step("hold", inc.assignee or owner, (10, 180),
             hold_reason=HoldReason.THIRD_PARTY if third_party else HoldReason.CUSTOMER,
             note=text.template.hold or rng.choice(HOLD_NOTES))
        if target == S.ON_HOLD:
            return
        step("resume", inc.assignee or owner, (60, 60 * 30))
    slow = text.level >= 3 and rng.random() < 0.3
    step("resolve", inc.assignee or owner, (60 * 4, 60 * 40) if slow else (10, 240), solution=text.solution)
    if target == S.AWAITING_CONFIRMATION:
        return
    if rng.random() < 0.08:
        step("reopen", requester, (60, 60 * 20), reason=rng.choice(REOPEN_REASONS))
        step("resolve", inc.assignee or owner, (30, 60 * 6),
             solution=text.solution + "\n复查：已彻底排除，连续观察一天无复发。")
    by_phone = rng.random() < 0.35
    step("confirm", agent if by_phone else requester, (20, 60 * 24),
         comment="电话回访，用户确认已解决。" if by_phone else rng.choice(CONFIRM_COMMENTS))
    if target == S.RESOLVED or inc.status == S.CLOSED:
        return
    step("close", crew.pm or owner, (30, 60 * 24), knowledge_candidate=rng.random() < 0.15)


def _specialist(crew: ContractCrew, text: IncidentText, rng: random.Random) -> User | None:
    preferred = SECOND_LINE_BY_CATEGORY.get(text.template.category[0], [])
    for name in preferred:
        if name in crew.second_line:
            return crew.second_line[name]
    return rng.choice(list(crew.second_line.values())) if crew.second_line else None


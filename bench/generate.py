"""Generate N realistic incidents straight into the database OpsDesk is configured for.

    OPSDESK_DATA_DIR=bench/out/sqlite-1m uv run python bench/generate.py 1000000
    OPSDESK_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_1m uv run python bench/generate.py 1000000

The organisations, contracts, staff and categories are those of `opsdesk demo` (loaded through the services
with no demo incidents if absent), plus `--requesters` extra requesters spread over the client organisations.
Incidents use the demo's Chinese corpus, are spread over the last `--months` months (office hours, mostly
weekdays) and end in a realistic mix of states (older ones closed, recent ones still open). Each gets the
timeline rows of the actions that brought it to its state. Rows go in by PostgreSQL COPY or SQLite
executemany in large transactions; numbers INC-YYYYMMDD-NNNN follow the creation day (Asia/Shanghai) and
continue any existing counter, and `core_numbersequence` is advanced so later creation does not collide.
Audit entries are not generated (the trail of a bulk load would be one line: this script).
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.config.settings")

SHANGHAI = dt.timedelta(hours=8)  # no daylight saving since 1991
UTC = dt.UTC

INCIDENT_COLUMNS = (
    "id", "created_at", "updated_at", "version", "number", "title", "description", "symptom", "operation_steps",
    "error_message", "channel", "level", "category_id", "affected_system", "status", "contract_id",
    "organisation_id", "requester_id", "contact_phone", "created_by_id", "owner_id", "assignee_id", "solution",
    "reject_reason", "hold_reason", "hold_note", "held_from", "escalation_reason", "reopen_count",
    "knowledge_candidate", "accepted_at", "resolved_at", "closed_at",
)
ACTIVITY_COLUMNS = ("content_type_id", "object_id", "kind", "action", "from_status", "to_status", "actor_id",
                    "body", "data", "internal", "created_at")

# Final-state mix by age: what a contract's ticket history looks like (older work is closed).
MIX_BY_AGE = [
    (7, {"closed": 35, "rejected": 3, "resolved": 6, "awaiting_confirmation": 12, "on_hold": 6, "escalated": 8,
         "in_progress": 15, "accepted": 7, "new": 8}),
    (30, {"closed": 76, "rejected": 4, "resolved": 5, "awaiting_confirmation": 4, "on_hold": 4, "escalated": 3,
          "in_progress": 3, "accepted": 1}),
    (10_000, {"closed": 93.5, "rejected": 5, "resolved": 0.7, "on_hold": 0.5, "escalated": 0.2,
              "in_progress": 0.1}),
]
LEVEL_WEIGHTS = {1: 1, 2: 4, 3: 12, 4: 15}
# The actions leading to each final state, after "created".
PATHS = {
    "new": [],
    "rejected": [("reject", "new", "rejected")],
    "accepted": [("accept", "new", "accepted")],
    "in_progress": [("accept", "new", "accepted"), ("start", "accepted", "in_progress")],
    "escalated": [("accept", "new", "accepted"), ("start", "accepted", "in_progress"),
                  ("escalate", "in_progress", "escalated")],
    "on_hold": [("accept", "new", "accepted"), ("start", "accepted", "in_progress"),
                ("hold", "in_progress", "on_hold")],
    "awaiting_confirmation": [("accept", "new", "accepted"), ("start", "accepted", "in_progress"),
                              ("resolve", "in_progress", "awaiting_confirmation")],
    "resolved": [("accept", "new", "accepted"), ("start", "accepted", "in_progress"),
                 ("resolve", "in_progress", "awaiting_confirmation"),
                 ("confirm", "awaiting_confirmation", "resolved")],
    "closed": [("accept", "new", "accepted"), ("start", "accepted", "in_progress"),
               ("resolve", "in_progress", "awaiting_confirmation"),
               ("confirm", "awaiting_confirmation", "resolved"), ("close", "resolved", "closed")],
}
# Minutes after the previous step, (low, high).
STEP_MINUTES = {"reject": (2, 30), "accept": (1, 30), "start": (2, 40), "escalate": (20, 240), "hold": (20, 240),
                "resolve": (15, 60 * 30), "confirm": (20, 60 * 24), "close": (10, 60 * 24)}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("count", type=int, help="how many incidents to add")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--months", type=int, default=12)
    p.add_argument("--requesters", type=int, default=2000, help="extra requesters (created once)")
    p.add_argument("--batch", type=int, default=20000)
    p.add_argument("--pool", type=int, default=4000, help="distinct filled texts per organisation")
    return p.parse_args()


def main() -> int:
    args = parse_args()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    started = time.monotonic()
    world = World.load(args)
    print(f"world ready in {time.monotonic() - started:.1f}s: {len(world.contracts)} contracts, "
          f"{sum(len(v) for v in world.requesters.values())} requesters", flush=True)
    gen = Generator(world, args)
    gen.run()
    print(f"done: {args.count} incidents, {gen.activity_count} timeline rows in {time.monotonic() - started:.1f}s",
          flush=True)
    return 0


class World:
    """Contracts with their crews, requesters and categories, read from (or first loaded into) the database."""

    @classmethod
    def load(cls, args: argparse.Namespace) -> World:
        from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
        from django.contrib.contenttypes.models import ContentType

        from opsdesk.accounts.models import Contract, Department, RoleGrant, User
        from opsdesk.demo import load_demo
        from opsdesk.demo_content import CLIENTS, person_name, phone_number
        from opsdesk.incidents.models import Incident, IncidentCategory

        load_demo(incidents=0)
        rng = random.Random(args.seed ^ 0x5EED)
        self = cls()
        self.content_type_id = ContentType.objects.get_for_model(Incident).pk
        contracts = {c.code: c for c in Contract.objects.select_related("organisation")}
        key_of_org = {client["code"]: client["key"] for client in CLIENTS}
        # Extra requesters, created once, spread over the organisations like the incidents are.
        have = User.objects.filter(username__startswith="bench_req").count()
        if have < args.requesters:
            orgs = sorted({c.organisation for c in contracts.values()}, key=lambda o: o.code)
            depts = {o.pk: list(Department.objects.filter(organisation=o)) for o in orgs}
            now = dt.datetime.now(UTC)
            new_users = []
            for i in range(have, args.requesters):
                org = orgs[i % len(orgs)]
                new_users.append(User(username=f"bench_req{i:06d}", full_name=person_name(rng),
                                      phone=phone_number(rng), organisation=org,
                                      department=rng.choice(depts[org.pk]) if depts[org.pk] else None,
                                      password=UNUSABLE_PASSWORD_PREFIX + "bench", date_joined=now))
            User.objects.bulk_create(new_users, batch_size=2000)
            created = User.objects.filter(username__in=[u.username for u in new_users]).values_list(
                "pk", "organisation_id")
            RoleGrant.objects.bulk_create(
                [RoleGrant(user_id=pk, role="requester", contract=c) for pk, org_id in created
                 for c in contracts.values() if c.organisation_id == org_id], batch_size=5000, ignore_conflicts=True)
        self.contracts = []
        for code, contract in sorted(contracts.items()):
            grants = RoleGrant.objects.filter(contract=contract).values_list("role", "user_id")
            crew: dict[str, list[int]] = {}
            for role, user_id in grants:
                crew.setdefault(role, []).append(user_id)
            self.contracts.append({
                "id": contract.pk, "code": code, "org_id": contract.organisation_id,
                "org_key": key_of_org.get(contract.organisation.code, ""),
                "auto_close": contract.close_on_confirmation,
                "agents": crew.get("agent", []), "engineers": crew.get("engineer", []),
                "second_line": crew.get("second_line", []) + crew.get("vendor", []),
                "pm": crew.get("project_manager", []),
            })
        self.requesters = {}
        for user_id, org_id, full_name, phone, dept in User.objects.filter(
                grants__role="requester").distinct().values_list("pk", "organisation_id", "full_name", "phone",
                                                                  "department__name"):
            self.requesters.setdefault(org_id, []).append((user_id, full_name, phone, dept or ""))
        for people in self.requesters.values():
            people.sort()
        self.categories = {(c.parent.name, c.name): c.pk
                           for c in IncidentCategory.objects.select_related("parent").filter(parent__isnull=False)}
        return self


class Generator:
    def __init__(self, world: World, args: argparse.Namespace) -> None:
        from django.db import connection

        self.world = world
        self.args = args
        self.rng = random.Random(args.seed)
        self.connection = connection
        self.vendor = connection.vendor
        # Rows carry text timestamps (UTC): naive text is how Django stores them in SQLite, and text with an
        # offset is what COPY parses fastest. Booleans: 0/1 in SQLite.
        suffix = "+00" if self.vendor == "postgresql" else ""
        self.ts = lambda at: at.strftime("%Y-%m-%d %H:%M:%S") + suffix if at is not None else None
        self.true, self.false = (True, False) if self.vendor == "postgresql" else (1, 0)
        self.activity_count = 0
        self.now = dt.datetime.now(UTC).replace(microsecond=0)
        self.pools = self._text_pools()

    def _text_pools(self) -> dict[int, list[tuple]]:
        """Per client organisation, `--pool` filled texts (each with the requester it names)."""
        from opsdesk.demo_content import incident_text, templates_for

        rng, pools = self.rng, {}
        for contract in self.world.contracts:
            org_id = contract["org_id"]
            if org_id in pools:
                continue
            people = self.world.requesters.get(org_id) or []
            in_scope, out_scope = templates_for(contract["org_key"]), templates_for(contract["org_key"],
                                                                                    in_scope=False)
            pool = []
            for i in range(self.args.pool):
                person = rng.choice(people)
                template = rng.choice(out_scope if i % 25 == 0 else in_scope)
                text = incident_text(template, rng, name=person[1], dept=person[3])
                levels = list(template.levels)
                text.level = rng.choices(levels, weights=[LEVEL_WEIGHTS[v] for v in levels])[0]
                pool.append((person, text, self.world.categories.get(template.category)))
            pools[org_id] = pool
        return pools

    # --- time --------------------------------------------------------------------------------------
    def _instants(self) -> list[dt.datetime]:
        """`count` creation instants over the last months, office hours and weekdays weighted, sorted."""
        rng, count = self.rng, self.args.count
        days = self.args.months * 30
        today = (self.now + SHANGHAI).date()
        weights = []
        for back in range(days, -1, -1):
            day = today - dt.timedelta(days=back)
            weights.append(0.15 if day.weekday() >= 5 else 1.0)
        cumulative = []
        total = 0.0
        for w in weights:
            total += w
            cumulative.append(total)
        out = []
        for _ in range(count):
            index = bisect.bisect_left(cumulative, rng.random() * total)
            day = today - dt.timedelta(days=days - index)
            minute = rng.uniform(8.5 * 60, 17.5 * 60) if rng.random() < 0.88 else rng.uniform(0, 24 * 60)
            local = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute)
            at = (local - SHANGHAI).replace(tzinfo=UTC, microsecond=0)
            out.append(min(at, self.now - dt.timedelta(minutes=5)))
        out.sort()
        return out

    def _status_for(self, created: dt.datetime) -> str:
        age = (self.now - created).total_seconds() / 86400
        for limit, mix in MIX_BY_AGE:
            if age <= limit:
                return self.rng.choices(list(mix), weights=list(mix.values()))[0]
        raise AssertionError

    # --- numbering ---------------------------------------------------------------------------------
    def _counters(self) -> dict[str, int]:
        from opsdesk.core.models import NumberSequence

        return {k: v for k, v in NumberSequence.objects.filter(key__startswith="INC-").values_list("key", "value")}

    def _save_counters(self, counters: dict[str, int]) -> None:
        from opsdesk.core.models import NumberSequence

        existing = set(NumberSequence.objects.filter(key__in=list(counters)).values_list("key", flat=True))
        NumberSequence.objects.bulk_create([NumberSequence(key=k, value=v) for k, v in counters.items()
                                            if k not in existing], batch_size=2000)
        for key in existing:
            NumberSequence.objects.filter(key=key, value__lt=counters[key]).update(value=counters[key])

    # --- rows --------------------------------------------------------------------------------------
    def run(self) -> None:
        from django.db import transaction

        from opsdesk.incidents.models import Incident

        started = time.monotonic()
        instants = self._instants()
        counters = self._counters()
        next_id = (Incident.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        print(f"planned {len(instants)} instants in {time.monotonic() - started:.1f}s", flush=True)
        stats: Counter[str] = Counter()
        for start in range(0, len(instants), self.args.batch):
            chunk = instants[start:start + self.args.batch]
            incidents, activities = [], []
            for created in chunk:
                row, acts = self._incident(next_id, created, counters)
                stats[row[14]] += 1
                incidents.append(row)
                activities.extend(acts)
                next_id += 1
            with transaction.atomic():
                self._insert("incidents_incident", INCIDENT_COLUMNS, incidents)
                self._insert("core_activity", ACTIVITY_COLUMNS, activities)
            self.activity_count += len(activities)
            done = start + len(chunk)
            rate = done / max(time.monotonic() - started, 1e-6)
            print(f"  {done:>9,} incidents  ({rate:,.0f}/s)", flush=True)
        with transaction.atomic():
            self._save_counters(counters)
            if self.vendor == "postgresql":
                with self.connection.cursor() as cursor:
                    for table in ("incidents_incident", "core_activity"):
                        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                       f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
        with self.connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print("final states: " + ", ".join(f"{k} {v}" for k, v in stats.most_common()), flush=True)

    def _incident(self, pk: int, created: dt.datetime, counters: dict[str, int]) -> tuple[tuple, list[tuple]]:
        rng, world, ts = self.rng, self.world, self.ts
        status = self._status_for(created)
        contract = rng.choice(world.contracts)
        if status == "resolved" and contract["auto_close"]:
            status = "closed"  # confirmation closes incidents at once on this contract
        (requester_id, _name, phone, _dept), text, category_id = rng.choice(self.pools[contract["org_id"]])
        if text.template.reject and status != "rejected":
            status = "rejected"
        elif status == "rejected" and not text.template.reject:
            status = "closed"
        day = (created + SHANGHAI).strftime("%Y%m%d")
        key = f"INC-{day}"
        counters[key] = counters.get(key, 0) + 1
        number = f"{key}-{counters[key]:04d}"
        channel = rng.choices(("phone", "portal", "email", "api", "monitoring"), weights=(55, 22, 12, 4, 7))[0]
        agent = rng.choice(contract["agents"])
        creator = requester_id if channel == "portal" else agent
        owner = agent if rng.random() < 0.7 else rng.choice(contract["engineers"] or contract["agents"])
        assignee = owner
        solution = reject_reason = hold_reason = hold_note = held_from = escalation_reason = ""
        accepted_at = resolved_at = closed_at = None
        knowledge = False
        path = PATHS[status]
        if status == "closed" and contract["auto_close"]:
            path = [*path[:-1], ("auto_close", "resolved", "closed")]
        acts = [(world.content_type_id, pk, "created", "", "", "new", creator, "",
                 json.dumps({"channel": channel, "level": text.level}), self.false, ts(created))]
        at = created
        taken = 0
        for action, source, target in path:
            low, high = STEP_MINUTES.get(action, (0, 1))
            step_at = at + dt.timedelta(minutes=rng.uniform(low, high))
            if step_at > self.now:  # not happened yet: the incident is still where this step would start
                status = source
                break
            at, taken = step_at, taken + 1
            actor, data = owner, {}
            if action == "reject":
                actor, reject_reason = agent, text.template.reject or "不属于本合同服务范围。"
                data = {"reason": reject_reason}
                closed_at = at
            elif action == "accept":
                accepted_at = at
            elif action == "escalate":
                escalation_reason = text.template.escalate or "一线无法解决，需二线专家分析。"
                if contract["second_line"]:
                    assignee = rng.choice(contract["second_line"])
                data = {"reason": escalation_reason}
            elif action == "hold":
                hold_reason = "third_party" if text.template.hold else "customer"
                hold_note = text.template.hold or "等待用户提供更多信息。"
                held_from, data = "in_progress", {"hold_reason": hold_reason, "note": hold_note}
            elif action == "resolve":
                actor, solution, resolved_at = assignee, text.solution, at
                data = {"solution": solution}
            elif action == "confirm":
                actor = requester_id
            elif action == "auto_close":
                actor, closed_at = None, at
            elif action == "close":
                actor, closed_at = (contract["pm"] or [owner])[0], at
                knowledge = rng.random() < 0.1
                data = {"knowledge_candidate": knowledge}
            acts.append((world.content_type_id, pk, "action", action, source, target, actor, "",
                         json.dumps(data, ensure_ascii=False), self.false, ts(at)))
        if status in ("new", "rejected"):
            owner = assignee = None
        row = (pk, ts(created), ts(at), taken + 1, number, text.title, text.description, text.symptom,
               text.operation_steps, text.error_message, channel, text.level, category_id, text.affected_system,
               status, contract["id"], contract["org_id"], requester_id, phone, creator, owner, assignee,
               solution, reject_reason, hold_reason, hold_note, held_from, escalation_reason, 0,
               self.true if knowledge else self.false, ts(accepted_at), ts(resolved_at), ts(closed_at))
        return row, acts

    def _insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        if self.vendor == "postgresql":
            cols = ", ".join(f'"{c}"' for c in columns)
            with self.connection.cursor() as cursor, cursor.cursor.copy(
                    f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = (f'INSERT INTO "{table}" ({", ".join(chr(34) + c + chr(34) for c in columns)}) '
               f'VALUES ({", ".join("?" * len(columns))})')
        self.connection.connection.executemany(sql, rows)


if __name__ == "__main__":
    sys.exit(main())

"""The SLA sweep at 1,000,000 open incidents on PostgreSQL, 1 % of them with an SLA event due.

    uv run python bench/sweep.py [--incidents 1000000] [--due-share 0.01] [--batch-size 200] [--keep]

Creates its own database (`bench_sweep`, dropped at the end unless `--keep`), migrates it, makes a contract
with a gold policy (7x24), a project manager and an emergency team lead through the services, then generates
the incidents server-side (INSERT … SELECT generate_series): every one open (in progress) with a stopped
response clock and a running resolution clock plus their events, as the engine would have stored them.
The due 1 % is a mix: 40 % at 75 % of the target, 30 % at 90 %, 20 % past due (breach), 10 % level-3
incidents open longer than 4 h (escalation through the workflow). The others are level 3, reported within
the last 200 minutes, so nothing of theirs is due.

Measured, in-process against that database: the "find due" query (first batch, and a COUNT of everything
due, both on the partial index, with their plans), then one `sla_sweep()` run over everything due, then a
second run (which must find nothing). Prints a JSON summary; the plans go to bench/out/sweep-plans.txt.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DB = "bench_sweep"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--incidents", type=int, default=1_000_000)
    p.add_argument("--due-share", type=float, default=0.01)
    p.add_argument("--batch-size", type=int, default=200)
    p.add_argument("--keep", action="store_true", help="keep the bench_sweep database afterwards")
    p.add_argument("--reuse", action="store_true", help="use an existing bench_sweep (from --keep), no generation")
    return p.parse_args()


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def setup_django(url: str) -> None:
    os.environ["OPSDESK_DATABASE_URL"] = url
    os.environ.setdefault("OPSDESK_DATA_DIR", str(ROOT / "bench" / "out" / "sweep-data"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.config.settings")
    import django

    django.setup()


def world() -> dict[str, int]:
    """Organisation, contract, staff and a gold policy, through the services (the installation's calendars
    come with the migrations)."""
    from opsdesk.accounts.models import Contract, Organisation, RoleGrant, User
    from opsdesk.sla import services as sla
    from opsdesk.sla.choices import Preset, Tier

    org = Organisation.objects.create(code="bench", name="压测单位")
    contract = Contract.objects.create(code="BENCH-2026", name="压测合同", organisation=org)
    people = {}
    for username, role in (("eng", "engineer"), ("pm", "project_manager"), ("lead", "emergency_lead"),
                           ("req", "requester")):
        user = User.objects.create_user(username=username, password="bench-pass-1", full_name=username,
                                        organisation=org if role == "requester" else None)
        RoleGrant.objects.create(user=user, role=role, contract=contract)
        people[username] = user.pk
    sla.sla_policy_create(by=None, contract=contract, tier=Tier.GOLD, preset=Preset.VENDOR)
    return {"org": org.pk, "contract": contract.pk, **people}


def generate(ids: dict[str, int], n: int, due_share: float, now: dt.datetime) -> dict[str, int]:
    """Incidents, clocks and clock events, server-side. Returns the expected counts of due events."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from opsdesk.calendars.models import Calendar
    from opsdesk.incidents.models import Incident

    ct = ContentType.objects.get_for_model(Incident).pk
    always = Calendar.objects.get(code="24x7").pk
    policy = connection.cursor()
    policy.execute("SELECT id FROM sla_slapolicy WHERE contract_id = %s", [ids["contract"]])
    policy_id = policy.fetchone()[0]
    every = round(1 / due_share)
    # Per incident g: kind 0 = not due (level 3, reported 0–199 min ago), 1 = 75 %, 2 = 90 %, 3 = breach (level
    # 4: resolution 240 min; reported 190 / 220 / 250 min ago), 4 = escalation (level 3, reported 250 min ago).
    kind = (f"CASE WHEN g %% {every} <> 0 THEN 0 WHEN (g / {every}) %% 10 < 4 THEN 1 "
            f"WHEN (g / {every}) %% 10 < 7 THEN 2 WHEN (g / {every}) %% 10 < 9 THEN 3 ELSE 4 END")
    age = "CASE k WHEN 0 THEN g %% 200 WHEN 1 THEN 190 WHEN 2 THEN 220 ELSE 250 END"
    level = "CASE WHEN k IN (1, 2, 3) THEN 4 ELSE 3 END"
    target = f"CASE WHEN {level} = 4 THEN 240 ELSE 1440 END"  # resolution minutes (gold vendor table)
    params = {"now": now, "ct": ct, "cal": always, "policy": policy_id, **ids}
    steps = [
        ("incidents", f"""
            INSERT INTO incidents_incident (id, created_at, updated_at, version, number, title, description, symptom,
                operation_steps, error_message, channel, level, category_id, affected_system, status, contract_id,
                organisation_id, requester_id, contact_phone, created_by_id, owner_id, assignee_id, solution,
                reject_reason, hold_reason, hold_note, held_from, escalation_reason, reopen_count,
                knowledge_candidate, reported_at, accepted_at, sla_due_at, sla_warn_at, sla_critical_at, sla_state,
                sla_breached, sla_remaining_seconds)
            SELECT g, r, r, 3, 'BENCH-' || g, '压测事件 ' || g, '', '', '', '', 'phone', lvl, NULL, '', 'in_progress',
                %(contract)s, %(org)s, %(req)s, '', %(eng)s, %(eng)s, %(eng)s, '', '', '', '', '', '', 0, false, r,
                r + interval '5 minutes', r + make_interval(mins => tgt), r + make_interval(mins => tgt * 3 / 4),
                r + make_interval(mins => tgt * 9 / 10), 'running', k = 3, NULL
            FROM (SELECT g, k, %(now)s::timestamptz - make_interval(mins => {age}) AS r, {level} AS lvl,
                         {target} AS tgt
                  FROM (SELECT g, {kind} AS k FROM generate_series(1, {n}) g) a) b"""),
        ("clocks", """
            INSERT INTO sla_slaclock (id, content_type_id, object_id, contract_id, metric, policy_id, level, item_id,
                calendar_id, target_seconds, pause_reasons, status, started_at, running_since, paused_since,
                elapsed_seconds, paused_seconds, due_at, warn_at, critical_at, breached, breached_at, stopped_at,
                grade, notified_stage, next_event_at, escalate_at, noted_years, updated_at)
            SELECT 2 * i.id - 1, %(ct)s, i.id, i.contract_id, 'response', %(policy)s, i.level, NULL::bigint,
                %(cal)s, 7200, '["customer", "third_party"]'::jsonb, 'stopped', i.reported_at, NULL::timestamptz,
                NULL::timestamptz, 300, 0, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, false,
                NULL::timestamptz, i.accepted_at, 'very_satisfied', 0, NULL::timestamptz, NULL::timestamptz,
                '[]'::jsonb, %(now)s
            FROM incidents_incident i
            UNION ALL
            SELECT 2 * i.id, %(ct)s, i.id, i.contract_id, 'resolution', %(policy)s, i.level, NULL, %(cal)s,
                CASE i.level WHEN 4 THEN 240 ELSE 1440 END * 60, '["customer", "third_party"]'::jsonb, 'running',
                i.reported_at, i.reported_at, NULL, 0, 0, i.sla_due_at, i.sla_warn_at, i.sla_critical_at,
                i.sla_breached, CASE WHEN i.sla_breached THEN i.sla_due_at END, NULL, '', 0,
                CASE WHEN i.level = 3 THEN LEAST(i.sla_warn_at, i.reported_at + interval '240 minutes')
                     ELSE i.sla_warn_at END,
                CASE WHEN i.level = 3 THEN i.reported_at + interval '240 minutes' END, '[]'::jsonb, %(now)s
            FROM incidents_incident i"""),
        ("events", """
            INSERT INTO sla_slaclockevent (clock_id, kind, at, target_seconds, calendar_id, reason, data, created_at)
            SELECT c.id, 'start', c.started_at, c.target_seconds, c.calendar_id, '', '{}'::jsonb, %(now)s
            FROM sla_slaclock c
            UNION ALL
            SELECT c.id, 'stop', c.stopped_at, NULL, NULL, 'accept', '{}'::jsonb, %(now)s
            FROM sla_slaclock c WHERE c.status = 'stopped'"""),
        ("sequences", """
            SELECT setval(pg_get_serial_sequence('incidents_incident', 'id'), (SELECT max(id) FROM incidents_incident)),
                   setval(pg_get_serial_sequence('sla_slaclock', 'id'), (SELECT max(id) FROM sla_slaclock))"""),
    ]
    for name, sql in steps:
        started = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(sql, params)
        print(f"  {name}: {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    print(f"  vacuum analyze: {time.perf_counter() - started:.1f} s", flush=True)
    due = n // every
    escalations = sum(1 for j in range(1, due + 1) if j % 10 == 9)
    stage = {1: 0, 2: 0, 3: 0}
    for j in range(1, due + 1):
        r = j % 10
        if r < 9:
            stage[1 if r < 4 else 2 if r < 7 else 3] += 1
    return {"warnings": stage[1] + stage[2], "breaches": stage[3], "escalations": escalations}


def timed(fn, repeat: int = 7) -> tuple[float, float]:
    """Median and best wall time (ms) of `fn` over `repeat` runs."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times)


def main() -> int:
    args = parse_args()
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + DB
    if not args.reuse:
        admin(f"DROP DATABASE IF EXISTS {DB}")
        admin(f"CREATE DATABASE {DB}")
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from opsdesk.sla.models import SlaClock
    from opsdesk.sla.sweep import due_clocks, sla_sweep

    summary: dict[str, object] = {"incidents": args.incidents, "batch_size": args.batch_size}
    try:
        if not args.reuse:
            call_command("migrate", interactive=False, verbosity=0)
            ids = world()
            now = timezone.now().replace(microsecond=0)
            print(f"generating {args.incidents:,} incidents …", flush=True)
            started = time.perf_counter()
            summary["expected"] = generate(ids, args.incidents, args.due_share, now)
            summary["generate_s"] = round(time.perf_counter() - started, 1)
            (ROOT / "bench" / "out").mkdir(exist_ok=True)
            (ROOT / "bench" / "out" / "sweep-now.txt").write_text(now.isoformat())
        else:
            now = dt.datetime.fromisoformat((ROOT / "bench" / "out" / "sweep-now.txt").read_text())
        summary["now"] = now.isoformat()
        summary["clocks"] = SlaClock.objects.count()
        summary["due_clocks"] = SlaClock.objects.filter(next_event_at__lte=now).count()

        plans = []
        with connection.cursor() as cur:
            first = SlaClock.objects.filter(next_event_at__lte=now).order_by("next_event_at", "id").values_list(
                "id", "next_event_at", "content_type_id", "object_id")[:args.batch_size]
            sql, params = first.query.sql_with_params()
            for label, query in (("find due (first batch)", sql),
                                 ("count due", "SELECT count(*) FROM sla_slaclock WHERE next_event_at <= %s")):
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + query, params if label.startswith("find") else [now])
                plans.append(f"== {label}\n" + "\n".join(r[0] for r in cur.fetchall()))

            def count_due() -> None:
                cur.execute("SELECT count(*) FROM sla_slaclock WHERE next_event_at <= %s", [now])
                cur.fetchone()

            find_med, find_best = timed(lambda: due_clocks(now=now, limit=args.batch_size))
            count_med, count_best = timed(count_due)
        (ROOT / "bench" / "out" / "sweep-plans.txt").write_text("\n\n".join(plans) + "\n")
        summary["find_due_first_batch_ms"] = {"median": round(find_med, 2), "best": round(find_best, 2)}
        summary["count_due_ms"] = {"median": round(count_med, 2), "best": round(count_best, 2)}

        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        result = sla_sweep(now=now, batch_size=args.batch_size)
        elapsed = time.perf_counter() - started
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        events = result.warnings + result.breaches + result.escalations
        summary["sweep"] = {**result.as_dict(), "seconds": round(elapsed, 2),
                            "events_per_s": round(events / elapsed, 1) if elapsed else None,
                            "python_cpu_s": round(cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime, 2)}
        started = time.perf_counter()
        again = sla_sweep(now=now, batch_size=args.batch_size)
        summary["second_sweep"] = {**again.as_dict(), "seconds": round(time.perf_counter() - started, 3)}
        summary["load_average"] = os.getloadavg()
    finally:
        connection.close()
        if not args.keep:
            admin(f"DROP DATABASE IF EXISTS {DB}")
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

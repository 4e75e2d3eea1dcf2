"""CPU per incident creation, in-process: what the web worker and the database each spend on one POST.

    OPSDESK_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_1m uv run python bench/create_cpu.py

Calls Django's WSGI application directly (no HTTP server, no load generator) with the request a client
sends — `POST /api/v1/incidents`, bearer token, JSON body — `--n` times, and reports per creation: the
process's own CPU time (the app's share: Django, ninja, pydantic, psycopg), the PostgreSQL backend's CPU
time (read from /proc for the backend serving this connection), and the statements run. CPU time, unlike
wall time, barely moves when other processes share the machine, so this is the figure to compare between
two versions of the code; `run.py` gives the HTTP throughput. Writes to the configured database.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.config.settings")
os.environ.setdefault("OPSDESK_DEBUG", "0")

TICK = os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int | None) -> float:
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--user", default="agent")
    p.add_argument("--contract", default="TAX-2026")
    p.add_argument("--requester", default="tax_user1")
    p.add_argument("--profile", action="store_true", help="print a cProfile of the creations")
    p.add_argument("--batch", type=int, default=0,
                   help="post batches of this many incidents to /api/v1/incidents/batch (figures per incident)")
    args = p.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    from opsdesk.accounts.models import User
    from opsdesk.accounts.services import api_token_create

    token = api_token_create(by=None, user=User.objects.get(username=args.user), name="create_cpu")
    one = {"title": "电子税务局申报提交失败（压测）", "contract": args.contract, "requester": args.requester,
           "level": 3, "channel": "phone",
           "description": "纳税人反映电子税务局申报表提交后长时间无响应，提示系统繁忙。"}
    path = "/api/v1/incidents/batch" if args.batch else "/api/v1/incidents"
    per_request = max(1, args.batch)
    body = json.dumps({"incidents": [one] * args.batch} if args.batch else one, ensure_ascii=False).encode()
    app = WSGIHandler()
    host = settings.ALLOWED_HOSTS[0] if settings.ALLOWED_HOSTS else "127.0.0.1"
    statuses: dict[str, int] = {}

    def post() -> None:
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": host,
            "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": host, "HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT": "application/json",
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
        }

        def start_response(status: str, headers: list) -> None:
            statuses[status] = statuses.get(status, 0) + 1

        b"".join(app(environ, start_response))

    for _ in range(max(3, 50 // per_request)):  # warm-up: connection, prepared statements, caches
        post()
    pid = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
    seen: list[str] = []

    def log(execute, sql, params, many, context):  # request_started resets Django's own query log
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(log):
        post()
    # Python function calls per creation: a deterministic companion to the CPU times, which move with
    # whatever else the machine is doing; fewer calls is less work, whatever the neighbours do.
    import cProfile
    import pstats

    counter = cProfile.Profile()
    counter.enable()
    for _ in range(20):
        post()
    counter.disable()
    calls = pstats.Stats(counter).total_calls / 20 / per_request  # type: ignore[attr-defined]
    statuses.clear()
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
    # In rounds: on a shared machine the quietest round (the minimum) is the best estimate of the cost.
    rounds = []
    per = max(1, args.n // args.rounds // per_request)
    for _ in range(args.rounds):
        db0, app0, wall0 = backend_cpu(pid), time.process_time(), time.perf_counter()
        for _ in range(per):
            post()
        app1, wall1, db1 = time.process_time(), time.perf_counter(), backend_cpu(pid)
        made = per * per_request
        rounds.append((1000 * (app1 - app0) / made, 1000 * (db1 - db0) / made, 1000 * (wall1 - wall0) / made))
    if profiler is not None:
        profiler.disable()
    print(f"{connection.vendor}: {per * per_request * args.rounds} creations in {args.rounds} rounds"
          f"{f' (batches of {per_request})' if args.batch else ''}, statuses {statuses}; "
          f"{calls:,.0f} Python function calls per creation")
    def median(xs: list[float]) -> float:
        return sorted(xs)[len(xs) // 2]

    for label, pick in (("min", min), ("median", median)):
        app, db = pick([r[0] for r in rounds]), pick([r[1] for r in rounds])
        print(f"  {label:<6} app CPU {app:.2f} ms  db CPU {db:.2f} ms"
              f"  wall {pick([r[2] for r in rounds]):.2f} ms per creation")
    print(f"  {len(seen)} statements:")
    for sql in seen:
        print(f"    {' '.join(sql.split())[:140]}")
    if profiler is not None:
        import pstats

        order = os.environ.get("PROFILE_SORT", "cumulative")  # or tottime
        pstats.Stats(profiler).sort_stats(order).print_stats(os.environ.get("PROFILE_FILTER", ""), 60)
    return 0


if __name__ == "__main__":
    sys.exit(main())

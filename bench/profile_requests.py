"""Where does a request's time go? Queries and in-process time per endpoint, and a profile of creation.

    OPSDESK_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_1m uv run python bench/profile_requests.py

Runs the endpoints in-process with Django's test client (no HTTP server, no network), as the demo agent,
and prints for each: the number of SQL queries, their total database time, and the wall time. Then
profiles `POST /api/v1/incidents` and prints the functions that take the most cumulative time.
Writes to the configured database (it creates a few incidents), like the HTTP benchmark does.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.config.settings")


def main() -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from opsdesk.accounts.models import User
    from opsdesk.incidents.models import Incident

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    agent = User.objects.get(username="agent")
    client = Client()
    client.force_login(agent)
    numbers = list(Incident.objects.order_by("-id").values_list("number", flat=True)[:501])
    number = numbers[-1]
    from opsdesk.accounts.services import api_token_create

    # The API as clients call it: a bearer token, no session (the session client above is for the pages).
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(by=None, user=agent, name='profile')}"}
    api_client = Client()
    body = json.dumps({"title": "电子税务局申报提交失败（剖析）", "contract": "TAX-2026", "requester": "tax_user1",
                       "level": 3, "description": "纳税人反映申报表提交后长时间无响应。"}, ensure_ascii=False)

    def call(method: str, path: str):
        if path.startswith("/api/"):
            if method == "POST":
                return api_client.post(path, data=body, content_type="application/json", **bearer)
            return api_client.get(path, **bearer)
        return client.get(path)

    cases = [("GET", "/incidents/"), ("GET", "/incidents/?status=open&level=1"), ("GET", "/api/v1/incidents"),
             ("GET", "/api/v1/incidents?status=open&level=1"), ("GET", f"/incidents/{number}/"),
             ("GET", f"/api/v1/incidents/{number}"), ("POST", "/api/v1/incidents")]
    print(f"{connection.vendor}, {Incident.objects.count():,} incidents")
    for method, path in cases:
        call(method, path)  # warm caches and connections
        runs = []
        for _ in range(5):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                resp = call(method, path)
                wall = time.perf_counter() - t0
            runs.append((wall, len(ctx.captured_queries), sum(float(q["time"]) for q in ctx.captured_queries)))
        wall, queries, db = sorted(runs)[len(runs) // 2]
        print(f"{method:4} {path[:60]:<60} {resp.status_code}  {queries:>3} queries  db {db * 1000:6.1f} ms  "
              f"wall {wall * 1000:6.1f} ms")
        if method == "POST":
            for q in ctx.captured_queries:
                print(f"       {float(q['time']) * 1000:6.2f} ms  {q['sql'][:150]}")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(50):
        call("POST", "/api/v1/incidents")
    profiler.disable()
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(35)
    print(stream.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())

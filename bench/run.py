"""Benchmark OpsDesk over HTTP on loopback against a generated database (see generate.py).

    OPSDESK_DATA_DIR=bench/out/sqlite-1m uv run python bench/run.py --label sqlite-1m
    OPSDESK_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_1m OPSDESK_DATA_DIR=bench/out/pg-1m \
        uv run python bench/run.py --label pg-1m

Starts `opsdesk serve --workers 2` (gunicorn sync workers plus the embedded worker, as deployed) on a loopback
port, logs in as the demo agent (who holds a role on every contract, so sees every incident) through the
login form, takes an API token, and measures with a small threaded HTTP/1.1 keep-alive client:

- incident creation through `POST /api/v1/incidents` (incidents/s, everything creation does);
- the list page `/incidents/` and the list API `GET /api/v1/incidents`: first page, `status=open&level=1`,
  and a page deep in the keyset cursor chain (reached by following `next_cursor`);
- the detail page `/incidents/<number>/` and detail API `GET /api/v1/incidents/<number>` over random numbers.

Every request is counted; a non-2xx answer is reported (never silently averaged in). Results go to
bench/out/results-<label>.json, and the query plans of the list queries to bench/out/plans-<label>.txt.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.config.settings")

HOST = "127.0.0.1"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--label", required=True)
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--requests", type=int, default=300, help="requests per read measurement")
    p.add_argument("--concurrency", default="1,4",
                   help="client connections for read measurements (comma-separated: each is measured)")
    p.add_argument("--create", type=int, default=2000, help="incidents to create over HTTP")
    p.add_argument("--create-concurrency", type=int, default=16)
    p.add_argument("--create-client", choices=("auto", "wrk", "python"), default="auto",
                   help="load generator for creation: wrk (Debian package `wrk`; much less CPU per request than "
                        "the Python client, which matters on a 2-core machine) or the Python client; auto = wrk "
                        "when installed")
    p.add_argument("--create-seconds", type=int, default=20, help="duration of the wrk creation run")
    p.add_argument("--create-batch", type=int, default=0,
                   help="also measure POST /api/v1/incidents/batch with this many incidents per request")
    p.add_argument("--deep-pages", type=int, default=200, help="pages to follow down the cursor chain")
    p.add_argument("--user", default="agent")
    p.add_argument("--password", default="demo1234")
    p.add_argument("--only", default="", help="comma-separated measurement names to run")
    p.add_argument("--quiet-patience", type=float, default=300.0,
                   help="seconds to wait before each measurement for the machine to be quiet (under 25 %% busy): "
                        "right after bench/generate.py it stayed busy for about four minutes (bench/RESULTS.md)")
    return p.parse_args()


# --- CPU accounting: the machine is shared, so every measurement says how busy it was and what it cost ---

TICK = os.sysconf("SC_CLK_TCK")


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot."""
    with open("/proc/stat") as fh:
        parts = [int(x) for x in fh.readline().split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) - idle, sum(parts)


def proc_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by these processes."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / TICK


def tree_pids(root: int) -> list[int]:
    """`root` and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


class Meter:
    """Machine busy share, and the CPU the server (and its database backends) spent, over a measurement."""

    def __init__(self, server_pid: int, db_pids) -> None:
        self.server_pid, self.db_pids = server_pid, db_pids

    def __enter__(self) -> Meter:
        self.app_pids = tree_pids(self.server_pid)
        self.m0, self.a0 = machine_jiffies(), proc_cpu(self.app_pids)
        self.d0 = {pid: proc_cpu([pid]) for pid in self.db_pids()}
        self.self0 = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        m1 = machine_jiffies()
        busy, total = m1[0] - self.m0[0], m1[1] - self.m0[1]
        self.app = proc_cpu(self.app_pids) - self.a0
        # Database backends come and go (connections are recycled): a new one is counted whole.
        self.db = sum(proc_cpu([pid]) - self.d0.get(pid, 0.0) for pid in self.db_pids())
        self.client = time.process_time() - self.self0
        seconds = total / TICK / (os.cpu_count() or 1)
        self.busy = busy / total if total else 0.0
        # What the rest of the machine (other people's processes) used, as a share of all CPUs.
        ours = (self.app + self.db + self.client) / max(seconds, 1e-9) / (os.cpu_count() or 1)
        self.others = max(0.0, self.busy - ours)


def wait_for_quiet(limit: float = 0.25, patience: float = 30.0) -> float:
    """Wait (up to `patience` s) until other processes use under `limit` of the machine; return the share seen."""
    deadline = time.monotonic() + patience
    while True:
        b0 = machine_jiffies()
        time.sleep(1.0)
        b1 = machine_jiffies()
        share = (b1[0] - b0[0]) / max(1, b1[1] - b0[1])
        if share < limit or time.monotonic() > deadline:
            return share


# --- a minimal load client ---------------------------------------------------------------------------------

class Result:
    def __init__(self, name: str, latencies: list[float], statuses: dict[int, int], elapsed: float) -> None:
        self.name, self.latencies, self.statuses, self.elapsed = name, sorted(latencies), statuses, elapsed
        self.cost: dict[str, float] = {}

    def pct(self, p: float) -> float:
        xs = self.latencies
        if not xs:
            return float("nan")
        k = max(0, min(len(xs) - 1, round(p / 100 * len(xs) + 0.5) - 1))
        return xs[k] * 1000

    def as_dict(self) -> dict:
        return {"name": self.name, "requests": len(self.latencies), "statuses": self.statuses,
                "rps": round(len(self.latencies) / self.elapsed, 1) if self.elapsed else None,
                "p50_ms": round(self.pct(50), 1), "p95_ms": round(self.pct(95), 1), "p99_ms": round(self.pct(99), 1),
                "mean_ms": round(statistics.fmean(self.latencies) * 1000, 1) if self.latencies else None,
                "max_ms": round(self.latencies[-1] * 1000, 1) if self.latencies else None, **self.cost}

    def line(self) -> str:
        d = self.as_dict()
        return (f"{self.name:<36} n={d['requests']:<5} {d['rps']:>8} req/s  p50 {d['p50_ms']:>7} ms  "
                f"p95 {d['p95_ms']:>7} ms  p99 {d['p99_ms']:>7} ms  statuses {d['statuses']}  "
                f"cpu/req app {d.get('app_cpu_ms', '-')} db {d.get('db_cpu_ms', '-')} ms  "
                f"quiet-before {d.get('others_before', '-')} others {d.get('others_during', '-')}")


def load(name: str, port: int, paths: list[str], *, n: int, concurrency: int, headers: dict[str, str],
         method: str = "GET", body: bytes | None = None, expect: int = 200) -> Result:
    """Send `n` requests cycling over `paths` from `concurrency` keep-alive connections."""
    lock = threading.Lock()
    counter = iter(range(n))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []

    def worker() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            path = paths[i % len(paths)]
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                status = resp.status
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
                status, data = 599, str(exc).encode()
            dt_ = time.perf_counter() - t0
            with lock:
                latencies.append(dt_)
                statuses[status] = statuses.get(status, 0) + 1
                if status != expect and len(errors) < 3:
                    errors.append(f"{status} {path}: {data[:300]!r}")
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = Result(name, latencies, statuses, time.perf_counter() - t0)
    for err in errors:
        print(f"    ! {err}", flush=True)
    return result


class WrkResult(Result):
    """A wrk run: wrk reports percentiles and counts, not every latency."""

    def __init__(self, name: str, requests: int, statuses: dict[int, int], elapsed: float,
                 percentiles_us: dict[str, int], client_cpu: float) -> None:
        super().__init__(name, [], statuses, elapsed)
        self.requests, self.percentiles_us, self.client_cpu = requests, percentiles_us, client_cpu

    def pct(self, p: float) -> float:
        return self.percentiles_us.get(f"p{int(p)}", float("nan")) / 1000

    def as_dict(self) -> dict:
        us = self.percentiles_us
        return {"name": self.name, "requests": self.requests, "statuses": self.statuses,
                "rps": round(self.requests / self.elapsed, 1) if self.elapsed else None,
                "p50_ms": round(us["p50"] / 1000, 1), "p95_ms": round(us["p95"] / 1000, 1),
                "p99_ms": round(us["p99"] / 1000, 1), "max_ms": round(us["max"] / 1000, 1),
                "client": "wrk", **self.cost}


def load_wrk(name: str, port: int, path: str, *, seconds: int, connections: int, threads: int, token: str,
             body: bytes) -> WrkResult:
    """POST `body` to `path` for `seconds` with wrk (bench/create.lua counts the statuses)."""
    env = {**os.environ, "OPSDESK_BENCH_TOKEN": token, "OPSDESK_BENCH_BODY": body.decode()}
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s",
           "-s", str(ROOT / "bench" / "create.lua"), f"http://{HOST}:{port}{path}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    _pid, status, usage = os.wait4(proc.pid, 0)  # wait4: the rusage is wrk's own CPU, the client's cost
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 or "SUMMARY" not in out:
        raise SystemExit(f"wrk failed ({proc.returncode}):\n{out}")
    statuses = {int(k): int(v) for k, v in re.findall(r" (\d+)=(\d+)", out.split("STATUSES", 1)[1].split("\n")[0])}
    summary = dict(re.findall(r"(\w+)=(\d+)", out.split("SUMMARY", 1)[1].split("\n")[0]))
    lat = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", out.split("LATENCY_US", 1)[1].split("\n")[0])}
    errors = sum(int(summary[k]) for k in ("connect", "read", "write", "timeout"))
    if errors:
        statuses[599] = errors
    for line in out.splitlines():
        if line.startswith("SAMPLE"):
            print(f"    ! {line[7:]}", flush=True)
    return WrkResult(name, int(summary["requests"]), statuses, int(summary["duration_us"]) / 1e6, lat,
                     usage.ru_utime + usage.ru_stime)


def get(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes, http.client.HTTPResponse]:
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    conn.request("GET", path, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data, resp


def login(port: int, username: str, password: str) -> str:
    """Log in through the login form (CSRF and all); return the Cookie header value."""
    status, body, resp = get(port, "/accounts/login/", {})
    cookies = dict(re.findall(r"(csrftoken)=([^;]+)", resp.getheader("Set-Cookie") or ""))
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert status == 200 and token and cookies, f"login page: {status}"
    form = urllib.parse.urlencode({"username": username, "password": password,
                                   "csrfmiddlewaretoken": token.group(1).decode()})
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    conn.request("POST", "/accounts/login/", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookies['csrftoken']}",
        "Referer": f"http://{HOST}:{port}/accounts/login/"})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    session = re.search(r"sessionid=([^;]+)", resp.getheader("Set-Cookie") or "")
    assert resp.status == 302 and session, f"login failed: {resp.status}"
    return f"sessionid={session.group(1)}; csrftoken={cookies['csrftoken']}"


# --- server --------------------------------------------------------------------------------------------------

def wait_for_index(pending_model: type, timeout: float = 300) -> float:
    """Seconds until the search queue (rows the triggers wrote, taken by the server's embedded worker) is empty."""
    started = time.monotonic()
    while pending_model.objects.exists() and time.monotonic() - started < timeout:
        time.sleep(0.2)
    return time.monotonic() - started


def start_server(port: int, label: str) -> subprocess.Popen:
    try:  # something else on the port would be measured instead of our server
        get(port, "/healthz", {})
    except OSError:
        pass
    else:
        raise SystemExit(f"port {port} is already in use: pick another with --port")
    log = open(OUT / f"server-{label}.log", "w")  # noqa: SIM115 (lives as long as the server)
    proc = subprocess.Popen([sys.executable, "-m", "opsdesk.cli", "serve", "--host", HOST, "--port", str(port),
                             "--workers", "2"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "OPSDESK_DEBUG": "0"})
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: see {log.name}")
        try:
            status, _body, _resp = get(port, "/healthz", {})
            if status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.5)
    stop_server(proc)
    raise SystemExit("server did not answer within 180 s")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# --- query plans ----------------------------------------------------------------------------------------------

def explain_list_queries(agent, label: str) -> str:
    """EXPLAIN (ANALYZE) every SELECT the list selector runs for the agent, for three list views."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from opsdesk.incidents import selectors

    out = []
    for title, params in (("first page", {}), ("status=open&level=1", {"status": "open", "level": "1"}),
                          ("contract=TAX-2026&status=closed", {"contract": "TAX-2026", "status": "closed"})):
        filters = selectors.IncidentFilters.parse(params)
        with CaptureQueriesContext(connection) as ctx:
            selectors.incident_list(visible_to=agent, filters=filters, limit=25)
        for q in ctx.captured_queries:
            sql = q["sql"]
            if not sql.lstrip().upper().startswith("SELECT") or "incidents_incident" not in sql:
                continue
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                else:
                    cursor.execute("EXPLAIN QUERY PLAN " + sql)
                plan = "\n".join(" | ".join(str(c) for c in row) for row in cursor.fetchall())
            out.append(f"-- {title} ({q['time']} s)\n{sql}\n{plan}\n")
    text = "\n".join(out)
    (OUT / f"plans-{label}.txt").write_text(text, encoding="utf-8")
    return text


# --- the run -------------------------------------------------------------------------------------------------

def main() -> int:
    args = parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    import django

    django.setup()
    from django.db import connection

    from opsdesk.accounts.models import User
    from opsdesk.accounts.services import api_token_create
    from opsdesk.incidents.models import Incident
    from opsdesk.search.models import SearchPending

    agent = User.objects.get(username=args.user)
    total = Incident.objects.count()
    max_id = Incident.objects.order_by("-id").values_list("id", flat=True).first() or 0
    rng = random.Random(1)
    sample_ids = [rng.randint(1, max_id) for _ in range(600)]
    numbers = list(Incident.objects.filter(id__in=sample_ids).values_list("number", flat=True))
    token = api_token_create(by=None, user=agent, name=f"bench {args.label}")
    requester = User.objects.filter(username="tax_user1").first() or User.objects.filter(
        grants__role="requester", grants__contract__code="TAX-2026").first()
    print(f"{args.label}: {connection.vendor}, {total:,} incidents; plans…", flush=True)
    try:
        explain_list_queries(agent, args.label)
    except Exception as exc:  # e.g. server-side binding: the captured SQL has no inlined parameters
        print(f"  (no query plans: {exc.__class__.__name__}: {exc})", flush=True)
    connection.close()

    only = {s for s in args.only.split(",") if s}
    results: list[dict] = []
    proc = start_server(args.port, args.label)
    try:
        only_pages = {s for s in args.only.split(",") if s}
        wants_pages = not only_pages or only_pages & {"list_page", "detail_page"}
        cookie = login(args.port, args.user, args.password) if wants_pages else ""
        page_h = {"Cookie": cookie, "Accept-Language": "zh-hans"}
        api_h = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

        # Follow the cursor chain down `deep_pages` pages (the list page takes the same cursors).
        deep_cursor = None
        path = "/api/v1/incidents?limit=25"
        only_early = {s for s in args.only.split(",") if s}
        wants_lists = not only_early or only_early & {"list_page", "list_api"}
        for _ in range(args.deep_pages if wants_lists else 0):
            status, body, _resp = get(args.port, path, api_h)
            assert status == 200, f"{path}: {status} {body[:300]!r}"
            deep_cursor = json.loads(body)["next_cursor"]
            if not deep_cursor:
                break
            path = f"/api/v1/incidents?limit=25&cursor={deep_cursor}"
        deep_q = f"cursor={deep_cursor}" if deep_cursor else ""
        # And a cursor half-way down the table, as if someone had paged through 500,000 rows: keyset
        # pagination must make it cost what page 1 costs. (The cursor format is core/pagination.py's.)
        raw = json.dumps(["n", [max_id // 2]], separators=(",", ":")).encode()
        mid_q = "cursor=" + base64.urlsafe_b64encode(raw).decode().rstrip("=")

        def db_pids() -> list[int]:
            if connection.vendor != "postgresql":
                return []
            with connection.cursor() as cursor:
                cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                               "AND pid <> pg_backend_pid()")
                return [row[0] for row in cursor.fetchall()]

        def measure(name: str, paths: list[str], headers: dict[str, str], *, n: int, concurrency: int,
                    wrk: dict | None = None, **kw) -> None:
            quiet = wait_for_quiet(patience=args.quiet_patience)
            if quiet >= 0.25:
                print(f"  (the machine was still {quiet:.0%} busy after {args.quiet_patience:.0f} s: the next "
                      "figures are pessimistic)", flush=True)
            with Meter(proc.pid, db_pids) as meter:
                if wrk is not None:
                    res: Result = load_wrk(name, args.port, paths[0], connections=concurrency, **wrk)
                else:
                    res = load(name, args.port, paths, n=n, concurrency=concurrency, headers=headers, **kw)
            count = max(1, getattr(res, "requests", len(res.latencies)))
            client = res.client_cpu if isinstance(res, WrkResult) else meter.client
            res.cost = {"app_cpu_ms": round(meter.app / count * 1000, 2),
                        "db_cpu_ms": round(meter.db / count * 1000, 2),
                        "client_cpu_ms": round(client / count * 1000, 2),
                        "others_before": round(quiet, 2), "others_during": round(meter.others, 2),
                        "concurrency": concurrency}
            print("  " + res.line(), flush=True)
            results.append(res.as_dict())

        def run(name: str, paths: list[str], headers: dict[str, str]) -> None:
            if only and name.split(" ")[0] not in only:
                return
            load(name + " (warm-up)", args.port, paths, n=min(40, args.requests), concurrency=2, headers=headers)
            for concurrency in [int(c) for c in args.concurrency.split(",")]:
                measure(f"{name} c={concurrency}", paths, headers, n=args.requests, concurrency=concurrency)

        run("healthz (floor: one SELECT 1)", ["/healthz"], {})
        run("list_page first", ["/incidents/"], page_h)
        run("list_page open+level1", ["/incidents/?status=open&level=1"], page_h)
        run(f"list_page deep({args.deep_pages})", [f"/incidents/?{deep_q}"], page_h)
        run("list_page mid-table", [f"/incidents/?{mid_q}"], page_h)
        run("list_api first", ["/api/v1/incidents"], api_h)
        run("list_api open+level1", ["/api/v1/incidents?status=open&level=1"], api_h)
        run(f"list_api deep({args.deep_pages})", [f"/api/v1/incidents?{deep_q}"], api_h)
        run("list_api mid-table", [f"/api/v1/incidents?{mid_q}"], api_h)
        run("detail_page", [f"/incidents/{n}/" for n in numbers], page_h)
        run("detail_api", [f"/api/v1/incidents/{n}" for n in numbers], api_h)
        if not only or "create" in only:
            one = {"title": "电子税务局申报提交失败（压测）", "contract": "TAX-2026",
                   "requester": requester.username, "level": 3, "channel": "phone",
                   "description": "纳税人反映电子税务局申报表提交后长时间无响应，提示系统繁忙。"}
            headers = {**api_h, "Content-Type": "application/json"}
            client = args.create_client
            if client == "auto":
                client = "wrk" if shutil.which("wrk") else "python"
                if client == "python":
                    print("  (wrk not installed: `apt-get install wrk`; using the Python client, whose own CPU "
                          "then competes with the server for the two cores)", flush=True)
            kinds = [("create", "/api/v1/incidents", 1)]
            if args.create_batch:
                kinds.append((f"create_batch{args.create_batch}", "/api/v1/incidents/batch", args.create_batch))
            for label, path, per in kinds:
                body = json.dumps({"incidents": [one] * per} if per > 1 else one, ensure_ascii=False).encode()
                load(f"{label} (warm-up)", args.port, [path], n=max(4, 200 // per), concurrency=4, headers=headers,
                     method="POST", body=body, expect=201)
                wait_for_index(SearchPending)
                before = Incident.objects.count()
                if client == "wrk":
                    measure(f"{label} c={args.create_concurrency} (wrk {args.create_seconds}s)", [path],
                            headers, n=0, concurrency=args.create_concurrency,
                            wrk={"seconds": args.create_seconds, "threads": 2, "token": token, "body": body})
                else:
                    measure(f"{label} c={args.create_concurrency}", [path], headers, n=max(1, args.create // per),
                            concurrency=args.create_concurrency, method="POST", body=body, expect=201)
                # Every 201 must be its rows: count them in the database, not only in the client.
                created = Incident.objects.count() - before
                # Search indexing runs in the background: the run is not done until the queue is empty again.
                backlog = SearchPending.objects.count()
                drain = wait_for_index(SearchPending)
                res = results[-1]
                res.update(rows_created=created, incidents_per_request=per, index_backlog=backlog,
                           index_drain_s=round(drain, 1))
                elapsed = res["requests"] / res["rps"] if res.get("rps") else 0
                res["incidents_per_s"] = round(created / elapsed, 1) if elapsed else None
                res["incidents_per_s_indexed"] = round(created / (elapsed + drain), 1) if elapsed else None
                print(f"  rows created: {created:,} (201s: {res['statuses'].get(201, 0):,} × {per}); "
                      f"{res['incidents_per_s']} incidents/s; search backlog at the end {backlog:,}, indexed "
                      f"{drain:.1f} s later: {res['incidents_per_s_indexed']} incidents/s created and indexed",
                      flush=True)
            connection.close()
    finally:
        stop_server(proc)
    (OUT / f"results-{args.label}.json").write_text(json.dumps(
        {"label": args.label, "vendor": connection.vendor, "incidents": total, "concurrency": args.concurrency,
         "results": results}, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""CMDB at the scale of issue 7: an Excel import of 50,000 configuration items and 100,000 relationships, and
impact analysis on a 100,000-item graph.

    uv run python bench/cmdb.py [--backend sqlite|postgres] [--items 50000] [--relations 100000] [--keep]

Builds its own database (SQLite in bench/out/cmdb-sqlite, or PostgreSQL `bench_cmdb`, dropped at the end unless
`--keep`), migrates it and makes an organisation, two contracts and an engineer. Then, in-process:

1. writes a realistic workbook (business systems, servers, virtual machines, databases, middleware, network
   devices, rooms; runs-on, depends-on, connects-to, contains and backed-up-by relationships) and a copy with
   bad rows planted (unknown type, missing required attribute, duplicate key, dangling relationship);
2. a dry run of the bad copy: it must report every planted row, with row and column, and write nothing;
3. a dry run and then the real run of the good workbook (all or nothing), timed, with the process's peak RSS
   (and Python's own peak allocations during a dry run, measured separately with tracemalloc);
4. the same workbook again on the second contract, so the graph holds 100,000 items and 200,000 relationships;
5. impact analysis, 3 levels downstream, from 200 random items and from the ten items that reach the most
   (rooms and core switches): p50, p95 and max in ms.

Prints a JSON summary (also written to bench/out/cmdb-<backend>.json).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import shutil
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "src"))
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DB = "bench_cmdb"

HEADER = ["服务合同", "类型", "标识", "名称", "状态", "重要程度", "负责人", "位置", "主机名", "IP 地址",
          "CPU 核数", "vCPU", "内存 (GB)", "操作系统", "数据库类型", "版本", "端口", "产品", "型号",
          "角色"]
REL_HEADER = ["服务合同", "源 (标识)", "关系类型", "目标 (标识)"]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--items", type=int, default=50_000)
    p.add_argument("--relations", type=int, default=100_000)
    p.add_argument("--keep", action="store_true")
    return p.parse_args()


def setup(backend: str) -> None:
    if backend == "postgres":
        import psycopg

        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB}")
            conn.execute(f"CREATE DATABASE {DB}")
        os.environ["OPSDESK_DATABASE_URL"] = ADMIN_URL.rsplit("/", 1)[0] + f"/{DB}"
        os.environ["OPSDESK_DATA_DIR"] = str(OUT / "cmdb-pg-data")
    else:
        shutil.rmtree(OUT / "cmdb-sqlite", ignore_errors=True)
        os.environ["OPSDESK_DATA_DIR"] = str(OUT / "cmdb-sqlite")
        os.environ.pop("OPSDESK_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def people() -> tuple[object, list[object]]:
    from opsdesk.accounts import services as accounts

    org = accounts.organisation_create(by=None, code="bench", name="压测单位")
    contracts = [accounts.contract_create(by=None, code=code, name=f"压测合同 {code}", organisation=org)
                 for code in ("BENCH-A", "BENCH-B")]
    engineer = accounts.user_create(by=None, username="eng", password="bench-pass-1", full_name="压测工程师")
    for contract in contracts:
        accounts.role_grant(by=None, user=engineer, role="engineer", contract=contract)
    return engineer, contracts


def plan(items: int, relations: int, rng: random.Random) -> tuple[list[list[object]], list[list[str]]]:
    """Item rows and relationship rows of one contract (contract column filled in later)."""
    share = {"room": 0.001, "network_device": 0.03, "server": 0.2, "virtual_machine": 0.52, "database": 0.1,
             "middleware": 0.1, "business_system": 0.049}
    rows: list[list[object]] = []
    keys: dict[str, list[str]] = {}
    for code, part in share.items():
        for i in range(max(1, int(items * part))):
            key = f"{code[:3]}-{i:06d}"
            keys.setdefault(code, []).append(key)
            host = key if code in ("server", "virtual_machine") else None
            rows.append(["", code, key, f"{code} {i}", "在用", rng.randint(1, 4), "", f"机房 {i % 7}", host,
                         f"10.{i % 250}.{(i // 250) % 250}.{i % 200 + 1}" if host else None,
                         rng.choice([16, 32, 64]) if code == "server" else None,
                         rng.choice([4, 8]) if code == "virtual_machine" else None,
                         rng.choice([8, 16, 64]) if host else None,
                         "麒麟 V10" if host else None, "达梦" if code == "database" else None,
                         "8.1" if code in ("database", "middleware") else None,
                         5236 if code == "database" else None, "东方通" if code == "middleware" else None,
                         "华为 CE6881" if code == "network_device" else None,
                         rng.choice(["核心", "汇聚", "接入"]) if code == "network_device" else None])
    rows = rows[:items]
    present = {row[2] for row in rows}
    keys = {code: [k for k in ks if k in present] for code, ks in keys.items()}
    rels: set[tuple[str, str, str]] = set()

    def add(source: str, kind: str, target: str) -> None:
        if source != target and len(rels) < relations:
            rels.add((source, kind, target))

    for vm in keys["virtual_machine"]:
        add(vm, "runs_on", rng.choice(keys["server"]))
    for code in ("database", "middleware"):
        for key in keys[code]:
            add(key, "runs_on", rng.choice(keys["virtual_machine"]))
    for server in keys["server"]:
        add(rng.choice(keys["room"]), "contains", server)
        add(server, "connects_to", rng.choice(keys["network_device"]))
    while len(rels) < relations:
        kind = rng.choice(["depends_on", "depends_on", "backed_up_by", "connects_to"])
        if kind == "depends_on":
            add(rng.choice(keys["business_system"]), kind, rng.choice(keys["database"] + keys["middleware"]))
        elif kind == "backed_up_by":
            add(rng.choice(keys["database"]), kind, rng.choice(keys["server"]))
        else:
            add(rng.choice(keys["network_device"]), kind, rng.choice(keys["network_device"]))
    return rows, [["", s, k, t] for s, k, t in sorted(rels)]


def workbook(contract: str, rows: list[list[object]], rels: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    items = wb.create_sheet("配置项")
    items.append(HEADER)
    for row in rows:
        items.append([contract, *row[1:]])
    sheet = wb.create_sheet("关系")
    sheet.append(REL_HEADER)
    for rel in rels:
        sheet.append([contract, *rel[1:]])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def plant_errors(rows: list[list[object]], rels: list[list[str]], rng: random.Random, n: int
                 ) -> tuple[list[list[object]], list[list[str]], set[tuple[str, int, str]]]:
    """A copy with `n` bad rows of each kind; returns the (sheet, row, column) each must be reported at."""
    rows = [list(r) for r in rows]
    rels = [list(r) for r in rels]
    expected: set[tuple[str, int, str]] = set()
    picks = rng.sample(range(len(rows)), 3 * n)
    for i in picks[:n]:
        rows[i][1] = "spaceship"
        expected.add(("配置项", i + 2, "类型"))
    servers = [i for i in picks[n:] if rows[i][1] in ("server", "virtual_machine")][:n]
    for i in servers:
        rows[i][8] = None
        expected.add(("配置项", i + 2, "主机名"))
    others = [i for i in picks[n:] if i not in servers][:n]
    for i in others:
        source = next(j for j in range(len(rows)) if j not in picks and rows[j][1] == rows[i][1])
        rows[i][2] = rows[source][2]
        # the later of the two rows is the duplicate
        expected.add(("配置项", max(i, source) + 2, "标识"))
    for i in rng.sample(range(len(rels)), n):
        rels[i][3] = f"ghost-{i}"
        expected.add(("关系", i + 2, "目标 (标识)"))
    return rows, rels, expected


def timed(fn):  # type: ignore[no-untyped-def]
    """(result, seconds, peak RSS of the process so far in MB). Time is taken without tracemalloc, which would
    slow the import several times over."""
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    return result, round(seconds, 2), round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def python_peak(fn) -> float:  # type: ignore[no-untyped-def]
    """Peak of Python's own allocations while `fn` runs, in MB (a separate, slower run)."""
    tracemalloc.start()
    fn()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return round(peak / 2**20, 1)


def measure_impact(summary: dict[str, object], samples: tuple[tuple[str, list[int]], ...], *, suffix: str) -> None:
    """Impact analysis, 3 levels downstream, from each sampled item: p50, p95 and max in ms."""
    from opsdesk.cmdb import selectors
    from opsdesk.cmdb.models import ConfigurationItem

    for label, sample in samples:
        times, reached = [], []
        for pk in sample:
            item = ConfigurationItem.objects.select_related("ci_type", "contract", "owner").get(pk=pk)
            start = time.perf_counter()
            levels = selectors.impact(item=item, depth=3)
            times.append((time.perf_counter() - start) * 1000)
            reached.append(sum(len(level.items) for level in levels))
        times.sort()
        summary[f"impact_{label}{suffix}"] = {"p50_ms": round(statistics.median(times), 1),
                                              "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
                                              "max_ms": round(times[-1], 1), "max_items_reached": max(reached)}


def main() -> None:
    args = parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    setup(args.backend)
    from django.db import connection
    from django.utils import translation

    from opsdesk.cmdb import imports
    from opsdesk.cmdb.models import ConfigurationItem, Relationship

    translation.activate("zh-hans")
    rng = random.Random(7)
    engineer, _contracts = people()
    rows, rels = plan(args.items, args.relations, rng)
    good = workbook("BENCH-A", rows, rels)
    bad_rows, bad_rels, expected = plant_errors(rows, rels, rng, n=50)
    bad = workbook("BENCH-A", bad_rows, bad_rels)
    summary: dict[str, object] = {"backend": args.backend, "items": len(rows), "relationships": len(rels),
                                  "workbook_mb": round(len(good) / 2**20, 1)}

    report, seconds, peak = timed(lambda: imports.cmdb_import(by=engineer, upload=bad, dry_run=True))
    found = {(e.sheet, e.row, e.column) for e in report.errors}
    summary["bad_dry_run"] = {"seconds": seconds, "rss_peak_mb": peak, "planted": len(expected),
                              "reported": report.error_count, "every_planted_row_reported": expected <= found,
                              "written": ConfigurationItem.objects.count()}
    report, seconds, peak = timed(lambda: imports.cmdb_import(by=engineer, upload=good, dry_run=True))
    summary["dry_run"] = {"seconds": seconds, "rss_peak_mb": peak, "ok": report.ok,
                          "written": ConfigurationItem.objects.count()}
    summary["dry_run"]["python_peak_mb"] = python_peak(  # type: ignore[index]
        lambda: imports.cmdb_import(by=engineer, upload=good, dry_run=True))
    report, seconds, peak = timed(lambda: imports.cmdb_import(by=engineer, upload=good, dry_run=False))
    summary["import"] = {"seconds": seconds, "rss_peak_mb": peak, "written": report.written,
                         "items": ConfigurationItem.objects.count(), "relationships": Relationship.objects.count()}
    report, seconds, peak = timed(lambda: imports.cmdb_import(by=engineer, upload=good, dry_run=False))
    summary["reimport_unchanged"] = {"seconds": seconds, "created": report.created, "updated": report.updated}
    second = workbook("BENCH-B", rows, rels)
    report, seconds, peak = timed(lambda: imports.cmdb_import(by=engineer, upload=second, dry_run=False))
    summary["second_contract_import"] = {"seconds": seconds, "written": report.written}
    summary["graph"] = {"items": ConfigurationItem.objects.count(), "relationships": Relationship.objects.count()}

    ids = list(ConfigurationItem.objects.values_list("pk", flat=True))
    hubs = list(ConfigurationItem.objects.filter(ci_type__code__in=["room", "network_device"])
                .values_list("pk", flat=True)[:10])
    samples = (("random_200", rng.sample(ids, 200)), ("hubs_10", hubs))
    measure_impact(summary, samples, suffix="")
    if args.backend == "postgres":
        # Right after a bulk load the planner has no statistics (autovacuum analyzes within a minute or so):
        # measured both ways.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        measure_impact(summary, samples, suffix="_after_analyze")
    summary["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    text = json.dumps(summary, ensure_ascii=False, indent=2)
    print(text)
    (OUT / f"cmdb-{args.backend}.json").write_text(text)
    connection.close()
    if args.backend == "postgres" and not args.keep:
        import psycopg

        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB}")


if __name__ == "__main__":
    main()

"""What SLA clocks add to creating an incident, in-process (service call, no HTTP).

    OPSDESK_DATA_DIR=/tmp/sla-bench uv run python bench/sla_create.py [--n 2000]
    OPSDESK_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_sla uv run python bench/sla_create.py

Migrates the configured database, makes two contracts (one with a gold policy, one without), then creates
`--n` incidents on each through `incident_create`, alternating, and reports per creation: wall time
(median and p95, milliseconds), CPU time and statements. Writes to the configured database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.config.settings")
os.environ.setdefault("OPSDESK_DEBUG", "0")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=2000)
    args = p.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from opsdesk.accounts import services as accounts
    from opsdesk.accounts.models import Contract, User
    from opsdesk.calendars.defaults import install_defaults
    from opsdesk.incidents.services import incident_create
    from opsdesk.sla.services import sla_policy_create

    call_command("migrate", verbosity=0)
    install_defaults()
    suffix = str(int(time.time()))
    org = accounts.organisation_create(by=None, code=f"b{suffix}", name="基准单位")
    contracts: dict[str, Contract] = {}
    agent = accounts.user_create(by=None, username=f"bench{suffix}", full_name="基准坐席", organisation=org)
    requester = accounts.user_create(by=None, username=f"breq{suffix}", full_name="基准用户", organisation=org)
    for label in ("with", "without"):
        contract = accounts.contract_create(by=None, code=f"B{suffix}-{label}", name=label, organisation=org)
        accounts.role_grant(by=None, user=agent, role="agent", contract=contract)
        contracts[label] = contract
    sla_policy_create(by=None, contract=contracts["with"], tier="gold")
    agent = User.objects.get(pk=agent.pk)

    results: dict[str, dict[str, list[float]]] = {k: {"wall": [], "cpu": [], "queries": []} for k in contracts}
    for i in range(args.n * 2 + 40):
        label = "with" if i % 2 else "without"
        wall, cpu = time.perf_counter(), time.process_time()
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as ctx:
            incident_create(by=agent, contract=contracts[label], requester=requester, title=f"基准 {i}",
                            level=1 + i % 4)
        if i >= 40:  # warm-up: caches, prepared statements
            results[label]["wall"].append((time.perf_counter() - wall) * 1000)
            results[label]["cpu"].append((time.process_time() - cpu) * 1000)
            results[label]["queries"].append(len(ctx.captured_queries))
    print(f"{connection.vendor}, {args.n} creations each")
    for label, r in results.items():
        wall = sorted(r["wall"])
        print(f"  {label:7} policy: median {statistics.median(wall):.2f} ms, p95 {wall[int(len(wall) * .95)]:.2f} ms, "
              f"cpu {statistics.mean(r['cpu']):.2f} ms, {statistics.mean(r['queries']):.0f} statements")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

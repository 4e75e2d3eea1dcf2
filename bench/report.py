"""Print the markdown tables of bench/RESULTS.md from bench/out/results-<label>.json.

    uv run python bench/report.py pg-1m sqlite-1m pg-100k sqlite-100k
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def main(labels: list[str]) -> int:
    for label in labels:
        data = json.loads((OUT / f"results-{label}.json").read_text(encoding="utf-8"))
        print(f"\n**{label}** ({data['vendor']}, {data['incidents']:,} incidents)\n")
        print("| measurement | conc. | n | req/s | p50 ms | p95 ms | p99 ms | statuses | app CPU ms/req "
              "| db CPU ms/req | others' CPU share |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in data["results"]:
            name = r["name"].rsplit(" c=", 1)[0]
            statuses = ", ".join(f"{k}×{v}" for k, v in r["statuses"].items())
            db = r.get("db_cpu_ms", "")
            db = "–" if data["vendor"] == "sqlite" else ("n/a" if isinstance(db, float) and db < 0 else db)
            print(f"| {name} | {r.get('concurrency', '')} | {r['requests']} | {r['rps']} | {r['p50_ms']} "
                  f"| {r['p95_ms']} | {r['p99_ms']} | {statuses} | {r.get('app_cpu_ms', '')} | {db} "
                  f"| {r.get('others_during', '')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""`opsdesk manage search_rebuild [--type incident] [--batch-size N] [--json]`: recreate the search index.

Run after an upgrade that added a searchable type, after changing dictionary words (records indexed before
keep their old segmentation until then), or to repair the index. Safe while people work.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsdesk.search.registry import kinds
from opsdesk.search.services import drain_all, search_rebuild


class Command(BaseCommand):
    help = "Rebuild the search index (all types, or --type), in batches; reports rows and rows per second."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--type", action="append", dest="types", help="only this type (repeatable)")
        parser.add_argument("--batch-size", type=int, default=1000, help="records per transaction (1000)")
        parser.add_argument("--json", action="store_true", help="print the results as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        types = options["types"]
        unknown = [t for t in types or [] if t not in kinds()]
        if unknown:
            raise CommandError(f"unknown type {unknown[0]!r}; one of: {', '.join(kinds())}")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        results = search_rebuild(kinds=types, batch_size=options["batch_size"])
        drain_all()  # what was queued meanwhile
        data = [{"type": r.kind, "rows": r.rows, "seconds": round(r.seconds, 3), "rows_per_second": round(r.rate)}
                for r in results]
        if options["json"]:
            self.stdout.write(json.dumps(data))
        else:
            for d in data:
                self.stdout.write(f"{d['type']}: {d['rows']} rows in {d['seconds']} s ({d['rows_per_second']} rows/s)")

"""`opsdesk manage sla_sweep [--now ISO] [--batch-size N] [--json]`: one SLA sweep, now, in this process.

The same work as the every-minute job (sla/sweep.py), for operators (after an outage of the workers, or to
look at what is due) and for tests. Safe while workers sweep too: each event is taken once.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from opsdesk.sla.sweep import BATCH, sla_sweep


class Command(BaseCommand):
    help = "Take the SLA warnings, breaches and automatic escalations due now (or at --now), once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", help="sweep as of this instant (ISO 8601; without offset: local time)")
        parser.add_argument("--batch-size", type=int, default=BATCH, help=f"clocks per transaction ({BATCH})")
        parser.add_argument("--json", action="store_true", help="print the counts as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        now = None
        if options["now"]:
            try:
                now = dt.datetime.fromisoformat(options["now"])
            except ValueError:
                raise CommandError(f"--now: not an ISO 8601 instant: {options['now']!r}") from None
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        counts = sla_sweep(now=now, batch_size=options["batch_size"]).as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(counts))
        else:
            self.stdout.write(" ".join(f"{k}={v}" for k, v in counts.items()))

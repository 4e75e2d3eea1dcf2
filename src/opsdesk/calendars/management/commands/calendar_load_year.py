"""`opsdesk manage calendar_load_year 2027 --from-package | --file F [--notice-file N] [--apply]`.

Shows what loading the year's statutory-holiday arrangement would change (dry run, the default); with
`--apply` applies it through the same service as the page (audited as "system", revisions bumped, running
SLA clocks told). Bad lines are listed by number and nothing changes (exit status 1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsdesk.calendars.arrangements import ArrangementErrors, arrangement_preview
from opsdesk.calendars.choices import ArrangementSource
from opsdesk.calendars.services import arrangement_days, holiday_year_apply
from opsdesk.core.errors import DomainError


class Command(BaseCommand):
    help = "Preview (default) or apply a year's statutory-holiday arrangement from the package or a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("year", type=int)
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--from-package", action="store_true", help="the installed chinesecalendar package")
        source.add_argument("--file", help="a CSV or text file of date,kind,name lines (UTF-8 or GBK)")
        parser.add_argument("--notice-file", help="a text file with the notice, kept with the arrangement")
        parser.add_argument("--apply", action="store_true", help="apply it (without: only show the changes)")

    def handle(self, *args: Any, **options: Any) -> None:
        year: int = options["year"]
        try:
            if options["from_package"]:
                source, detail = ArrangementSource.PACKAGE, ""
                days = arrangement_days(year=year, source=source)
            else:
                path = Path(options["file"])
                try:
                    data = path.read_bytes()
                except OSError as exc:
                    raise CommandError(f"cannot read {path}: {exc.strerror}") from None
                source, detail = ArrangementSource.FILE, path.name
                days = arrangement_days(year=year, source=source, file_data=data)
            notice = ""
            if options["notice_file"]:
                try:
                    notice = Path(options["notice_file"]).read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise CommandError(f"cannot read the notice file: {exc}") from None
            preview = arrangement_preview(year=year, days=days)
            self._show(preview)
            if not options["apply"]:
                self.stdout.write("Dry run: nothing changed. Add --apply to load it.")
                return
            applied = holiday_year_apply(year=year, days=days, source=source, by=None, source_detail=detail,
                                         notice=notice, expected_fingerprint=preview.fingerprint)
        except ArrangementErrors as exc:
            for number, message in exc.lines:
                self.stderr.write(f"line {number}: {message}")
            raise CommandError(f"{len(exc.lines)} bad line(s); nothing changed") from None
        except DomainError as exc:
            detail_text = "; ".join(f"{k}: {v}" for k, v in exc.fields.items()) or exc.message
            raise CommandError(detail_text) from None
        self.stdout.write(self.style.SUCCESS(f"Applied {year}: {len(applied.changes)} day(s) changed."))

    def _show(self, preview: Any) -> None:
        loaded = preview.loaded
        self.stdout.write(f"{preview.year}: {preview.holidays} holiday(s), {preview.workdays} adjusted working day(s)"
                          + (f"; loaded now from {loaded.source} at {loaded.loaded_at:%Y-%m-%d %H:%M}" if loaded
                             else "; not loaded yet"))
        if not preview.changes:
            self.stdout.write("No day changes.")
        for change in preview.changes:
            before = " ".join(change.before) if change.before else "-"
            after = " ".join(change.after) if change.after else "-"
            self.stdout.write(f"  {change.change:8} {change.date}  {before}  ->  {after}")

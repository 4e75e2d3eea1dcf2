"""Yearly statutory-holiday arrangements: read from the chinesecalendar package, parsed from typed lines or an
uploaded file, and compared with what is loaded (the preview shown before anything is applied).

The text format is one day (or a range of days) per line, `date,kind,name`:

    # 国务院办公厅关于2027年部分节假日安排的通知
    2027-01-01,holiday,元旦
    2027-02-05~2027-02-11,休,春节
    2027-02-14,班,春节

kind is `holiday` (also 休, 假, 放假) or `workday` (also 班, 上班, 补班, 调休上班); the separator is a comma
(also ，or a tab); a range is written `A~B`, `A..B` or `A至B`; blank lines, `#` comments and a header line
are skipped. Files may be UTF-8 or GB18030/GBK (what Excel saves on Chinese Windows).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opsdesk.core.db import one_or_none
from opsdesk.core.errors import ValidationError

from .choices import StatutoryKind, Weekday
from .models import HolidayYear, StatutoryDay

MAX_LINES = 500
MAX_FILE_BYTES = 64 * 1024
MAX_RANGE_DAYS = 31
NAME_MAX = 50
YEAR_MIN, YEAR_MAX = 2000, 2100

KIND_WORDS = {
    "holiday": StatutoryKind.HOLIDAY, "off": StatutoryKind.HOLIDAY, "rest": StatutoryKind.HOLIDAY,
    "休": StatutoryKind.HOLIDAY, "假": StatutoryKind.HOLIDAY, "放假": StatutoryKind.HOLIDAY,
    "休息": StatutoryKind.HOLIDAY, "节假日": StatutoryKind.HOLIDAY,
    "workday": StatutoryKind.WORKDAY, "work": StatutoryKind.WORKDAY, "班": StatutoryKind.WORKDAY,
    "上班": StatutoryKind.WORKDAY, "补班": StatutoryKind.WORKDAY, "调休上班": StatutoryKind.WORKDAY,
}
_SEPARATORS = re.compile(r"[,，\t]")
_RANGE = re.compile(r"\s*(?:~|～|\.\.|至)\s*")
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")


@dataclass(frozen=True)
class ArrangementDay:
    date: date
    kind: str
    name: str = ""


class ArrangementErrors(ValidationError):
    """The lines of an arrangement that could not be read, each with its reason (nothing is applied)."""

    code = "arrangement_invalid"
    default_message = gettext_lazy("Some lines could not be read; nothing was changed.")

    def __init__(self, lines: list[tuple[int, str]], message: str | None = None) -> None:
        self.lines = lines
        super().__init__(message, fields={f"line {n}": text for n, text in lines})


# --- the installed package -------------------------------------------------------------------------

def package_version() -> str:
    import chinese_calendar

    return f"chinesecalendar {chinese_calendar.__version__}"


def _package_tables() -> tuple[dict[date, str], dict[date, str], dict[str, str]]:
    from chinese_calendar.constants import Holiday, holidays, workdays

    names = {h.value: h.chinese for h in Holiday}
    return holidays, workdays, names


def package_years() -> list[int]:
    """The years the installed chinesecalendar package knows (2004 to 2026 in 1.11.0)."""
    holidays, _workdays, _names = _package_tables()
    return sorted({d.year for d in holidays})


def package_days(year: int) -> list[ArrangementDay]:
    """The arrangement of `year` as the installed package knows it; ValidationError for a year it does not."""
    if year not in package_years():
        years = package_years()
        raise ValidationError(fields={"year": _(
            "The installed %(package)s knows the years %(first)d to %(last)d, not %(year)d. Enter the notice's "
            "days by hand or upload a file instead, or update the package.") % {
                "package": package_version(), "first": years[0], "last": years[-1], "year": year}})
    holidays, workdays, names = _package_tables()
    days = [ArrangementDay(d, StatutoryKind.HOLIDAY, names.get(v, v)[:NAME_MAX])
            for d, v in holidays.items() if d.year == year]
    days += [ArrangementDay(d, StatutoryKind.WORKDAY, names.get(v, v)[:NAME_MAX])
             for d, v in workdays.items() if d.year == year]
    return sorted(days, key=lambda day: day.date)


# --- typed lines and uploaded files --------------------------------------------------------------------

def decode_upload(data: bytes) -> str:
    """The text of an uploaded arrangement file (UTF-8, else GB18030); ValidationError on `file` otherwise."""
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(fields={"file": _("The file is larger than %(n)d KB.") % {"n": MAX_FILE_BYTES // 1024}})
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise ValidationError(fields={"file": _("This is not a text file (UTF-8 or GBK): save it as CSV or plain text.")})


def _parse_date(text: str) -> date | None:
    m = _DATE.match(text.strip())
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _dates(text: str) -> tuple[list[date], str | None]:
    parts = _RANGE.split(text.strip())
    if len(parts) > 2:
        return [], _("Write a range as 2027-02-05~2027-02-11.")
    found = [_parse_date(p) for p in parts]
    for raw, value in zip(parts, found, strict=True):
        if value is None:
            return [], _("“%(value)s” is not a date: use YYYY-MM-DD.") % {"value": raw[:20]}
    first, last = found[0], found[-1]
    assert first is not None and last is not None
    if last < first:
        return [], _("The range ends before it starts.")
    if (last - first).days >= MAX_RANGE_DAYS:
        return [], _("A range may cover at most %(n)d days.") % {"n": MAX_RANGE_DAYS}
    return [first + timedelta(days=i) for i in range((last - first).days + 1)], None


def year_window(year: int) -> tuple[date, date]:
    """The dates an arrangement of `year` may list: the year itself and December of the year before (a New
    Year arrangement may reach back into it)."""
    return date(year - 1, 12, 1), date(year, 12, 31)


def parse_arrangement(text: str, *, year: int) -> list[ArrangementDay]:
    """The days of typed or uploaded lines; ArrangementErrors listing every bad line (by number) otherwise."""
    check_year(year)
    errors: list[tuple[int, str]] = []
    seen: dict[date, int] = {}
    days: list[ArrangementDay] = []
    lines = text.replace("\x00", "").splitlines()
    if len(lines) > MAX_LINES:
        raise ValidationError(fields={"lines": _("At most %(n)d lines.") % {"n": MAX_LINES}})
    first_window, last_window = year_window(year)
    data_lines = 0
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        data_lines += 1
        parts = [p.strip() for p in _SEPARATORS.split(line)]
        if data_lines == 1 and parts[0].lower() in ("date", "日期"):
            continue  # a header row
        if len(parts) < 2 or len(parts) > 3:
            errors.append((number, _("Expected date,kind,name (for example 2027-02-14,workday,春节).")))
            continue
        dates, problem = _dates(parts[0])
        if problem:
            errors.append((number, problem))
            continue
        kind = KIND_WORDS.get(parts[1].lower())
        name = parts[2] if len(parts) == 3 else ""
        if kind is None:
            errors.append((number, _("Unknown kind “%(value)s”: use holiday or workday (休 or 班).")
                           % {"value": parts[1][:20]}))
            continue
        if len(name) > NAME_MAX:
            errors.append((number, _("The name is longer than %(n)d characters.") % {"n": NAME_MAX}))
            continue
        problem = None
        for d in dates:
            if not first_window <= d <= last_window:
                problem = _("%(date)s is not in %(year)d (only December of the year before may be listed too).") % {
                    "date": d.isoformat(), "year": year}
            elif kind == StatutoryKind.WORKDAY and d.weekday() < 5:
                problem = _("%(date)s is a %(weekday)s, already a working day: an adjusted working day is a "
                            "Saturday or Sunday.") % {"date": d.isoformat(), "weekday": Weekday(d.weekday()).label}
            elif d in seen:
                problem = _("%(date)s is already listed on line %(n)d.") % {"date": d.isoformat(), "n": seen[d]}
            if problem:
                break
        if problem:
            errors.append((number, problem))
            continue
        for d in dates:
            seen[d] = number
            days.append(ArrangementDay(d, kind, name))
    if errors:
        raise ArrangementErrors(errors)
    if not days:
        raise ValidationError(fields={"lines": _("No days given: list the notice's holidays and adjusted working "
                                                 "days, one per line.")})
    return sorted(days, key=lambda day: day.date)


def check_year(year: Any) -> int:
    try:
        value = int(year)
    except (TypeError, ValueError):
        raise ValidationError(fields={"year": _("Enter a year such as 2027.")}) from None
    if not YEAR_MIN <= value <= YEAR_MAX:
        raise ValidationError(fields={"year": _("The year must be between %(first)d and %(last)d.") % {
            "first": YEAR_MIN, "last": YEAR_MAX}})
    return value


def format_lines(days: list[ArrangementDay]) -> str:
    """Days back as lines of the text format (what the preview carries to the apply step)."""
    return "\n".join(f"{d.date.isoformat()},{d.kind},{d.name}" for d in days)


# --- comparison with what is loaded ----------------------------------------------------------------

@dataclass(frozen=True)
class DayChange:
    date: date
    before: tuple[str, str] | None  # (kind, name) loaded now
    after: tuple[str, str] | None   # (kind, name) after applying
    before_year: int | None = None

    @property
    def change(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"


@dataclass
class ArrangementPreview:
    """What applying `days` as the arrangement of `year` would change."""

    year: int
    days: list[ArrangementDay]
    changes: list[DayChange]
    loaded: HolidayYear | None
    fingerprint: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def changed_dates(self) -> list[date]:
        return [c.date for c in self.changes]

    @property
    def holidays(self) -> int:
        return sum(1 for d in self.days if d.kind == StatutoryKind.HOLIDAY)

    @property
    def workdays(self) -> int:
        return sum(1 for d in self.days if d.kind == StatutoryKind.WORKDAY)


def arrangement_preview(*, year: int, days: list[ArrangementDay]) -> ArrangementPreview:
    """Compare `days` with the loaded days of `year` (and any loaded day at the same dates)."""
    year = check_year(year)
    wanted = {d.date: (d.kind, d.name) for d in days}
    current = list(StatutoryDay.objects.filter(year=year)) + list(
        StatutoryDay.objects.filter(date__in=list(wanted)).exclude(year=year))
    loaded = {row.date: row for row in current}
    changes: list[DayChange] = []
    for d in sorted(set(wanted) | set(loaded)):
        row = loaded.get(d)
        before = (row.kind, row.name) if row is not None else None
        after = wanted.get(d)
        if before != after or (row is not None and row.year != year):
            changes.append(DayChange(d, before, after, row.year if row is not None else None))
    existing = one_or_none(HolidayYear.objects.filter(year=year))
    digest = hashlib.sha256(repr((
        existing.pk if existing else None,
        sorted((r.date.isoformat(), r.kind, r.name, r.year) for r in current),
    )).encode()).hexdigest()[:32]
    counts = {kind: sum(1 for c in changes if c.change == kind) for kind in ("added", "removed", "changed")}
    return ArrangementPreview(year=year, days=days, changes=changes, loaded=existing, fingerprint=digest,
                              counts=counts)

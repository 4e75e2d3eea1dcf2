"""Excel workbooks in and out (openpyxl), for every import and export of lists: the CMDB, assets, spare parts,
consumables. No domain nouns here: an app declares its sheets as `Column`s, reads rows with `read_sheet`, checks
them with its own services and reports `RowError`s (sheet, row, column, reason) in an `ImportReport`; exports
stream rows through `workbook_bytes` and `xlsx_response`.

Headers are matched by the column's key or its label in Chinese or English, so a workbook exported in either
language imports again, and so does one typed by hand with the labels the user sees."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from .errors import ValidationError

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ERRORS = 5000  # a report lists at most this many row errors (and says how many there were)


@dataclass(frozen=True)
class Column:
    """One column of a sheet: `key` names it in code, `header` (translatable) is what the workbook shows."""

    key: str
    header: Any
    required: bool = False
    width: int = 18

    def labels(self) -> set[str]:
        names = {self.key.casefold()}
        for language in ("zh-hans", "en"):
            with translation.override(language):
                names.add(str(self.header).strip().casefold())
        return names


@dataclass(frozen=True)
class RowError:
    """What is wrong with one cell (or a whole row when `column` is empty). `row` is the Excel row number."""

    sheet: str
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportReport:
    """The outcome of an import: rows read, created and updated per sheet, and every row error. Nothing is
    written when `errors` is not empty or `dry_run` is set."""

    dry_run: bool
    rows: dict[str, int] = field(default_factory=dict)
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    def add(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(error)

    def as_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "ok": self.ok, "written": self.written, "rows": self.rows,
                "created": self.created, "updated": self.updated, "error_count": self.error_count,
                "errors": [e.as_dict() for e in self.errors]}


class DryRunRollback(Exception):
    """Raised inside an import's transaction to undo a dry run (or a run with errors) after checking it all."""


def open_workbook(upload: Any) -> Any:
    """A read-only workbook from an uploaded file (Django UploadedFile, bytes or a binary file). A file that is
    too large or not an .xlsx workbook is a ValidationError on `file`."""
    if upload is None:
        raise ValidationError(fields={"file": _("Choose an Excel workbook (.xlsx) to import.")})
    size = getattr(upload, "size", None)
    if isinstance(upload, bytes | bytearray):
        size, upload = len(upload), io.BytesIO(upload)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ValidationError(fields={"file": _("The workbook is larger than %(n)d MB.") % {
            "n": MAX_UPLOAD_BYTES // (1024 * 1024)}})
    try:
        return load_workbook(upload, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError, TypeError, IndexError, EOFError):
        raise ValidationError(fields={"file": _("This is not an Excel workbook (.xlsx).")}) from None
    except Exception as exc:  # zipfile.BadZipFile and the XML parser's errors have no common base
        if type(exc).__name__ in ("BadZipFile", "ParseError", "XMLSyntaxError"):
            raise ValidationError(fields={"file": _("This is not an Excel workbook (.xlsx).")}) from None
        raise


def cell_text(value: Any) -> str:
    """A cell's value as the text an import checks: dates as YYYY-MM-DD, whole numbers without “.0”."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def find_sheet(workbook: Any, *names: Any) -> Any | None:
    """The sheet whose title is one of `names` (each a key or a translatable label), or None."""
    wanted: set[str] = set()
    for name in names:
        for language in ("zh-hans", "en"):
            with translation.override(language):
                wanted.add(str(name).strip().casefold())
    for sheet in workbook.worksheets:
        if sheet.title.strip().casefold() in wanted:
            return sheet
    return None


def read_sheet(sheet: Any, columns: Sequence[Column], report: ImportReport
               ) -> list[tuple[int, dict[str, str]]]:
    """The rows of `sheet` as (Excel row number, {column key: text}), skipping blank rows. The first row holds
    the headers; a missing required column is one error on row 1 and no rows are returned."""
    return [(number, row) for number, row, _extra in read_sheet_with_extras(sheet, columns, report)]


def read_sheet_with_extras(sheet: Any, columns: Sequence[Column], report: ImportReport
                           ) -> list[tuple[int, dict[str, str], dict[str, str]]]:
    """Like `read_sheet`, with a third item per row: the non-empty cells under headers that are none of
    `columns` ({header as written: text}), for sheets whose further columns are data-defined (attributes)."""
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    title = sheet.title
    positions: dict[str, int] = {}
    extras: dict[int, str] = {}
    if header is not None:
        by_label = {label: col.key for col in columns for label in col.labels()}
        for index, cell in enumerate(header):
            text = cell_text(cell)
            key = by_label.get(text.casefold())
            if key and key not in positions:
                positions[key] = index
            elif text and not key:
                extras[index] = text
    missing = [col for col in columns if col.required and col.key not in positions]
    for col in missing:
        report.add(RowError(title, 1, str(col.header), _("The column is missing.")))
    if missing:
        return []
    out: list[tuple[int, dict[str, str], dict[str, str]]] = []
    for number, values in enumerate(rows, start=2):
        width = len(values)
        row = {key: cell_text(values[index]) if index < width else "" for key, index in positions.items()}
        extra = {name: text for index, name in extras.items() if index < width and (text := cell_text(values[index]))}
        if any(row.values()) or extra:
            out.append((number, row, extra))
    report.rows[title] = len(out)
    return out


def _cell(sheet: Any, value: Any, *, bold: bool = False) -> Any:
    if isinstance(value, Decimal):
        value = float(value)
    elif isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text typed as "=…" stays text: an export never carries a live formula
    if bold:
        cell.font = Font(bold=True)
    return cell


def workbook_bytes(sheets: Iterable[tuple[Any, Sequence[Column], Iterable[Sequence[Any]]]]) -> bytes:
    """An .xlsx of the given sheets (title, columns, rows), written in streaming mode so a large export keeps
    little in memory. Headers are the columns' labels in the active language."""
    workbook = Workbook(write_only=True)
    for title, columns, rows in sheets:
        sheet = workbook.create_sheet(title=str(title)[:31])
        for index, col in enumerate(columns):
            sheet.column_dimensions[_column_letter(index)].width = col.width
        sheet.append([_cell(sheet, str(col.header), bold=True) for col in columns])
        for row in rows:
            sheet.append([_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """A download of `content` named `filename` (Chinese names survive: RFC 5987)."""
    response = HttpResponse(content, content_type=XLSX_TYPE)
    ascii_name = filename.encode("ascii", "ignore").decode() or "export.xlsx"
    response["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return response

"""`opsdesk manage calendar_load_year`: a dry run by default, --apply applies; bad lines listed, nothing changed."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from opsdesk.calendars.models import HolidayYear, StatutoryDay
from opsdesk.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("calendar_load_year", *args, stdout=out, stderr=out)
    return out.getvalue()


def test_a_file_is_previewed_then_applied(tmp_path):
    path = tmp_path / "2027.csv"
    path.write_text("2027-01-01,holiday,元旦\n2027-02-06~2027-02-13,holiday,春节\n2027-02-14,workday,春节\n",
                    encoding="utf-8")
    out = run("2027", "--file", str(path))
    assert "added    2027-02-14" in out and "Dry run" in out
    assert not StatutoryDay.objects.filter(year=2027).exists()
    notice = tmp_path / "notice.txt"
    notice.write_text("国务院办公厅关于2027年部分节假日安排的通知", encoding="utf-8")
    out = run("2027", "--file", str(path), "--notice-file", str(notice), "--apply")
    assert "Applied 2027: 10 day(s) changed." in out
    record = HolidayYear.objects.get(year=2027)
    assert (record.source, record.source_detail, record.loaded_by) == ("file", "2027.csv", None)
    assert record.notice.startswith("国务院办公厅")
    assert AuditEntry.objects.filter(action="calendar.holidays.load", actor_name="system").exists()


def test_bad_lines_are_listed_and_nothing_changes(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("2027-01-01,holiday,元旦\n2027-01-06,workday,x\n", encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="1 bad line"):
        call_command("calendar_load_year", "2027", "--file", str(path), "--apply", stdout=StringIO(), stderr=err)
    assert "line 2:" in err.getvalue()
    assert not HolidayYear.objects.filter(year=2027).exists()


def test_the_package_year_is_already_loaded():
    assert "No day changes." in run("2026", "--from-package")
    with pytest.raises(CommandError, match="2026"):
        run("2027", "--from-package")


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        run("2027", "--file", str(tmp_path / "nope.csv"))

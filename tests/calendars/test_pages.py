"""Calendar pages: who sees and changes them, the month view, administration (periods, overrides, loading a
year with preview → apply), with query budgets."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.calendars import services
from opsdesk.calendars.choices import OverrideKind
from opsdesk.calendars.models import Calendar, CalendarOverride, HolidayYear, StatutoryDay, WorkingPeriod
from opsdesk.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def cell(page: str, day: str) -> str:
    """The month view's cell of one date."""
    m = re.search(rf'<td class="([^"]*)" data-date="{day}" data-kind="([^"]*)">(.*?)</td>', page, re.S)
    assert m, f"no cell for {day}"
    return m.group(0)


# --- access ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/calendars/", "/calendars/5x8/", "/calendars/holidays/",
                                 "/calendars/holidays/2026/"])
def test_staff_see_calendars_and_client_people_go_to_the_portal(world, login, url):
    assert login(world.agent).get(url).status_code == 200
    response = login(world.requester_a).get(url)
    assert response.status_code == 302 and response["Location"] == "/portal/"


def test_anonymous_people_log_in_first(client):
    response = client.get("/calendars/5x8/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(("method", "url"), [
    ("get", "/calendars/5x8/edit/"), ("post", "/calendars/5x8/edit/"), ("post", "/calendars/5x8/overrides/"),
    ("post", "/calendars/holidays/"), ("post", "/calendars/new/"),
])
def test_only_administrators_change_calendars(world, login, method, url):
    response = getattr(login(world.pm), method)(url, {"name": "x", "year": "2027", "source": "package"})
    assert response.status_code == 403
    assert Calendar.objects.get(code="5x8").name != "x" and not HolidayYear.objects.filter(year=2027).exists()


def test_a_superuser_without_grants_administers_calendars(superuser, login):
    page = text(login(superuser).get("/calendars/5x8/"))
    assert 'href="/calendars/5x8/edit/"' in page and "override-form" in page


def test_unknown_calendar_is_404(world, login):
    assert login(world.agent).get("/calendars/nope/").status_code == 404


# --- the month view --------------------------------------------------------------------------------------------

def test_month_view_shows_holidays_adjusted_days_and_hours(world, login):
    page = text(login(world.agent).get("/calendars/5x8/?month=2026-10"))
    assert 'data-month="2026-10"' in page
    assert 'data-kind="holiday"' in cell(page, "2026-10-01") and "国庆节" in cell(page, "2026-10-01")
    saturday = cell(page, "2026-10-10")
    assert 'data-kind="adjusted_working"' in saturday and "09:00–12:00, 13:30–17:30" in saturday
    assert 'data-kind="working"' in cell(page, "2026-10-08") and 'data-kind="rest"' in cell(page, "2026-10-11")
    assert 'href="/calendars/5x8/?month=2026-09"' in page and 'href="/calendars/5x8/?month=2026-11"' in page
    assert "126" in re.search(r'month-hours">(.*?)</div>', page, re.S).group(1)  # 18 working days × 7 h


def test_month_view_warns_about_a_year_not_loaded(world, login):
    page = text(login(world.agent).get("/calendars/5x8/?month=2027-01"))
    assert "missing-years" in page and 'data-kind="working"' in cell(page, "2027-01-01")
    assert "missing-years" not in text(login(world.agent).get("/calendars/24x7/?month=2027-01"))


def test_month_navigation_with_htmx_returns_only_the_month(world, login):
    response = login(world.agent).get("/calendars/5x8/?month=2026-02", headers={"HX-Request": "true"})
    page = text(response)
    assert page.startswith('<div class="card mb-3" id="calendar-month"') and "<html" not in page
    assert 'data-kind="adjusted_working"' in cell(page, "2026-02-14")


def test_a_bad_month_is_a_clear_error(world, login):
    response = login(world.agent).get("/calendars/5x8/?month=2026-13")
    assert response.status_code == 422 and "2026-10" in text(response)


def test_month_view_query_budget(world, login, superuser, django_assert_max_num_queries):
    calendar = Calendar.objects.get(code="5x8")
    agent = login(world.agent)
    agent.get("/calendars/5x8/?month=2026-10")
    few = _queries(agent, "/calendars/5x8/?month=2026-10")
    for i in range(10):
        services.calendar_override_add(calendar=calendar, by=superuser, kind=OverrideKind.CLOSED,
                                       start_date=date(2026, 10, 12 + i), name=f"停电{i}")
    agent.get("/calendars/5x8/?month=2026-10")  # the engine rebuilds once after the change
    assert _queries(agent, "/calendars/5x8/?month=2026-10") == few
    # session, user, grants, calendar, engine revision, periods, overrides (+ their authors)
    with django_assert_max_num_queries(9):
        agent.get("/calendars/5x8/?month=2026-10")


def test_list_page_query_budget(world, login, superuser, django_assert_max_num_queries):
    agent = login(world.agent)
    agent.get("/calendars/")
    few = _queries(agent, "/calendars/")
    for i in range(10):
        services.calendar_create(by=superuser, code=f"c{i}", name=f"日历{i}")
    assert _queries(agent, "/calendars/") == few
    with django_assert_max_num_queries(6):  # session, user, grants, calendars, loaded years
        agent.get("/calendars/")


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


# --- administration --------------------------------------------------------------------------------------------

def test_edit_weekly_periods(sysadmin, login):
    admin = login(sysadmin)
    page = text(admin.get("/calendars/5x8/edit/"))
    assert 'value="09:00-12:00, 13:30-17:30"' in page
    calendar = Calendar.objects.get(code="5x8")
    form = {"name": "5×8 工作日", "revision": calendar.revision, "follows_statutory_holidays": "on",
            "adjusted_day_weekday": "0", **{f"day_{d}": "08:30-12:00，13:00-17:00" for d in range(5)},
            "day_5": "", "day_6": ""}
    response = admin.post("/calendars/5x8/edit/", form)
    assert response.status_code == 302 and response["Location"] == "/calendars/5x8/"
    assert list(WorkingPeriod.objects.filter(calendar=calendar, weekday=2).values_list(
        "start_minute", "end_minute")) == [(510, 720), (780, 1020)]
    assert Calendar.objects.get(code="5x8").revision == calendar.revision + 1
    assert AuditEntry.objects.filter(action="calendar.update", actor=sysadmin).exists()


def test_bad_periods_come_back_by_their_weekday_and_change_nothing(sysadmin, login):
    calendar = Calendar.objects.get(code="5x8")
    form = {"name": "5×8", "revision": calendar.revision, "follows_statutory_holidays": "on",
            "adjusted_day_weekday": "0", "day_0": "9点到12点", "day_1": "09:00-12:00, 11:00-13:00",
            "day_2": "17:00-09:00"}
    response = login(sysadmin).post("/calendars/5x8/edit/", form)
    page = text(response)
    assert response.status_code == 422
    assert 'id="id_day_0-errors"' in page and "9点到12点" in page
    assert 'id="id_day_2-errors"' in page
    assert WorkingPeriod.objects.filter(calendar=calendar).count() == 10
    response = login(sysadmin).post("/calendars/5x8/edit/", {**form, "day_0": "", "day_2": ""})
    assert response.status_code == 422 and 'id="id_day_1-errors"' in text(response)  # the overlap, from the service


def test_add_and_remove_an_override(sysadmin, login):
    admin = login(sysadmin)
    response = admin.post("/calendars/5x8/overrides/", {"kind": "key_period", "start_date": "2027-03-03",
                                                        "end_date": "2027-03-12", "name": "两会重保期"})
    assert response.status_code == 302 and response["Location"] == "/calendars/5x8/?month=2027-03"
    page = text(admin.get(response["Location"]))
    assert 'data-kind="key_period"' in cell(page, "2027-03-06") and "00:00–24:00" in cell(page, "2027-03-06")
    override = CalendarOverride.objects.get()
    response = admin.post(f"/calendars/5x8/overrides/{override.pk}/remove/")
    assert response.status_code == 302 and not CalendarOverride.objects.exists()
    assert admin.post(f"/calendars/5x8/overrides/{override.pk}/remove/").status_code == 404


def test_a_bad_override_comes_back_with_its_messages(sysadmin, login):
    response = login(sysadmin).post("/calendars/5x8/overrides/", {"kind": "closed", "start_date": "2027-03-12",
                                                                 "end_date": "2027-03-03", "name": ""})
    page = text(response)
    assert response.status_code == 422
    assert 'id="id_override_end_date-errors"' in page and 'id="id_override_name-errors"' in page
    assert not CalendarOverride.objects.exists()


def test_create_a_calendar(sysadmin, login):
    response = login(sysadmin).post("/calendars/new/", {"code": "hall", "name": "办事大厅", "kind": "5x8",
                                                        "follows_statutory_holidays": "on"})
    assert response.status_code == 302 and response["Location"] == "/calendars/hall/edit/"
    response = login(sysadmin).post("/calendars/new/", {"code": "hall", "name": "again", "kind": "5x8"})
    assert response.status_code == 422 and "id_code-errors" in text(response)


# --- loading a year ----------------------------------------------------------------------------------------------

LINES_2027 = "2027-01-01,holiday,元旦\n2027-02-06~2027-02-13,休,春节\n2027-02-14,班,春节\n"


def test_load_a_year_preview_then_apply(sysadmin, login):
    admin = login(sysadmin)
    response = admin.post("/calendars/holidays/", {"step": "preview", "year": "2027", "source": "entered",
                                                   "lines": LINES_2027, "notice": "国办发明电"})
    page = text(response)
    assert response.status_code == 200 and "arrangement-preview" in page
    assert page.count('data-change="added"') == 10
    assert not StatutoryDay.objects.filter(year=2027).exists()  # nothing applied yet
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', page).group(1)
    lines = re.search(r'<textarea name="lines"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    response = admin.post("/calendars/holidays/", {"step": "apply", "year": "2027", "source": "entered",
                                                   "lines": lines, "notice": "国办发明电", "fingerprint": fingerprint})
    assert response.status_code == 302 and response["Location"] == "/calendars/holidays/2027/"
    assert StatutoryDay.objects.filter(year=2027).count() == 10
    detail = text(admin.get("/calendars/holidays/2027/"))
    assert 'data-date="2027-02-14" data-kind="workday"' in detail and "国办发明电" in detail


def test_an_upload_with_a_bad_line_is_reported_per_line_and_changes_nothing(sysadmin, login):
    upload = SimpleUploadedFile("2027.csv", "2027-01-01,holiday,元旦\n2027-02-31,休,春节\n".encode(),
                                content_type="text/csv")
    response = login(sysadmin).post("/calendars/holidays/", {"step": "preview", "year": "2027", "source": "file",
                                                             "file": upload})
    page = text(response)
    assert response.status_code == 422
    assert re.search(r'<li data-line="2">.*2027-02-31', page)
    assert not StatutoryDay.objects.filter(year=2027).exists() and not HolidayYear.objects.filter(year=2027).exists()


def test_an_upload_is_previewed_then_applied_as_a_file_source(sysadmin, login):
    admin = login(sysadmin)
    upload = SimpleUploadedFile("notice-2027.csv", LINES_2027.encode("gb18030"), content_type="text/csv")
    page = text(admin.post("/calendars/holidays/", {"step": "preview", "year": "2027", "source": "file",
                                                    "file": upload}))
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    lines = re.search(r'<textarea name="lines"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    response = admin.post("/calendars/holidays/", {**hidden, "step": "apply", "lines": lines})
    assert response.status_code == 302
    record = HolidayYear.objects.get(year=2027)
    assert (record.source, record.source_detail) == ("file", "notice-2027.csv")


def test_a_package_year_beyond_the_package_is_explained(sysadmin, login):
    response = login(sysadmin).post("/calendars/holidays/", {"step": "preview", "year": "2027",
                                                             "source": "package"})
    assert response.status_code == 422 and "2026" in text(response)


def test_holidays_page_query_budget(world, login, django_assert_max_num_queries):
    agent = login(world.agent)
    agent.get("/calendars/holidays/")
    with django_assert_max_num_queries(6):  # session, user, grants, years (+ loaded_by), counts
        agent.get("/calendars/holidays/")

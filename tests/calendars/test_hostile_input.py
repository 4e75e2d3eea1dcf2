"""Odd and hostile input never gives a 500 and never writes: NUL characters, huge numbers, wrong types."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsdesk.calendars.models import Calendar, CalendarOverride, HolidayYear

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/calendars/%00/", "/calendars/5x8/?month=%00", "/calendars/5x8/?month=99999-01",
                                 "/calendars/holidays/99999999999999999999999/", "/calendars/holidays/0/",
                                 "/calendars/" + "x" * 300 + "/"])
def test_pages(world, login, url):
    assert login(world.agent).get(url).status_code in (404, 422)


@pytest.mark.parametrize("data", [
    {"kind": "closed\x00", "start_date": "2026-12-01", "name": "x"},
    {"kind": "closed", "start_date": "2026-12-01\x00", "name": "x"},
    {"kind": "closed", "start_date": "2026-12-01", "name": "x\x00"},
    {"kind": "closed", "start_date": "9999999999-12-01", "name": "x"},
])
def test_override_form(sysadmin, login, data):
    assert login(sysadmin).post("/calendars/5x8/overrides/", data).status_code == 422
    assert not CalendarOverride.objects.exists()


@pytest.mark.parametrize("data", [
    {"year": "2027\x00", "source": "entered", "lines": "2027-01-01,holiday,元旦"},
    {"year": "99999999999999999999", "source": "entered", "lines": "2027-01-01,holiday,元旦"},
    {"year": "2027", "source": "entered\x00", "lines": "2027-01-01,holiday,元旦"},
    {"year": "2027", "source": "entered", "lines": "2027-01-01,holiday,元\x00旦\x00"},
    {"year": "2027", "source": "entered", "lines": "2027-01-01,holiday,元旦", "step": "apply", "notice": "\x00"},
    {"year": "2027", "source": "entered", "lines": "x\n" * 600},
])
def test_year_load_form(sysadmin, login, data):
    response = login(sysadmin).post("/calendars/holidays/", {"step": "preview", **data})
    assert response.status_code == 422
    assert not HolidayYear.objects.filter(year=2027).exists()


def test_schedule_form(sysadmin, login):
    calendar = Calendar.objects.get(code="5x8")
    response = login(sysadmin).post("/calendars/5x8/edit/", {"name": "\x00", "day_0": "09:00-12:00\x00",
                                                             "adjusted_day_weekday": "99", "revision": "x"})
    assert response.status_code == 422
    assert Calendar.objects.get(pk=calendar.pk).name == calendar.name


@pytest.mark.parametrize("url", [
    "/sla/calendars/%00", "/sla/calendars/5x8/add?start=%00&minutes=1",
    "/sla/calendars/5x8/add?start=2026-01-01T00:00&minutes=99999999999999999999999",
    "/sla/calendars/5x8/between?start=9999-12-31T23:59:59&end=9999-12-31T23:59:59",
    "/sla/calendars/5x8/add?start=2026-01-01T00:00:00%2B99:00&minutes=1",
    "/sla/calendars?cursor=%00", "/sla/calendars/5x8/month?month=2026-00",
])
def test_api(api, world, url):
    response = api(world.agent).get(url)
    assert response.status_code in (404, 422), response.content


def test_a_hand_made_cursor_of_the_wrong_type_is_harmless(api, world):
    response = api(world.agent).get("/sla/calendars?cursor=WyJuIixbMV1d&limit=1")  # ["n", [1]]: a number
    assert response.status_code in (200, 422)


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
TIMES = st.one_of(st.text(max_size=30), st.sampled_from([
    "2026-10-01", "2026-10-01T09:00", "2026-10-01T09:00:00Z", "2026-10-01T09:00:00+08:00", "2026-10-01 09:00 08:00",
    "0001-01-01T00:00", "9999-12-31T23:59:59", "2100-12-31T23:59:59+14:00", "1970-01-01T00:00-12:00", "\x00", ""]))
NUMBERS = st.one_of(st.integers(-10, 2 * 10**6).map(str), st.text(max_size=8), st.just("1e9"))


@FUZZ
@given(path=st.sampled_from(["add", "between", "month"]),
       params=st.fixed_dictionaries({}, optional={"start": TIMES, "end": TIMES, "minutes": NUMBERS, "month": TIMES}))
def test_arithmetic_never_fails_badly(world, api, path, params):
    response = api(world.agent).get(f"/sla/calendars/5x8/{path}", params)
    assert response.status_code in (200, 422), (params, response.content[:300])
    body = response.json()
    if response.status_code == 422:
        assert body["error"]["code"] == "validation_error" and body["error"]["fields"]
    elif path == "add":
        assert body["due"] >= body["start"] or body["minutes"] == 0

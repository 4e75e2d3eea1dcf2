"""The calendars API: list, detail, add, between, month; errors (422 naming the field, 404, 401, 403); queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.calendars import services
from opsdesk.calendars.choices import OverrideKind
from opsdesk.calendars.models import Calendar
from tests.api.conftest import ApiClient, token_for

BASE = "/sla/calendars"


@pytest.fixture
def agent(api, world) -> ApiClient:
    return api(world.agent)


def test_list(agent):
    response = agent.get(BASE)
    assert response.status_code == 200
    body = response.json()
    assert [c["code"] for c in body["items"]] == ["24x7", "5x8"]
    five = body["items"][1]
    assert five["kind"] == "5x8" and five["follows_statutory_holidays"] is True and five["timezone"] == "Asia/Shanghai"


def test_list_pages_by_code(agent, superuser):
    for i in range(3):
        services.calendar_create(by=superuser, code=f"c{i}", name=f"日历{i}")
    first = agent.get(BASE, {"limit": 2}).json()
    assert [c["code"] for c in first["items"]] == ["24x7", "5x8"] and first["next_cursor"]
    second = agent.get(BASE, {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [c["code"] for c in second["items"]] == ["c0", "c1"]


def test_detail(agent, superuser):
    calendar = Calendar.objects.get(code="5x8")
    services.calendar_override_add(calendar=calendar, by=superuser, kind=OverrideKind.KEY_PERIOD,
                                   start_date="2027-03-03", end_date="2027-03-12", name="两会重保期")
    body = agent.get(f"{BASE}/5x8").json()
    assert body["week"][0]["periods"] == [{"start": "09:00", "end": "12:00"}, {"start": "13:30", "end": "17:30"}]
    assert body["week"][6]["periods"] == []
    assert body["overrides"][0]["kind"] == "key_period" and body["overrides"][0]["start_date"] == "2027-03-03"
    assert 2025 in body["loaded_years"] and 2027 not in body["loaded_years"]
    always = agent.get(f"{BASE}/24x7").json()
    assert always["week"] == [] and always["loaded_years"] == []


def test_add_across_the_2026_national_day(agent):
    response = agent.get(f"{BASE}/5x8/add", {"start": "2026-09-30T17:20:00+08:00", "minutes": 120})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["due"] == "2026-10-08T10:50:00+08:00"
    assert body["seconds"] == 7200 and body["missing_years"] == []


def test_a_naive_time_is_read_in_shanghai_and_an_utc_one_is_converted(agent):
    naive = agent.get(f"{BASE}/5x8/add", {"start": "2026-02-13T17:20", "minutes": 120}).json()
    utc = agent.get(f"{BASE}/5x8/add", {"start": "2026-02-13T09:20:00Z", "minutes": 120}).json()
    assert naive["due"] == utc["due"] == "2026-02-14T10:50:00+08:00"  # Saturday 14 February 2026 is worked
    assert naive["start"] == "2026-02-13T17:20:00+08:00"


def test_a_plus_lost_in_an_unencoded_query_string_is_put_back(agent, world):
    response = agent.client.get(f"/api/v1{BASE}/5x8/add?start=2026-09-30T17:20:00+08:00&minutes=120")
    assert response.status_code == 200 and response.json()["due"] == "2026-10-08T10:50:00+08:00"


def test_missing_years_are_noted(agent):
    body = agent.get(f"{BASE}/5x8/add", {"start": "2026-12-31T17:20:00+08:00", "minutes": 120}).json()
    assert body["missing_years"] == [2027]
    between = agent.get(f"{BASE}/5x8/between", {"start": "2026-12-01T00:00", "end": "2027-01-10T00:00"}).json()
    assert between["missing_years"] == [2027]


def test_between(agent):
    body = agent.get(f"{BASE}/5x8/between", {"start": "2026-02-01T00:00:00+08:00",
                                             "end": "2026-03-01T00:00:00+08:00"}).json()
    assert body == {"calendar": "5x8", "start": "2026-02-01T00:00:00+08:00", "end": "2026-03-01T00:00:00+08:00",
                    "seconds": 16 * 7 * 3600, "minutes": 16 * 7 * 60, "missing_years": []}
    seconds = agent.get(f"{BASE}/5x8/between", {"start": "2026-11-23T09:00:00+08:00",
                                                "end": "2026-11-23T09:00:59+08:00"}).json()
    assert (seconds["seconds"], seconds["minutes"]) == (59, 0)


def test_month(agent):
    body = agent.get(f"{BASE}/5x8/month", {"month": "2026-10"}).json()
    kinds = {d["date"]: d["kind"] for d in body["days"]}
    assert len(kinds) == 31 and kinds["2026-10-01"] == "holiday" and kinds["2026-10-10"] == "adjusted_working"
    assert kinds["2026-10-08"] == "working" and kinds["2026-10-11"] == "rest"


@pytest.mark.parametrize(("path", "params", "field"), [
    ("add", {"start": "yesterday", "minutes": 60}, "start"),
    ("add", {"start": "2026-13-01T00:00", "minutes": 60}, "start"),
    ("add", {"minutes": 60}, "start"),
    ("add", {"start": "2026-10-01T00:00"}, "minutes"),
    ("add", {"start": "2026-10-01T00:00", "minutes": -1}, "minutes"),
    ("add", {"start": "2026-10-01T00:00", "minutes": "soon"}, "minutes"),
    ("add", {"start": "2026-10-01T00:00", "minutes": 10**9}, "minutes"),
    ("add", {"start": "1066-10-14T09:00", "minutes": 60}, "start"),
    ("between", {"start": "2026-10-02T00:00", "end": "2026-10-01T00:00"}, "end"),
    ("between", {"start": "2026-10-02T00:00", "end": "nope"}, "end"),
    ("between", {"start": "2000-01-01T00:00", "end": "2099-01-01T00:00"}, "end"),
    ("month", {"month": "2026-13"}, "month"),
])
def test_bad_input_is_a_422_naming_the_field(agent, path, params, field):
    response = agent.get(f"{BASE}/5x8/{path}", params)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error" and error["fields"][field]


def test_errors_speak_the_callers_language(agent):
    english = agent.get(f"{BASE}/5x8/add", {"start": "x", "minutes": 1}, **{"Accept-Language": "en"})
    assert "ISO 8601" in english.json()["error"]["fields"]["start"]


def test_unknown_calendar_is_404(agent):
    for path in ("nope", "nope/add?start=2026-10-01T00:00&minutes=1", "nope/between?start=2026-10-01&end=2026-10-02"):
        response = agent.get(f"{BASE}/{path}")
        assert response.status_code == 404 and response.json()["error"]["code"] == "calendar_not_found"


def test_anonymous_is_401_and_client_people_403(anonymous, api, world):
    assert anonymous.get(BASE).status_code == 401
    response = api(world.requester_a).get(BASE)
    assert response.status_code == 403
    assert api(world.contact_a).get(f"{BASE}/5x8/add", {"start": "2026-10-01", "minutes": 1}).status_code == 403


def test_a_superuser_without_grants_reads_calendars(superuser):
    client = ApiClient(token_for(superuser), superuser)
    assert client.get(f"{BASE}/5x8").status_code == 200


@pytest.mark.parametrize("url", [BASE, f"{BASE}/5x8", f"{BASE}/5x8/add?start=2026-10-01T09:00&minutes=600",
                                 f"{BASE}/5x8/between?start=2026-10-01&end=2026-11-01"])
def test_query_budget(agent, superuser, url, django_assert_max_num_queries):
    for i in range(5):
        services.calendar_create(by=superuser, code=f"c{i}", name=f"日历{i}")
    agent.get(url)  # warm the engine cache and the token
    with CaptureQueriesContext(connection) as ctx:
        assert agent.get(url).status_code == 200
    # token (joined user), grants, then: list = rows + bounded count; detail = calendar, periods, overrides,
    # loaded years; arithmetic = calendar + the engine's one revision query
    assert len(ctx.captured_queries) <= 7, [q["sql"] for q in ctx.captured_queries]

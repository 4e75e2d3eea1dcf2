"""The SLA over the API: the `sla` block of incidents, `reported_at` on create, due-soonest sort, policies and
attainment — scoped to the caller, with query counts that do not grow with the rows."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_act
from opsdesk.sla import services as sla

from .conftest import clocks_from, local


def test_create_with_reported_at_starts_the_clocks_there(world, gold, api):
    reported = (timezone.now() - dt.timedelta(minutes=25)).replace(microsecond=0)
    response = api(world.agent).post("/incidents", {"title": "核心系统无法登录", "contract": "TAX-2026", "level": 1,
                                                    "requester": "req_a", "reported_at": reported.isoformat()})
    assert response.status_code == 201, response.content
    body = response.json()
    assert dt.datetime.fromisoformat(body["reported_at"]) == reported
    sla_block = body["sla"]
    assert sla_block["state"] == "running" and sla_block["badge"] == "warning"  # 25 of 30 min: past 75 %
    assert dt.datetime.fromisoformat(sla_block["due_at"]) == reported + dt.timedelta(minutes=30)
    clocks = {c["metric"]: c for c in sla_block["clocks"]}
    assert set(clocks) == {"response", "resolution"}
    assert clocks["response"]["calendar"] == "24x7" and clocks["response"]["target_seconds"] == 1800
    assert 4 * 60 <= clocks["response"]["remaining_seconds"] <= 5 * 60
    assert 25 * 60 <= clocks["response"]["elapsed_seconds"] <= 26 * 60


def test_a_reported_at_in_the_future_is_422_and_creates_nothing(world, gold, api):
    future = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    response = api(world.agent).post("/incidents", {"title": "未来的电话", "contract": "TAX-2026",
                                                    "requester": "req_a", "reported_at": future})
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"reported_at"}
    assert not Incident.objects.exists()
    response = api(world.agent).post("/incidents", {"title": "x", "contract": "TAX-2026", "reported_at": "昨天"})
    assert response.status_code == 422 and "reported_at" in response.json()["error"]["fields"]


def test_detail_shows_each_clock_with_breach_and_grade(world, gold, api):
    inc = world.incident(level=1)
    t = local(2026, 11, 2, 9, 0)
    clocks_from(inc, t)
    sla.clocks_stop(inc, metrics=("response",), at=t + dt.timedelta(minutes=12))
    sla.clocks_stop(inc, metrics=("resolution",), at=t + dt.timedelta(hours=5))
    body = api(world.agent).get(f"/incidents/{inc.number}").json()["sla"]
    clocks = {c["metric"]: c for c in body["clocks"]}
    assert (body["state"], body["badge"], body["breached"]) == ("breached", "breached", True)
    assert clocks["response"]["grade"] == "pass" and not clocks["response"]["breached"]
    assert clocks["resolution"]["grade"] == "fail" and clocks["resolution"]["breached"]
    assert clocks["resolution"]["remaining_seconds"] == -3600
    assert dt.datetime.fromisoformat(clocks["resolution"]["breached_at"]) == t + dt.timedelta(hours=4)


def test_requesters_see_the_sla_of_their_incident_too(world, gold, api):
    inc = world.incident(level=2)
    body = api(world.requester_a).get(f"/incidents/{inc.number}").json()
    assert body["sla"]["state"] == "running"
    assert api(world.requester_b).get(f"/incidents/{inc.number}").status_code == 404


def _due_soon(world, n: int) -> list[str]:
    numbers = []
    for i in range(n):
        inc = world.incident(level=1 + i % 4, title=f"到期 {i}")
        numbers.append(inc.number)
    return numbers


def test_due_soonest_sort_lists_running_clocks_soonest_first_with_constant_queries(world, gold, api):
    agent = api(world.agent)
    _due_soon(world, 4)
    agent.get("/incidents", {"sort": "due"})
    with CaptureQueriesContext(connection) as few:
        small = agent.get("/incidents", {"sort": "due", "limit": 200}).json()
    closed = world.incident(level=1)
    incident_act(incident=closed, action="reject", by=world.agent, data={"reason": "不属于范围"})
    _due_soon(world, 20)
    with CaptureQueriesContext(connection) as many:
        large = agent.get("/incidents", {"sort": "due", "limit": 200}).json()
    assert len(few.captured_queries) == len(many.captured_queries) <= 9
    assert len(small["items"]) == 4 and len(large["items"]) == 24
    dues = [item["sla"]["due_at"] for item in large["items"]]
    assert None not in dues and dues == sorted(dues, key=dt.datetime.fromisoformat)
    assert closed.number not in {item["number"] for item in large["items"]}
    # Keyset pages walk the same order.
    first = agent.get("/incidents", {"sort": "due", "limit": 10}).json()
    second = agent.get("/incidents", {"sort": "due", "limit": 10, "cursor": first["next_cursor"]}).json()
    assert [i["number"] for i in first["items"] + second["items"]] == [i["number"] for i in large["items"][:20]]


def test_detail_query_count_does_not_grow_with_clocks(world, gold, api):
    agent = api(world.agent)
    plain = world.incident(level=4)  # no on-site target at level 4: two clocks
    busy = world.incident(level=1)  # three clocks once dispatched
    for inc in (plain, busy):
        incident_act(incident=inc, action="accept", by=world.agent)
        incident_act(incident=inc, action="dispatch", by=world.agent, data={"engineer": "engineer"})
    counts = []
    for number in (plain.number, busy.number):
        agent.get(f"/incidents/{number}")
        with CaptureQueriesContext(connection) as ctx:
            assert agent.get(f"/incidents/{number}").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_policies_are_readable_by_the_contracts_people_only(world, gold, api):
    listed = api(world.engineer).get("/sla/policies").json()
    assert [p["id"] for p in listed["items"]] == [gold.pk]
    detail = api(world.contact_a).get(f"/sla/policies/{gold.pk}").json()
    assert detail["tier"] == "gold" and detail["is_active"]
    assert {(t["level"], t["metric"]): t["minutes"] for t in detail["targets"]}[(1, "on_site")] == 120
    assert detail["response_grading"] == {"very_satisfied_minutes": 5, "satisfied_minutes": 10, "pass_minutes": 15}
    for outsider in (world.agent_b, world.requester_a):
        assert api(outsider).get(f"/sla/policies/{gold.pk}").status_code == 404
        assert api(outsider).get("/sla/policies").json()["items"] == []


def test_attainment_per_level_and_metric(world, gold, api):
    t = local(2026, 10, 12, 9, 0)
    for minutes in (4, 12, 40):  # level 1 responses: two on time, one late (target 30 min)
        inc = world.incident(level=1)
        clocks_from(inc, t)
        sla.clocks_stop(inc, metrics=("response",), at=t + dt.timedelta(minutes=minutes))
    late = world.incident(level=3)
    clocks_from(late, t)
    sla.clocks_stop(late, metrics=("response", "resolution"), at=t + dt.timedelta(days=2))
    november = world.incident(level=1)
    clocks_from(november, local(2026, 11, 2, 9, 0))
    sla.clocks_stop(november, metrics=("response",), at=local(2026, 11, 2, 9, 5))
    body = api(world.pm).get("/sla/attainment", {"contract": "TAX-2026", "month": "2026-10"}).json()
    rows = {(r["level"], r["metric"]): r for r in body["rows"]}
    assert rows[(1, "response")] | {"grades": None} == {"level": 1, "metric": "response", "total": 3, "met": 2,
                                                         "breached": 1, "rate": 66.7, "grades": None}
    assert rows[(1, "response")]["grades"] == {"very_satisfied": 1, "satisfied": 0, "pass": 1, "fail": 1}
    assert (rows[(3, "resolution")]["total"], rows[(3, "resolution")]["breached"]) == (1, 1)
    assert rows[(1, "resolution")]["total"] == 0 and rows[(1, "resolution")]["rate"] is None


def test_attainment_errors(world, gold, api):
    pm = api(world.pm)
    bad = pm.get("/sla/attainment", {"contract": "TAX-2026", "month": "2026-13"})
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"month"}
    assert pm.get("/sla/attainment", {"contract": "HRSS-2026", "month": "2026-10"}).status_code == 404
    assert api(world.requester_a).get("/sla/attainment", {"contract": "TAX-2026", "month": "2026-10"}
                                      ).status_code == 404

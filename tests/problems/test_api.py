"""The problem API: create (on its own, from incidents), detail with allowed_actions and version, actions,
linking, metrics, visibility, hostile input, and the list's query count."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.incidents.models import Incident
from opsdesk.problems import services
from opsdesk.problems.models import Problem, ProblemIncident
from tests.api.conftest import ApiClient, token_for

from .conftest import accepted_incident, escalated_incident


def test_from_incidents_to_solved_over_the_api(world, api, reviewer):
    a = escalated_incident(world, title="社保卡读卡失败")
    b = accepted_incident(world, title="读卡器无响应", level=2)
    r = api(reviewer).post("/problems", {"incidents": [a.number, b.number], "title": "读卡器驱动问题"})
    assert r.status_code == 201, r.content
    prb = r.json()
    assert prb["status"] == "new" and prb["contract"] == "TAX-2026" and prb["level"] == 2
    assert [i["number"] for i in prb["incidents"]] == [a.number, b.number]
    assert [x["name"] for x in prb["allowed_actions"]] == ["investigate", "assign"]
    number = prb["number"]
    r = api(world.second_line).post(f"/problems/{number}/actions/investigate", {"version": prb["version"]})
    assert r.status_code == 200 and r.json()["assignee"] == "dba"
    version = r.json()["version"]
    r = api(world.second_line).post(f"/problems/{number}/actions/mark_known_error",
                                    {"version": version, "workaround": "重插读卡器"})
    assert r.status_code == 422 and set(r.json()["error"]["fields"]) == {"root_cause"}
    r = api(world.second_line).post(f"/problems/{number}/actions/mark_known_error",
                                    {"version": version, "root_cause": "驱动不兼容", "workaround": "重插读卡器"})
    assert r.status_code == 200 and r.json()["known_error"] is True
    version = r.json()["version"]
    r = api(world.second_line).post(f"/problems/{number}/actions/solve", {"version": version - 1, "solution": "x"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "stale_version"
    r = api(world.agent).post(f"/problems/{number}/actions/solve", {"version": version, "solution": "x"})
    assert r.status_code == 403
    r = api(world.second_line).post(f"/problems/{number}/actions/solve", {"version": version, "solution": "升级驱动"})
    assert r.status_code == 200
    out = r.json()
    assert out["status"] == "solved" and out["solution"] == "升级驱动" and out["solved_at"]
    assert {i["status"] for i in out["incidents"]} == {"awaiting_confirmation"}
    assert any(e["action"] == "solve" and e["data"].get("resolved_incidents") for e in out["timeline"])
    assert Incident.objects.get(pk=a.pk).solution == "升级驱动"
    assert [x["name"] for x in api(world.pm).get(f"/problems/{number}").json()["allowed_actions"]] == [
        "close", "reopen"]
    r = api(world.engineer).post(f"/problems/{number}/knowledge")
    assert r.status_code == 201 and r.json()["created"] is True
    again = api(world.pm).post(f"/problems/{number}/knowledge")
    assert again.status_code == 200 and again.json()["article"] == r.json()["article"]
    r = api(world.pm).post(f"/problems/{number}/actions/close", {"version": api(world.pm).get(
        f"/problems/{number}").json()["version"]})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert r.json()["article"] == again.json()["article"]


def test_link_and_unlink(world, api, problem):
    prb = problem("investigating")
    inc = accepted_incident(world)
    c = api(world.engineer)
    r = c.post(f"/problems/{prb.number}/incidents", {"incident": inc.number})
    assert r.status_code == 201 and [i["number"] for i in r.json()["incidents"]] == [inc.number]
    assert c.post(f"/problems/{prb.number}/incidents", {"incident": inc.number}).status_code == 422
    assert c.post(f"/problems/{prb.number}/incidents", {"incident": "INC-20200101-0001"}).status_code == 422
    assert api(world.agent).post(f"/problems/{prb.number}/incidents", {"incident": inc.number}).status_code == 403
    r = c.client.delete(f"/api/v1/problems/{prb.number}/incidents/{inc.number}")
    assert r.status_code == 200 and r.json()["incidents"] == []
    r = c.client.delete(f"/api/v1/problems/{prb.number}/incidents/{inc.number}")
    assert r.status_code == 404
    assert not ProblemIncident.objects.exists()


def test_visibility_clients_and_other_contracts_get_404(world, api, problem):
    prb = problem("new")
    for who in ("requester_a", "contact_a", "agent_b", "requester_b"):
        c = api(getattr(world, who))
        assert c.get(f"/problems/{prb.number}").status_code == 404
        assert c.post(f"/problems/{prb.number}/actions/investigate", {}).status_code == 404
        assert c.post(f"/problems/{prb.number}/incidents", {"incident": "INC-1"}).status_code == 404
        assert c.post(f"/problems/{prb.number}/knowledge").status_code == 404
        assert c.get("/problems").json()["items"] == []
        assert c.get("/problems/metrics").json()["contracts"] == []
    assert api(world.requester_a).post("/problems", {"contract": "TAX-2026", "title": "x"}).status_code == 422
    assert Problem.objects.get(pk=prb.pk).status == "new"


def test_unknown_action_and_wrong_state(world, api, problem):
    prb = problem("new")
    assert api(world.pm).post(f"/problems/{prb.number}/actions/fly", {}).status_code == 404
    assert api(world.pm).post(f"/problems/{prb.number}/actions/close", {}).status_code == 409
    assert api(world.pm).post(f"/problems/{prb.number}/knowledge").status_code == 409


@pytest.mark.parametrize("body", [
    {"contract": "TAX-2026", "title": "a\x00b"},
    {"contract": "TAX-2026\x00", "title": "标题"},
    {"contract": "TAX-2026", "title": "t" * 201},
    {"contract": "TAX-2026", "title": "标题", "level": 9},
    {"contract": "TAX-2026", "title": "标题", "level": "2"},
    {"contract": "TAX-2026", "title": "标题", "category": 2**70},
    {"contract": "TAX-2026", "title": "标题", "category": 999999},
    {"contract": "TAX-2026", "title": "标题", "incidents": "INC-1"},
    {"contract": "TAX-2026", "title": "标题", "incidents": ["INC-20200101-0001"]},
    {"contract": "TAX-2026", "title": "标题", "incidents": [""]},
    {"contract": ["TAX-2026"], "title": "标题"},
    {"contract": "NOPE", "title": "标题"},
    {"title": "标题"},
    "not json",
    [],
])
def test_create_refuses_malformed_bodies(world, api, body):
    r = api(world.engineer).client.post("/api/v1/problems", body if isinstance(body, str) else json.dumps(body),
                                        content_type="application/json")
    assert r.status_code in (400, 422), r.content[:300]
    if r.status_code == 422:
        assert r.json()["error"]["fields"]
    assert not Problem.objects.exists()


def test_actions_refuse_malformed_input(world, api, problem):
    prb = problem("investigating")
    c = api(world.engineer)
    path = f"/problems/{prb.number}/actions/mark_known_error"
    assert c.post(path, {"root_cause": "a\x00", "workaround": "w"}).status_code == 422
    assert c.post(path, {"root_cause": "r", "workaround": "w", "version": "x"}).status_code == 422
    assert c.post(path, {"root_cause": "r", "workaround": "w", "version": 2**40}).status_code == 422
    assert c.post(path, {"root_cause": "长" * 10001, "workaround": "w"}).status_code == 422
    assert c.post(f"/problems/{prb.number}/actions/assign", {"assignee": "req_a"}).status_code == 422
    assert Problem.objects.get(pk=prb.pk).status == "investigating"
    for path in ("/problems/PRB-x", "/problems/%00", "/problems/" + "9" * 500):
        assert c.get(path).status_code in (404, 422)
    assert c.get("/problems", {"cursor": "garbage"}).status_code == 422
    assert c.get("/problems", {"q": "a\x00"}).status_code == 422
    assert c.get("/problems", {"known_error": "maybe"}).status_code == 422
    assert c.get("/problems/metrics", {"date_from": "2026-13-01"}).status_code == 422
    assert c.get("/problems/metrics", {"date_from": "2026-03-02", "date_to": "2026-03-01"}).status_code == 422


def test_list_filters(world, api, problem):
    a = problem("known_error", title="打印驱动")
    b = problem("new", title="VPN")
    c = api(world.pm)
    assert [i["number"] for i in c.get("/problems").json()["items"]] == [b.number, a.number]
    assert [i["number"] for i in c.get("/problems", {"known_error": "true"}).json()["items"]] == [a.number]
    assert [i["number"] for i in c.get("/problems", {"status": "new"}).json()["items"]] == [b.number]
    assert [i["number"] for i in c.get("/problems", {"q": a.number}).json()["items"]] == [a.number]
    assert c.get("/problems", {"contract": "HRSS-2026"}).json()["items"] == []
    page = c.get("/problems", {"limit": 1}).json()
    assert len(page["items"]) == 1 and page["next_cursor"]


def test_metrics_endpoint(world, api, problem):
    problem("solved")
    problem("new")
    r = api(world.pm).get("/problems/metrics", {"contract": "TAX-2026"})
    assert r.status_code == 200, r.content
    rows = r.json()["contracts"]
    assert len(rows) == 1 and rows[0]["opened"] == 2 and rows[0]["solved"] == 1
    assert rows[0]["resolution_rate"] == 0.5 and rows[0]["mean_hours_to_resolve"] is not None


def _make(world, n: int) -> None:
    for i in range(n):
        prb = services.problem_create(by=world.second_line, contract=world.contract_a, title=f"问题{i}")
        services.problem_link_incident(problem=prb, incident=accepted_incident(world), by=world.second_line)
        if i % 2:
            services.problem_act(problem=prb, action="investigate", by=world.second_line)


def _count(user, path: str) -> int:
    client = ApiClient(token_for(user), user)
    client.get(path)
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(path)
    assert r.status_code == 200 and r.json()["items"]
    return len(ctx.captured_queries)


@pytest.mark.parametrize("viewer", ["pm", "engineer"])
def test_list_api_query_count_is_constant_in_rows(world, viewer):
    user = getattr(world, viewer)
    _make(world, 3)
    few = _count(user, "/problems?limit=200")
    _make(world, 12)
    many = _count(user, "/problems?limit=200")
    assert few == many, (few, many)

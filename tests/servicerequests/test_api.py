"""The service request API: create, kinds, detail with version / allowed_actions / steps, actions, stale
versions, hostile input, visibility, and the list's query count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.servicerequests.models import ServiceRequest
from opsdesk.servicerequests.workflow import WORKFLOWS

from .conftest import KINDS, REPORT, act


def _names(body):
    return [a["name"] for a in body["allowed_actions"]]


def test_a_request_over_the_api(world, people, api):
    r = api(world.requester_a).post("/service-requests", {"kind": "data_maintenance", "contract": "TAX-2026",
                                                          "title": "批量修正纳税人地址", "affected_system": "征管"})
    assert r.status_code == 201, r.content
    body = r.json()
    number = body["number"]
    assert body["kind"] == "data_maintenance" and body["status"] == "requested" and body["requester"] == "req_a"
    assert _names(body) == [] and [s["phase"] for s in body["steps"]][:2] == ["current", "next"]
    eng = api(world.engineer)
    body = eng.get(f"/service-requests/{number}").json()
    assert _names(body) == ["assess", "reject_request"]
    assess = body["allowed_actions"][0]
    assert [f["name"] for f in assess["fields"]] == ["effort_hours", "difficulty", "needs_extra_resources"]
    r = eng.post(f"/service-requests/{number}/actions/assess",
                 {"version": body["version"], "effort_hours": 1001, "difficulty": "low"})
    assert r.status_code == 422 and set(r.json()["error"]["fields"]) == {"effort_hours"}
    r = eng.post(f"/service-requests/{number}/actions/assess",
                 {"version": body["version"] - 1, "effort_hours": 4, "difficulty": "low"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "stale_version"
    r = eng.post(f"/service-requests/{number}/actions/assess",
                 {"version": body["version"], "effort_hours": 4, "difficulty": "low", "needs_extra_resources": True})
    assert r.status_code == 200 and r.json()["status"] == "staffing_needed"
    assert r.json()["record"]["effort_hours"] == "4.0"
    owner = api(people.app_owner)
    body = owner.get(f"/service-requests/{number}").json()
    assert _names(body) == ["apply_staffing"]
    r = api(world.pm).post(f"/service-requests/{number}/actions/apply_staffing", {"version": body["version"]})
    assert r.status_code == 403
    r = api(world.pm).post(f"/service-requests/{number}/actions/proceed_without_staffing",
                           {"version": body["version"], "comment": "现有人手可以完成"})
    assert r.status_code == 200 and r.json()["status"] == "assessed"
    dispatch = next(a for a in r.json()["allowed_actions"] if a["name"] == "dispatch")
    assert {c["value"] for c in dispatch["fields"][0]["choices"]} == {"engineer", "engineer2", "dba", "vendor"}
    r = api(world.pm).post(f"/service-requests/{number}/actions/dispatch",
                           {"version": r.json()["version"], "handler": "agent_b"})
    assert r.status_code == 422 and set(r.json()["error"]["fields"]) == {"handler"}
    version = api(world.pm).get(f"/service-requests/{number}").json()["version"]
    r = api(world.pm).post(f"/service-requests/{number}/actions/dispatch", {"version": version, "handler": "engineer"})
    assert r.status_code == 200 and r.json()["handler"] == "engineer"
    r = eng.post(f"/service-requests/{number}/actions/nonsense", {})
    assert r.status_code == 404
    r = eng.post(f"/service-requests/{number}/actions/test_passed", {})
    assert r.status_code == 404  # automatic steps are not takeable
    r = eng.post(f"/service-requests/{number}/actions/submit_plan", {"plan": "p\x00", "impact_analysis": "i",
                                                                     "rollback_plan": "r"})
    assert r.status_code == 422
    assert ServiceRequest.objects.get(number=number).status == "dispatched"


def test_kinds_lists_every_declared_step(world, api):
    r = api(world.requester_a).get("/service-requests/kinds")
    assert r.status_code == 200
    kinds = {k["kind"]: k for k in r.json()}
    assert list(kinds) == list(KINDS)
    for kind, wf in WORKFLOWS.items():
        assert [s["name"] for s in kinds[kind]["steps"]] == [a.name for a in wf.actions]
        assert kinds[kind]["path"][0]["state"] == "requested" and kinds[kind]["path"][-1]["state"] == "closed"
    assert "schedule_change" in kinds["major_change"]["kind_steps"]
    assert "user_sign" in kinds["onsite"]["kind_steps"]
    assert "record_test" not in kinds["data_maintenance"]["kind_steps"]
    step = next(s for s in kinds["urgent"]["steps"] if s["name"] == "write_report")
    assert step["roles"] == ["handler"] and step["sources"] == ["implementing"] and step["target"] == "follow_up"


def test_create_validation_and_links(world, people, api):
    inc_b = world.incident(by=world.agent_b, contract=world.contract_b, requester=world.requester_b)
    inc_a = world.incident()
    agent = api(world.agent)
    r = agent.post("/service-requests", {"kind": "urgent", "contract": "TAX-2026", "title": "x",
                                         "incident": inc_b.number})
    assert r.status_code == 422 and set(r.json()["error"]["fields"]) == {"incident"}
    r = agent.post("/service-requests", {"kind": "bogus", "contract": "TAX-2026", "title": "", "requester": "req_b"})
    assert r.status_code == 422 and set(r.json()["error"]["fields"]) == {"requester"}
    r = agent.post("/service-requests", {"kind": "bogus", "contract": "TAX-2026", "title": ""})
    assert r.status_code == 422 and set(r.json()["error"]["fields"]) == {"kind", "title"}
    r = agent.post("/service-requests", {"kind": "urgent", "contract": "HRSS-2026", "title": "x"})
    assert r.status_code == 422 and set(r.json()["error"]["fields"]) == {"contract"}
    r = agent.post("/service-requests", {"kind": "urgent", "title": "开票中断", "incident": inc_a.number,
                                         "requester": "req_a2"})
    assert r.status_code == 201 and r.json()["incident"] == inc_a.number and r.json()["contract"] == "TAX-2026"
    assert r.json()["requester"] == "req_a2"
    r = api(world.requester_a).post("/service-requests", {"kind": "urgent", "title": "x", "contract": "TAX-2026",
                                                          "incident": inc_a.number, "problem": "PRB-20260101-0001"})
    assert r.status_code == 422 and set(r.json()["error"]["fields"]) == {"problem"}
    assert ServiceRequest.objects.count() == 1


def test_idempotent_create(world, api):
    body = {"kind": "onsite", "contract": "TAX-2026", "title": "打印机上门维修"}
    first = api(world.requester_a).post("/service-requests", body, **{"Idempotency-Key": "k1"})
    again = api(world.requester_a).post("/service-requests", body, **{"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 201 and first.json()["number"] == again.json()["number"]
    assert ServiceRequest.objects.count() == 1


def test_visibility_is_404(world, people, api, drive):
    sr = drive.create("urgent")
    for person in (world.requester_a2, world.requester_b, world.contact_b, world.agent_b):
        assert api(person).get(f"/service-requests/{sr.number}").status_code == 404
        assert api(person).post(f"/service-requests/{sr.number}/actions/assess", {}).status_code == 404
        assert api(person).get("/service-requests").json()["count"] == 0
    for person in (world.requester_a, world.contact_a, people.app_owner, people.leader, people.app_division,
                   world.engineer):
        assert api(person).get(f"/service-requests/{sr.number}").status_code == 200
    assert api(world.engineer).get("/service-requests/SRQ-XYZ").status_code == 404


def test_full_path_by_api_for_onsite(world, people, api, drive):
    sr = drive.dispatched("onsite")
    eng, user = api(world.engineer), api(world.requester_a)
    def go(client, action, **data):
        version = client.get(f"/service-requests/{sr.number}").json()["version"]
        r = client.post(f"/service-requests/{sr.number}/actions/{action}", {"version": version, **data})
        assert r.status_code == 200, r.content
        return r.json()
    go(eng, "agree_arrival", agreed_arrival_at="2030-01-01T09:00", resources_needed="工具")
    go(eng, "record_arrival")
    go(eng, "implement", findings="f", implementation_notes="w")
    assert _names(user.get(f"/service-requests/{sr.number}").json()) == ["user_sign", "user_refuse"]
    out = go(user, "user_sign", signer_name="张三", stamped=True, satisfied=True)
    assert out["status"] == "signed" and out["record"]["stamped"] is True
    out = go(eng, "write_report", **REPORT)
    assert out["status"] == "follow_up" and any(e["data"].get("follow_up") for e in out["timeline"])


def test_list_filters_and_errors(world, api, drive):
    a = drive.dispatched("urgent")
    drive.create("onsite")
    r = api(world.pm).get("/service-requests", {"kind": "urgent", "handler": "engineer"})
    assert [i["number"] for i in r.json()["items"]] == [a.number]
    r = api(world.pm).get("/service-requests", {"kind": "nope"})
    assert r.status_code == 422 and set(r.json()["error"]["fields"]) == {"kind"}
    r = api(world.pm).get("/service-requests", {"limit": 1})
    assert len(r.json()["items"]) == 1 and r.json()["next_cursor"]
    r2 = api(world.pm).get("/service-requests", {"limit": 1, "cursor": r.json()["next_cursor"]})
    assert r2.json()["items"][0]["number"] != r.json()["items"][0]["number"]


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get("/service-requests", {"limit": 50})
    assert r.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["pm", "requester_a"])
def test_list_query_count_constant_in_rows(who, world, people, api, drive):
    client = api(getattr(world, who))
    drive.dispatched("urgent")
    drive.create("onsite")
    _list_queries(client)  # warm: the token's first use and the content-type cache
    few = _list_queries(client)
    for kind in KINDS:
        sr = drive.dispatched(kind)
        act(sr, "cancel", world.pm, reason="测试")
        drive.create(kind)
    assert _list_queries(client) == few

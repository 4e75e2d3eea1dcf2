"""POST /api/v1/incidents/{number}/actions/{action}: the procedure end to end, and every refusal."""

from __future__ import annotations

from opsdesk.core.models import AuditEntry
from opsdesk.incidents.models import Incident, WorkOrder

from .battery import assert_error, nothing_written


def _act(client, number: str, action: str, version: int | None, **data):
    body = {**data, **({"version": version} if version is not None else {})}
    response = client.post(f"/incidents/{number}/actions/{action}", body)
    assert response.status_code == 200, (action, response.content[:500])
    return response.json()


def _allowed(client, number: str) -> set[str]:
    return {a["name"] for a in client.get(f"/incidents/{number}").json()["allowed_actions"]}


def test_full_procedure_from_phone_call_to_closure(world, api):
    agent, engineer, requester = api(world.agent), api(world.engineer), api(world.requester_a)
    created = agent.post("/incidents", {"title": "税控盘无法读取", "contract": "TAX-2026", "requester": "req_a",
                                        "level": 3, "channel": "phone"}).json()
    number = created["number"]
    assert _allowed(requester, number) == set()

    inc = _act(agent, number, "accept", created["version"], comment="电话受理")
    assert inc["status"] == "accepted" and inc["owner"] == "agent" and inc["accepted_at"].endswith("+08:00")

    dispatch = next(a for a in agent.get(f"/incidents/{number}").json()["allowed_actions"] if a["name"] == "dispatch")
    engineer_field = next(f for f in dispatch["fields"] if f["name"] == "engineer")
    assert engineer_field["required"] and engineer_field["type"] == "user"
    assert "engineer" in {c["value"] for c in engineer_field["choices"]}

    inc = _act(agent, number, "dispatch", inc["version"], engineer="engineer", site="三楼办税服务厅")
    assert inc["status"] == "in_progress" and inc["assignee"] == "engineer"
    assert "record_arrival" in _allowed(engineer, number)
    assert "record_arrival" not in _allowed(api(world.engineer2), number)

    inc = _act(engineer, number, "record_arrival", inc["version"])
    detail = engineer.get(f"/incidents/{number}").json()
    assert [(w["engineer"], w["status"], w["site"]) for w in detail["work_orders"]] == [
        ("engineer", "arrived", "三楼办税服务厅")]
    assert detail["work_orders"][0]["arrived_at"].endswith("+08:00")
    assert "record_arrival" not in _allowed(engineer, number)

    inc = _act(engineer, number, "resolve", inc["version"], solution="重新安装税控盘驱动")
    assert inc["status"] == "awaiting_confirmation" and inc["solution"] == "重新安装税控盘驱动"
    assert {"confirm", "reopen"} <= _allowed(requester, number)

    inc = _act(requester, number, "confirm", inc["version"], comment="已恢复，谢谢")
    assert inc["status"] == "closed" and inc["closed_at"] and inc["allowed_actions"] == []

    timeline = agent.get(f"/incidents/{number}").json()["timeline"]
    steps = [(e["kind"], e["action"], e["to_status"]) for e in timeline]
    assert steps == [("created", "", "new"), ("action", "accept", "accepted"),
                     ("action", "dispatch", "in_progress"), ("action", "record_arrival", "in_progress"),
                     ("action", "resolve", "awaiting_confirmation"), ("action", "confirm", "resolved"),
                     ("action", "auto_close", "closed")]
    assert timeline[1]["body"] == "电话受理" and timeline[1]["actor"] == "agent"
    assert timeline[-1]["actor"] is None
    assert WorkOrder.objects.get(incident__number=number).status == "completed"


def test_hold_resume_reopen_and_reject(world, api):
    agent, requester = api(world.agent), api(world.requester_a)
    number = world.incident().number
    inc = _act(agent, number, "accept", 1)
    hold = next(a for a in inc["allowed_actions"] if a["name"] == "hold")
    assert {c["value"] for c in next(f for f in hold["fields"] if f["name"] == "hold_reason")["choices"]} == {
        "customer", "third_party"}
    inc = _act(agent, number, "hold", inc["version"], hold_reason="third_party", note="等待厂商备件")
    assert inc["status"] == "on_hold" and inc["hold_reason"] == "third_party" and inc["hold_note"] == "等待厂商备件"
    inc = _act(agent, number, "resume", inc["version"])
    assert inc["status"] == "accepted"
    inc = _act(agent, number, "resolve", inc["version"], solution="更换网线")
    inc = _act(requester, number, "reopen", inc["version"], reason="还是上不了网")
    assert inc["status"] == "in_progress" and inc["reopen_count"] == 1

    other = world.incident().number
    inc = _act(agent, other, "reject", None, reason="不属于合同服务范围")
    assert inc["status"] == "rejected" and inc["reject_reason"] == "不属于合同服务范围"


def test_version_is_optional_but_a_stale_one_is_409(world, api):
    agent = api(world.agent)
    number = world.incident().number
    inc = _act(agent, number, "accept", None)
    counter = nothing_written(Incident)
    error = assert_error(agent.post(f"/incidents/{number}/actions/start", {"version": 1}), 409, code="stale_version")
    assert "2" in error["message"]
    counter.assert_unchanged()
    assert Incident.objects.get(number=number).status == "accepted"
    assert _act(agent, number, "start", inc["version"])["status"] == "in_progress"


def test_action_not_allowed_in_this_state_is_409(world, api):
    agent, requester = api(world.agent), api(world.requester_a)
    number = world.incident().number
    counter = nothing_written(Incident)
    assert_error(requester.post(f"/incidents/{number}/actions/confirm", {"version": 1}), 409, code="invalid_state")
    assert_error(agent.post(f"/incidents/{number}/actions/close", {"version": 1}), 409, code="invalid_state")
    counter.assert_unchanged()


def test_role_not_allowed_is_403(world, api):
    requester, engineer2 = api(world.requester_a), api(world.engineer2)
    number = world.incident().number
    counter = nothing_written(Incident, WorkOrder)
    assert_error(requester.post(f"/incidents/{number}/actions/accept", {"version": 1}), 403,
                 code="permission_denied")
    assert_error(engineer2.post(f"/incidents/{number}/actions/reject", {"version": 1, "reason": "x"}), 403)
    counter.assert_unchanged()
    assert Incident.objects.get(number=number).version == 1


def test_missing_or_invalid_field_is_422_naming_it(world, api):
    agent = api(world.agent)
    number = world.incident().number
    _act(agent, number, "accept", 1)
    counter = nothing_written(Incident, WorkOrder)
    assert_error(agent.post(f"/incidents/{number}/actions/resolve", {"version": 2}), 422, field="solution")
    assert_error(agent.post(f"/incidents/{number}/actions/resolve", {"version": 2, "solution": "   "}), 422,
                 field="solution")
    assert_error(agent.post(f"/incidents/{number}/actions/dispatch", {"version": 2}), 422, field="engineer")
    assert_error(agent.post(f"/incidents/{number}/actions/dispatch", {"version": 2, "engineer": "agent_b"}), 422,
                 field="engineer")
    assert_error(agent.post(f"/incidents/{number}/actions/hold", {"version": 2, "hold_reason": "lunch",
                                                                  "note": "x"}), 422, field="hold_reason")
    assert_error(agent.post(f"/incidents/{number}/actions/resolve", {"version": 2, "solution": "x" * 10001}), 422,
                 field="solution")
    assert_error(agent.post(f"/incidents/{number}/actions/start", {"version": 2, "comment": "x" * 10001}), 422,
                 field="comment")
    counter.assert_unchanged()


def test_unknown_and_automatic_actions_are_404(world, api):
    agent = api(world.agent)
    number = world.incident().number
    assert_error(agent.post(f"/incidents/{number}/actions/teleport", {}), 404, code="unknown_action")
    assert_error(agent.post(f"/incidents/{number}/actions/auto_close", {}), 404, code="unknown_action")


def test_allowed_actions_are_exactly_what_the_engine_accepts(world, api):
    """Every action offered succeeds; every one not offered is refused (on fresh copies of one incident)."""
    names = ["accept", "start", "assign", "dispatch", "record_arrival", "escalate", "hold", "resume", "resolve",
             "confirm", "reopen", "close", "reject"]
    inputs = {"assign": {"assignee": "engineer"}, "dispatch": {"engineer": "engineer"},
              "escalate": {"reason": "需要数据库支持"}, "hold": {"hold_reason": "customer", "note": "等用户"},
              "resolve": {"solution": "重启"}, "reopen": {"reason": "未解决"}, "reject": {"reason": "范围外"}}
    for person in (world.agent, world.engineer, world.pm, world.requester_a, world.contact_a):
        client = api(person)
        for name in names:
            number = world.incident().number
            offered = _allowed(client, number)
            response = client.post(f"/incidents/{number}/actions/{name}", {"version": 1, **inputs.get(name, {})})
            assert (response.status_code == 200) == (name in offered), (person.username, name, response.content)


def test_each_accepted_action_writes_one_audit_entry(world, api):
    agent = api(world.agent)
    number = world.incident().number
    before = AuditEntry.objects.count()
    _act(agent, number, "accept", 1)
    _act(agent, number, "start", 2)
    assert AuditEntry.objects.count() == before + 2

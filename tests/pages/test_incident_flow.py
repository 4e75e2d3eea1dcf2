"""The whole procedure through the pages: accept, dispatch, arrival, resolve, confirm in the portal → closed."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from django.conf import settings

from opsdesk.core.models import Activity, AuditEntry
from opsdesk.incidents.choices import IncidentStatus as S
from opsdesk.incidents.models import Incident, WorkOrder

from .helpers import act, fresh, text


def _buttons(page: str) -> set[str]:
    return set(re.findall(r'data-action="([a-z_]+)"', page.split('id="timeline"')[0]))


def test_phone_call_to_closure_through_the_pages(world, login):
    agent, engineer, requester = login(world.agent), login(world.engineer), login(world.requester_a)
    inc = world.incident(title="办税大厅叫号机无法出号")
    page = text(agent.get(f"/incidents/{inc.number}/"))
    assert _buttons(page) == {"accept", "reject", "change_level"}
    assert _buttons(text(engineer.get(f"/incidents/{inc.number}/"))) == {"accept"}

    assert act(agent, inc, "accept").status_code == 302
    assert fresh(inc).status == S.ACCEPTED and fresh(inc).owner == world.agent
    page = text(agent.get(f"/incidents/{inc.number}/"))
    assert "dispatch" in _buttons(page) and "accept" not in _buttons(page)
    assert 'id="id_dispatch_engineer"' in page and '<option value="engineer">李工程师</option>' in page

    response = act(agent, inc, "dispatch", engineer="engineer", site="一楼办税大厅", instructions="带备用打印头")
    assert response.status_code == 302
    order = WorkOrder.objects.get(incident=inc)
    assert fresh(inc).status == S.IN_PROGRESS and fresh(inc).assignee == world.engineer
    page = text(engineer.get(f"/incidents/{inc.number}/"))
    assert "record_arrival" in _buttons(page) and order.number in page

    assert act(engineer, inc, "record_arrival").status_code == 302
    order.refresh_from_db()
    assert order.arrived_at is not None
    page = text(engineer.get(f"/incidents/{inc.number}/"))
    shown = order.arrived_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert f'<span class="arrived-at">{shown}</span>' in page  # Beijing time

    assert act(engineer, inc, "resolve", solution="更换打印头后恢复").status_code == 302
    assert fresh(inc).status == S.AWAITING_CONFIRMATION

    page = text(requester.get(f"/portal/incidents/{inc.number}/"))
    assert _buttons(page) == {"confirm", "reopen"} and "更换打印头后恢复" in page
    assert "/portal/incidents/" in page.split('data-action="confirm"')[0].rsplit("<form", 1)[1]
    response = act(requester, inc, "confirm", portal=True)
    assert response.status_code == 302 and response["Location"] == f"/portal/incidents/{inc.number}/"
    assert fresh(inc).status == S.CLOSED

    page = text(requester.get(f"/portal/incidents/{inc.number}/"))
    assert 'data-status="closed"' in page and _buttons(page) == set()
    page = text(agent.get(f"/incidents/{inc.number}/"))
    for action in ("accept", "dispatch", "record_arrival", "resolve", "confirm", "auto_close"):
        assert f'data-action="{action}"' in page.split('id="timeline"')[1], action


def test_a_stale_version_gets_the_conflict_message_and_changes_nothing(world, login):
    inc = world.incident()
    agent, pm = login(world.agent), login(world.pm)
    seen = fresh(inc).version
    assert act(pm, inc, "accept").status_code == 302  # someone else acts first
    before = fresh(inc)
    audits = AuditEntry.objects.count()
    response = act(agent, inc, "reject", version=seen, reason="不属于服务范围")
    page = text(response)
    assert response.status_code == 409
    assert "已被他人修改" in page
    assert f'name="version" value="{before.version}"' in page  # the fresh record, ready to try again
    after = fresh(inc)
    assert (after.status, after.version, after.reject_reason) == (before.status, before.version, "")
    assert AuditEntry.objects.count() == audits


def test_an_action_not_possible_now_is_refused_with_a_message(world, login):
    inc = world.incident()
    response = act(login(world.agent), inc, "resolve", solution="x")
    assert response.status_code == 409 and fresh(inc).status == S.NEW


def test_a_missing_required_field_reopens_the_form_with_its_error(world, login):
    inc = world.incident()
    agent = login(world.agent)
    act(agent, inc, "accept")
    response = act(agent, inc, "resolve", solution="   ")
    page = text(response)
    assert response.status_code == 422
    assert '<details class="action-details" data-action="resolve" open>' in page
    assert 'id="id_resolve_solution-errors"' in page
    assert fresh(inc).status == S.ACCEPTED


def test_a_role_that_may_not_act_gets_403_and_nothing_changes(world, login):
    inc = world.incident()
    response = act(login(world.requester_a), inc, "accept", portal=True)
    assert response.status_code == 403 and fresh(inc).status == S.NEW
    # client people never reach the staff action URL
    assert act(login(world.requester_a), inc, "accept").status_code == 302 and fresh(inc).status == S.NEW


def test_unknown_action_and_invisible_incident_are_404(world, login):
    inc = world.incident()
    assert act(login(world.agent), inc, "teleport").status_code == 404
    assert act(login(world.agent_b), inc, "accept").status_code == 404
    assert act(login(world.requester_b), inc, "confirm", portal=True).status_code == 404
    assert fresh(inc).status == S.NEW


def test_reopen_from_the_portal_needs_a_reason(world, login):
    inc = world.incident()
    agent, requester = login(world.agent), login(world.requester_a)
    act(agent, inc, "accept")
    act(agent, inc, "resolve", solution="重启后恢复")
    response = act(requester, inc, "reopen", portal=True, reason="")
    assert response.status_code == 422 and 'id="id_reopen_reason-errors"' in text(response)
    assert fresh(inc).status == S.AWAITING_CONFIRMATION
    assert act(requester, inc, "reopen", portal=True, reason="仍然无法打印").status_code == 302
    assert fresh(inc).status == S.IN_PROGRESS and fresh(inc).reopen_count == 1


def test_comments_and_internal_notes(world, login):
    inc = world.incident()
    agent, requester = login(world.agent), login(world.requester_a)
    assert agent.post(f"/incidents/{inc.number}/comments/", {"body": "请重启电脑试试"}).status_code == 302
    assert agent.post(f"/incidents/{inc.number}/comments/",
                      {"body": "疑似硬盘故障<img src=x>", "internal": "on"}).status_code == 302
    assert requester.post(f"/portal/incidents/{inc.number}/comments/", {"body": "已重启，无效"}).status_code == 302
    staff_page = text(agent.get(f"/incidents/{inc.number}/"))
    assert "请重启电脑试试" in staff_page and "已重启，无效" in staff_page
    assert "疑似硬盘故障&lt;img src=x&gt;" in staff_page and "internal-marker" in staff_page
    client_page = text(requester.get(f"/portal/incidents/{inc.number}/"))
    assert "请重启电脑试试" in client_page and "已重启，无效" in client_page
    assert "疑似硬盘故障" not in client_page and 'name="internal"' not in client_page
    # a requester cannot sneak in an internal note
    requester.post(f"/portal/incidents/{inc.number}/comments/", {"body": "悄悄话", "internal": "on"})
    assert not Activity.objects.filter(body="悄悄话", internal=True).exists()


def test_an_empty_comment_shows_the_error_and_writes_nothing(world, login):
    inc = world.incident()
    response = login(world.agent).post(f"/incidents/{inc.number}/comments/", {"body": "  "})
    assert response.status_code == 422 and 'id="id_comment_body-errors"' in text(response)
    assert not Activity.objects.filter(kind="comment").exists()


def test_portal_submission_is_on_own_contracts_only(world, login):
    requester = login(world.requester_a)
    page = text(requester.get("/portal/new/"))
    assert "autofocus" in page and all(str(text_) in page for text_ in settings.OPSDESK_LEVEL_HELP.values())
    response = requester.post("/portal/new/", {"contract": "TAX-2026", "title": "网页打不开", "level": "4",
                                                "description": "<script>x</script>"})
    assert response.status_code == 302
    inc = Incident.objects.get()
    assert (inc.channel, inc.requester, inc.created_by) == ("portal", world.requester_a, world.requester_a)
    assert response["Location"] == f"/portal/incidents/{inc.number}/"
    response = requester.post("/portal/new/", {"contract": "HRSS-2026", "title": "别人的合同", "level": "4"})
    assert response.status_code == 422 and 'id="id_contract-errors"' in text(response)
    assert Incident.objects.count() == 1


def test_hold_and_resume_show_the_reason_by_its_label(world, login):
    inc = world.incident()
    agent = login(world.agent)
    act(agent, inc, "accept")
    page = text(agent.get(f"/incidents/{inc.number}/"))
    assert '<option value="customer">' in page  # the choice field of the hold form
    assert act(agent, inc, "hold", hold_reason="customer", note="等用户回电").status_code == 302
    assert fresh(inc).status == S.ON_HOLD
    page = text(agent.get(f"/incidents/{inc.number}/"))
    timeline = page.split('id="timeline"')[1]
    assert "等待客户" in timeline and "等用户回电" in timeline and ">customer<" not in timeline
    assert _buttons(page) >= {"resume"}
    assert act(agent, inc, "resume").status_code == 302 and fresh(inc).status == S.ACCEPTED

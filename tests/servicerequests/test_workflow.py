"""The seven procedures end to end by their declared roles, every branch, and every refusal."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from opsdesk.accounts.choices import Role
from opsdesk.core.approvals import pending_for
from opsdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from opsdesk.core.models import Activity, AuditEntry
from opsdesk.core.workflow import describe_actions
from opsdesk.followups.models import FollowUp
from opsdesk.knowledge.models import KnowledgeArticle
from opsdesk.servicerequests import services
from opsdesk.servicerequests.models import ServiceRequest
from opsdesk.servicerequests.workflow import KINDS as SPECS
from opsdesk.servicerequests.workflow import WORKFLOWS, step_list, workflow_for
from tests.factories import UserFactory, grant

from .conftest import KINDS, REPORT, act, later

REWORK = {"urgent": "analysing", "onsite": "on_site"}


def _timeline(sr):
    return list(Activity.objects.filter(content_type=ContentType.objects.get_for_model(ServiceRequest),
                                        object_id=sr.pk).order_by("id").values_list("action", flat=True))


@pytest.mark.parametrize("kind", KINDS)
def test_happy_path_to_closure_and_knowledge(kind, world, people, drive):
    sr = drive.create(kind)
    assert sr.number.startswith("SRQ-") and sr.status == "requested" and sr.requester == world.requester_a
    assert workflow_for(sr) is WORKFLOWS[kind]
    sr = drive.reported(kind)
    assert sr.status == "follow_up" and sr.reported_at is not None
    assert sr.phenomenon == REPORT["phenomenon"] and sr.log == REPORT["log"]
    fu = drive.follow_up(sr)
    assert fu.ticket_number == sr.number and fu.requester == world.requester_a
    sr = drive.confirm_follow_up(sr)
    assert sr.status == "awaiting_closure"
    assert [x["name"] for x in describe_actions(workflow_for(sr), sr, people.app_owner)] == ["close"]
    sr = act(sr, "close", people.app_owner)
    assert sr.status == "closed" and sr.closed_at is not None
    assert [s["phase"] for s in step_list(sr)] == ["done"] * len(step_list(sr))
    sr = act(sr, "maintain_knowledge", world.engineer, new_article=True)
    article = KnowledgeArticle.objects.get(pk=sr.knowledge_article_id)
    assert sr.knowledge_done and article.status == "draft" and article.symptom == REPORT["phenomenon"]
    assert article.keywords == sr.number and article.author == world.engineer
    with pytest.raises(PermissionDenied):  # once only
        services.request_act(sr=sr, action="maintain_knowledge", by=world.engineer, data={"reason": "再来"})
    actions = _timeline(sr)
    assert actions[0] == "" and "dispatch" in actions and actions[-3:] == [
        "follow_up_confirmed", "close", "maintain_knowledge"]
    assert AuditEntry.objects.filter(action__startswith=f"service_request.{kind}.").count() == len(actions) - 1


@pytest.mark.parametrize("kind", KINDS)
def test_follow_up_sent_back_returns_to_the_handler_and_reports_again(kind, world, drive):
    sr = drive.send_back(drive.reported(kind), reason="报表仍然出错")
    assert sr.status == REWORK.get(kind, "implementing")
    assert sr.sent_back_reason == "报表仍然出错" and sr.sent_back_count == 1
    assert FollowUp.objects.get(ticket_id=sr.pk).status == "sent_back"
    if kind == "urgent":
        sr = act(sr, "record_solution", world.engineer, root_cause="a", potential_risks="b", solution="c",
                 om_advice="d")
    elif kind == "onsite":
        act(sr, "implement", world.engineer, findings="f", implementation_notes="再次处理")
        sr = act(sr, "user_sign", world.contact_a, signer_name="刘科长", stamped=True, satisfied=True)
    else:
        sr = act(sr, "implement", world.engineer, implementation_notes="重新实施")
    sr = act(sr, "write_report", world.engineer, **REPORT)
    assert sr.status == "follow_up"
    assert FollowUp.objects.filter(ticket_id=sr.pk).count() == 2
    assert drive.confirm_follow_up(sr).status == "awaiting_closure"


def test_staffing_rejected_then_proceed_without(world, people, drive):
    sr = drive.create("migration")
    act(sr, "assess", world.engineer, effort_hours="120", difficulty="high", needs_extra_resources=True)
    assert sr.status == "staffing_needed" and sr.effort_hours == 120
    assert "require_staffing" in _timeline(sr)
    assert [i.number for i in pending_for(people.app_owner)] == [sr.number]
    act(sr, "apply_staffing", people.app_owner, staffing_resources="两名 DBA", staffing_reason="并行迁移")
    assert sr.status == "staffing_review"
    assert [(i.number, i.url) for i in pending_for(people.leader)] == [(sr.number, sr.get_absolute_url())]
    assert pending_for(people.app_owner) == []
    act(sr, "reject_staffing", people.leader, reason="本月无预算")
    assert sr.status == "staffing_needed" and sr.staffing_reject_reason == "本月无预算"
    act(sr, "proceed_without_staffing", world.pm)
    assert sr.status == "assessed" and sr.staffing_waived and not sr.staffing_approved
    assert act(sr, "dispatch", world.pm, handler="dba").status == "dispatched"
    assert [s["phase"] for s in step_list(sr)][:4] == ["done", "done", "current", "next"]


def test_staffing_reapplied_and_approved(world, people, drive):
    sr = drive.create("optimisation")
    act(sr, "assess", world.second_line, effort_hours="40", difficulty="medium", needs_extra_resources=True)
    act(sr, "apply_staffing", people.app_owner, staffing_resources="一名中间件专家", staffing_reason="调优")
    act(sr, "reject_staffing", people.leader, reason="理由不充分")
    act(sr, "apply_staffing", people.app_owner, staffing_resources="一名中间件专家", staffing_reason="高峰期将至")
    act(sr, "approve_staffing", people.leader)
    assert sr.status == "assessed" and sr.staffing_approved
    assert act(sr, "dispatch", world.pm, handler="vendor").handler == people.vendor


@pytest.mark.parametrize("kind", ["major_change", "optimisation", "migration", "data_maintenance", "collaborative"])
def test_plan_rejected_then_new_plan(kind, world, people, drive):
    sr = drive.dispatched(kind)
    if kind == "collaborative":
        act(sr, "coordinate", world.engineer, collaborators="财务系统")
    act(sr, "submit_plan", world.engineer, plan="v1", impact_analysis="i", rollback_plan="r")
    assert [i.step for i in pending_for(people.app_owner)] == [str(workflow_for(sr).action("approve_plan").label)]
    act(sr, "reject_plan", people.app_owner, reason="回退方案不完整")
    assert sr.status == ("collaborating" if kind == "collaborative" else "dispatched")
    assert sr.plan_reject_reason == "回退方案不完整" and not sr.plan_approved
    act(sr, "submit_plan", world.engineer, plan="v2", impact_analysis="i", rollback_plan="r2")
    act(sr, "approve_plan", people.app_owner)
    assert sr.plan == "v2" and sr.plan_approved
    assert sr.status == ("implementing" if kind == "data_maintenance" else "testing")


@pytest.mark.parametrize("kind", ["major_change", "optimisation", "migration", "collaborative"])
def test_failed_test_goes_back(kind, world, people, drive):
    sr = drive.dispatched(kind)
    if kind == "collaborative":
        act(sr, "coordinate", world.engineer, collaborators="财务系统")
    act(sr, "submit_plan", world.engineer, plan="p", impact_analysis="i", rollback_plan="r")
    act(sr, "approve_plan", people.app_owner)
    act(sr, "record_test", world.engineer, test_environment="UAT", test_passed=False, test_notes="回归失败")
    assert sr.status == ("collaborating" if kind == "collaborative" else "dispatched")
    assert sr.test_passed is False and _timeline(sr)[-2:] == ["record_test", "test_failed"]
    act(sr, "submit_plan", world.engineer, plan="p2", impact_analysis="i", rollback_plan="r")
    act(sr, "approve_plan", people.app_owner)
    assert sr.status == "testing" and sr.test_passed is None


def test_urgent_not_system_down_goes_straight_to_analysis(world, drive):
    sr = drive.dispatched("urgent")
    act(sr, "confirm_outage", world.pm, system_down=False, affected_business="个别窗口")
    assert sr.status == "analysing" and sr.system_down is False
    sr = act(sr, "record_solution", world.engineer, root_cause="a", potential_risks="b", solution="c",
             om_advice="d")
    assert sr.status == "implementing"
    phases = {s["state"]: s["phase"] for s in step_list(sr)}
    assert phases["restoring"] == "skipped" and phases["implementing"] == "current"


def test_onsite_refusal_then_sign_and_optional_plan(world, people, drive):
    sr = drive.dispatched("onsite")
    act(sr, "agree_arrival", world.engineer, agreed_arrival_at=later(), resources_needed="工具")
    act(sr, "record_arrival", world.engineer)
    assert sr.status == "on_site" and sr.arrived_at is not None
    act(sr, "submit_plan", world.engineer, plan="更换网卡", impact_analysis="无", rollback_plan="换回")
    act(sr, "approve_plan", world.requester_a)  # with the user on site
    assert sr.status == "on_site" and sr.plan_approved
    act(sr, "implement", world.engineer, findings="网卡故障", implementation_notes="已更换")
    act(sr, "user_refuse", world.contact_a, reason="打印仍有问题")
    assert sr.status == "on_site" and sr.refuse_reason == "打印仍有问题"
    act(sr, "implement", world.engineer, findings="驱动问题", implementation_notes="重装驱动")
    with pytest.raises(ValidationError) as exc:
        services.request_act(sr=sr, action="user_sign", by=people.app_owner,
                             data={"signer_name": "何处长", "stamped": False, "satisfied": True})
    assert set(exc.value.fields) == {"stamped"}
    sr.refresh_from_db()
    assert sr.status == "signing"
    act(sr, "user_sign", people.app_owner, signer_name="何处长", stamped=True, satisfied=True)
    assert sr.status == "signed" and sr.signer_name == "何处长" and sr.signed_at is not None


@pytest.mark.parametrize("kind", KINDS)
def test_cancel_and_reject(kind, world, drive):
    sr = drive.dispatched(kind)
    act(sr, "cancel", world.pm, reason="客户撤回")
    assert sr.status == "cancelled" and sr.cancel_reason == "客户撤回"
    other = drive.create(kind)
    act(other, "reject_request", world.engineer, reason="不在合同范围内")
    assert other.status == "rejected" and other.reject_reason == "不在合同范围内"
    assert all(s["phase"] == "next" for s in step_list(other))


def test_cancel_is_possible_from_every_working_state_only():
    for kind, wf in WORKFLOWS.items():
        sources = set(wf.action("cancel").sources)
        assert {"requested", "assessed", "dispatched"} <= sources
        assert not sources & {"follow_up", "awaiting_closure", "closed", "cancelled", "rejected"}
        assert set(SPECS[kind].path) <= sources


def test_knowledge_without_article_needs_a_reason(world, drive):
    sr = drive.closed("data_maintenance")
    with pytest.raises(ValidationError) as exc:
        services.request_act(sr=sr, action="maintain_knowledge", by=world.engineer, data={})
    assert set(exc.value.fields) == {"reason"}
    sr.refresh_from_db()
    assert not sr.knowledge_done
    sr = act(sr, "maintain_knowledge", world.engineer, reason="常规操作，已有知识覆盖")
    assert sr.knowledge_done and sr.knowledge_article_id is None and sr.no_knowledge_reason


def test_vendor_handler_cannot_draft_knowledge_but_can_record_none(world, people, drive):
    sr = drive.create("migration")
    act(sr, "assess", world.engineer, effort_hours="8", difficulty="low")
    act(sr, "dispatch", world.pm, handler="vendor")
    sr.handler = people.vendor
    ServiceRequest.objects.filter(pk=sr.pk).update(status="closed")
    sr.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.request_act(sr=sr, action="maintain_knowledge", by=people.vendor, data={"new_article": True})
    assert set(exc.value.fields) == {"new_article"} and not KnowledgeArticle.objects.exists()
    sr.refresh_from_db()
    assert sr.status == "closed" and not sr.knowledge_done


# --- refusals ------------------------------------------------------------------------------------------------

def _only(role, contract, org=None):
    return grant(UserFactory(username=f"only_{role}", organisation=org), role, contract)


def test_every_role_not_declared_is_refused(world, drive):
    users = {role: _only(role, world.contract_a, world.org_a if role in (
        "requester", "client_contact", "app_owner", "division_leader", "app_division") else None)
        for role in Role.values}
    base = drive.create("urgent")
    checked = 0
    for kind, wf in WORKFLOWS.items():
        for action in wf.actions:
            if action.automatic:
                continue
            sr = ServiceRequest.objects.get(pk=base.pk)
            ServiceRequest.objects.filter(pk=sr.pk).update(kind=kind, status=action.sources[0],
                                                           handler=world.engineer, knowledge_done=False)
            sr.refresh_from_db()
            for role, user in users.items():
                if role in action.roles:
                    continue
                with pytest.raises(PermissionDenied):
                    services.request_act(sr=sr, action=action.name, by=user, data={})
                assert action.name not in [a["name"] for a in describe_actions(wf, sr, user)]
                checked += 1
    assert checked > 1500
    assert ServiceRequest.objects.get(pk=base.pk).version == base.version
    assert not Activity.objects.filter(object_id=base.pk, kind="action").exists()


def test_system_actions_refuse_every_person(world, people, drive):
    sr = drive.reported("optimisation")
    for action in ("follow_up_confirmed", "follow_up_sent_back"):
        for person in (world.engineer, world.pm, people.app_owner, world.requester_a):
            with pytest.raises(PermissionDenied):
                services.request_act(sr=sr, action=action, by=person, data={"reason": "x"})
    with pytest.raises(NotFound):
        services.request_act(sr=sr, action="test_passed", by=None)  # automatic: not takeable


def test_action_in_wrong_state_is_a_conflict(world, drive):
    sr = drive.create("urgent")
    with pytest.raises(Conflict):
        services.request_act(sr=sr, action="dispatch", by=world.pm, data={"handler": "engineer"})
    with pytest.raises(NotFound):
        services.request_act(sr=sr, action="schedule_change", by=world.pm, data={})  # not of this kind

"""Service request helpers: the client's application owner, division leader and application division on
contract A, a vendor engineer, and a driver taking a request of any kind along its happy path by the
declared roles."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from opsdesk.followups.models import FollowUp
from opsdesk.followups.services import followup_act, open_followup_of
from opsdesk.servicerequests import services
from opsdesk.servicerequests.models import ServiceRequest
from tests.factories import UserFactory, grant

KINDS = ("urgent", "major_change", "optimisation", "migration", "data_maintenance", "onsite", "collaborative")
REPORT = {"phenomenon": "系统响应缓慢", "analysis": "排查数据库与中间件", "cause": "连接池耗尽",
          "steps": "扩大连接池并重启服务", "log": "09:00 开始处理；10:30 完成"}


@dataclass
class People:
    app_owner: object
    leader: object
    app_division: object
    vendor: object


@pytest.fixture
def people(world) -> People:
    return People(
        app_owner=grant(UserFactory(username="owner_a", full_name="何处长", organisation=world.org_a), "app_owner",
                        world.contract_a),
        leader=grant(UserFactory(username="leader_a", full_name="黄局长", organisation=world.org_a),
                     "division_leader", world.contract_a),
        app_division=grant(UserFactory(username="appdiv_a", full_name="林科员", organisation=world.org_a),
                           "app_division", world.contract_a),
        vendor=grant(UserFactory(username="vendor", full_name="厂商工程师"), "vendor", world.contract_a),
    )


def act(sr: ServiceRequest, action: str, by, **data) -> ServiceRequest:
    services.request_act(sr=sr, action=action, by=by, data=data)
    sr.refresh_from_db()
    return sr


def later(hours: int = 2) -> str:
    return timezone.localtime(timezone.now() + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


class Driver:
    """Takes a request along its kind's happy path, one named step at a time, each by its declared role."""

    def __init__(self, world, people: People) -> None:
        self.w, self.p = world, people

    def create(self, kind: str, **kwargs) -> ServiceRequest:
        kwargs.setdefault("title", "核心征管系统性能优化")
        kwargs.setdefault("description", "月底高峰期响应慢")
        return services.request_create(by=kwargs.pop("by", self.w.requester_a), contract=self.w.contract_a,
                                       kind=kind, **kwargs)

    def dispatched(self, kind: str, **kwargs) -> ServiceRequest:
        sr = self.create(kind, **kwargs)
        act(sr, "assess", self.w.second_line, effort_hours="16", difficulty="medium", needs_extra_resources=False)
        return act(sr, "dispatch", self.w.pm, handler="engineer")

    def work(self, sr: ServiceRequest) -> ServiceRequest:
        """From dispatched to the state the service report is written from."""
        eng, owner = self.w.engineer, self.p.app_owner
        if sr.kind == "urgent":
            act(sr, "confirm_outage", eng, system_down=True, affected_business="全市办税大厅无法开票")
            assert sr.status == "restoring"
            act(sr, "restore", eng, restore_notes="切换到备用数据库")
            return act(sr, "record_solution", eng, root_cause="存储故障", potential_risks="备库性能不足",
                       solution="更换存储控制器", om_advice="加强存储巡检")
        if sr.kind == "onsite":
            act(sr, "agree_arrival", eng, agreed_arrival_at=later(), resources_needed="笔记本、串口线")
            act(sr, "record_arrival", eng)
            act(sr, "implement", eng, findings="交换机端口故障", implementation_notes="更换端口并测试")
            return act(sr, "user_sign", self.w.requester_a, signer_name="张三", stamped=True, satisfied=True)
        if sr.kind == "collaborative":
            act(sr, "coordinate", eng, collaborators="财务系统：王工；网络：赵工")
        act(sr, "submit_plan", eng, plan="分批迁移", impact_analysis="停机 2 小时", rollback_plan="回切旧库")
        act(sr, "approve_plan", owner)
        if sr.kind != "data_maintenance":
            act(sr, "record_test", eng, test_environment="测试环境", test_passed=True, test_notes="全部通过")
        if sr.kind == "major_change":
            assert sr.status == "awaiting_window"
            act(sr, "schedule_change", self.w.pm, change_window_start=later(24), change_window_end=later(26))
        assert sr.status == "implementing"
        return act(sr, "implement", eng, implementation_notes="按方案实施完成")

    def reported(self, kind: str, **kwargs) -> ServiceRequest:
        sr = self.work(self.dispatched(kind, **kwargs))
        return act(sr, "write_report", self.w.engineer, **REPORT)

    def follow_up(self, sr: ServiceRequest) -> FollowUp:
        fu = open_followup_of(sr)
        assert fu is not None
        return fu

    def confirm_follow_up(self, sr: ServiceRequest) -> ServiceRequest:
        fu = self.follow_up(sr)
        followup_act(follow_up=fu, action="verify", by=self.w.engineer2, data={"verification": "复核方案"})
        followup_act(follow_up=fu, action="call_back", by=self.w.engineer2, data={"callback_note": "已告知用户"})
        followup_act(follow_up=fu, action="confirm", by=self.w.requester_a, data={"no_side_effects": True})
        followup_act(follow_up=fu, action="update_tracking", by=self.w.pm, data={})
        followup_act(follow_up=fu, action="close", by=self.w.engineer2, data={})
        sr.refresh_from_db()
        return sr

    def send_back(self, sr: ServiceRequest, reason: str = "问题仍然存在") -> ServiceRequest:
        fu = self.follow_up(sr)
        followup_act(follow_up=fu, action="verify", by=self.w.engineer2, data={"verification": "复核方案"})
        followup_act(follow_up=fu, action="call_back", by=self.w.engineer2, data={"callback_note": "已告知用户"})
        followup_act(follow_up=fu, action="send_back", by=self.w.requester_a, data={"reason": reason})
        sr.refresh_from_db()
        return sr

    def closed(self, kind: str, **kwargs) -> ServiceRequest:
        sr = self.confirm_follow_up(self.reported(kind, **kwargs))
        return act(sr, "close", self.p.app_owner)


@pytest.fixture
def drive(world, people) -> Driver:
    return Driver(world, people)

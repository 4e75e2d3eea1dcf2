"""Confirmation helpers: the reviewer, the application owner and division of contract A, and items taken
along the procedure by the declared roles."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from opsdesk.accounts.models import User
from opsdesk.confirmations import services
from opsdesk.confirmations.models import Confirmation
from tests.factories import UserFactory, grant


@dataclass
class Client:
    reviewer: User
    owner: User
    division: User
    leader: User


@pytest.fixture
def people(world) -> Client:
    return Client(
        reviewer=grant(UserFactory(username="reviewer", full_name="郑审核"), "reviewer", world.contract_a),
        owner=grant(UserFactory(username="owner_a", full_name="钱负责人", organisation=world.org_a), "app_owner",
                    world.contract_a),
        division=grant(UserFactory(username="appdiv_a", full_name="曹应用处", organisation=world.org_a),
                       "app_division", world.contract_a),
        leader=grant(UserFactory(username="leader_a", full_name="冯处长", organisation=world.org_a),
                     "division_leader", world.contract_a))


STEPS = ("submitted", "reviewing", "checked", "confirmed")


@pytest.fixture
def item(world, people):
    """`item(kind, status, **fields)`: an item of contract A taken to `status` (up to confirmed, queued or
    in_report via the urgent path) by the declared roles."""
    def make(kind: str = "bug", status: str = "submitted", *, title: str = "申报表保存后数据丢失",
             contract=None, by=None, confirmed_at: dt.datetime | None = None) -> Confirmation:
        reviewer = people.reviewer
        cfm = services.confirmation_create(by=by or world.second_line, kind=kind,
                                           contract=contract or world.contract_a, title=title,
                                           description="保存增值税申报表后再次打开为空")
        target = status
        path = ["submitted", "reviewing", "checked", "confirmed"]
        if status in ("queued", "in_report"):
            path.append(status)
        for step in path[1:path.index(target) + 1] if target in path else []:
            cfm.refresh_from_db()
            if step == "reviewing":
                services.confirmation_act(item=cfm, action="take_review", by=reviewer)
            elif step == "checked":
                services.confirmation_act(item=cfm, action="reproduce" if kind == "bug" else "confirm_with_user",
                                          by=reviewer, data={"check_notes": "在模拟环境中按步骤重现"})
            elif step == "confirmed":
                services.confirmation_act(item=cfm, action="confirm", by=reviewer, data={
                    "confirmed_with": "开发 王工", "summary": "保存接口未提交事务", "impact": "申报数据丢失"})
                if confirmed_at is not None:
                    Confirmation.objects.filter(pk=cfm.pk).update(confirmed_at=confirmed_at)
            elif step == "queued":
                services.confirmation_act(item=cfm, action="queue_monthly", by=reviewer)
            elif step == "in_report":
                services.confirmation_act(item=cfm, action="mark_urgent", by=reviewer)
        cfm.refresh_from_db()
        assert cfm.status == status, cfm.status
        return cfm
    return make


def local(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, hour), timezone.get_current_timezone())

"""Follow-up helpers: an escalated incident whose problem was solved, so a follow-up is open on it."""

from __future__ import annotations

import pytest

from opsdesk.followups.models import FollowUp
from opsdesk.followups.services import followup_act
from opsdesk.problems import services as problems
from tests.problems.conftest import escalated_incident


@pytest.fixture
def solved(world):
    """`solved()` → (incident, problem, follow_up): the problem solved by second line, the follow-up open."""
    def make():
        inc = escalated_incident(world)
        prb = problems.problem_create_from_incidents(by=world.second_line, incidents=[inc], title="打印服务崩溃")
        problems.problem_act(problem=prb, action="investigate", by=world.second_line)
        problems.problem_act(problem=prb, action="solve", by=world.second_line,
                             data={"root_cause": "驱动冲突", "solution": "升级驱动到 5.2"})
        inc.refresh_from_db()
        prb.refresh_from_db()
        return inc, prb, FollowUp.objects.get(ticket_number=inc.number)
    return make


def walk(follow_up, world, until: str):
    """Take the follow-up along the happy path up to (and including) the step `until`."""
    steps = [("verify", world.engineer, {"verification": "在测试机上按方案操作，打印正常"}),
             ("call_back", world.engineer, {"callback_note": "已电话告知用户升级驱动"}),
             ("confirm", world.requester_a, {"no_side_effects": True, "user_statement": "好了，别的也正常"}),
             ("update_tracking", world.pm, {"tracking_note": "跟踪表已更新"}),
             ("close", world.engineer, {"solution_record": "升级驱动到 5.2"})]
    sources = {"verify": "open", "call_back": "verified", "confirm": "called_back", "update_tracking": "confirmed",
               "close": "tracked"}
    for action, who, data in steps:
        follow_up.refresh_from_db()
        if follow_up.status == sources[action]:  # steps already taken are skipped
            followup_act(follow_up=follow_up, action=action, by=who, data=data)
        if action == until:
            break
    follow_up.refresh_from_db()
    return follow_up

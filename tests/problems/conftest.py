"""Problem test helpers: a problem reviewer on contract A, problems taken along the procedure, incidents."""

from __future__ import annotations

import pytest

from opsdesk.incidents.services import incident_act
from opsdesk.problems import services
from opsdesk.problems.models import Problem
from tests.factories import UserFactory, grant


@pytest.fixture
def reviewer(world):
    return grant(UserFactory(username="reviewer", full_name="郑审核"), "reviewer", world.contract_a)


def accepted_incident(world, **kwargs):
    """An incident on contract A accepted by the agent (owner and assignee: the agent)."""
    inc = world.incident(**kwargs)
    incident_act(incident=inc, action="accept", by=world.agent)
    inc.refresh_from_db()
    return inc


def escalated_incident(world, **kwargs):
    """An accepted incident escalated to the second-line engineer (dba)."""
    inc = accepted_incident(world, **kwargs)
    incident_act(incident=inc, action="escalate", by=world.agent,
                 data={"reason": "一线无法解决", "assignee": "dba"})
    inc.refresh_from_db()
    return inc


@pytest.fixture
def problem(world):
    """`problem(status=..., by=..., **fields)`: a problem on contract A taken to `status` by the right roles."""
    def make(status: str = "new", *, by=None, **fields) -> Problem:
        fields.setdefault("title", "打印服务反复崩溃")
        fields.setdefault("description", "多台电脑打印时报错")
        prb = services.problem_create(by=by or world.second_line, contract=world.contract_a, **fields)
        who = by or world.second_line
        if status != "new":
            services.problem_act(problem=prb, action="investigate", by=who)
        if status in ("known_error",):
            services.problem_act(problem=prb, action="mark_known_error", by=who,
                                 data={"root_cause": "驱动版本冲突", "workaround": "重启打印服务"})
        if status in ("solved", "closed"):
            services.problem_act(problem=prb, action="solve", by=who,
                                 data={"root_cause": "驱动版本冲突", "solution": "统一升级驱动到 5.2"})
        if status == "closed":
            services.problem_act(problem=prb, action="close", by=world.pm)
        if status == "cancelled":
            services.problem_act(problem=prb, action="cancel", by=world.pm, data={"reason": "重复"})
        prb.refresh_from_db()
        assert prb.status == status
        return prb
    return make

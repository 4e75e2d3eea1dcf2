"""Problems in the search (kind "problem"): only the staff of the contract find them; edits re-index."""

from __future__ import annotations

from opsdesk.problems import services
from opsdesk.search.selectors import SearchFilters, search


def numbers(user, q: str, **kwargs) -> list[str]:
    return [h.number for h in search(visible_to=user, filters=SearchFilters(q=q, types=["problem"], **kwargs))]


def test_staff_of_the_contract_find_problems_nobody_else(world, problem):
    prb = problem("new", title="税控盘驱动冲突", affected_system="开票系统")
    for who in ("agent", "engineer", "pm", "second_line"):
        assert numbers(getattr(world, who), "税控盘") == [prb.number]
    assert numbers(world.pm, "开票系统") == [prb.number]
    for who in ("requester_a", "contact_a", "agent_b", "requester_b"):
        assert numbers(getattr(world, who), "税控盘") == []
        hits = search(visible_to=getattr(world, who), filters=SearchFilters(q="税控盘"))
        assert [h for h in hits if h.type == "problem"] == []


def test_root_cause_and_solution_are_indexed(world, problem):
    prb = problem("investigating")
    assert numbers(world.pm, "内存泄漏") == []
    services.problem_act(problem=prb, action="record_analysis", by=world.engineer,
                         data={"root_cause": "中间件内存泄漏"})
    assert numbers(world.pm, "内存泄漏") == [prb.number]

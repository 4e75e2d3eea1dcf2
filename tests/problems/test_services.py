"""The problem procedure by the declared roles, refusals for every other role, linking incidents, resolving
them on solve, publishing as knowledge, metrics."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone, translation

from opsdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from opsdesk.core.models import Activity, AuditEntry
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_act
from opsdesk.knowledge.models import KnowledgeArticle
from opsdesk.notifications.models import Notification
from opsdesk.problems import services
from opsdesk.problems.models import Problem, ProblemIncident
from opsdesk.problems.selectors import problem_get, problem_metrics, problems_of_incident
from opsdesk.problems.workflow import PROBLEM_WORKFLOW

from .conftest import accepted_incident, escalated_incident

EVERYONE = ["agent", "engineer", "second_line", "pm", "reviewer", "requester_a", "contact_a", "agent_b",
            "requester_b", "contact_b"]
INVESTIGATORS = {"engineer", "second_line", "pm", "reviewer"}
DATA = {"assignee": "engineer", "root_cause": "驱动版本冲突", "workaround": "重启打印服务",
        "solution": "统一升级驱动", "reason": "理由"}


def _user(world, reviewer, who):
    return reviewer if who == "reviewer" else getattr(world, who)


def _names(problem, user):
    return [a.name for a in PROBLEM_WORKFLOW.allowed_actions(problem, user)]


def _problem_notes(problem, action):
    return list(Activity.objects.filter(content_type=ContentType.objects.get_for_model(Problem),
                                        object_id=problem.pk, action=action))


def _incident_notes(incident, action):
    return list(Activity.objects.filter(content_type=ContentType.objects.get_for_model(Incident),
                                        object_id=incident.pk, action=action))


def test_happy_path_from_incidents_to_closed(world, reviewer, django_capture_on_commit_callbacks):
    a = escalated_incident(world, title="打印机报错 0x0000011b")
    b = accepted_incident(world, title="财务室无法打印", level=2)
    prb = services.problem_create_from_incidents(by=reviewer, incidents=[a, b], title="打印服务反复崩溃")
    assert prb.number.startswith("PRB-") and len(prb.number) == len("PRB-20261122-0001")
    assert (prb.status, prb.contract, prb.organisation, prb.owner, prb.level) == (
        "new", world.contract_a, world.org_a, reviewer, 2)
    assert set(ProblemIncident.objects.filter(problem=prb).values_list("incident_id", flat=True)) == {a.pk, b.pk}
    for inc in (a, b):
        note = _incident_notes(inc, "problem_linked")[0]
        assert note.internal and prb.number in note.body
        assert [p.pk for p in problems_of_incident(inc, world.agent)] == [prb.pk]
        assert problems_of_incident(inc, world.requester_a) == []
    assert _names(prb, reviewer) == ["investigate", "assign"]
    services.problem_act(problem=prb, action="investigate", by=world.second_line, data={"assignee": "engineer"})
    assert (prb.status, prb.assignee, prb.owner) == ("investigating", world.engineer, reviewer)
    services.problem_act(problem=prb, action="record_analysis", by=world.engineer,
                         data={"root_cause": "打印驱动版本冲突"})
    services.problem_act(problem=prb, action="mark_known_error", by=world.engineer,
                         data={"workaround": "重启 Print Spooler"})
    assert (prb.status, prb.known_error, prb.root_cause) == ("known_error", True, "打印驱动版本冲突")
    with django_capture_on_commit_callbacks(execute=True):
        services.problem_act(problem=prb, action="solve", by=world.second_line,
                             data={"solution": "统一升级打印驱动到 5.2"})
    assert prb.status == "solved" and prb.solved_at is not None
    for inc in (a, b):
        inc.refresh_from_db()
        assert inc.status == "awaiting_confirmation" and inc.solution == "统一升级打印驱动到 5.2"
        assert _incident_notes(inc, "problem_solved")
    # the requester is asked to confirm (the incident's own notification of "resolve")
    assert set(Notification.objects.filter(recipient=world.requester_a).values_list("ticket_number", "kind")) == {
        (a.number, "awaiting_confirmation"), (b.number, "awaiting_confirmation")}
    incident_act(incident=a, action="confirm", by=world.requester_a)
    a.refresh_from_db()
    assert a.status in ("resolved", "closed")
    assert _names(prb, world.pm) == ["close", "reopen"]
    services.problem_act(problem=prb, action="close", by=world.pm)
    assert prb.status == "closed" and prb.closed_at is not None
    assert not ProblemIncident.objects.filter(problem=prb, active=True).exists()
    actions = set(AuditEntry.objects.filter(object_type="problems.problem", object_id=str(prb.pk))
                  .values_list("action", flat=True))
    assert actions >= {"problem.create", "problem.link_incidents", "problem.investigate",
                       "problem.record_analysis", "problem.mark_known_error", "problem.solve", "problem.close"}
    solve = AuditEntry.objects.get(action="problem.solve", object_id=str(prb.pk))
    assert set(solve.after["resolved_incidents"]) == {a.number, b.number}


def test_reopen_and_solve_again(world, problem):
    prb = problem("solved")
    with pytest.raises(ValidationError) as exc:
        services.problem_act(problem=prb, action="reopen", by=world.engineer, data={"reason": ""})
    assert "reason" in exc.value.fields
    services.problem_act(problem=prb, action="reopen", by=world.engineer, data={"reason": "补丁后问题复现"})
    assert (prb.status, prb.solved_at, prb.reopen_count) == ("investigating", None, 1)
    services.problem_act(problem=prb, action="solve", by=world.engineer, data={"solution": "回滚补丁"})
    assert prb.status == "solved" and prb.solution == "回滚补丁" and prb.root_cause == "驱动版本冲突"


@pytest.mark.parametrize("status", ["new", "investigating", "known_error"])
def test_cancel_needs_a_reason_from_every_working_state(world, problem, status):
    prb = problem(status)
    inc = accepted_incident(world)
    services.problem_link_incident(problem=prb, incident=inc, by=world.engineer)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.problem_act(problem=prb, action="cancel", by=world.pm, data={"reason": " "})
    assert exc.value.fields == {"reason": "This field is required."}
    services.problem_act(problem=prb, action="cancel", by=world.pm, data={"reason": "与 PRB-1 重复"})
    assert prb.status == "cancelled" and prb.cancel_reason == "与 PRB-1 重复"
    # the incident is free for another problem
    other = problem("new")
    services.problem_link_incident(problem=other, incident=inc, by=world.engineer)


def test_known_error_and_solve_need_the_root_cause(world, problem):
    prb = problem("investigating")
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        services.problem_act(problem=prb, action="mark_known_error", by=world.engineer, data={"workaround": "重启"})
    assert set(exc.value.fields) == {"root_cause"}
    with pytest.raises(ValidationError) as exc:
        services.problem_act(problem=prb, action="solve", by=world.engineer, data={"root_cause": "x"})
    assert set(exc.value.fields) == {"solution"}
    assert Problem.objects.get(pk=prb.pk).status == "investigating"


@pytest.mark.parametrize(("status", "action", "allowed"), [
    ("new", "investigate", INVESTIGATORS),
    ("new", "assign", INVESTIGATORS),
    ("investigating", "record_analysis", INVESTIGATORS),
    ("investigating", "mark_known_error", INVESTIGATORS),
    ("known_error", "solve", INVESTIGATORS),
    ("investigating", "solve", INVESTIGATORS),
    ("solved", "reopen", INVESTIGATORS),
    ("solved", "close", {"pm"}),
    ("new", "cancel", {"pm"}),
    ("known_error", "cancel", {"pm"}),
])
def test_each_action_only_by_its_roles(world, reviewer, problem, status, action, allowed):
    for who in EVERYONE:
        prb = problem(status)
        user = _user(world, reviewer, who)
        if who in allowed:
            assert action in _names(prb, user)
            services.problem_act(problem=prb, action=action, by=user, data=DATA)
            assert AuditEntry.objects.filter(action=f"problem.{action}", object_id=str(prb.pk)).exists()
        else:
            assert action not in _names(prb, user)
            with pytest.raises(PermissionDenied):
                services.problem_act(problem=prb, action=action, by=user, data=DATA)
            fresh = Problem.objects.get(pk=prb.pk)
            assert (fresh.status, fresh.version) == (status, prb.version)


@pytest.mark.parametrize("who", ["agent", "requester_a", "contact_a", "agent_b", "requester_b"])
def test_others_may_not_open_problems(world, who):
    with pytest.raises(ValidationError) as exc:
        services.problem_create(by=getattr(world, who), contract=world.contract_a, title="x")
    assert "contract" in exc.value.fields
    assert not Problem.objects.exists()


def test_wrong_state_and_stale_version_are_conflicts(world, problem):
    prb = problem("new")
    with pytest.raises(Conflict):
        services.problem_act(problem=prb, action="close", by=world.pm)
    stale = Problem.objects.get(pk=prb.pk)
    services.problem_act(problem=prb, action="investigate", by=world.engineer, version=prb.version)
    with pytest.raises(Conflict) as exc:
        services.problem_act(problem=stale, action="cancel", by=world.pm, data={"reason": "x"},
                             version=stale.version)
    assert exc.value.code == "stale_version"
    assert Problem.objects.get(pk=prb.pk).status == "investigating"


def test_solve_leaves_incidents_it_cannot_move_and_notes_them(world, problem):
    prb = problem("investigating")
    working = accepted_incident(world, title="可以解决的")
    held = accepted_incident(world, title="挂起的")
    incident_act(incident=held, action="hold", by=world.agent, data={"hold_reason": "customer", "note": "用户出差"})
    new = world.incident(title="还没受理的")
    waiting = accepted_incident(world, title="已在等待确认")
    incident_act(incident=waiting, action="resolve", by=world.agent, data={"solution": "先重启"})
    for inc in (working, held, new, waiting):
        services.problem_link_incident(problem=prb, incident=inc, by=world.engineer)
    services.problem_act(problem=prb, action="solve", by=world.second_line,
                         data={"root_cause": "驱动", "solution": "升级驱动"})
    status = dict(Incident.objects.filter(pk__in=[working.pk, held.pk, new.pk, waiting.pk])
                  .values_list("title", "status"))
    assert status == {"可以解决的": "awaiting_confirmation", "挂起的": "on_hold", "还没受理的": "new",
                      "已在等待确认": "awaiting_confirmation"}
    assert Incident.objects.get(pk=waiting.pk).solution == "先重启"  # already resolved: left alone
    note = _problem_notes(prb, "incidents_left")[0]
    assert {i["number"] for i in note.data["incidents"]} == {held.number, new.number}
    assert held.number in note.body and new.number in note.body and working.number not in note.body


def test_solver_without_the_incident_role_leaves_it(world, problem):
    """An on-site engineer who neither owns nor works the incident may not resolve it: it stays, noted."""
    prb = problem("investigating", by=world.engineer)
    inc = accepted_incident(world)
    services.problem_link_incident(problem=prb, incident=inc, by=world.engineer)
    services.problem_act(problem=prb, action="solve", by=world.engineer, data={"root_cause": "x", "solution": "y"})
    assert prb.status == "solved" and Incident.objects.get(pk=inc.pk).status == "accepted"
    assert _problem_notes(prb, "incidents_left")[0].data["incidents"][0]["number"] == inc.number


def test_linking_rules(world, problem):
    prb = problem("investigating")
    other_contract = world.incident(by=world.agent_b, contract=world.contract_b, requester=world.requester_b)
    with pytest.raises(ValidationError):  # not visible to the engineer of contract A
        services.problem_link_incident(problem=prb, incident=other_contract, by=world.engineer)
    done = accepted_incident(world)
    incident_act(incident=done, action="resolve", by=world.agent, data={"solution": "s"})
    incident_act(incident=done, action="confirm", by=world.requester_a)
    done.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.problem_link_incident(problem=prb, incident=done, by=world.engineer)
    assert "incident" in exc.value.fields
    inc = accepted_incident(world)
    services.problem_link_incident(problem=prb, incident=inc, by=world.engineer)
    with pytest.raises(ValidationError):
        services.problem_link_incident(problem=prb, incident=inc, by=world.engineer)
    second = problem("new")
    with pytest.raises(ValidationError) as exc:
        services.problem_link_incident(problem=second, incident=inc, by=world.engineer)
    assert prb.number in exc.value.fields["incident"]
    with pytest.raises(ValidationError):
        services.problem_create_from_incidents(by=world.engineer, incidents=[inc], title="又一个")
    with pytest.raises(PermissionDenied):
        services.problem_unlink_incident(problem=prb, incident=inc, by=world.agent)
    for who in ("requester_a", "agent_b"):
        with pytest.raises(NotFound):
            services.problem_unlink_incident(problem=prb, incident=inc, by=getattr(world, who))
    services.problem_unlink_incident(problem=prb, incident=inc, by=world.engineer)
    assert not ProblemIncident.objects.filter(incident=inc).exists()
    assert _incident_notes(inc, "problem_unlinked") and _problem_notes(prb, "incident_unlinked")
    assert AuditEntry.objects.filter(action="problem.unlink_incident", object_id=str(prb.pk)).exists()
    services.problem_link_incident(problem=second, incident=inc, by=world.engineer)
    closed = problem("closed")
    with pytest.raises(Conflict):
        services.problem_link_incident(problem=closed, incident=accepted_incident(world), by=world.engineer)


def test_create_from_incidents_checks_everything_and_writes_nothing(world):
    a = accepted_incident(world)
    b_other = world.incident(by=world.agent_b, contract=world.contract_b, requester=world.requester_b)
    grant_b = world.engineer
    from tests.factories import grant

    grant(grant_b, "engineer", world.contract_b)
    with pytest.raises(ValidationError) as exc:
        services.problem_create_from_incidents(by=world.engineer, incidents=[a, b_other], title="跨合同")
    assert "incidents" in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        services.problem_create_from_incidents(by=world.second_line, incidents=[b_other], title="看不到")
    assert "incidents" in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        services.problem_create_from_incidents(by=world.engineer, incidents=[], title="x")
    with pytest.raises(ValidationError) as exc:
        services.problem_create_from_incidents(by=world.engineer, incidents=[a], title="")
    assert set(exc.value.fields) == {"title"}
    with pytest.raises(ValidationError) as exc:
        services.problem_create_from_incidents(by=world.agent, incidents=[a], title="坐席不能建")
    assert "contract" in exc.value.fields
    assert not Problem.objects.exists() and not ProblemIncident.objects.exists()
    assert not _incident_notes(a, "problem_linked")


def test_visibility(world, reviewer, problem):
    prb = problem("new")
    for who in ("engineer", "second_line", "pm", "agent"):
        assert problem_get(number=prb.number, visible_to=getattr(world, who)).pk == prb.pk
    assert problem_get(number=prb.number, visible_to=reviewer).pk == prb.pk
    for who in ("requester_a", "contact_a", "requester_b", "contact_b", "agent_b"):
        with pytest.raises(NotFound):
            problem_get(number=prb.number, visible_to=getattr(world, who))
    with pytest.raises(NotFound):
        problem_get(number="PRB-x", visible_to=world.pm)


def test_publish_as_knowledge(world, reviewer, problem):
    new = problem("new")
    with pytest.raises(Conflict):
        services.problem_publish_knowledge(problem=new, by=world.engineer)
    prb = problem("known_error", affected_system="打印系统")
    with pytest.raises(PermissionDenied):  # reviewers do not write knowledge
        services.problem_publish_knowledge(problem=prb, by=reviewer)
    with pytest.raises(NotFound):
        services.problem_publish_knowledge(problem=prb, by=world.agent_b)
    version = prb.version
    article, created = services.problem_publish_knowledge(problem=prb, by=world.engineer)
    assert created and article.status == "draft" and article.author == world.engineer
    assert (article.title, article.symptom, article.cause, article.solution, article.affected_systems) == (
        "打印服务反复崩溃", "多台电脑打印时报错", "驱动版本冲突", "重启打印服务", "打印系统")
    fresh = Problem.objects.get(pk=prb.pk)
    assert fresh.article == article and fresh.version == version + 1
    again, created = services.problem_publish_knowledge(problem=fresh, by=world.pm)
    assert again.pk == article.pk and not created and KnowledgeArticle.objects.count() == 1
    assert AuditEntry.objects.filter(action="problem.publish_knowledge", object_id=str(prb.pk)).count() == 1
    solved = problem("solved")
    art2, _created = services.problem_publish_knowledge(problem=solved, by=world.second_line)
    assert art2.solution == "统一升级驱动到 5.2"


def test_comments_staff_only(world, problem):
    prb = problem("new")
    entry = services.problem_comment(problem=prb, by=world.agent, body="用户说周一也出现过", internal=True)
    assert entry.kind == "note"
    with pytest.raises(NotFound):
        services.problem_comment(problem=prb, by=world.requester_a, body="x")
    with pytest.raises(ValidationError):
        services.problem_comment(problem=prb, by=world.agent, body="  ")


def _at(problem, *, created: dt.datetime, solved: dt.datetime | None = None) -> None:
    Problem.objects.filter(pk=problem.pk).update(created_at=created, solved_at=solved)


def test_metrics_per_contract(world, problem, django_assert_num_queries):
    tz = timezone.get_current_timezone()
    day = dt.datetime(2026, 3, 10, 9, 0, tzinfo=tz)
    a1 = problem("solved")
    a2 = problem("closed")
    a3 = problem("investigating")
    a4 = problem("solved")  # opened before the period, solved in it
    a5 = problem("new")  # outside the period altogether
    _at(a1, created=day, solved=day + dt.timedelta(hours=10))
    _at(a2, created=day + dt.timedelta(days=1), solved=day + dt.timedelta(days=1, hours=20))
    _at(a3, created=day + dt.timedelta(days=2))
    _at(a4, created=day - dt.timedelta(days=20), solved=day + dt.timedelta(days=3))
    _at(a5, created=day - dt.timedelta(days=40))
    start, end = dt.date(2026, 3, 1), dt.date(2026, 3, 31)
    with django_assert_num_queries(1):
        rows = problem_metrics(visible_to=world.pm, date_from=start, date_to=end)
    assert len(rows) == 1
    row = rows[0]
    assert (row.contract, row.opened, row.solved, row.opened_solved) == ("TAX-2026", 3, 3, 2)
    assert row.resolution_rate == pytest.approx(2 / 3, abs=1e-4)
    # (10 h + 20 h + 23 days - 3 h... ) the mean of solved − created over the three solved in March
    expected = (10 + 20 + (23 * 24)) / 3
    assert row.mean_hours_to_resolve == pytest.approx(expected, abs=0.01)
    assert problem_metrics(visible_to=world.agent_b, date_from=start, date_to=end) == []
    assert problem_metrics(visible_to=world.requester_a, date_from=start, date_to=end) == []
    assert problem_metrics(visible_to=world.pm, date_from=start, date_to=end, contract="HRSS-2026") == []

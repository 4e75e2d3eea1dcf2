"""The follow-up procedure (问题回访与确认): every step by its roles, both outcomes, refusals, bad input."""

from __future__ import annotations

import pytest

from opsdesk.accounts.choices import Role
from opsdesk.core.errors import Conflict, PermissionDenied, ValidationError
from opsdesk.core.models import AuditEntry
from opsdesk.followups.models import FollowUp
from opsdesk.followups.services import followup_act, followup_open
from opsdesk.followups.workflow import FOLLOWUP_WORKFLOW, REQUESTER
from opsdesk.incidents.services import incident_act
from tests.factories import UserFactory, grant

from .conftest import walk

pytestmark = pytest.mark.django_db


def test_solving_a_problem_opens_one_follow_up_per_resolved_incident(world, solved):
    inc, _prb, fu = solved()
    assert inc.status == "awaiting_confirmation"
    assert fu.status == "open" and fu.contract_id == world.contract_a.pk
    assert fu.requester_id == world.requester_a.pk and fu.ticket_title == inc.title
    assert AuditEntry.objects.filter(action="follow_up.create", object_id=str(fu.pk)).count() == 1


def test_opening_twice_returns_the_open_follow_up(world, solved):
    inc, _prb, fu = solved()
    assert followup_open(ticket=inc, by=world.engineer).pk == fu.pk
    assert FollowUp.objects.filter(ticket_number=inc.number).count() == 1


def test_happy_path_closes_the_incident_after_the_user_confirms(world, solved):
    inc, _prb, fu = solved()
    fu = walk(fu, world, until="close")
    inc.refresh_from_db()
    assert fu.status == "closed" and fu.closed_at is not None
    assert inc.status == "closed"
    assert fu.verification and fu.callback_note and fu.user_statement and fu.tracking_note
    actions = list(AuditEntry.objects.filter(object_id=str(fu.pk), action__startswith="follow_up.").order_by("id")
                   .values_list("action", flat=True))
    assert actions == ["follow_up.create", "follow_up.verify", "follow_up.call_back", "follow_up.confirm",
                       "follow_up.update_tracking", "follow_up.close"]


def test_the_engineer_may_record_the_users_confirmation_from_the_call(world, solved):
    _inc, _prb, fu = solved()
    walk(fu, world, until="call_back")
    followup_act(follow_up=fu, action="confirm", by=world.engineer, data={"no_side_effects": "on"})
    fu.refresh_from_db()
    assert fu.status == "confirmed"


def test_an_unsatisfied_user_sends_it_back_reopening_incident_and_problem(world, solved):
    inc, prb, fu = solved()
    walk(fu, world, until="call_back")
    followup_act(follow_up=fu, action="send_back", by=world.requester_a, data={"reason": "打印还是报错"})
    fu.refresh_from_db()
    inc.refresh_from_db()
    prb.refresh_from_db()
    assert fu.status == "sent_back" and fu.sent_back_reason == "打印还是报错"
    assert inc.status == "in_progress" and inc.reopen_count == 1
    assert prb.status == "investigating" and prb.reopen_count == 1


def test_solving_again_after_a_send_back_opens_a_new_follow_up(world, solved):
    inc, prb, fu = solved()
    walk(fu, world, until="call_back")
    followup_act(follow_up=fu, action="send_back", by=world.engineer, data={"reason": "仍有问题"})
    from opsdesk.problems import services as problems
    prb.refresh_from_db()
    problems.problem_act(problem=prb, action="solve", by=world.second_line, data={"solution": "换打印机"})
    assert list(FollowUp.objects.filter(ticket_number=inc.number).order_by("id").values_list("status", flat=True)) \
        == ["sent_back", "open"]


def test_confirming_without_no_side_effects_is_refused_and_changes_nothing(world, solved):
    _inc, _prb, fu = solved()
    walk(fu, world, until="call_back")
    version = fu.version
    with pytest.raises(ValidationError) as err:
        followup_act(follow_up=fu, action="confirm", by=world.requester_a, data={"no_side_effects": False})
    assert "no_side_effects" in err.value.fields
    fu.refresh_from_db()
    assert fu.status == "called_back" and fu.version == version


def test_a_stale_version_is_a_conflict(world, solved):
    _inc, _prb, fu = solved()
    with pytest.raises(Conflict):
        followup_act(follow_up=fu, action="verify", by=world.engineer, data={"verification": "x"},
                     version=fu.version + 1)


def test_an_incident_closed_meanwhile_is_left_closed(world, solved):
    inc, _prb, fu = solved()
    incident_act(incident=inc, action="confirm", by=world.requester_a)
    inc.refresh_from_db()
    if inc.status == "resolved":
        incident_act(incident=inc, action="close", by=world.agent)
    fu = walk(fu, world, until="close")
    inc.refresh_from_db()
    assert fu.status == "closed" and inc.status == "closed"


def test_the_project_manager_cancels(world, solved):
    _inc, _prb, fu = solved()
    followup_act(follow_up=fu, action="cancel", by=world.pm, data={"reason": "用户已离职"})
    fu.refresh_from_db()
    assert fu.status == "cancelled" and fu.cancel_reason == "用户已离职"


# --- every role not declared for an action is refused ------------------------------------------------------

def _declared(action) -> frozenset[str]:
    return action.roles


def test_every_other_role_is_refused_every_action(world, solved):
    """For each action and each role of DOMAIN.md that the declaration does not name, a person holding only
    that role on the contract is not offered the action and is refused when they try."""
    _inc, _prb, fu = solved()
    people = {role: grant(UserFactory(username=f"only_{role}"), role, world.contract_a) for role in Role.values}
    for status, prepare in (("open", None), ("called_back", "call_back"), ("confirmed", "confirm"),
                            ("tracked", "update_tracking")):
        if prepare:
            walk(fu, world, until=prepare)
        fu.refresh_from_db()
        assert fu.status == status
        for action in FOLLOWUP_WORKFLOW.actions:
            if fu.status not in action.sources:
                continue
            for role, person in people.items():
                roles = FOLLOWUP_WORKFLOW.roles_of(person, fu)
                if roles & action.roles:
                    continue
                assert action.name not in {a.name for a in FOLLOWUP_WORKFLOW.allowed_actions(fu, person)}
                with pytest.raises(PermissionDenied):
                    followup_act(follow_up=fu, action=action.name, by=person,
                                 data={"verification": "x", "callback_note": "x", "no_side_effects": True,
                                       "reason": "x"})
                fu.refresh_from_db()
                assert fu.status == status, (action.name, role)


def test_the_requester_of_another_ticket_holds_no_role(world, solved):
    _inc, _prb, fu = solved()
    assert REQUESTER not in FOLLOWUP_WORKFLOW.roles_of(world.requester_a2, fu)
    assert FOLLOWUP_WORKFLOW.roles_of(world.requester_a2, fu) == frozenset()


def test_an_optional_input_left_empty_keeps_what_was_recorded(world, solved):
    """The engine never blanks a stored text with an optional input left empty (here: the solution record
    the engineer wrote earlier, then closing without retyping it)."""
    _inc, _prb, fu = solved()
    fu = walk(fu, world, until="update_tracking")
    FollowUp.objects.filter(pk=fu.pk).update(solution_record="升级驱动到 5.2")
    fu.refresh_from_db()
    followup_act(follow_up=fu, action="close", by=world.engineer, data={"solution_record": "  "})
    fu.refresh_from_db()
    assert fu.status == "closed" and fu.solution_record == "升级驱动到 5.2"

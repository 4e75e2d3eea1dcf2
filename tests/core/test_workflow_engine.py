"""Property tests of the workflow engine on the incident procedure.

Random sequences of actions by random people never reach a state the declaration does not allow; the
engine accepts exactly the actions `allowed_actions` offers; every accepted action leaves exactly one
timeline entry and one audit entry; every refused one changes nothing.
"""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsdesk.core.errors import DomainError
from opsdesk.core.models import Activity, AuditEntry
from opsdesk.core.workflow import Workflow, perform
from opsdesk.incidents.models import Incident
from opsdesk.incidents.workflow import INCIDENT_WORKFLOW

WF = INCIDENT_WORKFLOW
MANUAL = [a.name for a in WF.actions if not a.automatic]
PEOPLE = ["agent", "engineer", "engineer2", "dba", "pm", "req_a", "req_a2", "contact_a", "req_b", "agent_b"]


class Rollback(Exception):
    pass


def _inputs(action_name: str, incident: Incident) -> dict:
    """Valid input for every field an action takes, so that only role and state decide."""
    data = {}
    for field in WF.action(action_name).fields:
        options = field.options(incident)
        if field.kind in ("user", "choice"):
            data[field.name] = options[-1][0] if options else ""
        elif field.kind == "bool":
            data[field.name] = "on"
        else:
            data[field.name] = "自动测试输入"
    return data


def _counts(incident: Incident) -> tuple[int, int]:
    ct = ContentType.objects.get_for_model(Incident)
    return (Activity.objects.filter(content_type=ct, object_id=incident.pk).count(),
            AuditEntry.objects.filter(object_type="incidents.incident", object_id=str(incident.pk)).count())


def _successors(workflow: Workflow, incident: Incident, action_name: str) -> set[str]:
    """States the record may be in after `action_name`: its target, then any automatic follow-up."""
    first = workflow.action(action_name).target_for(incident)
    out = {first}
    for auto in workflow.actions:
        if auto.automatic and first in auto.sources:
            out.add(auto.target_for(incident))
    return out


def test_declaration_is_consistent():
    states = set(WF.states.values)
    reachable = {WF.initial}
    frontier = [WF.initial]
    while frontier:
        state = frontier.pop()
        for act in WF.actions:
            if state in act.sources and isinstance(act.target, str) and act.target not in reachable:
                reachable.add(act.target)
                frontier.append(act.target)
    # on_hold resumes to where it came from; every other state is reachable from "new"
    assert reachable == states
    for terminal in WF.terminal:
        assert not [a for a in WF.actions if terminal in a.sources], f"{terminal} must be final"


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(st.sampled_from(MANUAL), st.sampled_from(PEOPLE)), min_size=1, max_size=25))
def test_random_action_sequences(world, steps):
    from opsdesk.accounts.models import User

    people = {u.username: u for u in User.objects.filter(username__in=PEOPLE)}
    try:
        with transaction.atomic():
            incident = world.incident()
            for action_name, username in steps:
                actor = people[username]
                incident = Incident.objects.select_related("contract").get(pk=incident.pk)
                before_status, before_version = incident.status, incident.version
                before_counts = _counts(incident)
                offered = action_name in [a.name for a in WF.allowed_actions(incident, actor)]
                expected = _successors(WF, incident, action_name) if offered else set()
                try:
                    perform(WF, record=incident, action=action_name, by=actor,
                            data=_inputs(action_name, incident), version=before_version)
                    accepted = True
                except DomainError:
                    accepted = False
                fresh = Incident.objects.get(pk=incident.pk)
                after_counts = _counts(fresh)
                assert accepted == offered, (action_name, username, before_status)
                assert fresh.status in WF.states.values
                if accepted:
                    assert fresh.status in expected
                    steps_taken = fresh.version - before_version
                    assert steps_taken >= 1
                    assert after_counts[0] - before_counts[0] == steps_taken
                    assert after_counts[1] - before_counts[1] == steps_taken
                else:
                    assert (fresh.status, fresh.version) == (before_status, before_version)
                    assert after_counts == before_counts
            raise Rollback
    except Rollback:
        pass

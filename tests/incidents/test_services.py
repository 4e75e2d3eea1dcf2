"""Incident creation and the general handling procedure, through the service functions."""

from __future__ import annotations

import pytest

from opsdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from opsdesk.core.models import Activity, AuditEntry
from opsdesk.incidents.choices import IncidentStatus as S
from opsdesk.incidents.models import Incident, WorkOrder
from opsdesk.incidents.services import incident_act, incident_comment


def test_create_numbers_and_audits(world):
    inc = world.incident(level=2)
    assert inc.number.startswith("INC-") and inc.number.endswith("-0001")
    assert world.incident().number.endswith("-0002")
    assert inc.organisation_id == world.org_a.pk
    entry = AuditEntry.objects.get(object_id=str(inc.pk), action="incident.create")
    assert entry.actor == world.agent and entry.after["title"] == "打印机无法打印"


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"title": ""}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"level": 5}, "level"),
    ({"level": "high"}, "level"),
    ({"channel": "pigeon"}, "channel"),
])
def test_create_rejects_bad_input_and_writes_nothing(world, kwargs, field):
    with pytest.raises(ValidationError) as err:
        world.incident(**kwargs)
    assert field in err.value.fields
    assert not Incident.objects.exists() and not AuditEntry.objects.filter(action="incident.create").exists()


def test_create_on_a_contract_one_does_not_serve_is_unknown(world):
    with pytest.raises(ValidationError) as err:
        world.incident(contract=world.contract_b, requester=world.requester_b)
    assert "contract" in err.value.fields


def test_requester_may_only_report_for_self(world):
    with pytest.raises(ValidationError) as err:
        world.incident(by=world.requester_a, requester=world.requester_a2)
    assert "requester" in err.value.fields
    assert world.incident(by=world.requester_a, requester=world.requester_a).requester == world.requester_a


def test_full_procedure_with_dispatch_and_confirmation(world):
    inc = world.incident()
    incident_act(incident=inc, action="accept", by=world.agent)
    assert inc.owner == world.agent and inc.status == S.ACCEPTED
    incident_act(incident=inc, action="dispatch", by=world.agent, data={"engineer": "engineer", "site": "三楼机房"})
    assert inc.assignee == world.engineer and inc.status == S.IN_PROGRESS
    order = WorkOrder.objects.get(incident=inc)
    assert order.engineer == world.engineer and order.number.startswith("WO-")
    with pytest.raises(PermissionDenied):
        incident_act(incident=inc, action="record_arrival", by=world.engineer2)
    incident_act(incident=inc, action="record_arrival", by=world.engineer)
    order.refresh_from_db()
    assert order.arrived_at is not None
    incident_act(incident=inc, action="resolve", by=world.engineer, data={"solution": "更换硒鼓"})
    assert inc.status == S.AWAITING_CONFIRMATION
    incident_act(incident=inc, action="confirm", by=world.requester_a)
    inc.refresh_from_db()
    assert inc.status == S.CLOSED and inc.closed_at is not None and inc.owner == world.agent
    actions = list(Activity.objects.filter(object_id=inc.pk, kind="action").values_list("action", flat=True))
    assert actions == ["accept", "dispatch", "record_arrival", "resolve", "confirm", "auto_close"]


def test_owner_closes_when_contract_does_not_close_on_confirmation(world):
    world.contract_a.close_on_confirmation = False
    world.contract_a.save()
    inc = world.incident()
    for action, by, data in [("accept", world.agent, {}), ("resolve", world.agent, {"solution": "重启服务"}),
                             ("confirm", world.requester_a, {})]:
        incident_act(incident=inc, action=action, by=by, data=data)
    assert inc.status == S.RESOLVED
    incident_act(incident=inc, action="close", by=world.agent, data={"knowledge_candidate": "on"})
    inc.refresh_from_db()
    assert inc.status == S.CLOSED and inc.knowledge_candidate


def test_hold_and_resume_return_to_previous_state(world):
    inc = world.incident()
    incident_act(incident=inc, action="accept", by=world.agent)
    incident_act(incident=inc, action="escalate", by=world.agent, data={"reason": "数据库问题", "assignee": "dba"})
    assert inc.assignee == world.second_line
    with pytest.raises(ValidationError) as err:
        incident_act(incident=inc, action="hold", by=world.agent, data={"hold_reason": "customer"})
    assert set(err.value.fields) == {"note"}
    incident_act(incident=inc, action="hold", by=world.agent, data={"hold_reason": "third_party", "note": "等待厂商"})
    assert inc.status == S.ON_HOLD
    incident_act(incident=inc, action="resume", by=world.agent)
    assert inc.status == S.ESCALATED and inc.held_from == ""


def test_reject_needs_reason_and_invalid_state_conflicts(world):
    inc = world.incident()
    with pytest.raises(ValidationError):
        incident_act(incident=inc, action="reject", by=world.agent, data={"reason": "  "})
    assert Incident.objects.get(pk=inc.pk).status == S.NEW
    incident_act(incident=inc, action="reject", by=world.agent, data={"reason": "不属于服务范围"})
    with pytest.raises(Conflict) as err:
        incident_act(incident=inc, action="accept", by=world.agent)
    assert err.value.code == "invalid_state"


def test_stale_version_is_a_conflict(world):
    inc = world.incident()
    stale = Incident.objects.get(pk=inc.pk)
    incident_act(incident=inc, action="accept", by=world.agent, version=1)
    with pytest.raises(Conflict):
        incident_act(incident=stale, action="reject", by=world.agent, data={"reason": "重复"})
    assert Incident.objects.get(pk=inc.pk).status == S.ACCEPTED


def test_roles_are_checked(world):
    inc = world.incident()
    with pytest.raises(PermissionDenied):
        incident_act(incident=inc, action="accept", by=world.requester_a)
    with pytest.raises(NotFound):
        incident_act(incident=inc, action="fly", by=world.agent)


def test_internal_notes_are_staff_only(world):
    inc = world.incident()
    with pytest.raises(PermissionDenied):
        incident_comment(incident=inc, by=world.requester_a, body="内部", internal=True)
    incident_comment(incident=inc, by=world.requester_a, body="还是打不出来")
    incident_comment(incident=inc, by=world.engineer, body="疑似驱动问题", internal=True)
    assert Activity.objects.filter(object_id=inc.pk, internal=True).count() == 1


def test_category_create_is_audited_once_and_refuses_an_empty_name(db):
    from opsdesk.incidents.services import incident_category_create

    parent = incident_category_create(by=None, name="硬件")
    child = incident_category_create(by=None, name="打印机", parent=parent)
    assert incident_category_create(by=None, name="打印机", parent=parent) == child
    assert str(child) == "硬件 / 打印机"
    assert AuditEntry.objects.filter(action="incident_category.create").count() == 2
    with pytest.raises(ValidationError) as err:
        incident_category_create(by=None, name="  ")
    assert "name" in err.value.fields

"""Who is told about what, never the actor, and exactly once however often a delivery runs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from opsdesk.core.models import Activity, AuditEntry
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_act
from opsdesk.notifications import services, tasks
from opsdesk.notifications.models import Notification
from opsdesk.sla import escalation
from opsdesk.sla.sweep import sla_sweep

from ..factories import UserFactory, grant
from .conftest import run_scheduled, told

H = dt.timedelta(hours=1)


def _accepted(world, **kwargs) -> Incident:
    inc = world.incident(**kwargs)
    incident_act(incident=inc, action="accept", by=world.agent)
    return inc


# --- who is told -------------------------------------------------------------------------------------------

def test_a_new_incident_tells_nobody_below_level_2(world, live):
    with live():
        inc = world.incident(level=4)
        world.incident(level=3)
    assert told() == set()
    assert inc.number  # created all the same


@pytest.mark.parametrize("level", [1, 2])
def test_an_urgent_new_incident_tells_the_project_manager_only(world, live, level):
    with live():
        inc = world.incident(level=level)
    assert told(inc) == {("pm", "created")}  # not the agents: they log the calls


def test_the_project_manager_logging_an_urgent_incident_is_not_told(world, live):
    with live():
        world.incident(level=1, by=world.pm)
    assert told() == set()


def test_assigning_tells_the_new_assignee_not_the_actor(world, live):
    inc = _accepted(world)
    with live():
        incident_act(incident=inc, action="assign", by=world.agent, data={"assignee": "engineer2"})
    assert told(inc) == {("engineer2", "assigned")}
    n = Notification.objects.get()
    assert (n.ticket_number, n.ticket_title, n.url) == (inc.number, inc.title, f"/incidents/{inc.number}/")
    assert n.event_key.startswith("activity:") and n.read_at is None and n.channel == "in_app"


def test_assigning_oneself_tells_nobody(world, live):
    inc = _accepted(world)
    with live():
        incident_act(incident=inc, action="assign", by=world.agent, data={"assignee": "agent"})
    assert told(inc) == set()


def test_reassigning_tells_each_assignee_once(world, live):
    inc = _accepted(world)
    with live():
        incident_act(incident=inc, action="assign", by=world.agent, data={"assignee": "engineer"})
    with live():
        incident_act(incident=inc, action="assign", by=world.agent, data={"assignee": "engineer2"})
    assert told(inc) == {("engineer", "assigned"), ("engineer2", "assigned")}
    assert Notification.objects.count() == 2


def test_escalating_to_a_named_engineer_tells_them(world, live):
    inc = _accepted(world)
    with live():
        incident_act(incident=inc, action="escalate", by=world.agent,
                     data={"reason": "数据库锁表", "assignee": "dba"})
    assert told(inc) == {("dba", "assigned")}


def test_dispatching_tells_the_engineer_once(world, live):
    inc = _accepted(world)
    with live():
        incident_act(incident=inc, action="dispatch", by=world.agent, data={"engineer": "engineer", "site": "三楼"})
    assert told(inc) == {("engineer", "dispatched")}  # not "assigned" as well


def test_resolving_asks_the_requester_and_confirming_tells_nobody_else(world, live):
    inc = _accepted(world)
    with live():
        incident_act(incident=inc, action="resolve", by=world.agent, data={"solution": "重装驱动"})
    assert told(inc) == {("req_a", "awaiting_confirmation")}
    n = Notification.objects.get()
    assert n.url == f"/portal/incidents/{inc.number}/"  # the requester reads it in the portal
    with live():
        incident_act(incident=inc, action="confirm", by=world.requester_a)
    assert told(inc) == {("req_a", "awaiting_confirmation")}  # the requester confirmed: not told of it


def test_an_agent_recording_the_confirmation_tells_the_requester(world, live):
    inc = _accepted(world)
    incident_act(incident=inc, action="resolve", by=world.agent, data={"solution": "重装驱动"})
    with live():
        incident_act(incident=inc, action="confirm", by=world.agent, data={"comment": "电话确认"})
    assert ("req_a", "resolved") in told(inc)
    assert Notification.objects.get(kind="resolved").text == "电话确认"


def test_other_actions_tell_nobody(world, live):
    inc = _accepted(world)
    with live():
        incident_act(incident=inc, action="start", by=world.agent)
        incident_act(incident=inc, action="hold", by=world.agent, data={"hold_reason": "customer", "note": "等"})
    assert told(inc) == set()


def test_sla_warnings_and_breaches_tell_exactly_the_engines_recipients(world, gold, live):
    t0 = timezone.now()
    inc = world.incident(level=2, reported_at=t0)
    incident_act(incident=inc, action="accept", by=world.engineer)
    with live():
        sla_sweep(now=t0 + 9 * H)
    assert told(inc) == set()  # one job per burst of events, a few seconds later
    assert run_scheduled() == 1
    entries = Activity.objects.filter(object_id=inc.pk, action__in=["sla_warning", "sla_breach"])
    assert entries.exists()
    expected = {(p["username"], e.action) for e in entries for p in e.data["recipients"]}
    assert expected  # the test means something only if the engine told someone
    assert told(inc, kind__in=["sla_warning", "sla_breach"]) == expected


def test_an_automatic_escalation_tells_the_engines_recipients(world, gold, live):
    grant(UserFactory(username="lead", full_name="应急组长"), "emergency_lead", world.contract_a)
    inc = _accepted(world, level=3)
    with live(), transaction.atomic():
        activity = escalation.escalate(ticket=inc, to_level=2, reason="同一故障反复出现", rule="recurrence")
    assert activity is not None
    run_scheduled()
    expected = {(p["username"], "escalation") for p in activity.data["recipients"]}
    assert expected and told(inc) == expected


def test_a_manual_level_change_tells_nobody(world, live):
    inc = _accepted(world, level=3)
    with live():
        incident_act(incident=inc, action="change_level", by=world.agent, data={"level": "2", "reason": "影响扩大"})
    assert told(inc) == set()


def test_an_inactive_person_is_not_told(world, live):
    world.pm.is_active = False
    world.pm.save(update_fields=["is_active"])
    with live():
        world.incident(level=1)
    assert told() == set()


# --- exactly once --------------------------------------------------------------------------------------------

def _scenario(world) -> Incident:
    """An urgent incident assigned, dispatched and resolved, with its signals lost (never committed)."""
    inc = world.incident(level=1)
    incident_act(incident=inc, action="accept", by=world.agent)
    incident_act(incident=inc, action="assign", by=world.agent, data={"assignee": "engineer2"})
    incident_act(incident=inc, action="dispatch", by=world.agent, data={"engineer": "engineer"})
    incident_act(incident=inc, action="resolve", by=world.agent, data={"solution": "更换硬盘"})
    return inc


EXPECTED = {("pm", "created"), ("engineer2", "assigned"), ("engineer", "dispatched"),
            ("req_a", "awaiting_confirmation")}


def test_a_retried_job_creates_nothing_twice(world):
    inc = _scenario(world)
    ct = ContentType.objects.get_for_model(Incident).pk
    assert tasks.deliver_record_notifications(ct, inc.pk).get() == 4
    audits = AuditEntry.objects.filter(action="notification.deliver").count()
    assert tasks.deliver_record_notifications(ct, inc.pk).get() == 0
    ids = list(Activity.objects.filter(object_id=inc.pk).values_list("id", flat=True))
    assert tasks.deliver_notifications(ids).get() == 0
    assert told(inc) == EXPECTED and Notification.objects.count() == 4
    assert AuditEntry.objects.filter(action="notification.deliver").count() == audits  # no empty audit rows


def test_a_delivery_racing_another_is_absorbed_by_the_unique_key(world):
    inc = _scenario(world)
    entries = list(Activity.objects.filter(object_id=inc.pk).order_by("id"))
    services.notifications_deliver(activities=entries)
    # A second worker that read "nothing there yet" before the first one's commit inserts the same rows.
    planned = services._plan(entries)
    rows = [Notification(recipient_id=p.recipient_id, kind=p.kind, content_type_id=p.activity.content_type_id,
                         object_id=inc.pk, ticket_number=inc.number, ticket_title=inc.title, url="/",
                         event_key=services.event_key(p.activity.pk)) for p in planned]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    assert Notification.objects.count() == 4


def test_the_catch_up_delivers_lost_signals_once(world):
    inc = _scenario(world)
    assert told(inc) == set()  # the signals were lost: the test transaction never committed
    assert tasks.catch_up_notifications() == 4
    assert told(inc) == EXPECTED
    assert tasks.catch_up_notifications() == 0
    assert Notification.objects.count() == 4


def test_the_catch_up_walks_back_over_many_id_windows(world, monkeypatch):
    monkeypatch.setattr(services, "SCAN_STEP", 2)
    inc = _scenario(world)
    for i in range(5):
        world.incident(title=f"其他{i}")  # later entries that tell nobody
    assert services.notifications_catch_up() == 4
    assert told(inc) == EXPECTED


def test_the_catch_up_leaves_entries_older_than_its_window(world):
    _scenario(world)
    assert services.notifications_catch_up(since=timezone.now() + dt.timedelta(seconds=1)) == 0
    assert Notification.objects.count() == 0


def test_after_the_signal_the_catch_up_finds_nothing_to_do(world, live):
    with live():
        _scenario(world)
    assert Notification.objects.count() == 4
    assert services.notifications_catch_up() == 0


def test_a_burst_of_sla_events_is_one_job(world, gold, live):
    t0 = timezone.now()
    incidents = [world.incident(level=2, reported_at=t0, title=f"批量{i}") for i in range(4)]
    with live():
        sla_sweep(now=t0 + 9 * H)
    assert run_scheduled() == 1
    assert {n.object_id for n in Notification.objects.filter(kind="sla_breach")} == {i.pk for i in incidents}

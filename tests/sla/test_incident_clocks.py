"""SLA clocks on incidents: started by creation, moved by the workflow and by replies, exact on 5x8.

Timing semantics are checked with explicit instants (the services take `at=`); the workflow tests check
which events each action records and that the incident's list fields follow.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opsdesk.core.errors import ValidationError
from opsdesk.core.models import Activity, AuditEntry
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_act, incident_comment
from opsdesk.sla import services as sla
from opsdesk.sla.models import SlaAlert, SlaClock, SlaClockEvent

from .conftest import clock, clocks_from, local

H = 3600


def kinds(c: SlaClock) -> list[str]:
    return list(SlaClockEvent.objects.filter(clock=c).order_by("at", "id").values_list("kind", flat=True))


# --- starting ------------------------------------------------------------------------------------------

def test_clocks_start_when_the_call_came_in(world, gold):
    reported = timezone.now() - dt.timedelta(minutes=20)
    inc = world.incident(level=1, reported_at=reported)
    response, resolution = clock(inc, "response"), clock(inc, "resolution")
    assert response.started_at == resolution.started_at == reported
    assert response.due_at == reported + dt.timedelta(minutes=30)  # levels 1-2 respond within 30 min
    assert resolution.due_at == reported + dt.timedelta(hours=4)
    assert not SlaClock.objects.filter(object_id=inc.pk, metric="on_site").exists()  # waits for a dispatch
    fresh = Incident.objects.get(pk=inc.pk)
    assert fresh.reported_at == reported
    assert (fresh.sla_state, fresh.sla_due_at) == ("running", response.due_at)
    assert fresh.sla_warn_at == reported + dt.timedelta(minutes=22, seconds=30)


def test_reported_at_defaults_to_now_and_is_never_in_the_future(world, gold):
    before = timezone.now()
    inc = world.incident()
    assert before <= inc.reported_at <= inc.created_at
    count = Incident.objects.count()
    with pytest.raises(ValidationError) as exc:
        world.incident(reported_at=timezone.now() + dt.timedelta(hours=1))
    assert set(exc.value.fields) == {"reported_at"}
    with pytest.raises(ValidationError) as exc:
        world.incident(reported_at=timezone.now() - dt.timedelta(days=31))
    assert set(exc.value.fields) == {"reported_at"}
    with pytest.raises(ValidationError) as exc:
        world.incident(reported_at="yesterday at noon")
    assert set(exc.value.fields) == {"reported_at"}
    assert Incident.objects.count() == count and SlaClock.objects.count() == 2


def test_a_reported_time_without_offset_is_shanghai_time(world, gold):
    local_now = timezone.localtime().replace(microsecond=0, tzinfo=None) - dt.timedelta(hours=2)
    inc = world.incident(reported_at=local_now.isoformat())
    assert timezone.localtime(inc.reported_at).replace(tzinfo=None) == local_now


def test_no_policy_no_clocks_and_no_sla_state(world):
    inc = world.incident()
    assert not SlaClock.objects.exists()
    assert Incident.objects.get(pk=inc.pk).sla_state == ""


# --- response ------------------------------------------------------------------------------------------

def test_accepting_stops_the_response_clock_and_grades_it(world, gold):
    inc = world.incident(level=3, reported_at=timezone.now() - dt.timedelta(minutes=7))
    incident_act(incident=inc, action="accept", by=world.agent)
    response = clock(inc, "response")
    assert response.status == "stopped" and kinds(response) == ["start", "stop"]
    assert 7 * 60 <= response.elapsed_seconds < 8 * 60
    assert response.grade == "satisfied"  # 5-10 min
    assert clock(inc, "resolution").status == "running"


def test_the_first_reply_the_requester_sees_stops_the_response_clock(world, gold):
    inc = world.incident(level=2)
    incident_comment(incident=inc, by=world.requester_a, body="还在等吗？")
    incident_comment(incident=inc, by=world.agent, body="内部：先查日志", internal=True)
    assert clock(inc, "response").status == "running"
    incident_comment(incident=inc, by=world.agent, body="您好，我们正在处理。")
    response = clock(inc, "response")
    assert response.status == "stopped" and response.grade == "very_satisfied"
    incident_act(incident=inc, action="accept", by=world.agent)  # a later acceptance changes nothing
    assert kinds(clock(inc, "response")) == ["start", "stop"]


# --- pausing -------------------------------------------------------------------------------------------

def test_pause_and_resume_never_count_paused_time(world, gold):
    inc = world.incident(level=3)
    t = local(2026, 11, 2, 9, 0)
    clocks_from(inc, t)
    sla.clocks_pause(inc, reason="customer", at=t + dt.timedelta(hours=2))
    paused = clock(inc, "resolution")
    assert (paused.status, paused.due_at, paused.elapsed_seconds) == ("paused", None, 2 * H)
    sla.clocks_resume(inc, at=t + dt.timedelta(hours=30))
    resolution = clock(inc, "resolution")
    assert resolution.paused_seconds == 28 * H
    assert resolution.due_at == t + dt.timedelta(hours=24 + 28)  # gold level 3: 24 h on 7x24
    fresh = Incident.objects.get(pk=inc.pk)
    assert fresh.sla_due_at == clock(inc, "response").due_at  # the response clock is due first


def test_holds_pause_through_the_workflow_and_resume_resumes(world, gold):
    inc = world.incident(level=3)
    incident_act(incident=inc, action="accept", by=world.agent)
    incident_act(incident=inc, action="hold", by=world.agent, data={"hold_reason": "third_party", "note": "等厂商"})
    assert kinds(clock(inc, "resolution")) == ["start", "pause"]
    fresh = Incident.objects.get(pk=inc.pk)
    assert fresh.sla_state == "paused" and fresh.sla_due_at is None
    assert 0 < fresh.sla_remaining_seconds <= 24 * H
    incident_act(incident=inc, action="resume", by=world.agent)
    assert kinds(clock(inc, "resolution")) == ["start", "pause", "resume"]
    assert Incident.objects.get(pk=inc.pk).sla_state == "running"


def test_hold_reasons_the_policy_does_not_list_do_not_pause(world, gold):
    sla.sla_policy_update(policy=gold, by=world.pm, settings={"pause_reasons": ["customer"]})
    inc = world.incident(level=3)
    incident_act(incident=inc, action="accept", by=world.agent)
    incident_act(incident=inc, action="hold", by=world.agent, data={"hold_reason": "third_party", "note": "等厂商"})
    assert clock(inc, "resolution").status == "running"
    assert Incident.objects.get(pk=inc.pk).sla_state == "running"
    incident_act(incident=inc, action="resume", by=world.agent)
    incident_act(incident=inc, action="hold", by=world.agent, data={"hold_reason": "customer", "note": "等用户"})
    assert clock(inc, "resolution").status == "paused"


# --- level changes -------------------------------------------------------------------------------------

def test_a_level_upgrade_keeps_the_time_already_spent(world, gold):
    inc = world.incident(level=3)
    t = local(2026, 11, 2, 9, 0)
    clocks_from(inc, t)
    Incident.objects.filter(pk=inc.pk).update(level=2)
    inc.level = 2
    sla.clocks_retarget(inc, at=t + dt.timedelta(hours=5))
    resolution = clock(inc, "resolution")
    assert (resolution.level, resolution.target_seconds) == (2, 8 * H)
    assert resolution.elapsed_seconds == 5 * H
    assert resolution.due_at == t + dt.timedelta(hours=8)
    assert kinds(resolution) == ["start", "target"]


def test_change_level_is_a_workflow_action_with_a_reason(world, gold):
    inc = world.incident(level=4)
    incident_act(incident=inc, action="accept", by=world.agent)
    incident_act(incident=inc, action="change_level", by=world.agent, data={"level": "1", "reason": "全局瘫痪"})
    fresh = Incident.objects.get(pk=inc.pk)
    assert fresh.level == 1
    resolution = clock(inc, "resolution")
    assert (resolution.level, resolution.target_seconds) == (1, 4 * H)
    assert fresh.sla_due_at == resolution.due_at
    entry = Activity.objects.filter(object_id=inc.pk, action="change_level").get()
    assert entry.data == {"level": 1, "reason": "全局瘫痪"}
    audit = AuditEntry.objects.filter(action="incident.change_level", object_id=str(inc.pk)).get()
    assert (audit.before["level"], audit.after["level"]) == (4, 1)
    with pytest.raises(ValidationError):  # the level it already has is not a choice
        incident_act(incident=fresh, action="change_level", by=world.agent, data={"level": "1", "reason": "x"})


# --- on site, resolution, reopening, rejection ---------------------------------------------------------

def test_dispatch_starts_the_on_site_clock_from_the_report_and_arrival_stops_it(world, gold):
    reported = timezone.now() - dt.timedelta(minutes=40)
    inc = world.incident(level=1, reported_at=reported)
    incident_act(incident=inc, action="accept", by=world.agent)
    incident_act(incident=inc, action="dispatch", by=world.agent, data={"engineer": "engineer"})
    on_site = clock(inc, "on_site")
    assert on_site.started_at == reported and on_site.due_at == reported + dt.timedelta(hours=2)
    incident_act(incident=inc, action="dispatch", by=world.agent, data={"engineer": "engineer2"})
    assert kinds(clock(inc, "on_site")) == ["start"]  # a second dispatch does not restart it
    incident_act(incident=inc, action="record_arrival", by=world.engineer)
    on_site = clock(inc, "on_site")
    assert on_site.status == "stopped" and not on_site.breached and on_site.grade == ""  # on-site is not graded


def test_on_site_may_count_from_the_dispatch(world, gold):
    sla.sla_policy_update(policy=gold, by=None, settings={"on_site_from": "dispatch"})
    inc = world.incident(level=1, reported_at=timezone.now() - dt.timedelta(minutes=40))
    incident_act(incident=inc, action="accept", by=world.agent)
    incident_act(incident=inc, action="dispatch", by=world.agent, data={"engineer": "engineer"})
    assert clock(inc, "on_site").started_at == Incident.objects.get(pk=inc.pk).updated_at


def test_resolving_stops_resolution_and_reopening_restarts_it(world, gold):
    inc = world.incident(level=2)
    incident_act(incident=inc, action="accept", by=world.agent)
    incident_act(incident=inc, action="dispatch", by=world.agent, data={"engineer": "engineer"})
    incident_act(incident=inc, action="resolve", by=world.engineer, data={"solution": "重启服务"})
    resolution, on_site = clock(inc, "resolution"), clock(inc, "on_site")
    assert resolution.status == "stopped" and resolution.grade == "very_satisfied"
    assert on_site.status == "cancelled"  # nobody needs to arrive any more
    assert Incident.objects.get(pk=inc.pk).sla_state == "met"
    incident_act(incident=inc, action="reopen", by=world.requester_a, data={"reason": "又坏了"})
    resolution = clock(inc, "resolution")
    assert resolution.status == "running" and resolution.grade == ""
    assert kinds(resolution) == ["start", "stop", "restart"]
    assert Incident.objects.get(pk=inc.pk).sla_due_at == resolution.due_at


def test_rejecting_cancels_every_clock(world, gold):
    inc = world.incident(level=3)
    incident_act(incident=inc, action="reject", by=world.agent, data={"reason": "不属于服务范围"})
    assert set(SlaClock.objects.filter(object_id=inc.pk).values_list("status", flat=True)) == {"cancelled"}
    fresh = Incident.objects.get(pk=inc.pk)
    assert (fresh.sla_state, fresh.sla_due_at, fresh.sla_breached) == ("", None, False)


def test_a_late_resolution_is_breached_and_failed(world, gold):
    inc = world.incident(level=1)
    t = local(2026, 11, 2, 9, 0)
    clocks_from(inc, t)
    sla.clocks_stop(inc, metrics=("response", "resolution"), at=t + dt.timedelta(hours=4, seconds=1))
    resolution = clock(inc, "resolution")
    assert resolution.breached and resolution.breached_at == t + dt.timedelta(hours=4)
    assert resolution.grade == "fail"
    fresh = Incident.objects.get(pk=inc.pk)
    assert fresh.sla_state == "breached" and fresh.sla_breached


# --- China's calendar ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("opened", "due"), [
    # National Day 2025: 1-8 October off; the level-3 response (2 h) has 10 min on 30 September.
    (local(2025, 9, 30, 17, 20), local(2025, 10, 9, 10, 50)),
    # Spring Festival 2025: 28 January - 4 February off (Sunday 26 January worked).
    (local(2025, 1, 27, 17, 20), local(2025, 2, 5, 10, 50)),
    # Spring Festival 2026: 15-23 February off; Saturday 14 February is an adjusted working day.
    (local(2026, 2, 14, 17, 20), local(2026, 2, 24, 10, 50)),
    # National Day 2026: 1-7 October off; Saturday 10 October is an adjusted working day.
    (local(2026, 9, 30, 17, 20), local(2026, 10, 8, 10, 50)),
])
def test_a_level_3_response_opened_before_a_holiday_is_due_after_it(world, standard, opened, due):
    inc = world.incident(level=3)
    clocks = clocks_from(inc, opened)
    assert clocks["response"].target_seconds == 2 * H
    assert clocks["response"].due_at == due


def test_an_adjusted_working_weekend_counts(world, standard):
    inc = world.incident(level=3)
    clocks = clocks_from(inc, local(2026, 2, 13, 17, 0))  # Friday 17:00; Saturday 14 February is worked
    assert clocks["response"].due_at == local(2026, 2, 14, 10, 30)


def test_a_year_without_holidays_is_said_on_the_timeline_and_to_the_admins(world, standard, calendars):
    inc = world.incident(level=3)
    clocks = clocks_from(inc, local(2026, 12, 31, 16, 0))  # resolution: 24 business hours, into 2027
    assert clocks["resolution"].noted_years == [2027]
    notes = Activity.objects.filter(content_type=ContentType.objects.get_for_model(Incident), object_id=inc.pk,
                                    action="sla_missing_years")
    # One internal note per clock that runs into 2027 (the 2 h response too: 16:00-17:30 is not enough).
    assert sorted(n.data["metric"] for n in notes) == ["resolution", "response"]
    assert all(n.internal and n.data["years"] == [2027] for n in notes)
    alert = SlaAlert.objects.get()
    assert (alert.year, alert.calendar.code, alert.first_ticket, alert.resolved_at) == (2027, "5x8", inc.number,
                                                                                        None)
    other = world.incident(level=3)
    clocks_from(other, local(2026, 12, 31, 15, 0))
    alert.refresh_from_db()
    # One open alert, counted per clock: the second incident's response (from 15:00) ends within 2026.
    assert alert.occurrences == 3 and SlaAlert.objects.count() == 1
    sla.clocks_pause(inc, reason="customer", at=local(2027, 1, 4, 10, 0))  # moving it again: no new note
    assert notes.count() == 2


# --- cost ----------------------------------------------------------------------------------------------

def _create_queries(world) -> int:
    with CaptureQueriesContext(connection) as ctx:
        world.incident(level=2)
    return len(ctx.captured_queries)


def test_creation_with_a_policy_costs_two_statements_more(world, gold):
    from opsdesk.sla.models import SlaPolicy

    world.incident(level=2)  # warm the policy and engine caches
    with_policy = _create_queries(world)
    SlaPolicy.objects.filter(pk=gold.pk).update(is_active=False)
    world.incident(level=2)
    without = _create_queries(world)
    # The two clocks, then their two start events (the policy lookup runs in both): one multi-row INSERT
    # each (core.sql.insert_rows), on both databases.
    assert with_policy - without == 2


def test_a_policy_edit_reaches_the_next_creation(world, gold):
    world.incident(level=2)
    targets = [{"level": 2, "metric": "response", "category": None, "minutes": 45,
                "calendar": gold.targets.first().calendar_id}]
    sla.sla_policy_update(policy=gold, by=world.pm, settings={}, targets=targets)
    inc = world.incident(level=2)
    assert clock(inc, "response").target_seconds == 45 * 60
    assert not SlaClock.objects.filter(object_id=inc.pk, metric="resolution").exists()

"""Automatic escalation: level 3 open longer than N minutes becomes level 2, level 2 becomes level 1, on the
wall clock or in business time; through the workflow's change_level action, once."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest
from django.utils import timezone

from opsdesk.calendars.selectors import calendar_engine
from opsdesk.core.models import AuditEntry
from opsdesk.incidents.services import incident_act
from opsdesk.sla import services as sla

from .conftest import SECOND, SHANGHAI, local, timeline

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)


def level_of(incident) -> int:
    incident.refresh_from_db()
    return incident.level


def test_level_3_becomes_2_then_1_on_the_wall_clock(world, gold, lead, sweep, signals):
    t0 = timezone.now() - 4 * H - 10 * M
    inc = world.incident(level=3, reported_at=t0)
    assert sweep(t0 + 4 * H).escalations == 0  # exactly 4 h: not longer than 4 h yet
    assert level_of(inc) == 3
    before = timezone.now()
    assert sweep(t0 + 4 * H + SECOND).escalations == 1
    after = timezone.now()
    assert level_of(inc) == 2
    [step] = timeline(inc, "change_level")
    assert step.actor_id is None and step.data["level"] == 2 and step.data["automatic"] == "time"
    assert step.data["reason"] == "3 级事件超过 4 小时未结束。"  # written in the site's language (zh-hans)
    assert {p["username"] for p in step.data["recipients"]} == {"pm", "lead"}  # level 2: an emergency
    audit = AuditEntry.objects.get(action="sla.escalate", object_id=str(inc.pk))
    assert (audit.before, audit.after["level"], audit.after["reason"]) == ({"level": 3}, 2, step.data["reason"])
    assert AuditEntry.objects.filter(action="incident.change_level", object_id=str(inc.pk)).count() == 1
    [event] = signals.of("escalation")
    assert (event["from_level"], event["level"], event["activity_id"]) == (3, 2, step.pk)
    assert sweep(t0 + 4 * H + SECOND).escalations == 0  # retried: nothing more
    # Level 2 counts its own 4 h from the moment it became level 2 (the sweep above, between before/after).
    assert sweep(before + 4 * H - SECOND).escalations == 0
    assert level_of(inc) == 2
    assert sweep(after + 4 * H + SECOND).escalations == 1
    assert level_of(inc) == 1
    assert [a.data["level"] for a in timeline(inc, "change_level")] == [2, 1]
    assert sweep(after + 40 * H).escalations == 0  # level 1 is the top
    assert level_of(inc) == 1 and len(signals.of("escalation")) == 2


def last_working_day() -> dt.date:
    """The latest day before today (Asia/Shanghai) that China's official calendar makes a working day,
    within the 30 days an incident may be back-dated."""
    today = timezone.now().astimezone(SHANGHAI).date()
    for back in range(1, 30):
        day = today - dt.timedelta(days=back)
        if chinese_calendar.is_workday(day):
            return day
    raise AssertionError("no working day in the last month")


@pytest.mark.parametrize(("basis", "expected"), [("wall", (13, 0)), ("business", (14, 30))])
def test_escalation_on_the_wall_clock_or_in_business_time(world, standard, sweep, basis, expected):
    """5x8 is 09:00–12:00 and 13:30–17:30: four business hours from 09:00 end at 14:30, four wall hours
    at 13:00 (in the lunch break)."""
    sla.sla_policy_update(policy=standard, by=None, settings={"escalation_basis": basis})
    day = last_working_day()
    inc = world.incident(level=3, reported_at=local(day.year, day.month, day.day, 9, 0))
    due = local(day.year, day.month, day.day, *expected)
    assert sweep(due).escalations == 0
    assert level_of(inc) == 3
    assert sweep(due + SECOND).escalations == 1
    assert level_of(inc) == 2
    [step] = timeline(inc, "change_level")
    assert step.data["basis"] == basis
    assert step.data["reason"].endswith("4 小时未结束（按工作时间计）。" if basis == "business" else "4 小时未结束。")


def test_level_2_in_business_time_counts_from_the_raise(world, standard, sweep):
    sla.sla_policy_update(policy=standard, by=None, settings={"escalation_basis": "business",
                                                              "escalate_2_to_1_minutes": 60})
    day = last_working_day()
    inc = world.incident(level=3, reported_at=local(day.year, day.month, day.day, 9, 0))
    before = timezone.now()
    sweep(local(day.year, day.month, day.day, 14, 31))
    after = timezone.now()
    assert level_of(inc) == 2
    office = calendar_engine(standard.targets.first().calendar_id)  # 5x8, the resolution clock's calendar
    assert sweep(office.add(before, 3600) - SECOND).escalations == 0
    assert sweep(office.add(after, 3600) + SECOND).escalations == 1
    assert level_of(inc) == 1


def test_no_escalation_while_on_hold(world, gold, sweep):
    t0 = timezone.now() - 3 * H
    inc = world.incident(level=3, reported_at=t0)
    incident_act(incident=inc, action="accept", by=world.engineer)
    incident_act(incident=inc, action="hold", by=world.engineer, data={"hold_reason": "third_party", "note": "等厂商"})
    assert sweep(timezone.now() + 2 * H).escalations == 0  # would be due in 1 h, but it waits for the vendor
    assert level_of(inc) == 3
    incident_act(incident=inc, action="resume", by=world.engineer)
    assert sweep(timezone.now() + 2 * H).escalations == 1
    assert level_of(inc) == 2


def test_an_escalation_due_before_a_hold_is_taken_after_it(world, gold, sweep):
    t0 = timezone.now() - 4 * H - 10 * M
    inc = world.incident(level=3, reported_at=t0)
    incident_act(incident=inc, action="accept", by=world.engineer)
    incident_act(incident=inc, action="hold", by=world.engineer, data={"hold_reason": "customer", "note": "等用户"})
    assert sweep(timezone.now()).escalations == 0
    incident_act(incident=inc, action="resume", by=world.engineer)
    assert sweep(timezone.now()).escalations == 1  # the four hours were over before the hold
    assert level_of(inc) == 2


def test_a_manual_level_change_starts_the_count_again(world, gold, sweep):
    inc = world.incident(level=4, reported_at=timezone.now() - 5 * H)
    assert sweep(timezone.now()).escalations == 0  # level 4 never escalates
    incident_act(incident=inc, action="change_level", by=world.pm, data={"level": "3", "reason": "影响扩大"})
    assert sweep(timezone.now() + 3 * H).escalations == 0  # open 8 h, but level 3 only for 3 h
    assert sweep(timezone.now() + 4 * H + M).escalations == 1
    assert level_of(inc) == 2


def test_resolved_incidents_do_not_escalate(world, gold, sweep):
    inc = world.incident(level=3, reported_at=timezone.now() - 3 * H)
    incident_act(incident=inc, action="accept", by=world.engineer)
    incident_act(incident=inc, action="resolve", by=world.engineer, data={"solution": "重启服务"})
    assert sweep(timezone.now() + 2 * H).escalations == 0
    assert level_of(inc) == 3

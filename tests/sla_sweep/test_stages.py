"""Warnings at 75 % and 90 % and breaches, at their instants, once each, to the right people.

Time is driven by the sweep's `now=`; the gold policy counts on 7x24, so the instants are plain arithmetic:
a level-3 incident must be responded to within 2 h (75 % = 1 h 30, 90 % = 1 h 48) and resolved within 24 h.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from opsdesk.core.models import AuditEntry
from opsdesk.incidents.services import incident_act
from opsdesk.sla import services as sla
from opsdesk.sla.models import SlaClock

from .conftest import SECOND, timeline

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)


@pytest.fixture
def no_escalation(gold):
    """Gold, with escalations a week away so that only warnings and breaches happen."""
    return sla.sla_policy_update(policy=gold, by=None, settings={"escalate_3_to_2_minutes": 10080,
                                                                 "escalate_2_to_1_minutes": 10080})


def clock(incident, metric: str) -> SlaClock:
    return SlaClock.objects.get(object_id=incident.pk, metric=metric)


def test_warnings_and_breach_come_at_their_instants_once_each(world, no_escalation, sweep, signals):
    t0 = timezone.now()
    inc = world.incident(level=3, reported_at=t0)
    steps = [  # (time after the report, kinds of events the sweep at that instant sends)
        (90 * M - SECOND, []), (90 * M, [("warning", 1)]), (90 * M, []), (108 * M - SECOND, []),
        (108 * M, [("warning", 2)]), (2 * H, []), (2 * H + SECOND, [("breach", 3)]), (2 * H + SECOND, []),
        (5 * H, []),
    ]
    for offset, expected in steps:
        before = len(signals.events)
        sweep(t0 + offset)
        sent = [(e["kind"], e["stage"]) for e in signals.events[before:]]
        assert sent == expected, offset
        inc.refresh_from_db()
        assert inc.sla_breached is (offset > 2 * H)
    response = clock(inc, "response")
    assert response.breached and response.breached_at == t0 + 2 * H  # the due instant, not the sweep's
    assert response.notified_stage == 3 and response.next_event_at is None
    warnings = timeline(inc, "sla_warning")
    assert [(a.data["metric"], a.data["percent"]) for a in warnings] == [("response", 75), ("response", 90)]
    [breach] = timeline(inc, "sla_breach")
    assert breach.internal and breach.data["breached_at"] == (t0 + 2 * H).isoformat()
    assert [e["activity_id"] for e in signals.events] == [*(a.pk for a in warnings), breach.pk]
    assert AuditEntry.objects.filter(action="sla.warning", object_id=str(inc.pk)).count() == 2
    assert AuditEntry.objects.filter(action="sla.breach", object_id=str(inc.pk)).count() == 1
    # The resolution clock (24 h) has had nothing due yet.
    assert clock(inc, "resolution").notified_stage == 0


def test_a_late_sweep_announces_only_the_stage_reached(world, no_escalation, sweep, signals):
    t0 = timezone.now()
    inc = world.incident(level=3, reported_at=t0)
    result = sweep(t0 + 3 * H)
    assert (result.warnings, result.breaches) == (0, 1)
    assert timeline(inc, "sla_warning") == []
    assert [a.data["metric"] for a in timeline(inc, "sla_breach")] == ["response"]
    result = sweep(t0 + 22 * H)  # resolution: 90 % (21 h 36) passed, due at 24 h not yet
    assert (result.warnings, result.breaches) == (1, 0)
    assert [(a.data["metric"], a.data["percent"]) for a in timeline(inc, "sla_warning")] == [("resolution", 90)]


def test_a_stopped_clock_is_neither_warned_nor_breached(world, no_escalation, sweep, signals):
    t0 = timezone.now()
    inc = world.incident(level=3, reported_at=t0)
    incident_act(incident=inc, action="accept", by=world.engineer)  # the response clock stops
    sweep(t0 + 3 * H)
    assert [e["clock"].metric for e in signals.events] == []
    assert clock(inc, "response").breached is False


def test_a_paused_clock_waits_and_resumes(world, no_escalation, sweep, signals):
    t0 = timezone.now()
    inc = world.incident(level=3, reported_at=t0)
    incident_act(incident=inc, action="accept", by=world.engineer)
    incident_act(incident=inc, action="hold", by=world.engineer, data={"hold_reason": "customer", "note": "等用户"})
    assert sweep(t0 + 30 * H).as_dict()["breaches"] == 0  # on hold for the customer: no clock runs
    incident_act(incident=inc, action="resume", by=world.engineer)
    resumed_due = clock(inc, "resolution").due_at
    assert resumed_due > t0 + 24 * H  # the time on hold does not count
    assert sweep(resumed_due).breaches == 0
    assert sweep(resumed_due + SECOND).breaches == 1
    assert clock(inc, "resolution").breached_at == resumed_due


def test_breach_recipients_by_level(world, no_escalation, lead, sweep, signals):
    t0 = timezone.now()
    l3 = world.incident(level=3, reported_at=t0, title="三级")
    l1 = world.incident(level=1, reported_at=t0, title="一级")
    for inc in (l3, l1):
        incident_act(incident=inc, action="accept", by=world.engineer)  # owner: the engineer
        incident_act(incident=inc, action="assign", by=world.engineer, data={"assignee": "engineer2"})
    sweep(t0 + 25 * H)  # both resolution clocks breached (24 h and 4 h)

    def people(inc):
        [entry] = timeline(inc, "sla_breach")
        [event] = [e for e in signals.of("breach") if e["ticket"].pk == inc.pk]
        assert event["recipients"] == entry.data["recipients"]
        return {p["username"]: p["roles"] for p in entry.data["recipients"]}

    assert people(l3) == {"engineer": ["owner"], "pm": ["project_manager"]}
    assert people(l1) == {"engineer": ["owner"], "pm": ["project_manager"], "lead": ["emergency_lead"]}


def test_warnings_go_to_those_working_the_ticket(world, no_escalation, lead, sweep, signals):
    t0 = timezone.now()
    unowned = world.incident(level=1, reported_at=t0, title="无人受理")
    owned = world.incident(level=1, reported_at=t0, title="已受理")
    incident_act(incident=owned, action="accept", by=world.engineer)
    incident_act(incident=owned, action="assign", by=world.engineer, data={"assignee": "engineer2"})
    sweep(t0 + 3 * H + 30 * M)  # level 1 resolution (4 h): 75 % at 3 h (response 30 min long breached)
    recipients = {e["ticket"].pk: {p["username"] for p in e["recipients"]} for e in signals.of("warning")}
    assert recipients == {unowned.pk: {"pm"}, owned.pk: {"engineer", "engineer2"}}


def test_queries_do_not_grow_per_ticket_beyond_the_writes(world, no_escalation, sweep, django_assert_max_num_queries):
    t0 = timezone.now()
    n = 12
    for i in range(n):
        world.incident(level=3, reported_at=t0, title=f"批量 {i}")
    # Per batch: find due, lock tickets, list and lock clocks, recipients (grants, people), timeline insert;
    # per event: the claim and the audit entry; per breached ticket: its list fields.
    with django_assert_max_num_queries(10 + 3 * n):
        result = sweep(t0 + 3 * H)
    assert result.breaches == n


def test_sweeping_again_changes_nothing(world, no_escalation, sweep, signals):
    t0 = timezone.now()
    inc = world.incident(level=2, reported_at=t0)
    first = sweep(t0 + 9 * H)
    assert (first.breaches, first.warnings) == (2, 0)
    audit = AuditEntry.objects.count()
    assert sweep(t0 + 9 * H).as_dict() == {"warnings": 0, "breaches": 0, "escalations": 0, "skipped": 0,
                                           "batches": 0}
    assert AuditEntry.objects.count() == audit
    assert len(timeline(inc, "sla_breach")) == 2

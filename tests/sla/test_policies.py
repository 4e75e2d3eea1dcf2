"""SLA policies: the default tables, audited edits with every bad input named, who may edit, and re-applying
an edit to running tickets (keeping the time they have spent)."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.core.errors import PermissionDenied, ValidationError
from opsdesk.core.models import Activity, AuditEntry
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_act
from opsdesk.sla import services as sla
from opsdesk.sla.models import SlaPolicy, SlaTarget

from .conftest import clock, clocks_from, local

H = 3600


def table(policy: SlaPolicy) -> dict[tuple[int, str], tuple[int, str]]:
    return {(t.level, t.metric): (t.minutes, t.calendar.code)
            for t in SlaTarget.objects.filter(policy=policy).select_related("calendar")}


def test_the_vendor_table_with_levels_1_2_responding_in_30_minutes(world, calendars):
    policy = sla.sla_policy_create(by=world.pm, contract=world.contract_a, tier="silver")
    assert policy.is_active and policy.pause_reasons == ["customer", "third_party"]
    assert table(policy) == {
        (1, "response"): (30, "24x7"), (1, "on_site"): (120, "24x7"), (1, "resolution"): (240, "24x7"),
        (2, "response"): (30, "24x7"), (2, "on_site"): (240, "24x7"), (2, "resolution"): (480, "24x7"),
        (3, "response"): (120, "5x8"), (3, "on_site"): (480, "5x8"), (3, "resolution"): (1440, "5x8"),
        (4, "response"): (120, "5x8"), (4, "resolution"): (240, "5x8"),
    }
    assert (policy.escalate_3_to_2_minutes, policy.escalate_2_to_1_minutes, policy.escalation_basis) == (
        240, 240, "wall")
    assert (policy.response_very_satisfied_minutes, policy.response_satisfied_minutes,
            policy.response_pass_minutes) == (5, 10, 15)
    assert (policy.resolution_very_satisfied_minutes, policy.resolution_satisfied_minutes,
            policy.resolution_pass_minutes) == (30, 60, 120)
    assert AuditEntry.objects.filter(action="sla_policy.create", object_id=str(policy.pk)).exists()


def test_the_desktop_table_is_15_minutes_and_2_hours_on_5x8(world, calendars):
    policy = sla.sla_policy_create(by=None, contract=world.contract_a, tier="standard", preset="desktop")
    assert table(policy) == {(level, metric): minutes for level in range(1, 5) for metric, minutes in
                             (("response", (15, "5x8")), ("resolution", (120, "5x8")))}


def test_a_second_tier_is_not_in_effect_until_activated(world, gold, calendars):
    silver = sla.sla_policy_create(by=world.pm, contract=world.contract_a, tier="silver")
    assert not silver.is_active
    with pytest.raises(ValidationError) as exc:
        sla.sla_policy_create(by=world.pm, contract=world.contract_a, tier="silver")
    assert set(exc.value.fields) == {"tier"}
    inc = world.incident(level=3)
    assert clock(inc, "resolution").calendar.code == "24x7"  # gold
    sla.sla_policy_activate(policy=silver, by=world.pm)
    gold.refresh_from_db()
    assert not gold.is_active
    assert clock(world.incident(level=3), "resolution").calendar.code == "5x8"


def test_only_the_project_manager_or_a_system_admin_edits(world, gold):
    with pytest.raises(PermissionDenied):
        sla.sla_policy_update(policy=gold, by=world.engineer, settings={"name": "改名"})
    with pytest.raises(PermissionDenied):
        sla.sla_policy_create(by=world.agent, contract=world.contract_a, tier="silver")
    from tests.factories import UserFactory, grant

    admin = grant(UserFactory(username="sysadmin"), "system_admin", world.contract_a)
    sla.sla_policy_update(policy=gold, by=admin, settings={"name": "金牌 SLA"})
    assert SlaPolicy.objects.get(pk=gold.pk).name == "金牌 SLA"


def test_every_bad_input_is_named_and_nothing_changes(world, gold):
    before = (table(gold), SlaPolicy.objects.get(pk=gold.pk).revision)
    calendar = gold.targets.first().calendar_id
    with pytest.raises(ValidationError) as exc:
        sla.sla_policy_update(policy=gold, by=world.pm, settings={
            "name": "", "pause_reasons": ["lunch"], "on_site_from": "never", "escalate_3_to_2_minutes": "soon",
            "recurrence_days": 0, "response_very_satisfied_minutes": 20, "response_satisfied_minutes": 10,
        }, targets=[
            {"level": 5, "metric": "response", "minutes": 10, "calendar": calendar, "field": "a"},
            {"level": 1, "metric": "speed", "minutes": 10, "calendar": calendar, "field": "b"},
            {"level": 1, "metric": "response", "minutes": 0, "calendar": calendar, "field": "c"},
            {"level": 1, "metric": "response", "minutes": 10, "calendar": 999999, "field": "d"},
            {"level": 1, "metric": "response", "minutes": 10, "calendar": calendar, "category": 999999, "field": "e"},
            {"level": 2, "metric": "response", "minutes": 10, "calendar": calendar, "field": "f"},
            {"level": 2, "metric": "response", "minutes": 20, "calendar": calendar, "field": "g"},
        ])
    assert set(exc.value.fields) == {"name", "pause_reasons", "on_site_from", "escalate_3_to_2_minutes",
                                     "recurrence_days", "response_satisfied_minutes", "a", "b", "c", "d", "e", "g"}
    assert (table(gold), SlaPolicy.objects.get(pk=gold.pk).revision) == before


def test_an_edit_applies_to_new_tickets_only_unless_reapplied(world, gold, django_capture_on_commit_callbacks):
    running = world.incident(level=3)
    before = clock(running, "resolution").target_seconds
    calendar = gold.targets.first().calendar_id
    targets = [{"level": 3, "metric": metric, "minutes": minutes, "calendar": calendar, "category": None}
               for metric, minutes in (("response", 60), ("resolution", 600))]
    with django_capture_on_commit_callbacks(execute=True):
        sla.sla_policy_update(policy=gold, by=world.pm, settings={}, targets=targets)
    assert clock(running, "resolution").target_seconds == before
    assert clock(world.incident(level=3), "resolution").target_seconds == 600 * 60
    audit = AuditEntry.objects.filter(action="sla_policy.update").latest("id")
    assert len(audit.before["targets"]) == 11 and len(audit.after["targets"]) == 2


def test_reapplying_recomputes_running_tickets_keeping_time_spent(world, gold, django_capture_on_commit_callbacks):
    inc = world.incident(level=3)
    t = local(2026, 11, 2, 9, 0)
    clocks_from(inc, t)
    sla.clocks_pause(inc, reason="customer", at=t + dt.timedelta(hours=1))
    sla.clocks_resume(inc, at=t + dt.timedelta(hours=3))
    ended = world.incident(level=3)
    incident_act(incident=ended, action="reject", by=world.agent, data={"reason": "不属于范围"})
    calendar = gold.targets.first().calendar_id
    targets = [{"level": 3, "metric": "resolution", "minutes": 600, "calendar": calendar, "category": None},
               {"level": 3, "metric": "response", "minutes": 90, "calendar": calendar, "category": None}]
    with django_capture_on_commit_callbacks(execute=True):
        sla.sla_policy_update(policy=gold, by=world.pm, settings={"pause_reasons": ["customer"]}, targets=targets,
                              reapply=True)
    resolution = clock(inc, "resolution")
    assert resolution.target_seconds == 600 * 60
    assert resolution.paused_seconds == 2 * H  # the pause before the edit still does not count
    assert resolution.due_at == t + dt.timedelta(hours=12)
    assert resolution.pause_reasons == ["customer"]
    assert Incident.objects.get(pk=inc.pk).sla_due_at == clock(inc, "response").due_at
    note = Activity.objects.get(object_id=inc.pk, action="sla_reapplied")
    assert note.internal and {c["metric"] for c in note.data["changes"]} == {"response", "resolution"}
    assert not Activity.objects.filter(object_id=ended.pk, action="sla_reapplied").exists()
    assert AuditEntry.objects.filter(action="sla_policy.reapply", actor=world.pm).exists()
    # A second run finds nothing to change.
    assert sla.policy_reapply(policy_id=gold.pk) == 0


def test_reapplying_pause_rules_pauses_or_resumes_tickets_on_hold(world, gold, django_capture_on_commit_callbacks):
    inc = world.incident(level=3)
    incident_act(incident=inc, action="accept", by=world.agent)
    incident_act(incident=inc, action="hold", by=world.agent, data={"hold_reason": "third_party", "note": "等厂商"})
    assert clock(inc, "resolution").status == "paused"
    with django_capture_on_commit_callbacks(execute=True):
        sla.sla_policy_update(policy=gold, by=world.pm, settings={"pause_reasons": ["customer"]}, reapply=True)
    assert clock(inc, "resolution").status == "running"  # waiting for a third party no longer pauses

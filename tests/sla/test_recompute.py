"""A calendar correction recomputes the due times of running clocks in a background job and says so on
their tickets' timelines; the "year not loaded" alert closes once the year is loaded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from huey.contrib.djhuey import HUEY

from opsdesk.calendars import services as calendar_services
from opsdesk.calendars.arrangements import ArrangementDay
from opsdesk.core.models import Activity, AuditEntry
from opsdesk.incidents.models import Incident
from opsdesk.sla import services as sla
from opsdesk.sla.models import SlaAlert, SlaClockEvent

from .conftest import clock, clocks_from, local


def notes(incident: Incident, action: str) -> list[Activity]:
    return list(Activity.objects.filter(content_type=ContentType.objects.get_for_model(Incident),
                                        object_id=incident.pk, action=action))


def test_an_extra_closed_day_moves_running_clocks_and_is_noted(world, standard, calendars,
                                                               django_capture_on_commit_callbacks):
    inc = world.incident(level=3)
    clocks_from(inc, local(2026, 12, 1, 9, 0))  # Tuesday; the response (2 h on 5x8) is due 11:00
    done = world.incident(level=3)
    clocks_from(done, local(2026, 12, 1, 9, 0))
    sla.clocks_stop(done, metrics=("response",), at=local(2026, 12, 1, 9, 30))
    assert clock(inc, "response").due_at == local(2026, 12, 1, 11, 0)
    with django_capture_on_commit_callbacks(execute=True):
        calendar_services.calendar_override_add(calendar=calendars["5x8"], by=None, kind="closed",
                                        start_date="2026-12-01", name="停电检修")
    response = clock(inc, "response")
    assert response.due_at == local(2026, 12, 2, 11, 0)
    assert Incident.objects.get(pk=inc.pk).sla_due_at == response.due_at
    assert list(SlaClockEvent.objects.filter(clock=response).values_list("kind", flat=True)) == ["start", "recompute"]
    [note] = notes(inc, "sla_recomputed")
    assert note.internal and note.data["reason"] == "override.add"
    assert {"metric": "response", "old_due": local(2026, 12, 1, 11, 0).astimezone(dt.UTC).isoformat(),
            "new_due": response.due_at.isoformat()} in note.data["changes"]
    assert clock(done, "response").elapsed_seconds == 30 * 60  # a stopped clock keeps its result
    assert [n.data["changes"][0]["metric"] for n in notes(done, "sla_recomputed")] == ["resolution"]
    assert AuditEntry.objects.filter(action="sla.recompute").count() == 1
    # Run again (a retried job): nothing moves, nothing is noted twice.
    assert sla.clocks_recompute_for_calendars(calendar_ids=[calendars["5x8"].pk],
                                              reason="retry") == 0
    assert len(notes(inc, "sla_recomputed")) == 1


def test_clocks_on_other_calendars_are_left_alone(world, gold, calendars, django_capture_on_commit_callbacks):
    inc = world.incident(level=3)
    clocks_from(inc, local(2026, 12, 1, 9, 0))
    with django_capture_on_commit_callbacks(execute=True):
        calendar_services.calendar_override_add(calendar=calendars["5x8"], by=None, kind="closed",
                                        start_date="2026-12-01", name="停电检修")
    assert not notes(inc, "sla_recomputed")
    assert clock(inc, "response").due_at == local(2026, 12, 1, 11, 0)


def test_loading_next_years_holidays_recomputes_and_closes_the_alert(world, standard, calendars,
                                                                     django_capture_on_commit_callbacks):
    inc = world.incident(level=3)
    clocks_from(inc, local(2026, 12, 31, 16, 0))  # 24 business hours: into January 2027
    before = clock(inc, "resolution").due_at
    assert SlaAlert.objects.filter(year=2027, resolved_at__isnull=True).exists()
    days = [ArrangementDay(dt.date(2027, 1, 1), "holiday", "元旦")]
    with django_capture_on_commit_callbacks(execute=True):
        calendar_services.holiday_year_apply(year=2027, days=days, source="entered", by=None)
    after = clock(inc, "resolution").due_at
    assert after - before == dt.timedelta(days=1)  # New Year's Day 2027 is a Friday: one more working day
    assert notes(inc, "sla_recomputed")[0].data["reason"] == "holidays:2027"
    assert SlaAlert.objects.get(year=2027).resolved_at is not None


@pytest.fixture
def queued_huey():
    HUEY.immediate = False
    HUEY.flush()
    yield HUEY
    HUEY.flush()
    HUEY.immediate = True


@pytest.mark.django_db(transaction=True)
def test_the_recompute_job_goes_through_the_real_queue(world, standard, calendars, queued_huey):
    inc = world.incident(level=3)
    clocks_from(inc, local(2026, 12, 1, 9, 0))
    queued_huey.flush()  # the new incident's own jobs (search index) are not this test's subject
    calendar_services.calendar_override_add(calendar=calendars["5x8"], by=None, kind="closed",
                                    start_date="2026-12-01", name="停电检修")
    assert queued_huey.pending_count() == 1  # sent on commit, queued, not yet run
    assert clock(inc, "response").due_at == local(2026, 12, 1, 11, 0)
    queued_huey.execute(queued_huey.dequeue())
    assert clock(inc, "response").due_at == local(2026, 12, 2, 11, 0)
    assert len(notes(inc, "sla_recomputed")) == 1

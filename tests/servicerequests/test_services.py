"""Creation rules, bad input that changes nothing, visibility and the approvals provider."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.core.models import Activity, AuditEntry
from opsdesk.servicerequests import selectors, services
from opsdesk.servicerequests.models import ServiceRequest
from opsdesk.servicerequests.workflow import APPLY_STAFFING, CLOSE
from tests.factories import UserFactory, grant

from .conftest import REPORT, act, later


def _unchanged(sr: ServiceRequest):
    """A context checking that nothing about `sr` was written."""
    class Check:
        def __enter__(self):
            self.version, self.status = ServiceRequest.objects.values_list("version", "status").get(pk=sr.pk)
            self.activities, self.audits = Activity.objects.count(), AuditEntry.objects.count()

        def __exit__(self, *exc):
            assert ServiceRequest.objects.values_list("version", "status").get(pk=sr.pk) == (self.version,
                                                                                           self.status)
            assert (Activity.objects.count(), AuditEntry.objects.count()) == (self.activities, self.audits)
            return False
    return Check()


def test_created_by_staff_or_client_people(world, people, drive):
    by_staff = drive.create("urgent", by=world.agent, requester=world.requester_a2)
    assert by_staff.requester == world.requester_a2 and by_staff.created_by == world.agent
    assert drive.create("onsite", by=world.agent).requester is None
    assert drive.create("onsite", by=people.app_owner).requester == people.app_owner
    assert drive.create("onsite", by=world.contact_a, requester=world.requester_a).requester == world.requester_a
    assert AuditEntry.objects.filter(action="service_request.create").count() == 4


@pytest.mark.parametrize("who", ["leader", "app_division", "vendor"])
def test_roles_that_do_not_create(who, world, people, drive):
    with pytest.raises(ValidationError) as exc:
        drive.create("urgent", by=getattr(people, who))
    assert set(exc.value.fields) == {"contract"}
    assert not ServiceRequest.objects.exists()


def test_bad_creation_input_is_reported_per_field(world, people, drive):
    other_incident = world.incident(by=world.agent_b, contract=world.contract_b, requester=world.requester_b)
    with pytest.raises(ValidationError) as exc:
        services.request_create(by=world.agent, contract=world.contract_a, kind="nonsense", title=" ",
                                requester=world.requester_b, incident=other_incident,
                                desired_date=timezone.localdate() - dt.timedelta(days=1))
    assert set(exc.value.fields) == {"kind", "title", "requester", "incident", "desired_date"}
    with pytest.raises(ValidationError) as exc:
        services.request_create(by=world.requester_a, contract=world.contract_a, kind="urgent", title="x",
                                requester=world.requester_a2)
    assert set(exc.value.fields) == {"requester"}
    with pytest.raises(ValidationError) as exc:
        services.request_create(by=world.requester_a, contract=world.contract_b, kind="urgent", title="x")
    assert set(exc.value.fields) == {"contract"}
    with pytest.raises(ValidationError) as exc:
        drive.create("urgent", by=world.agent, title="x" * 201, affected_system="y" * 201)
    assert set(exc.value.fields) == {"title", "affected_system"}
    assert not ServiceRequest.objects.exists()


def test_links_on_the_same_contract(world, drive):
    inc = world.incident()
    sr = drive.create("urgent", by=world.agent, incident=inc, desired_date=timezone.localdate())
    assert sr.incident == inc and sr.desired_date == timezone.localdate()


@pytest.mark.parametrize("effort", ["0", "-1", "1000.1", "abc", "NaN", "Infinity", ""])
def test_effort_out_of_range_changes_nothing(effort, world, drive):
    sr = drive.create("urgent")
    with _unchanged(sr), pytest.raises(ValidationError) as exc:
        services.request_act(sr=sr, action="assess", by=world.engineer,
                             data={"effort_hours": effort, "difficulty": "low"})
    assert set(exc.value.fields) == {"effort_hours"}
    assert act(sr, "assess", world.engineer, effort_hours="1000", difficulty="low").status == "assessed"


def test_missing_fields_and_bad_choices_change_nothing(world, drive):
    sr = drive.create("urgent")
    with _unchanged(sr), pytest.raises(ValidationError) as exc:
        services.request_act(sr=sr, action="assess", by=world.engineer, data={"effort_hours": "4",
                                                                             "difficulty": "extreme"})
    assert set(exc.value.fields) == {"difficulty"}
    sr = drive.work(drive.dispatched("optimisation"))
    with _unchanged(sr), pytest.raises(ValidationError) as exc:
        services.request_act(sr=sr, action="write_report", by=world.engineer,
                             data={**REPORT, "cause": "  ", "log": ""})
    assert set(exc.value.fields) == {"cause", "log"}


def test_handler_from_another_contract_is_refused(world, people, drive):
    outsider = grant(UserFactory(username="eng_b"), "engineer", world.contract_b)
    sr = drive.create("migration")
    act(sr, "assess", world.engineer, effort_hours="8", difficulty="low")
    for name in ("eng_b", "agent", "nobody", "req_a"):
        with _unchanged(sr), pytest.raises(ValidationError) as exc:
            services.request_act(sr=sr, action="dispatch", by=world.pm, data={"handler": name})
        assert set(exc.value.fields) == {"handler"}
    assert outsider.username not in [u for u, _n in selectors.client_people(contract_id=world.contract_a.pk)
                                     .values_list("username", "full_name")]


def test_change_window_must_end_after_start(world, people, drive):
    sr = drive.dispatched("major_change")
    act(sr, "submit_plan", world.engineer, plan="p", impact_analysis="i", rollback_plan="r")
    act(sr, "approve_plan", people.app_owner)
    act(sr, "record_test", world.engineer, test_environment="t", test_passed=True, test_notes="ok")
    with _unchanged(sr), pytest.raises(ValidationError) as exc:
        services.request_act(sr=sr, action="schedule_change", by=world.engineer,
                             data={"change_window_start": later(26), "change_window_end": later(24)})
    assert set(exc.value.fields) == {"change_window_end"}
    assert sr.status == "awaiting_window"  # the caller's record is read again
    with _unchanged(sr), pytest.raises(ValidationError) as exc:
        services.request_act(sr=sr, action="schedule_change", by=world.engineer,
                             data={"change_window_start": "yesterday", "change_window_end": later(-48)})
    assert set(exc.value.fields) == {"change_window_start", "change_window_end"}


def test_stale_version_is_a_conflict(world, drive):
    from opsdesk.core.errors import Conflict

    sr = drive.create("urgent")
    with _unchanged(sr), pytest.raises(Conflict):
        services.request_act(sr=sr, action="assess", by=world.engineer, version=sr.version - 1,
                             data={"effort_hours": "4", "difficulty": "low"})


def test_visibility(world, people, drive):
    mine = drive.create("urgent")  # requester_a's
    staff_made = drive.create("urgent", by=world.agent)
    seeing = {world.requester_a: {mine}, world.requester_a2: set(), world.contact_a: {mine, staff_made},
              people.app_owner: {mine, staff_made}, people.leader: {mine, staff_made},
              people.app_division: {mine, staff_made}, people.vendor: {mine, staff_made},
              world.engineer: {mine, staff_made}, world.requester_b: set(), world.contact_b: set(),
              world.agent_b: set()}
    for person, expected in seeing.items():
        page = selectors.request_list(visible_to=person, filters=selectors.RequestFilters.parse({}), limit=50)
        assert set(page.items) == expected, person.username
        for sr in (mine, staff_made):
            if sr in expected:
                assert selectors.request_get(number=sr.number, visible_to=person) == sr
            else:
                with pytest.raises(NotFound):
                    selectors.request_get(number=sr.number, visible_to=person)


def test_list_filters(world, people, drive):
    a = drive.dispatched("urgent")
    b = drive.create("onsite", by=world.agent)
    def numbers(**params):
        page = selectors.request_list(visible_to=world.pm, filters=selectors.RequestFilters.parse(params), limit=50)
        return {sr.number for sr in page.items}
    assert numbers(kind="urgent") == {a.number}
    assert numbers(status="requested") == {b.number}
    assert numbers(status="open", contract="TAX-2026") == {a.number, b.number}
    assert numbers(handler="engineer") == {a.number}
    assert numbers(handler="none") == {b.number}
    assert numbers(q=b.number.lower()) == {b.number}
    page = selectors.request_list(visible_to=world.agent, filters=selectors.RequestFilters.parse({"mine": "true"}),
                                  limit=50)
    assert [sr.number for sr in page.items] == [b.number]
    with pytest.raises(ValidationError) as exc:
        selectors.RequestFilters.parse({"kind": "x", "status": "y", "mine": "maybe"})
    assert set(exc.value.fields) == {"kind", "status", "mine"}


def test_approvals_provider_is_one_query(world, people, drive):
    drive.create("urgent")
    for _i in range(3):
        sr = drive.create("migration")
        act(sr, "assess", world.engineer, effort_hours="8", difficulty="low", needs_extra_resources=True)
    closing = drive.reported("data_maintenance")
    drive.confirm_follow_up(closing)
    people.app_owner.refresh_from_db()  # fresh grants cache
    selectors.pending_approvals(people.app_owner)  # grants loaded
    with CaptureQueriesContext(connection) as ctx:
        items = selectors.pending_approvals(people.app_owner)
    assert len(ctx.captured_queries) == 1 and len(items) == 4
    assert {i.step for i in items} == {str(APPLY_STAFFING.label), str(CLOSE.label)}
    with CaptureQueriesContext(connection) as ctx:
        assert selectors.pending_approvals(world.engineer) == []
    assert len(ctx.captured_queries) <= 1

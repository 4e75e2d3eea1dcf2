"""Bug and requirement confirmation (DOMAIN.md §2): both kinds end to end by the declared roles, every branch,
every other role refused, the transfer-out reports, and bad input that changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from opsdesk.accounts.choices import Role
from opsdesk.confirmations import services
from opsdesk.confirmations.models import Confirmation, TransferReport
from opsdesk.confirmations.workflow import CONFIRMATION_WORKFLOW, REPORT_WORKFLOW
from opsdesk.core.errors import Conflict, PermissionDenied, ValidationError
from opsdesk.core.models import AuditEntry
from tests.factories import UserFactory, grant

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind, check", [("bug", "reproduce"), ("requirement", "confirm_with_user")])
def test_urgent_item_goes_out_the_same_day_and_is_answered(world, people, kind, check):
    cfm = services.confirmation_create(by=world.second_line, kind=kind, contract=world.contract_a,
                                       title="税费种认定后无法申报", description="认定后申报页面报错")
    assert cfm.number.startswith("BUG-" if kind == "bug" else "REQ-") and cfm.status == "submitted"
    other = "confirm_with_user" if kind == "bug" else "reproduce"
    services.confirmation_act(item=cfm, action="take_review", by=people.reviewer)
    assert other not in {a.name for a in CONFIRMATION_WORKFLOW.allowed_actions(cfm, people.reviewer)}
    services.confirmation_act(item=cfm, action=check, by=people.reviewer, data={"check_notes": "模拟环境重现"})
    services.confirmation_act(item=cfm, action="confirm", by=people.reviewer, data={
        "confirmed_with": "开发 王工", "summary": "认定接口缺少校验", "impact": "无法申报", "suggestion": "补丁修复"})
    assert cfm.confirmed_at is not None
    services.confirmation_act(item=cfm, action="mark_urgent", by=people.reviewer)
    cfm.refresh_from_db()
    report = cfm.report
    assert cfm.status == "in_report" and cfm.urgent is True
    assert report.kind == "urgent" and report.status == "submitted" and report.submitted_at is not None
    services.report_act(report=report, action="approve", by=people.owner)
    cfm.refresh_from_db()
    report.refresh_from_db()
    assert report.status == "transferred" and report.approved_by == people.owner and cfm.status == "transferred"
    services.item_answer(report=report, item=cfm, by=people.division, answer="下个版本修复", result="planned")
    cfm.refresh_from_db()
    report.refresh_from_db()
    assert cfm.status == "answered" and cfm.answer_result == "planned" and cfm.answered_by == people.division
    assert report.status == "answered"
    actions = list(AuditEntry.objects.filter(object_id=str(cfm.pk), action__startswith="confirmation.")
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["confirmation.create", "confirmation.take_review", f"confirmation.{check}",
                       "confirmation.confirm", "confirmation.mark_urgent", "confirmation.transfer",
                       "confirmation.answer"]


def test_not_a_bug_is_returned_then_resubmitted_or_withdrawn(world, people, item):
    cfm = item("bug", "checked")
    services.confirmation_act(item=cfm, action="return_to_handler", by=people.reviewer,
                              data={"reason": "是操作问题，不是程序缺陷"})
    assert cfm.status == "returned" and cfm.return_reason
    services.confirmation_act(item=cfm, action="resubmit", by=world.second_line, data={"description": "补充了日志"})
    assert cfm.status == "submitted" and cfm.description == "补充了日志"
    services.confirmation_act(item=cfm, action="take_review", by=people.reviewer)
    services.confirmation_act(item=cfm, action="return_to_handler", by=people.reviewer, data={"reason": "仍无法重现"})
    services.confirmation_act(item=cfm, action="withdraw", by=world.second_line)
    assert cfm.status == "withdrawn"


def test_the_application_owner_sends_a_report_back(world, people, item):
    cfm = item("requirement", "in_report")
    report = cfm.report
    services.report_act(report=report, action="send_back", by=people.owner, data={"reason": "影响描述不清"})
    assert report.status == "returned" and report.return_reason == "影响描述不清"
    services.report_act(report=report, action="submit", by=people.reviewer)
    services.report_act(report=report, action="approve", by=people.owner)
    cfm.refresh_from_db()
    assert report.status == "transferred" and cfm.status == "transferred"


def test_the_project_manager_cancels_an_item_not_yet_reported(world, people, item):
    cfm = item("bug", "queued")
    services.confirmation_act(item=cfm, action="cancel", by=world.pm, data={"reason": "重复提交"})
    assert cfm.status == "cancelled"
    reported = item("bug", "in_report")
    with pytest.raises(Conflict):
        services.confirmation_act(item=reported, action="cancel", by=world.pm, data={"reason": "x"})


def test_a_report_is_answered_only_with_its_last_item(world, people, item):
    from .conftest import local

    a = item("bug", "queued", confirmed_at=local(2026, 10, 3))
    b = item("requirement", "queued", confirmed_at=local(2026, 10, 20))
    report, added = services.transfer_report_generate_monthly(contract=world.contract_a,
                                                              month=local(2026, 10, 1).date(), by=people.reviewer)
    assert added == 2
    services.report_act(report=report, action="submit", by=people.reviewer)
    services.report_act(report=report, action="approve", by=people.owner)
    a.refresh_from_db()
    b.refresh_from_db()
    services.item_answer(report=report, item=a, by=people.division, answer="已修复", result="fixed")
    report.refresh_from_db()
    assert report.status == "transferred"
    services.item_answer(report=report, item=b, by=people.division, answer="不采纳", result="rejected")
    report.refresh_from_db()
    assert report.status == "answered"


# --- the monthly report --------------------------------------------------------------------------------------

def test_the_monthly_report_holds_exactly_that_months_non_urgent_items_once(world, people, item):
    from .conftest import local

    grant(people.reviewer, "reviewer", world.contract_b)
    grant(UserFactory(username="dba_b"), "second_line", world.contract_b)
    oct_1 = item("bug", "queued", title="十月一", confirmed_at=local(2026, 10, 1, 0))  # first minute, Beijing
    oct_2 = item("requirement", "queued", title="十月二", confirmed_at=local(2026, 10, 31, 23))
    item("bug", "queued", title="九月", confirmed_at=local(2026, 9, 30, 23))
    item("bug", "queued", title="十一月", confirmed_at=local(2026, 11, 1, 0))
    urgent = item("bug", "in_report", title="紧急")
    returned = item("bug", "checked", title="退回")
    services.confirmation_act(item=returned, action="return_to_handler", by=people.reviewer, data={"reason": "否"})
    Confirmation.objects.filter(pk__in=[urgent.pk, returned.pk]).update(confirmed_at=local(2026, 10, 15))
    other = services.confirmation_create(by=_staff_b(world), kind="bug",
                                         contract=world.contract_b, title="B 合同", description="")
    for action, data in (("take_review", {}), ("reproduce", {"check_notes": "x"}),
                         ("confirm", {"confirmed_with": "x", "summary": "x", "impact": "x"}), ("queue_monthly", {})):
        services.confirmation_act(item=other, action=action, by=people.reviewer, data=data)
    Confirmation.objects.filter(pk=other.pk).update(confirmed_at=local(2026, 10, 10))

    month = local(2026, 10, 1).date()
    report, added = services.transfer_report_generate_monthly(contract=world.contract_a, month=month,
                                                              by=people.reviewer)
    assert added == 2
    assert sorted(report.items.values_list("number", flat=True)) == sorted([oct_1.number, oct_2.number])
    assert report.number.startswith("TR-") and report.period == month and report.status == "draft"

    again, added_again = services.transfer_report_generate_monthly(contract=world.contract_a, month=month,
                                                                   by=people.reviewer)
    assert again.pk == report.pk and added_again == 0
    assert report.items.count() == 2
    late = item("bug", "queued", title="十月补", confirmed_at=local(2026, 10, 12))
    third, added_late = services.transfer_report_generate_monthly(contract=world.contract_a, month=month,
                                                                  by=people.reviewer)
    assert third.pk == report.pk and added_late == 1
    assert sorted(report.items.values_list("number", flat=True)) == sorted([oct_1.number, oct_2.number,
                                                                            late.number])
    assert TransferReport.objects.filter(contract=world.contract_a, kind="monthly").count() == 1
    services.report_act(report=report, action="submit", by=people.reviewer)
    item("bug", "queued", title="提交后才确认", confirmed_at=local(2026, 10, 13))
    after, none = services.transfer_report_generate_monthly(contract=world.contract_a, month=month,
                                                            by=people.reviewer)
    assert after.pk == report.pk and none == 0 and report.items.count() == 3


def _staff_b(world):
    from opsdesk.accounts.models import User

    return User.objects.get(username="dba_b")


def test_a_second_monthly_report_of_the_same_contract_and_month_is_impossible(world, people):
    month = dt.date(2026, 10, 1)
    services.transfer_report_generate_monthly(contract=world.contract_a, month=month, by=people.reviewer)
    with pytest.raises(IntegrityError), transaction.atomic():
        TransferReport.objects.create(number="TR-20261101-9999", kind="monthly", contract=world.contract_a,
                                      organisation=world.org_a, period=month, title="dup")


def test_the_current_months_report_waits_for_the_month_to_end(world, people, item):
    from django.utils import timezone

    item("bug", "queued")
    report, added = services.transfer_report_generate_monthly(contract=world.contract_a,
                                                              month=timezone.localdate(), by=people.reviewer)
    assert added == 1
    with pytest.raises(Conflict) as err:
        services.report_act(report=report, action="submit", by=people.reviewer)
    assert err.value.code == "month_not_over"
    report.refresh_from_db()
    assert report.status == "draft"


def test_an_empty_report_is_not_submitted_and_future_months_are_refused(world, people):


    report, added = services.transfer_report_generate_monthly(contract=world.contract_a, month=dt.date(2026, 1, 1),
                                                              by=people.reviewer)
    assert added == 0
    with pytest.raises(Conflict):
        services.report_act(report=report, action="submit", by=people.reviewer)
    with pytest.raises(ValidationError) as err:
        services.transfer_report_generate_monthly(contract=world.contract_a, month=dt.date(2099, 1, 1),
                                                  by=people.reviewer)
    assert "month" in err.value.fields
    with pytest.raises(PermissionDenied):
        services.transfer_report_generate_monthly(contract=world.contract_a, month=dt.date(2026, 1, 1),
                                                  by=world.second_line)


# --- refusals ----------------------------------------------------------------------------------------------

def _people_by_role(world):
    return {role: grant(UserFactory(username=f"only_{role}"), role, world.contract_a) for role in Role.values}


def test_every_other_role_is_refused_every_item_action(world, people, item):
    everyone = _people_by_role(world)
    records = [item("bug", s) for s in ("submitted", "reviewing", "checked", "confirmed", "queued")]
    records.append(item("requirement", "checked"))
    returned = item("bug", "checked")
    services.confirmation_act(item=returned, action="return_to_handler", by=people.reviewer, data={"reason": "x"})
    transferred = item("bug", "in_report")
    services.report_act(report=transferred.report, action="approve", by=people.owner)
    transferred.refresh_from_db()
    records += [returned, transferred]
    payload = {"check_notes": "x", "confirmed_with": "x", "summary": "x", "impact": "x", "reason": "x",
               "answer": "x", "result": "fixed"}
    checked = 0
    for record in records:
        for action in CONFIRMATION_WORKFLOW.actions:
            if record.status not in action.sources or action.automatic:
                continue
            for person in everyone.values():
                if CONFIRMATION_WORKFLOW.roles_of(person, record) & action.roles:
                    continue
                before = (record.status, record.version)
                assert action.name not in {a.name for a in CONFIRMATION_WORKFLOW.allowed_actions(record, person)}
                with pytest.raises(PermissionDenied):
                    services.confirmation_act(item=record, action=action.name, by=person, data=payload)
                record.refresh_from_db()
                assert (record.status, record.version) == before
                checked += 1
    assert checked > 100


def test_every_other_role_is_refused_every_report_action(world, people, item):
    everyone = _people_by_role(world)
    submitted = item("bug", "in_report").report
    returned = item("bug", "in_report").report
    services.report_act(report=returned, action="send_back", by=people.owner, data={"reason": "x"})
    for report in (submitted, returned):
        for action in REPORT_WORKFLOW.actions:
            if report.status not in action.sources:
                continue
            for person in everyone.values():
                if REPORT_WORKFLOW.roles_of(person, report) & action.roles:
                    continue
                with pytest.raises(PermissionDenied):
                    services.report_act(report=report, action=action.name, by=person, data={"reason": "x"})
                report.refresh_from_db()
    assert submitted.status == "submitted" and returned.status == "returned"


def test_only_the_application_division_answers(world, people, item):
    cfm = item("bug", "in_report")
    services.report_act(report=cfm.report, action="approve", by=people.owner)
    cfm.refresh_from_db()
    for who in (people.owner, people.reviewer, world.pm, people.leader):
        with pytest.raises(PermissionDenied):
            services.item_answer(report=cfm.report, item=cfm, by=who, answer="x", result="fixed")
    with pytest.raises(ValidationError) as err:
        services.item_answer(report=cfm.report, item=cfm, by=people.division, answer="x", result="maybe")
    assert "result" in err.value.fields
    cfm.refresh_from_db()
    assert cfm.status == "transferred"


# --- bad input ----------------------------------------------------------------------------------------------

def test_bad_input_is_refused_field_by_field_and_writes_nothing(world, people):
    from opsdesk.problems import services as problems

    prb_b = problems.problem_create(by=grant(UserFactory(username="dba_b2"), "second_line", world.contract_b),
                                    contract=world.contract_b, title="B 的问题")
    before = (Confirmation.objects.count(), AuditEntry.objects.count())
    cases = [
        ({"kind": "feature", "title": "x"}, "kind"),
        ({"kind": "bug", "title": ""}, "title"),
        ({"kind": "bug", "title": "x" * 201}, "title"),
        ({"kind": "bug", "title": "x", "problem": prb_b}, "problem"),
        ({"kind": "bug", "title": "x", "contract": world.contract_b}, "contract"),
        ({"kind": "bug", "title": "x", "description": "a\x00b"}, "description"),
    ]
    for kwargs, field in cases:
        kwargs.setdefault("contract", world.contract_a)
        with pytest.raises(ValidationError) as err:
            services.confirmation_create(by=world.second_line, **kwargs)
        assert field in err.value.fields, (kwargs, err.value.fields)
    with pytest.raises(ValidationError) as err:
        services.confirmation_create(by=world.agent, kind="bug", contract=world.contract_a, title="x")
    assert "contract" in err.value.fields
    assert (Confirmation.objects.count(), AuditEntry.objects.count()) == before


def test_missing_fields_and_stale_versions_change_nothing(world, people, item):
    cfm = item("bug", "checked")
    with pytest.raises(ValidationError) as err:
        services.confirmation_act(item=cfm, action="confirm", by=people.reviewer, data={"summary": "x"})
    assert {"confirmed_with", "impact"} <= set(err.value.fields)
    with pytest.raises(Conflict):
        services.confirmation_act(item=cfm, action="confirm", by=people.reviewer, version=cfm.version - 1,
                                  data={"confirmed_with": "x", "summary": "x", "impact": "x"})
    cfm.refresh_from_db()
    assert cfm.status == "checked" and cfm.summary == ""

"""Consumables: issues to departments and people, never below zero, loans and their return (overdue flagged),
and the usage ranking by department and by person with money sums."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from opsdesk.accounts.models import Department
from opsdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from opsdesk.core.models import AuditEntry
from opsdesk.supplies import consumable_services as cs
from opsdesk.supplies import reports, selectors
from opsdesk.supplies.models import Consumable, ConsumableMovement, Loan

pytestmark = pytest.mark.django_db
BJ = ZoneInfo("Asia/Shanghai")


def counts():
    return (ConsumableMovement.objects.count(), Loan.objects.count(), AuditEntry.objects.count(),
            list(Consumable.objects.order_by("id").values_list("quantity", flat=True)))


def test_an_issue_takes_from_stock_and_records_department_person_and_money(world, store, consumable):
    toner = consumable("TONER-88A", "硒鼓 88A", stock=5, unit_price="420.00", brand="惠普", model="CC388A")
    movement = cs.consumable_issue(by=store.keeper, consumable=toner, quantity=2, department=store.office,
                                   person=world.requester_a, reason="打印机换鼓")
    toner.refresh_from_db()
    assert toner.quantity == 3
    assert movement.amount == Decimal("840.00") and movement.recipient_name == "张三"
    assert movement.department == store.office
    assert AuditEntry.objects.filter(action="supplies.consumable_issue").count() == 1


def test_bad_issues_are_refused_and_change_nothing(world, store, consumable):
    mouse = consumable(stock=2)
    elsewhere = Department.objects.create(organisation=world.org_b, name="信息科")
    before = counts()
    for kwargs, field in (({"quantity": 3, "department": store.office, "person_name": "张三"}, "quantity"),
                          ({"quantity": 0, "department": store.office, "person_name": "张三"}, "quantity"),
                          ({"quantity": 1, "department": elsewhere, "person_name": "张三"}, "department"),
                          ({"quantity": 1, "person_name": "张三"}, "department"),
                          ({"quantity": 1, "department": store.office, "person_name": ""}, "person")):
        with pytest.raises(ValidationError) as err:
            cs.consumable_issue(by=store.keeper, consumable=mouse, **kwargs)
        assert field in err.value.fields, (kwargs, err.value.fields)
    with pytest.raises(ValidationError) as err:
        cs.consumable_issue(by=store.keeper, consumable=mouse, quantity=3, department=store.office, person_name="x")
    assert err.value.code == "insufficient_stock"
    with pytest.raises(PermissionDenied):
        cs.consumable_issue(by=world.agent, consumable=mouse, quantity=1, department=store.office, person_name="x")
    with pytest.raises(NotFound):
        cs.consumable_issue(by=world.agent_b, consumable=mouse, quantity=1, department=store.office,
                            person_name="x")
    with pytest.raises(PermissionDenied):
        cs.consumable_receive(by=world.engineer, consumable=mouse, quantity=1)
    assert counts() == before


def test_a_loan_leaves_stock_until_returned_and_is_flagged_overdue(world, store, consumable):
    keyboard = consumable("KB-1", "键盘", stock=3, unit_price="89.00")
    today = timezone.localdate()
    loan = cs.loan_create(by=world.engineer, consumable=keyboard, quantity=1, due_on=today,
                          department=store.finance, person_name="临时借用人")
    keyboard.refresh_from_db()
    assert keyboard.quantity == 2 and not loan.is_overdue
    old = cs.loan_create(by=store.keeper, consumable=keyboard, quantity=1, due_on=today + dt.timedelta(days=3),
                         person=world.requester_a2, department=store.office,
                         at=timezone.now() - dt.timedelta(days=10))
    Loan.objects.filter(pk=old.pk).update(due_on=today - dt.timedelta(days=1))  # as if lent with a due day passed
    old.refresh_from_db()
    assert old.is_overdue
    state = {"state": "overdue"}
    assert [x.pk for x in selectors.loan_queryset(visible_to=store.keeper, params=state)] == [old.pk]
    cs.loan_return(by=store.keeper, loan=old)
    old.refresh_from_db()
    assert old.returned_at is not None and not old.is_overdue
    keyboard.refresh_from_db()
    assert keyboard.quantity == 2
    with pytest.raises(Conflict):
        cs.loan_return(by=store.keeper, loan=old)
    assert list(selectors.loan_queryset(visible_to=store.keeper, params=state)) == []
    with pytest.raises(ValidationError) as err:
        cs.loan_create(by=store.keeper, consumable=keyboard, quantity=1, due_on=today - dt.timedelta(days=1),
                       department=store.office, person_name="x")
    assert "due_on" in err.value.fields
    assert [x.pk for x in selectors.loan_queryset(visible_to=store.keeper, params={"state": "open"})] == [loan.pk]


def test_stock_counts_set_the_quantity_and_record_the_difference(world, store, consumable):
    ribbon = consumable("RIB-1", "色带", stock=10, unit_price="25.00")
    movement = cs.consumable_adjust(by=store.keeper, consumable=ribbon, counted=7, reason="月末盘点")
    assert movement.quantity == -3
    ribbon.refresh_from_db()
    assert ribbon.quantity == 7
    with pytest.raises(ValidationError):
        cs.consumable_adjust(by=store.keeper, consumable=ribbon, counted=7, reason="再盘")
    with pytest.raises(ValidationError):
        cs.consumable_adjust(by=store.keeper, consumable=ribbon, counted=5, reason="")


def test_usage_ranking_by_department_and_person_orders_by_money_then_quantity(world, store, consumable):
    toner = consumable("TONER-88A", "硒鼓", stock=20, unit_price="420.00")
    mouse = consumable("MOUSE-1", "鼠标", stock=50, unit_price="35.00")
    k = store.keeper

    def issue(item, n, dept, who, when):
        cs.consumable_issue(by=k, consumable=item, quantity=n, department=dept, person_name=who, at=when)

    nov = dt.datetime(2026, 11, 1, 0, 0, tzinfo=BJ)
    issue(toner, 1, store.office, "张三", nov)                                  # 420, the first minute counts
    issue(mouse, 10, store.office, "张三", nov + dt.timedelta(days=3))          # 350
    issue(toner, 2, store.finance, "李四", nov + dt.timedelta(days=29, hours=23, minutes=59))  # 840, last minute
    issue(mouse, 3, store.finance, "王五", nov + dt.timedelta(days=10))         # 105
    issue(toner, 5, store.finance, "李四", nov - dt.timedelta(minutes=1))       # October: outside
    issue(mouse, 5, store.office, "张三", nov + dt.timedelta(days=30))          # December 1st 00:00: outside
    first, last = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
    by_dept = reports.usage_ranking(visible_to=k, by="department", first=first, last=last)
    assert [(r.name, r.quantity, r.amount, r.issues) for r in by_dept] == [
        ("财务管理科", 5, Decimal("945.00"), 2), ("办公室", 11, Decimal("770.00"), 2)]
    by_person = reports.usage_ranking(visible_to=k, by="person", first=first, last=last, contract=world.contract_a)
    assert [(r.name, r.quantity, r.amount) for r in by_person] == [
        ("李四", 2, Decimal("840.00")), ("张三", 11, Decimal("770.00")), ("王五", 3, Decimal("105.00"))]
    assert reports.usage_ranking(visible_to=world.agent_b, by="person", first=first, last=last) == []
    with pytest.raises(ValidationError):
        reports.usage_ranking(visible_to=k, by="floor", first=first, last=last)


def test_periods_default_to_this_month_and_are_checked():
    first, last = reports.parse_period({})
    today = timezone.localdate()
    assert (first, last) == (today.replace(day=1), today)
    for params, field in (({"from": "2026-11-31"}, "from"), ({"from": "2026-11-10", "to": "2026-11-01"}, "to")):
        with pytest.raises(ValidationError) as err:
            reports.parse_period(params)
        assert field in err.value.fields

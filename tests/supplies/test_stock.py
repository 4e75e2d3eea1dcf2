"""Spare-part stock: movements of every kind, the never-negative rule, reasons, ticket links, who may move
stock, replenishment suggestions and the monthly stock report (month edges in Beijing time)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from opsdesk.core.errors import NotFound, PermissionDenied, ValidationError
from opsdesk.core.models import AuditEntry
from opsdesk.supplies import reports, selectors, services
from opsdesk.supplies.models import SparePart, Stock, StockMovement

pytestmark = pytest.mark.django_db
BJ = ZoneInfo("Asia/Shanghai")


def state(part):
    return (sorted(Stock.objects.filter(part=part).values_list("location__code", "quantity")),
            StockMovement.objects.count(), AuditEntry.objects.count())


def test_every_kind_of_movement_keeps_stock_and_movements_in_step(world, store, part):
    hdd = part(stock=10)
    services.part_issue(by=store.keeper, part=hdd, location=store.main, quantity=3, reason="更换服务器硬盘")
    services.part_transfer(by=store.keeper, part=hdd, location=store.main, to_location=store.site, quantity=4,
                           reason="二分局备机")
    services.part_write_off(by=store.keeper, part=hdd, location=store.site, quantity=1, reason="运输中损坏")
    adjust = services.part_adjust(by=store.keeper, part=hdd, location=store.main, counted=2, reason="月末盘点")
    assert adjust.quantity == -1
    assert state(hdd)[0] == [("SITE-2", 3), ("WH-1", 2)]
    kinds = list(StockMovement.objects.filter(part=hdd).order_by("id").values_list("kind", "quantity"))
    assert kinds == [("in", 10), ("out", 3), ("transfer", 4), ("write_off", 1), ("adjustment", -1)]
    assert AuditEntry.objects.filter(action__startswith="supplies.stock_").count() == 5
    selectors.attach_stock([hdd])
    assert hdd.total_stock == 5  # type: ignore[attr-defined]


def test_issuing_more_than_in_stock_is_refused_and_writes_nothing(world, store, part):
    hdd = part(stock=2)
    before = state(hdd)
    for kind, location in (("out", store.main), ("write_off", store.main), ("transfer", store.main),
                           ("out", store.site)):
        with pytest.raises(ValidationError) as err:
            services.stock_move(by=store.keeper, part=hdd, kind=kind, quantity=3, location=location,
                                to_location=store.site if location == store.main else store.main, reason="领用")
        assert err.value.code == "insufficient_stock" and err.value.status == 422
        assert "quantity" in err.value.fields
    assert state(hdd) == before


def test_bad_input_is_refused_per_field_and_changes_nothing(world, store, part):
    hdd = part(stock=5)
    other_location = services.location_create(
        by=services_keeper_b(world), contract=world.contract_b, code="B-1", name="社保库房")
    before = state(hdd)
    cases = [
        ({"kind": "out", "quantity": 1, "reason": "  "}, "reason"),
        ({"kind": "out", "quantity": 0, "reason": "r"}, "quantity"),
        ({"kind": "out", "quantity": -2, "reason": "r"}, "quantity"),
        ({"kind": "out", "quantity": "两个", "reason": "r"}, "quantity"),
        ({"kind": "out", "quantity": 1, "reason": "r", "location": None}, "location"),
        ({"kind": "out", "quantity": 1, "reason": "r", "location": other_location}, "location"),
        ({"kind": "transfer", "quantity": 1, "reason": "r", "to_location": None}, "to_location"),
        ({"kind": "transfer", "quantity": 1, "reason": "r", "to_location": store.main}, "to_location"),
        ({"kind": "adjustment", "counted": 5, "reason": "盘点"}, "counted"),
        ({"kind": "adjustment", "counted": -1, "reason": "盘点"}, "counted"),
        ({"kind": "lost", "quantity": 1, "reason": "r"}, "kind"),
        ({"kind": "in", "quantity": 1, "reason": "r", "at": dt.datetime.now(dt.UTC) + dt.timedelta(days=1)}, "at"),
    ]
    for kwargs, field in cases:
        kwargs.setdefault("location", store.main)
        with pytest.raises(ValidationError) as err:
            services.stock_move(by=store.keeper, part=hdd, **kwargs)
        assert field in err.value.fields, (kwargs, err.value.fields)
    assert state(hdd) == before


def services_keeper_b(world):
    from tests.factories import UserFactory, grant

    return grant(UserFactory(username="store_b"), "store_keeper", world.contract_b)


def test_a_ticket_link_must_be_an_incident_of_the_same_contract(world, store, part):
    hdd = part(stock=5)
    mine = world.incident(title="服务器硬盘告警")
    theirs = world.incident(by=world.agent_b, contract=world.contract_b, requester=world.requester_b)
    before = state(hdd)
    for ticket in ("INC-20990101-9999", theirs.number, "PRB-20261101-0001", "随便写"):
        with pytest.raises(ValidationError) as err:
            services.part_issue(by=store.keeper, part=hdd, location=store.main, quantity=1, reason="更换",
                                ticket=ticket)
        assert "ticket" in err.value.fields, ticket
    assert state(hdd) == before
    movement = services.part_issue(by=store.keeper, part=hdd, location=store.main, quantity=1, reason="更换",
                                   ticket=mine.number)
    assert movement.incident_id == mine.pk


def test_who_may_move_stock(world, store, part):
    hdd = part(stock=5)
    incident = world.incident()
    # an engineer issues for a ticket, and only that
    services.part_issue(by=world.engineer, part=hdd, location=store.main, quantity=1, reason="现场更换",
                        ticket=incident.number)
    with pytest.raises(ValidationError) as err:
        services.part_issue(by=world.engineer, part=hdd, location=store.main, quantity=1, reason="备用")
    assert "ticket" in err.value.fields
    for kind in ("in", "write_off", "adjustment"):
        with pytest.raises(PermissionDenied):
            services.stock_move(by=world.engineer, part=hdd, kind=kind, quantity=1, counted=1, location=store.main,
                                reason="r")
    with pytest.raises(PermissionDenied):
        services.part_receive(by=world.agent, part=hdd, location=store.main, quantity=1, reason="r")
    with pytest.raises(PermissionDenied):
        services.part_create(by=world.engineer, contract=world.contract_a, code="X", name="x")
    for outsider in (world.requester_a, world.agent_b):
        with pytest.raises(NotFound):
            services.part_issue(by=outsider, part=hdd, location=store.main, quantity=1, reason="r")
    # the project manager moves stock like the store keeper
    services.part_receive(by=world.pm, part=hdd, location=store.main, quantity=2, reason="补货")
    assert Stock.objects.get(part=hdd, location=store.main).quantity == 6


def test_parts_codes_are_unique_per_contract_and_levels_are_checked(world, store, part):
    part("MEM-16G", "内存条 16GB")
    keeper_b = services_keeper_b(world)
    services.part_create(by=keeper_b, contract=world.contract_b, code="MEM-16G", name="内存条 16GB")
    before = SparePart.objects.count()
    for kwargs, field in (({"code": "MEM-16G"}, "code"), ({"code": "坏 码"}, "code"),
                          ({"min_stock": 5, "agreed_stock": 2}, "agreed_stock"), ({"unit_price": "-1"}, "unit_price"),
                          ({"unit_price": "1.234"}, "unit_price"), ({"unit_price": "abc"}, "unit_price"),
                          ({"name": ""}, "name")):
        with pytest.raises(ValidationError) as err:
            services.part_create(by=store.keeper, contract=world.contract_a,
                                 **{"code": "NEW-1", "name": "新备件", **kwargs})
        assert field in err.value.fields, kwargs
    assert SparePart.objects.count() == before


def test_replenishment_suggests_what_brings_each_part_back_to_the_agreed_level(world, store, part):
    hdd = part("HDD-600", "硬盘 600GB", stock=1, min_stock=3, agreed_stock=8, unit_price="1200.00")
    psu = part("PSU-550", "电源模块 550W", stock=2, min_stock=2, agreed_stock=4, unit_price="680.00")
    part("MEM-16G", "内存条 16GB", min_stock=2, agreed_stock=6, unit_price="450.50")
    services.part_transfer(by=store.keeper, part=psu, location=store.main, to_location=store.site, quantity=1,
                           reason="调拨")  # still 2 in all: not below
    services.part_receive(by=store.keeper, part=hdd, location=store.site, quantity=1, reason="退回")  # 2 in all
    rows = selectors.replenishment(visible_to=store.keeper, contract=world.contract_a)
    assert [(r.part.code, r.in_stock, r.to_order, r.amount) for r in rows] == [
        ("HDD-600", 2, 6, Decimal("7200.00")), ("MEM-16G", 0, 6, Decimal("2703.00"))]
    assert psu.code not in [r.part.code for r in rows]
    assert selectors.replenishment(visible_to=world.agent_b) == []


def at(y, m, d, hh=10, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=BJ)


def test_the_monthly_stock_report_counts_movements_of_the_beijing_month(world, store, part):
    hdd = part("HDD-600", "硬盘 600GB", unit_price="1200.00", min_stock=5, agreed_stock=10)
    mem = part("MEM-16G", "内存条 16GB", unit_price="450.00")
    k, main, site = store.keeper, store.main, store.site
    services.part_receive(by=k, part=hdd, location=main, quantity=10, reason="期初", at=at(2026, 9, 15))
    services.part_issue(by=k, part=hdd, location=main, quantity=2, reason="更换", at=at(2026, 9, 30, 23, 59))
    # month edges: 00:00 on the 1st and 23:59 on the last day are October; 00:00 on Nov 1st is not
    services.part_receive(by=k, part=hdd, location=main, quantity=5, reason="采购", at=at(2026, 10, 1, 0, 0))
    services.part_issue(by=k, part=hdd, location=main, quantity=3, reason="更换", at=at(2026, 10, 12))
    services.part_transfer(by=k, part=hdd, location=main, to_location=site, quantity=4, reason="调拨",
                           at=at(2026, 10, 13))
    services.part_write_off(by=k, part=hdd, location=site, quantity=1, reason="损坏", at=at(2026, 10, 31, 23, 59))
    services.part_adjust(by=k, part=hdd, location=main, counted=5, reason="盘点", at=at(2026, 10, 31, 23, 0))
    services.part_issue(by=k, part=hdd, location=main, quantity=1, reason="更换", at=at(2026, 11, 1, 0, 0))
    services.part_receive(by=k, part=mem, location=main, quantity=4, reason="采购", at=at(2026, 10, 20))

    report = reports.stock_report(contract=world.contract_a, year=2026, month=10)
    rows = {r.part.code: r for r in report.rows}
    h = rows["HDD-600"]
    # main: 10-2=8 → +5 -3 -4 = 6, counted 5 → -1; site: +4 -1 = 3. Total 8 → 8+5-3-1-1 = 8
    assert (h.opening, h.received, h.issued, h.written_off, h.adjusted, h.transferred, h.closing) == (
        8, 5, 3, 1, -1, 4, 8)
    assert h.closing_value == Decimal("9600.00")
    m = rows["MEM-16G"]
    assert (m.opening, m.received, m.closing) == (0, 4, 4)
    assert report.totals["closing"] == 12 and report.totals["closing_value"] == Decimal("11400.00")
    november = {r.part.code: r for r in reports.stock_report(contract=world.contract_a, year=2026, month=11).rows}
    assert (november["HDD-600"].opening, november["HDD-600"].issued, november["HDD-600"].closing) == (8, 1, 7)
    september = {r.part.code: r for r in reports.stock_report(contract=world.contract_a, year=2026, month=9).rows}
    assert (september["HDD-600"].received, september["HDD-600"].issued, september["HDD-600"].closing) == (10, 2, 8)
    # the closing stock is what the stock rows hold (after the last month)
    assert november["HDD-600"].closing + november["MEM-16G"].closing == sum(
        Stock.objects.filter(part__in=[hdd, mem]).values_list("quantity", flat=True))


def test_the_stock_report_costs_a_fixed_number_of_queries(world, store, part, django_assert_num_queries):
    for i in range(6):
        p = part(f"P-{i}", f"备件{i}")
        services.part_receive(by=store.keeper, part=p, location=store.main, quantity=i + 1, reason="入库")
    with django_assert_num_queries(2):
        report = reports.stock_report(contract=world.contract_a, year=2026, month=12)
        assert len(report.rows) == 6


def test_months_are_parsed_strictly():
    assert reports.parse_month("2026-02") == (2026, 2)
    for bad in ("2026-13", "2026/02", "26-02", "二月"):
        with pytest.raises(ValidationError):
            reports.parse_month(bad)
    start, end = reports.month_bounds(2026, 12)
    assert start.astimezone(dt.UTC) == dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)
    assert end.astimezone(dt.UTC) == dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.UTC)

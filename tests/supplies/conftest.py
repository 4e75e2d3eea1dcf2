"""Supplies helpers: a store keeper on contract A, its two locations, and `part(...)` / `consumable(...)` makers
that go through the services."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from opsdesk.accounts.models import Department, User
from opsdesk.supplies import consumable_services, services
from opsdesk.supplies.models import StockLocation
from tests.factories import UserFactory, grant


@dataclass
class Store:
    keeper: User
    main: StockLocation
    site: StockLocation
    office: Department
    finance: Department


@pytest.fixture
def store(world) -> Store:
    keeper = grant(UserFactory(username="store", full_name="何春梅"), "store_keeper", world.contract_a)
    main = services.location_create(by=keeper, contract=world.contract_a, code="WH-1", name="一号库房")
    site = services.location_create(by=keeper, contract=world.contract_a, code="SITE-2", name="二分局现场",
                                    kind="site")
    office = Department.objects.create(organisation=world.org_a, name="办公室")
    finance = Department.objects.create(organisation=world.org_a, name="财务管理科")
    return Store(keeper, main, site, office, finance)


@pytest.fixture
def part(world, store):
    def make(code: str = "HDD-600", name: str = "硬盘 600GB SAS", *, stock: int = 0, contract=None, **kwargs):
        kwargs.setdefault("unit", "块")
        made = services.part_create(by=store.keeper, contract=contract or world.contract_a, code=code, name=name,
                                    **kwargs)
        if stock:
            services.part_receive(by=store.keeper, part=made, location=store.main, quantity=stock, reason="采购入库")
        return made
    return make


@pytest.fixture
def consumable(world, store):
    def make(code: str = "MOUSE-1", name: str = "鼠标", *, stock: int = 0, **kwargs):
        kwargs.setdefault("unit_price", "35.00")
        made = consumable_services.consumable_create(by=store.keeper, contract=world.contract_a, code=code,
                                                     name=name, **kwargs)
        if stock:
            consumable_services.consumable_receive(by=store.keeper, consumable=made, quantity=stock, reason="采购")
        return made
    return make

"""Asset helpers: the register's and the approvers' people on contract A (store keeper, security
administrator, client division leader and application owner, system administrator), a store keeper on
contract B, and `asset(tag)` putting an asset on contract A's register through the service."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from opsdesk.accounts.models import Department
from opsdesk.assets import services
from opsdesk.assets.models import Procedure
from tests.factories import UserFactory, grant


@dataclass
class People:
    store: Any
    security: Any
    leader: Any
    owner: Any
    sysadmin: Any
    store_b: Any
    department: Department


@pytest.fixture
def people(world) -> People:
    return People(
        store=grant(UserFactory(username="store", full_name="何设备"), "store_keeper", world.contract_a),
        security=grant(UserFactory(username="secadmin", full_name="罗安全"), "security_admin", world.contract_a),
        leader=grant(UserFactory(username="leader_a", full_name="黄局长", organisation=world.org_a),
                     "division_leader", world.contract_a),
        owner=grant(UserFactory(username="owner_a", full_name="何处长", organisation=world.org_a), "app_owner",
                    world.contract_a),
        sysadmin=grant(UserFactory(username="sysadmin", full_name="高管理"), "system_admin", world.contract_a),
        store_b=grant(UserFactory(username="store_b", full_name="吴设备"), "store_keeper", world.contract_b),
        department=Department.objects.create(organisation=world.org_a, name="信息中心"),
    )


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def asset(world, people):
    def make(tag: str = "ZC-0001", *, contract=None, by=None, **kwargs):
        kwargs.setdefault("name", "联想启天 M430 台式机")
        kwargs.setdefault("warranty_end", today() - dt.timedelta(days=30))
        kwargs.setdefault("price", Decimal("4299.00"))
        return services.asset_create(by=by or (people.store if contract is None else people.store_b),
                                     contract=contract or world.contract_a, asset_tag=tag, **kwargs)
    return make


def act(record: Procedure, action: str, by, **data) -> Procedure:
    services.procedure_act(record=record, action=action, by=by, data=data)
    record.refresh_from_db()
    return record

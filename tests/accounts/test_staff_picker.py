"""The pickers of action forms: the contract's staff with one of the action's roles, read once per record."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.accounts.choices import Role
from opsdesk.accounts.selectors import staff_on_contract, staff_picker
from opsdesk.incidents.workflow import ENGINEERS, SECOND_LINE
from tests.factories import ContractFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


def test_picker_lists_the_roles_asked_for_in_the_order_of_staff_on_contract(world):
    contract = world.contract_a
    grant(UserFactory(username="zz_vendor", full_name="艾厂商"), Role.VENDOR, contract)
    grant(grant(UserFactory(username="both", full_name="白双岗"), Role.ENGINEER, contract), Role.SECOND_LINE,
          contract)
    gone = grant(UserFactory(username="gone", full_name="陈离职"), Role.ENGINEER, contract)
    gone.is_active = False
    gone.save()
    grant(UserFactory(username="elsewhere", full_name="丁别处"), Role.ENGINEER, ContractFactory(code="OTHER-1"))
    inc = world.incident(title="选人")
    for roles in (ENGINEERS, SECOND_LINE, frozenset({Role.PROJECT_MANAGER})):
        expected = [(u.username, u.display_name) for u in staff_on_contract(contract_id=contract.pk, roles=roles)]
        fresh = type(inc).objects.get(pk=inc.pk)
        assert staff_picker(fresh, roles) == expected
    picked = dict(staff_picker(inc, SECOND_LINE))
    assert "both" in picked and "zz_vendor" in picked and "gone" not in picked and "elsewhere" not in picked
    assert list(dict(staff_picker(inc, ENGINEERS))).count("both") == 1  # two roles, one entry


def test_several_pickers_of_one_record_cost_one_statement(world):
    inc = world.incident(title="选人两次")
    with CaptureQueriesContext(connection) as ctx:
        staff_picker(inc, ENGINEERS)
        staff_picker(inc, SECOND_LINE)
        staff_picker(inc, ENGINEERS)
    assert len(ctx.captured_queries) == 1

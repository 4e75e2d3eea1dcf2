"""The demo store builds through the services on the demo's people and contracts: parts at two locations with
some below minimum, movements over past months, consumables issued, one loan still out and overdue."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone

from opsdesk import demo
from opsdesk.accounts.models import Contract, User
from opsdesk.demo_supplies import build_supplies
from opsdesk.supplies import reports, selectors
from opsdesk.supplies.models import ConsumableMovement, Loan, SparePart, Stock, StockMovement

pytestmark = pytest.mark.django_db


def test_the_demo_store(db):
    now = timezone.now()
    start = now - dt.timedelta(days=200)
    with demo.SimulatedClock(start) as clock:
        world = demo._build_world(random.Random(1), start)
        build_supplies(world, clock, now)
    assert timezone.now() >= now  # the real clock is back
    desk = Contract.objects.get(code="TAX-DESK-2026")
    assert SparePart.objects.filter(contract=desk).count() == 8
    assert Stock.objects.filter(part__contract=desk, quantity__gt=0).values("location").distinct().count() == 2
    keeper = User.objects.get(username="store")
    below = selectors.replenishment(visible_to=keeper, contract=desk)
    assert 2 <= len(below) <= 5 and all(r.to_order > 0 for r in below)
    kinds = set(StockMovement.objects.filter(contract=desk).values_list("kind", flat=True))
    assert kinds == {"in", "out", "transfer", "write_off", "adjustment"}
    assert StockMovement.objects.filter(at__lt=now - dt.timedelta(days=60)).exists()
    assert ConsumableMovement.objects.filter(kind="issue", department__isnull=False).count() >= 40
    open_loans = Loan.objects.filter(returned_at__isnull=True)
    assert open_loans.count() == 1 and open_loans.get().is_overdue
    today = timezone.localdate()
    report = reports.stock_report(contract=desk, year=today.year, month=today.month)
    assert report.totals["closing"] == sum(Stock.objects.filter(part__contract=desk).values_list("quantity",
                                                                                                  flat=True))

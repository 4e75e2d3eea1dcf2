"""Whatever is sent, the store answers 2xx or a clean 4xx in the one error format, and a refusal writes
nothing (hypothesis over the movement and issue bodies; odd filters; the import page)."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsdesk.core.models import AuditEntry
from opsdesk.supplies.models import Consumable, ConsumableMovement, Stock, StockMovement
from tests.api.battery import assert_error

pytestmark = pytest.mark.django_db
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
values = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**20), st.text(max_size=20),
                   st.sampled_from(["WH-1", "SITE-2", "out", "in", "transfer", "write_off", "adjustment", "INC-1",
                                    "a\x00b", "1", "0", "-1", "办公室", "2026-02-30", "2026-12-31"]))


def state():
    return (list(Stock.objects.order_by("id").values_list("quantity", flat=True)), StockMovement.objects.count(),
            list(Consumable.objects.order_by("id").values_list("quantity", flat=True)),
            ConsumableMovement.objects.count(), AuditEntry.objects.count())


@FUZZ
@given(body=st.dictionaries(st.sampled_from(["kind", "quantity", "counted", "location", "to_location", "reason",
                                             "ticket", "other"]), values, max_size=7))
def test_movements_never_fail_badly(world, store, part, api, body):
    hdd = part(stock=2) if not Stock.objects.exists() else Stock.objects.first().part
    client = api(store.keeper)
    before = state()
    response = client.post(f"/supplies/parts/{hdd.pk}/movements", json.dumps(body))
    assert response.status_code in (201, 409, 422), (body, response.content[:300])
    if response.status_code != 201:
        assert_error(response, response.status_code)
        assert state() == before
    else:
        assert StockMovement.objects.count() == before[1] + 1


@FUZZ
@given(body=st.dictionaries(st.sampled_from(["quantity", "department", "person", "person_name", "reason",
                                             "due_on"]), values, max_size=6), loan=st.booleans())
def test_issues_and_loans_never_fail_badly(world, store, consumable, api, body, loan):
    mouse = Consumable.objects.first() or consumable(stock=3)
    client = api(world.engineer)
    before = state()
    path = f"/supplies/consumables/{mouse.pk}/{'loans' if loan else 'issue'}"
    response = client.post(path, json.dumps(body))
    assert response.status_code in (201, 422), (body, response.content[:300])
    if response.status_code != 201:
        assert_error(response, response.status_code)
        assert state() == before


@pytest.mark.parametrize("path, params", [
    ("/supplies/parts", {"q": "a\x00"}), ("/supplies/parts", {"limit": "100000"}),
    ("/supplies/parts", {"below_min": "maybe"}), ("/supplies/movements", {"kind": "x"}),
    ("/supplies/reports/stock", {"contract": "TAX-2026", "month": "2026-00"}),
    ("/supplies/reports/consumable-usage", {"by": "floor"}), ("/supplies/reports/consumable-usage", {"to": "x"}),
])
def test_odd_filters_are_422(world, store, api, path, params):
    assert_error(api(store.keeper).get(path, params), 422)


def test_the_import_page_checks_first_and_shows_every_bad_row(world, store, login):
    from openpyxl import Workbook

    from opsdesk.supplies import imports

    wb = Workbook()
    sheet = wb.active
    sheet.title = "备件"
    sheet.append(["code", "name", "location", "quantity"])
    sheet.append(["HDD-1", "硬盘", "WH-1", 2])
    sheet.append(["HDD-2", "硬盘", "三号库", -1])
    data = io.BytesIO()
    wb.save(data)
    page = login(store.keeper)
    before = state()

    def upload(dry_run: bool):
        fields = {"contract": "TAX-2026", "file": io.BytesIO(data.getvalue())}
        if dry_run:
            fields["dry_run"] = "on"
        return page.post("/supplies/import/", fields)

    for dry_run in (True, False):
        r = upload(dry_run)
        assert r.status_code == 422
        text = r.content.decode()
        assert "三号库" in text and str(imports._header(imports.PART_COLUMNS, "quantity")) in text
        assert state() == before
    r = page.post("/supplies/import/", {"contract": "TAX-2026"})
    assert r.status_code == 422 and state() == before
    assert login(world.engineer).post("/supplies/import/", {"contract": "TAX-2026",
                                                            "file": io.BytesIO(data.getvalue())}).status_code == 403

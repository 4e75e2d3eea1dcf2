"""The API and pages of the store: movements and issues through HTTP, visibility (404 for other contracts'
staff and client people), reports, and list queries whose count does not grow with the rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opsdesk.core.models import AuditEntry
from opsdesk.supplies import consumable_services as cs
from opsdesk.supplies import services
from opsdesk.supplies.models import Loan, Stock, StockMovement

pytestmark = pytest.mark.django_db


def test_the_api_creates_moves_and_reports(world, store, api):
    keeper = api(store.keeper)
    r = keeper.post("/supplies/parts", {"contract": "TAX-2026", "code": "HDD-600", "name": "硬盘 600GB",
                                         "labels": ["服务器"], "unit": "块", "unit_price": "1200.00", "min_stock": 2,
                                         "agreed_stock": 5})
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    r = keeper.post(f"/supplies/parts/{pk}/movements", {"kind": "in", "quantity": 3, "location": "WH-1",
                                                         "reason": "采购入库"})
    assert r.status_code == 201 and r.json()["to_location"] == "WH-1"
    r = keeper.post(f"/supplies/parts/{pk}/movements", {"kind": "transfer", "quantity": 1, "location": "WH-1",
                                                         "to_location": "SITE-2", "reason": "调拨"})
    assert r.status_code == 201
    detail = keeper.get(f"/supplies/parts/{pk}").json()
    assert detail["total_stock"] == 3 and {s["location"]: s["quantity"] for s in detail["stock"]} == {
        "WH-1": 2, "SITE-2": 1}
    r = keeper.post(f"/supplies/parts/{pk}/movements", {"kind": "out", "quantity": 5, "location": "WH-1",
                                                         "reason": "领用"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "insufficient_stock"
    r = keeper.post(f"/supplies/parts/{pk}/movements", {"kind": "out", "quantity": 1, "location": "WH-9",
                                                         "reason": "领用"})
    assert r.status_code == 422 and "location" in r.json()["error"]["fields"]
    r = keeper.post(f"/supplies/parts/{pk}/movements", {"kind": "out", "quantity": 2, "location": "WH-1",
                                                         "reason": "更换"})
    assert r.status_code == 201
    assert [x["code"] for x in keeper.get("/supplies/replenishment").json()] == ["HDD-600"]
    assert keeper.get("/supplies/replenishment").json()[0]["to_order"] == 4
    month = timezone.localdate().strftime("%Y-%m")
    report = keeper.get("/supplies/reports/stock", {"contract": "TAX-2026", "month": month}).json()
    assert report["rows"][0]["received"] == 3 and report["rows"][0]["issued"] == 2
    assert report["rows"][0]["closing"] == 1
    assert keeper.get("/supplies/reports/stock", {"contract": "TAX-2026", "month": "2026-13"}).status_code == 422
    assert len(keeper.get(f"/supplies/parts/{pk}/movements").json()) == 3
    assert keeper.get("/supplies/movements", {"kind": "transfer"}).json()["count"] == 1
    patch = keeper.patch(f"/supplies/parts/{pk}", {"version": detail["version"], "min_stock": 0})
    assert patch.status_code == 200 and patch.json()["min_stock"] == 0
    assert keeper.patch(f"/supplies/parts/{pk}", {"version": 1, "min_stock": 1}).status_code == 409


def test_an_idempotency_key_records_a_movement_once(world, store, part, api):
    hdd = part(stock=3)
    keeper = api(store.keeper)
    body = {"kind": "out", "quantity": 1, "location": "WH-1", "reason": "更换"}
    first = keeper.post(f"/supplies/parts/{hdd.pk}/movements", body, **{"Idempotency-Key": "scan-17"})
    again = keeper.post(f"/supplies/parts/{hdd.pk}/movements", body, **{"Idempotency-Key": "scan-17"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert Stock.objects.get(part=hdd).quantity == 2


def test_consumables_through_the_api(world, store, consumable, api):
    toner = consumable("TONER-88A", "硒鼓", stock=4, unit_price="420.00")
    eng = api(world.engineer)
    r = eng.post(f"/supplies/consumables/{toner.pk}/issue", {"quantity": 1, "department": "办公室",
                                                             "person": "req_a"})
    assert r.status_code == 201 and r.json()["amount"] == "420.00" and r.json()["person"] == "张三"
    r = eng.post(f"/supplies/consumables/{toner.pk}/issue", {"quantity": 1, "department": "没有这个科",
                                                             "person_name": "x"})
    assert r.status_code == 422 and "department" in r.json()["error"]["fields"]
    due = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    r = eng.post(f"/supplies/consumables/{toner.pk}/loans", {"quantity": 1, "department": "办公室",
                                                             "person_name": "借用人", "due_on": due})
    assert r.status_code == 201 and r.json()["overdue"] is False
    loan = r.json()["id"]
    assert eng.get("/supplies/loans", {"state": "open"}).json()["count"] == 1
    assert eng.post(f"/supplies/loans/{loan}/return").status_code == 200
    assert eng.post(f"/supplies/loans/{loan}/return").status_code == 409
    usage = eng.get("/supplies/reports/consumable-usage", {"by": "person"}).json()
    assert [(row["rank"], row["name"], row["amount"]) for row in usage["rows"]] == [(1, "张三", "420.00")]
    assert eng.get("/supplies/reports/consumable-usage", {"from": "2026-02-30"}).status_code == 422
    assert eng.get(f"/supplies/consumables/{toner.pk}").json()["quantity"] == 3


def test_other_contracts_staff_and_client_people_get_404(world, store, part, consumable, api):
    hdd = part(stock=2)
    mouse = consumable(stock=2)
    loan = cs.loan_create(by=store.keeper, consumable=mouse, quantity=1, department=store.office, person_name="x",
                          due_on=timezone.localdate())
    clients = [api(outsider) for outsider in (world.agent_b, world.requester_a, world.contact_a)]
    keeper = api(store.keeper)
    before = (StockMovement.objects.count(), AuditEntry.objects.count(), Loan.objects.get(pk=loan.pk).returned_at)
    for client in clients:
        assert client.get(f"/supplies/parts/{hdd.pk}").status_code == 404
        move = {"kind": "out", "quantity": 1, "location": "WH-1", "reason": "r"}
        assert client.post(f"/supplies/parts/{hdd.pk}/movements", move).status_code == 404
        assert client.get(f"/supplies/consumables/{mouse.pk}").status_code == 404
        assert client.post(f"/supplies/consumables/{mouse.pk}/issue", {"quantity": 1}).status_code == 404
        assert client.post(f"/supplies/loans/{loan.pk}/return").status_code == 404
        assert client.get("/supplies/parts").json()["items"] == []
        assert client.get("/supplies/reports/stock", {"contract": "TAX-2026"}).status_code == 404
    assert keeper.get("/supplies/parts/abc").status_code == 404
    assert (StockMovement.objects.count(), AuditEntry.objects.count(),
            Loan.objects.get(pk=loan.pk).returned_at) == before


def test_pages_show_the_store_to_its_staff_only(world, store, part, consumable, login):
    hdd = part(stock=2, labels=["服务器"])
    mouse = consumable(stock=3)
    keeper = login(store.keeper)
    month = timezone.localdate().strftime("%Y-%m")
    for url in ("/supplies/", "/supplies/movements/", "/supplies/replenishment/",
                f"/supplies/reports/stock/?contract=TAX-2026&month={month}", "/supplies/consumables/",
                "/supplies/loans/", "/supplies/reports/usage/", "/supplies/import/", f"/supplies/parts/{hdd.pk}/",
                f"/supplies/consumables/{mouse.pk}/"):
        r = keeper.get(url)
        assert r.status_code == 200, url
    assert "硬盘 600GB SAS" in keeper.get("/supplies/").content.decode()
    report = keeper.get(f"/supplies/reports/stock/?contract=TAX-2026&month={month}&format=xlsx")
    assert report["Content-Type"].startswith("application/vnd.openxmlformats")
    for url in ("/supplies/movements/export/", "/supplies/consumables/export/"):
        assert keeper.get(url)["Content-Type"].startswith("application/vnd.openxmlformats")
    other = login(world.agent_b)
    assert other.get(f"/supplies/parts/{hdd.pk}/").status_code == 404
    assert other.get(f"/supplies/consumables/{mouse.pk}/").status_code == 404
    assert "硬盘" not in other.get("/supplies/").content.decode()
    assert login(world.requester_a).get("/supplies/").status_code == 302  # client people: the portal


def test_the_movement_form_saves_and_shows_errors_by_the_fields(world, store, part, login):
    hdd = part(stock=1)
    keeper = login(store.keeper)
    url = f"/supplies/parts/{hdd.pk}/move/"
    r = keeper.post(url, {"kind": "out", "quantity": "2", "location": "WH-1", "reason": "更换"})
    assert r.status_code == 422 and "一号库房" in r.content.decode()
    r = keeper.post(url, {"kind": "out", "quantity": "1", "location": "WH-1", "reason": ""})
    assert r.status_code == 422
    assert Stock.objects.get(part=hdd).quantity == 1
    r = keeper.post(url, {"kind": "out", "quantity": "1", "location": "WH-1", "reason": "更换"})
    assert r.status_code == 302 and Stock.objects.get(part=hdd).quantity == 0
    assert login(world.agent_b).post(url, {"kind": "in", "quantity": "1", "location": "WH-1",
                                           "reason": "x"}).status_code == 404


def test_the_issue_and_loan_forms(world, store, consumable, login):
    mouse = consumable(stock=2)
    page = login(world.engineer)
    r = page.post(f"/supplies/consumables/{mouse.pk}/issue/", {"quantity": "1", "department": str(store.office.pk),
                                                                "person_name": "张三"})
    assert r.status_code == 302
    r = page.post(f"/supplies/consumables/{mouse.pk}/issue/", {"quantity": "5", "department": str(store.office.pk),
                                                                "person_name": "张三"})
    assert r.status_code == 422
    due = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    r = page.post(f"/supplies/consumables/{mouse.pk}/lend/", {"loan-quantity": "1", "loan-person_name": "李四",
                                                               "loan-department": str(store.finance.pk),
                                                               "loan-due_on": due})
    assert r.status_code == 302
    loan = Loan.objects.get()
    assert page.post(f"/supplies/loans/{loan.pk}/return/").status_code == 302
    loan.refresh_from_db()
    assert loan.returned_at is not None
    mouse.refresh_from_db()
    assert mouse.quantity == 1


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_queries_do_not_grow_with_the_rows(world, store, part, consumable, api, login):
    def grow(n: int, offset: int) -> None:
        for i in range(n):
            p = part(f"P-{offset + i}", f"备件 {i}", stock=2, labels=["网络"])
            services.part_transfer(by=store.keeper, part=p, location=store.main, to_location=store.site,
                                   quantity=1, reason="调拨")
            c = consumable(f"C-{offset + i}", f"耗材 {i}", stock=3)
            cs.loan_create(by=store.keeper, consumable=c, quantity=1, department=store.office, person_name="x",
                           due_on=timezone.localdate())

    grow(1, 0)
    token = api(store.keeper).client
    page = login(store.keeper)
    urls = [(token, "/api/v1/supplies/parts"), (token, "/api/v1/supplies/movements"),
            (token, "/api/v1/supplies/consumables"), (token, "/api/v1/supplies/loans"),
            (token, "/api/v1/supplies/replenishment"), (page, "/supplies/"), (page, "/supplies/movements/"),
            (page, "/supplies/consumables/"), (page, "/supplies/loans/"), (page, "/supplies/replenishment/")]
    for client, url in urls:
        client.get(url)
    few = [_count(client, url) for client, url in urls]
    grow(6, 100)
    assert [_count(client, url) for client, url in urls] == few


def test_list_filters_of_the_api(world, store, part, consumable, api):
    hdd = part("HDD-600", "硬盘 600GB", stock=1, labels=["服务器", "存储"], min_stock=2, agreed_stock=4)
    sfp = part("SFP-10G", "光模块", stock=3, labels=["网络"], model="SFP-10G-SR")
    services.part_transfer(by=store.keeper, part=sfp, location=store.main, to_location=store.site, quantity=1,
                           reason="调拨")
    consumable("TONER-88A", "硒鼓", brand="惠普")
    keeper = api(store.keeper)

    def codes(path: str, **params: str) -> list[str]:
        r = keeper.get(path, params)
        assert r.status_code == 200, r.content
        return [i["code"] for i in r.json()["items"]]

    assert codes("/supplies/parts", label="存储") == ["HDD-600"]
    assert codes("/supplies/parts", location="SITE-2") == ["SFP-10G"]
    assert codes("/supplies/parts", below_min="true") == ["HDD-600"]
    assert codes("/supplies/parts", q="SFP-10G-SR") == ["SFP-10G"]
    assert codes("/supplies/parts", contract="HRSS-2026") == []
    assert codes("/supplies/consumables", q="惠普") == ["TONER-88A"]
    assert keeper.get("/supplies/movements", {"kind": "lost"}).status_code == 422
    assert keeper.get("/supplies/loans", {"state": "lost"}).status_code == 422
    assert keeper.get("/supplies/parts", {"cursor": "garbage"}).status_code == 422
    first = keeper.get("/supplies/parts", {"limit": 1}).json()
    assert first["next_cursor"] and [i["code"] for i in first["items"]] == ["SFP-10G"]
    second = keeper.get("/supplies/parts", {"limit": 1, "cursor": first["next_cursor"]}).json()
    assert [i["code"] for i in second["items"]] == [hdd.code]


def test_the_usage_report_names_its_period_and_the_schema_lists_the_endpoints(world, store, api):
    r = api(store.keeper).get("/supplies/reports/consumable-usage", {"from": "2026-11-01", "to": "2026-11-30"})
    assert r.status_code == 200
    assert (r.json()["date_from"], r.json()["date_to"], r.json()["rows"]) == ("2026-11-01", "2026-11-30", [])
    paths = api(store.keeper).client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/supplies/parts/{part_id}/movements", "/api/v1/supplies/import",
            "/api/v1/supplies/reports/stock"} <= set(paths)

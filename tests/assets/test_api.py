"""The asset API: the register (create, update with version, 422 with fields and nothing written, 404 across
contracts), the procedures' `allowed_actions` and actions, the overdue filter, checks, constant query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.assets import services
from opsdesk.assets.models import Asset, Repair, TakeOut
from opsdesk.core.models import AuditEntry
from tests.api.conftest import ApiClient

from .conftest import act, today


def test_create_and_update_an_asset(world, people, api):
    store = api(people.store)
    r = store.post("/assets/assets", {"contract": "TAX-2026", "asset_tag": "ZC-1", "name": "华为 2288H V5 服务器",
                                      "category": "physical", "price": "38000.00", "department": people.department.pk,
                                      "custodian": "engineer", "warranty_end": "2028-12-31"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["price"] == "38000.00" and body["department_name"] == "信息中心" and body["in_warranty"]
    r = store.patch(f"/assets/assets/{body['id']}", {"version": body["version"], "location": "机房 A-03"})
    assert r.status_code == 200 and r.json()["location"] == "机房 A-03"
    assert r.json()["history"][-1]["data"]["changes"]["location"] == ["", "机房 A-03"]
    stale = store.patch(f"/assets/assets/{body['id']}", {"version": body["version"], "location": "机房 B"})
    assert stale.status_code == 409
    assert Asset.objects.get().location == "机房 A-03"


def test_bad_input_is_422_with_fields_and_writes_nothing(world, people, api, asset):
    asset("ZC-1")
    store = api(people.store)
    audits = AuditEntry.objects.count()
    r = store.post("/assets/assets", {"contract": "TAX-2026", "asset_tag": "ZC-1", "name": " ",
                                                  "category": "furniture", "purchase_date": "2026-12-01",
                                                  "warranty_end": "2026-01-01"})
    assert r.status_code == 422
    fields = r.json()["error"]["fields"]
    assert {"asset_tag", "name", "category", "warranty_end"} <= set(fields)
    assert Asset.objects.count() == 1 and AuditEntry.objects.count() == audits
    r = api(people.store).patch(f"/assets/assets/{Asset.objects.get().pk}", {"status": "scrapped"})
    assert r.status_code == 422 and "status" in r.json()["error"]["fields"]


def test_assets_of_another_contract_do_not_exist(world, people, api, asset):
    mine = asset("ZC-1")
    other = asset("HR-1", contract=world.contract_b)
    assert api(people.store).get(f"/assets/assets/{other.pk}").status_code == 404
    assert api(people.store_b).get(f"/assets/assets/{mine.pk}").status_code == 404
    assert api(world.requester_a).get(f"/assets/assets/{mine.pk}").status_code == 404  # clients see no register
    assert api(people.leader).get("/assets/assets").json()["items"] == []
    tags = [a["asset_tag"] for a in api(people.store).get("/assets/assets").json()["items"]]
    assert tags == ["ZC-1"]
    r = api(people.store_b).patch(f"/assets/assets/{mine.pk}", {"location": "x"})
    assert r.status_code == 404


def test_procedures_across_contracts_are_404(world, people, api, asset):
    a = asset("ZC-1")
    to = services.take_out_create(by=people.store, asset=a, reason="演示", destination="分局",
                                  expected_return=today())
    assert api(people.store_b).get(f"/assets/take-outs/{to.number}").status_code == 404
    assert api(world.requester_b).post(f"/assets/take-outs/{to.number}/actions/approve", {}).status_code == 404
    assert api(world.requester_a).get(f"/assets/take-outs/{to.number}").status_code == 404  # not theirs
    assert api(people.store).get("/assets/take-outs/TO-2026-1").status_code == 404


def test_take_out_through_the_api(world, people, api, asset):
    asset("ZC-7")
    r = api(world.requester_a).post("/assets/take-outs", {"contract": "TAX-2026", "asset_tag": "ZC-7",
                                                          "reason": "外出培训", "destination": "省局培训中心",
                                                          "expected_return": str(today() + dt.timedelta(days=2))})
    assert r.status_code == 201, r.content
    number = r.json()["number"]
    assert number.startswith("TO-")
    assert r.json()["allowed_actions"] == []  # the applicant approves nothing
    detail = api(people.store).get(f"/assets/take-outs/{number}").json()
    assert [a["name"] for a in detail["allowed_actions"]] == ["approve", "reject"]
    assert [a["name"] for a in api(people.security).get(f"/assets/take-outs/{number}").json()["allowed_actions"]] == []
    r = api(people.security).post(f"/assets/take-outs/{number}/actions/approve", {"version": 1})
    assert r.status_code == 403
    r = api(people.store).post(f"/assets/take-outs/{number}/actions/approve", {"version": 1})
    assert r.status_code == 200 and r.json()["status"] == "device_approved"
    r = api(people.store).post(f"/assets/take-outs/{number}/actions/approve", {"version": 1})
    assert r.status_code == 409
    # the leader sees the record they will approve, but not the asset register
    assert api(people.leader).get(f"/assets/take-outs/{number}").status_code == 200
    r = api(people.security).post(f"/assets/take-outs/{number}/actions/reject", {"version": 2, "reason": ""})
    assert r.status_code == 422 and "reason" in r.json()["error"]["fields"]
    assert TakeOut.objects.get().version == 2


def test_unknown_asset_tag_is_a_field_error(world, people, api):
    r = api(people.store).post("/assets/repairs", {"contract": "TAX-2026", "asset_tag": "NOPE", "fault": "坏了"})
    assert r.status_code == 422 and "asset_tag" in r.json()["error"]["fields"]
    assert not Repair.objects.exists()


def test_overdue_filter(world, people, api, asset):
    late, fine = asset("ZC-1"), asset("ZC-2")
    for a in (late, fine):
        rp = services.repair_create(by=world.engineer, asset=a, fault="坏了")
        rp = act(rp, "price_part", world.engineer, part="风扇", part_price="60")
        act(rp, "send_out", world.engineer, shop="维修站")
    Repair.objects.filter(asset=late).update(due_back=today() - dt.timedelta(days=2))
    body = api(world.engineer).get("/assets/repairs", {"overdue": "true"}).json()
    assert [i["asset"] for i in body["items"]] == ["ZC-1"] and body["items"][0]["overdue"]
    assert len(api(world.engineer).get("/assets/repairs").json()["items"]) == 2
    r = api(world.engineer).get("/assets/scraps", {"overdue": "true"})
    assert r.status_code == 422 and "overdue" in r.json()["error"]["fields"]


def test_repair_detail_shows_quotes(world, people, api, asset):
    rp = services.repair_create(by=world.engineer, asset=asset(), fault="硬盘故障")
    rp = act(rp, "price_part", world.engineer, part="硬盘", part_price="800")
    r = api(world.engineer).post(f"/assets/repairs/{rp.number}/actions/add_quote",
                                 {"shop": "授权店", "amount": "780.50", "authorised": True})
    assert r.status_code == 200, r.content
    assert r.json()["quotes"] == [{"shop": "授权店", "amount": "780.50", "authorised": True}]
    r = api(world.engineer).post(f"/assets/repairs/{rp.number}/actions/add_quote", {"shop": "x", "amount": "-1"})
    assert r.status_code == 422 and "amount" in r.json()["error"]["fields"]


def test_monthly_check_is_unique_and_completes(world, people, api, asset):
    a1, a2 = asset("ZC-1"), asset("ZC-2")
    asset("HR-1", contract=world.contract_b)
    sc = services.scrap_create(by=people.store, asset=asset("ZC-3"), reason="报废")
    act(act(sc, "approve", world.pm), "approve", people.leader)
    store = api(people.store)
    r = store.post("/assets/checks", {"contract": "TAX-2026", "month": "2026-12"})
    assert r.status_code == 201, r.content
    check = r.json()
    assert [i["asset_tag"] for i in check["items"]] == ["ZC-1", "ZC-2"]  # not scrapped, not another contract's
    again = store.post("/assets/checks", {"contract": "TAX-2026", "month": "2026-12-15"})
    assert again.status_code == 422 and "month" in again.json()["error"]["fields"]
    lines = {i["asset_tag"]: i["id"] for i in check["items"]}
    r = store.post(f"/assets/checks/{check['id']}/results", {"results": [{"line": lines["ZC-1"], "result": "ok"}]})
    assert r.json()["status"] == "open"
    r = store.post(f"/assets/checks/{check['id']}/results",
                   {"results": [{"line": lines["ZC-2"], "result": "missing"}]})
    assert r.status_code == 422 and f"note_{lines['ZC-2']}" in r.json()["error"]["fields"]
    r = store.post(f"/assets/checks/{check['id']}/results",
                   {"results": [{"line": lines["ZC-2"], "result": "location_differs", "note": "在 305 室"}]})
    assert r.json()["status"] == "completed" and r.json()["completed_at"]
    r = store.post(f"/assets/checks/{check['id']}/results", {"results": [{"line": lines["ZC-1"], "result": "ok"}]})
    assert r.status_code == 409
    assert api(people.store_b).get(f"/assets/checks/{check['id']}").status_code == 404
    assert a1.pk and a2.pk


def _queries(client: ApiClient, path: str, params: dict | None = None) -> tuple[int, dict]:
    client.get(path, params)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, params)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries), response.json()


def _many(world, people, asset, start: int, n: int) -> None:
    for i in range(start, start + n):
        a = asset(f"ZC-{i:03d}", department=people.department, custodian=world.engineer)
        rp = services.repair_create(by=world.engineer, asset=a, fault="故障")
        if i % 2:
            act(rp, "price_part", world.engineer, part="内存", part_price="200")
        services.take_out_create(by=world.requester_a, asset=a, reason="外出", destination="分局",
                                 expected_return=today())


@pytest.mark.parametrize("path", ["/assets/assets", "/assets/repairs", "/assets/take-outs", "/assets/checks"])
def test_list_query_count_is_constant_in_rows(world, people, api, asset, path):
    _many(world, people, asset, 0, 3)
    services.check_create(by=people.store, contract=world.contract_a, month="2026-11")
    small, body = _queries(ApiClient(api(people.store).token, people.store), path, {"limit": 200})
    assert body["items"]
    _many(world, people, asset, 3, 12)
    services.check_create(by=people.store, contract=world.contract_a, month="2026-12")
    large, body = _queries(ApiClient(api(people.store).token, people.store), path, {"limit": 200})
    assert len(body["items"]) > 3 or path == "/assets/checks"
    assert small == large, (small, large)

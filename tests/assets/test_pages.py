"""The asset pages: the register's list (filters, constant query count), detail, new asset, export button,
import with dry run; the procedure pages with their action buttons (an approver opens what they approve,
nobody else's); the scrap approval form; the monthly check page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from opsdesk.assets import services
from opsdesk.assets.models import Asset, AssetCheckLine, TakeOut

from .conftest import act, today


def test_asset_list_filters_and_export_link(world, people, login, asset):
    asset("ZC-1", category="software", name="杀毒软件授权")
    asset("ZC-2", name="打印机")
    asset("HR-1", contract=world.contract_b, name="社保服务器")
    c = login(people.store)
    r = c.get(reverse("assets:asset_list"), {"category": "software"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "杀毒软件授权" in html and "打印机" not in html and "社保服务器" not in html
    assert reverse("assets:asset_export") + "?category=software" in html
    assert c.get(reverse("assets:asset_list"), {"status": "lost"}).status_code == 400
    r = c.get(reverse("assets:asset_export"), {"category": "software"})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")


def test_clients_do_not_see_the_register(world, people, login, asset):
    a = asset()
    c = login(people.leader)
    assert c.get(reverse("assets:asset_list")).status_code == 302  # to the portal
    assert login(people.store_b).get(reverse("assets:asset_detail", args=[a.pk])).status_code == 404


def test_asset_list_page_query_count_is_constant(world, people, login, asset):
    for i in range(3):
        asset(f"ZC-{i}", department=people.department, custodian=world.engineer)
    c = login(people.store)
    url = reverse("assets:asset_list")
    c.get(url)
    with CaptureQueriesContext(connection) as small:
        assert c.get(url).status_code == 200
    for i in range(3, 20):
        asset(f"ZC-{i}", department=people.department, custodian=world.engineer)
    with CaptureQueriesContext(connection) as large:
        assert c.get(url).status_code == 200
    assert len(small.captured_queries) == len(large.captured_queries)


def test_procedure_list_page_query_count_is_constant(world, people, login, asset):
    def some(start: int, n: int) -> None:
        for i in range(start, start + n):
            services.take_out_create(by=world.requester_a, asset=asset(f"ZC-{i}"), reason="外出",
                                     destination="分局", expected_return=today())
    some(0, 2)
    c = login(people.store)
    url = reverse("assets:takeout_list")
    c.get(url)
    with CaptureQueriesContext(connection) as small:
        assert c.get(url).status_code == 200
    some(2, 10)
    with CaptureQueriesContext(connection) as large:
        assert c.get(url).status_code == 200
    assert len(small.captured_queries) == len(large.captured_queries)


def test_new_asset_page(world, people, login):
    c = login(people.store)
    assert c.get(reverse("assets:asset_create")).status_code == 200
    r = c.post(reverse("assets:asset_create"), {"contract": "TAX-2026", "asset_tag": "ZC-5", "name": "交换机",
                                                "category": "physical", "importance": "2", "status": "in_use",
                                                "price": "abc"})
    assert r.status_code == 422 and not Asset.objects.exists()
    r = c.post(reverse("assets:asset_create"), {"contract": "TAX-2026", "asset_tag": "ZC-5", "name": "交换机",
                                                "category": "physical", "importance": "2", "status": "in_use",
                                                "price": "12800", "department": str(people.department.pk)})
    a = Asset.objects.get()
    assert r.status_code == 302 and r["Location"] == a.get_absolute_url()
    html = c.get(a.get_absolute_url()).content.decode()
    assert "交换机" in html and "信息中心" in html
    assert reverse("assets:repair_create") + f"?asset={a.pk}" in html


def test_take_out_pages_and_actions(world, people, login, asset):
    a = asset("ZC-8")
    c = login(world.requester_a)
    r = c.get(reverse("assets:takeout_create"))
    assert r.status_code == 200
    r = c.post(reverse("assets:takeout_create"), {"contract": "TAX-2026", "asset_tag": "ZC-8", "reason": "外出",
                                                  "destination": "分局",
                                                  "expected_return": (today() + dt.timedelta(days=1)).isoformat()})
    to = TakeOut.objects.get()
    assert r.status_code == 302 and r["Location"] == to.get_absolute_url()
    store = login(people.store)
    html = store.get(to.get_absolute_url()).content.decode()
    assert 'data-action="approve"' in html and 'data-action="reject"' in html
    html = login(people.security).get(to.get_absolute_url()).content.decode()
    assert 'data-action="approve"' not in html
    r = login(people.security).post(reverse("assets:takeout_action", args=[to.number, "approve"]), {"version": 1})
    assert r.status_code == 403
    r = store.post(reverse("assets:takeout_action", args=[to.number, "approve"]), {"version": 1})
    assert r.status_code == 302
    to.refresh_from_db()
    assert to.status == "device_approved"
    # the leader opens the record they approve; another contract's people do not find it
    assert login(people.leader).get(to.get_absolute_url()).status_code == 200
    listing = login(people.leader).get(reverse("assets:takeout_list")).content.decode()
    assert to.number in listing and f'href="{reverse("assets:asset_list")}"' not in listing  # no register tab
    assert login(world.requester_b).get(to.get_absolute_url()).status_code == 404
    a.refresh_from_db()
    assert a.status == "in_use"


def test_overdue_repair_is_flagged_on_list_and_page(world, people, login, asset):
    rp = services.repair_create(by=world.engineer, asset=asset(), fault="无法开机")
    rp = act(rp, "price_part", world.engineer, part="电源", part_price="120")
    rp = act(rp, "send_out", world.engineer, shop="维修站")
    type(rp).objects.filter(pk=rp.pk).update(due_back=today() - dt.timedelta(days=1))
    c = login(world.engineer)
    html = c.get(reverse("assets:repair_list"), {"overdue": "on"}).content.decode()
    assert rp.number in html and 'data-overdue="true"' in html
    assert 'id="overdue"' in c.get(rp.get_absolute_url()).content.decode()


def test_scrap_print_form(world, people, login, asset):
    sc = services.scrap_create(by=people.store, asset=asset(), reason="主板烧毁，无法维修")
    act(sc, "approve", world.pm)
    r = login(world.pm).get(reverse("assets:scrap_print", args=[sc.number]))
    assert r.status_code == 200 and "主板烧毁，无法维修" in r.content.decode()


def test_check_page_records_results(world, people, login, asset):
    a1, a2 = asset("ZC-1"), asset("ZC-2")
    c = login(people.store)
    r = c.post(reverse("assets:check_list"), {"contract": "TAX-2026", "month": "2026-12"})
    assert r.status_code == 302
    url = r["Location"]
    lines = {line.asset_id: line.pk for line in AssetCheckLine.objects.all()}
    html = c.get(url).content.decode()
    assert f'name="result_{lines[a1.pk]}"' in html
    r = c.post(url, {f"result_{lines[a1.pk]}": "ok", f"result_{lines[a2.pk]}": "damaged",
                     f"note_{lines[a2.pk]}": ""})
    assert r.status_code == 422
    assert not AssetCheckLine.objects.exclude(result="").exists()
    r = c.post(url, {f"result_{lines[a1.pk]}": "ok", f"result_{lines[a2.pk]}": "damaged",
                     f"note_{lines[a2.pk]}": "屏幕裂了"})
    assert r.status_code == 302
    assert "completed" in c.get(url).content.decode()
    r = c.post(reverse("assets:check_list"), {"contract": "TAX-2026", "month": "2026-12"})
    assert r.status_code == 422


@pytest.mark.parametrize("name", ["asset_list", "acquisition_list", "takeout_list", "repair_list", "scrap_list",
                                  "check_list", "asset_import", "acquisition_create"])
def test_pages_render(world, people, login, name):
    assert login(people.store).get(reverse(f"assets:{name}")).status_code == 200


def test_import_page_dry_run(world, people, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .test_import_export import GOOD, workbook

    c = login(people.store)
    r = c.post(reverse("assets:asset_import"), {"file": SimpleUploadedFile("a.xlsx", workbook(GOOD)),
                                                "dry_run": "on"})
    assert r.status_code == 200
    assert 'id="import-report" data-ok="true"' in r.content.decode() and not Asset.objects.exists()
    r = c.post(reverse("assets:asset_import"), {"file": SimpleUploadedFile("a.xlsx", workbook(GOOD))})
    assert r.status_code == 200 and Asset.objects.count() == 2


def test_edit_page_checks_the_version(world, people, login, asset):
    a = asset("ZC-1", location="二楼")
    c = login(people.store)
    assert c.get(reverse("assets:asset_edit", args=[a.pk])).status_code == 200
    form = {"version": "1", "name": a.name, "category": "physical", "importance": "3", "status": "in_use",
            "location": "三楼 301", "price": "4299.00", "custodian": "engineer"}
    r = c.post(reverse("assets:asset_edit", args=[a.pk]), form)
    assert r.status_code == 302
    a.refresh_from_db()
    assert (a.location, a.custodian, a.version) == ("三楼 301", world.engineer, 2)
    html = c.get(a.get_absolute_url()).content.decode()
    assert "二楼 → 三楼 301" in html
    r = c.post(reverse("assets:asset_edit", args=[a.pk]), {**form, "location": "四楼"})  # stale version 1
    assert r.status_code == 409
    a.refresh_from_db()
    assert a.location == "三楼 301"
    assert login(world.agent).post(reverse("assets:asset_edit", args=[a.pk]), form).status_code == 403

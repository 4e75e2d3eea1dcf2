"""Excel import of spare parts and consumables: a dry run reports every bad row with its row and column and
writes nothing; a real run writes all rows or none; exports import again."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from opsdesk.core.models import AuditEntry
from opsdesk.supplies import imports
from opsdesk.supplies.models import Consumable, ConsumableMovement, SparePart, Stock, StockMovement

pytestmark = pytest.mark.django_db

# Headers as the user sees them (in the active language), and by key: both are recognised.
PART_HEAD = [str(c.header) for c in imports.PART_COLUMNS if c.key != "contract"]
CONS_HEAD = [c.key for c in imports.CONSUMABLE_COLUMNS if c.key != "contract"]


def col(key: str) -> str:
    return imports._header(imports.PART_COLUMNS, key)


def workbook(parts=None, consumables=None) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    if parts is not None:
        sheet = wb.create_sheet("备件")
        sheet.append(PART_HEAD)
        for row in parts:
            sheet.append(row)
    if consumables is not None:
        sheet = wb.create_sheet(str(imports.CONSUMABLE_SHEET))
        sheet.append(CONS_HEAD)
        for row in consumables:
            sheet.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


GOOD_PARTS = [
    ["HDD-600", "硬盘 600GB SAS", "ST600MM0009", "希捷", "服务器,存储", "块", 1200, 2, 6, "某某科技", "WH-1", 4],
    ["PSU-550", "电源模块 550W", "DPS-550", "台达", "", "个", "680.50", 1, 3, "", "二分局现场", 2],
    ["SW-SFP", "交换机光模块", "SFP-10G-SR", "华为", "网络", "个", 350, 0, 0, "", "", ""],
]
GOOD_CONSUMABLES = [["TONER-88A", "硒鼓", "CC388A", "惠普", "个", 420, "某某办公", 5, 10],
                    ["MOUSE-1", "鼠标", "M100", "罗技", "个", 35, "", 10, 30]]


def snapshot():
    return (SparePart.objects.count(), Consumable.objects.count(), Stock.objects.count(),
            StockMovement.objects.count(), ConsumableMovement.objects.count(), AuditEntry.objects.count())


def test_a_dry_run_checks_everything_and_writes_nothing(world, store):
    before = snapshot()
    report = imports.supplies_import(by=store.keeper, contract=world.contract_a, dry_run=True,
                                     upload=workbook(GOOD_PARTS, GOOD_CONSUMABLES))
    assert report.ok and not report.written
    cons = str(imports.CONSUMABLE_SHEET)
    assert report.rows == {"备件": 3, cons: 2} and report.created == {"备件": 3, cons: 2}
    assert snapshot() == before


def test_every_bad_row_is_reported_with_its_row_and_column(world, store, part):
    part("OLD-1", "已有备件")
    before = snapshot()
    bad_parts = [
        *GOOD_PARTS,
        ["HDD-600", "硬盘重复", "", "", "", "块", 1, 0, 0, "", "WH-1", 1],        # row 5: twice in the file
        ["OLD-1", "已有", "", "", "", "个", 1, 0, 0, "", "", ""],                 # row 6: on the contract already
        ["X-1", "未知库位", "", "", "", "个", 1, 0, 0, "", "三号库", 1],            # row 7
        ["X-2", "负数", "", "", "", "个", 1, 0, 0, "", "WH-1", -3],                 # row 8
        ["X-3", "非数字", "", "", "", "个", "贵", 0, 0, "", "WH-1", "五个"],         # row 9: price and quantity
        ["X-4", "", "", "", "", "个", 1, 5, 2, "", "", ""],                        # row 10: no name, agreed < min
    ]
    bad_consumables = [*GOOD_CONSUMABLES, ["MOUSE-1", "鼠标", "", "", "个", 35, "", 0, 1],
                       ["INK-1", "墨盒", "", "", "个", -5, "", 0, 1.5]]
    for dry_run in (True, False):
        report = imports.supplies_import(by=store.keeper, contract=world.contract_a, dry_run=dry_run,
                                         upload=workbook(bad_parts, bad_consumables))
        found = {(e.sheet, e.row, e.column) for e in report.errors}
        cons = str(imports.CONSUMABLE_SHEET)
        assert found == {
            ("备件", 5, col("code")), ("备件", 6, col("code")), ("备件", 7, col("location")),
            ("备件", 8, col("quantity")), ("备件", 9, col("unit_price")), ("备件", 9, col("quantity")),
            ("备件", 10, col("name")), ("备件", 10, col("agreed_stock")),
            (cons, 4, col("code")), (cons, 5, col("unit_price")), (cons, 5, col("quantity"))}, found
        assert report.error_count == 11 and not report.ok and not report.written
        assert "三号库" in next(e.message for e in report.errors if e.row == 7)
        assert snapshot() == before


def test_a_real_run_writes_every_row_with_its_opening_stock(world, store):
    report = imports.supplies_import(by=store.keeper, contract=world.contract_a, dry_run=False,
                                     upload=workbook(GOOD_PARTS, GOOD_CONSUMABLES))
    assert report.ok and report.written, report.as_dict()
    hdd = SparePart.objects.get(contract=world.contract_a, code="HDD-600")
    assert hdd.label_list == ["服务器", "存储"] and str(hdd.unit_price) == "1200.00" and hdd.agreed_stock == 6
    assert Stock.objects.get(part=hdd, location=store.main).quantity == 4
    assert Stock.objects.get(part__code="PSU-550", location=store.site).quantity == 2
    assert not Stock.objects.filter(part__code="SW-SFP").exists()
    assert Consumable.objects.get(code="TONER-88A").quantity == 10
    assert StockMovement.objects.filter(kind="in").count() == 2


def test_the_api_imports_and_refuses_what_is_not_a_workbook(world, store, api):
    client = api(store.keeper).client
    url = "/api/v1/supplies/import?contract=TAX-2026&dry_run=true"
    r = client.post(url, {"file": io.BytesIO(workbook(GOOD_PARTS))})
    assert r.status_code == 200 and r.json()["ok"] and not r.json()["written"], r.content
    r = client.post(url, {"file": io.BytesIO(b"not a workbook")})
    assert r.status_code == 422 and "file" in r.json()["error"]["fields"]
    r = client.post(url.replace("true", "false"), {"file": io.BytesIO(workbook(GOOD_PARTS))})
    assert r.json()["written"] and SparePart.objects.count() == 3
    assert api(world.engineer).client.post(url, {"file": io.BytesIO(workbook(GOOD_PARTS))}).status_code == 403
    assert api(world.agent_b).client.post(url, {"file": io.BytesIO(workbook(GOOD_PARTS))}).status_code == 404


def test_an_export_of_the_parts_list_imports_again(world, store, part, login):
    hdd = part("HDD-600", "硬盘", stock=3, labels=["服务器"])
    from opsdesk.supplies import services

    services.part_transfer(by=store.keeper, part=hdd, location=store.main, to_location=store.site, quantity=1,
                           reason="调拨")
    r = login(store.keeper).get("/supplies/parts/export/", {"contract": "TAX-2026"})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(r.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == col("code") and sorted((row[11], row[12]) for row in rows[1:]) == [("SITE-2", 1), ("WH-1", 2)]

"""Excel import (dry run reports every bad row with row and column and writes nothing; a real run is
all-or-nothing) and the export of the filtered list, which the import reads back."""

from __future__ import annotations

import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from opsdesk.assets import transfer
from opsdesk.assets.models import Asset
from opsdesk.core.models import AuditEntry

HEADER = ["Contract", "Asset tag", "Name", "Asset category", "Owner department", "Custodian (username)",
          "Price (yuan)", "Warranty ends", "Status"]
HEADER_EN = ["contract", "asset_tag", "name", "category", "department", "custodian", "price", "warranty_end",
             "status"]


def workbook(rows: list[list[object]], header: list[str] = HEADER_EN) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "资产"
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


GOOD = [["TAX-2026", "ZC-001", "联想启天 M430", "physical", "信息中心", "engineer", "4299", "2027-06-30", "in_use"],
        ["TAX-2026", "ZC-002", "正版 WPS 授权", "software", "", "", "", "", "in_stock"]]


def upload(client, content: bytes, dry_run: bool):
    return client.client.post(f"/api/v1/assets/import?dry_run={'true' if dry_run else 'false'}",
                              {"file": SimpleUploadedFile("assets.xlsx", content)})


def test_dry_run_reports_bad_rows_and_writes_nothing(world, people, api):
    content = workbook([*GOOD,
                        ["TAX-2026", "ZC-003", "", "furniture", "不存在的科", "nobody", "12.345", "2027-13-01", ""],
                        ["HRSS-2026", "HR-1", "别人的资产", "physical", "", "", "", "", ""],
                        ["TAX-2026", "ZC-001", "重复标签", "physical", "", "", "", "", ""]])
    store = api(people.store)
    audits = AuditEntry.objects.count()
    report = transfer.import_assets(by=people.store, upload=content, dry_run=True).as_dict()
    assert report["dry_run"] and not report["ok"] and not report["written"]
    cells = {(e["row"], e["column"]) for e in report["errors"]}
    header = {k: str(c.header) for k, c in transfer.HEADERS.items()}
    expected = {(4, "name"), (4, "category"), (4, "department"), (4, "custodian"), (4, "price"), (4, "warranty_end"),
                (5, "contract"), (6, "asset_tag")}
    assert {(row, header[key]) for row, key in expected} <= cells, cells
    assert not any(e["row"] in (2, 3) for e in report["errors"])
    r = upload(store, content, dry_run=True)
    assert r.status_code == 200 and r.json()["error_count"] == report["error_count"]
    assert not Asset.objects.exists() and AuditEntry.objects.count() == audits
    r = upload(store, content, dry_run=False)
    assert r.status_code == 422 and r.json()["report"]["error_count"] == report["error_count"]
    assert not Asset.objects.exists() and AuditEntry.objects.count() == audits


def test_a_clean_dry_run_writes_nothing_and_the_real_run_writes_all(world, people, api):
    store = api(people.store)
    from opsdesk.accounts.models import Department

    Department.objects.create(organisation=world.org_a, name="信息中心")
    content = workbook(GOOD)
    r = upload(store, content, dry_run=True)
    assert r.json()["ok"] and r.json()["created"] == {"资产": 2}
    assert not Asset.objects.exists()
    audits = AuditEntry.objects.count()
    r = upload(store, content, dry_run=False)
    assert r.status_code == 200 and r.json()["written"]
    assert AuditEntry.objects.count() == audits + 1
    a = Asset.objects.get(asset_tag="ZC-001")
    assert a.price == Decimal("4299.00") and a.department.name == "信息中心" and a.custodian == world.engineer
    # again with one change: matched by tag, one updated, none created
    content = workbook([[*GOOD[0][:6], "4399", *GOOD[0][7:]], GOOD[1]])
    r = upload(store, content, dry_run=False)
    assert r.json()["created"] == {"资产": 0} and r.json()["updated"] == {"资产": 1}
    a.refresh_from_db()
    assert a.price == Decimal("4399.00") and a.version == 2


def test_headers_and_choices_are_read_by_their_labels(world, people, asset):
    asset("ZC-9", name="旧打印机")
    content = workbook([["TAX-2026", "ZC-100", "惠普 M404dn 打印机", "Physical asset", "", "", "", "", "In stock"]],
                       header=HEADER)
    report = transfer.import_assets(by=people.store, upload=content, dry_run=False)
    assert report.ok, report.as_dict()
    assert (Asset.objects.get(asset_tag="ZC-100").category, Asset.objects.get(asset_tag="ZC-100").status) == (
        "physical", "in_stock")


def test_not_an_excel_file_is_a_field_error(world, people, api):
    r = upload(api(people.store), b"not a workbook", dry_run=True)
    assert r.status_code == 422 and "file" in r.json()["error"]["fields"]


def test_export_of_the_filtered_list_reads_back(world, people, api, asset):
    asset("ZC-1", category="software", name="杀毒软件授权")
    asset("ZC-2")
    asset("HR-1", contract=world.contract_b)
    r = api(people.store).get("/assets/assets/export", {"category": "software"})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert [row[1] for row in rows[1:]] == ["ZC-1"]
    report = transfer.import_assets(by=people.store, upload=r.content, dry_run=True)
    assert report.ok and report.updated == {ws.title: 0}, report.as_dict()

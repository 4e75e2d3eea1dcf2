"""Excel import and export of the CMDB (issue 7): a dry run reports every bad row with row and column and writes
nothing; a real run writes all or nothing; an export imports back unchanged."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from opsdesk.cmdb import imports
from opsdesk.cmdb.models import ConfigurationItem, Relationship
from opsdesk.core.errors import ValidationError
from opsdesk.core.models import Activity, AuditEntry
from tests.factories import UserFactory, grant

pytestmark = pytest.mark.django_db

ITEM_HEADER = ["服务合同", "类型", "标识", "名称", "状态", "重要程度", "负责人", "位置"]
RELATION_HEADER = ["服务合同", "源 (标识)", "关系类型", "目标 (标识)"]


def workbook(items, relations=None, *, item_header=None, extra_header=()):
    wb = Workbook()
    sheet = wb.active
    sheet.title = "配置项"
    sheet.append([*(item_header or ITEM_HEADER), *extra_header])
    for row in items:
        sheet.append(list(row))
    if relations is not None:
        rel = wb.create_sheet("关系")
        rel.append(RELATION_HEADER)
        for row in relations:
            rel.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def counts():
    return (ConfigurationItem.objects.count(), Relationship.objects.count(), Activity.objects.count(),
            AuditEntry.objects.count())


GOOD_ITEMS = [
    ("TAX-2026", "business_system", "sys-tax", "金税三期", "在用", 1, "", "", "", ""),
    ("TAX-2026", "server", "srv-01", "应用服务器 01", "active", "2", "engineer", "A 机房 3 排", "srv-01", 32),
    ("TAX-2026", "服务器", "srv-02", "数据库服务器", "", "", "", "", "srv-02", ""),
]
EXTRA = ("主机名", "CPU 核数")
GOOD_RELATIONS = [("TAX-2026", "sys-tax", "runs_on", "srv-01"), ("TAX-2026", "sys-tax", "依赖于", "srv-02")]


def test_a_good_workbook_imports_items_attributes_and_relationships(world):
    data = workbook(GOOD_ITEMS, GOOD_RELATIONS, extra_header=EXTRA)
    before = counts()
    dry = imports.cmdb_import(by=world.engineer, upload=data, dry_run=True)
    assert dry.ok and not dry.written and counts() == before
    assert dry.created == {"配置项": 3, "关系": 2}
    report = imports.cmdb_import(by=world.engineer, upload=data, dry_run=False)
    assert report.ok and report.written, report.errors
    srv = ConfigurationItem.objects.get(key="srv-01")
    assert srv.attributes == {"hostname": "srv-01", "cpu_cores": 32}
    assert srv.importance == 2 and srv.owner == world.engineer and srv.location == "A 机房 3 排"
    assert ConfigurationItem.objects.get(key="sys-tax").status == "active"
    assert ConfigurationItem.objects.get(key="srv-02").ci_type.code == "server"
    assert set(Relationship.objects.values_list("source__key", "kind", "target__key")) == {
        ("sys-tax", "runs_on", "srv-01"), ("sys-tax", "depends_on", "srv-02")}
    assert Activity.objects.filter(action="imported").count() == 3
    assert AuditEntry.objects.filter(action="cmdb.item_import").count() == 3
    assert AuditEntry.objects.filter(action="cmdb.import").count() == 1


def test_a_dry_run_reports_every_bad_row_with_row_and_column_and_writes_nothing(world, ci):
    ci("srv-old")
    data = workbook([
        ("TAX-2026", "spaceship", "x-1", "未知类型", "", "", "", "", "", ""),          # row 2: unknown type
        ("TAX-2026", "server", "srv-03", "缺主机名", "", "", "", "", "", ""),           # row 3: missing required
        ("TAX-2026", "server", "srv-04", "重复", "", "", "", "", "srv-04", ""),          # row 4
        ("TAX-2026", "server", "srv-04", "重复", "", "", "", "", "srv-04", ""),          # row 5: duplicate key
        ("TAX-2026", "server", "srv-05", "坏数字", "", "9", "nobody", "", "srv-05", "八"),  # row 6: three errors
        ("HRSS-2026", "server", "srv-06", "别的合同", "", "", "", "", "srv-06", ""),      # row 7: not editable
    ], [
        ("TAX-2026", "srv-04", "runs_on", "ghost"),       # row 2: dangling target
        ("TAX-2026", "srv-04", "loves", "srv-old"),       # row 3: unknown kind
        ("TAX-2026", "srv-old", "runs_on", "srv-old"),    # row 4: self
        ("TAX-2026", "srv-04", "runs_on", "srv-old"),     # row 5: fine (recorded + workbook item)
    ], extra_header=EXTRA)
    before = counts()
    report = imports.cmdb_import(by=world.engineer, upload=data, dry_run=True)
    found = {(e.sheet, e.row, e.column) for e in report.errors}
    assert found == {
        ("配置项", 2, "类型"), ("配置项", 3, "主机名"), ("配置项", 5, "标识"),
        ("配置项", 6, "重要程度"), ("配置项", 6, "负责人"), ("配置项", 6, "CPU 核数"), ("配置项", 7, "服务合同"),
        ("关系", 2, "目标 (标识)"), ("关系", 3, "关系类型"), ("关系", 4, "目标 (标识)"),
    }
    assert report.error_count == 10 and not report.ok
    assert counts() == before
    real = imports.cmdb_import(by=world.engineer, upload=data, dry_run=False)
    assert not real.written and real.error_count == 10
    assert counts() == before


def test_an_attribute_the_type_does_not_have_and_a_changed_type_are_errors(world, ci):
    ci("db-01", "database", attributes={})
    data = workbook([("TAX-2026", "database", "new-db", "新库", "", "", "", "", "h", "", "oracle"),
                     ("TAX-2026", "server", "db-01", "换类型", "", "", "", "", "db-01", "", "")],
                    extra_header=(*EXTRA, "数据库类型"))
    report = imports.cmdb_import(by=world.engineer, upload=data, dry_run=True)
    assert {(e.row, e.column) for e in report.errors} == {(2, "主机名"), (3, "类型")}


def test_reimporting_updates_what_changed_keeps_history_and_adds_no_duplicates(world):
    imports.cmdb_import(by=world.engineer, upload=workbook(GOOD_ITEMS, GOOD_RELATIONS, extra_header=EXTRA),
                        dry_run=False)
    changed = [list(r) for r in GOOD_ITEMS]
    changed[1][9] = 64
    changed[1][4] = "维护中"
    report = imports.cmdb_import(by=world.engineer, upload=workbook(changed, GOOD_RELATIONS, extra_header=EXTRA),
                                 dry_run=False)
    assert report.written and report.created == {"配置项": 0, "关系": 0} and report.updated == {"配置项": 1}
    srv = ConfigurationItem.objects.get(key="srv-01")
    assert srv.attributes["cpu_cores"] == 64 and srv.status == "maintenance" and srv.version == 2
    history = Activity.objects.filter(object_id=srv.pk, action="updated").get()
    assert history.data["changes"]["status"] == ["active", "maintenance"]
    assert Relationship.objects.count() == 2


def test_an_export_imports_back_unchanged(world, api, ci, relate):
    sys_ = ci("sys-oa", "business_system", name="OA 系统", attributes={"users": 300})
    vm = ci("vm-oa", "virtual_machine", attributes={"hostname": "vm-oa", "cpu_cores": 8})
    relate(sys_, "runs_on", vm)
    response = api(world.engineer).get("/cmdb/items/export")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert [s.title for s in book.worksheets] == ["配置项", "关系"]
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:4] == ("服务合同", "类型", "标识", "名称") and len(rows) == 3
    before = counts()
    report = imports.cmdb_import(by=world.engineer, upload=response.content, dry_run=False)
    assert report.ok and report.updated == {"配置项": 0} and report.created == {"配置项": 0, "关系": 0}
    assert counts()[:2] == before[:2]


def test_an_export_never_carries_a_formula(world, api, ci):
    ci("srv-f", name="=HYPERLINK(\"http://evil\",\"x\")")
    content = api(world.engineer).get("/cmdb/items/export").content
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    cell = next(c for row in sheet.iter_rows() for c in row if str(c.value).startswith("=HYPER"))
    assert cell.data_type == "s"


def test_the_export_shows_only_visible_items(world, api, ci):
    ci("srv-a")
    other = grant(UserFactory(username="eng_b"), "engineer", world.contract_b)
    ci("srv-b", contract=world.contract_b, by=other)

    def keys(user):
        sheet = load_workbook(io.BytesIO(api(user).get("/cmdb/items/export").content)).worksheets[0]
        return [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]

    assert keys(world.engineer) == ["srv-a"]
    assert keys(other) == ["srv-b"]
    assert keys(world.requester_a) == []


def test_the_api_dry_run_is_the_default_and_a_rejected_run_is_422_with_the_report(world, api):
    client = api(world.engineer)
    good = workbook(GOOD_ITEMS, GOOD_RELATIONS, extra_header=EXTRA)
    response = client.upload("/cmdb/import", {"file": ("cmdb.xlsx", good)})
    assert response.status_code == 200 and response.json()["dry_run"] is True
    assert ConfigurationItem.objects.count() == 0
    bad = workbook([("TAX-2026", "spaceship", "x", "x", "", "", "", "", "", "")], extra_header=EXTRA)
    response = client.upload("/cmdb/import", {"file": ("bad.xlsx", bad)}, {"dry_run": "false"})
    body = response.json()
    assert response.status_code == 422 and body["error"]["code"] == "import_rejected"
    assert body["report"]["errors"] == [{"sheet": "配置项", "row": 2, "column": "类型",
                                         "message": body["report"]["errors"][0]["message"]}]
    response = client.upload("/cmdb/import", {"file": ("cmdb.xlsx", good)}, {"dry_run": "false"})
    assert response.status_code == 200 and response.json()["written"] is True
    assert ConfigurationItem.objects.count() == 3


def test_a_file_that_is_not_a_workbook_is_a_clear_422(world, api):
    response = api(world.engineer).upload("/cmdb/import", {"file": ("x.xlsx", b"not a zip at all")})
    assert response.status_code == 422 and "file" in response.json()["error"]["fields"]
    with pytest.raises(ValidationError):
        imports.cmdb_import(by=world.engineer, upload=None, dry_run=True)


def test_a_missing_required_column_is_one_error_on_row_one(world):
    data = workbook([("TAX-2026", "server", "srv-01")], item_header=["服务合同", "类型", "标识"])
    report = imports.cmdb_import(by=world.engineer, upload=data, dry_run=True)
    assert [(e.row, e.column) for e in report.errors] == [(1, "名称")]


def test_english_headers_import_too(world):
    data = workbook([("TAX-2026", "server", "srv-en", "English", "In use", "High", "", "", "srv-en")],
                    item_header=["Contract", "Type", "Key", "Name", "Status", "Importance", "Owner", "Location"],
                    extra_header=("hostname",))
    report = imports.cmdb_import(by=world.engineer, upload=data, dry_run=False)
    assert report.written, report.errors
    assert ConfigurationItem.objects.get(key="srv-en").importance == 2

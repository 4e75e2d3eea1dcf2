"""Configuration audits against an inventory workbook, and the configuration status report (issue 7)."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from opsdesk.cmdb import audits, services
from opsdesk.cmdb.models import AuditFinding, ConfigurationAudit
from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.core.models import AuditEntry
from tests.factories import UserFactory, grant

pytestmark = pytest.mark.django_db


def inventory(rows, header=("标识", "类型", "名称", "位置", "CPU 核数")):
    wb = Workbook()
    wb.active.title = "配置项"
    wb.active.append(list(header))
    for row in rows:
        wb.active.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def recorded(ci):
    return {
        "same": ci("srv-same", location="A 机房", attributes={"hostname": "srv-same", "cpu_cores": 8}),
        "moved": ci("srv-moved", location="A 机房", attributes={"hostname": "srv-moved", "cpu_cores": 8}),
        "gone": ci("srv-gone"),
        "retired": ci("srv-retired", status="retired"),
    }


def test_an_audit_lists_missing_unexpected_and_differing_items(world, recorded):
    data = inventory([
        ("srv-same", "服务器", "srv-same", "A 机房", 8),
        ("srv-moved", "server", "srv-moved", "B 机房", "16"),
        ("srv-new", "server", "新发现的服务器", "B 机房", 4),
        ("", "", "无标识的行", "", ""),
    ])
    audit = audits.configuration_audit_run(by=world.engineer, contract=world.contract_a, upload=data, note="十二月")
    assert (audit.recorded, audit.inventoried, audit.matched) == (3, 3, 1)
    assert (audit.missing, audit.unexpected, audit.differing) == (1, 1, 1)
    found = {(f.kind, f.key): f for f in audits.audit_findings(audit=audit)}
    assert set(found) == {("missing", "srv-gone"), ("unexpected", "srv-new"), ("differing", "srv-moved")}
    assert found[("differing", "srv-moved")].differences == {"位置": ["A 机房", "B 机房"], "CPU 核数": [8, "16"]}
    assert found[("unexpected", "srv-new")].row == 4
    assert AuditEntry.objects.filter(action="cmdb.audit_run").count() == 1


def test_only_the_contracts_editors_audit_and_bad_files_change_nothing(world, recorded):
    with pytest.raises(ValidationError):
        audits.configuration_audit_run(by=world.agent, contract=world.contract_a, upload=inventory([]))
    outsider = grant(UserFactory(username="eng_b"), "engineer", world.contract_b)
    with pytest.raises(NotFound):
        audits.configuration_audit_run(by=outsider, contract=world.contract_a, upload=inventory([]))
    with pytest.raises(ValidationError) as err:
        audits.configuration_audit_run(by=world.engineer, contract=world.contract_a,
                                       upload=inventory([("x",)], header=("名称",)))
    assert "file" in err.value.fields
    assert ConfigurationAudit.objects.count() == 0 and AuditFinding.objects.count() == 0


def test_audits_over_the_api_and_pages(world, api, login, recorded):
    data = inventory([("srv-same", "server", "srv-same", "A 机房", 8)])
    response = api(world.engineer).upload("/cmdb/audits", {"file": ("inventory.xlsx", data)},
                                          {"contract": "TAX-2026"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["matched"] == 1 and {f["key"] for f in body["findings"]} == {"srv-moved", "srv-gone"}
    missing = api(world.engineer).get(f"/cmdb/audits/{body['id']}", {"kind": "missing"}).json()
    assert [f["key"] for f in missing["findings"]] == ["srv-gone", "srv-moved"]
    outsider = grant(UserFactory(username="eng_b"), "engineer", world.contract_b)
    assert api(outsider).get(f"/cmdb/audits/{body['id']}").status_code == 404
    page = login(world.engineer)
    html = page.get(f"/cmdb/audits/{body['id']}/?kind=missing").content.decode()
    assert 'data-key="srv-gone"' in html and 'data-key="srv-same"' not in html
    sheet = load_workbook(io.BytesIO(page.get(f"/cmdb/audits/{body['id']}/?format=xlsx").content)).worksheets[0]
    assert sheet.max_row == 3  # header and the two findings
    assert login(outsider).get(f"/cmdb/audits/{body['id']}/").status_code == 404
    form = {"contract": "TAX-2026", "file": io.BytesIO(data), "note": ""}
    form["file"].name = "inventory.xlsx"
    created = page.post("/cmdb/audits/", form)
    assert created.status_code == 302 and ConfigurationAudit.objects.count() == 2


def test_the_status_report_counts_items_by_type_status_and_importance(world, api, login, ci, relate):
    a = ci("srv-01", importance=1, owner=world.engineer)
    b = ci("srv-02", status="maintenance")
    ci("db-01", "database", attributes={}, importance=1)
    relate(a, "connects_to", b)
    services.item_update(by=world.engineer, item=b, data={"location": "B 机房"}, version=b.version)
    report = api(world.engineer).get("/cmdb/reports/status", {"contract": "TAX-2026"}).json()
    assert report["total"] == 3 and report["relationships"] == 1 and report["without_owner"] == 2
    assert report["by_importance"] == {"1": 2, "2": 0, "3": 1, "4": 0}
    lines = {line["code"]: line for line in report["by_type"]}
    assert lines["server"]["by_status"]["active"] == 1 and lines["server"]["by_status"]["maintenance"] == 1
    assert lines["database"]["total"] == 1 and report["changed_30_days"] == 3
    assert api(world.requester_a).get("/cmdb/reports/status", {"contract": "TAX-2026"}).status_code == 404
    html = login(world.engineer).get("/cmdb/status/?contract=TAX-2026").content.decode()
    assert '<td data-status="maintenance">1</td>' in html
    xlsx = login(world.engineer).get("/cmdb/status/?contract=TAX-2026&format=xlsx")
    rows = list(load_workbook(io.BytesIO(xlsx.content)).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 3 and rows[0][-1] == "合计"


def test_types_evolve_without_invalidating_items(world, api, login, ci):
    from opsdesk.cmdb.models import CIType

    admin = grant(UserFactory(username="sysadmin"), "system_admin", world.contract_a)
    page = login(admin)
    created = page.post("/cmdb/types/", {"code": "ups", "name": "UPS", "description": "",
                                         "attributes": "capacity | 容量 (kVA) | integer | yes\n"
                                                       "brand | 品牌 | choice | | 山特, APC"})
    assert created.status_code == 302
    ups = CIType.objects.get(code="ups")
    assert [a["name"] for a in ups.attributes] == ["capacity", "brand"] and ups.attributes[0]["required"] is True
    bad = page.post("/cmdb/types/", {"code": "x", "name": "X", "attributes": "a | A | colour"})
    assert bad.status_code == 422 and "第 1 行" in bad.content.decode()
    ci("ups-01", "ups", attributes={"capacity": 20, "brand": "APC"})
    engineer_api = api(world.engineer)
    assert engineer_api.patch("/cmdb/types/ups", {"name": "不间断电源"}).status_code == 403
    admin_api = api(admin)
    keep = [{"name": "capacity", "label": "容量", "kind": "integer", "required": True},
            {"name": "brand", "label": "品牌", "kind": "choice", "choices": ["山特", "APC", "华为"]}]
    for attributes, field in (
            (keep[:1], "attributes"),                                                  # dropped
            ([{**keep[0], "kind": "text"}, keep[1]], "attributes.0.kind"),             # kind changed
            ([keep[0], {**keep[1], "choices": ["华为"]}], "attributes.1.choices"),      # options removed
            ([*keep, {"name": "phase", "label": "相数", "kind": "integer", "required": True}],
             "attributes.2.required")):                                                # required on used type
        response = admin_api.patch("/cmdb/types/ups", {"attributes": attributes})
        assert response.status_code == 422 and field in response.json()["error"]["fields"], attributes
    ups.refresh_from_db()
    assert len(ups.attributes) == 2 and ups.attributes[1]["choices"] == ["山特", "APC"]
    grown = admin_api.patch("/cmdb/types/ups", {"name": "不间断电源", "attributes": [
        *keep, {"name": "phase", "label": "相数", "kind": "integer"}]})
    assert grown.status_code == 200 and grown.json()["name"] == "不间断电源"
    assert AuditEntry.objects.filter(action="cmdb.type_update").count() == 1
    assert login(world.engineer).get("/cmdb/types/ups/").status_code == 403
    assert 'data-type="ups"' in login(world.engineer).get("/cmdb/types/").content.decode()

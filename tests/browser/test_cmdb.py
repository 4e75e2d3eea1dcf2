"""The CMDB journey of issue 7 in Debian's Chromium: an engineer imports a small workbook (dry run, then for
real), opens a server's page, sees its relationship graph drawn and its impact list."""

from __future__ import annotations

import importlib
import io

import pytest
from openpyxl import Workbook
from playwright.sync_api import Page, expect

from opsdesk.cmdb.models import ConfigurationItem

from .pages import LoginPage

pytestmark = pytest.mark.browser


def _workbook(path) -> None:
    wb = Workbook()
    items = wb.active
    items.title = "配置项"
    items.append(["服务合同", "类型", "标识", "名称", "重要程度", "主机名", "IP 地址"])
    items.append(["TAX-2026", "business_system", "sys-tax", "金税三期", 1, None, None])
    items.append(["TAX-2026", "business_system", "sys-etax", "电子税务局", 1, None, None])
    items.append(["TAX-2026", "virtual_machine", "vm-tax-app", "金税应用虚拟机", 2, "vm-tax-app", "10.1.1.21"])
    items.append(["TAX-2026", "server", "esx-01", "虚拟化主机 01", 2, "esx-01", "10.1.1.2"])
    items.append(["TAX-2026", "room", "room-a", "A 机房", 1, None, None])
    relations = wb.create_sheet("关系")
    relations.append(["服务合同", "源 (标识)", "关系类型", "目标 (标识)"])
    relations.append(["TAX-2026", "sys-tax", "runs_on", "vm-tax-app"])
    relations.append(["TAX-2026", "sys-etax", "depends_on", "sys-tax"])
    relations.append(["TAX-2026", "vm-tax-app", "runs_on", "esx-01"])
    relations.append(["TAX-2026", "room-a", "contains", "esx-01"])
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(buffer.getvalue())


class ImportPage:
    def __init__(self, page: Page, base_url: str) -> None:
        self.page, self.base_url = page, base_url

    def upload(self, path, *, dry_run: bool) -> None:
        self.page.goto(f"{self.base_url}/cmdb/import/")
        self.page.set_input_files("input[name=file]", str(path))
        box = self.page.locator("input[name=dry_run]")
        box.check() if dry_run else box.uncheck()
        self.page.locator(".import-form button[type=submit]").click()
        self.page.wait_for_load_state("load")

    def report(self):
        return self.page.locator(".import-report")


class ItemPage:
    def __init__(self, page: Page, base_url: str) -> None:
        self.page, self.base_url = page, base_url

    def open_from_list(self, key: str) -> None:
        self.page.goto(f"{self.base_url}/cmdb/")
        self.page.locator(f"tr[data-key='{key}'] a").click()

    def graph(self):
        return self.page.locator("#item-graph")

    def impact_keys(self):
        return self.page.locator("#impact .impact-item")


@pytest.fixture
def item_types(transactional_db):
    """The item types of migration cmdb.0002: a transactional test before this one may have flushed them."""
    from django.apps import apps

    importlib.import_module("opsdesk.cmdb.migrations.0002_default_types").forwards(apps, None)


def test_import_a_workbook_then_see_a_servers_graph_and_impact(item_types, world, live_server, new_page, tmp_path):
    path = tmp_path / "cmdb.xlsx"
    _workbook(path)
    page = new_page()
    LoginPage(page, live_server.url).login(world.engineer.username)

    importer = ImportPage(page, live_server.url)
    importer.upload(path, dry_run=True)
    expect(importer.report()).to_have_attribute("data-ok", "true")
    expect(importer.report()).to_have_attribute("data-written", "false")
    assert ConfigurationItem.objects.count() == 0
    importer.upload(path, dry_run=False)
    expect(importer.report()).to_have_attribute("data-written", "true")
    expect(importer.report().locator(".created-count[data-sheet='配置项']")).to_have_text("5")

    server = ItemPage(page, live_server.url)
    server.open_from_list("esx-01")
    expect(page.locator(".item-key")).to_have_text("esx-01")
    expect(server.graph()).to_have_attribute("data-ready", "drawn")
    expect(server.graph()).to_have_attribute("data-nodes", "4")  # two relationships out, either way: not sys-etax
    expect(server.graph().locator("canvas")).to_have_count(1)
    # downstream, 3 levels: the VM, then the tax system, then the e-tax bureau that depends on it
    expect(page.locator("#impact .impact-level[data-level='1'] .impact-item")).to_have_attribute("data-key",
                                                                                                 "vm-tax-app")
    expect(page.locator("#impact .impact-level[data-level='3'] .impact-item")).to_have_attribute("data-key",
                                                                                                 "sys-etax")
    expect(page.locator(".business-systems a")).to_have_count(2)
    # one level only (htmx swaps the list in place)
    page.select_option("#impact-depth", "1")
    expect(page.locator("#impact .impact-level")).to_have_count(1)

"""Demo CMDB of the tax bureau's contract, loaded through the real Excel import (a workbook built in memory):
machine rooms, core switches, hosts, virtual machines, databases, middleware and the business systems on top,
with their relationships; a few open incidents link the items they affect; one audit against an inventory that
lacks a server and finds a printer nobody recorded."""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING

from openpyxl import Workbook

from opsdesk.cmdb import audits, imports, selectors
from opsdesk.cmdb.services import affected_item_link
from opsdesk.incidents.choices import OPEN_STATUSES
from opsdesk.incidents.models import Incident

if TYPE_CHECKING:
    from opsdesk.demo import SimulatedClock, World

CONTRACT = "TAX-2026"
HEADER = ["服务合同", "类型", "标识", "名称", "重要程度", "位置", "主机名", "IP 地址", "CPU 核数", "vCPU", "内存 (GB)",
          "操作系统", "数据库类型", "版本", "端口", "产品", "角色", "系统编号", "用户数"]
# (type, key, name, importance, location, {attribute header: value})
ITEMS = [
    ("room", "room-a", "主机房 A（三楼）", 1, "税务局大楼 3F", {}),
    ("room", "room-dr", "灾备机房（开发区）", 2, "开发区数据中心", {}),
    ("network_device", "sw-core-01", "核心交换机 01", 1, "主机房 A", {"角色": "核心"}),
    ("network_device", "sw-core-02", "核心交换机 02", 1, "主机房 A", {"角色": "核心"}),
    ("network_device", "fw-01", "边界防火墙", 1, "主机房 A", {"角色": "防火墙"}),
    ("server", "esx-01", "虚拟化主机 01", 2, "主机房 A 3 排 2 柜", {"主机名": "esx-01", "IP 地址": "10.12.1.11",
                                                                 "CPU 核数": 64, "内存 (GB)": 512}),
    ("server", "esx-02", "虚拟化主机 02", 2, "主机房 A 3 排 3 柜", {"主机名": "esx-02", "IP 地址": "10.12.1.12",
                                                                 "CPU 核数": 64, "内存 (GB)": 512}),
    ("server", "db-host-01", "数据库服务器 01", 1, "主机房 A 4 排 1 柜",
     {"主机名": "db-host-01", "IP 地址": "10.12.2.21", "CPU 核数": 96, "内存 (GB)": 1024, "操作系统": "麒麟 V10"}),
    ("server", "bak-01", "备份服务器", 3, "灾备机房", {"主机名": "bak-01", "IP 地址": "10.30.1.5", "CPU 核数": 32}),
    ("virtual_machine", "vm-tax-app-01", "金税应用服务器 01", 1, "", {"主机名": "vm-tax-app-01", "vCPU": 16,
                                                                     "内存 (GB)": 64, "IP 地址": "10.12.10.31"}),
    ("virtual_machine", "vm-tax-app-02", "金税应用服务器 02", 1, "", {"主机名": "vm-tax-app-02", "vCPU": 16,
                                                                     "内存 (GB)": 64, "IP 地址": "10.12.10.32"}),
    ("virtual_machine", "vm-etax-web", "电子税务局 Web", 1, "", {"主机名": "vm-etax-web", "vCPU": 8, "内存 (GB)": 32}),
    ("virtual_machine", "vm-oa", "OA 应用服务器", 3, "", {"主机名": "vm-oa", "vCPU": 4, "内存 (GB)": 16}),
    ("virtual_machine", "vm-portal", "门户网站服务器", 3, "", {"主机名": "vm-portal", "vCPU": 4, "内存 (GB)": 8}),
    ("database", "db-tax", "金税核心库（达梦）", 1, "", {"数据库类型": "达梦 DM8", "版本": "8.1", "端口": 5236}),
    ("database", "db-oa", "OA 库", 3, "", {"数据库类型": "MySQL", "版本": "8.0", "端口": 3306}),
    ("middleware", "mw-tongweb", "东方通 TongWeb", 2, "", {"产品": "TongWeb", "版本": "7.0", "端口": 8080}),
    ("business_system", "sys-jinshui", "金税三期", 1, "", {"系统编号": "JS3", "用户数": 1200}),
    ("business_system", "sys-etax", "电子税务局", 1, "", {"系统编号": "ETAX", "用户数": 50000}),
    ("business_system", "sys-oa", "办公 OA", 3, "", {"系统编号": "OA", "用户数": 800}),
    ("business_system", "sys-portal", "门户网站", 4, "", {"系统编号": "WEB", "用户数": 0}),
]
RELATIONS = [
    ("room-a", "contains", "esx-01"), ("room-a", "contains", "esx-02"), ("room-a", "contains", "db-host-01"),
    ("room-a", "contains", "sw-core-01"), ("room-a", "contains", "sw-core-02"), ("room-a", "contains", "fw-01"),
    ("room-dr", "contains", "bak-01"),
    ("esx-01", "connects_to", "sw-core-01"), ("esx-02", "connects_to", "sw-core-02"),
    ("db-host-01", "connects_to", "sw-core-01"), ("sw-core-01", "connects_to", "fw-01"),
    ("vm-tax-app-01", "runs_on", "esx-01"), ("vm-tax-app-02", "runs_on", "esx-02"),
    ("vm-etax-web", "runs_on", "esx-02"),
    ("vm-oa", "runs_on", "esx-01"), ("vm-portal", "runs_on", "esx-02"),
    ("db-tax", "runs_on", "db-host-01"), ("db-oa", "runs_on", "vm-oa"), ("db-tax", "backed_up_by", "bak-01"),
    ("mw-tongweb", "runs_on", "vm-tax-app-01"),
    ("sys-jinshui", "runs_on", "vm-tax-app-01"), ("sys-jinshui", "runs_on", "vm-tax-app-02"),
    ("sys-jinshui", "depends_on", "db-tax"), ("sys-jinshui", "depends_on", "mw-tongweb"),
    ("sys-etax", "runs_on", "vm-etax-web"), ("sys-etax", "depends_on", "sys-jinshui"),
    ("sys-oa", "runs_on", "vm-oa"), ("sys-oa", "depends_on", "db-oa"), ("sys-portal", "runs_on", "vm-portal"),
]
# Open incidents whose title mentions one of these words affect that item; the others one of FALLBACK in turn.
LINKS = {"金税": "sys-jinshui", "开票": "sys-jinshui", "电子税务局": "sys-etax", "OA": "sys-oa", "网络": "sw-core-01",
         "数据库": "db-tax", "VPN": "fw-01"}
FALLBACK = ["sys-jinshui", "vm-oa", "sys-etax"]
LINKED = 6  # open incidents that get an affected item


def _workbook(rows: list[list[object]], relations: list[tuple[str, str, str]] | None) -> bytes:
    wb = Workbook()
    items = wb.active
    items.title = "配置项"
    items.append(HEADER)
    for row in rows:
        items.append(row)
    if relations is not None:
        sheet = wb.create_sheet("关系")
        sheet.append(["服务合同", "源 (标识)", "关系类型", "目标 (标识)"])
        for source, kind, target in relations:
            sheet.append([CONTRACT, source, kind, target])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _rows() -> list[list[object]]:
    rows = []
    for code, key, name, importance, location, attrs in ITEMS:
        rows.append([CONTRACT, code, key, name, importance, location,
                     *(attrs.get(header) for header in HEADER[6:])])
    return rows


def build_cmdb(world: World, clock: SimulatedClock, now: dt.datetime) -> None:
    """The tax bureau's CMDB through the import, incident links, and one audit."""
    crew = world.contracts.get(CONTRACT)
    if crew is None or not crew.engineers:
        return
    engineer = crew.engineers[0]
    clock.set(now - dt.timedelta(days=20))
    report = imports.cmdb_import(by=engineer, upload=_workbook(_rows(), RELATIONS), dry_run=False)
    if not report.written:
        raise RuntimeError(f"demo CMDB import failed: {report.errors[:3]}")
    linker = crew.agents[0] if crew.agents else engineer
    open_incidents = Incident.objects.filter(contract=crew.contract, status__in=OPEN_STATUSES).order_by("-id")
    for n, incident in enumerate(open_incidents[:LINKED]):
        key = next((k for word, k in LINKS.items() if word in incident.title), FALLBACK[n % len(FALLBACK)])
        item = selectors.item_by_key(contract_id=crew.contract.pk, key=key, visible_to=linker)
        # linked soon after it was logged (never before, never in the future)
        clock.set(min(now, max(now - dt.timedelta(hours=8), incident.created_at + dt.timedelta(minutes=10))))
        affected_item_link(by=linker, ticket=incident, item=item)
    # The monthly audit: the inventory lacks the backup server (sent for repair) and finds a printer server.
    clock.set(now - dt.timedelta(hours=3))
    inventory = [row for row in _rows() if row[2] != "bak-01"]
    inventory.append([CONTRACT, "server", "prt-srv-01", "打印服务器（未登记）", 4, "主机房 A 5 排", "prt-srv-01",
                      *([None] * (len(HEADER) - 7))])
    moved = next(row for row in inventory if row[2] == "esx-02")
    moved[5] = "主机房 A 6 排 1 柜"
    audits.configuration_audit_run(by=engineer, contract=crew.contract, upload=_workbook(inventory, None),
                                   note="十二月例行盘点")

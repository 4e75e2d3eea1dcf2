"""Demo asset register of the social-insurance contract (SI-2026), through the services: about twenty assets
(computers, printers, servers, network gear, software licences, information assets), and every procedure left
at telling points — acquisitions and take-outs waiting for each approver, a repair waiting for the client's
approval of an expensive part with two authorised quotes, an overdue send-out repair, scraps waiting for the
project manager and for the division leader — and this month's asset check, half done. History is written on
the simulated clock over the last weeks before "now".
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from opsdesk.accounts.models import Department, User
from opsdesk.assets import services
from opsdesk.assets.models import Asset, AssetCheckLine, Procedure

if TYPE_CHECKING:
    from opsdesk.demo import SimulatedClock, World

CONTRACT = "SI-2026"
# (tag, name, category, model, department, importance, location, vendor, price, bought days ago, warranty years)
ASSETS: list[tuple[str, str, str, str, str, int, str, str, str, int, int]] = [
    ("SI-PC-001", "经办窗口台式机", "physical", "联想启天 M430", "经办大厅",
     3, "经办大厅 1 号窗口", "联想", "4299.00", 900, 3),
    ("SI-PC-002", "经办窗口台式机", "physical", "联想启天 M430", "经办大厅",
     3, "经办大厅 2 号窗口", "联想", "4299.00", 900, 3),
    ("SI-PC-003", "经办窗口台式机", "physical", "华为擎云 W515", "经办大厅",
     3, "经办大厅 3 号窗口", "华为", "5199.00", 200, 3),
    ("SI-PC-004", "科室办公台式机", "physical", "清华同方超翔 Z8000", "养老保险科",
     3, "二楼 205 室", "清华同方", "4580.00", 1300, 3),
    ("SI-NB-001", "笔记本电脑", "physical", "联想 ThinkPad E14", "信息科",
     3, "三楼 301 室", "联想", "5699.00", 400, 2),
    ("SI-NB-002", "笔记本电脑", "physical", "华为 MateBook D14", "综合科",
     3, "一楼 103 室", "华为", "4999.00", 120, 2),
    ("SI-PR-001", "激光打印机", "physical", "HP LaserJet Pro M404dn", "经办大厅",
     3, "经办大厅打印区", "惠普", "2380.00", 1500, 1),
    ("SI-PR-002", "票据打印机", "physical", "得实 DS-1930", "基金财务科",
     2, "二楼 210 室", "得实", "2650.00", 700, 2),
    ("SI-PR-003", "复印一体机", "physical", "佳能 iR-ADV C3520", "综合科",
     4, "一楼文印室", "佳能", "26800.00", 1800, 3),
    ("SI-SV-001", "核心经办数据库服务器", "physical", "浪潮 NF5280M6", "信息科",
     1, "机房 A-03 机柜", "浪潮", "86000.00", 600, 5),
    ("SI-SV-002", "应用服务器", "physical", "华为 2288H V5", "信息科",
     1, "机房 A-04 机柜", "华为", "52000.00", 1100, 3),
    ("SI-SV-003", "备份服务器", "physical", "新华三 R4900 G3", "信息科",
     2, "机房 B-01 机柜", "新华三", "48000.00", 1400, 3),
    ("SI-NW-001", "核心交换机", "physical", "华为 S7706", "信息科",
     1, "机房 A-01 机柜", "华为", "128000.00", 1000, 5),
    ("SI-NW-002", "经办大厅接入交换机", "physical", "新华三 S5130S-52S", "经办大厅",
     2, "经办大厅弱电间", "新华三", "6800.00", 800, 3),
    ("SI-UP-001", "机房 UPS", "physical", "山特 3C3 Pro 20K", "信息科",
     1, "机房配电间", "山特", "35000.00", 1600, 3),
    ("SI-SW-001", "Oracle 数据库授权", "software", "Oracle Database 19c EE（处理器许可）", "信息科",
     1, "机房", "甲骨文", "380000.00", 1000, 3),
    ("SI-SW-002", "WebLogic 中间件授权", "software", "WebLogic Server 14c", "信息科",
     1, "机房", "甲骨文", "120000.00", 1000, 3),
    ("SI-SW-003", "终端杀毒软件授权（100 点）", "software", "奇安信天擎 V10", "信息科",
     2, "", "奇安信", "18000.00", 300, 1),
    ("SI-IN-001", "参保人员基础信息库", "information", "Oracle 表空间 SI_CORE", "养老保险科",
     1, "机房 A-03", "", "", 0, 0),
    ("SI-IN-002", "医保结算数据备份磁带", "information", "LTO-8 磁带 12 盘", "医疗保险科",
     1, "档案室保险柜", "", "", 0, 0),
]


def build_assets(world: World, clock: SimulatedClock, now: dt.datetime) -> None:
    """The register of SI-2026 and its procedures at telling points; nothing if the contract is absent."""
    crew = world.contracts.get(CONTRACT)
    if crew is None:
        return
    contract = crew.contract
    u = world.users
    store, pm, secadmin = u["store"], crew.pm or u["pm"], u["secadmin"]
    engineer = crew.engineers[0] if crew.engineers else u["engineer2"]
    leader, owner, contact = u["si_leader"], u["si_owner"], u["si_contact"]
    staff: list[User] = world.requesters.get("si", [])
    departments = {d.name: d for d in Department.objects.filter(organisation_id=contract.organisation_id)}
    start = now - dt.timedelta(days=40)
    clock.set(start)
    today = timezone.localtime(now).date()

    assets: dict[str, Asset] = {}
    for i, (tag, name, category, model, dept, importance, location, vendor, price, age, years) in enumerate(ASSETS):
        bought = today - dt.timedelta(days=age) if age else None
        custodian = staff[i % len(staff)] if staff and category == "physical" and tag.startswith(("SI-PC", "SI-NB")) \
            else None
        assets[tag] = services.asset_create(
            by=store, contract=contract, asset_tag=tag, name=name, category=category, model=model,
            serial_number=f"SN{2026000 + i * 37}" if category == "physical" else "", department=departments.get(dept),
            custodian=custodian, importance=importance, location=location, vendor=vendor, purchase_date=bought,
            price=Decimal(price) if price else None,
            warranty_end=(bought.replace(year=bought.year + years) - dt.timedelta(days=1)) if bought and years
            else None,
            status="in_use")
        clock.advance(3, limit=now)

    def step(record: Procedure, action: str, by: Any, minutes: float = 90, **data: Any) -> Procedure:
        clock.advance(minutes, limit=now)
        return services.procedure_act(record=record, action=action, by=by, data=data)

    def at(days_ago: float) -> None:
        """Start a record's story `days_ago` before now (each record's own history runs forward)."""
        clock.set(now - dt.timedelta(days=days_ago))

    # --- acquisitions (申购) ---
    at(30)
    issued = services.acquisition_create(by=owner, contract=contract, item_name="经办窗口高拍仪", category="physical",
                                         specification="良田 S1800A3", reason="经办大厅新增 2 个窗口，需采集纸质材料",
                                         estimated_price="1680", department=departments.get("经办大厅"))
    step(issued, "approve", leader, 240)
    step(issued, "purchase", store, 60 * 24, vendor="京东企业购", price="1599.00",
         order_date=(today - dt.timedelta(days=28)).isoformat())
    step(issued, "issue", store, 60 * 48, asset_tag="SI-GP-001", serial_number="LT18A3-0099",
         department=str(departments["经办大厅"].pk) if "经办大厅" in departments else "",
         custodian=staff[0].username if staff else "", location="经办大厅 5 号窗口",
         warranty_end=(today + dt.timedelta(days=340)).isoformat())
    at(9)
    rejected = services.acquisition_create(by=engineer, contract=contract, item_name="机房精密空调",
                                           category="physical", specification="艾默生 P1020", reason="机房温度夏季偏高",
                                           estimated_price="98000")
    step(rejected, "reject", leader, 300, reason="纳入明年预算统一采购")
    at(5)
    to_buy = services.acquisition_create(by=contact, contract=contract, item_name="笔记本电脑", category="physical",
                                         specification="联想 ThinkPad E14 i5/16G/512G", reason="稽核外勤使用",
                                         estimated_price="5800", department=departments.get("综合科"))
    step(to_buy, "approve", leader, 200)
    at(1)
    services.acquisition_create(by=store, contract=contract, item_name="A4 激光打印机", category="physical",
                                specification="HP LaserJet Pro M404dn", reason="医疗保险科打印机老化，频繁卡纸",
                                estimated_price="2400", department=departments.get("医疗保险科"))

    # --- take-outs (外带): one at each approver, one overdue, one returned, one rejected ---
    at(20)
    returned = services.take_out_create(by=engineer, asset=assets["SI-NB-001"], reason="到省厅参加系统联调",
                                        destination="省人社厅信息中心", expected_return=today - dt.timedelta(days=16))
    for by in (store, secadmin, leader):
        step(returned, "approve", by, 45)
    step(returned, "hand_over", store, 30)
    step(returned, "return_asset", store, 60 * 24 * 3)
    at(10)
    overdue = services.take_out_create(by=staff[1] if len(staff) > 1 else contact, asset=assets["SI-NB-002"],
                                       reason="下乡开展社保政策宣传", destination="某县社保经办所",
                                       expected_return=today - dt.timedelta(days=3))
    for by in (store, secadmin, leader):
        step(overdue, "approve", by, 50)
    step(overdue, "hand_over", store, 20)
    at(6)
    refused = services.take_out_create(by=contact, asset=assets["SI-SV-003"], reason="带回厂商检测",
                                       destination="新华三杭州服务中心", expected_return=today + dt.timedelta(days=5))
    step(refused, "approve", store, 60)
    step(refused, "reject", secadmin, 90, reason="存有备份数据的设备不得外带，请厂商上门服务")
    at(2)
    services.take_out_create(by=staff[2] if len(staff) > 2 else contact, asset=assets["SI-PC-004"],
                             reason="科室搬迁临时放置", destination="某市社保中心新办公楼",
                             expected_return=today + dt.timedelta(days=7))
    waiting_security = services.take_out_create(by=engineer, asset=assets["SI-PR-002"], reason="返厂更换打印头",
                                                destination="得实售后服务站",
                                                expected_return=today + dt.timedelta(days=4))
    step(waiting_security, "approve", store, 40)
    waiting_leader = services.take_out_create(by=contact, asset=assets["SI-PC-003"], reason="年底结算加班，带回家办公",
                                              destination="经办人员住所", expected_return=today + dt.timedelta(days=3))
    step(waiting_leader, "approve", store, 30)
    step(waiting_leader, "approve", secadmin, 30)

    # --- repairs (维修) ---
    at(25)
    done = services.repair_create(by=engineer, asset=assets["SI-PC-004"], fault="开机蓝屏，自检提示内存错误")
    step(done, "price_part", engineer, 60, part="8GB DDR4 内存条", part_price="260.00")
    step(done, "start_repair", engineer, 30)
    step(done, "complete", engineer, 120, work_done="更换内存条，运行内存检测 2 小时无报错",
         replaced_part="金士顿 8GB DDR4 3200 内存条（新件）", no_second_hand=True)
    at(12)
    late = services.repair_create(by=engineer, asset=assets["SI-PR-001"], fault="定影组件异响，打印件发黑")
    step(late, "price_part", engineer, 60, part="定影组件", part_price="420.00")
    step(late, "send_out", engineer, 60, shop="惠普授权维修站（拱墅店）")  # due back in 7 days: now overdue
    at(8)
    in_warranty = services.repair_create(by=engineer, asset=assets["SI-SV-001"], fault="2 号电源模块告警")
    step(in_warranty, "forward_to_vendor", engineer, 40, vendor_reference="浪潮 400 报修单 IS-2026-11873")
    at(4)
    expensive = services.repair_create(by=engineer, asset=assets["SI-SV-002"], fault="RAID 卡告警，1 块硬盘离线")
    step(expensive, "price_part", engineer, 90, part="1.2TB SAS 硬盘", part_price="1380.00")
    step(expensive, "add_quote", engineer, 60 * 5, shop="华为授权服务中心（杭州）", amount="1380.00", authorised=True)
    step(expensive, "add_quote", engineer, 60 * 20, shop="神州数码授权服务站", amount="1450.00", authorised=True)
    step(expensive, "submit_quotes", engineer, 30)  # waits for the application owner / client contact
    at(1)
    services.repair_create(by=store, asset=assets["SI-NW-002"], fault="3 个端口指示灯不亮")

    # --- scraps (报废) ---
    at(18)
    scrapped = services.scrap_create(by=store, asset=assets["SI-PR-003"],
                                     reason="使用 5 年，主板与定影器均损坏，厂商已停产配件，维修费超过残值")
    step(scrapped, "approve", pm, 60 * 6)
    step(scrapped, "approve", leader, 60 * 20)
    at(7)
    kept = services.scrap_create(by=store, asset=assets["SI-UP-001"], reason="电池容量下降至 60%")
    step(kept, "reject", pm, 60 * 3, reason="更换电池组即可，继续使用")
    at(3)
    services.scrap_create(by=engineer, asset=assets["SI-PC-002"],
                          reason="主板电容鼓包，型号停产无配件，已超过使用年限")
    at(2)
    waiting_leader_scrap = services.scrap_create(by=store, asset=assets["SI-SV-003"],
                                                 reason="服务器已使用 4 年，背板故障，原厂报价超过新机价格 70%")
    step(waiting_leader_scrap, "approve", pm, 60 * 4)

    # --- this month's asset check, half done ---
    clock.set(now - dt.timedelta(hours=3))
    check = services.check_create(by=store, contract=contract, month=today)
    lines = list(AssetCheckLine.objects.filter(check_list=check).select_related("asset").order_by("id"))
    results: dict[int, tuple[str, str]] = {}
    for i, line in enumerate(lines[: len(lines) // 2]):
        if line.asset.asset_tag == "SI-NB-002":
            results[line.pk] = ("missing", "外带未归还，见外带单")
        elif i == 3:
            results[line.pk] = ("location_differs", "已移至三楼 302 室")
        else:
            results[line.pk] = ("ok", "")
    clock.advance(60, limit=now)
    services.check_record(by=store, check=check, results=results)

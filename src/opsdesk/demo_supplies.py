"""Demo spare parts and consumables, through the services: the desktop contract of the tax bureau and the
social-insurance contract each get a store room and an on-site cabinet, spare parts (hard disks, memory, power
supplies, switch modules …) received some months ago, issued since (several for incidents of the contract),
moved between the two places, written off and counted, so that a few parts are below their minimum and the
monthly stock reports have something in every column. Consumables (mice, keyboards, toner, ribbons, ink) are
issued to the client's departments and people; one keyboard is lent and overdue, another came back.

Every movement is written at its own instant on the simulated clock, in the past months, then the clock is
put back to "now"."""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from opsdesk.accounts.models import Contract, Department, User
from opsdesk.incidents.models import Incident
from opsdesk.supplies import consumable_services as consumables
from opsdesk.supplies import services as store
from opsdesk.supplies.models import Consumable, SparePart, StockLocation

if TYPE_CHECKING:
    from opsdesk.demo import SimulatedClock, World

# (code, name, model, brand, labels, unit, price, minimum, agreed level, supplier, received, issued over the months)
PARTS = [
    ("HDD-600", "硬盘 600GB SAS 10K", "ST600MM0009", "希捷", ["服务器", "存储"], "块", "1280.00", 3, 8,
     "杭州信达数码科技有限公司", 8, 7),
    ("SSD-480", "固态硬盘 480GB SATA", "MZ7L3480", "三星", ["服务器"], "块", "760.00", 2, 6,
     "杭州信达数码科技有限公司", 6, 2),
    ("MEM-16G", "内存条 16GB DDR4 3200", "KSM32RD8/16", "金士顿", ["服务器", "台式机"], "条", "420.00", 4, 10,
     "浙江华通计算机有限公司", 10, 8),
    ("PSU-550", "服务器电源模块 550W", "DPS-550AB", "台达", ["服务器"], "个", "980.00", 2, 4,
     "浙江华通计算机有限公司", 4, 1),
    ("SFP-10G", "交换机光模块 SFP+ 10G 多模", "SFP-10G-SR", "华为", ["网络"], "个", "350.00", 4, 12,
     "某市网联通信设备有限公司", 12, 9),
    ("SW-MOD24", "交换机 24 口千兆电口业务板", "LSW-24GT", "华三", ["网络"], "块", "5600.00", 1, 2,
     "某市网联通信设备有限公司", 2, 0),
    ("FAN-2U", "服务器风扇模块", "FAN-2U-80", "浪潮", ["服务器"], "个", "260.00", 2, 6,
     "浙江华通计算机有限公司", 6, 2),
    ("PSU-PC", "台式机电源 300W", "PS-5301", "联想", ["台式机"], "个", "185.00", 3, 8,
     "杭州信达数码科技有限公司", 8, 6),
]

# (code, name, model, brand, unit, price, supplier, minimum, received)
CONSUMABLES = [
    ("MOUSE-USB", "USB 光电鼠标", "M120", "罗技", "个", "39.00", "某市文源办公用品有限公司", 10, 60),
    ("KB-USB", "USB 有线键盘", "K120", "罗技", "个", "69.00", "某市文源办公用品有限公司", 5, 30),
    ("TONER-88A", "硒鼓（黑色）", "CC388A", "惠普", "个", "420.00", "某市文源办公用品有限公司", 6, 24),
    ("DRUM-2350", "硒鼓鼓架", "DR-2350", "兄弟", "个", "380.00", "某市文源办公用品有限公司", 2, 8),
    ("RIBBON-630", "针式打印机色带", "LQ-630K 色带架", "爱普生", "根", "28.00", "某市文源办公用品有限公司", 10, 80),
    ("INK-845", "墨盒（黑色）", "PG-845", "佳能", "个", "95.00", "某市文源办公用品有限公司", 4, 20),
]

STORES = {
    "TAX-DESK-2026": [("WH-HQ", "市局信息中心备件库", "store_room"),
                      ("SITE-FJ1", "第一税务分局现场备件柜", "site")],
    "SI-2026": [("WH-SI", "社保中心机房备件库", "store_room"), ("SITE-HALL", "经办大厅备件柜", "site")],
}
RESTOCKED = ("SSD-480", "PSU-550", "FAN-2U")
# why a part of each kind is issued for an incident
ISSUE_REASONS = {"HDD-600": "服务器硬盘告警，更换故障盘", "SSD-480": "固态硬盘寿命告警，更换",
                 "MEM-16G": "内存报 ECC 错误，更换内存条", "PSU-550": "电源模块故障灯亮，更换",
                 "SFP-10G": "光模块收光异常，更换", "SW-MOD24": "业务板端口故障，更换",
                 "FAN-2U": "风扇转速异常告警，更换", "PSU-PC": "终端无法开机，更换电源"}


def build_supplies(world: World, clock: SimulatedClock, now: dt.datetime) -> None:
    """Two stores with parts, movements over the last months and consumables issued and lent."""
    rng = random.Random(20261206)
    keeper = world.users["store"]
    for code, places in STORES.items():
        crew = world.contracts.get(code)
        if crew is None:
            continue
        contract = crew.contract
        clock.set(now - dt.timedelta(days=120))
        locations = [store.location_create(by=keeper, contract=contract, code=c, name=n, kind=k) for c, n, k in places]
        engineers = crew.engineers or [keeper]
        incidents = list(Incident.objects.filter(contract=contract).order_by("created_at")
                         .only("pk", "number", "created_at"))
        departments = list(Department.objects.filter(organisation_id=contract.organisation_id).order_by("name"))
        people = [u for u in User.objects.filter(organisation_id=contract.organisation_id, department__isnull=False)
                  .order_by("username")[:30]]
        parts = PARTS if code == "TAX-DESK-2026" else PARTS[:5]
        for spec in parts:
            _part(spec, contract=contract, keeper=keeper, engineers=engineers, locations=locations,
                  incidents=incidents, clock=clock, now=now, rng=rng)
        _consumables(contract=contract, keeper=keeper, engineers=engineers, departments=departments, people=people,
                     clock=clock, now=now, rng=rng, lend=code == "TAX-DESK-2026")
    clock.set(now)


def _at(clock: SimulatedClock, now: dt.datetime, days_ago: float, rng: random.Random) -> None:
    """The clock to a working hour `days_ago` days before now (never after now)."""
    moment = now - dt.timedelta(days=days_ago)
    local = moment.astimezone(dt.timezone(dt.timedelta(hours=8)))
    local = local.replace(hour=rng.randint(9, 16), minute=rng.randint(0, 59), second=0, microsecond=0)
    clock.set(min(local.astimezone(dt.UTC), now - dt.timedelta(minutes=5)))


def _part(spec: tuple[Any, ...], *, contract: Contract, keeper: User, engineers: list[User],
          locations: list[StockLocation],
          incidents: list[Incident], clock: SimulatedClock, now: dt.datetime, rng: random.Random) -> None:
    code, name, model, brand, labels, unit, price, minimum, agreed, supplier, received, issued = spec
    main, site = locations
    _at(clock, now, 118, rng)
    part: SparePart = store.part_create(by=keeper, contract=contract, code=code, name=name, model=model, brand=brand,
                                        labels=labels, unit=unit, unit_price=price, min_stock=minimum,
                                        agreed_stock=agreed, supplier=supplier)
    _at(clock, now, 115, rng)
    store.part_receive(by=keeper, part=part, location=main, quantity=received, reason="年度备件采购入库")
    on_site = min(2, received - issued) if received - issued > 0 else 0
    if on_site:
        _at(clock, now, 100, rng)
        store.part_transfer(by=keeper, part=part, location=main, to_location=site, quantity=on_site,
                            reason="现场备件柜按约定补齐")
    # issues spread over the months since, half of them for an incident that existed by then
    for i in range(issued):
        days_ago = 95 - i * (90 / max(issued, 1)) - rng.random() * 3
        _at(clock, now, days_ago, rng)
        source = site if on_site and i % 3 == 0 and _stock_at(part, site) else main
        if not _stock_at(part, source):
            continue
        earlier = [inc for inc in incidents if inc.created_at <= clock.at]
        if earlier and i % 2 == 0:
            ticket = rng.choice(earlier[-40:]).number
            store.part_issue(by=rng.choice(engineers), part=part, location=source, quantity=1,
                             reason=ISSUE_REASONS[code], ticket=ticket)
        else:
            store.part_issue(by=keeper, part=part, location=source, quantity=1, reason="领用备机，更换故障件")
    if code in RESTOCKED:
        _at(clock, now, 58, rng)
        store.part_receive(by=keeper, part=part, location=main, quantity=2, reason="月度补货至约定库存")
    if code == "SFP-10G":
        _at(clock, now, 40, rng)
        store.part_write_off(by=keeper, part=part, location=main, quantity=1, reason="光模块跌落损坏，无法使用")
    if code == "MEM-16G" and _stock_at(part, main):
        _at(clock, now, 31, rng)
        store.part_adjust(by=keeper, part=part, location=main, counted=_stock_at(part, main) - 1,
                          reason="月末盘点少 1 条，已查明为借用未登记")


def _stock_at(part: SparePart, location: StockLocation) -> int:
    return int(part.stocks.filter(location=location).values_list("quantity", flat=True).first() or 0)


def _consumables(*, contract: Contract, keeper: User, engineers: list[User], departments: list[Department],
                 people: list[User], clock: SimulatedClock, now: dt.datetime, rng: random.Random, lend: bool) -> None:
    made: list[Consumable] = []
    for code, name, model, brand, unit, price, supplier, minimum, received in CONSUMABLES:
        _at(clock, now, 110, rng)
        item = consumables.consumable_create(by=keeper, contract=contract, code=code, name=name, model=model,
                                             brand=brand, unit=unit, unit_price=price, supplier=supplier,
                                             min_stock=minimum)
        consumables.consumable_receive(by=keeper, consumable=item, quantity=received, reason="季度耗材采购")
        made.append(item)
    if not departments:
        return
    for i in range(45):
        item = rng.choice(made)
        item.refresh_from_db(fields=["quantity"])
        if item.quantity < 1:
            continue
        _at(clock, now, 100 - i * 2.1, rng)
        person = rng.choice(people) if people and rng.random() < 0.7 else None
        department = person.department if person is not None and person.department else rng.choice(departments)
        consumables.consumable_issue(by=rng.choice([keeper, *engineers]), consumable=item,
                                     quantity=min(rng.choice([1, 1, 1, 2, 3]), item.quantity),
                                     department=department, person=person,
                                     person_name="" if person else rng.choice(["办公室公用", "窗口 3 号", "值班室"]),
                                     reason="打印机更换耗材" if "硒鼓" in item.name or "墨" in item.name else "")
    if lend:
        keyboard = next(c for c in made if c.code == "KB-USB")
        borrower = people[0] if people else None
        _at(clock, now, 20, rng)
        consumables.loan_create(by=keeper, consumable=keyboard, quantity=2, department=departments[0],
                                person=borrower, person_name="" if borrower else "临时借用",
                                due_on=clock.at.date() + dt.timedelta(days=7), notes="培训教室临时使用")
        _at(clock, now, 12, rng)
        back = consumables.loan_create(by=keeper, consumable=keyboard, quantity=1, department=departments[-1],
                                       person_name="会议室", due_on=clock.at.date() + dt.timedelta(days=3),
                                       notes="视频会议临时使用")
        _at(clock, now, 10, rng)
        consumables.loan_return(by=keeper, loan=back)

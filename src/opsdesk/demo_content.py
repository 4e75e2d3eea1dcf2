"""The Chinese text behind the demo data and the benchmark generator: organisations, people, categories and
incident templates written the way service-desk agents of a government O&M contract actually write them.

Templates carry `{placeholders}` filled by `fill()`; the same corpus feeds `opsdesk demo` (through the
services) and `bench/generate.py` (bulk inserts), so both look alike.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field

CONTRACTOR = {
    "code": "huaxin",
    "name": "华信智维信息技术有限公司",
    "phone": "0571-86001234",
    "address": "某市高新区文三路 388 号华信大厦 6 层",
}

VENDOR = {
    "code": "vendor-srv",
    "name": "某服务器原厂技术服务中心",
    "phone": "400-810-0000",
    "address": "某市滨江区江南大道 1000 号",
}

# key: organisation and contracts. `close_on_confirmation` False means the project manager closes after review.
CLIENTS = [
    {
        "key": "tax",
        "code": "city-tax",
        "name": "某市税务局",
        "phone": "0571-87654321",
        "address": "某市上城区解放路 18 号",
        "departments": ["办公室", "征管和科技发展科", "纳税服务科", "第一税务分局", "第二税务分局", "信息中心",
                        "财务管理科", "稽查局"],
        "contracts": [
            {
                "code": "TAX-2026",
                "sla": ("silver", "vendor"),  # SLA tier and default table (sla.defaults)
                "name": "某市税务局 2026 年度信息系统运维服务",
                "close_on_confirmation": True,
                "scope": (
                    "一、服务范围：市局及所属 6 个区县局、12 个办税服务厅的金税三期核心征管系统、电子税务局、"
                    "增值税发票管理系统、个人所得税扣缴客户端的应用运维，以及机房服务器、存储、网络设备的日常运维。\n"
                    "二、服务方式：驻场服务 5×8 小时（工作日 8:30-17:30），7×24 小时热线电话 0571-86001234；"
                    "征期（每月 1-15 日）增派 2 名驻场工程师。\n"
                    "三、服务要求：一、二级故障 30 分钟内高级工程师响应，4 小时内恢复业务；三、四级故障半个工作日内"
                    "给出解决方案；故障解决后 24 小时内提交故障报告。\n"
                    "四、不在服务范围：个人电子设备、非税务业务软件的安装与维修、办公家具及电话线路。"
                ),
            },
            {
                "code": "TAX-DESK-2026",
                "sla": ("standard", "desktop"),  # SLA tier and default table (sla.defaults)
                "name": "某市税务局 2026 年度桌面终端运维服务",
                "close_on_confirmation": True,
                "scope": (
                    "服务范围：全局约 1,200 台台式计算机、笔记本电脑、打印机、扫描仪、高拍仪及叫号机等终端设备的"
                    "安装、维护、故障处理和耗材更换；操作系统、办公软件、防病毒软件的安装与升级。\n"
                    "服务方式：5×8 小时现场服务，每个请求 15 分钟内响应、2 小时内解决，工作时间外热线值守。\n"
                    "每年两次桌面巡检（每次 30 天，结束后 2 个工作日内提交巡检报告）。"
                ),
            },
        ],
    },
    {
        "key": "psb",
        "code": "city-psb",
        "name": "某市公安局",
        "phone": "0571-87280110",
        "address": "某市西湖区曙光路 120 号",
        "departments": ["指挥中心", "科技信息化科", "刑侦支队", "治安支队", "交警支队", "出入境管理科", "户政科"],
        "contracts": [
            {
                "code": "PSB-2026",
                "sla": ("gold", "vendor"),  # SLA tier and default table (sla.defaults)
                "name": "某市公安局公安信息网及应用系统运维服务",
                "close_on_confirmation": False,
                "scope": (
                    "服务范围：公安信息网核心交换、汇聚及接入网络设备，边界接入平台，警务综合平台、人口信息管理系统、"
                    "执法办案系统及视频监控平台的运行维护和安全保障。\n"
                    "服务方式：7×24 小时值守，重大安保期间专人驻场；所有运维操作须经堡垒机并留存审计记录。\n"
                    "服务要求：系统瘫痪类故障 2 小时内到场、4 小时内恢复；故障单须经项目经理审核后关闭。\n"
                    "安全要求：运维人员须签署保密协议，严禁将公安信息网设备接入互联网。"
                ),
            },
        ],
    },
    {
        "key": "si",
        "code": "city-si",
        "name": "某市社会保险事业管理中心",
        "phone": "0571-12333",
        "address": "某市拱墅区湖墅南路 66 号",
        "departments": ["综合科", "养老保险科", "医疗保险科", "工伤保险科", "信息科", "基金财务科", "经办大厅"],
        "contracts": [
            {
                "code": "SI-2026",
                "sla": ("silver", "vendor"),  # SLA tier and default table (sla.defaults)
                "name": "某市社会保险事业管理中心 2026 年社保信息系统运维",
                "close_on_confirmation": True,
                "scope": (
                    "服务范围：社保核心经办系统、社保卡服务平台、网上经办大厅、医保结算接口及其数据库"
                    "（Oracle 19c RAC）、中间件（WebLogic）的应用运维和数据运维；经办大厅 60 个窗口终端的桌面运维。\n"
                    "服务方式：工作日驻场 2 人，7×24 小时电话支持；年底结算、基数调整等关键服务期增派人员。\n"
                    "数据维护：任何生产数据修改须经应用系统负责人书面审批，操作前备份、操作后核对。"
                ),
            },
        ],
    },
    {
        "key": "jn",
        "code": "jn-precision",
        "name": "江南精密机械股份有限公司",
        "phone": "0571-82223333",
        "address": "某市萧山经济技术开发区建设二路 555 号",
        "departments": ["总经办", "财务部", "采购部", "生产部", "质量部", "人力资源部", "信息部"],
        "contracts": [
            {
                "code": "JN-IT-2026",
                "sla": ("standard", "vendor"),  # SLA tier and default table (sla.defaults)
                "name": "江南精密 IT 外包运维服务（2026-2027）",
                "close_on_confirmation": False,
                "scope": (
                    "服务范围：总部及两个生产基地约 450 台终端、ERP（用友 U8）、MES、OA、企业邮箱、"
                    "机房虚拟化平台及厂区网络的运维。\n"
                    "服务方式：5×8 小时驻场 1 人，其余时间远程支持；生产线相关故障 7×24 小时响应。\n"
                    "计费：服务范围外的项目按人天另行报价。"
                ),
            },
        ],
    },
]

CATEGORIES: dict[str, list[str]] = {
    "硬件": ["台式计算机", "笔记本电脑", "打印机", "扫描仪/高拍仪", "服务器", "存储设备", "UPS 电源"],
    "软件": ["操作系统", "办公软件", "浏览器", "防病毒软件"],
    "应用系统": ["金税三期", "电子税务局", "发票管理系统", "警务综合平台", "视频监控平台", "社保核心经办系统",
                 "网上经办大厅", "ERP", "OA 办公系统", "邮件系统"],
    "网络": ["局域网", "VPN", "无线网络", "互联网出口", "专线"],
    "数据库": ["Oracle", "MySQL"],
    "安全": ["病毒木马", "账号与权限", "安全漏洞", "CA 数字证书"],
    "咨询": ["操作咨询", "业务咨询"],
}

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
            "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏建国俊峰斌婷雪琳晨阳宇浩然子轩梓涵欣怡"
         "志文海燕丹辉宁凯亮波晓东霖瑶彤嘉怡博文思远嘉豪紫萱诗涵一诺雨泽晓燕立新卫东永强建华春梅")

# Contractor staff of the demo: username, full name, roles per contract ("*" = every contract).
STAFF = [
    ("agent", "王晓燕", {"agent": "*"}),
    ("agent2", "刘佳怡", {"agent": ["TAX-2026", "TAX-DESK-2026", "SI-2026"]}),
    ("engineer", "李志强", {"engineer": ["TAX-2026", "TAX-DESK-2026"]}),
    ("engineer2", "赵俊峰", {"engineer": ["TAX-DESK-2026", "SI-2026"]}),
    ("engineer3", "孙浩然", {"engineer": ["PSB-2026", "JN-IT-2026"]}),
    ("dba", "陈立新", {"second_line": ["TAX-2026", "SI-2026", "JN-IT-2026"]}),
    ("netops", "周海涛", {"second_line": ["TAX-2026", "PSB-2026", "JN-IT-2026"]}),
    ("appops", "吴博文", {"second_line": ["TAX-2026", "SI-2026"]}),
    ("reviewer", "郑思远", {"reviewer": ["TAX-2026", "SI-2026"]}),
    ("pm", "黄建国", {"project_manager": "*"}),
    ("qa", "林诗涵", {"quality_manager": "*"}),
    ("emergency", "马卫东", {"emergency_lead": "*"}),
    ("store", "何春梅", {"store_keeper": ["TAX-DESK-2026", "SI-2026", "JN-IT-2026"]}),
    ("sysadmin", "高永强", {"system_admin": "*"}),
    ("secadmin", "罗雪琳", {"security_admin": "*"}),
    ("auditor", "梁立华", {"audit_admin": "*"}),
]
VENDOR_STAFF = [("vendor", "许明", {"vendor": ["TAX-2026", "PSB-2026"]})]

# Client-side people with a role beyond requester: (org key, username, full name, department, roles)
CLIENT_PEOPLE = [
    ("tax", "tax_contact", "张国栋", "信息中心", ["client_contact"]),
    ("tax", "tax_owner", "钱文斌", "征管和科技发展科", ["app_owner"]),
    ("tax", "tax_leader", "冯志远", "征管和科技发展科", ["division_leader"]),
    ("tax", "tax_dev", "曹宇", "信息中心", ["app_division"]),
    ("psb", "psb_contact", "邓建军", "科技信息化科", ["client_contact"]),
    ("psb", "psb_owner", "唐凯", "科技信息化科", ["app_owner"]),
    ("si", "si_contact", "韩丽", "信息科", ["client_contact"]),
    ("si", "si_owner", "彭志文", "信息科", ["app_owner"]),
    ("si", "si_leader", "曾卫东", "综合科", ["division_leader"]),
    ("jn", "jn_contact", "蒋涛", "信息部", ["client_contact"]),
]
REQUESTERS_PER_ORG = 6

PRINTERS = ["HP LaserJet Pro M404dn", "联想 LJ2405D", "兄弟 HL-5590DN", "奔图 P3301DN", "爱普生 LQ-630K 针式",
            "佳能 iR-ADV C3520 复印一体机", "得实 DS-1930 票据打印机"]
PCS = ["联想启天 M430", "清华同方超翔 Z8000", "华为擎云 W515", "长城世恒 TN140", "戴尔 OptiPlex 7090"]
SERVERS = ["浪潮 NF5280M6", "华为 2288H V5", "新华三 R4900 G3", "曙光 I620-G30"]
BROWSERS = ["IE 11 兼容模式", "360 安全浏览器", "Chrome 109", "奇安信可信浏览器"]
WINDOWS = ["Windows 10 专业版", "Windows 7 旗舰版", "统信 UOS 1060", "银河麒麟 V10"]


@dataclass(frozen=True)
class Template:
    """An incident as it is typically reported and solved; placeholders are filled per incident."""

    key: str
    category: tuple[str, str]
    titles: tuple[str, ...]
    description: str
    symptom: str
    steps: str
    error: str
    solutions: tuple[str, ...]
    orgs: tuple[str, ...] = ()  # empty: any client
    systems: tuple[str, ...] = ()
    levels: tuple[int, ...] = (3, 4)
    escalate: str = ""
    hold: str = ""
    reject: str = ""  # set for requests that are out of scope


TEMPLATES: list[Template] = [
    Template(
        "printer_jam", ("硬件", "打印机"),
        ("{dept}打印机卡纸无法打印", "{floor}楼{dept}打印机频繁卡纸", "{printer}打印时卡纸报警"),
        "{dept}{name}来电：{floor}楼{room}室的{printer}从今天上午开始频繁卡纸，窗口业务需要打印回执，已影响办理。",
        "打印机面板提示卡纸，取出纸张后再次打印又卡住；打印出的纸张有褶皱。",
        "1. 在业务系统中点击打印回执；2. 打印机进纸约一半后停止；3. 面板红灯闪烁。",
        "面板提示：“卡纸 13.A2.D2 请打开后盖清除”",
        ("现场清理进纸通道残留碎纸，更换磨损的搓纸轮，打印测试页 20 张正常，用户确认可以正常打印。",
         "检查发现定影组件有异物，清理后恢复；建议用户不要使用回收纸打印。"),
        levels=(3, 4),
    ),
    Template(
        "printer_offline", ("硬件", "打印机"),
        ("{dept}网络打印机脱机", "{name}电脑无法连接共享打印机", "打印任务一直排队，打印机显示脱机"),
        "{dept}{name}反映：电脑上打印机状态显示“脱机”，打印任务一直在队列中，同办公室其他电脑可以打印。",
        "打印队列中任务状态为“错误-正在打印”，无法删除。",
        "1. 打开“设备和打印机”；2. 打印机图标为灰色；3. 右键“查看现在正在打印什么”，任务卡住。",
        "Windows 无法连接到打印机。操作失败，错误为 0x0000011b。",
        ("远程登录用户电脑，重启 Print Spooler 服务，清空 C:\\Windows\\System32\\spool\\PRINTERS 下的残留任务，"
         "按 IP 端口 {ip} 重新添加打印机，测试打印正常。",
         "0x0000011b 为系统补丁导致的共享打印机认证问题，改为 TCP/IP 端口直连打印机并安装官方驱动后恢复。"),
    ),
    Template(
        "toner", ("硬件", "打印机"),
        ("{dept}打印机缺粉，申请更换硒鼓", "{printer}打印字迹发淡", "打印件有黑色竖线"),
        "{name}来电：{dept}{printer}打印出的文件字迹很淡，有竖条纹，需要更换耗材。",
        "打印件整页颜色偏淡，左侧有一条黑色竖线。",
        "打印任意文档均出现同样现象。",
        "面板提示：“碳粉不足，请更换硒鼓”",
        ("从备件库领取同型号硒鼓一只（出库单已登记）现场更换，打印测试页正常；旧硒鼓回收。",
         "更换硒鼓后竖线仍在，清洁激光器窗口后消失，用户确认打印正常。"),
        levels=(4,),
    ),
    Template(
        "pc_boot", ("硬件", "台式计算机"),
        ("{name}电脑开机蓝屏", "{dept}电脑无法开机", "{pc}开机后黑屏，风扇狂转"),
        "{dept}{name}反映：早上开机后电脑蓝屏，重启多次仍然进不了系统，今天需要办理业务。",
        "开机自检后出现蓝屏，代码 CRITICAL_PROCESS_DIED，自动重启进入循环。",
        "1. 按电源键开机；2. 出现品牌 Logo；3. 约 30 秒后蓝屏并自动重启。",
        "你的设备遇到问题，需要重启。终止代码：CRITICAL_PROCESS_DIED",
        ("进入安全模式卸载昨晚自动安装的显卡驱动，系统恢复正常；已关闭该机驱动自动更新。",
         "硬盘检测有大量坏道，更换固态硬盘并重装系统，用户数据已从旧盘恢复到 D 盘。",
         "内存条接触不良，拔下清理金手指后重新插好，开机正常，连续运行 1 小时无异常。"),
        levels=(3, 4),
    ),
    Template(
        "pc_slow", ("软件", "操作系统"),
        ("{name}电脑运行很慢", "{dept}电脑卡顿，打开软件要几分钟", "电脑开机后 CPU 占用 100%"),
        "{name}来电：电脑最近一周越来越慢，打开业务系统要等好几分钟，经常“未响应”。",
        "任务管理器中 CPU 占用长期 100%，磁盘占用 100%。",
        "开机后等待 10 分钟仍很卡，打开浏览器和业务客户端尤其慢。",
        "",
        ("发现 Windows 更新与杀毒软件全盘扫描同时运行；调整杀毒扫描时间到午休，清理 C 盘 18 GB 临时文件，"
         "用户确认速度恢复。",
         "机械硬盘老化，更换为固态硬盘并迁移系统，开机时间从 3 分钟降到 25 秒。"),
        levels=(4,),
    ),
    Template(
        "golden_tax_login", ("应用系统", "金税三期"),
        ("金税三期核心征管系统登录缓慢", "{dept}无法登录金税三期", "金三系统登录提示证书错误"),
        "{dept}{name}来电：登录金税三期核心征管系统时一直转圈，约 2 分钟后提示超时，窗口有纳税人排队等待。",
        "输入用户名、密码后点击登录无响应；同一科室 3 台电脑均出现。",
        "1. 打开{browser}；2. 访问金三系统门户；3. 输入账号密码点击登录；4. 长时间无响应后报错。",
        "登录失败：连接统一身份认证服务超时（UAS-0504），请稍后重试。",
        ("统一身份认证服务器会话数达到上限，协调省局重启认证服务节点，登录恢复正常；已提交省局运维工单跟踪根因。",
         "用户电脑 CA 证书驱动版本过旧，升级证书助手并重新导入根证书后可以正常登录。"),
        orgs=("tax",), systems=("金税三期核心征管系统",), levels=(1, 2, 3),
        escalate="涉及省局统一身份认证服务，需应用运维岗与省局技术支持协同处理。",
        hold="已向省局提交工单，等待省局回复处理结果。",
    ),
    Template(
        "golden_tax_report", ("应用系统", "金税三期"),
        ("金三系统申报数据查询报错", "{dept}金三系统打印完税证明报错", "金三系统办理注销时提示流程异常"),
        "{dept}{name}反映：在金税三期核心征管系统中为纳税人（统一社会信用代码 91330100{digits}）办理业务时系统报错，"
        "无法继续。",
        "点击“保存”后弹出错误框，数据未保存；换一台电脑也一样。",
        "1. 进入“综合查询-申报信息查询”；2. 输入纳税人识别号；3. 点击查询；4. 弹出错误。",
        "ORA-01555: snapshot too old: rollback segment number 12 with name \"_SYSSMU12$\" too small",
        ("属于大数据量查询导致的回滚段快照过旧，指导用户缩小查询日期范围分段查询；已将该问题汇总到程序问题确认单。",
         "后台流程实例挂起，经省局授权后由应用运维岗在流程监控中重新推送，业务办理完成。"),
        orgs=("tax",), systems=("金税三期核心征管系统",), levels=(2, 3),
        escalate="需数据运维岗分析数据库会话与执行计划。",
    ),
    Template(
        "etax_down", ("应用系统", "电子税务局"),
        ("电子税务局访问缓慢，大量纳税人无法申报", "电子税务局申报提交失败", "征期电子税务局页面打开报 502"),
        "办税服务厅反映：今天上午 9 点起大量纳税人来电反映电子税务局申报提交失败，热线呼入量激增，正值征期。",
        "申报表填写完成点击“提交”后长时间等待，最终提示系统繁忙；查询功能正常。",
        "1. 登录电子税务局；2. 我要办税-税费申报；3. 填写增值税申报表；4. 点击申报提交。",
        "502 Bad Gateway / 系统繁忙，请稍后再试（错误码 ETAX-SB-1003）",
        ("应用服务器连接池耗尽，临时扩容两个应用节点并调整连接池上限，10:40 恢复；事后提交故障分析报告。",
         "负载均衡会话保持配置错误导致请求集中到一个节点，修正后恢复。"),
        orgs=("tax",), systems=("电子税务局",), levels=(1, 2),
        escalate="征期核心业务受影响，已按一级故障启动应急响应，升级二线应用运维岗与数据运维岗。",
    ),
    Template(
        "invoice", ("应用系统", "发票管理系统"),
        ("发票管理系统代开发票打印错位", "{dept}无法代开增值税发票", "税控盘读取失败"),
        "{dept}窗口{name}来电：为纳税人代开增值税普通发票时打印内容错位，金额栏打到格子外面。",
        "发票预览正常，打印出的发票整体向右下偏移约 5 毫米。",
        "1. 发票代开-填写开票信息；2. 点击打印；3. 选择{printer}。",
        "",
        ("在发票打印设置中调整上边距 -5mm、左边距 -4mm，打印测试发票对齐；已将参数记录到该窗口设备台账。",),
        orgs=("tax",), systems=("增值税发票管理系统",), levels=(3, 4),
    ),
    Template(
        "its_client", ("应用系统", "电子税务局"),
        ("个税扣缴客户端无法获取人员信息", "自然人税收管理系统扣缴客户端报送失败"),
        "{name}来电：单位办税员使用个人所得税扣缴客户端报送时提示网络异常，需要窗口协助。",
        "点击“发送申报”后提示网络连接失败，其他网站可正常访问。",
        "1. 打开扣缴客户端；2. 综合所得申报；3. 发送申报。",
        "网络连接失败，请检查网络设置（错误代码 10060）",
        ("用户单位防火墙拦截了客户端访问地址，指导其网管放通端口后报送成功。",),
        orgs=("tax",), systems=("个人所得税扣缴客户端",), levels=(4,),
    ),
    Template(
        "police_platform", ("应用系统", "警务综合平台"),
        ("警务综合平台查询超时", "{dept}警综平台录入警情保存失败", "警综平台登录后页面空白"),
        "{dept}{name}来电：警务综合平台接处警模块录入警情后保存失败，影响出警记录。",
        "点击保存后提示超时，刷新后数据丢失。",
        "1. 登录警务综合平台；2. 接处警-警情录入；3. 填写后点击保存。",
        "请求超时：java.net.SocketTimeoutException: Read timed out",
        ("数据库表空间使用率 98%，扩展表空间后保存恢复；已增加表空间使用率监控告警阈值 85%。",
         "应用中间件线程阻塞，导出线程堆栈后重启受影响节点恢复，堆栈已转应用处分析。"),
        orgs=("psb",), systems=("警务综合平台",), levels=(1, 2, 3),
        escalate="需数据运维岗检查数据库表空间与会话。",
    ),
    Template(
        "video", ("应用系统", "视频监控平台"),
        ("{dept}视频监控平台部分点位无图像", "视频监控录像回放失败", "卡口摄像头离线"),
        "指挥中心{name}反映：视频监控平台有 {n} 个路口点位显示离线，无法调取实时图像。",
        "平台点位图标为灰色，ping 摄像机地址 {ip} 不通。",
        "1. 登录视频监控平台；2. 打开路口点位；3. 实时预览提示设备离线。",
        "设备离线（错误码 0x01000015）",
        ("现场检查发现接入交换机光模块故障，更换光模块后点位恢复在线，已补录更换记录。",
         "运营商光缆施工中断，协调运营商抢修，当日 18:20 恢复。"),
        orgs=("psb",), systems=("视频监控平台",), levels=(2, 3),
        hold="等待运营商光缆抢修。",
    ),
    Template(
        "si_core", ("应用系统", "社保核心经办系统"),
        ("社保核心经办系统办理业务提示数据库连接失败", "{dept}社保经办系统养老待遇核定报错",
         "社保系统参保登记保存缓慢"),
        "{dept}{name}来电：社保核心经办系统办理{business}时报错，窗口群众在排队。",
        "点击“核定”后约 30 秒报错，其他窗口也出现同样问题。",
        "1. 登录社保核心经办系统；2. 进入{business}；3. 录入个人编号；4. 点击核定。",
        "ORA-12520: TNS:listener could not find available handler for requested type of server",
        ("数据库会话数达到 processes 上限，清理 WebLogic 泄漏连接并调大 processes 参数（经审批），业务恢复。",
         "RAC 节点 2 监听异常，重启监听后恢复，已提交 Oracle 原厂分析日志。"),
        orgs=("si",), systems=("社保核心经办系统",), levels=(1, 2, 3),
        escalate="数据库层面问题，升级数据运维岗（Oracle DBA）。",
        hold="等待 Oracle 原厂工程师分析 AWR 报告。",
    ),
    Template(
        "si_card", ("应用系统", "网上经办大厅"),
        ("网上经办大厅单位缴费基数申报无法提交", "社保卡服务平台制卡数据推送失败"),
        "{name}来电：参保单位反映网上经办大厅申报缴费基数时提示“校验不通过”，但数据核对无误。",
        "提交后提示校验失败，没有说明具体原因。",
        "1. 单位登录网上经办大厅；2. 缴费基数申报；3. 导入 Excel；4. 提交。",
        "校验失败：第 {n} 行 身份证号码格式不正确",
        ("导入模板中身份证号码列被 Excel 转为科学计数法，指导单位将该列设为文本格式后重新导入，提交成功。",),
        orgs=("si",), systems=("网上经办大厅",), levels=(3, 4),
    ),
    Template(
        "erp", ("应用系统", "ERP"),
        ("用友 U8 月末结账失败", "ERP 采购入库单无法审核", "{dept}ERP 登录提示加密狗未找到"),
        "{dept}{name}反映：ERP（用友 U8）月末结账时报错，财务今天必须完成结账。",
        "结账检查通过后执行结账，进度条到 80% 时报错退出。",
        "1. 总账-期末-结账；2. 选择 {month} 月；3. 点击结账。",
        "[Microsoft][ODBC SQL Server Driver]事务（进程 ID 68）与另一个进程被死锁在锁资源上",
        ("与财务确认无人操作后，在数据库中结束阻塞会话并重新结账，成功；建议结账期间暂停其他模块操作。",),
        orgs=("jn",), systems=("ERP（用友 U8）",), levels=(2, 3),
        escalate="需数据运维岗处理数据库死锁。",
    ),
    Template(
        "mes", ("应用系统", "ERP"),
        ("MES 系统生产报工无法提交", "二号车间 MES 终端无法扫码"),
        "生产部{name}来电：二号车间 MES 报工终端无法提交报工，生产线需要报工后才能流转。",
        "扫码后提示“工单状态不正确”。",
        "1. 扫描工单条码；2. 录入合格数量；3. 点击报工。",
        "工单状态不正确：当前状态 已关闭",
        ("ERP 与 MES 工单同步任务失败导致状态不一致，手工重跑同步任务后恢复报工。",),
        orgs=("jn",), systems=("MES 生产执行系统",), levels=(2, 3),
    ),
    Template(
        "oa", ("应用系统", "OA 办公系统"),
        ("OA 公文流转附件无法打开", "{name} OA 待办不显示", "OA 系统上传附件失败"),
        "{dept}{name}来电：OA 系统中收到的公文附件点击后无法打开，提示下载失败。",
        "点击附件名称后弹出空白页。",
        "1. 登录 OA；2. 待办-公文签收；3. 点击正文附件。",
        "文件不存在或已被删除（HTTP 404）",
        ("文件服务器存储挂载点失效，重新挂载 NAS 存储后附件恢复访问。",
         "浏览器拦截了弹出窗口，设置允许 OA 站点弹窗后正常。"),
        systems=("OA 办公系统",), levels=(3, 4),
    ),
    Template(
        "mail", ("应用系统", "邮件系统"),
        ("{name}邮箱收不到外部邮件", "企业邮箱发送大附件失败", "Outlook 反复提示输入密码"),
        "{dept}{name}反映：从昨天下午开始收不到外部单位发来的邮件，内部邮件正常。",
        "外部发件方收到退信。",
        "外部单位向 {name} 的邮箱发送邮件，对方收到退信。",
        "550 5.7.1 Message rejected as spam by Content Filtering",
        ("反垃圾网关误判，将对方域名加入白名单并释放隔离区邮件 7 封。",
         "邮箱容量已满，协助用户归档 2019 年前邮件，释放空间 3.2 GB。"),
        orgs=("jn",), systems=("企业邮箱",), levels=(3, 4),
    ),
    Template(
        "vpn", ("网络", "VPN"),
        ("{name}出差期间 VPN 无法连接", "VPN 客户端连接后无法访问内网业务", "SSL VPN 登录提示证书过期"),
        "{dept}{name}来电：在外出差，使用 SSL VPN 客户端连接时一直提示认证失败，需要访问内网系统。",
        "输入账号、密码和短信验证码后提示认证失败，短信验证码能正常收到。",
        "1. 打开 VPN 客户端；2. 输入账号密码；3. 输入短信验证码；4. 点击登录。",
        "认证失败：用户证书已过期（错误码 0x2101）",
        ("用户 VPN 证书到期，经安全管理员审批后重新签发证书，指导用户导入后连接成功。",
         "用户所在酒店网络屏蔽了 UDP 443，改为 TCP 模式后连接成功。"),
        levels=(3, 4),
    ),
    Template(
        "lan", ("网络", "局域网"),
        ("{floor}楼整层网络中断", "{dept}网络时断时续", "{dept}电脑获取不到 IP 地址"),
        "{dept}{name}来电：{floor}楼整层电脑都上不了网，业务系统全部无法访问。",
        "电脑右下角网络图标显示黄色感叹号，ping 网关 {ip} 不通。",
        "本层所有电脑均出现，其他楼层正常。",
        "无 Internet 访问；ping 请求超时。",
        ("楼层接入交换机电源适配器损坏，更换备用交换机并恢复配置，全层网络恢复。",
         "发现有用户私接无线路由器导致 DHCP 冲突，拆除后恢复，已通报{dept}。",
         "汇聚交换机端口 Gi1/0/24 出现环路被阻塞，排除环路后恢复。"),
        levels=(1, 2, 3),
        escalate="疑似汇聚层故障，升级网络运维岗。",
    ),
    Template(
        "wifi", ("网络", "无线网络"),
        ("会议室无线网络连不上", "{floor}楼无线信号弱"),
        "{dept}{name}反映：{floor}楼大会议室的无线网络连不上，下午两点有会议需要投屏。",
        "搜索得到 SSID，连接时提示无法连接到此网络。",
        "1. 选择无线网络；2. 输入密码；3. 连接失败。",
        "无法连接到此网络",
        ("无线 AP 掉线，重启 PoE 交换机端口后 AP 上线，会议前测试投屏正常。",),
        levels=(3, 4),
    ),
    Template(
        "line", ("网络", "专线"),
        ("{dept}到市局专线中断", "分局业务专线丢包严重"),
        "{dept}来电：分局到市局的业务专线中断，分局所有窗口无法办理业务。",
        "ping 市局核心 {ip} 全部超时；分局内部网络正常。",
        "分局任意电脑访问市局业务系统均失败。",
        "请求超时。",
        ("运营商线路故障，报障后运营商更换光猫，11:30 恢复；期间启用 4G 备份链路保障业务。",),
        levels=(1, 2),
        escalate="涉及运营商线路，升级网络运维岗协调运营商。",
        hold="已报运营商障碍，等待运营商到场抢修。",
    ),
    Template(
        "server_disk", ("硬件", "服务器"),
        ("{server} 服务器硬盘告警", "机房服务器 RAID 降级", "存储控制器故障告警"),
        "监控告警：机房 {server} 服务器（{ip}）RAID 阵列降级，1 块硬盘故障。",
        "服务器前面板硬盘指示灯橙色；管理口日志显示 Physical Disk 0:1:3 Failed。",
        "监控平台自动告警，值班人员登录管理口确认。",
        "Virtual Disk 0 state changed from Optimal to Degraded",
        ("服务器在保，联系原厂送来同型号硬盘热插拔更换，RAID 重建完成，状态 Optimal。",),
        levels=(2, 3),
        escalate="涉及在保硬件更换，转原厂工程师处理。",
        hold="等待原厂备件到货。",
    ),
    Template(
        "ups", ("硬件", "UPS 电源"),
        ("机房 UPS 电池告警", "UPS 切换到电池供电"),
        "动环监控告警：机房 UPS 电池组自检失败，后备时间不足 10 分钟。",
        "UPS 面板显示电池故障。",
        "动环监控系统自动告警。",
        "Battery test failed",
        ("电池已使用 5 年，经客户同意更换整组电池，自检通过。",),
        levels=(2, 3),
        hold="等待客户采购审批电池更换。",
    ),
    Template(
        "virus", ("安全", "病毒木马"),
        ("{name}电脑感染勒索病毒", "终端安全系统报告病毒告警", "{dept}电脑弹出大量广告窗口"),
        "终端安全管理系统告警：{dept}{name}的电脑（{ip}）检测到木马程序，已自动隔离但仍反复出现。",
        "电脑频繁弹窗，文件被加上未知后缀。",
        "用户插入外来 U 盘后出现。",
        "Trojan.Win32.Generic 已隔离；文件扩展名变为 .locked",
        ("立即断网隔离该终端，全盘查杀并重装系统，从备份恢复用户数据；已按安全事件上报安全管理员并封禁该 U 盘。",),
        levels=(1, 2, 3),
        escalate="疑似安全事件，升级二线并通知安全管理员。",
    ),
    Template(
        "account", ("安全", "账号与权限"),
        ("{name}业务系统账号被锁定", "新入职人员开通业务系统权限", "{name}忘记密码申请重置"),
        "{dept}{name}来电：输错几次密码后业务系统账号被锁定，需要解锁。",
        "登录提示账号已锁定。",
        "连续输入错误密码 5 次。",
        "账号已被锁定，请 30 分钟后重试或联系管理员",
        ("核实身份（回拨登记电话）后解锁账号并重置初始密码，提醒用户首次登录修改密码。",),
        levels=(4,),
    ),
    Template(
        "ca", ("安全", "CA 数字证书"),
        ("{name} CA 证书过期无法登录", "数字证书 Ukey 无法识别"),
        "{name}来电：插入 CA Ukey 后业务系统提示找不到证书。",
        "Ukey 指示灯不亮，设备管理器中有未知设备。",
        "插入 Ukey，打开业务系统登录页。",
        "未检测到 USB Key，请确认已插入",
        ("重新安装 CA 证书助手驱动后识别正常。", "Ukey 硬件损坏，协助用户到 CA 机构补办，当日完成。"),
        levels=(3, 4),
    ),
    Template(
        "vuln", ("安全", "安全漏洞"),
        ("漏洞扫描发现中间件高危漏洞", "等保测评整改：关闭服务器高危端口"),
        "安全管理员通知：本月漏洞扫描发现 {n} 台应用服务器的 WebLogic 存在高危反序列化漏洞，要求限期整改。",
        "扫描报告列出 CVE-2023-21839 等漏洞。",
        "漏洞扫描系统月度扫描。",
        "",
        ("在测试环境验证补丁后，按变更窗口逐台安装 WebLogic 补丁，复扫确认漏洞已修复。",),
        levels=(2, 3),
        escalate="涉及生产环境补丁，需二线应用运维岗评估并走变更流程。",
        hold="等待变更评审会审批补丁安装窗口。",
    ),
    Template(
        "oracle", ("数据库", "Oracle"),
        ("Oracle 归档日志空间满", "数据库表空间使用率超过 90%", "数据库备份作业失败"),
        "监控告警：生产库（{ip}）归档目录使用率 97%，业务随时可能挂起。",
        "alert 日志出现 ORA-19809。",
        "监控平台每 5 分钟巡检。",
        "ORA-19809: limit exceeded for recovery files",
        ("确认归档已备份后使用 RMAN 删除 7 天前归档，扩大 db_recovery_file_dest_size，并检查备份作业调度。",),
        orgs=("tax", "si", "psb"), systems=("生产数据库",), levels=(1, 2),
        escalate="数据库紧急问题，升级数据运维岗。",
    ),
    Template(
        "mysql", ("数据库", "MySQL"),
        ("MySQL 主从复制中断", "OA 数据库慢查询导致页面卡顿"),
        "监控告警：OA 数据库从库复制线程停止，延迟持续增加。",
        "SHOW SLAVE STATUS 显示 Slave_SQL_Running: No。",
        "监控平台告警。",
        "Error 1062: Duplicate entry '{n}' for key 'PRIMARY'",
        ("核对主从数据一致后跳过冲突事务并重建复制，延迟归零；建议开启 GTID。",),
        orgs=("jn", "tax"), systems=("OA 数据库",), levels=(2, 3),
    ),
    Template(
        "office", ("软件", "办公软件"),
        ("WPS 打开文档乱码", "{name}电脑 Word 无法保存", "Excel 打开报表很慢"),
        "{dept}{name}来电：用 WPS 打开同事发来的文档显示乱码，无法阅读。",
        "文档中的中文显示为方框和问号。",
        "双击文档打开。",
        "",
        ("缺少方正仿宋_GBK 等公文字体，安装公文字体包后显示正常。",
         "文档编码为 GB18030，使用“另存为”并选择 UTF-8 编码后正常。"),
        levels=(4,),
    ),
    Template(
        "browser", ("软件", "浏览器"),
        ("业务系统页面显示不全", "{browser}无法打开业务系统"),
        "{name}反映：在{browser}中打开业务系统后按钮显示不全，无法点击“提交”。",
        "页面排版错乱，部分按钮缺失。",
        "使用{browser}访问业务系统首页。",
        "",
        ("将业务系统地址加入兼容性视图列表并清理浏览器缓存后显示正常。",),
        levels=(4,),
    ),
    Template(
        "consult", ("咨询", "操作咨询"),
        ("咨询电子税务局跨区域涉税事项报告操作", "咨询如何在 OA 中设置代理人", "咨询社保系统批量导出参保人员清单"),
        "{name}来电咨询：{business}应该如何操作，找不到对应的菜单。",
        "",
        "",
        "",
        ("电话指导用户按操作手册第 3.2 节完成操作，并将操作手册发送到用户邮箱。",
         "远程协助用户完成操作，用户表示已掌握。"),
        levels=(4,),
    ),
    Template(
        "scanner", ("硬件", "扫描仪/高拍仪"),
        ("窗口高拍仪无法识别", "扫描仪扫描文件有黑条"),
        "{dept}窗口{name}来电：高拍仪在业务系统中无法调用，无法采集证件影像。",
        "业务系统提示未检测到设备。",
        "在业务系统中点击“影像采集”。",
        "未找到视频设备",
        ("重新安装高拍仪控件并在浏览器中允许 ActiveX 控件运行后恢复。",),
        orgs=("tax", "si", "psb"), levels=(3, 4),
    ),
    # Requests the service scope does not cover: rejected with a reason.
    Template(
        "oos_phone", ("咨询", "业务咨询"),
        ("请帮忙维修个人手机", "家里电脑中病毒请上门处理"),
        "{name}来电：个人手机屏幕碎了，问能不能帮忙维修。",
        "", "", "",
        ("",),
        levels=(4,), reject="个人电子设备不在合同服务范围内，已告知用户到品牌售后网点维修。",
    ),
    Template(
        "oos_purchase", ("咨询", "业务咨询"),
        ("申请采购新笔记本电脑", "申请安装非办公软件"),
        "{dept}{name}申请为科室新采购两台笔记本电脑并安装炒股软件。",
        "", "", "",
        ("",),
        levels=(4,), reject="设备采购及非办公软件安装不属于运维服务范围，请按单位采购流程申请。",
    ),
    Template(
        "oos_phone_line", ("咨询", "业务咨询"),
        ("办公室座机没有拨号音",),
        "{dept}{name}反映办公室座机没有拨号音。",
        "", "", "",
        ("",),
        levels=(4,), reject="电话线路由电信运营商维护，不在本合同范围，已提供运营商报障电话。",
    ),
]

BUSINESS = ["养老待遇核定", "参保登记", "个人账户转移", "缴费基数申报", "跨区域涉税事项报告", "发票领用",
            "增值税申报", "户籍迁移登记", "出入境证件受理", "工伤认定", "医保异地备案"]

REQUESTER_COMMENTS = [
    "麻烦尽快处理，窗口还有群众在排队。",
    "已经重启过电脑了，还是不行。",
    "下午两点前要用，谢谢！",
    "同办公室小李的电脑也出现同样问题。",
    "工程师几点能到？我在 {floor} 楼 {room} 室。",
    "问题又出现了一次，截图已发到工作群。",
]
INTERNAL_NOTES = [
    "已电话回访用户，约定 14:00 上门。",
    "备件库有同型号备件，已办理出库。",
    "已联系原厂 400 报修，原厂工单号 CS{digits}。",
    "类似问题本月第三次出现，建议转问题管理分析根因。",
    "知识库已有类似案例 KB-0{n}，按案例处理。",
    "用户情绪较急，已向项目经理报备。",
]
HOLD_NOTES = [
    "用户外出开会，约定明天上午远程处理。",
    "等待用户提供出错时的截图和纳税人识别号。",
    "已向原厂报修，等待原厂工程师排期。",
    "等待客户信息科审批数据修改申请。",
]
REOPEN_REASONS = [
    "第二天早上又出现同样的问题。",
    "打印还是会偶尔卡纸，没有彻底解决。",
    "只解决了我这台电脑，科室其他电脑还是不行。",
]
CONFIRM_COMMENTS = ["已经好了，谢谢！", "确认正常，工程师很专业。", "可以了，辛苦！", ""]
DISPATCH_INSTRUCTIONS = [
    "请携带同型号备件上门，到场后先与用户确认故障现象。",
    "征期窗口设备，请优先处理，到场后在现场支持确认单上请用户签字。",
    "请带上系统安装盘和数据备份硬盘。",
]


def fill(text: str, rng: random.Random, values: dict[str, str]) -> str:
    """Fill the `{placeholders}` of `text` from `values`, inventing the rest with `rng`."""
    if "{" not in text:
        return text
    needed = dict(values)
    for key, make in _RANDOM_VALUES.items():
        if "{" + key + "}" in text and key not in needed:
            needed[key] = make(rng)
    return text.format_map(_Default(needed))


class _Default(dict):
    def __missing__(self, key: str) -> str:
        return ""


_RANDOM_VALUES = {
    "floor": lambda r: str(r.randint(2, 12)),
    "room": lambda r: f"{r.randint(2, 12)}{r.randint(1, 30):02d}",
    "printer": lambda r: r.choice(PRINTERS),
    "pc": lambda r: r.choice(PCS),
    "server": lambda r: r.choice(SERVERS),
    "browser": lambda r: r.choice(BROWSERS),
    "windows": lambda r: r.choice(WINDOWS),
    "ip": lambda r: f"10.{r.randint(1, 60)}.{r.randint(0, 254)}.{r.randint(2, 254)}",
    "n": lambda r: str(r.randint(2, 40)),
    "digits": lambda r: "".join(r.choices(string.digits, k=8)),
    "month": lambda r: str(r.randint(1, 12)),
    "business": lambda r: r.choice(BUSINESS),
}


def person_name(rng: random.Random) -> str:
    """A plausible Chinese full name (surname plus one or two given-name characters)."""
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def phone_number(rng: random.Random) -> str:
    """A mobile number in the usual 11-digit form."""
    return rng.choice(["13", "15", "17", "18", "19"]) + "".join(rng.choices(string.digits, k=9))


@dataclass
class IncidentText:
    """One incident's text, filled from a template."""

    template: Template
    title: str
    description: str
    symptom: str
    operation_steps: str
    error_message: str
    solution: str
    affected_system: str
    level: int
    values: dict[str, str] = field(default_factory=dict)


def templates_for(org_key: str, *, in_scope: bool = True) -> list[Template]:
    """The templates that fit a client organisation (in scope, or the out-of-scope requests)."""
    return [t for t in TEMPLATES if (not t.orgs or org_key in t.orgs) and bool(t.reject) != in_scope]


def incident_text(template: Template, rng: random.Random, *, name: str, dept: str) -> IncidentText:
    """Fill one template for a requester `name` of department `dept`."""
    values = {"name": name, "dept": dept}
    for key in ("floor", "room", "printer", "pc", "server", "browser", "ip", "n", "digits", "month", "business"):
        values[key] = _RANDOM_VALUES[key](rng)
    title = fill(rng.choice(template.titles), rng, values)[:200]
    return IncidentText(
        template=template,
        title=title,
        description=fill(template.description, rng, values),
        symptom=fill(template.symptom, rng, values),
        operation_steps=fill(template.steps, rng, values),
        error_message=fill(template.error, rng, values),
        solution=fill(rng.choice(template.solutions), rng, values),
        affected_system=rng.choice(template.systems) if template.systems else "",
        level=rng.choice(template.levels),
        values=values,
    )

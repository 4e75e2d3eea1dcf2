"""The demo's knowledge base: about thirty published articles on the themes of the demo incidents (printers,
PCs, e-mail, VPN, OA/ERP, passwords and UKeys, networks, databases such as ORA-00600), some written for
requesters (self-help) and some for engineers only, spread over the demo contracts; plus two drafts and one
article waiting for review.

Each is written through the knowledge services as it happens in a project: an engineer of the contract
writes it and submits it, the project manager reviews and publishes it; so every article has its audit
trail and its version history. One article is later corrected (a second revision), and a few self-help
articles are marked "this solved it" by requesters (which ranks them higher). The simulated clock spreads
the work over the past months; the search index is filled after the demo's transaction (load_demo drains
the queue).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from opsdesk.accounts.models import User
from opsdesk.knowledge.choices import ArticleStatus, Audience
from opsdesk.knowledge.services import article_act, article_create, article_mark_solved, article_update

if TYPE_CHECKING:
    from .demo import SimulatedClock, World

R, E = Audience.REQUESTER, Audience.ENGINEER
KNOWLEDGE_DAYS = 150  # the articles are written over this many past days


@dataclass(frozen=True)
class ArticleText:
    contract: str
    audience: str
    title: str
    symptom: str
    cause: str
    solution: str
    keywords: str = ""
    systems: str = ""
    categories: tuple[tuple[str, str], ...] = ()
    status: str = ArticleStatus.PUBLISHED
    solved_by: int = 0  # requesters who mark it "this solved it"


ARTICLES: list[ArticleText] = [
    # --- desktop terminals (tax bureau) -------------------------------------------------------------------
    ArticleText(
        "TAX-DESK-2026", R, "打印机显示“脱机”、打印任务一直排队怎么办",
        "电脑上打印机图标变灰，状态为“脱机”；打印任务停在队列里，状态“错误-正在打印”，无法删除。",
        "打印服务（Print Spooler）卡住，或电脑与打印机之间的网络临时中断。",
        "1. 确认打印机已开机、网线或 USB 线已插好，面板无红灯报警。\n"
        "2. 按 Win+R，输入 services.msc，找到“Print Spooler”，右键“重新启动”。\n"
        "3. 打开“设备和打印机”，右键打印机 →“查看现在正在打印什么”→“打印机”菜单 → 取消勾选“脱机使用打印机”。\n"
        "4. 重新打印。仍然不行请在门户提交问题，并写明打印机型号和所在房间。",
        "打印机 脱机 打印队列 Print Spooler 无法打印", "办公打印机", (("硬件", "打印机"),), solved_by=3),
    ArticleText(
        "TAX-DESK-2026", E, "共享打印机报错 0x0000011b 的处理",
        "客户端连接共享打印机时提示“Windows 无法连接到打印机。操作失败，错误为 0x0000011b”。",
        "Windows 安全更新（KB5005565 起）加强了打印后台处理程序的 RPC 认证，旧的共享打印方式被拒绝。",
        "1. 首选：改为 TCP/IP 端口直连打印机（添加打印机 → 使用 IP 地址），安装厂商官方驱动。\n"
        "2. 必须走共享时：在打印服务器上安装最新补丁，客户端同步更新后重试。\n"
        "3. 不建议卸载安全补丁；如临时回退，须在工单中记录并经项目经理同意。",
        "0x0000011b 共享打印机 打印服务器 补丁 RPC", "办公打印机", (("硬件", "打印机"),)),
    ArticleText(
        "TAX-DESK-2026", R, "打印机卡纸的正确取纸方法",
        "打印机面板提示“卡纸”，打印到一半停止，纸张有褶皱。",
        "纸张受潮、使用回收纸或纸盒内纸张过多，搓纸时多张进纸。",
        "1. 关闭打印机电源，打开前盖和后盖。\n2. 双手握住纸张两侧，顺着出纸方向慢慢拉出，不要撕扯，以免碎纸残留。\n"
        "3. 检查纸盒，纸张不要超过最高刻度线，换用干燥的新纸。\n4. 开机打印测试页。面板仍提示卡纸请报修，"
        "不要自行拆机。",
        "打印机 卡纸 碎纸 进纸", "办公打印机", (("硬件", "打印机"),), solved_by=2),
    ArticleText(
        "TAX-DESK-2026", R, "打印字迹变淡、有竖线：如何申请更换硒鼓",
        "打印件整页颜色偏淡，或固定位置出现黑色竖线；面板提示“碳粉不足”。",
        "硒鼓碳粉即将用完，或感光鼓表面有划痕。",
        "1. 取出硒鼓左右轻轻摇匀后装回，可临时改善字迹发淡。\n2. 有竖线或摇匀无效时，请在门户提交“更换硒鼓”，"
        "注明打印机型号（机身正面标签）和房间号，工程师会带同型号硒鼓上门更换并回收旧硒鼓。",
        "硒鼓 碳粉 墨粉 字迹淡 竖线 耗材", "办公打印机", (("硬件", "打印机"),)),
    ArticleText(
        "TAX-DESK-2026", R, "电脑运行很慢、开机后 CPU 占用 100% 的自查方法",
        "电脑开机后很卡，打开软件要几分钟；任务管理器中 CPU 或磁盘长期 100%。",
        "开机自启动程序过多、系统盘空间不足，或杀毒软件正在全盘扫描。",
        "1. 按 Ctrl+Shift+Esc 打开任务管理器，查看占用最高的程序；如是杀毒软件全盘扫描，可等待其完成。\n"
        "2. 在“启动”页签中禁用不需要的自启动程序。\n3. 清理 C 盘：右键 C 盘 → 属性 → 磁盘清理，确保剩余空间大于 10 "
        "GB。\n"
        "4. 重启电脑。仍然很慢请报修，工程师会检查硬盘健康和内存。",
        "电脑 卡顿 很慢 CPU 100% 磁盘 占用 开机慢", "Windows 10", (("软件", "操作系统"),), solved_by=2),
    ArticleText(
        "TAX-DESK-2026", E, "蓝屏 CRITICAL_PROCESS_DIED 的排查步骤",
        "开机自检后蓝屏，终止代码 CRITICAL_PROCESS_DIED，自动重启进入循环。",
        "最常见为自动更新的驱动不兼容，其次为系统文件损坏或硬盘坏道。",
        "1. 连续强制重启三次进入恢复环境，选择“安全模式”。\n2. 在设备管理器中回退或卸载最近更新的显卡/存储驱动，"
        "并通过组策略关闭该机驱动自动更新。\n3. 以管理员运行 sfc /scannow 与 DISM /Online /Cleanup-Image "
        "/RestoreHealth。\n"
        "4. 用厂商工具检测硬盘 SMART，有坏道的更换固态硬盘，数据恢复到 D 盘后交用户确认。",
        "蓝屏 CRITICAL_PROCESS_DIED 驱动 安全模式 坏道", "Windows 10", (("硬件", "台式计算机"),)),
    ArticleText(
        "TAX-DESK-2026", R, "WPS 打开文档显示乱码怎么办",
        "用 WPS 打开别人发来的文档或表格，中文显示为乱码或方框。",
        "文件编码不是 GBK/UTF-8 自动识别的格式，或缺少文档使用的字体。",
        "1. 文本或 CSV 文件：用 WPS 表格“数据 → 导入数据”，编码选择“简体中文(GB2312)”或“UTF-8”重试。\n"
        "2. Word 文档：依次点“文件 → 选项 → 常规与保存”，勾选“打开文件时自动识别编码”。\n"
        "3. 显示方框时向发件人索取 PDF 版本，或报修安装所需字体。",
        "WPS 乱码 编码 字体 方框", "WPS Office", (("软件", "办公软件"),)),
    ArticleText(
        "TAX-DESK-2026", R, "高拍仪或扫描仪无法识别的处理",
        "窗口高拍仪打开后黑屏，业务系统提示“未检测到设备”；或扫描件有黑条。",
        "USB 接口松动、驱动被系统更新覆盖，或镜头/扫描玻璃有污渍。",
        "1. 拔下 USB 线，换到主机后面的 USB 接口重新插好（不要用延长线或集线器）。\n"
        "2. 重启业务系统后再试。\n3. 扫描件有黑条时，用干净的眼镜布擦拭扫描玻璃。\n4. 仍无法识别请报修，注明窗口号。",
        "高拍仪 扫描仪 无法识别 黑屏 黑条 驱动", "窗口终端", (("硬件", "扫描仪/高拍仪"),)),
    # --- tax bureau core systems ----------------------------------------------------------------------------
    ArticleText(
        "TAX-2026", R, "CA 证书 / UKey 插上后无法识别、登录提示证书错误",
        "插入 UKey 后登录业务系统提示“未检测到证书”或“证书错误”；设备管理器中有黄色感叹号。",
        "证书驱动（证书助手）未安装或版本过旧，或 UKey 证书已过期。",
        "1. 换一个 USB 接口插入 UKey，等待指示灯常亮。\n2. 打开桌面“证书助手”，查看证书有效期；"
        "过期请联系信息中心办理更新。\n"
        "3. 未安装证书助手的，从内网门户“下载专区”下载安装后重启浏览器。\n4. 仍提示证书错误请报修，注明 UKey 编号。",
        "CA 证书 UKey 数字证书 证书错误 过期 驱动", "金税三期 电子税务局", (("安全", "CA 数字证书"),), solved_by=2),
    ArticleText(
        "TAX-2026", E, "金税三期核心征管系统登录缓慢的排查",
        "征期上午大量用户登录金三系统缓慢，单次登录超过 1 分钟，部分提示超时。",
        "认证服务连接池耗尽，或 WebLogic 受管服务器出现 STUCK 线程。",
        "1. 在 WebLogic 控制台查看各受管服务器的线程状态和连接池等待数。\n"
        "2. 有 STUCK 线程时先导出线程栈（jstack 三次，间隔 10 秒）留证，再按顺序滚动重启受管服务器。\n"
        "3. 连接池等待数高时临时调大 Maximum Capacity，并通知 DBA 检查数据库会话数。\n4. "
        "处理后在工单中附线程栈和监控截图。",
        "金三 金税三期 登录慢 超时 WebLogic STUCK 连接池", "金税三期核心征管系统", (("应用系统", "金税三期"),)),
    ArticleText(
        "TAX-2026", E, "电子税务局页面报 502 Bad Gateway 的处理",
        "征期电子税务局部分页面打开报 502，纳税人无法申报。",
        "后端应用节点响应超时，Nginx 判定上游不可用。",
        "1. 查看 Nginx error.log 中 upstream timed out 的节点。\n2. 检查对应应用节点的 CPU、内存和 Full GC 日志，"
        "必要时摘除节点后重启。\n"
        "3. 确认负载均衡健康检查恢复后再加回节点。\n4. 征期前一周应完成扩容评估。",
        "电子税务局 502 Bad Gateway Nginx upstream 超时 征期", "电子税务局", (("应用系统", "电子税务局"),)),
    ArticleText(
        "TAX-2026", E, "发票管理系统税控盘读取失败",
        "代开发票时提示“税控盘读取失败”或“未找到税控设备”。",
        "税控盘驱动与开票软件版本不匹配，或 USB 口供电不足。",
        "1. 将税控盘直接插到主机后置 USB 口。\n2. 卸载并重装与开票软件版本对应的税控盘驱动。\n"
        "3. 重启“税控服务”后再打开开票软件。\n4. 仍失败时更换备用税控盘验证，确认为硬件故障的按流程送修。",
        "税控盘 发票 读取失败 开票 驱动", "增值税发票管理系统", (("应用系统", "发票管理系统"),)),
    ArticleText(
        "TAX-2026", E, "Oracle 报 ORA-00600 内部错误的应急处理",
        "业务系统报数据库错误，告警日志出现 ORA-00600: internal error code, arguments: [...]。",
        "Oracle 内部错误，多由已知 bug 或数据块损坏引起，需按参数定位。",
        "1. 立即收集 alert 日志和 trace 文件（ADR 中 incident 目录），记录第一个参数。\n"
        "2. 用参数在 Oracle 支持网站检索对应 bug 和补丁；涉及数据块损坏的先用 DBV / RMAN VALIDATE 检查。\n"
        "3. 影响业务时与应用负责人确认后切换到备库或重启实例，严禁未经审批修改生产数据。\n"
        "4. 打补丁须走变更流程，并在故障报告中附 trace 摘要。",
        "ORA-00600 Oracle 内部错误 trace alert 数据库", "Oracle 19c", (("数据库", "Oracle"),)),
    ArticleText(
        "TAX-2026", R, "业务系统账号被锁定或忘记密码",
        "登录时提示“账号已锁定”或“用户名或密码错误”。",
        "连续输错密码 5 次账号会锁定 30 分钟；密码 90 天到期需修改。",
        "1. 账号锁定时等待 30 分钟后再试，不要反复尝试。\n2. 忘记密码：在门户提交“密码重置”申请，"
        "注明系统名称和登录账号，"
        "审核后服务台会电话告知临时密码。\n3. 首次登录后按提示修改密码：至少 8 位，包含字母、数字和符号。",
        "账号 帐号 锁定 忘记密码 密码重置 登录失败 登陆", "金税三期 电子税务局 OA", (("安全", "账号与权限"),),
        solved_by=3),
    # --- social insurance --------------------------------------------------------------------------------------
    ArticleText(
        "SI-2026", E, "社保核心经办系统提示“数据库连接失败”（ORA-12514）",
        "窗口办理业务时提示“数据库连接失败”，日志中出现 ORA-12514: TNS:listener does not currently know of service。",
        "RAC 某节点服务未注册到监听（实例重启后服务未启动，或服务漂移）。",
        "1. 在各节点执行 lsnrctl status 查看服务注册情况。\n2. 用 srvctl status service -d <库名> 确认服务所在实例，"
        "未启动的执行 srvctl start service。\n3. 检查 WebLogic 数据源是否使用 SCAN 地址和服务名而不是实例名。\n"
        "4. 恢复后在经办大厅抽查三个窗口业务正常。",
        "ORA-12514 数据库连接失败 监听 RAC srvctl 社保", "社保核心经办系统 Oracle 19c RAC",
        (("应用系统", "社保核心经办系统"), ("数据库", "Oracle"))),
    ArticleText(
        "SI-2026", E, "Oracle 归档日志空间满导致业务挂起",
        "业务全部卡住，告警日志出现 ORA-00257: archiver error，归档目录使用率 100%。",
        "归档日志增长超过备份删除的速度（批量业务或备份作业失败）。",
        "1. 确认最近一次 RMAN 备份成功后执行 DELETE ARCHIVELOG ALL COMPLETED BEFORE 'SYSDATE-1' BACKED UP 1 TIMES TO "
        "DISK。\n"
        "2. 紧急情况下临时扩大 db_recovery_file_dest_size。\n3. 检查备份作业失败原因并补做备份。\n4. "
        "增加归档目录使用率 80% 告警。",
        "归档日志 ORA-00257 archiver error 空间满 RMAN", "Oracle 19c RAC", (("数据库", "Oracle"),)),
    ArticleText(
        "SI-2026", E, "表空间使用率超过 90% 的扩容规范",
        "监控告警：表空间 USERS_DATA 使用率超过 90%。",
        "业务数据正常增长，数据文件未开启自动扩展或已到上限。",
        "1. 查询 dba_data_files 确认数据文件及其自动扩展上限。\n2. 在 ASM 磁盘组空间充足时新增数据文件（每个 30 GB，"
        "自动扩展关闭）。\n"
        "3. 扩容属于标准变更，须在变更单中记录；操作前后截图。",
        "表空间 使用率 扩容 数据文件 ASM", "Oracle 19c RAC", (("数据库", "Oracle"),)),
    ArticleText(
        "SI-2026", R, "网上经办大厅缴费基数申报无法提交",
        "单位在网上经办大厅申报缴费基数时，点击“提交”无反应或提示“页面已过期”。",
        "浏览器缓存了旧页面，或登录超过 30 分钟已超时。",
        "1. 先保存已填写的数据，退出后重新登录。\n2. 按 Ctrl+Shift+Delete 清除浏览器缓存，使用 Chrome 或 360 "
        "浏览器极速模式。\n"
        "3. 批量导入时使用最新的 Excel 模板。\n4. 仍无法提交请截图报修。",
        "网上经办大厅 缴费基数 申报 提交失败 页面过期 浏览器缓存", "网上经办大厅", (("应用系统", "网上经办大厅"),)),
    ArticleText(
        "SI-2026", R, "业务系统页面显示不全或按钮点不了：切换浏览器兼容模式",
        "打开业务系统后页面错位、按钮点击无反应或控件不显示。",
        "系统部分页面只支持 IE 内核，在极速模式下显示异常。",
        "1. 在 360 安全浏览器地址栏右侧点击闪电图标，切换为“兼容模式”。\n2. 刷新页面。\n"
        "3. 使用 Edge 的，在设置中开启“允许在 Internet Explorer 模式下重新加载网站”。",
        "浏览器 兼容模式 页面显示不全 IE 按钮 点不了", "360 安全浏览器 Edge", (("软件", "浏览器"),), solved_by=1),
    ArticleText(
        "SI-2026", E, "WebLogic 出现 STUCK 线程的处理",
        "经办系统响应变慢，WebLogic 控制台服务器状态为 Warning，日志出现 BEA-000337 STUCK。",
        "慢 SQL 或外部接口（医保结算）超时导致线程长时间占用。",
        "1. 导出线程栈定位阻塞点。\n2. 是慢 SQL 的交 DBA 分析执行计划；是外部接口的确认对方服务状态。\n"
        "3. STUCK 线程超过 20 个时在业务低峰滚动重启受管服务器。",
        "WebLogic STUCK 线程 BEA-000337 响应慢", "WebLogic 12c", (("应用系统", "社保核心经办系统"),)),
    # --- police -------------------------------------------------------------------------------------------------
    ArticleText(
        "PSB-2026", E, "警务综合平台查询超时的排查",
        "警综平台综合查询经常超时，页面提示“请求超时，请稍后重试”。",
        "查询条件过宽导致全表扫描，或边界接入平台链路拥塞。",
        "1. 在数据库中查看当前长时间运行的查询，确认是否缺少索引。\n2. 检查边界接入平台到平台服务器的链路带宽和丢包。\n"
        "3. 所有操作经堡垒机进行并保留审计记录。",
        "警综平台 警务综合平台 查询超时 慢查询 堡垒机", "警务综合平台", (("应用系统", "警务综合平台"),)),
    ArticleText(
        "PSB-2026", E, "视频监控平台点位离线、无图像",
        "视频监控平台部分点位显示离线，预览无图像，录像回放失败。",
        "前端摄像机断电、光纤收发器故障或 IP 地址冲突。",
        "1. 在平台上 ping 摄像机地址，确认是单点还是整段离线。\n2. 整段离线检查汇聚交换机和光纤收发器指示灯。\n"
        "3. 单点离线安排现场检查电源和网线；更换设备后在平台上重新添加并核对通道号。",
        "视频监控 点位离线 无图像 摄像头 卡口 录像回放", "视频监控平台", (("应用系统", "视频监控平台"),)),
    ArticleText(
        "PSB-2026", R, "电脑弹出大量广告窗口或杀毒软件报病毒怎么办",
        "电脑右下角不断弹出广告，或终端安全软件提示发现病毒。",
        "安装了来路不明的软件，或插入了带病毒的 U 盘。",
        "1. 立即拔掉网线（公安信息网终端严禁连接互联网）。\n2. 不要删除或打开可疑文件，不要插拔 U 盘。\n"
        "3. 马上电话报告服务台 0571-86001234，由工程师现场处理并检查。",
        "病毒 木马 广告弹窗 杀毒 勒索 U 盘", "终端安全系统", (("安全", "病毒木马"),)),
    # --- manufacturing company (ERP, OA, e-mail, VPN) ----------------------------------------------------------------
    ArticleText(
        "JN-IT-2026", R, "出差期间 VPN 连接不上的自查步骤",
        "在外地打开 VPN 客户端连接失败，或连接成功后无法访问内网 ERP / OA。",
        "当前网络屏蔽了 VPN 端口、客户端版本过旧或账号密码已过期。",
        "1. 确认电脑能正常上网（先打开一个外部网站）。\n2. 酒店或机场 Wi-Fi 连不上时改用手机热点重试。\n"
        "3. 确认 VPN 客户端为最新版本，使用域账号和密码登录。\n4. 连接成功但访问不了内网时，断开后重新连接，"
        "并关闭其他代理软件。\n"
        "5. 提示“证书过期”请联系信息部。",
        "VPN 连接失败 出差 远程 内网 手机热点", "SSL VPN", (("网络", "VPN"),), solved_by=3),
    ArticleText(
        "JN-IT-2026", E, "SSL VPN 网关证书过期导致全员无法登录",
        "所有用户登录 VPN 提示“证书过期”或“服务器证书不受信任”。",
        "SSL VPN 网关的服务器证书到期未续。",
        "1. 在证书平台申请续期，导出含完整证书链的 PFX。\n2. 在 VPN 网关导入新证书并绑定到门户服务，"
        "业务低峰重启服务。\n"
        "3. 在运维日历中登记新证书到期日，提前 30 天提醒。",
        "SSL VPN 证书过期 网关 证书链", "SSL VPN", (("网络", "VPN"), ("安全", "CA 数字证书"))),
    ArticleText(
        "JN-IT-2026", R, "Outlook 反复提示输入密码",
        "打开 Outlook 后反复弹出密码框，输入正确密码后仍然弹出。",
        "最近修改过域密码，Windows 凭据管理器中仍保存着旧密码。",
        "1. 关闭 Outlook。\n2. 打开“控制面板 → 凭据管理器 → Windows 凭据”，删除与邮箱服务器有关的条目。\n"
        "3. 重新打开 Outlook，输入新密码并勾选“记住我的凭据”。",
        "Outlook 密码 反复 弹出 凭据 邮箱", "企业邮箱 Outlook", (("应用系统", "邮件系统"),), solved_by=2),
    ArticleText(
        "JN-IT-2026", R, "邮箱收不到外部邮件或发送大附件失败",
        "收不到客户或供应商的邮件；发送附件时提示“邮件过大”。",
        "邮箱空间已满，或附件超过 50 MB 的限制；对方邮件也可能进入了垃圾箱。",
        "1. 查看邮箱容量，清理“已发送”和“已删除”中的大邮件。\n2. 检查“垃圾邮件”文件夹，将对方地址加入白名单。\n"
        "3. 超过 50 MB 的附件请使用“超大附件”功能或公司网盘分享链接。",
        "邮箱 收不到 外部邮件 大附件 邮箱满 垃圾邮件", "企业邮箱", (("应用系统", "邮件系统"),)),
    ArticleText(
        "JN-IT-2026", R, "OA 公文附件无法打开或上传失败",
        "在 OA 中点击公文附件没有反应，或上传附件时提示失败。",
        "浏览器拦截了弹出窗口或插件，附件超过 20 MB。",
        "1. 在浏览器地址栏右侧允许本网站的弹出窗口。\n2. 使用兼容模式打开 OA。\n3. 上传的附件不要超过 20 MB，"
        "文件名中不要有特殊符号。",
        "OA 附件 打不开 上传失败 公文 弹出窗口", "OA 办公系统", (("应用系统", "OA 办公系统"),)),
    ArticleText(
        "JN-IT-2026", E, "用友 U8 月末结账失败的检查清单",
        "财务月末结账时提示“存在未记账凭证”或“有未审核单据”，无法结账。",
        "供应链模块存在未审核的入库单/出库单，或总账有未记账凭证。",
        "1. 在结账向导中查看工作报告，逐项定位未完成单据。\n2. 由业务部门审核或删除未完成单据，财务记账。\n"
        "3. 检查是否有异常任务占用（系统管理 → 清除异常任务）。\n4. 结账前做好账套备份。",
        "用友 U8 ERP 月末结账 未记账凭证 异常任务", "用友 U8", (("应用系统", "ERP"),)),
    ArticleText(
        "JN-IT-2026", R, "ERP 登录提示“加密狗未找到”",
        "打开用友 U8 登录时提示“未找到加密狗”或“许可数已满”。",
        "许可服务器上的加密狗松动，或同时登录的用户超过购买的许可数。",
        "1. 不用时请退出 U8，不要只关闭窗口。\n2. 等几分钟再登录；仍提示许可数已满请通知信息部清理无效登录。\n"
        "3. 提示未找到加密狗时请立即报修，由工程师检查许可服务器。",
        "ERP U8 加密狗 许可 登录失败", "用友 U8", (("应用系统", "ERP"),)),
    ArticleText(
        "JN-IT-2026", R, "电脑获取不到 IP 地址、网络时断时续",
        "右下角网络图标有黄色感叹号，提示“无 Internet”或 IP 地址为 169.254 开头。",
        "网线松动、交换机端口故障，或 DHCP 地址池已满。",
        "1. 检查网线两端是否插紧，换一根网线或换墙上另一个网口试试。\n2. 以管理员打开命令提示符，执行 ipconfig "
        "/release 再 ipconfig /renew。\n"
        "3. 同一办公室多台电脑都断网时请立即电话报修，注明楼层和房间。",
        "获取不到 IP 断网 网络中断 时断时续 DHCP 169.254", "厂区网络", (("网络", "局域网"),), solved_by=1),
    ArticleText(
        "JN-IT-2026", E, "MySQL 主从复制中断的恢复",
        "从库 SHOW SLAVE STATUS 显示 Slave_SQL_Running: No，Last_Error 为 1062 主键冲突。",
        "从库上有人直接写入数据，或主库 binlog 被提前清理。",
        "1. 确认错误类型：主键冲突可在核对数据后跳过该事务；binlog 缺失须重新搭建从库。\n"
        "2. 使用 GTID 的，用 SET GTID_NEXT 注入空事务跳过。\n3. 将从库设置为 super_read_only，防止再次直接写入。",
        "MySQL 主从复制 中断 1062 GTID binlog", "MySQL 8.0", (("数据库", "MySQL"),)),
    # --- drafts and one in review ---------------------------------------------------------------------------------
    ArticleText(
        "TAX-2026", E, "机房 UPS 切换到电池供电时的检查步骤",
        "UPS 告警“市电异常，电池供电”。", "市电中断或 UPS 输入开关故障。",
        "1. 确认市电状态并通知物业。\n2. 估算电池剩余时间，超过 15 分钟未恢复按应急预案有序关闭非核心服务器。",
        "UPS 电池 市电 告警 机房", "机房 UPS", (("硬件", "UPS 电源"),), status=ArticleStatus.DRAFT),
    ArticleText(
        "JN-IT-2026", R, "会议室无线网络连不上",
        "会议室连接“JN-Guest”后提示无法上网。", "访客网络需要短信认证，认证页面未弹出。",
        "1. 打开浏览器访问任意网址，等待认证页面。\n2. 输入手机号获取验证码。",
        "无线 WiFi 会议室 连不上 访客", "厂区无线网络", (("网络", "无线网络"),), status=ArticleStatus.DRAFT),
    ArticleText(
        "SI-2026", E, "服务器 RAID 降级告警的处理",
        "服务器管理口告警“Virtual Drive Degraded”，一块硬盘状态为 Failed。",
        "RAID 组中一块硬盘故障。",
        "1. 通过管理口确认故障盘槽位和型号。\n2. 联系原厂备件，热插拔更换后观察重建进度。\n3. 重建期间避免重启服务器。",
        "RAID 降级 硬盘 故障 Degraded 重建", "服务器", (("硬件", "服务器"),), status=ArticleStatus.IN_REVIEW),
]

# A correction published later as the second revision of an article (who edits: its author).
CORRECTION = ("打印机显示“脱机”、打印任务一直排队怎么办",
              "\n5. 笔记本电脑换过办公室后打印机脱机的，请在“设备和打印机”中删除旧打印机后重新添加。")


def _author(world: World, code: str) -> User:
    crew = world.contracts[code]
    return (crew.engineers or crew.agents)[0]


def build_knowledge(world: World, clock: SimulatedClock, now: dt.datetime) -> None:
    """Write, review and publish the demo articles through the knowledge services over the past months."""
    start = now - dt.timedelta(days=KNOWLEDGE_DAYS)
    step = dt.timedelta(days=KNOWLEDGE_DAYS) / (len(ARTICLES) + 2)
    by_title = {}
    for i, text in enumerate(ARTICLES):
        crew = world.contracts[text.contract]
        author, pm = _author(world, text.contract), crew.pm
        assert pm is not None
        written = start + step * i
        clock.set(written)
        article = article_create(
            by=author, contract=crew.contract, title=text.title, symptom=text.symptom, cause=text.cause,
            solution=text.solution, keywords=text.keywords, affected_systems=text.systems, audience=text.audience,
            categories=[world.categories[c].pk for c in text.categories])
        if text.status != ArticleStatus.DRAFT:
            clock.set(written + dt.timedelta(hours=2))
            article = article_act(article=article, action="submit", by=author)
        if text.status == ArticleStatus.PUBLISHED:
            clock.set(written + dt.timedelta(days=1))
            article = article_act(article=article, action="accept", by=pm)
            requesters = world.requesters[crew.org_key]
            for j, requester in enumerate(requesters[:text.solved_by]):
                clock.set(written + dt.timedelta(days=3 + j))
                article_mark_solved(article=article, by=requester)
        by_title[text.title] = article
    title, addition = CORRECTION
    article = by_title[title]
    article.refresh_from_db()
    clock.set(now - dt.timedelta(days=2))
    article_update(article=article, by=article.author, version=article.version,
                   solution=article.solution + addition)
    clock.set(now)

"""Demo problems, follow-ups, bug/requirement confirmations and staffed service requests, through the services.

Each procedure is left at telling points, so that every role of the client side has something in "my
approvals" (the application owner a report and a plan, the division leader a staffing request). Problems are
opened from the demo's escalated incidents (so both sides show the link): one under investigation, one a known
error, one solved with its follow-up half done, one solved and followed up to the end (its incident closed).
Written a few hours before "now" on the simulated clock.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from opsdesk.accounts.selectors import access_for
from opsdesk.followups.models import FollowUp
from opsdesk.followups.services import followup_act
from opsdesk.incidents.choices import IncidentStatus
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_act
from opsdesk.problems import services as problems
from opsdesk.problems.workflow import INVESTIGATORS

if TYPE_CHECKING:
    from opsdesk.demo import SimulatedClock, World

# (title, root cause, workaround, permanent solution, final state)
PROBLEMS = [
    ("金税系统开票模块间歇性超时", "数据库连接池上限 50，月初开票高峰被占满", "高峰期分批开票，失败后 5 分钟重试",
     "", "investigating"),
    ("电子税务局登录后跳回首页", "统一认证网关会话同步延迟，负载均衡节点间会话未共享", "清除浏览器缓存后重新登录",
     "", "known_error"),
    ("办公区打印服务反复崩溃", "打印驱动 5.0 与新补丁冲突", "重启 Print Spooler 服务",
     "统一升级打印驱动到 5.2 并关闭自动更新", "solved"),
    ("VPN 客户端频繁断线", "VPN 网关会话超时配置为 10 分钟", "断线后手动重连",
     "网关会话超时调整为 8 小时，客户端开启自动重连", "followed_up"),
]


def build_problems(world: World, clock: SimulatedClock, now: dt.datetime) -> None:
    """Problems from escalated incidents of the contracts that have a second line; follow-ups of the solved."""
    clock.set(now - dt.timedelta(hours=6))
    escalated = _escalated(world, clock, now, len(PROBLEMS))
    for (title, cause, workaround, solution, final), incident in zip(PROBLEMS, escalated, strict=False):
        handler = incident.assignee
        assert handler is not None
        _after(clock, incident, now)
        clock.advance(20, limit=now)
        prb = problems.problem_create_from_incidents(by=handler, incidents=[incident], title=title,
                                                     description=incident.description)
        clock.advance(15, limit=now)
        problems.problem_act(problem=prb, action="investigate", by=handler)
        if final in ("known_error", "solved", "followed_up"):
            clock.advance(40, limit=now)
            problems.problem_act(problem=prb, action="mark_known_error", by=handler,
                                 data={"root_cause": cause, "workaround": workaround})
        else:
            problems.problem_act(problem=prb, action="record_analysis", by=handler, data={"root_cause": cause})
        if final in ("solved", "followed_up"):
            clock.advance(60, limit=now)
            problems.problem_act(problem=prb, action="solve", by=handler, data={"solution": solution})
            _follow_up(world, clock, now, incident, complete=final == "followed_up")


def _after(clock: SimulatedClock, incident: Incident, now: dt.datetime) -> None:
    """History never goes backwards: move the clock past the incident's last change (never past now)."""
    if incident.updated_at > clock.at:
        clock.set(min(incident.updated_at + dt.timedelta(minutes=5), now))


def _escalated(world: World, clock: SimulatedClock, now: dt.datetime, wanted: int) -> list[Incident]:
    """Escalated incidents with a second-line assignee; a small demo escalates some being worked to have enough."""
    def investigates(user: Any, incident: Incident) -> bool:
        return bool(access_for(user).roles_on(incident.contract_id) & INVESTIGATORS)

    found = [i for i in Incident.objects.filter(status=IncidentStatus.ESCALATED, assignee__isnull=False)
             .select_related("contract", "assignee").order_by("id") if investigates(i.assignee, i)][:wanted]
    working = (Incident.objects.filter(status__in=(IncidentStatus.ACCEPTED, IncidentStatus.IN_PROGRESS),
                                       owner__isnull=False)
               .select_related("contract", "owner").order_by("id"))
    for incident in working:
        if len(found) >= wanted:
            break
        crew = world.contracts[incident.contract.code]
        second = [u for u in crew.second_line.values() if investigates(u, incident)]
        if not second:
            continue
        _after(clock, incident, now)
        clock.advance(10, limit=now)
        assert incident.owner is not None
        incident_act(incident=incident, action="escalate", by=incident.owner,
                     data={"reason": "一线无法定位原因，转二线", "assignee": second[0].username})
        incident.refresh_from_db()
        found.append(incident)
    return found


def _follow_up(world: World, clock: SimulatedClock, now: dt.datetime, incident: Incident, *,
               complete: bool) -> None:
    follow_up = FollowUp.objects.filter(ticket_number=incident.number).first()
    crew = world.contracts[incident.contract.code]
    engineer = (crew.engineers or crew.agents)[0]
    if follow_up is None:
        return
    steps: list[tuple[str, Any, dict[str, Any]]] = [
        ("verify", engineer, {"verification": "在测试终端按方案操作验证，问题不再出现"}),
        ("call_back", engineer, {"callback_note": "已电话告知用户处理方案，请其在工作电脑上确认"})]
    if complete and incident.requester is not None and crew.pm is not None:
        steps += [("confirm", incident.requester,
                   {"no_side_effects": True, "user_statement": "已经好了，其他功能正常"}),
                  ("update_tracking", crew.pm, {"tracking_note": "转出问题跟踪表已更新为关闭"}),
                  ("close", engineer, {"solution_record": "按问题管理的永久方案处理完毕"})]
    for action, who, data in steps:
        clock.advance(30, limit=now)
        follow_up.refresh_from_db()
        followup_act(follow_up=follow_up, action=action, by=who, data=data)


# --- bug and requirement confirmation (TAX-2026, the contract with a problem reviewer and client deciders) ---

CONFIRMATIONS = [
    # (kind, title, summary, impact, month offset: 1 = last month (non-urgent, in the monthly report), 0 = now)
    ("bug", "增值税申报表保存后再次打开为空", "申报表保存接口未提交事务", "纳税人需重新填报", 1),
    ("requirement", "发票查验结果需增加导出 Excel", "查验结果页增加导出功能", "人工抄录耗时", 1),
    ("bug", "个税汇算清缴页面金额合计错误", "合计金额未计入专项附加扣除", "少数纳税人应补税额显示错误", 0),
]


def build_confirmations(world: World, clock: SimulatedClock, now: dt.datetime) -> None:
    """Two non-urgent items confirmed last month in last month's report (submitted, waiting for the application
    owner), and one urgent item transferred and answered, through the services."""
    from opsdesk.confirmations import services as confirmations

    crew = world.contracts.get("TAX-2026")
    users = world.users
    if crew is None or not {"reviewer", "tax_owner", "tax_dev", "dba"} <= set(users):
        return
    reviewer, handler = users["reviewer"], users["dba"]
    first_of_month = timezone.localtime(now).replace(day=1, hour=10, minute=0, second=0, microsecond=0)
    last_month = (first_of_month - dt.timedelta(days=1)).replace(day=12)
    for kind, title, summary, impact, months_back in CONFIRMATIONS:
        clock.set(last_month if months_back else now - dt.timedelta(hours=3))
        item = confirmations.confirmation_create(by=handler, kind=kind, contract=crew.contract, title=title,
                                                 description=title, affected_system="金税三期核心征管系统")
        steps = [("take_review", {}),
                 ("reproduce" if kind == "bug" else "confirm_with_user",
                  {"check_notes": "在模拟环境按用户操作步骤重现" if kind == "bug" else "已与征管科确认属需求变更"}),
                 ("confirm", {"confirmed_with": "开发 王工" if kind == "bug" else "征管科 李科长", "summary": summary,
                              "impact": impact}),
                 ("queue_monthly" if months_back else "mark_urgent", {})]
        for action, data in steps:
            clock.advance(45, limit=now)
            item.refresh_from_db()
            confirmations.confirmation_act(item=item, action=action, by=reviewer, data=data)
        if not months_back:
            item.refresh_from_db()
            assert item.report is not None
            clock.advance(60, limit=now)
            confirmations.report_act(report=item.report, action="approve", by=users["tax_owner"])
            item.refresh_from_db()
            clock.advance(90, limit=now)
            confirmations.item_answer(report=item.report, item=item, by=users["tax_dev"],
                                      answer="已在 3.2.1 补丁中修复，下周发布", result="accepted")
    clock.set(now - dt.timedelta(hours=1))
    report, _added = confirmations.transfer_report_generate_monthly(contract=crew.contract, month=last_month.date(),
                                                                    by=reviewer)
    confirmations.report_act(report=report, action="submit", by=reviewer)


# --- staffed service requests -------------------------------------------------------------------------------

def build_service_requests(world: World, clock: SimulatedClock, now: dt.datetime) -> None:
    """Four requests on TAX-2026 at telling points: an urgent one followed up, a major change waiting for the
    division leader's staffing approval, a resource optimisation whose plan waits for the application owner, and
    an on-site visit scheduled."""
    from opsdesk.servicerequests import services as requests

    crew = world.contracts.get("TAX-2026")
    users = world.users
    if crew is None or crew.pm is None or not crew.engineers or not {"tax_owner", "tax_leader", "dba"} <= set(users):
        return
    owner, pm, dba, engineer = users["tax_owner"], crew.pm, users["dba"], crew.engineers[0]
    requester = world.requesters[crew.org_key][0]

    def act(sr: Any, action: str, by: Any, **data: Any) -> None:
        clock.advance(40, limit=now)
        sr.refresh_from_db()
        requests.request_act(sr=sr, action=action, by=by, data=data)

    def later(hours: int) -> str:
        return timezone.localtime(now + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")

    clock.set(now - dt.timedelta(hours=10))
    urgent = requests.request_create(by=owner, contract=crew.contract, kind="urgent", title="核心征管系统宕机",
                                     description="上午 9 点起全市办税大厅无法登录核心征管系统", requester=requester,
                                     affected_system="金税三期核心征管系统")
    act(urgent, "assess", dba, effort_hours="6", difficulty="high", needs_extra_resources=False)
    act(urgent, "dispatch", pm, handler=dba.username)
    act(urgent, "confirm_outage", dba, system_down=True, affected_business="全市办税大厅无法开票和申报")
    act(urgent, "restore", dba, restore_notes="切换到备用数据库节点，业务恢复")
    act(urgent, "record_solution", dba, root_cause="主库存储控制器故障", potential_risks="备库性能余量不足",
        solution="更换存储控制器并回切主库", om_advice="每周巡检存储控制器日志")
    act(urgent, "write_report", dba, phenomenon="核心征管系统无法登录", analysis="排查数据库与存储",
        cause="存储控制器故障", steps="切换备库、更换控制器、回切", log="09:05 接报；09:40 恢复；15:00 回切完成")

    change = requests.request_create(by=owner, contract=crew.contract, kind="major_change",
                                     title="核心征管数据库升级到 19c", description="数据库版本停止支持，需升级",
                                     affected_system="金税三期核心征管系统")
    act(change, "assess", dba, effort_hours="40", difficulty="high", needs_extra_resources=True)
    act(change, "apply_staffing", owner, staffing_resources="数据库厂商工程师 2 人 3 天",
        staffing_reason="跨大版本升级需要原厂支持")

    optimise = requests.request_create(by=owner, contract=crew.contract, kind="optimisation",
                                       title="月底申报高峰扩容应用服务器", description="月底响应时间超过 5 秒",
                                       affected_system="电子税务局")
    act(optimise, "assess", dba, effort_hours="16", difficulty="medium", needs_extra_resources=False)
    act(optimise, "dispatch", pm, handler=dba.username)
    act(optimise, "submit_plan", dba, plan="应用服务器由 4 台扩至 6 台，调整负载均衡权重",
        impact_analysis="夜间变更，不影响办税", rollback_plan="摘除新增节点")

    onsite = requests.request_create(by=requester, contract=crew.contract, kind="onsite",
                                     title="办税服务厅叫号机无法出票", description="二楼办税服务厅叫号机故障")
    act(onsite, "assess", engineer, effort_hours="3", difficulty="low", needs_extra_resources=False)
    act(onsite, "dispatch", pm, handler=engineer.username)
    act(onsite, "agree_arrival", engineer, agreed_arrival_at=later(20), resources_needed="备用热敏打印头")


def build_procedures(world: World, clock: SimulatedClock, now: dt.datetime) -> None:
    build_problems(world, clock, now)
    build_confirmations(world, clock, now)
    build_service_requests(world, clock, now)

"""Issue 6 in a real browser: an escalated incident becomes a problem; the handler submits it as a program bug,
the problem reviewer reproduces and confirms it, it goes out urgently, the application owner approves the
transfer-out report and the application division answers; the problem is solved and the incident closes
after the follow-up (verify → call back → the requester confirms → tracking table → close)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from opsdesk.followups.models import FollowUp
from opsdesk.incidents.models import Incident
from opsdesk.problems.models import Problem
from tests.factories import UserFactory, grant
from tests.problems.conftest import escalated_incident

from .pages import IncidentDetailPage, LoginPage

pytestmark = pytest.mark.browser


class RecordPage(IncidentDetailPage):
    """Any record page built on the shared action partial (problems, follow-ups, confirmations…)."""

    def __init__(self, page, url: str) -> None:
        self.page, self.url, self.number = page, url, url.rstrip("/").rsplit("/", 1)[-1]


def test_escalated_incident_to_problem_to_follow_up_closure(world, live_server, new_page):
    base = live_server.url
    incident = escalated_incident(world, title="打印服务反复崩溃")

    # Second line opens a problem from the incident's page and solves it.
    dba = new_page()
    LoginPage(dba, base).login("dba")
    IncidentDetailPage(dba, base, incident.number).open()
    dba.locator(".create-problem-link").click()
    dba.wait_for_url(re.compile(r"/problems/new/"))
    with dba.expect_navigation():
        dba.locator("form button[type=submit]").last.click()
    dba.wait_for_url(re.compile(r"/problems/PRB-\d{8}-\d{4,}/$"))
    problem = RecordPage(dba, dba.url)
    expect(dba.locator("#linked-incidents")).to_contain_text(incident.number)
    problem.take("investigate")

    # The handler submits it as a program bug; the reviewer reproduces, confirms and sends it out today.
    grant(UserFactory(username="reviewer", full_name="郑审核"), "reviewer", world.contract_a)
    grant(UserFactory(username="owner_a", full_name="钱负责人", organisation=world.org_a), "app_owner",
          world.contract_a)
    grant(UserFactory(username="appdiv_a", full_name="曹应用处", organisation=world.org_a), "app_division",
          world.contract_a)
    dba.locator(".confirmation-link").click()
    dba.wait_for_url(re.compile(r"/confirmations/new/"))
    expect(dba.locator("[name=problem]")).to_have_value(problem.number)
    with dba.expect_navigation():
        dba.locator("#confirmation-form button[type=submit]").click()
    dba.wait_for_url(re.compile(r"/confirmations/BUG-\d{8}-\d{4,}/$"))
    item_url = dba.url
    reviewer = new_page()
    LoginPage(reviewer, base).login("reviewer")
    item = RecordPage(reviewer, item_url)
    item.open()
    item.take("take_review")
    item.take("reproduce", check_notes="在模拟环境按用户步骤重现，打印服务崩溃")
    item.take("confirm", confirmed_with="开发 王工", summary="打印驱动与补丁冲突导致服务崩溃",
              impact="全楼无法打印")
    item.take("mark_urgent")
    expect(reviewer.locator(".status-badge").first).to_have_text("已列入转出报告")

    # The application owner finds the report under "my approvals" and approves it.
    owner = new_page()
    LoginPage(owner, base).login("owner_a")
    owner.goto(f"{base}/approvals/")
    owner.locator("#approvals a.btn").first.click()
    owner.wait_for_url(re.compile(r"/confirmations/reports/TR-"))
    RecordPage(owner, owner.url).take("approve")
    expect(owner.locator(".status-badge").first).to_have_text("已转应用处")

    # The application division answers the item.
    division = new_page()
    LoginPage(division, base).login("appdiv_a")
    division.goto(owner.url)
    answer = division.locator(".answer-form").first
    answer.locator("[name=answer]").fill("已在 3.2 版本修复")
    answer.locator("[name=result]").select_option("fixed")
    with division.expect_navigation():
        answer.locator("button[type=submit]").click()
    expect(division.locator(".item-answer")).to_contain_text("已在 3.2 版本修复")

    problem.open()
    problem.take("solve", root_cause="打印驱动 5.0 与补丁冲突", solution="统一升级打印驱动到 5.2")
    assert Problem.objects.get(number=problem.number).status == "solved"
    follow_up = FollowUp.objects.get(ticket_number=incident.number)

    # The on-site engineer verifies and calls the requester back.
    engineer = new_page()
    LoginPage(engineer, base).login("engineer")
    fu = RecordPage(engineer, f"{base}/follow-ups/{follow_up.number}/")
    fu.open()
    fu.take("verify", verification="在测试机上验证，打印正常")
    fu.take("call_back", callback_note="已电话告知用户升级驱动")

    # The requester confirms from their ticket in the portal.
    requester = new_page()
    LoginPage(requester, base).login("req_a")
    IncidentDetailPage(requester, base, incident.number, portal=True).open()
    requester.locator(f"#ticket-followups a:has-text('{follow_up.number}')").click()
    requester.wait_for_url(re.compile(follow_up.number))
    details = requester.locator(".incident-actions details[data-action='confirm']")
    details.locator("summary").click()
    details.locator("[name='no_side_effects']").check()
    with requester.expect_navigation():
        details.locator("button[type=submit]").click()

    # The project manager updates the tracking table; the engineer closes; the incident is closed.
    pm = new_page()
    LoginPage(pm, base).login("pm")
    tracking = RecordPage(pm, f"{base}/follow-ups/{follow_up.number}/")
    tracking.open()
    tracking.take("update_tracking")
    fu.open()
    fu.take("close")
    expect(engineer.locator(".status-badge").first).to_have_text("已关闭")
    assert Incident.objects.get(pk=incident.pk).status == "closed"
    IncidentDetailPage(engineer, base, incident.number).open()
    expect(engineer.locator(".status-badge").first).to_have_text("已关闭")

"""Issue 5's journey: while the agent types the caller's problem, the known fix appears; one click applies
it, the incident is logged with it and resolved."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from opsdesk.incidents.choices import IncidentStatus
from opsdesk.incidents.models import Incident
from opsdesk.knowledge import services as knowledge

from .pages import IncidentDetailPage, LoginPage

pytestmark = pytest.mark.browser

SOLUTION = "重启 Print Spooler 服务，取消“脱机使用打印机”，重新打印测试页。"


def test_agent_applies_the_suggested_article_and_resolves(world, live_server, new_page):
    article = knowledge.article_create(by=world.agent, contract=world.contract_a, title="打印机脱机无法打印",
                                       symptom="打印机显示脱机，打印任务一直排队", solution=SOLUTION,
                                       keywords="脱机 打印队列", audience="requester")
    knowledge.article_act(article=article, action="submit", by=world.agent)
    knowledge.article_act(article=article, action="accept", by=world.pm)
    base = live_server.url
    page = new_page()
    LoginPage(page, base).login("agent")
    page.goto(f"{base}/incidents/new/")

    keyboard = page.keyboard
    keyboard.type("13800001111")  # the caller field has the focus
    keyboard.press("Enter")
    expect(page.locator("#caller-results input[name=requester]").first).to_be_visible()
    keyboard.press("ArrowDown")
    keyboard.press("Space")
    page.locator("[name=title]").focus()
    keyboard.type("打印机打印不出来")
    page.locator("[name=description]").focus()
    keyboard.type("财务室的打印机一直显示脱机，任务排着队打不出来")

    suggestion = page.locator(f"#kb-suggestions [data-article='{article.number}']")
    expect(suggestion).to_be_visible()
    expect(suggestion.locator("mark").first).to_be_visible()
    suggestion.locator("[data-apply-article]").focus()
    keyboard.press("Enter")  # keyboard alone: the button is focusable
    expect(page.locator("#applied-article")).to_contain_text(article.number)
    expect(page.locator("#applied-article")).to_contain_text("Print Spooler")

    page.locator("#incident-form button[accesskey=s]").click()
    page.wait_for_url(re.compile(r"/incidents/INC-\d{8}-\d{4,}/$"))
    number = page.url.rstrip("/").rsplit("/", 1)[-1]
    expect(page.locator("#timeline")).to_contain_text(article.number)

    detail = IncidentDetailPage(page, base, number)
    detail.take("accept")
    page.locator(".incident-actions details[data-action='resolve'] summary").click()
    expect(page.locator(".incident-actions details[data-action='resolve'] [name=solution]")).to_have_value(SOLUTION)
    with page.expect_navigation():
        page.locator(".incident-actions details[data-action='resolve'] button[type=submit]").click()

    incident = Incident.objects.get(number=number)
    assert incident.status == IncidentStatus.AWAITING_CONFIRMATION
    assert incident.solution == SOLUTION
    article.refresh_from_db()
    assert article.solved_count == 1

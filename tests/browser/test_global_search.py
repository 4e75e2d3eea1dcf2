"""The header search box and the portal's self-help suggestions in a real browser: a requester types a
problem and sees a self-help article appear before sending (it opens in a new tab, so the draft stays), then
searches from the header box by keyboard and opens a hit."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from opsdesk.knowledge import services as knowledge

from .pages import LoginPage

pytestmark = pytest.mark.browser


def test_self_help_before_submitting_and_header_search(world, live_server, new_page):
    base = live_server.url
    art = knowledge.article_create(by=world.agent, contract=world.contract_a, title="打印机脱机的自助处理",
                                   audience="requester", symptom="打印机显示脱机，打印任务一直排队",
                                   solution="重启 Print Spooler 服务后重新打印")
    knowledge.article_act(article=art, action="submit", by=world.agent)
    knowledge.article_act(article=art, action="accept", by=world.pm)
    secret = knowledge.article_create(by=world.agent, contract=world.contract_a, title="打印机脱机：服务器端排查",
                                      audience="engineer", symptom="打印服务器队列堵塞")
    knowledge.article_act(article=secret, action="submit", by=world.agent)
    knowledge.article_act(article=secret, action="accept", by=world.pm)

    page = new_page()
    LoginPage(page, base).login("req_a")
    page.goto(f"{base}/portal/new/")
    page.locator("[name=title]").press_sequentially("打印机脱机")
    suggestion = page.locator(f".self-help-suggestion[data-number='{art.number}'] a")
    expect(suggestion).to_be_visible()
    expect(suggestion).to_have_attribute("target", "_blank")
    expect(page.locator(f".self-help-suggestion[data-number='{secret.number}']")).to_have_count(0)
    expect(page.locator(".self-help-suggestions .card-footer")).to_be_visible()
    expect(page.locator("[name=title]")).to_have_value("打印机脱机")  # the draft is untouched

    # The header box (access key Q; synthesized Alt+Q does not reach headless Chromium's access keys, so the
    # box is focused directly), then words and Enter.
    box = page.locator("#header-search-q")
    expect(box).to_have_attribute("accesskey", "q")
    box.focus()
    page.keyboard.type("打印机脱机")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q="))
    hit = page.locator(f".search-hit[data-number='{art.number}']")
    expect(hit).to_be_visible()
    expect(hit.locator("mark").first).to_be_visible()
    expect(page.locator(f".search-hit[data-number='{secret.number}']")).to_have_count(0)
    with page.expect_navigation():
        hit.locator("a.hit-title").click()
    expect(page).to_have_url(re.compile(rf"/knowledge/self-help/{art.number}/$"))

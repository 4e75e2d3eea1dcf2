"""Issue 4's portal journey on a phone-sized screen: the requester reports a problem with a category and a
photo, the agent answers and resolves on a desktop, the requester sees the answer (and the bell), confirms
and rates, all at 375 px without sideways scrolling."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from opsdesk.core.models import Attachment
from opsdesk.incidents.models import Incident, SatisfactionRating
from opsdesk.incidents.services import incident_category_create

from .pages import IncidentDetailPage, LoginPage

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def phone_page(browser) -> Iterator[Page]:
    """A page in a phone-sized context (375×812, touch) of the session's one browser."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide"


def big_enough(page: Page, selector: str) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None and box["height"] >= 44 - 0.5, (selector, box)


def test_report_answer_confirm_and_rate_on_a_phone(world, live_server, new_page, phone_page):
    base = live_server.url
    incident_category_create(by=None, name="打印机", parent=incident_category_create(by=None, name="硬件"))
    phone = phone_page

    # The requester reports a problem on the phone, with a category and a photo of the error.
    LoginPage(phone, base).login("req_a")
    phone.goto(f"{base}/portal/new/")
    no_sideways_scroll(phone)
    phone.fill("[name=title]", "三楼打印机卡纸")
    phone.select_option("[name=category]", label="硬件 / 打印机")
    phone.fill("[name=description]", "打印到一半卡纸，指示灯闪红")
    phone.set_input_files("[name=attachments]", files=[
        {"name": "报错照片.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff fake jpeg"}])
    big_enough(phone, "#portal-incident-form button[type=submit]")
    with phone.expect_navigation():
        phone.locator("#portal-incident-form button[type=submit]").click()
    expect(phone).to_have_url(re.compile(r"/portal/incidents/INC-\d{8}-\d{4,}/$"))
    number = phone.url.rstrip("/").rsplit("/", 1)[-1]
    expect(phone.locator(".incident-category")).to_have_text("硬件 / 打印机")
    expect(phone.locator(".attachment-link")).to_have_text("报错照片.jpg")
    no_sideways_scroll(phone)
    incident = Incident.objects.get(number=number)
    assert incident.category.name == "打印机" and Attachment.objects.filter(object_id=incident.pk).count() == 1

    # Its row in "my tickets" says in plain words what happens next.
    phone.goto(f"{base}/portal/")
    expect(phone.locator(f"tr[data-number='{number}']")).to_be_visible()
    no_sideways_scroll(phone)

    # The agent answers on a desktop: a comment, then the solution.
    agent = new_page()
    LoginPage(agent, base).login("agent")
    desk = IncidentDetailPage(agent, base, number)
    desk.open()
    desk.take("accept")
    agent.fill("#comment-form [name=body]", "请先关机取出卡住的纸张，我们的工程师马上到。")
    with agent.expect_navigation():
        agent.locator("#comment-form button[type=submit]").click()
    desk.take("resolve", solution="更换了搓纸轮，测试打印正常。")

    # The requester sees the answer, and the bell has news.
    detail = IncidentDetailPage(phone, base, number, portal=True)
    detail.open()
    expect(phone.locator("#timeline")).to_contain_text("请先关机取出卡住的纸张")
    expect(phone.locator(".confirm-prompt")).to_contain_text("更换了搓纸轮")
    expect(phone.locator(".notification-bell .notification-count")).to_be_visible()
    no_sideways_scroll(phone)

    # Confirms with a thumb-sized button, then rates.
    big_enough(phone, ".incident-actions form[data-action='confirm'] button")
    detail.take("confirm")
    rating = phone.locator("form.rating-form")
    expect(rating).to_be_visible()
    no_sideways_scroll(phone)
    big_enough(phone, ".rating-option")
    rating.locator(".rating-option", has=phone.locator("input[value='5']")).click()
    rating.locator("[name=comment]").fill("响应很快，谢谢！")
    with phone.expect_navigation():
        rating.locator("button[type=submit]").click()
    expect(phone.locator(".rating-card .rating-score")).to_have_attribute("data-score", "5")
    expect(phone.locator("form.rating-form")).to_have_count(0)
    assert SatisfactionRating.objects.get(incident__number=number).score == 5

    # The agent sees the rating on the staff page.
    desk.open()
    expect(agent.locator(".rating-card")).to_contain_text("响应很快，谢谢！")


def test_the_bell_counts_unread_and_opening_marks_read(world, live_server, new_page, phone_page):
    base = live_server.url
    incident = world.incident(title="邮箱登录不了")
    phone = phone_page
    LoginPage(phone, base).login("req_a")
    phone.goto(f"{base}/portal/")
    expect(phone.locator(".notification-bell-count")).to_be_attached()
    expect(phone.locator(".notification-bell .notification-count")).to_have_count(0)

    agent = new_page()
    LoginPage(agent, base).login("agent")
    desk = IncidentDetailPage(agent, base, incident.number)
    desk.open()
    desk.take("accept")
    desk.take("resolve", solution="已重置密码。")

    phone.reload()
    count = phone.locator(".notification-bell .notification-count")
    expect(count).to_be_visible()
    unread = int(count.get_attribute("data-unread"))
    assert unread >= 1
    phone.locator(".notification-bell").click()
    phone.wait_for_url(re.compile(r"/notifications/"))
    no_sideways_scroll(phone)
    item = phone.locator(".notification-list [data-unread='1']", has_text=incident.number).first
    expect(item).to_be_visible()
    with phone.expect_navigation():
        item.click()  # opening it marks it read and leads to the ticket
    expect(phone).to_have_url(re.compile(incident.number))
    expect(phone.locator(".notification-bell-count")).to_be_attached()
    remaining = phone.locator(".notification-bell .notification-count")
    if unread == 1:
        expect(remaining).to_have_count(0)
    else:
        expect(remaining).to_have_attribute("data-unread", str(unread - 1))
    phone.goto(f"{base}/notifications/")
    expect(phone.locator(".notification-list [data-unread='1']", has_text=incident.number)).to_have_count(0)

"""The phone-call-to-closure journey of issue 2, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from opsdesk.incidents.choices import IncidentStatus
from opsdesk.incidents.models import Incident, WorkOrder

from .pages import IncidentCreatePage, IncidentDetailPage, LoginPage, PortalPage

pytestmark = pytest.mark.browser


def test_phone_call_to_closure(world, live_server, new_page):
    base = live_server.url

    # The agent logs a phone call with the keyboard alone, accepts it and dispatches an engineer.
    agent = new_page()
    LoginPage(agent, base).login("agent")
    create = IncidentCreatePage(agent, base)
    create.open()
    number = create.log_call_by_keyboard(phone="13800001111", title="三楼打印机无法打印", level=3)
    detail = IncidentDetailPage(agent, base, number)
    expect(agent.locator(".incident-title")).to_have_text("三楼打印机无法打印")
    detail.take("accept")
    detail.take("dispatch", engineer="engineer", site="三楼办公区")
    expect(agent.locator(".work-orders")).to_contain_text("李工程师")

    # The engineer arrives on site and resolves it.
    engineer = new_page()
    LoginPage(engineer, base).login("engineer")
    on_site = IncidentDetailPage(engineer, base, number)
    on_site.open()
    on_site.take("record_arrival")
    on_site.expect_no_action("record_arrival")
    assert WorkOrder.objects.get(incident__number=number).arrived_at is not None
    on_site.take("resolve", solution="更换硒鼓并清理进纸通道，测试打印正常。")

    # The requester confirms in the portal; the incident shows closed.
    requester = new_page()
    LoginPage(requester, base).login("req_a")
    mine = PortalPage(requester, base).open_ticket(number)
    expect(requester.locator(".confirm-prompt")).to_be_visible()
    mine.take("confirm")
    expect(requester.locator(".status-badge").first).to_have_text("已关闭")

    incident = Incident.objects.get(number=number)
    assert incident.status == IncidentStatus.CLOSED
    assert incident.owner.username == "agent" and incident.requester.username == "req_a"

    # The agent's page shows it closed too, in English when asked.
    english = new_page(locale="en-US")
    LoginPage(english, base).login("agent")
    IncidentDetailPage(english, base, number).open()
    expect(english.locator(".status-badge").first).to_have_text("Closed")

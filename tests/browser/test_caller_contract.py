"""In the browser: choosing a caller preselects the contract of their organisation, never over the agent's pick."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import grant

from .pages import LoginPage

pytestmark = pytest.mark.browser


def test_caller_choice_preselects_their_contract(world, live_server, new_page):
    grant(world.agent, "agent", world.contract_b)
    page = new_page()
    LoginPage(page, live_server.url).login("agent")
    page.goto(f"{live_server.url}/incidents/new/")
    contract = page.locator("#id_contract")
    expect(contract).to_have_value("")
    page.locator("#caller-q").fill("钱五")
    page.keyboard.press("Enter")
    expect(page.locator("#caller-results input[value='req_b']")).to_be_checked()  # the only match
    expect(contract).to_have_value("HRSS-2026")

    contract.select_option("TAX-2026")  # the agent knows better: a later caller choice leaves it alone
    page.locator("#caller-q").fill("张三")
    page.keyboard.press("Enter")
    expect(page.locator("#caller-results input[value='req_a']")).to_be_checked()
    page.locator("#caller-q").fill("钱五")
    page.keyboard.press("Enter")
    expect(page.locator("#caller-results input[value='req_b']")).to_be_checked()
    expect(contract).to_have_value("TAX-2026")

"""Page objects for the browser journeys: each knows one page's URL and controls, tests speak in steps."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD


class LoginPage:
    def __init__(self, page: Page, base_url: str) -> None:
        self.page, self.base_url = page, base_url

    def login(self, username: str, password: str = PASSWORD) -> None:
        self.page.goto(f"{self.base_url}/accounts/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.press("input[name=password]", "Enter")
        self.page.wait_for_load_state("load")
        expect(self.page.locator("input[name=password]")).to_have_count(0)


class IncidentCreatePage:
    """The agent's phone-call form, driven with the keyboard only."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page, self.base_url = page, base_url

    def open(self) -> None:
        self.page.goto(f"{self.base_url}/incidents/new/")

    def log_call_by_keyboard(self, *, phone: str, title: str, level: int) -> str:
        keyboard = self.page.keyboard
        # The caller field has the focus when the page opens.
        expect(self.page.locator("#caller-q")).to_be_focused()
        keyboard.type(phone)
        keyboard.press("Enter")
        expect(self.page.locator("#caller-results input[name=requester]").first).to_be_visible()
        keyboard.press("ArrowDown")  # to the first person found
        keyboard.press("Space")      # choose them
        expect(self.page.locator("#caller-results input[name=requester]:checked")).to_have_count(1)
        expect(self.page.locator("#caller-recent")).to_be_visible()
        self.page.locator("[name=title]").focus()
        keyboard.type(title)
        keyboard.press("Tab")  # into the level choice, on the level checked now (if any)
        checked = self.page.locator("input[name=level]:checked")
        current = int(checked.get_attribute("value")) if checked.count() else 1
        if not checked.count():
            keyboard.press("Space")
        for _ in range(abs(level - current)):  # arrow keys move the choice within the radio group
            keyboard.press("ArrowDown" if level > current else "ArrowUp")
        expect(self.page.locator(f"input[name=level][value='{level}']")).to_be_checked()
        self.page.locator("[name=description]").focus()
        keyboard.type("来电反映：打印时提示“脱机”，已重启电脑无效。")
        keyboard.press("Control+Enter")
        self.page.wait_for_url(re.compile(r"/incidents/INC-\d{8}-\d{4,}/$"))
        return self.page.url.rstrip("/").rsplit("/", 1)[-1]


class IncidentDetailPage:
    def __init__(self, page: Page, base_url: str, number: str, *, portal: bool = False) -> None:
        self.page, self.base_url, self.number = page, base_url, number
        self.url = f"{base_url}/portal/incidents/{number}/" if portal else f"{base_url}/incidents/{number}/"

    def open(self) -> None:
        self.page.goto(self.url)

    def status(self) -> str:
        return self.page.locator(".status-badge").first.inner_text().strip()

    def take(self, action: str, **fields: str) -> None:
        """Press an action's button; for an action with inputs, fill its small form and submit it."""
        page = self.page
        details = page.locator(f".incident-actions details[data-action='{action}']")
        if details.count():
            details.locator("summary").click()
            form = details.locator("form")
            for name, value in fields.items():
                control = form.locator(f"[name='{name}']")
                if control.evaluate("el => el.tagName") == "SELECT":
                    control.select_option(value)
                else:
                    control.fill(value)
            with page.expect_navigation():
                form.locator("button[type=submit]").click()
        else:
            with page.expect_navigation():
                page.locator(f".incident-actions form[data-action='{action}'] button[type=submit]").click()

    def expect_actions(self, *names: str) -> None:
        for name in names:
            expect(self.page.locator(f".incident-actions [data-action='{name}']")).to_have_count(1)

    def expect_no_action(self, name: str) -> None:
        expect(self.page.locator(f".incident-actions [data-action='{name}']")).to_have_count(0)
        expect(self.page.locator(f".timeline-entry[data-action='{name}']").first).to_be_visible()


class PortalPage:
    def __init__(self, page: Page, base_url: str) -> None:
        self.page, self.base_url = page, base_url

    def open_ticket(self, number: str) -> IncidentDetailPage:
        self.page.goto(f"{self.base_url}/portal/")
        self.page.get_by_role("link", name=re.compile(number)).first.click()
        self.page.wait_for_url(re.compile(number))
        return IncidentDetailPage(self.page, self.base_url, number, portal=True)

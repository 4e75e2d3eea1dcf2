"""The month view and loading a year (preview → apply) in Debian's Chromium, with page objects."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from opsdesk.calendars.models import StatutoryDay
from tests.calendars.conftest import _seeded, sysadmin  # noqa: F401  (the calendar tests' fixtures, shared)

from .pages import LoginPage

pytestmark = pytest.mark.browser


class MonthPage:
    """A calendar's month view: one cell per date with its kind; previous / next month swap in place."""

    def __init__(self, page: Page, base_url: str, code: str) -> None:
        self.page, self.base_url, self.code = page, base_url, code

    def open(self, month: str) -> None:
        self.page.goto(f"{self.base_url}/calendars/{self.code}/?month={month}")

    def day(self, iso: str):
        return self.page.locator(f"#calendar-month td[data-date='{iso}']")

    def next_month(self) -> None:
        self.page.locator("#calendar-month .month-next").click()


class HolidayLoadPage:
    """The statutory-holiday page: type a year's days, preview what changes, apply."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page, self.base_url = page, base_url

    def open(self) -> None:
        self.page.goto(f"{self.base_url}/calendars/holidays/")

    def preview(self, *, year: int, lines: str) -> None:
        form = self.page.locator("form.year-load-form")
        form.locator("[name=year]").fill(str(year))
        form.locator("input[name=source][value=entered]").check()
        form.locator("[name=lines]").fill(lines)
        with self.page.expect_navigation():
            form.locator("button[name=preview]").click()

    def apply(self) -> None:
        with self.page.expect_navigation():
            self.page.locator("form.apply-form button[name=apply]").click()


def test_month_view_and_loading_a_year(sysadmin, live_server, new_page):  # noqa: F811 (fixture)
    base = live_server.url
    page = new_page()
    LoginPage(page, base).login("sysadmin")

    month = MonthPage(page, base, "5x8")
    month.open("2026-09")
    expect(month.day("2026-09-20")).to_have_attribute("data-kind", "adjusted_working")  # Sunday, worked
    expect(month.day("2026-09-25")).to_contain_text("中秋")
    month.next_month()  # htmx swaps the month and pushes the URL
    expect(page.locator("#calendar-month")).to_have_attribute("data-month", "2026-10")
    expect(page).to_have_url(f"{base}/calendars/5x8/?month=2026-10")
    expect(month.day("2026-10-01")).to_have_attribute("data-kind", "holiday")
    expect(month.day("2026-10-10")).to_contain_text("09:00–12:00")

    holidays = HolidayLoadPage(page, base)
    holidays.open()
    holidays.preview(year=2027, lines="2027-01-01,holiday,元旦\n2027-02-06~2027-02-13,休,春节\n2027-02-14,班,春节")
    expect(page.locator(".preview-changes tr[data-change='added']")).to_have_count(10)
    assert not StatutoryDay.objects.filter(year=2027).exists()
    holidays.apply()
    expect(page.locator(".statutory-days tr[data-date='2027-02-14']")).to_have_attribute("data-kind", "workday")

    month.open("2027-02")
    expect(month.day("2027-02-14")).to_have_attribute("data-kind", "adjusted_working")
    expect(page.locator("#calendar-month .missing-years")).to_have_count(0)

"""Playwright journeys in Debian's Chromium against a live OpsDesk server (pytest-django's live_server).

Chromium comes from Debian (`apt-get install chromium`, done by scripts/test); Playwright never downloads a
browser. The flags keep Chromium off the network: this machine only talks to loopback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("OPSDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-results"

# Playwright's sync API runs an event loop in this thread; Django's ORM (used by the fixtures, not by the
# browser) would otherwise refuse to run beside it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session", autouse=True)
def _assets() -> None:
    vendor = ROOT / "src" / "opsdesk" / "static" / "vendor" / "tabler"
    if not (vendor / "tabler.min.css").exists():
        subprocess.run([str(ROOT / "scripts" / "build-assets")], check=True, cwd=ROOT)  # noqa: S603


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, request):
    """`new_page()` → a page in a fresh browser context (its own cookies: one person per context)."""
    contexts = []

    def _new_page(locale: str = "zh-CN"):
        context = browser.new_context(locale=locale, timezone_id="Asia/Shanghai", viewport={"width": 1400,
                                                                                               "height": 1000})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield _new_page
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for i, context in enumerate(contexts):
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for j, page in enumerate(context.pages):
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{i}-{j}.png"), full_page=True)
        context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)

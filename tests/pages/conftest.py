"""Fixtures of the page tests: the front-end assets built once, logged-in clients per person of the world."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.test import Client

from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "src" / "opsdesk" / "static" / "vendor" / "tabler"


@pytest.fixture(scope="session", autouse=True)
def _assets() -> None:
    """The pages link Tabler from static/vendor/; build it when a fresh checkout has not yet."""
    if not (VENDOR / "tabler.min.css").exists() or not (VENDOR / "tabler.min.js").exists():
        subprocess.run([str(ROOT / "scripts" / "build-assets")], check=True, cwd=ROOT)  # noqa: S603


@pytest.fixture
def login(client):
    """`login(user)` → a test client logged in as that person (a fresh client each call)."""
    def _login(user) -> Client:
        c = Client()
        assert c.login(username=user.username, password=PASSWORD)
        return c
    return _login

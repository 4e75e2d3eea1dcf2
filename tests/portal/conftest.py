"""Fixtures of the portal tests: the page tests' logged-in clients and the SLA tests' calendars and policies."""

from __future__ import annotations

from tests.pages.conftest import _assets, login  # noqa: F401
from tests.sla.conftest import calendars, gold  # noqa: F401

"""Fixtures of the calendar tests: the seeded calendars and holidays, administrators, engines by code."""

from __future__ import annotations

import pytest

from opsdesk.accounts.models import User
from opsdesk.calendars.defaults import install_defaults
from opsdesk.calendars.models import Calendar
from opsdesk.calendars.selectors import calendar_engine
from tests.api.conftest import anonymous  # noqa: F401  (the API tests' anonymous client, shared)
from tests.factories import UserFactory, grant
from tests.pages.conftest import login  # noqa: F401  (logged-in page clients, shared)


@pytest.fixture(autouse=True)
def _seeded(request) -> None:
    """The data migration seeds 24x7, 5x8 and the package's holiday years; a transactional test elsewhere in
    the same worker flushes them, so they are put back (inside this test's transaction) when missing."""
    if "db" in request.fixturenames or "world" in request.fixturenames or "transactional_db" in request.fixturenames:
        request.getfixturevalue("db")
        install_defaults()


@pytest.fixture
def five_by_eight(db) -> Calendar:
    return Calendar.objects.get(code="5x8")


@pytest.fixture
def engine_of():
    """`engine_of("5x8")` → the cached engine of that calendar, as the SLA engine gets it."""
    def _engine(code: str):
        return calendar_engine(Calendar.objects.get(code=code))
    return _engine


@pytest.fixture
def sysadmin(world) -> User:
    """A system administrator (role on a contract), who may change calendars."""
    return grant(UserFactory(username="sysadmin", full_name="系统管理员"), "system_admin", world.contract_a)


@pytest.fixture
def superuser(db) -> User:
    user = UserFactory(username="root", full_name="超级管理员")
    user.is_superuser = True
    user.is_staff = True
    user.save()
    return user

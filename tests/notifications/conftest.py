"""Fixtures of the notification tests: signals delivered as in production (after commit, jobs run at once
under HUEY_IMMEDIATE), logged-in page clients and API clients per person."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from huey.contrib.djhuey import HUEY

from opsdesk.notifications.models import Notification
from opsdesk.notifications.tasks import SLA_BURST_KEY

from ..sla.conftest import calendars, gold  # noqa: F401  (shared with the SLA tests)


@pytest.fixture
def live(django_capture_on_commit_callbacks):
    """`with live(): ...` runs the after-commit callbacks (signals → delivery jobs) when the block ends, as a
    real commit would; without it the test transaction never commits and no signal is sent (a lost signal)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def run_scheduled() -> int:
    """Run the jobs scheduled for later (the SLA burst delivery) as the consumer would once they are due."""
    later = HUEY._get_timestamp() + dt.timedelta(minutes=5)
    due = HUEY.read_schedule(later)
    for task in due:
        HUEY.execute(task, timestamp=later)
    return len(due)


@pytest.fixture(autouse=True)
def _fresh_queue():
    """No burst marker or scheduled job left over from another test of this process."""
    cache.delete(SLA_BURST_KEY)
    HUEY.read_schedule(HUEY._get_timestamp() + dt.timedelta(days=1))
    yield
    cache.delete(SLA_BURST_KEY)


def told(incident=None, **filters) -> set[tuple[str, str]]:
    """(username, kind) of the notifications delivered (about `incident`)."""
    qs = Notification.objects.filter(**filters)
    if incident is not None:
        qs = qs.filter(object_id=incident.pk)
    return {(n.recipient.username, n.kind) for n in qs.select_related("recipient")}


@pytest.fixture
def robot_api(settings):
    """The DingTalk / WeCom / Feishu robot APIs on a loopback port (see servers.RobotApi), which robots may
    call in these tests."""
    from ..servers import RobotApi, serve_robots

    settings.OPSDESK_ROBOT_ALLOWED_HOSTS = [*settings.OPSDESK_ROBOT_ALLOWED_HOSTS, "127.0.0.1"]
    api = RobotApi(secret="SEC0123456789abcdef")
    server, thread = serve_robots(api)
    yield api
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)

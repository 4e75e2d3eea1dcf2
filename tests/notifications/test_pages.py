"""The notification centre pages and the bell: one's own only, read on open, constant query counts."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.core.models import AuditEntry
from opsdesk.incidents.services import incident_act
from opsdesk.notifications.models import Notification

LIST_BUDGET = 6  # session, user, rows, bounded count (+ the messages framework reads no table)


def _assign(world, live, n: int, to: str = "engineer") -> None:
    """`n` incidents assigned to `to` by the agent: one notification each, through the real path."""
    for i in range(n):
        inc = world.incident(title=f"通知{i}")
        incident_act(incident=inc, action="accept", by=world.agent)
        with live():
            incident_act(incident=inc, action="assign", by=world.agent, data={"assignee": to})


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_list_shows_ones_own_newest_first_unread_highlighted(world, live, login):
    _assign(world, live, 2)
    _assign(world, live, 1, to="engineer2")
    page = login(world.engineer).get("/notifications/").content.decode()
    assert page.count('data-notification="') == 2 and page.count('data-unread="1"') == 2
    assert "通知1" in page and "通知0" in page and "通知2" not in page
    assert page.index("通知1") < page.index("通知0")
    assert "分派给你" in page


def test_opening_marks_read_and_goes_to_the_ticket(world, live, login):
    _assign(world, live, 1)
    n = Notification.objects.get()
    client = login(world.engineer)
    response = client.get(f"/notifications/{n.pk}/")
    assert response.status_code == 302 and response.url == n.url == f"/incidents/{n.ticket_number}/"
    n.refresh_from_db()
    assert n.read_at is not None
    assert AuditEntry.objects.filter(action="notification.read", object_id=str(n.pk)).count() == 1
    client.get(f"/notifications/{n.pk}/")  # opening again changes nothing
    assert AuditEntry.objects.filter(action="notification.read").count() == 1
    assert 'data-unread="0"' in client.get("/notifications/").content.decode()


def test_someone_elses_notification_does_not_exist(world, live, login):
    _assign(world, live, 1)
    n = Notification.objects.get()
    assert login(world.engineer2).get(f"/notifications/{n.pk}/").status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_mark_all_read_is_a_post_of_ones_own(world, live, login):
    _assign(world, live, 3)
    _assign(world, live, 1, to="engineer2")
    client = login(world.engineer)
    assert client.get("/notifications/read-all/").status_code == 405
    assert client.post("/notifications/read-all/").status_code == 302
    assert Notification.objects.filter(recipient=world.engineer, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(recipient=world.engineer2, read_at__isnull=True).count() == 1
    entry = AuditEntry.objects.get(action="notification.read_all")
    assert entry.actor_id == world.engineer.pk and entry.after["count"] == 3


def test_the_bell_shows_the_unread_count(world, live, login):
    client = login(world.engineer)
    page = client.get("/incidents/").content.decode()
    assert 'hx-get="/notifications/bell/"' in page  # the badge comes in its own request
    assert "notification-count" not in client.get("/notifications/bell/").content.decode()
    _assign(world, live, 3)
    with CaptureQueriesContext(connection) as ctx:
        badge = client.get("/notifications/bell/").content.decode()
    assert 'data-unread="3"' in badge
    assert len(ctx.captured_queries) == 3  # session, user, one COUNT
    client.get(f"/notifications/{Notification.objects.first().pk}/")
    assert 'data-unread="2"' in client.get("/notifications/bell/").content.decode()


def test_requesters_have_the_bell_and_the_list_too(world, live, login):
    inc = world.incident()
    incident_act(incident=inc, action="accept", by=world.agent)
    with live():
        incident_act(incident=inc, action="resolve", by=world.agent, data={"solution": "已处理"})
    client = login(world.requester_a)
    assert 'hx-get="/notifications/bell/"' in client.get("/portal/").content.decode()
    assert 'data-unread="1"' in client.get("/notifications/bell/").content.decode()
    page = client.get("/notifications/").content.decode()
    assert inc.number in page


def test_the_list_costs_the_same_for_few_and_many_rows(world, live, login, django_assert_max_num_queries):
    client = login(world.engineer)
    _assign(world, live, 2)
    client.get("/notifications/")
    few = _queries(client, "/notifications/")
    _assign(world, live, 30)
    many = _queries(client, "/notifications/")
    assert few == many, (few, many)
    with django_assert_max_num_queries(LIST_BUDGET):
        page = client.get("/notifications/").content.decode()
    assert page.count('data-notification="') == 25 and 'rel="next"' in page


def test_pages_need_a_login(client):
    assert client.get("/notifications/").status_code == 302
    assert client.get("/notifications/bell/").status_code == 302

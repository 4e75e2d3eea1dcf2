"""/api/v1/notifications: one's own notifications, the unread count, marking read; others' are 404."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.incidents.services import incident_act
from opsdesk.notifications.models import Notification

API_LIST_BUDGET = 4  # token, token touch is throttled (none), rows, bounded count


def _assign(world, live, n: int, to: str = "engineer") -> None:
    for i in range(n):
        inc = world.incident(title=f"接口通知{i}")
        incident_act(incident=inc, action="accept", by=world.agent)
        with live():
            incident_act(incident=inc, action="assign", by=world.agent, data={"assignee": to})


def test_list_count_and_read(world, live, api):
    _assign(world, live, 3)
    _assign(world, live, 1, to="engineer2")
    me = api(world.engineer)
    body = me.get("/notifications").json()
    assert body["count"] == 3 and len(body["items"]) == 3
    first = body["items"][0]
    assert first["kind"] == "assigned" and first["ticket_title"] == "接口通知2" and first["read_at"] is None
    assert first["url"] == f"/incidents/{first['ticket_number']}/"
    assert me.get("/notifications/unread-count").json() == {"unread": 3}
    read = me.post(f"/notifications/{first['id']}/read")
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert me.get("/notifications/unread-count").json() == {"unread": 2}
    assert me.get("/notifications", {"unread": "true"}).json()["count"] == 2
    assert me.get(f"/notifications/{first['id']}").json()["id"] == first["id"]
    assert me.post("/notifications/read-all").json() == {"marked": 2}
    assert me.post("/notifications/read-all").json() == {"marked": 0}
    assert me.get("/notifications/unread-count").json() == {"unread": 0}
    assert api(world.engineer2).get("/notifications/unread-count").json() == {"unread": 1}


def test_someone_elses_notification_is_404(world, live, api):
    _assign(world, live, 1)
    n = Notification.objects.get()
    other = api(world.engineer2)
    for response in (other.get(f"/notifications/{n.pk}"), other.post(f"/notifications/{n.pk}/read")):
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    n.refresh_from_db()
    assert n.read_at is None
    assert other.get("/notifications/999999").status_code == 404


def test_the_list_pages_by_cursor(world, live, api):
    _assign(world, live, 5)
    me = api(world.engineer)
    first = me.get("/notifications", {"limit": 2}).json()
    second = me.get("/notifications", {"limit": 2, "cursor": first["next_cursor"]}).json()
    ids = [i["id"] for i in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4


def test_the_list_costs_the_same_for_few_and_many_rows(world, live, api):
    me = api(world.engineer)
    _assign(world, live, 2)
    me.get("/notifications")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert me.get("/notifications", {"limit": 50}).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    _assign(world, live, 30)
    many = queries()
    assert few == many <= API_LIST_BUDGET, (few, many)


def test_anonymous_is_401(db, client):
    assert client.get("/api/v1/notifications").status_code == 401
    assert client.get("/api/v1/notifications/unread-count").status_code == 401

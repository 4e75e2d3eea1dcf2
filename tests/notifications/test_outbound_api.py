"""/api/v1/notifications/preferences and /api/v1/notifications/deliveries: one's own settings; the
notification log of the contracts one manages, cursor-paginated with a constant number of queries."""

from __future__ import annotations

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.incidents.services import incident_act
from opsdesk.notifications import services
from opsdesk.notifications.models import Delivery, NotificationPreference

from ..factories import UserFactory, grant

LOG_BUDGET = 5  # token, grants, rows, bounded count, attempts


def _put(client, path, body):
    return client.client.put(client.url(path), json.dumps(body), content_type="application/json")


def _assign(world, live, n, to="engineer"):
    for i in range(n):
        inc = world.incident(title=f"日志{i}")
        incident_act(incident=inc, action="accept", by=world.agent)
        with live():
            incident_act(incident=inc, action="assign", by=world.agent, data={"assignee": to})


def test_preferences_read_and_change(world, api):
    world.engineer.email = "engineer@example.cn"
    world.engineer.save()
    me = api(world.engineer)
    body = me.get("/notifications/preferences").json()
    assert body["language"] == "zh-hans" and body["email_address"] == "engineer@example.cn"
    assert len(body["kinds"]) == 8 and all(k["in_app"] and k["email"] for k in body["kinds"])
    changed = _put(me, "/notifications/preferences", {"language": "en", "email": {"sla_warning": False}})
    assert changed.status_code == 200
    kinds = {k["kind"]: k["email"] for k in changed.json()["kinds"]}
    assert kinds["sla_warning"] is False and kinds["assigned"] is True
    assert changed.json()["language"] == "en"
    world.engineer.refresh_from_db()
    assert world.engineer.language == "en"
    assert NotificationPreference.objects.filter(user=world.engineer, enabled=False).count() == 1
    # someone else's settings are untouched
    assert all(k["email"] for k in api(world.engineer2).get("/notifications/preferences").json()["kinds"])


def test_preferences_reject_unknown_values_in_the_callers_language(world, api):
    me = api(world.engineer)
    bad = _put(me, "/notifications/preferences", {"language": "fr", "email": {"nonsense": True}})
    assert bad.status_code == 422
    fields = bad.json()["error"]["fields"]
    assert set(fields) == {"language", "email"}
    bad_en = me.client.put(me.url("/notifications/preferences"), json.dumps({"language": "fr"}),
                           content_type="application/json", headers={"Accept-Language": "en"})
    assert bad_en.json()["error"]["fields"]["language"] == "Choose zh-hans or en."
    assert me.get("/notifications/preferences").json()["language"] == "zh-hans"  # nothing half-written


def test_the_log_is_for_the_contracts_managers(world, live, api):
    world.engineer.email = "engineer@example.cn"
    world.engineer.save()
    _assign(world, live, 2)
    admin_b = grant(UserFactory(username="sysadmin_b"), "system_admin", world.contract_b)
    pm = api(world.pm).get("/notifications/deliveries").json()
    assert pm["count"] == 2
    item = pm["items"][0]
    assert (item["channel"], item["target"], item["kind"], item["status"]) == ("email", "engineer", "assigned",
                                                                               "sent")
    assert item["attempt_log"][0]["outcome"] == "sent" and item["ticket_title"] == "日志1"
    assert api(world.engineer).get("/notifications/deliveries").json()["count"] == 0
    assert api(admin_b).get("/notifications/deliveries").json()["count"] == 0
    admin_a = grant(UserFactory(username="sysadmin_a"), "system_admin", world.contract_a)
    assert api(admin_a).get("/notifications/deliveries").json()["count"] == 2


def test_the_log_filters_and_pages(world, live, api):
    world.engineer.email = "engineer@example.cn"
    world.engineer.save()
    _assign(world, live, 3)
    Delivery.objects.filter(ticket_title="日志0").update(status="failed", last_error="550 no such user")
    pm = api(world.pm)
    assert pm.get("/notifications/deliveries", {"status": "failed"}).json()["items"][0]["ticket_title"] == "日志0"
    number = Delivery.objects.get(ticket_title="日志2").ticket_number
    assert pm.get("/notifications/deliveries", {"ticket": number}).json()["count"] == 1
    assert pm.get("/notifications/deliveries", {"channel": "dingtalk"}).json()["count"] == 0
    assert pm.get("/notifications/deliveries", {"status": "nonsense"}).status_code == 422
    first = pm.get("/notifications/deliveries", {"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = pm.get("/notifications/deliveries", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [i["ticket_title"] for i in first["items"] + second["items"]] == ["日志2", "日志1", "日志0"]


def _log_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/notifications/deliveries")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_log_costs_the_same_for_few_and_many(world, live, api, robot_api):
    world.engineer.email = "engineer@example.cn"
    world.engineer.save()
    services.robot_create(by=world.pm, contract_id=world.contract_a.pk, provider="wecom", name="群",
                          webhook_url=robot_api.url("wecom"), kinds=["assigned"])
    pm = api(world.pm)
    _assign(world, live, 1)
    pm.get("/notifications/deliveries")  # warm the token
    few = _log_queries(pm)
    _assign(world, live, 8)
    many = _log_queries(pm)
    assert few == many <= LOG_BUDGET, (few, many)

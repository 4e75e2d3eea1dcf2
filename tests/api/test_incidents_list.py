"""GET /api/v1/incidents: filters shared with the list page, sorting, keyset pagination, bounded counts."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from opsdesk.accounts.models import ApiToken
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_act

from .battery import assert_error


def _numbers(response) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return [item["number"] for item in response.json()["items"]]


def _setup(world):
    """new (L1), accepted by agent (L2), in progress with engineer (L3), closed-ish states, another requester."""
    new = world.incident(title="服务器宕机", level=1)
    accepted = world.incident(title="打印机卡纸", level=2, requester=world.requester_a2)
    incident_act(incident=accepted, action="accept", by=world.agent)
    working = world.incident(title="网络中断", level=3)
    incident_act(incident=working, action="accept", by=world.pm)
    incident_act(incident=working, action="dispatch", by=world.pm, data={"engineer": "engineer"})
    rejected = world.incident(title="咨询报销流程", level=4)
    incident_act(incident=rejected, action="reject", by=world.agent, data={"reason": "不在范围"})
    return new.number, accepted.number, working.number, rejected.number


def test_filters(world, api):
    new, accepted, working, rejected = _setup(world)
    agent = api(world.agent)

    def numbers(**params):
        return set(_numbers(agent.get("/incidents", params)))

    assert numbers() == {new, accepted, working, rejected}
    assert numbers(status="new") == {new}
    assert numbers(status="new,accepted") == {new, accepted}
    assert set(_numbers(agent.get("/incidents?status=new&status=in_progress"))) == {new, working}
    assert numbers(status="open") == {new, accepted, working}
    assert numbers(status="rejected") == {rejected}
    assert numbers(level="1,3") == {new, working}
    assert numbers(contract="TAX-2026") == {new, accepted, working, rejected}
    assert numbers(assignee="engineer") == {working}
    assert numbers(assignee="me") == {accepted}
    assert numbers(assignee="none") == {new, rejected}
    assert numbers(owner="pm") == {working}
    assert numbers(owner="none") == {new, rejected}
    assert numbers(requester="req_a2") == {accepted}
    assert numbers(q="打印") == {accepted}
    assert numbers(q=working.lower()) == {working}
    today = timezone.localdate()
    assert numbers(created_from=today.isoformat(), created_to=today.isoformat()) == {new, accepted, working, rejected}
    assert numbers(created_from=(today + dt.timedelta(days=1)).isoformat()) == set()
    assert numbers(created_to=(today - dt.timedelta(days=1)).isoformat()) == set()
    assert set(_numbers(api(world.requester_a).get("/incidents", {"requester": "me"}))) == {new, working, rejected}


def test_sort_orders(world, api):
    new, accepted, working, rejected = _setup(world)
    agent = api(world.agent)
    assert _numbers(agent.get("/incidents")) == [rejected, working, accepted, new]
    assert _numbers(agent.get("/incidents", {"sort": "created"})) == [new, accepted, working, rejected]
    assert _numbers(agent.get("/incidents", {"sort": "level"})) == [new, accepted, working, rejected]


def test_keyset_pagination_walks_every_row_once_both_ways(world, api):
    made = [world.incident(title=f"事件{i}", level=1 + i % 4).number for i in range(23)]
    agent = api(world.agent)
    for sort in ("-created", "created", "level"):
        seen, pages, cursor = [], [], None
        while True:
            body = agent.get("/incidents", {"limit": 5, "sort": sort, **({"cursor": cursor} if cursor else {})}).json()
            assert body["count"] == 23 and body["count_capped"] is False
            pages.append(body)
            seen += [i["number"] for i in body["items"]]
            cursor = body["next_cursor"]
            if not cursor:
                break
        assert sorted(seen) == sorted(made) and len(seen) == 23 and len(pages) == 5
        assert pages[0]["prev_cursor"] is None
        back = agent.get("/incidents", {"limit": 5, "sort": sort, "cursor": pages[2]["prev_cursor"]}).json()
        assert [i["number"] for i in back["items"]] == [i["number"] for i in pages[1]["items"]]


def test_default_limit_is_25(world, api):
    for i in range(27):
        world.incident(title=f"事件{i}")
    body = api(world.agent).get("/incidents").json()
    assert len(body["items"]) == 25 and body["next_cursor"] and body["count"] == 27


def test_count_is_capped_instead_of_counting_everything(world, api):
    Incident.objects.bulk_create(
        Incident(number=f"INC-20260101-{i:04d}", title=f"批量{i}", contract=world.contract_a,
                 organisation=world.org_a, requester=world.requester_a, created_by=world.agent)
        for i in range(1, 1003))
    body = api(world.agent).get("/incidents", {"limit": 2}).json()
    assert body["count"] == 1000 and body["count_capped"] is True and len(body["items"]) == 2
    body = api(world.agent).get("/incidents", {"limit": 2, "q": "INC-20260101-0007"}).json()
    assert body["count"] == 1 and body["count_capped"] is False


def test_list_items_have_the_documented_fields(world, api):
    _setup(world)
    item = api(world.agent).get("/incidents", {"status": "in_progress"}).json()["items"][0]
    assert item["contract"] == "TAX-2026" and item["organisation"] == "tax" and item["owner"] == "pm"
    assert item["assignee"] == "engineer" and item["requester"] == "req_a" and item["status_label"]
    assert item["created_at"].endswith("+08:00") and item["accepted_at"].endswith("+08:00")
    assert item["resolved_at"] is None and item["version"] == 3
    for action in item["allowed_actions"]:
        assert {"name", "label", "fields", "target"} <= set(action)
        assert all(f["choices"] is None for f in action["fields"])  # choices only in the detail


def test_bad_filters_are_422_naming_the_field(world, api):
    agent = api(world.agent)
    for params, field in [({"status": "done"}, "status"), ({"level": "0"}, "level"), ({"level": "x"}, "level"),
                          ({"level": "¹"}, "level"),
                          ({"created_to": "22/11/2026"}, "created_to"), ({"q": "x" * 201}, "q"),
                          ({"limit": "many"}, "limit"), ({"cursor": "eyJ4Ijox"}, "cursor")]:
        assert_error(agent.get("/incidents", params), 422, field=field)


def test_browser_session_may_read_the_api(world, client):
    number = world.incident().number
    client.force_login(world.agent)
    response = client.get("/api/v1/incidents")
    assert response.status_code == 200 and response.json()["items"][0]["number"] == number


def test_revoked_token_is_401(world, api):
    agent = api(world.agent)
    assert agent.get("/incidents").status_code == 200
    ApiToken.objects.filter(user=world.agent).update(revoked=True)
    assert_error(agent.get("/incidents"), 401)
    world.agent.is_active = False
    world.agent.save()
    ApiToken.objects.filter(user=world.agent).update(revoked=False)
    assert_error(agent.get("/incidents"), 401)


def test_browser_session_writes_need_the_csrf_token(world):
    number = world.incident().number
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.agent)
    path = f"/api/v1/incidents/{number}/comments"
    assert_error(browser.post(path, {"body": "无 CSRF"}, content_type="application/json"), 403)
    secret = "abcdefghijklmnopqrstuvwxyzABCDEF"  # a CSRF secret as a browser would hold in its cookie
    browser.cookies["csrftoken"] = secret
    response = browser.post(path, {"body": "有 CSRF"}, content_type="application/json",
                            headers={"X-CSRFToken": secret})
    assert response.status_code == 201, response.content

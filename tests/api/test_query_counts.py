"""Query budgets: the list and detail APIs run the same number of queries for 5 rows as for 40."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.incidents.services import incident_act, incident_comment

from .conftest import ApiClient


def _mixed_incidents(world, n: int) -> None:
    """n incidents in several states; most dispatched to `engineer` (so `record_arrival` is in play)."""
    for i in range(n):
        inc = world.incident(title=f"事件 {i}", level=1 + i % 4,
                             requester=world.requester_a if i % 2 else world.requester_a2)
        if i % 5 == 0:
            continue
        incident_act(incident=inc, action="accept", by=world.agent)
        if i % 5 == 1:
            continue
        incident_act(incident=inc, action="dispatch", by=world.agent, data={"engineer": "engineer"})
        if i % 5 == 2:
            incident_act(incident=inc, action="record_arrival", by=world.engineer)
        if i % 5 == 3:
            incident_act(incident=inc, action="escalate", by=world.engineer, data={"reason": "需要二线"})


def _queries(client: ApiClient, path: str, params: dict | None = None) -> tuple[int, dict]:
    # A token's first use of a few minutes records it (one UPDATE); measure the steady state after it.
    client.get(path, params)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, params)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries), response.json()


@pytest.mark.parametrize("viewer", ["agent", "engineer", "pm", "contact_a", "requester_a"])
def test_list_api_query_count_is_constant_in_rows(world, api, viewer):
    user = getattr(world, viewer)
    _mixed_incidents(world, 5)
    # Each request from a fresh client: the same cold start (token lookup, grants) every time.
    small, body = _queries(ApiClient(api(user).token, user), "/incidents", {"limit": 200})
    assert body["items"], "the viewer sees rows"
    _mixed_incidents(world, 35)
    large, body = _queries(ApiClient(api(user).token, user), "/incidents", {"limit": 200})
    assert len(body["items"]) > 5
    assert small == large, (small, large)
    assert large <= 9  # token, grants, rows, count, work orders, people, contracts, categories, organisations


def test_list_rows_carry_allowed_actions_like_the_detail(world, api):
    _mixed_incidents(world, 10)
    engineer = api(world.engineer)
    items = engineer.get("/incidents", {"limit": 200}).json()["items"]
    for item in items:
        detail = engineer.get(f"/incidents/{item['number']}").json()
        assert [a["name"] for a in item["allowed_actions"]] == [a["name"] for a in detail["allowed_actions"]]
    assert any("record_arrival" in [a["name"] for a in i["allowed_actions"]] for i in items)


def _busy_incident(world, orders: int, comments: int) -> str:
    inc = world.incident()
    incident_act(incident=inc, action="accept", by=world.agent)
    for i in range(orders):
        incident_act(incident=inc, action="dispatch", by=world.agent,
                     data={"engineer": "engineer" if i % 2 else "engineer2", "site": f"{i}楼"})
    for i in range(comments):
        incident_comment(incident=inc, by=world.agent, body=f"备注 {i}", internal=bool(i % 2))
    return inc.number


@pytest.mark.parametrize("viewer", ["agent", "engineer", "requester_a"])
def test_detail_api_query_count_is_constant_in_timeline_and_work_orders(world, api, viewer):
    user = getattr(world, viewer)
    small_number = _busy_incident(world, orders=1, comments=2)
    big_number = _busy_incident(world, orders=6, comments=30)
    small, small_body = _queries(ApiClient(api(user).token, user), f"/incidents/{small_number}")
    large, big_body = _queries(ApiClient(api(user).token, user), f"/incidents/{big_number}")
    assert len(big_body["timeline"]) > len(small_body["timeline"])
    assert len(big_body["work_orders"]) == 6
    assert small == large, (small, large)

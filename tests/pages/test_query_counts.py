"""Query budgets: the list page and the workbench cost the same number of queries for 5 rows as for 40."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.incidents.services import incident_act
from tests.factories import CategoryFactory

# Rows come without joins and their contracts, categories and people in one query each
# (incidents.selectors.attach_related): three queries more, each planned in a tenth of a millisecond.
LIST_BUDGET = 10  # session, user, grants, contracts (filter), rows, bounded count, 3 × related, people (datalist)
WORKBENCH_BUDGET = 14  # session, user, grants, counts, two queues × (rows + bounded count + 3 × related)


def _make(world, n: int, start: int = 0) -> None:
    category = CategoryFactory(name="打印机")
    people = [world.requester_a, world.requester_a2, world.contact_a]
    for i in range(start, start + n):
        inc = world.incident(title=f"故障{i}", level=1 + i % 4, requester=people[i % 3], category=category)
        if i % 2:  # owners and assignees on half of them, so every column of a row has something to join
            incident_act(incident=inc, action="accept", by=world.agent if i % 4 == 1 else world.engineer)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/incidents/", "/incidents/?status=open&sort=level",
                                 "/incidents/?assignee=me&level=2", "/incidents/workbench/"])
def test_query_count_does_not_grow_with_rows(world, login, url, django_assert_max_num_queries):
    agent = login(world.agent)
    _make(world, 5)
    agent.get(url)  # warm the session and the content-type cache
    few = _queries(agent, url)
    _make(world, 35, start=5)
    many = _queries(agent, url)
    assert few == many, (few, many)
    budget = WORKBENCH_BUDGET if "workbench" in url else LIST_BUDGET
    with django_assert_max_num_queries(budget):
        agent.get(url)


def test_list_page_really_shows_the_rows(world, login):
    _make(world, 40)
    page = login(world.agent).get("/incidents/").content.decode()
    assert page.count('<tr data-number="') == 25 and 'rel="next"' in page  # a full page and a next link


def test_portal_list_query_count_does_not_grow_with_rows(world, login):
    requester = login(world.contact_a)  # sees the organisation's tickets: all of them
    _make(world, 5)
    requester.get("/portal/?tab=all")
    few = _queries(requester, "/portal/?tab=all")
    _make(world, 35, start=5)
    assert _queries(requester, "/portal/?tab=all") == few


# session, user, grants, incident, its contract with organisation and category, its people, the contract's
# staff (the action forms' pickers), which cards have rows (incidents.selectors.incident_links), timeline,
# and with an SLA: its clocks and the calendars' revisions
DETAIL_BUDGET = 11
# + one query per card that has rows: work orders, calls, rating, problems, follow-ups, configuration items
CARDS = 6


def test_detail_page_query_count_does_not_grow_with_timeline_and_work_orders(world, login):
    """Comments, state changes and work orders are fetched in bulk, not one query each."""
    agent = login(world.agent)
    inc = world.incident(title="详情页查询数")
    incident_act(incident=inc, action="accept", by=world.agent)
    url = f"/incidents/{inc.number}/"
    agent.get(url)
    bare = _queries(agent, url)
    assert bare <= DETAIL_BUDGET, bare  # nothing linked: the six cards cost one statement, not six queries
    incident_act(incident=inc, action="dispatch", by=world.agent, data={"engineer": "engineer2"})
    few = _queries(agent, url)
    assert few == bare + 1  # the work orders card reads its rows now
    from opsdesk.incidents.services import incident_comment

    for i in range(12):
        incident_comment(incident=inc, by=world.engineer if i % 2 else world.requester_a, body=f"进展 {i}",
                         internal=bool(i % 2))
        if i % 4 == 0:
            incident_act(incident=inc, action="dispatch", by=world.agent, data={"engineer": "engineer2"})
    many = _queries(agent, url)
    assert few == many, (few, many)
    assert many <= DETAIL_BUDGET + CARDS

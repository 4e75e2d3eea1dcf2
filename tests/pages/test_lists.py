"""The workbench counts and the incident list: filters, sort, cursors, htmx fragments, bad filters."""

from __future__ import annotations

import re

from opsdesk.incidents.services import incident_act

from .helpers import text


def _numbers(page: str) -> list[str]:
    return re.findall(r'<tr data-number="([^"]+)"', page)


def test_workbench_counts_link_to_the_filtered_list(world, login):
    mine = world.incident(level=1, title="我的")
    incident_act(incident=mine, action="accept", by=world.agent)
    world.incident(level=2, title="新的一")
    world.incident(level=2, title="新的二")
    world.incident(by=world.agent_b, contract=world.contract_b, requester=world.requester_b)  # not ours
    agent = login(world.agent)
    page = text(agent.get("/incidents/workbench/"))

    def tile(key):
        pattern = r'href="([^"]+)" (?:title="[^"]*" )?data-count="' + key + r'">.*?class="h1 mb-0 count">(\d+)<'
        match = re.search(pattern, page, re.S)
        return match.group(1).replace("&amp;", "&"), int(match.group(2))

    assert tile("mine") == ("/incidents/?assignee=me&status=open", 1)
    assert tile("owned") == ("/incidents/?owner=me&status=open", 1)
    assert tile("unassigned") == ("/incidents/?status=new", 2)
    assert tile("open")[1] == 3 and tile("level1")[1] == 1 and tile("level2")[1] == 2 and tile("level4")[1] == 0
    queue = page[page.index('id="queue-mine"'):page.index('id="queue-unassigned"')]
    assert _numbers(queue) == [mine.number]
    listed = text(agent.get(tile("unassigned")[0]))
    assert len(_numbers(listed)) == 2 and mine.number not in listed
    assert _numbers(text(agent.get(tile("mine")[0]))) == [mine.number]


def test_list_filters(world, login):
    a1 = world.incident(level=1, title="核心征管系统宕机")
    a2 = world.incident(level=3, title="打印机卡纸", requester=world.requester_a2)
    a3 = world.incident(level=2, title="咨询密码重置")
    incident_act(incident=a2, action="accept", by=world.engineer)
    incident_act(incident=a3, action="reject", by=world.agent, data={"reason": "不属于服务范围"})
    agent = login(world.agent)

    def numbers(**params):
        response = agent.get("/incidents/", params)
        assert response.status_code == 200, response.content
        return set(_numbers(text(response)))

    assert numbers() == {a1.number, a2.number, a3.number}
    assert numbers(status="open") == {a1.number, a2.number}
    assert numbers(status="rejected") == {a3.number}
    assert numbers(level="1") == {a1.number}
    assert numbers(contract="TAX-2026") == {a1.number, a2.number, a3.number}
    assert numbers(contract="HRSS-2026") == set()
    assert numbers(assignee="engineer") == {a2.number}
    assert numbers(owner="none") == {a1.number, a3.number}
    assert numbers(requester="req_a2") == {a2.number}
    assert numbers(q="打印") == {a2.number}
    assert numbers(q=a1.number.lower()) == {a1.number}
    assert numbers(created_from="2000-01-01", created_to="2000-01-02") == set()
    assert numbers(created_from="2000-01-01") == {a1.number, a2.number, a3.number}
    assert _numbers(text(agent.get("/incidents/", {"sort": "level"}))) == [a1.number, a3.number, a2.number]
    assert _numbers(text(agent.get("/incidents/", {"sort": "created"}))) == [a1.number, a2.number, a3.number]
    assert _numbers(text(agent.get("/incidents/"))) == [a3.number, a2.number, a1.number]


def test_filter_form_keeps_the_values_and_drives_htmx(world, login):
    page = text(login(world.agent).get("/incidents/", {"q": "打印", "status": "open", "level": "2"}))
    assert 'value="打印"' in page and '<option value="open" selected>' in page and '<option value="2" selected>' in page
    form = re.search(r'<form class="card mb-3 incident-filters"[^>]*>', page).group(0)
    assert 'method="get"' in form and 'hx-get="/incidents/"' in form and 'hx-target="#incident-results"' in form
    assert 'data-shortcut="search"' in page


def test_htmx_request_gets_only_the_results(world, login):
    inc = world.incident()
    response = login(world.agent).get("/incidents/", {"status": "new"}, HTTP_HX_REQUEST="true")
    page = text(response)
    assert response.status_code == 200 and page.lstrip().startswith('<div class="card" id="incident-results">')
    assert "<html" not in page and inc.number in page


def test_cursor_pagination_walks_every_row_once(world, login):
    created = [world.incident(title=f"事件{i}").number for i in range(30)]
    agent = login(world.agent)
    page = text(agent.get("/incidents/"))
    first = _numbers(page)
    assert len(first) == 25 and 'rel="prev"' not in page
    assert "30" in re.search(r'class="card-title result-count">([^<]*)<', page).group(1)
    next_url = re.search(r'<a class="page-link" rel="next" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    second_page = text(agent.get("/incidents/" + next_url))
    second = _numbers(second_page)
    assert len(second) == 5 and set(first) | set(second) == set(created) and not set(first) & set(second)
    assert 'rel="next"' not in second_page
    prev_url = re.search(r'<a class="page-link" rel="prev" href="([^"]+)"', second_page).group(1).replace("&amp;", "&")
    assert _numbers(text(agent.get("/incidents/" + prev_url))) == first


def test_cursor_keeps_the_filters(world, login):
    for i in range(27):
        world.incident(title=f"事件{i}", level=2)
    world.incident(title="别的级别", level=3)
    page = text(login(world.agent).get("/incidents/", {"level": "2"}))
    next_url = re.search(r'rel="next" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "level=2" in next_url and "cursor=" in next_url


def test_bad_filters_say_which_field(world, login):
    agent = login(world.agent)
    response = agent.get("/incidents/", {"status": "bogus", "level": "9", "created_from": "yesterday"})
    page = text(response)
    assert response.status_code == 400
    for field in ("status", "level", "created_from"):
        assert f'id="id_{field}-errors"' in page
    response = agent.get("/incidents/", {"cursor": "not-a-cursor"})
    assert response.status_code == 400


def test_portal_tabs_and_pagination(world, login):
    numbers = [world.incident(title=f"问题{i}").number for i in range(27)]
    incident_act(incident=world.incident(title="已拒绝"), action="reject", by=world.agent, data={"reason": "范围外"})
    requester = login(world.requester_a)
    page = text(requester.get("/portal/"))
    assert len(_numbers(page)) == 25 and "已拒绝" not in page
    next_url = re.search(r'rel="next" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    rest = _numbers(text(requester.get("/portal/" + next_url)))
    assert set(_numbers(page)) | set(rest) == set(numbers)
    assert "已拒绝" in text(requester.get("/portal/", {"tab": "all"}))

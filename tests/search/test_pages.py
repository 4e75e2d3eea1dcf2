"""The global search page (/search/): the header box, hits across types with the right links, tabs, "show
more", errors as messages, visibility inside the query and a constant number of queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.knowledge import services as knowledge
from opsdesk.search.selectors import MAX_LIMIT
from opsdesk.search.services import drain_all

URL = "/search/"


def publish(world, title: str, *, audience: str = "requester", contract=None, **fields):
    """A published article written by the agent and accepted by the PM (contract A) or agent_b's contract."""
    contract = contract or world.contract_a
    author = world.agent if contract == world.contract_a else world.agent_b
    fields.setdefault("symptom", "打印机显示脱机，无法打印")
    fields.setdefault("solution", "重启打印服务 Print Spooler")
    art = knowledge.article_create(by=author, contract=contract, title=title, audience=audience, **fields)
    knowledge.article_act(article=art, action="submit", by=author)
    if contract == world.contract_a:
        knowledge.article_act(article=art, action="accept", by=world.pm)
    art.refresh_from_db()
    return art


def hit_numbers(response) -> list[str]:
    return re.findall(r'class="list-group-item search-hit"[^>]*data-number="([^"]+)"', response.content.decode())


def test_header_box_on_every_page_for_signed_in_people(world, login):
    for user, page in ((world.agent, "/incidents/"), (world.requester_a, "/portal/")):
        html = login(user).get(page).content.decode()
        assert 'action="/search/"' in html and 'id="header-search-q"' in html and 'accesskey="q"' in html
    assert 'id="header-search-q"' not in login_page_html()


def login_page_html() -> str:
    from django.test import Client

    return Client().get("/accounts/login/").content.decode()


def test_empty_query_shows_only_the_box(world, login):
    response = login(world.agent).get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="search-page-q"' in html and "autofocus" in html
    assert "search-results" not in html and "search-empty" not in html


def test_staff_hits_link_to_staff_pages_with_type_status_and_marked_snippet(world, login):
    inc = world.incident(title="打印机脱机", description="三楼打印机脱机 <b>急</b>")
    art = publish(world, "打印机脱机怎么办")
    response = login(world.agent).get(URL, {"q": "打印机脱机"})
    html = response.content.decode()
    assert response.status_code == 200
    assert set(hit_numbers(response)) == {inc.number, art.number}
    assert f'href="/incidents/{inc.number}/"' in html and f'href="/knowledge/{art.number}/"' in html
    assert "<mark>" in html and "&lt;b&gt;急&lt;/b&gt;" in html and "<b>急</b>" not in html
    assert "知识文章" in html  # the type label (pages are in Chinese by default)
    assert 'data-type="article"' in html and 'data-type="incident"' in html


def test_requester_links_go_to_portal_and_self_help(world, login):
    own = world.incident(title="打印机脱机")
    art = publish(world, "打印机脱机自助处理")
    html = login(world.requester_a).get(URL, {"q": "打印机脱机"}).content.decode()
    assert f'href="/portal/incidents/{own.number}/"' in html
    assert f'href="/knowledge/self-help/{art.number}/"' in html
    assert f'href="/incidents/{own.number}/"' not in html


def test_requester_never_sees_engineer_articles_nor_other_organisations_incidents(world, login):
    own = world.incident(title="VPN 无法连接")
    other_person = world.incident(title="VPN 无法连接", requester=world.requester_a2)
    other_org = world.incident(title="VPN 无法连接", by=world.agent_b, requester=world.requester_b,
                               contract=world.contract_b)
    self_help = publish(world, "VPN 无法连接的自助排查")
    engineer = publish(world, "VPN 网关证书更新步骤", audience="engineer", keywords="VPN 无法连接")
    draft = knowledge.article_create(by=world.agent, contract=world.contract_a, title="VPN 无法连接草稿",
                                     audience="requester")
    for kind in ("", "incident", "article"):
        found = set(hit_numbers(login(world.requester_a).get(URL, {"q": "VPN 无法连接", "type": kind,
                                                                   "limit": MAX_LIMIT})))
        assert found <= {own.number, self_help.number}
        assert not found & {other_person.number, other_org.number, engineer.number, draft.number}
    assert set(hit_numbers(login(world.requester_a).get(URL, {"q": "VPN 无法连接"}))) == {own.number,
                                                                                         self_help.number}
    # the agent of contract A finds the engineer article; the other organisation's requester nothing of A
    assert engineer.number in hit_numbers(login(world.agent).get(URL, {"q": "VPN 网关证书"}))
    found_b = set(hit_numbers(login(world.requester_b).get(URL, {"q": "VPN 无法连接"})))
    assert found_b == {other_org.number}


def test_type_tabs_narrow_the_hits(world, login):
    inc = world.incident(title="邮箱收不到外部邮件")
    art = publish(world, "邮箱收不到外部邮件的处理")
    client = login(world.agent)
    assert hit_numbers(client.get(URL, {"q": "邮箱", "type": "incident"})) == [inc.number]
    assert hit_numbers(client.get(URL, {"q": "邮箱", "type": "article"})) == [art.number]
    html = client.get(URL, {"q": "邮箱", "type": "article"}).content.decode()
    assert re.search(r'class="nav-link active" aria-current="page" data-type="article"', html)


def test_unknown_type_is_a_message_not_a_500(world, login):
    response = login(world.agent).get(URL, {"q": "打印机", "type": "spaceship"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "search-errors" in html and "spaceship" in html


@pytest.mark.parametrize("q", ['"', "NEAR(", "' OR 1=1 --", "a\x00b", "打" * 3000, "*", "AND"])
def test_hostile_queries_answer_200(world, login, q):
    world.incident(title="打印机无法打印")
    assert login(world.agent).get(URL, {"q": q, "limit": "x"}).status_code == 200


def test_no_hits_gives_hints(world, login):
    world.incident(title="打印机无法打印")
    html = login(world.requester_a).get(URL, {"q": "量子计算机坏了"}).content.decode()
    assert "search-empty" in html and "ORA-00600" in html
    assert "/knowledge/self-help/" in html  # a requester is pointed to self-help and the report form


def test_show_more_then_refine_past_the_maximum(world, login):
    for i in range(3):
        world.incident(title=f"磁盘满 {i}")
    client = login(world.agent)
    html = client.get(URL, {"q": "磁盘满", "limit": 2}).content.decode()
    assert len(hit_numbers(client.get(URL, {"q": "磁盘满", "limit": 2}))) == 2
    more = re.search(r'class="btn btn-sm ms-auto search-more" href="([^"]+)"', html)
    assert more is not None and "limit=22" in more.group(1)
    html = client.get(URL, {"q": "磁盘满", "limit": 3}).content.decode()
    assert "search-more" not in html and "search-refine" not in html


def test_at_the_maximum_says_refine(world, login, settings):
    import opsdesk.search.views as views

    for i in range(4):
        world.incident(title=f"磁盘满 {i}")
    original = views.MAX_LIMIT
    views.MAX_LIMIT = 3  # the page's own cap; the selector's stays
    try:
        html = login(world.agent).get(URL, {"q": "磁盘满", "limit": 50}).content.decode()
    finally:
        views.MAX_LIMIT = original
    assert "search-refine" in html and "search-more" not in html


def _count(client, params) -> tuple[int, int]:
    drain_all()  # the writes queued for indexing: a search indexes a few first, which is not what is measured
    client.get(URL, params)  # warm the per-process caches (lexicon, term statistics)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(ctx.captured_queries), len(hit_numbers(response))


@pytest.mark.parametrize("viewer", ["agent", "requester_a"])
def test_query_count_is_constant_in_hits(world, login, viewer):
    user = getattr(world, viewer)
    world.incident(title="磁盘满 0", description="服务器磁盘满")
    publish(world, "磁盘满的处理 0")
    few, n_few = _count(login(user), {"q": "磁盘满", "limit": MAX_LIMIT})
    for i in range(1, 15):
        world.incident(title=f"磁盘满 {i}", description="服务器磁盘满")
        publish(world, f"磁盘满的处理 {i}")
    many, n_many = _count(login(user), {"q": "磁盘满", "limit": MAX_LIMIT})
    assert n_few == 2 and n_many == 30
    assert few == many, (few, many)
    assert many <= 8, many


def test_tabs_only_for_types_the_viewer_may_find(world, login):
    agent_page = login(world.agent).get(URL, {"q": "打印机"}).content.decode()
    requester_page = login(world.requester_a).get(URL, {"q": "打印机"}).content.decode()
    assert "type=problem" in agent_page
    assert "type=problem" not in requester_page and "type=article" in requester_page

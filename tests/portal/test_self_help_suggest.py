"""Self-help before submitting: the report form asks for articles like what the requester types, and the
fragment shows only what the requester may read, in a constant number of queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.knowledge import services as knowledge
from opsdesk.search.services import drain_all
from tests.pages.helpers import text

URL = "/portal/new/self-help/"


def article(world, title: str, *, audience: str = "requester", status: str = "published", contract=None,
            **fields):
    """An article on contract A (or B), taken to `status` by its authors and the PM."""
    contract = contract or world.contract_a
    author = world.agent if contract == world.contract_a else world.agent_b
    fields.setdefault("symptom", "打印机显示脱机，打印任务一直排队")
    fields.setdefault("solution", "在“服务”中重启 Print Spooler，再重新打印")
    art = knowledge.article_create(by=author, contract=contract, title=title, audience=audience, **fields)
    if status in ("in_review", "published", "retired"):
        knowledge.article_act(article=art, action="submit", by=author)
    if status in ("published", "retired") and contract == world.contract_a:
        knowledge.article_act(article=art, action="accept", by=world.pm)
    if status == "retired":
        knowledge.article_act(article=art, action="retire", by=world.pm)
    art.refresh_from_db()
    return art


def suggested(response) -> list[str]:
    return re.findall(r'class="list-group-item self-help-suggestion" data-number="([^"]+)"', text(response))


def test_the_report_form_asks_for_suggestions_as_one_types(world, login):
    html = text(login(world.requester_a).get("/portal/new/"))
    assert 'id="self-help-suggestions"' in html
    assert f'hx-get="{URL}"' in html and "delay:500ms from:#id_title" in html and "from:#id_description" in html
    assert 'hx-include="#id_title, #id_description"' in html


def test_published_self_help_articles_like_the_draft_open_in_a_new_tab(world, login):
    art = article(world, "打印机脱机无法打印的自助处理")
    response = login(world.requester_a).get(URL, {"title": "打印机脱机", "description": "打印任务一直排队"})
    assert response.status_code == 200
    assert suggested(response) == [art.number]
    html = text(response)
    assert f'href="/knowledge/self-help/{art.number}/" target="_blank" rel="noopener"' in html
    assert "<mark>" in html
    assert "如果其中一篇已解决您的问题，就无需再提交了。" in html  # pages are in Chinese by default


def test_requester_sees_only_published_self_help_of_their_organisation(world, login):
    ok = article(world, "打印机脱机自助处理")
    hidden = [
        article(world, "打印机脱机：服务器端排查", audience="engineer"),
        article(world, "打印机脱机草稿", status="draft"),
        article(world, "打印机脱机审核中", status="in_review"),
        article(world, "打印机脱机旧方法", status="retired"),
        article(world, "打印机脱机（社保中心）", contract=world.contract_b),  # stays in review: B has no PM
    ]
    for user in (world.requester_a, world.contact_a):
        numbers = suggested(login(user).get(URL, {"title": "打印机脱机"}))
        assert numbers == [ok.number], user
    assert suggested(login(world.requester_b).get(URL, {"title": "打印机脱机"})) == []
    assert not {h.number for h in hidden} & set(suggested(login(world.requester_a).get(URL, {"title": "打印机脱机"})))


def test_at_most_five(world, login):
    for i in range(7):
        article(world, f"打印机脱机处理 {i}")
    assert len(suggested(login(world.requester_a).get(URL, {"title": "打印机脱机"}))) == 5


@pytest.mark.parametrize("params", [{}, {"title": ""}, {"title": "  ", "description": "\n"}, {"title": "\x00"}])
def test_empty_draft_gives_an_empty_fragment_without_searching(world, login, params):
    article(world, "打印机脱机自助处理")
    client = login(world.requester_a)
    client.get(URL)  # session and grants warmed
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params)
    assert response.status_code == 200
    assert text(response).strip() == ""
    assert not any("search_" in q["sql"] for q in ctx.captured_queries)


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL, {"title": "打印机"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def _count(client, params) -> tuple[int, int]:
    drain_all()  # writes still queued for indexing are not what is measured
    client.get(URL, params)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(ctx.captured_queries), len(suggested(response))


def test_query_count_is_constant_whatever_the_number_of_suggestions(world, login):
    article(world, "VPN 无法连接的自助处理 0")
    params = {"title": "VPN 无法连接", "description": "出差在外 VPN 连不上"}
    few, n_few = _count(login(world.requester_a), params)
    for i in range(1, 8):
        article(world, f"VPN 无法连接的自助处理 {i}")
    many, n_many = _count(login(world.requester_a), params)
    assert (n_few, n_many) == (1, 5)
    assert few == many, (few, many)
    assert many <= 8, many

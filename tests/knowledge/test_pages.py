"""The staff pages: list with filters, review queue, write and edit, detail with history and actions, the
"make candidate knowledge" button on the incident page, and the list's query budget."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.incidents.models import Incident
from opsdesk.knowledge import services
from opsdesk.knowledge.models import KnowledgeArticle
from tests.factories import CategoryFactory

from .conftest import resolved_incident


def test_list_page_filters(world, login, article):
    a = article("打印机脱机", status="published", audience="requester")
    b = article("VPN 证书", symptom="证书过期", solution="更新证书")
    agent = login(world.agent)
    page = agent.get("/knowledge/").content.decode()
    assert a.number in page and b.number in page
    page = agent.get("/knowledge/", {"status": "draft"}).content.decode()
    assert b.number in page and a.number not in page
    page = agent.get("/knowledge/", {"q": "打印机"}).content.decode()
    assert a.number in page and b.number not in page
    r = agent.get("/knowledge/", {"status": "bogus"})
    assert r.status_code == 400
    r = agent.get("/knowledge/", {"q": "打印"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and 'id="article-results"' in r.content.decode() and "<html" not in r.content.decode()


def test_clients_are_sent_to_the_portal(world, login, article):
    art = article(status="published", audience="requester")
    assert login(world.requester_a).get("/knowledge/").status_code == 302
    assert login(world.requester_a).get(f"/knowledge/{art.number}/").status_code == 302


def test_create_edit_and_review_through_pages(world, login):
    cat = CategoryFactory(name="打印机")
    engineer = login(world.engineer)
    form = engineer.get("/knowledge/new/").content.decode()
    assert 'name="title"' in form and "autofocus" in form and 'accesskey="s"' in form
    r = engineer.post("/knowledge/new/", {"contract": "TAX-2026", "title": "", "audience": "engineer"},
                      headers={"Accept-Language": "en"})
    assert r.status_code == 422 and "This field is required." in r.content.decode()
    r = engineer.post("/knowledge/new/", {"contract": "TAX-2026", "title": "打印机卡纸", "solution": "取出卡纸",
                                          "audience": "requester", "categories": [cat.pk]})
    assert r.status_code == 302
    art = KnowledgeArticle.objects.get()
    assert art.author == world.engineer and list(art.categories.all()) == [cat]
    r = engineer.post(f"/knowledge/{art.number}/edit/", {"title": "打印机卡纸处理", "solution": "打开后盖取出卡纸",
                                                         "audience": "requester", "version": art.version})
    assert r.status_code == 302
    r = engineer.post(f"/knowledge/{art.number}/edit/", {"title": "旧页面", "audience": "requester",
                                                         "version": art.version})
    assert r.status_code == 409
    art.refresh_from_db()
    assert art.title == "打印机卡纸处理"
    assert engineer.post(f"/knowledge/{art.number}/actions/submit/", {"version": art.version}).status_code == 302
    pm = login(world.pm)
    assert art.number in pm.get("/knowledge/review/").content.decode()
    assert art.number not in engineer.get("/knowledge/review/").content.decode()
    art.refresh_from_db()
    r = engineer.post(f"/knowledge/{art.number}/actions/accept/", {"version": art.version})
    assert r.status_code == 403
    r = pm.post(f"/knowledge/{art.number}/actions/reject/", {"version": art.version, "reason": ""})
    assert r.status_code == 422
    r = pm.post(f"/knowledge/{art.number}/actions/reject/", {"version": art.version, "reason": "请补充原因"})
    assert r.status_code == 302
    art.refresh_from_db()
    assert art.status == "draft" and "请补充原因" in engineer.get(f"/knowledge/{art.number}/").content.decode()
    assert engineer.post(f"/knowledge/{art.number}/actions/submit/", {"version": art.version}).status_code == 302
    art.refresh_from_db()
    r = pm.post(f"/knowledge/{art.number}/actions/accept/", {"version": art.version})
    assert r.status_code == 302
    detail = pm.get(f"/knowledge/{art.number}/").content.decode()
    assert 'data-revision="1"' in detail and 'data-action="retire"' in detail
    assert detail.count('data-action="reject"') == 1 and detail.count('data-action="submit"') == 2
    assert "这解决了我的问题" in detail  # "This solved it" in the site language


def test_solved_button(world, login, article):
    art = article(status="published")
    agent = login(world.agent)
    assert agent.post(f"/knowledge/{art.number}/solved/", {}).status_code == 302
    assert agent.post(f"/knowledge/{art.number}/solved/", {}).status_code == 302
    art.refresh_from_db()
    assert art.solved_count == 1


def test_make_candidate_knowledge_button(world, login):
    inc = resolved_incident(world, title="财务室打印机卡纸", symptom="打印到一半卡纸")
    agent = login(world.agent)
    page = agent.get(f"/incidents/{inc.number}/").content.decode()
    assert f"/knowledge/from-incident/{inc.number}/" in page
    r = agent.post(f"/knowledge/from-incident/{inc.number}/")
    art = KnowledgeArticle.objects.get(source_incident=inc)
    assert r.status_code == 302 and r.url == f"/knowledge/{art.number}/edit/"
    assert art.title == "财务室打印机卡纸" and Incident.objects.get(pk=inc.pk).knowledge_candidate
    assert agent.post(f"/knowledge/from-incident/{inc.number}/").url == f"/knowledge/{art.number}/"
    open_inc = world.incident()
    page = agent.get(f"/incidents/{open_inc.number}/").content.decode()
    assert f"/knowledge/from-incident/{open_inc.number}/" not in page
    # a client's portal view of the resolved incident has no such button
    assert login(world.requester_a).post(f"/knowledge/from-incident/{inc.number}/").status_code == 302
    assert KnowledgeArticle.objects.count() == 1


def _make(world, n: int) -> None:
    cat = CategoryFactory(name="打印机")
    for i in range(n):
        art = services.article_create(by=world.agent, contract=world.contract_a, title=f"文章{i}",
                                      categories=[cat.pk])
        if i % 2:
            services.article_act(article=art, action="submit", by=world.agent)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/knowledge/", "/knowledge/?status=in_review", "/knowledge/review/"])
def test_list_page_query_count_does_not_grow_with_rows(world, login, url):
    pm = login(world.pm)
    _make(world, 4)
    pm.get(url)
    few = _queries(pm, url)
    _make(world, 20)
    many = _queries(pm, url)
    assert few == many, (few, many)


def test_self_help_for_requesters(world, login, article):
    mine = article("打印机脱机", status="published", audience="requester")
    engineer_only = article("打印服务器 重建队列", status="published", audience="engineer")
    draft = article("打印机驱动", audience="requester")
    requester = login(world.requester_a)
    assert "/knowledge/self-help/" in requester.get("/portal/").content.decode()
    page = requester.get("/knowledge/self-help/").content.decode()
    assert mine.number in page and engineer_only.number not in page and draft.number not in page
    page = requester.get("/knowledge/self-help/", {"q": "打印"}).content.decode()
    assert mine.number in page and engineer_only.number not in page and draft.number not in page
    assert requester.get(f"/knowledge/self-help/{mine.number}/").status_code == 200
    assert requester.get(f"/knowledge/self-help/{engineer_only.number}/").status_code == 404
    assert requester.get(f"/knowledge/self-help/{draft.number}/").status_code == 404
    r = requester.post(f"/knowledge/{mine.number}/solved/", {"next": f"/knowledge/self-help/{mine.number}/"})
    assert r.status_code == 302 and r.url == f"/knowledge/self-help/{mine.number}/"
    mine.refresh_from_db()
    assert mine.solved_count == 1
    other = login(world.requester_b)
    assert mine.number not in other.get("/knowledge/self-help/").content.decode()
    assert other.get(f"/knowledge/self-help/{mine.number}/").status_code == 404
    assert other.post(f"/knowledge/{mine.number}/solved/").status_code == 404

"""Suggestions while an incident is typed (API and page) and "apply this solution" (service, API, page)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.core.errors import Conflict, NotFound
from opsdesk.core.models import Activity
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_act, incident_apply_article
from opsdesk.knowledge.models import ArticleSolved, KnowledgeArticle

from .conftest import resolved_incident

DRAFT = "财务室的打印机打印不出来，一直显示脱机"


def _printer(article, **kw):
    kw.setdefault("audience", "requester")
    return article("打印机脱机无法打印", status="published", symptom="打印机显示脱机，任务一直排队",
                   solution="重启 Print Spooler 服务，取消脱机使用打印机", **kw)


def test_suggest_api_gives_articles_and_resolved_incidents(world, article, api):
    art = _printer(article)
    article("打印机驱动安装", status="draft")  # drafts are never suggested
    done = resolved_incident(world, title="三楼打印机脱机", description="打印机脱机，重启服务后恢复")
    world.incident(title="打印机脱机", description="还没处理")  # open: not a resolved case
    body = api(world.agent).get("/knowledge/suggest", {"text": DRAFT}).json()
    assert [h["number"] for h in body["articles"]] == [art.number]
    assert [h["number"] for h in body["incidents"]] == [done.number]
    assert "<mark>" in body["articles"][0]["snippet"] and body["articles"][0]["status"] == "published"


def test_suggest_api_for_a_requester_keeps_to_what_they_may_see(world, article, api):
    mine = _printer(article)
    _printer(article, audience="engineer")
    theirs = world.incident(title="打印机脱机", description="打印机脱机", requester=world.requester_a2)
    incident_act(incident=theirs, action="accept", by=world.agent)
    incident_act(incident=theirs, action="resolve", by=world.agent, data={"solution": "重启服务"})
    incident_act(incident=theirs, action="confirm", by=world.requester_a2)
    body = api(world.requester_a).get("/knowledge/suggest", {"text": DRAFT}).json()
    assert [h["number"] for h in body["articles"]] == [mine.number]
    assert theirs.number not in [h["number"] for h in body["incidents"]]
    assert api(world.requester_b).get("/knowledge/suggest", {"text": DRAFT}).json() == {"articles": [],
                                                                                      "incidents": []}


def test_suggest_api_empty_and_bad_input(world, api):
    client = api(world.agent)
    assert client.get("/knowledge/suggest", {"text": "  "}).json() == {"articles": [], "incidents": []}
    assert client.get("/knowledge/suggest", {"text": "a\x00b 打印"}).status_code == 200
    response = client.get("/knowledge/suggest", {"text": "打印", "limit": 0})
    assert response.status_code == 422 and "limit" in response.content.decode()


def _queries(client, url, params) -> int:
    client.get(url, params)  # warm: a token's first use, the term statistics
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_suggest_query_count_does_not_grow_with_hits(world, article, api, login):
    _printer(article)
    resolved_incident(world, title="打印机脱机", description="打印机脱机")
    few_api = _queries(api(world.agent), "/knowledge/suggest", {"text": DRAFT})
    few_page = _queries(login(world.agent), "/incidents/suggestions/", {"description": DRAFT})
    for i in range(4):
        article(f"打印机脱机 {i}", status="published", symptom="打印机脱机", solution=f"方法 {i}")
        resolved_incident(world, title=f"打印机脱机 {i}", description="打印机脱机")
    assert _queries(api(world.agent), "/knowledge/suggest", {"text": DRAFT}) == few_api
    assert _queries(login(world.agent), "/incidents/suggestions/", {"description": DRAFT}) == few_page


def test_suggestions_page_is_for_staff(world, article, login):
    art = _printer(article)
    page = login(world.agent).get("/incidents/suggestions/", {"title": "打印机脱机", "contract": "TAX-2026"})
    assert page.status_code == 200 and art.number in page.content.decode()
    assert 'data-apply-article="' + art.number in page.content.decode()
    assert login(world.agent).get("/incidents/suggestions/").content.decode().count("suggestions-empty") == 1
    assert login(world.requester_a).get("/incidents/suggestions/", {"title": "打印机"}).status_code == 302


# --- apply ---------------------------------------------------------------------------------------------------

def test_apply_fills_the_solution_notes_it_and_counts_the_use(world, article):
    art = _printer(article)
    inc = world.incident(title="打印机脱机")
    incident_act(incident=inc, action="accept", by=world.agent)
    incident_apply_article(incident=inc, article=art.number, by=world.agent, version=inc.version)
    inc.refresh_from_db()
    assert inc.solution == art.solution and inc.status == "accepted"
    note = Activity.objects.filter(object_id=inc.pk, internal=True).order_by("-id").first()
    assert art.number in note.body
    assert ArticleSolved.objects.filter(article=art, user=world.agent, incident=inc).count() == 1
    assert KnowledgeArticle.objects.get(pk=art.pk).solved_count == 1
    incident_act(incident=inc, action="resolve", by=world.agent, data={"solution": inc.solution})
    assert Incident.objects.get(pk=inc.pk).status == "awaiting_confirmation"


def test_apply_refuses_stale_closed_unpublished_and_invisible(world, article):
    art = _printer(article)
    draft = article("草稿方案", status="draft")
    inc = world.incident(title="打印机脱机")
    with pytest.raises(Conflict):
        incident_apply_article(incident=inc, article=art.number, by=world.agent, version=inc.version + 1)
    with pytest.raises(Conflict):
        incident_apply_article(incident=inc, article=draft.number, by=world.agent)
    with pytest.raises(NotFound):
        incident_apply_article(incident=inc, article=art.number, by=world.requester_a)
    with pytest.raises(NotFound):
        incident_apply_article(incident=inc, article="KB-20990101-0001", by=world.agent)
    done = resolved_incident(world, title="已关闭")
    with pytest.raises(Conflict):
        incident_apply_article(incident=done, article=art.number, by=world.agent)
    inc.refresh_from_db()
    assert inc.solution == "" and not ArticleSolved.objects.exists()


def test_apply_api(world, article, api):
    art = _printer(article)
    inc = world.incident(title="打印机脱机")
    client = api(world.agent)
    response = client.post(f"/incidents/{inc.number}/apply-article", {"article": art.number, "version": inc.version})
    assert response.status_code == 200, response.content
    assert response.json()["solution"] == art.solution
    stale = client.post(f"/incidents/{inc.number}/apply-article", {"article": art.number, "version": inc.version})
    assert stale.status_code == 409
    assert api(world.requester_a).post(f"/incidents/{inc.number}/apply-article",
                                       {"article": art.number}).status_code == 404
    assert client.post(f"/incidents/{inc.number}/apply-article", {"article": "a\x00"}).status_code == 422


def test_create_form_with_an_applied_article(world, article, login):
    art = _printer(article)
    client = login(world.agent)
    data = {"contract": "TAX-2026", "requester": world.requester_a.username, "title": "打印机脱机",
            "level": "4", "channel": "phone", "applied_article": art.number}
    response = client.post("/incidents/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    inc = Incident.objects.get(title="打印机脱机")
    assert inc.solution == art.solution
    assert ArticleSolved.objects.filter(article=art, incident=inc).exists()
    bad = client.post("/incidents/new/", {**data, "title": "另一个", "applied_article": "KB-20990101-0009"})
    assert bad.status_code == 422 and not Incident.objects.filter(title="另一个").exists()


def test_detail_page_apply_then_resolve_form_is_prefilled(world, article, login):
    art = _printer(article)
    inc = world.incident(title="打印机脱机")
    client = login(world.agent)
    panel = client.get("/incidents/suggestions/", {"incident": inc.number}).content.decode()
    assert art.number in panel and f"/incidents/{inc.number}/apply-article/" in panel
    response = client.post(f"/incidents/{inc.number}/apply-article/", {"article": art.number,
                                                                      "version": inc.version})
    assert response.status_code == 302
    inc.refresh_from_db()
    incident_act(incident=inc, action="accept", by=world.agent)
    page = client.get(f"/incidents/{inc.number}/").content.decode()
    assert "取消脱机使用打印机</textarea>" in page

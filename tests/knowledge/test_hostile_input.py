"""Hostile and malformed input: a 4xx naming the field, never a 500, nothing written."""

from __future__ import annotations

import json

import pytest

from opsdesk.knowledge.models import KnowledgeArticle


@pytest.mark.parametrize("body", [
    {"contract": "TAX-2026", "title": "a\x00b"},
    {"contract": "TAX-2026\x00", "title": "标题"},
    {"contract": "TAX-2026", "title": "标题", "categories": ["x"]},
    {"contract": "TAX-2026", "title": "标题", "categories": "1"},
    {"contract": "TAX-2026", "title": "t" * 201},
    {"contract": ["TAX-2026"], "title": "标题"},
    {"title": "标题"},
    "not json",
    [],
])
def test_create_refuses_malformed_bodies(world, api, body):
    client = api(world.agent)
    r = client.client.post("/api/v1/knowledge", body if isinstance(body, str) else json.dumps(body),
                           content_type="application/json")
    assert r.status_code in (400, 422), r.content[:300]
    assert not KnowledgeArticle.objects.exists()


def test_actions_and_edits_refuse_malformed_input(world, api, article):
    art = article(status="in_review")
    pm = api(world.pm)
    assert pm.post(f"/knowledge/{art.number}/actions/reject", {"reason": "a\x00"}).status_code == 422
    assert pm.post(f"/knowledge/{art.number}/actions/reject", {"reason": "原因", "version": "x"}).status_code == 422
    assert pm.post(f"/knowledge/{art.number}/actions/reject", {"reason": "原因", "version": 2**40}).status_code == 422
    assert pm.post(f"/knowledge/{art.number}/actions/reject", {"reason": "长" * 2001}).status_code == 422
    r = pm.client.patch(f"/api/v1/knowledge/{art.number}", json.dumps({"title": ""}), content_type="application/json")
    assert r.status_code == 422 and "title" in r.json()["error"]["fields"]
    r = pm.client.patch(f"/api/v1/knowledge/{art.number}", json.dumps({"categories": [0]}),
                        content_type="application/json")
    assert r.status_code == 422
    assert KnowledgeArticle.objects.get(pk=art.pk).status == "in_review"
    for path in ("/knowledge/KB-x", "/knowledge/%00", "/knowledge/" + "9" * 500):
        assert pm.get(path).status_code in (404, 422)
    assert pm.get("/knowledge", {"cursor": "garbage"}).status_code == 422
    assert pm.get("/knowledge", {"q": "a\x00"}).status_code == 422
    assert pm.post(f"/knowledge/{art.number}/solved", {"incident": "INC-1"}).status_code in (404, 409)


@pytest.mark.parametrize("url", ["/knowledge/?q=%00", "/knowledge/?cursor=garbage", "/knowledge/KB-x/",
                                 "/knowledge/%00/", "/knowledge/self-help/?q=%00", "/knowledge/self-help/KB-1/"])
def test_pages_never_fail(world, login, url):
    r = login(world.agent).get(url)
    assert r.status_code in (200, 400, 404, 422), (url, r.status_code)

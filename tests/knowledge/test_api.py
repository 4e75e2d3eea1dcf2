"""The knowledge API: list, create, detail, edit, actions with allowed_actions and version, solved."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.knowledge import services
from opsdesk.knowledge.models import KnowledgeArticle
from tests.api.conftest import ApiClient, token_for
from tests.factories import CategoryFactory

from .conftest import resolved_incident


def _body(**kw):
    return {"contract": "TAX-2026", "title": "税控盘无法识别", "symptom": "插入税控盘无反应",
            "solution": "重新安装驱动", "keywords": "税控盘 驱动", "audience": "requester", **kw}


def test_create_detail_and_lifecycle(world, api):
    cat = CategoryFactory(name="税务软件")
    r = api(world.engineer).post("/knowledge", _body(categories=[cat.pk]))
    assert r.status_code == 201, r.content
    art = r.json()
    assert art["status"] == "draft" and art["author"] == "engineer" and art["categories"][0]["id"] == cat.pk
    assert [a["name"] for a in art["allowed_actions"]] == ["submit"]
    number, version = art["number"], art["version"]
    r = api(world.engineer).post(f"/knowledge/{number}/actions/submit", {"version": version})
    assert r.status_code == 200 and r.json()["status"] == "in_review"
    r = api(world.engineer).post(f"/knowledge/{number}/actions/accept", {"version": r.json()["version"]})
    assert r.status_code == 403
    detail = api(world.pm).get(f"/knowledge/{number}").json()
    assert [a["name"] for a in detail["allowed_actions"]] == ["accept", "reject"]
    reject = next(a for a in detail["allowed_actions"] if a["name"] == "reject")
    assert reject["fields"][0]["name"] == "reason" and reject["fields"][0]["required"]
    r = api(world.pm).post(f"/knowledge/{number}/actions/accept", {"version": detail["version"]})
    assert r.status_code == 200
    out = r.json()
    assert out["status"] == "published" and out["revision"] == 1 and out["versions"][0]["revision"] == 1
    assert out["reviewer"] == "pm"
    # the requester sees it, without the staff-only history
    seen = api(world.requester_a).get(f"/knowledge/{number}").json()
    assert seen["versions"] == [] and seen["allowed_actions"] == []
    assert api(world.requester_b).get(f"/knowledge/{number}").status_code == 404


def test_edit_and_409_on_a_stale_version(world, api, article):
    art = article(status="published")
    client = api(world.agent).client
    r = client.patch(f"/api/v1/knowledge/{art.number}", {"version": art.version, "solution": "新办法"},
                     content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["revision"] == 2 and [v["revision"] for v in r.json()["versions"]] == [2, 1]
    r = client.patch(f"/api/v1/knowledge/{art.number}", {"version": art.version, "solution": "旧页面"},
                     content_type="application/json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "stale_version"
    r = api(world.pm).post(f"/knowledge/{art.number}/actions/retire", {"version": art.version})
    assert r.status_code == 409 and r.json()["error"]["code"] == "stale_version"
    assert KnowledgeArticle.objects.get(pk=art.pk).solution == "新办法"


@pytest.mark.parametrize(("lang", "message"), [("en", "This field is required."), ("zh-hans", "此项为必填项。")])
def test_validation_errors_in_the_callers_language(world, api, lang, message):
    r = api(world.agent).post("/knowledge", _body(title=""), **{"Accept-Language": lang})
    assert r.status_code == 422 and r.json()["error"]["fields"]["title"] == message
    r = api(world.agent).post("/knowledge", _body(audience="all"), **{"Accept-Language": lang})
    assert r.status_code == 422 and "audience" in r.json()["error"]["fields"]


def test_refusals(world, api, article):
    assert api(world.requester_a).post("/knowledge", _body()).status_code == 422
    assert api(world.agent_b).post("/knowledge", _body()).status_code == 422  # not their contract
    draft = article()
    assert api(world.agent).post(f"/knowledge/{draft.number}/actions/fly", {}).status_code == 404
    assert api(world.agent).post(f"/knowledge/{draft.number}/actions/accept", {}).status_code == 409
    assert api(world.requester_a).get(f"/knowledge/{draft.number}").status_code == 404
    assert api(world.agent).get("/knowledge/KB-1").status_code == 404


def test_solved_once_per_person(world, api, article):
    art = article(status="published", audience="requester")
    inc = resolved_incident(world)
    r = api(world.agent).post(f"/knowledge/{art.number}/solved", {"incident": inc.number})
    assert r.json() == {"counted": True, "solved_count": 1}
    assert api(world.agent).post(f"/knowledge/{art.number}/solved", {}).json() == {"counted": False,
                                                                                   "solved_count": 1}
    assert api(world.requester_a).post(f"/knowledge/{art.number}/solved", {}).json()["solved_count"] == 2
    assert api(world.requester_b).post(f"/knowledge/{art.number}/solved", {}).status_code == 404
    draft = article()
    assert api(world.agent).post(f"/knowledge/{draft.number}/solved", {}).status_code == 409


def test_list_filters_and_visibility(world, api, article):
    a = article("打印机脱机", status="published", audience="requester")
    b = article("VPN 证书", status="published", symptom="证书过期", solution="更新证书")
    c = article("草稿", symptom="草稿", solution="草稿")
    agent = api(world.agent)
    assert [i["number"] for i in agent.get("/knowledge").json()["items"]] == [c.number, b.number, a.number]
    assert [i["number"] for i in agent.get("/knowledge", {"status": "draft"}).json()["items"]] == [c.number]
    assert [i["number"] for i in agent.get("/knowledge", {"audience": "requester"}).json()["items"]] == [a.number]
    assert [i["number"] for i in agent.get("/knowledge", {"q": "证书"}).json()["items"]] == [b.number]
    assert [i["number"] for i in api(world.requester_a).get("/knowledge").json()["items"]] == [a.number]
    assert api(world.requester_b).get("/knowledge").json()["items"] == []
    assert agent.get("/knowledge", {"status": "nope"}).status_code == 422
    page = agent.get("/knowledge", {"limit": 2}).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = agent.get("/knowledge", {"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [i["number"] for i in rest["items"]] == [a.number]


def _make(world, n: int) -> None:
    cat = CategoryFactory(name="打印机")
    for i in range(n):
        art = services.article_create(by=world.engineer if i % 2 else world.agent, contract=world.contract_a,
                                      title=f"文章{i}", audience="requester", categories=[cat.pk])
        if i % 3:
            services.article_act(article=art, action="submit", by=world.agent)
        if i % 3 == 2:
            services.article_act(article=art, action="accept", by=world.pm)


def _count(user, path: str) -> int:
    client = ApiClient(token_for(user), user)  # a fresh client each time: the same cold start
    client.get(path)
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(path)
    assert r.status_code == 200 and r.json()["items"]
    return len(ctx.captured_queries)


@pytest.mark.parametrize("viewer", ["agent", "pm", "requester_a"])
def test_list_api_query_count_is_constant_in_rows(world, viewer):
    user = getattr(world, viewer)
    _make(world, 6)
    few = _count(user, "/knowledge?limit=200")
    _make(world, 30)
    many = _count(user, "/knowledge?limit=200")
    assert few == many, (few, many)


def test_candidate_from_an_incident(world, api):
    inc = resolved_incident(world, title="OA 无法登录", symptom="提示密码错误")
    r = api(world.engineer).post(f"/knowledge/from-incident/{inc.number}")
    assert r.status_code == 201, r.content
    art = r.json()
    assert art["status"] == "draft" and art["source_incident"] == inc.number and art["title"] == "OA 无法登录"
    again = api(world.agent).post(f"/knowledge/from-incident/{inc.number}")
    assert again.status_code == 200 and again.json()["number"] == art["number"]
    assert api(world.requester_a).post(f"/knowledge/from-incident/{inc.number}").status_code == 403
    assert api(world.agent_b).post(f"/knowledge/from-incident/{inc.number}").status_code == 404
    open_inc = world.incident()
    assert api(world.agent).post(f"/knowledge/from-incident/{open_inc.number}").status_code == 409


def test_huge_category_ids_are_a_422(world, api):
    r = api(world.agent).post("/knowledge", _body(categories=[2**70]))
    assert r.status_code == 422 and "categories.0" in r.json()["error"]["fields"]

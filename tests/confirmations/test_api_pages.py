"""Confirmations over the API and on pages: the procedure, the monthly report call, visibility (404s), the
application owner's and division's pages and approvals, stale versions, and constant list query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.confirmations.models import Confirmation

from .conftest import local

pytestmark = pytest.mark.django_db


def test_bug_from_a_problem_to_the_answer_over_the_api(world, api, people):
    from opsdesk.problems import services as problems

    prb = problems.problem_create(by=world.second_line, contract=world.contract_a, title="申报表数据丢失")
    r = api(world.second_line).post("/confirmations", {"kind": "bug", "problem": prb.number, "title": "保存接口缺陷"})
    assert r.status_code == 201, r.content
    out = r.json()
    number = out["number"]
    assert out["contract"] == "TAX-2026" and out["problem"] == prb.number and out["allowed_actions"] == []
    r = api(people.reviewer).get(f"/confirmations/{number}")
    assert [a["name"] for a in r.json()["allowed_actions"]] == ["take_review"]
    v = r.json()["version"]
    assert api(people.reviewer).post(f"/confirmations/{number}/actions/take_review", {"version": v}).status_code == 200
    r = api(people.reviewer).post(f"/confirmations/{number}/actions/reproduce", {"version": v + 1})
    assert r.status_code == 422 and set(r.json()["error"]["fields"]) == {"check_notes"}
    r = api(people.reviewer).post(f"/confirmations/{number}/actions/reproduce", {"version": v, "check_notes": "x"})
    assert r.status_code == 409
    r = api(people.reviewer).post(f"/confirmations/{number}/actions/reproduce",
                                  {"version": v + 1, "check_notes": "模拟环境重现"})
    assert r.status_code == 200
    r = api(people.reviewer).post(f"/confirmations/{number}/actions/confirm", {
        "version": r.json()["version"], "confirmed_with": "开发 王工", "summary": "未提交事务", "impact": "数据丢失"})
    r = api(people.reviewer).post(f"/confirmations/{number}/actions/mark_urgent", {"version": r.json()["version"]})
    assert r.status_code == 200 and r.json()["status"] == "in_report"
    report = r.json()["report"]
    # The application owner now sees the report and the item, but not the problem behind it.
    r = api(people.owner).get(f"/confirmations/reports/{report}")
    assert r.status_code == 200 and [a["name"] for a in r.json()["allowed_actions"]] == ["approve", "send_back"]
    assert api(people.owner).get(f"/confirmations/{number}").json()["problem"] is None
    r = api(people.owner).post(f"/confirmations/reports/{report}/actions/approve", {"version": r.json()["version"]})
    assert r.status_code == 200 and r.json()["status"] == "transferred"
    item_version = r.json()["items"][0]["version"]
    r = api(people.division).post(f"/confirmations/reports/{report}/items/{number}/answer",
                                  {"answer": "已排入 3.2 版本", "result": "planned", "version": item_version - 1})
    assert r.status_code == 409
    r = api(people.division).post(f"/confirmations/reports/{report}/items/{number}/answer",
                                  {"answer": "已排入 3.2 版本", "result": "planned", "version": item_version})
    assert r.status_code == 200 and r.json()["status"] == "answered"
    assert r.json()["items"][0]["answer_result"] == "planned"


def test_the_monthly_report_over_the_api_is_idempotent(world, api, people, item):
    item("bug", "queued", confirmed_at=local(2026, 10, 5))
    r = api(people.reviewer).post("/confirmations/reports/monthly", {"contract": "TAX-2026", "month": "2026-10"})
    assert r.status_code == 201, r.content
    assert r.json()["added"] == 1 and len(r.json()["report"]["items"]) == 1
    assert r.json()["report"]["period"] == "2026-10"
    again = api(people.reviewer).post("/confirmations/reports/monthly", {"contract": "TAX-2026", "month": "2026-10"})
    assert again.status_code == 200 and again.json()["added"] == 0
    assert again.json()["report"]["number"] == r.json()["report"]["number"]
    bad = api(people.reviewer).post("/confirmations/reports/monthly", {"contract": "TAX-2026", "month": "10/2026"})
    assert bad.status_code == 422 and "month" in bad.json()["error"]["fields"]
    assert api(world.second_line).post("/confirmations/reports/monthly",
                                       {"contract": "TAX-2026", "month": "2026-10"}).status_code == 403


def test_who_sees_what(world, api, people, item):
    queued = item("bug", "queued")
    reported = item("bug", "in_report")
    for who in (world.requester_a, world.contact_a, world.agent_b, world.requester_b):
        assert api(who).get(f"/confirmations/{queued.number}").status_code == 404
        assert api(who).get(f"/confirmations/reports/{reported.report.number}").status_code == 404
        assert api(who).get("/confirmations").json()["items"] == []
    assert api(people.owner).get(f"/confirmations/{queued.number}").status_code == 404
    assert api(people.owner).get(f"/confirmations/{reported.number}").status_code == 200
    assert [i["number"] for i in api(people.owner).get("/confirmations").json()["items"]] == [reported.number]
    assert api(world.agent).get(f"/confirmations/{queued.number}").status_code == 200
    assert api(world.agent).get("/confirmations/BUG-x").status_code == 404
    assert api(world.agent).get("/confirmations", {"kind": "x"}).status_code == 422


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_query_counts_do_not_grow_with_rows(world, api, login, people, item):
    item("bug", "in_report")
    page = login(people.reviewer)
    _count(api(people.reviewer).client, "/api/v1/confirmations")
    counts = [_count(api(people.reviewer).client, "/api/v1/confirmations"), _count(page, "/confirmations/"),
              _count(api(people.reviewer).client, "/api/v1/confirmations/reports"),
              _count(page, "/confirmations/reports/")]
    for _ in range(3):
        item("bug", "in_report")
        item("requirement", "queued")
    assert [_count(api(people.reviewer).client, "/api/v1/confirmations"), _count(page, "/confirmations/"),
            _count(api(people.reviewer).client, "/api/v1/confirmations/reports"),
            _count(page, "/confirmations/reports/")] == counts


def test_pages_from_a_problem_to_the_division_answer(world, login, people):
    from opsdesk.problems import services as problems

    prb = problems.problem_create(by=world.second_line, contract=world.contract_a, title="打印模块报错")
    dba = login(world.second_line)
    r = dba.get(f"/confirmations/new/?problem={prb.number}")
    assert r.status_code == 200 and prb.number in r.content.decode()
    r = dba.post("/confirmations/new/", {"kind": "bug", "problem": prb.number, "title": ""})
    assert r.status_code == 422 and Confirmation.objects.count() == 0
    r = dba.post("/confirmations/new/", {"kind": "bug", "problem": prb.number, "title": "打印模块缺陷"})
    assert r.status_code == 302
    cfm = Confirmation.objects.get()
    assert cfm.problem == prb and cfm.contract == world.contract_a
    reviewer = login(people.reviewer)
    for action, data in (("take_review", {}), ("reproduce", {"check_notes": "重现"}),
                         ("confirm", {"confirmed_with": "开发", "summary": "缺陷", "impact": "无法打印"}),
                         ("mark_urgent", {})):
        cfm.refresh_from_db()
        r = reviewer.post(f"/confirmations/{cfm.number}/actions/{action}/", {"version": cfm.version, **data})
        assert r.status_code == 302, (action, r.status_code)
    cfm.refresh_from_db()
    owner = login(people.owner)
    assert f'href="{cfm.report.get_absolute_url()}"' in owner.get("/approvals/").content.decode()
    r = owner.get(cfm.report.get_absolute_url())
    assert r.status_code == 200 and 'data-action="approve"' in r.content.decode()
    r = owner.post(f"/confirmations/reports/{cfm.report.number}/actions/approve/", {"version": cfm.report.version})
    assert r.status_code == 302
    division = login(people.division)
    assert cfm.report.number in division.get("/approvals/").content.decode()
    cfm.refresh_from_db()
    url = f"/confirmations/reports/{cfm.report.number}/items/{cfm.number}/answer/"
    assert division.post(url, {"version": cfm.version, "answer": "", "result": "fixed"}).status_code == 422
    assert division.post(url, {"version": cfm.version, "answer": "已修复", "result": "fixed"}).status_code == 302
    cfm.refresh_from_db()
    assert cfm.status == "answered"
    assert 'id="approvals-empty"' in division.get("/approvals/").content.decode()
    assert login(world.requester_a).get(cfm.report.get_absolute_url()).status_code == 404
    assert login(people.owner).get("/confirmations/").status_code in (302, 403)


def test_the_monthly_form_on_the_list_page(world, login, people, item):
    item("bug", "queued", confirmed_at=local(2026, 10, 5))
    page = login(people.reviewer)
    r = page.post("/confirmations/reports/monthly/", {"contract": "TAX-2026", "month": "2026-10"})
    assert r.status_code == 302 and "/confirmations/reports/TR-" in r["Location"]
    r = page.post("/confirmations/reports/monthly/", {"contract": "TAX-2026", "month": "not-a-month"})
    assert r.status_code == 302 and r["Location"].endswith("/confirmations/")


def test_the_form_opened_from_a_problem_names_its_incident(world, login, people):
    from opsdesk.problems import services as problems
    from tests.problems.conftest import escalated_incident

    inc = escalated_incident(world, title="打印服务崩溃")
    prb = problems.problem_create_from_incidents(by=world.second_line, incidents=[inc], title="打印服务崩溃")
    html = login(world.second_line).get(f"/confirmations/new/?problem={prb.number}").content.decode()
    assert f'value="{inc.number}"' in html and f'value="{prb.number}"' in html

"""The staff pages: list with filters and metrics (query budget), open from an incident, detail with actions,
linking, comments, publish as knowledge; clients are sent away, other contracts' staff get 404."""

from __future__ import annotations

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from opsdesk.incidents.models import Incident
from opsdesk.knowledge.models import KnowledgeArticle
from opsdesk.problems import services
from opsdesk.problems.models import Problem, ProblemIncident

from .conftest import accepted_incident


def test_list_page_filters_and_metrics(world, login, problem):
    a = problem("known_error", title="打印驱动冲突")
    b = problem("new", title="VPN 证书过期")
    pm = login(world.pm)
    page = pm.get("/problems/").content.decode()
    assert a.number in page and b.number in page and 'id="problem-metrics"' in page
    assert 'data-contract="TAX-2026"' in page
    page = pm.get("/problems/", {"known_error": "true"}).content.decode()
    assert a.number in page and b.number not in page
    page = pm.get("/problems/", {"status": "new"}).content.decode()
    assert b.number in page and a.number not in page
    page = pm.get("/problems/", {"q": "VPN"}).content.decode()
    assert b.number in page and a.number not in page
    assert pm.get("/problems/", {"status": "bogus"}).status_code == 400
    r = pm.get("/problems/", {"status": "new"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and 'id="problem-results"' in r.content.decode() and "<html" not in r.content.decode()


def test_list_page_paginates(world, login, settings, problem):
    settings.OPSDESK_PAGE_SIZE = 2
    made = [problem("new", title=f"问题{i}") for i in range(3)]
    r = login(world.pm).get("/problems/")
    page = r.content.decode()
    assert made[2].number in page and made[1].number in page and made[0].number not in page
    assert 'rel="next"' in page


def _count(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200
    return len(ctx.captured_queries)


def test_list_page_query_count_is_constant_in_rows(world, login, problem):
    client = login(world.pm)
    for _i in range(2):
        prb = problem("investigating")
        services.problem_link_incident(problem=prb, incident=accepted_incident(world), by=world.engineer)
    few = _count(client, "/problems/")
    for _i in range(8):
        prb = problem("known_error")
        services.problem_link_incident(problem=prb, incident=accepted_incident(world), by=world.engineer)
    many = _count(client, "/problems/")
    assert few == many, (few, many)
    assert many <= 16


def test_clients_are_sent_away_and_other_staff_get_404(world, login, problem):
    prb = problem("new")
    for who in ("requester_a", "contact_a"):
        c = login(getattr(world, who))
        assert c.get("/problems/").status_code == 302
        assert c.get(f"/problems/{prb.number}/").status_code == 302
        assert c.post(f"/problems/{prb.number}/actions/investigate/", {"version": prb.version}).status_code == 302
    other = login(world.agent_b)
    assert other.get(f"/problems/{prb.number}/").status_code == 404
    assert other.post(f"/problems/{prb.number}/actions/investigate/", {"version": prb.version}).status_code == 404
    assert prb.number not in other.get("/problems/").content.decode()
    assert Problem.objects.get(pk=prb.pk).status == "new"


def test_create_from_an_incident_through_the_page(world, login):
    inc = accepted_incident(world, title="OA 登录超时", affected_system="OA", level=2)
    engineer = login(world.engineer)
    form = engineer.get("/problems/new/", {"incident": inc.number}).content.decode()
    assert inc.number in form and "OA 登录超时" in form and 'accesskey="s"' in form
    r = engineer.post("/problems/new/", {"incidents": inc.number, "title": "", "level": "2"},
                      headers={"Accept-Language": "en"})
    assert r.status_code == 422 and "This field is required." in r.content.decode()
    assert not Problem.objects.exists()
    r = engineer.post("/problems/new/", {"incidents": inc.number, "title": "OA 登录超时", "level": "2",
                                         "affected_system": "OA"})
    assert r.status_code == 302
    prb = Problem.objects.get()
    assert prb.contract == world.contract_a and prb.level == 2 and prb.owner == world.engineer
    assert ProblemIncident.objects.filter(problem=prb, incident=inc, active=True).exists()
    r = engineer.post("/problems/new/", {"incidents": "INC-20200101-0001", "title": "x"})
    assert r.status_code == 422 and Problem.objects.count() == 1


def test_create_on_its_own_and_refusals(world, login):
    r = login(world.second_line).post("/problems/new/", {"contract": "TAX-2026", "title": "数据库连接池耗尽",
                                                         "level": "3"})
    assert r.status_code == 302
    r = login(world.agent).post("/problems/new/", {"contract": "TAX-2026", "title": "坐席不能建", "level": "3"})
    assert r.status_code == 422
    r = login(world.agent_b).post("/problems/new/", {"contract": "TAX-2026", "title": "别的合同", "level": "3"})
    assert r.status_code == 422
    assert Problem.objects.count() == 1


def test_detail_actions_link_comment_and_publish(world, login, problem):
    prb = problem("investigating")
    inc = accepted_incident(world)
    engineer = login(world.engineer)
    page = engineer.get(f"/problems/{prb.number}/").content.decode()
    assert 'data-action="mark_known_error"' in page and 'data-action="close"' not in page and 'id="link-form"' in page
    r = engineer.post(f"/problems/{prb.number}/incidents/", {"incident": inc.number})
    assert r.status_code == 302
    assert inc.number in engineer.get(f"/problems/{prb.number}/").content.decode()
    r = engineer.post(f"/problems/{prb.number}/incidents/", {"incident": "INC-x"})
    assert r.status_code == 422
    r = engineer.post(f"/problems/{prb.number}/actions/mark_known_error/",
                      {"version": prb.version, "root_cause": "", "workaround": ""})
    assert r.status_code == 422
    r = engineer.post(f"/problems/{prb.number}/actions/mark_known_error/",
                      {"version": prb.version, "root_cause": "缓存未失效", "workaround": "清理缓存"})
    assert r.status_code == 302
    r = engineer.post(f"/problems/{prb.number}/actions/solve/", {"version": prb.version, "solution": "旧页面"})
    assert r.status_code == 409  # the page was stale
    prb.refresh_from_db()
    r = login(world.second_line).post(f"/problems/{prb.number}/actions/solve/",
                                      {"version": prb.version, "solution": "修复缓存失效逻辑"})
    assert r.status_code == 302
    assert Incident.objects.get(pk=inc.pk).status == "awaiting_confirmation"
    r = engineer.post(f"/problems/{prb.number}/comments/", {"body": "已通知开发", "internal": "on"})
    assert r.status_code == 302
    r = engineer.post(f"/problems/{prb.number}/knowledge/")
    article = KnowledgeArticle.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/knowledge/{article.number}/edit/"
    page = engineer.get(f"/problems/{prb.number}/").content.decode()
    assert article.number in page and "已通知开发" in page and 'data-action="incident_linked"' in page
    r = engineer.post(f"/problems/{prb.number}/incidents/{inc.number}/unlink/")
    assert r.status_code == 302 and not ProblemIncident.objects.filter(problem=prb).exists()


def test_incident_partial_lists_problems_for_staff_only(world, problem):
    prb = problem("known_error")
    inc = accepted_incident(world)
    services.problem_link_incident(problem=prb, incident=inc, by=world.engineer)

    def render(user, is_staff):
        request = RequestFactory().get("/")
        request.user = user
        return render_to_string("problems/_incident_problems.html", {"incident": inc, "is_staff": is_staff},
                                request=request)

    assert prb.number in render(world.agent, True)
    assert prb.number not in render(world.requester_a, False)
    other = accepted_incident(world)
    html = render_to_string("problems/_incident_problems.html", {"incident": other, "is_staff": True},
                            request=_request(world.agent))
    assert f"/problems/new/?incident={other.number}" in html


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


@pytest.mark.parametrize("url", ["/problems/?q=%00", "/problems/?cursor=garbage", "/problems/PRB-x/",
                                 "/problems/%00/", "/problems/?known_error=maybe", "/problems/new/?incident=%00",
                                 "/problems/new/?incident=INC-1"])
def test_pages_never_fail(world, login, url):
    r = login(world.pm).get(url)
    assert r.status_code in (200, 400, 404, 422), (url, r.status_code)

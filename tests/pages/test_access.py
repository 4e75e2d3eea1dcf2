"""Who sees which page: the right people get it, everyone else 404 (or the login page, or their own side)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.factories import PASSWORD

from .helpers import text


def test_login_page_and_landing(world):
    anon = Client()
    page = anon.get("/accounts/login/")
    assert page.status_code == 200 and 'name="username"' in text(page) and 'name="password"' in text(page)
    response = anon.post("/accounts/login/", {"username": "agent", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/incidents/workbench/"
    req = Client()
    response = req.post("/accounts/login/", {"username": "req_a", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/portal/"


def test_wrong_password_shows_the_form_again(world):
    response = Client().post("/accounts/login/", {"username": "agent", "password": "nope"})
    assert response.status_code == 200 and "alert-danger" in text(response)


def test_logout_is_a_post(world, login):
    agent = login(world.agent)
    assert agent.get("/incidents/workbench/").status_code == 200
    assert agent.post("/accounts/logout/").status_code == 302
    assert agent.get("/incidents/workbench/").status_code == 302


@pytest.mark.parametrize("url", ["/incidents/workbench/", "/incidents/", "/incidents/new/", "/portal/",
                                 "/portal/new/", "/incidents/INC-20260101-0001/"])
def test_anonymous_goes_to_login(world, url):
    response = Client().get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", ["/incidents/workbench/", "/incidents/", "/incidents/new/"])
def test_staff_pages_send_client_people_to_the_portal(world, login, url):
    response = login(world.requester_a).get(url)
    assert response.status_code == 302 and response["Location"] == "/portal/"


def test_navbar_shows_the_user_and_the_language_switch(world, login):
    page = text(login(world.agent).get("/incidents/workbench/"))
    assert "王坐席" in page and 'action="/i18n/setlang/"' in page and 'action="/accounts/logout/"' in page


def test_list_shows_only_visible_incidents(world, login):
    a = world.incident(title="税务A的事件")
    b = world.incident(by=world.agent_b, contract=world.contract_b, requester=world.requester_b, title="社保B的事件")
    page = text(login(world.agent).get("/incidents/"))
    assert a.number in page and b.number not in page
    page = text(login(world.agent_b).get("/incidents/"))
    assert b.number in page and a.number not in page


def test_detail_is_404_for_whoever_may_not_see_it(world, login):
    inc = world.incident()
    assert login(world.agent).get(f"/incidents/{inc.number}/").status_code == 200
    assert login(world.engineer).get(f"/incidents/{inc.number}/").status_code == 200
    for outsider in (world.agent_b, world.requester_b, world.contact_b, world.requester_a2):
        assert login(outsider).get(f"/incidents/{inc.number}/").status_code == 404, outsider.username
        assert login(outsider).get(f"/portal/incidents/{inc.number}/").status_code == 404, outsider.username
    assert login(world.agent).get("/incidents/INC-20990101-9999/").status_code == 404


def test_client_people_follow_tickets_in_the_portal(world, login):
    inc = world.incident()
    for person in (world.requester_a, world.contact_a):
        response = login(person).get(f"/incidents/{inc.number}/")
        assert response.status_code == 302 and response["Location"] == f"/portal/incidents/{inc.number}/"
        assert login(person).get(f"/portal/incidents/{inc.number}/").status_code == 200


def test_portal_lists_own_tickets_and_a_contact_sees_the_organisation(world, login):
    own = world.incident(title="我的电脑蓝屏")
    other = world.incident(requester=world.requester_a2, title="张四的打印机")
    elsewhere = world.incident(by=world.agent_b, contract=world.contract_b, requester=world.requester_b)
    page = text(login(world.requester_a).get("/portal/"))
    assert own.number in page and other.number not in page and elsewhere.number not in page
    page = text(login(world.contact_a).get("/portal/"))
    assert own.number in page and other.number in page and elsewhere.number not in page


def test_staff_landing_on_the_portal_go_to_the_workbench(world, login):
    assert login(world.agent).get("/portal/")["Location"] == "/incidents/workbench/"


def test_script_in_a_title_is_shown_escaped_everywhere(world, login):
    inc = world.incident(title="<script>alert('x')</script>", description="<b>粗体</b>\n第二行")
    for client, url in ((login(world.agent), "/incidents/"), (login(world.agent), f"/incidents/{inc.number}/"),
                        (login(world.agent), "/incidents/workbench/"),
                        (login(world.requester_a), "/portal/?tab=all"),
                        (login(world.requester_a), f"/portal/incidents/{inc.number}/")):
        page = text(client.get(url))
        assert "<script>alert(" not in page, url
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page, url
    page = text(login(world.agent).get(f"/incidents/{inc.number}/"))
    assert "&lt;b&gt;粗体&lt;/b&gt;<br>第二行" in page


def test_chinese_by_default_and_english_after_switching(world, login):
    agent = login(world.agent)
    page = text(agent.get("/incidents/workbench/"))
    assert '<html lang="zh-hans">' in page and "工作台" in page and "我的队列" in page
    response = agent.post("/i18n/setlang/", {"language": "en", "next": "/incidents/workbench/"})
    assert response.status_code == 302 and response["Location"] == "/incidents/workbench/"
    page = text(agent.get("/incidents/workbench/"))
    assert '<html lang="en">' in page and "Workbench" in page and "My queue" in page and "工作台" not in page
    agent.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "工作台" in text(agent.get("/incidents/workbench/"))


def test_pages_link_only_local_assets_and_no_inline_script(world, login):
    inc = world.incident()
    for url in ("/incidents/workbench/", "/incidents/", "/incidents/new/", f"/incidents/{inc.number}/"):
        response = login(world.agent).get(url)
        page = text(response)
        assert "/static/vendor/tabler/tabler.min.css" in page and "/static/django_htmx/htmx-2.min.js" in page
        assert "https://" not in page and "http://" not in page, url
        scripts = re.findall(r"<script\b[^>]*>", page)
        assert scripts and all('src="/static/' in tag for tag in scripts), scripts  # the CSP allows no inline JS
        assert all(not body.strip() for body in re.findall(r"<script\b[^>]*>(.*?)</script>", page, re.S))
        assert " on" + "click=" not in page and "script-src 'self'" in response["Content-Security-Policy"]


def test_static_assets_are_served_locally(world, client):
    for path in ("/static/vendor/tabler/tabler.min.css", "/static/vendor/tabler/tabler.min.js",
                 "/static/django_htmx/htmx-2.min.js", "/static/opsdesk/opsdesk.js", "/static/opsdesk/opsdesk.css"):
        response = client.get(path)
        assert response.status_code == 200, path
        if hasattr(response, "close"):
            response.close()

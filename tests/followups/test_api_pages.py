"""Follow-ups over the API and on pages: the whole procedure, visibility (404), stale versions (409), field
errors (422), and list query counts that do not grow with rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.followups.models import FollowUp

from .conftest import walk

pytestmark = pytest.mark.django_db


def test_the_procedure_over_the_api(world, api, solved):
    inc, _prb, fu = solved()
    base = f"/follow-ups/{fu.number}"
    r = api(world.engineer).get(base)
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["ticket"] == inc.number and out["ticket_type"] == "incident" and out["status"] == "open"
    assert [a["name"] for a in out["allowed_actions"]] == ["verify"]
    r = api(world.engineer).post(f"{base}/actions/verify", {"version": out["version"]})
    assert r.status_code == 422 and set(r.json()["error"]["fields"]) == {"verification"}
    r = api(world.engineer).post(f"{base}/actions/verify", {"version": out["version"] + 5, "verification": "ok"})
    assert r.status_code == 409
    r = api(world.engineer).post(f"{base}/actions/verify", {"version": out["version"], "verification": "已验证"})
    assert r.status_code == 200 and r.json()["status"] == "verified"
    r = api(world.requester_a).post(f"{base}/actions/call_back", {"version": r.json()["version"],
                                                                   "callback_note": "x"})
    assert r.status_code == 403
    v = api(world.engineer).get(base).json()["version"]
    r = api(world.engineer).post(f"{base}/actions/call_back", {"version": v, "callback_note": "已告知"})
    assert r.status_code == 200
    r = api(world.requester_a).get(base)
    assert r.status_code == 200 and [a["name"] for a in r.json()["allowed_actions"]] == ["confirm", "send_back"]
    r = api(world.requester_a).post(f"{base}/actions/confirm", {"version": r.json()["version"],
                                                                 "no_side_effects": True})
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    r = api(world.pm).post(f"{base}/actions/update_tracking", {"version": r.json()["version"]})
    assert r.status_code == 200
    r = api(world.engineer).post(f"{base}/actions/close", {"version": r.json()["version"]})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert [e["action"] for e in r.json()["timeline"] if e["kind"] == "action"] == [
        "verify", "call_back", "confirm", "update_tracking", "close"]
    inc.refresh_from_db()
    assert inc.status == "closed"


def test_people_who_may_not_see_it_get_404(world, api, solved):
    _inc, _prb, fu = solved()
    for who in (world.requester_a2, world.requester_b, world.contact_b, world.agent_b):
        assert api(who).get(f"/follow-ups/{fu.number}").status_code == 404
        assert fu.number not in {i["number"] for i in api(who).get("/follow-ups").json()["items"]}
    assert api(world.contact_a).get(f"/follow-ups/{fu.number}").status_code == 200
    assert api(world.engineer).get("/follow-ups/FUP-junk").status_code == 404
    assert api(world.engineer).get("/follow-ups", {"status": "nonsense"}).status_code == 422


def _list_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
        assert r.status_code == 200
    return len(ctx.captured_queries)


def test_list_query_counts_do_not_grow_with_rows(world, api, login, solved):
    solved()
    page = login(world.pm)
    _list_queries(api(world.pm).client, "/api/v1/follow-ups")  # the first call records the token's use
    one_api = _list_queries(api(world.pm).client, "/api/v1/follow-ups")
    one_page = _list_queries(page, "/follow-ups/")
    for _ in range(4):
        solved()
    assert FollowUp.objects.count() == 5
    assert _list_queries(api(world.pm).client, "/api/v1/follow-ups") == one_api
    assert _list_queries(page, "/follow-ups/") == one_page


def test_pages_list_detail_and_an_action(world, login, solved):
    _inc, _prb, fu = solved()
    page = login(world.engineer)
    r = page.get("/follow-ups/")
    assert r.status_code == 200 and fu.number in r.content.decode()
    r = page.get(fu.get_absolute_url())
    html = r.content.decode()
    assert r.status_code == 200 and 'data-action="verify"' in html and fu.ticket_number in html
    r = page.post(f"/follow-ups/{fu.number}/actions/verify/", {"version": fu.version, "verification": ""})
    assert r.status_code == 422
    fu.refresh_from_db()
    assert fu.status == "open"
    r = page.post(f"/follow-ups/{fu.number}/actions/verify/", {"version": fu.version, "verification": "已验证"})
    assert r.status_code == 302
    fu.refresh_from_db()
    assert fu.status == "verified"
    r = page.post(f"/follow-ups/{fu.number}/actions/verify/", {"version": fu.version - 1, "verification": "x"})
    assert r.status_code == 409
    assert login(world.requester_b).get(fu.get_absolute_url()).status_code == 404


def test_the_requester_confirms_on_the_page(world, login, solved):
    _inc, _prb, fu = solved()
    fu = walk(fu, world, until="call_back")
    page = login(world.requester_a)
    r = page.post(f"/follow-ups/{fu.number}/actions/confirm/", {"version": fu.version, "no_side_effects": "on"})
    assert r.status_code == 302
    fu.refresh_from_db()
    assert fu.status == "confirmed"


def test_the_incident_pages_show_its_problem_and_follow_up(world, login, solved):
    """The incident page reads these cards only when the incident has rows for them (incident_links)."""
    inc, prb, fu = solved()
    staff_page = login(world.agent).get(f"/incidents/{inc.number}/").content.decode()
    assert f'data-problem="{prb.number}"' in staff_page
    assert 'id="ticket-followups"' in staff_page and fu.number in staff_page
    portal_page = login(world.requester_a).get(f"/portal/incidents/{inc.number}/").content.decode()
    assert 'id="ticket-followups"' in portal_page and fu.number in portal_page
    other = world.incident(title="没有关联的故障")
    bare = login(world.agent).get(f"/incidents/{other.number}/").content.decode()
    assert "data-problem=" not in bare and 'id="ticket-followups"' not in bare

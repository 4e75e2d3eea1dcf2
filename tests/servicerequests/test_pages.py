"""Service request pages: list (filters, query count), new (kind first, from an incident), detail with steps
and action forms for client people too, actions posted from the page, print, and 404s."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.servicerequests.models import ServiceRequest

from .conftest import KINDS, REPORT, act


def test_list_page_filters(world, login, drive):
    a = drive.dispatched("urgent")
    b = drive.create("onsite")
    client = login(world.pm)
    r = client.get("/service-requests/")
    assert r.status_code == 200 and f'data-number="{a.number}"' in r.content.decode()
    body = client.get("/service-requests/", {"kind": "onsite"}).content.decode()
    assert f'data-number="{b.number}"' in body and f'data-number="{a.number}"' not in body
    body = client.get("/service-requests/", {"handler": "me"}).content.decode()
    assert "data-number=" not in body
    assert client.get("/service-requests/", {"status": "bogus"}).status_code == 400
    r = client.get("/service-requests/", {"mine": "on"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'id="request-results"' in r.content.decode()


def test_list_page_for_client_people(world, people, login, drive):
    sr = drive.create("urgent")
    for person in (world.requester_a, people.app_owner, world.contact_a):
        body = login(person).get("/service-requests/").content.decode()
        assert f'data-number="{sr.number}"' in body
    assert f'data-number="{sr.number}"' not in login(world.requester_a2).get("/service-requests/").content.decode()
    assert 'id="new-request"' not in login(people.leader).get("/service-requests/").content.decode()


def _count(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get("/service-requests/")
    assert r.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["pm", "contact_a"])
def test_list_page_query_count_is_constant_in_rows(who, world, login, drive):
    client = login(getattr(world, who))
    drive.dispatched("urgent")
    _count(client)
    few = _count(client)
    for kind in KINDS:
        drive.dispatched(kind)
        drive.create(kind, by=world.agent)
    assert _count(client) == few


def test_new_request_kind_first_then_form(world, login):
    client = login(world.requester_a)
    r = client.get("/service-requests/new/")
    body = r.content.decode()
    assert r.status_code == 200 and body.count('data-kind="') == 7 and 'accesskey="1"' in body
    r = client.get("/service-requests/new/", {"kind": "onsite"})
    assert r.status_code == 200 and 'name="kind" value="onsite"' in r.content.decode()
    r = client.post("/service-requests/new/", {"kind": "onsite", "contract": "TAX-2026", "title": "上门维修打印机"})
    sr = ServiceRequest.objects.get()
    assert r.status_code == 302 and r["Location"] == sr.get_absolute_url()
    assert sr.kind == "onsite" and sr.requester == world.requester_a
    r = client.post("/service-requests/new/", {"kind": "nope", "contract": "TAX-2026", "title": ""})
    assert r.status_code == 422 and ServiceRequest.objects.count() == 1


def test_new_request_from_an_incident(world, login):
    inc = world.incident(title="开票服务中断")
    client = login(world.agent)
    r = client.get("/service-requests/new/", {"incident": inc.number})
    assert f"incident={inc.number}" in r.content.decode()
    r = client.get("/service-requests/new/", {"kind": "urgent", "incident": inc.number})
    body = r.content.decode()
    assert f'value="{inc.number}"' in body and 'value="开票服务中断"' in body
    r = client.post("/service-requests/new/", {"kind": "urgent", "contract": "TAX-2026", "title": "开票服务中断",
                                               "incident": inc.number, "requester": "req_a"})
    assert r.status_code == 302
    assert ServiceRequest.objects.get().incident == inc
    other = world.incident(by=world.agent_b, contract=world.contract_b, requester=world.requester_b)
    r = client.post("/service-requests/new/", {"kind": "urgent", "contract": "TAX-2026", "title": "x",
                                               "incident": other.number})
    assert r.status_code == 422 and ServiceRequest.objects.count() == 1


def _action_names(body: str) -> list[str]:
    return re.findall(r'data-action="([a-z_]+)"', body.split('id="request-steps"')[1].split('id="timeline"')[0])


def test_detail_page_steps_and_client_actions(world, people, login, drive):
    sr = drive.create("migration")
    act(sr, "assess", world.engineer, effort_hours="80", difficulty="high", needs_extra_resources=True)
    owner = login(people.app_owner)
    r = owner.get(sr.get_absolute_url())
    body = r.content.decode()
    assert r.status_code == 200 and _action_names(body) == ["apply_staffing"]
    assert 'data-state="assessed" data-phase="current"' in body
    r = owner.post(f"{sr.get_absolute_url()}actions/apply_staffing/",
                   {"version": sr.version, "staffing_resources": "", "staffing_reason": "并行"})
    assert r.status_code == 422
    r = owner.post(f"{sr.get_absolute_url()}actions/apply_staffing/",
                   {"version": sr.version, "staffing_resources": "两名 DBA", "staffing_reason": "并行"})
    assert r.status_code == 302
    sr.refresh_from_db()
    assert sr.status == "staffing_review"
    r = login(people.leader).post(f"{sr.get_absolute_url()}actions/approve_staffing/", {"version": sr.version - 1})
    assert r.status_code == 409
    r = login(people.leader).post(f"{sr.get_absolute_url()}actions/approve_staffing/", {"version": sr.version})
    assert r.status_code == 302
    r = owner.post(f"{sr.get_absolute_url()}actions/dispatch/", {"version": sr.version + 1, "handler": "engineer"})
    assert r.status_code == 403
    r = owner.post(f"{sr.get_absolute_url()}actions/bogus/", {})
    assert r.status_code == 404


def test_onsite_user_signs_on_the_page_and_print(world, people, login, drive):
    sr = drive.dispatched("onsite")
    act(sr, "agree_arrival", world.engineer, agreed_arrival_at="2030-01-01T09:00", resources_needed="工具")
    act(sr, "record_arrival", world.engineer)
    act(sr, "implement", world.engineer, findings="端口坏", implementation_notes="更换")
    user = login(world.requester_a)
    assert _action_names(user.get(sr.get_absolute_url()).content.decode()) == ["user_sign", "user_refuse"]
    r = user.post(f"{sr.get_absolute_url()}actions/user_sign/", {"version": sr.version, "signer_name": "张三",
                                                                 "satisfied": "on"})
    assert r.status_code == 422  # not stamped
    r = user.post(f"{sr.get_absolute_url()}actions/user_sign/", {"version": sr.version, "signer_name": "张三",
                                                                 "stamped": "on", "satisfied": "on"})
    assert r.status_code == 302
    sr.refresh_from_db()
    act(sr, "write_report", world.engineer, **REPORT)
    r = login(world.pm).get(f"{sr.get_absolute_url()}print/")
    body = r.content.decode()
    assert r.status_code == 200 and 'id="dispatch-order"' in body and 'id="service-report"' in body
    assert REPORT["phenomenon"] in body and "张三" in body
    body = login(world.engineer).get(sr.get_absolute_url()).content.decode()
    assert REPORT["cause"] in body and 'data-action="write_report"' in body  # on the timeline


def test_pages_are_404_for_others(world, people, login, drive):
    sr = drive.create("urgent")
    for person in (world.requester_a2, world.requester_b, world.agent_b):
        client = login(person)
        assert client.get(sr.get_absolute_url()).status_code == 404
        assert client.get(f"{sr.get_absolute_url()}print/").status_code == 404
        assert client.post(f"{sr.get_absolute_url()}actions/assess/", {}).status_code == 404
        assert client.post(f"{sr.get_absolute_url()}comments/", {"body": "x"}).status_code == 404
    assert login(world.pm).get("/service-requests/SRQ-1/").status_code == 404


def test_comments(world, login, drive):
    sr = drive.create("urgent")
    r = login(world.requester_a).post(f"{sr.get_absolute_url()}comments/", {"body": "请尽快", "internal": "on"})
    assert r.status_code == 302  # no internal box for clients: a plain comment
    r = login(world.engineer).post(f"{sr.get_absolute_url()}comments/", {"body": "内部备注", "internal": "on"})
    assert r.status_code == 302
    assert "内部备注" not in login(world.requester_a).get(sr.get_absolute_url()).content.decode()
    assert "内部备注" in login(world.pm).get(sr.get_absolute_url()).content.decode()


def test_closed_request_detail_shows_every_section_and_the_knowledge_step(world, people, login, drive):
    sr = drive.closed("major_change")
    body = login(world.engineer).get(sr.get_absolute_url()).content.decode()
    assert _action_names(body) == ["maintain_knowledge"]
    assert body.count('class="card mb-3 request-section"') >= 6
    assert 'data-phase="current"' not in body and 'data-state="closed" data-phase="done"' in body
    assert login(people.app_owner).get(sr.get_absolute_url()).status_code == 200
    r = login(world.engineer).post(f"{sr.get_absolute_url()}actions/maintain_knowledge/",
                                   {"version": sr.version, "new_article": "on"})
    assert r.status_code == 302
    sr.refresh_from_db()
    assert sr.knowledge_article is not None
    assert sr.knowledge_article.number in login(world.engineer).get(sr.get_absolute_url()).content.decode()


def test_new_request_from_a_problem(world, login):
    from opsdesk.problems.services import problem_create

    prb = problem_create(by=world.second_line, contract=world.contract_a, title="数据库死锁", affected_system="征管")
    body = login(world.second_line).get("/service-requests/new/", {"kind": "collaborative",
                                                                    "problem": prb.number}).content.decode()
    assert f'value="{prb.number}"' in body and 'value="征管"' in body
    body = login(world.requester_a).get("/service-requests/new/", {"kind": "collaborative",
                                                                    "problem": prb.number}).content.decode()
    assert f'value="{prb.number}"' not in body  # clients never see problems

"""SLA on the pages: countdown badges in lists, workbench and detail, the due-soonest sort, the SLA card,
the phone form's "call came in at", and the policy and alert pages for the right roles."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opsdesk.core.models import AuditEntry
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_act
from opsdesk.sla import services as sla
from opsdesk.sla.models import SlaAlert, SlaPolicy, SlaTarget
from opsdesk.sla.selectors import badge_of
from opsdesk.sla.templatetags.sla import sla_badge
from tests.factories import PASSWORD, UserFactory, grant

from .conftest import clock, clocks_from, local

LIST_BUDGET = 10  # tests/pages/test_query_counts.py: the SLA badge costs no query
WORKBENCH_BUDGET = 14
DETAIL_BUDGET = 19  # the page's 17, plus the clocks and their calendars' revisions


@pytest.fixture
def login(db):
    def _login(user) -> Client:
        c = Client()
        assert c.login(username=user.username, password=PASSWORD)
        return c
    return _login


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# --- badges --------------------------------------------------------------------------------------------

def test_the_badge_turns_amber_at_75_red_at_90_percent_and_breached_after_due(world, gold):
    inc = world.incident(level=1)
    t = local(2026, 11, 2, 9, 0)
    clocks_from(inc, t)  # response 30 min: amber at 22:30, red at 27:00, due at 30:00
    inc = Incident.objects.get(pk=inc.pk)
    at = {m: t + dt.timedelta(minutes=m) for m in (0, 22, 23, 26, 27, 30, 31)}
    assert [badge_of(inc, at[m]) for m in (0, 22, 23, 26, 27, 30, 31)] == [
        "ok", "ok", "warning", "warning", "critical", "critical", "breached"]
    html = sla_badge(inc, at[23])
    assert 'data-sla="warning"' in html and "bg-yellow-lt" in html
    assert 'data-sla="breached"' in sla_badge(inc, at[31]) and "bg-red text-red-fg" in sla_badge(inc, at[31])


def test_paused_met_breached_and_no_sla_badges(world, gold):
    inc = world.incident(level=3)
    incident_act(incident=inc, action="accept", by=world.agent)
    incident_act(incident=inc, action="hold", by=world.agent, data={"hold_reason": "customer", "note": "等用户"})
    assert 'data-sla="paused"' in sla_badge(Incident.objects.get(pk=inc.pk))
    incident_act(incident=Incident.objects.get(pk=inc.pk), action="resume", by=world.agent)
    incident_act(incident=Incident.objects.get(pk=inc.pk), action="resolve", by=world.agent,
                 data={"solution": "已处理"})
    assert 'data-sla="met"' in sla_badge(Incident.objects.get(pk=inc.pk))
    late = world.incident(level=1)
    clocks_from(late, local(2026, 11, 2, 9, 0))
    sla.clocks_stop(late, metrics=("response", "resolution"), at=local(2026, 11, 2, 15, 0))
    assert 'data-sla="breached"' in sla_badge(Incident.objects.get(pk=late.pk))
    SlaPolicy.objects.update(is_active=False)
    assert sla_badge(world.incident()) == ""


# --- lists, workbench, detail --------------------------------------------------------------------------

def _make(world, n: int) -> None:
    for i in range(n):
        inc = world.incident(level=1 + i % 4, title=f"故障 {i}")
        if i % 3 == 1:
            incident_act(incident=inc, action="accept", by=world.agent)


@pytest.mark.parametrize(("url", "budget"), [("/incidents/", LIST_BUDGET), ("/incidents/?sort=due", LIST_BUDGET),
                                             ("/incidents/?status=open&sort=due", LIST_BUDGET),
                                             ("/incidents/workbench/", WORKBENCH_BUDGET)])
def test_badges_on_lists_cost_no_query_per_row(world, gold, login, url, budget):
    agent = login(world.agent)
    _make(world, 4)
    agent.get(url)
    few = _queries(agent, url)
    _make(world, 30)
    many = _queries(agent, url)
    assert few == many <= budget
    page = agent.get(url).content.decode()
    assert page.count("sla-badge") >= 10


def test_due_soonest_puts_the_nearest_due_first_and_leaves_out_ended_ones(world, gold, login):
    late = world.incident(level=4, title="四级咨询")  # response due in 2 h
    urgent = world.incident(level=1, title="一级瘫痪")  # response due in 30 min
    ended = world.incident(level=1, title="已拒绝")
    incident_act(incident=ended, action="reject", by=world.agent, data={"reason": "不属于范围"})
    page = login(world.agent).get("/incidents/?sort=due").content.decode()
    rows = re.findall(r'<tr data-number="([^"]+)"', page)
    assert rows == [urgent.number, late.number]


def test_the_detail_page_shows_each_clock(world, gold, login):
    inc = world.incident(level=1, reported_at=timezone.now() - dt.timedelta(minutes=10))
    incident_act(incident=inc, action="accept", by=world.agent)
    incident_act(incident=inc, action="dispatch", by=world.agent, data={"engineer": "engineer"})
    agent = login(world.agent)
    url = f"/incidents/{inc.number}/"
    page = agent.get(url).content.decode()
    assert re.findall(r'class="list-group-item sla-clock" data-metric="(\w+)" data-status="(\w+)"', page) == [
        ("response", "stopped"), ("on_site", "running"), ("resolution", "running")]
    assert 'data-grade="satisfied"' in page  # accepted ten minutes after the call
    assert "sla-remaining" in page and "sla-due" in page and "incident-reported" in page
    assert _queries(agent, url) <= DETAIL_BUDGET


def test_the_phone_form_takes_when_the_call_came_in(world, gold, login):
    reported = timezone.localtime() - dt.timedelta(minutes=15)
    response = login(world.agent).post("/incidents/new/", {
        "requester": "req_a", "contract": "TAX-2026", "title": "电话打进来时间", "level": "2",
        "reported_at": reported.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    inc = Incident.objects.get(title="电话打进来时间")
    assert inc.reported_at == reported.replace(second=0, microsecond=0)
    assert clock(inc, "response").started_at == inc.reported_at
    future = (timezone.localtime() + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = login(world.agent).post("/incidents/new/", {
        "requester": "req_a", "contract": "TAX-2026", "title": "未来", "level": "2", "reported_at": future})
    assert response.status_code == 422
    assert 'id="id_reported_at-errors"' in response.content.decode()
    assert not Incident.objects.filter(title="未来").exists()


# --- policy pages --------------------------------------------------------------------------------------

def test_policy_pages_for_staff_and_no_one_else(world, gold, login):
    page = login(world.engineer).get("/sla/").content.decode()
    assert f'data-policy="{gold.pk}"' in page and "policy-create" not in page
    detail = login(world.engineer).get(f"/sla/policies/{gold.pk}/").content.decode()
    assert "policy-edit" not in detail and 'data-metric="on_site"' in detail
    assert login(world.engineer).get(f"/sla/policies/{gold.pk}/edit/").status_code == 403
    assert login(world.agent_b).get(f"/sla/policies/{gold.pk}/").status_code == 404
    assert login(world.requester_a).get("/sla/").status_code == 302  # client people go to the portal


def test_the_project_manager_edits_and_reapplies(world, gold, login, django_capture_on_commit_callbacks):
    running = world.incident(level=2)
    pm = login(world.pm)
    form = pm.get(f"/sla/policies/{gold.pk}/edit/").context["form"]
    data = {k: v for k, v in form.initial.items() if v not in (None, "")}
    data["pause_reasons"] = ["customer"]
    data["t_2_resolution_minutes"] = "360"
    data["reapply"] = "on"
    with django_capture_on_commit_callbacks(execute=True):
        response = pm.post(f"/sla/policies/{gold.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert SlaTarget.objects.get(policy=gold, level=2, metric="resolution").minutes == 360
    assert SlaPolicy.objects.get(pk=gold.pk).pause_reasons == ["customer"]
    assert clock(running, "resolution").target_seconds == 360 * 60  # re-applied
    assert AuditEntry.objects.filter(action="sla_policy.update", actor=world.pm).count() == 1


def test_a_bad_edit_comes_back_with_the_field_named_and_saves_nothing(world, gold, login):
    pm = login(world.pm)
    form = pm.get(f"/sla/policies/{gold.pk}/edit/").context["form"]
    data = {k: v for k, v in form.initial.items() if v not in (None, "")}
    data.update({"t_1_response_minutes": "半小时", "response_satisfied_minutes": "1", "o0_category": "999",
                 "o0_level": "1", "o0_metric": "response", "o0_minutes": "10",
                 "o0_calendar": data["t_1_response_calendar"]})
    response = pm.post(f"/sla/policies/{gold.pk}/edit/", data)
    assert response.status_code == 422
    page = response.content.decode()
    for field in ("t_1_response_minutes", "response_satisfied_minutes", "o0_minutes"):
        assert f'id="id_{field}-errors"' in page, field
    assert SlaPolicy.objects.get(pk=gold.pk).revision == gold.revision


def test_a_contract_gets_a_policy_from_the_list_page(world, calendars, login):
    pm = login(world.pm)
    assert "policy-create" in pm.get("/sla/").content.decode()
    response = pm.post("/sla/policies/new/", {"contract": "TAX-2026", "tier": "silver", "preset": "desktop"})
    assert response.status_code == 302
    policy = SlaPolicy.objects.get(contract=world.contract_a)
    assert (policy.tier, policy.is_active, policy.targets.count()) == ("silver", True, 8)
    assert login(world.engineer).post("/sla/policies/new/", {"contract": "HRSS-2026", "tier": "gold",
                                                             "preset": "vendor"}).status_code == 422
    assert not SlaPolicy.objects.filter(contract=world.contract_b).exists()


def test_alerts_page_for_administrators(world, standard, login):
    inc = world.incident(level=3)
    clocks_from(inc, local(2026, 12, 31, 16, 0))
    alert = SlaAlert.objects.get()
    assert login(world.pm).get("/sla/alerts/").status_code == 403
    admin = grant(UserFactory(username="sysadmin"), "system_admin", world.contract_a)
    client = login(admin)
    page = client.get("/sla/alerts/").content.decode()
    assert f'data-alert="{alert.pk}"' in page and inc.number in page
    assert client.post(f"/sla/alerts/{alert.pk}/resolve/").status_code == 302
    alert.refresh_from_db()
    assert alert.resolved_by == admin
    assert f'data-alert="{alert.pk}"' not in client.get("/sla/alerts/").content.decode()

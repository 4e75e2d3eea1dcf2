"""Hotline polish: the caller lookup finds a number however it is typed and shows each match's open
tickets; the agent's call notes are recorded as calls (from the create form and from the incident page);
the calls list for agents and project managers."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import caller_lookup, phone_key
from opsdesk.core.models import Activity, AuditEntry
from opsdesk.incidents.choices import CallOutcome
from opsdesk.incidents.models import CallRecord, Incident
from opsdesk.incidents.services import call_record_create, incident_act
from tests.factories import UserFactory, grant

from .helpers import fresh, text


@pytest.mark.parametrize(("typed", "key"), [
    ("13800001111", "13800001111"), ("138 0000 1111", "13800001111"), ("138-0000-1111", "13800001111"),
    ("+86 138 0000 1111", "13800001111"), ("0086 13800001111", "13800001111"), ("8613800001111", "13800001111"),
    ("+86-138-0000-1111", "13800001111"),
    ("010-6552 1234", "65521234"), ("(010) 65521234", "65521234"), ("（010）65521234", "65521234"),
    ("65521234", "65521234"), ("010-65521234-808", "65521234"), ("010-65521234 转 808", "65521234"),
    ("010 6552 1234 ext. 808", "65521234"), ("0571-8765 4321", "87654321"), ("+86 10 6552 1234", "65521234"),
    ("+86 571 8765 4321", "87654321"), ("1111", "1111"), ("52 1234", "521234"),
])
def test_phone_key(typed, key):
    assert phone_key(typed) == key


@pytest.mark.parametrize("typed", ["111", "张三", "", "12ab", "010-"])
def test_not_a_phone_number(typed):
    assert phone_key(typed) is None


@pytest.fixture
def callers(world):
    """People whose numbers were stored in the ways people write them."""
    landline = grant(UserFactory(username="li", full_name="李会计", organisation=world.org_a,
                                 phone="010-6552 1234 转 808"), "requester", world.contract_a)
    plus = grant(UserFactory(username="ma", full_name="马出纳", organisation=world.org_a, phone="+86 139-1234-5678"),
                 "requester", world.contract_a)
    local = grant(UserFactory(username="niu", full_name="牛科员", organisation=world.org_a, phone="87654321"),
                  "requester", world.contract_a)
    return {"landline": landline, "plus": plus, "local": local}


@pytest.mark.parametrize(("typed", "who"), [
    ("13800001111", "req_a"), ("138 0000 1111", "req_a"), ("+86 138-0000-1111", "req_a"), ("0086 13800001111", "req_a"),
    ("1111", "req_a"),
    ("65521234", "li"), ("010-65521234", "li"), ("(010) 6552-1234", "li"), ("010-65521234-808", "li"),
    ("+86 10 6552 1234", "li"), ("1234 ", "li"),
    ("13912345678", "ma"), ("139 1234 5678", "ma"), ("+8613912345678", "ma"), ("5678", "ma"),
    ("0571-87654321", "niu"), ("0571 8765 4321 转 12", "niu"), ("87654321", "niu"),
])
def test_the_lookup_finds_a_number_however_it_is_typed(world, callers, typed, who):
    found = [p.username for p in caller_lookup(visible_to=world.agent, query=typed)]
    assert who in found, (typed, found)


def test_the_lookup_stays_within_the_served_organisations(world, callers):
    grant(UserFactory(username="other", organisation=world.org_b, phone="010-65521234"), "requester",
          world.contract_b)
    assert [p.username for p in caller_lookup(visible_to=world.agent, query="010 6552 1234")] == ["li"]
    assert caller_lookup(visible_to=world.requester_a, query="13800001111") == []
    assert caller_lookup(visible_to=world.agent, query="123") == []  # too short to mean anything


def test_each_match_shows_its_open_tickets(world, login, callers):
    open_one = world.incident(title="打印机又坏了")
    closed = world.incident(title="早就解决的问题")
    incident_act(incident=closed, action="reject", by=world.agent, data={"reason": "范围外"})
    world.incident(requester=callers["landline"], title="报表导不出")
    page = text(login(world.agent).get("/incidents/callers/", {"caller_q": "1234"}))  # li and ma (…5678? no)
    assert "李会计" in page and "报表导不出" in page
    page = text(login(world.agent).get("/incidents/callers/", {"caller_q": "+86 138 0000 1111"}))
    block = page[page.index('class="form-check-description caller-open-tickets"'):]
    assert 'data-count="1"' in block and open_one.number in block and "早就解决的问题" not in block.split("</label>")[0]


def test_the_lookup_costs_the_same_for_few_and_many_matches(world, login):
    agent = login(world.agent)

    def count(query: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert agent.get("/incidents/callers/", {"caller_q": query}).status_code == 200
        return len(ctx)

    for i in range(2):
        person = grant(UserFactory(username=f"few{i}", organisation=world.org_a, phone=f"0755-8000{i:04d}"),
                       "requester", world.contract_a)
        world.incident(requester=person)
    few = count("0755-8000")  # several matches: nothing preselected
    for i in range(2, 8):
        person = grant(UserFactory(username=f"few{i}", organisation=world.org_a, phone=f"0755-8000{i:04d}"),
                       "requester", world.contract_a)
        world.incident(requester=person)
        world.incident(requester=person)
    assert len(caller_lookup(visible_to=world.agent, query="0755-8000")) == 8
    assert count("0755-8000") == few


# --- call notes on the create form ------------------------------------------------------------------------

def _form(**overrides):
    data = {"requester": "req_a", "contract": "TAX-2026", "title": "打印机卡纸", "level": "3",
            "description": "三楼打印机卡纸", "channel": "phone"}
    data.update(overrides)
    return data


def test_the_create_form_has_call_notes_and_a_start_time(world, login):
    page = text(login(world.agent).get("/incidents/new/"))
    assert 'name="call_notes"' in page and 'data-call-notes="1"' in page and 'accesskey="k"' in page
    started = re.search(r'name="call_started_at" value="([^"]+)"', page).group(1)
    assert abs(dt.datetime.fromisoformat(started) - timezone.now()) < dt.timedelta(minutes=1)
    assert "hotline.js" in page
    # Enter in a one-line field must log the incident: its button comes before "answered, no ticket"
    assert page.index('accesskey="s"') < page.index('name="call_only"')


def test_logging_an_incident_records_the_call_with_its_notes(world, login):
    agent = login(world.agent)
    started = (timezone.localtime() - dt.timedelta(minutes=4)).replace(microsecond=0)
    resp = agent.post("/incidents/new/", _form(call_notes="来电人很着急，下午要报税", contact_phone="010-65520000",
                                               call_started_at=started.isoformat()))
    assert resp.status_code == 302
    incident = Incident.objects.get()
    call = CallRecord.objects.get()
    assert (call.outcome, call.incident, call.caller, call.agent) == (CallOutcome.NEW_INCIDENT, incident,
                                                                       world.requester_a, world.agent)
    assert call.started_at == started and call.ended_at >= call.started_at and call.phone == "010-65520000"
    note = Activity.objects.get(object_id=incident.pk, action="call")
    assert note.internal and note.body == "来电人很着急，下午要报税"
    staff = text(agent.get(resp["Location"]))
    assert "来电人很着急" in staff and 'class="list-group-item incident-call"' in staff
    portal = text(login(world.requester_a).get(f"/portal/incidents/{incident.number}/"))
    assert "来电人很着急" not in portal  # an internal note
    assert AuditEntry.objects.filter(action="call.create").count() == 1


def test_a_bad_call_start_keeps_everything_and_writes_nothing(world, login):
    resp = login(world.agent).post("/incidents/new/", _form(call_notes="记录", call_started_at="明天"))
    assert resp.status_code == 422
    page = text(resp)
    assert "记录" in page and not Incident.objects.exists() and not CallRecord.objects.exists()


def test_an_enquiry_answered_without_a_ticket(world, login):
    agent = login(world.agent)
    resp = agent.post("/incidents/new/", _form(title="", call_notes="问发票怎么打印，已告知步骤", call_only="1"))
    assert resp.status_code == 302 and resp["Location"] == "/incidents/calls/"
    call = CallRecord.objects.get()
    assert call.outcome == CallOutcome.ANSWERED and call.incident is None and call.caller == world.requester_a
    assert not Incident.objects.exists()
    assert "问发票怎么打印" in text(agent.get("/incidents/calls/"))


def test_an_answered_enquiry_needs_notes(world, login):
    agent = login(world.agent)
    agent.post("/i18n/setlang/", {"language": "en", "next": "/incidents/new/"})
    resp = agent.post("/incidents/new/", _form(call_notes=" ", call_only="1"))
    assert resp.status_code == 422 and "Write down what the caller asked" in text(resp)
    assert not CallRecord.objects.exists() and not Incident.objects.exists()


# --- a follow-up call from the incident page ----------------------------------------------------------------

def test_log_a_follow_up_call(world, login):
    incident = world.incident()
    agent = login(world.agent)
    page = text(agent.get(f"/incidents/{incident.number}/"))
    assert 'class="call-log"' in page and f'/incidents/{incident.number}/calls/' in page
    resp = agent.post(f"/incidents/{incident.number}/calls/", {"notes": "用户来电催办"})
    assert resp.status_code == 302
    call = CallRecord.objects.get()
    assert call.outcome == CallOutcome.FOLLOW_UP and call.incident == incident
    assert call.phone == fresh(incident).contact_phone
    page = text(agent.get(f"/incidents/{incident.number}/"))
    timeline = page[page.index('id="timeline"'):]
    assert "用户来电催办" in timeline and "call-note" in timeline


def test_a_follow_up_call_needs_notes_and_sane_times(world, login):
    incident = world.incident()
    agent = login(world.agent)
    resp = agent.post(f"/incidents/{incident.number}/calls/", {"notes": ""})
    assert resp.status_code == 422 and "id_call_notes-errors" in text(resp)
    assert '<details class="call-log" open' in text(resp)
    now = timezone.localtime().replace(second=0, microsecond=0)
    resp = agent.post(f"/incidents/{incident.number}/calls/", {
        "notes": "x", "started_at": now.strftime("%Y-%m-%dT%H:%M"),
        "ended_at": (now - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")})
    assert resp.status_code == 422 and "id_call_ended_at-errors" in text(resp)
    assert not CallRecord.objects.exists()


def test_only_staff_of_the_contract_log_calls(world, login):
    incident = world.incident()
    client = login(world.requester_a)
    assert client.post(f"/incidents/{incident.number}/calls/", {"notes": "x"})["Location"] == "/portal/"
    assert login(world.agent_b).post(f"/incidents/{incident.number}/calls/", {"notes": "x"}).status_code == 404
    portal = text(login(world.requester_a).get(f"/portal/incidents/{incident.number}/"))
    assert 'class="card mb-3 incident-calls"' not in portal
    assert not CallRecord.objects.exists()


# --- the calls list -----------------------------------------------------------------------------------------

def _calls(world, n: int, *, by: User | None = None, outcome: str = CallOutcome.ANSWERED):
    for i in range(n):
        call_record_create(by=by or world.agent, outcome=outcome, contract=world.contract_a, caller=world.requester_a,
                           phone=f"138 0000 {i:04d}", notes=f"咨询{i}")


def test_the_calls_list_filters_and_pages(world, login, settings):
    settings.OPSDESK_PAGE_SIZE = 5
    _calls(world, 7)
    incident = world.incident()
    call_record_create(by=world.pm, outcome=CallOutcome.FOLLOW_UP, incident=incident, notes="催办")
    agent = login(world.agent)
    page = text(agent.get("/incidents/calls/"))
    assert len(re.findall(r"<tr data-call=", page)) == 5 and 'rel="next"' in page
    nxt = re.search(r'rel="next" href="\?([^"]+)"', page).group(1).replace("&amp;", "&")
    assert len(re.findall(r"<tr data-call=", text(agent.get(f"/incidents/calls/?{nxt}")))) == 3
    follow = text(agent.get("/incidents/calls/", {"outcome": "follow_up"}))
    assert len(re.findall(r"<tr data-call=", follow)) == 1 and incident.number in follow
    assert len(re.findall(r"<tr data-call=", text(agent.get("/incidents/calls/", {"agent": "pm"})))) == 1
    assert len(re.findall(r"<tr data-call=", text(agent.get("/incidents/calls/", {"agent": "me"})))) == 5
    assert len(re.findall(r"<tr data-call=", text(agent.get("/incidents/calls/", {"phone": "13800000003"})))) == 1
    today = timezone.localdate().isoformat()
    assert len(re.findall(r"<tr data-call=", text(agent.get("/incidents/calls/", {"date_from": today})))) == 5
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert "<tr data-call=" not in text(agent.get("/incidents/calls/", {"date_from": tomorrow}))
    bad = agent.get("/incidents/calls/", {"outcome": "nonsense", "date_to": "昨天"})
    assert bad.status_code == 400 and "id_outcome-errors" in text(bad) and "id_date_to-errors" in text(bad)


def test_the_calls_list_is_for_the_contracts_staff(world, login):
    _calls(world, 2)
    assert "<tr data-call=" not in text(login(world.agent_b).get("/incidents/calls/"))
    assert len(re.findall(r"<tr data-call=", text(login(world.pm).get("/incidents/calls/")))) == 2
    assert login(world.requester_a).get("/incidents/calls/")["Location"] == "/portal/"  # staff pages send clients home


def test_the_calls_list_costs_the_same_for_few_and_many_calls(world, login):
    agent = login(world.agent)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert agent.get("/incidents/calls/").status_code == 200
        return len(ctx)

    _calls(world, 2)
    call_record_create(by=world.agent, outcome=CallOutcome.FOLLOW_UP, incident=world.incident(), notes="催办")
    few = count()
    _calls(world, 10, by=world.pm)
    for _ in range(5):
        call_record_create(by=world.engineer, outcome=CallOutcome.FOLLOW_UP, incident=world.incident(), notes="催办")
    assert count() == few


def test_the_nav_links_to_the_calls_for_staff_only(world, login):
    assert 'href="/incidents/calls/"' in text(login(world.agent).get("/incidents/workbench/"))
    assert 'href="/incidents/calls/"' not in text(login(world.requester_a).get("/portal/"))

"""The agent's create form: keyboard-friendly, caller lookup, level definitions, errors by their fields."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from opsdesk.core.models import AuditEntry
from opsdesk.incidents.models import Incident

from .helpers import text


def _form(world, **overrides):
    data = {"requester": "req_a", "contract": "TAX-2026", "title": "打印机卡纸", "level": "3",
            "description": "三楼打印机卡纸", "symptom": "打印无反应", "operation_steps": "点击打印",
            "error_message": "E-102", "channel": "phone", "affected_system": "金税三期", "contact_phone": ""}
    data.update(overrides)
    return data


def test_form_is_ready_for_a_phone_call(world, login):
    page = text(login(world.agent).get("/incidents/new/"))
    caller = re.search(r"<input id=\"caller-q\"[^>]*>", page, re.S).group(0)
    assert "autofocus" in caller and 'accesskey="c"' in caller and 'form="caller-lookup"' in caller
    for definition in settings.OPSDESK_LEVEL_HELP.values():  # the four level definitions where it is chosen
        assert str(definition) in page
    assert re.search(r'<option value="TAX-2026" selected>', page)  # the agent's only contract, preselected
    assert 'accesskey="s"' in page and 'accesskey="t"' in page
    # DOM order is the tab order: caller, contract, title, level, then the texts
    markers = ('id="caller-q"', 'name="contract"', 'name="title"', 'name="level"', 'name="description"',
               'name="channel"', 'accesskey="s"')
    order = [page.index(marker) for marker in markers]
    assert order == sorted(order)
    assert not re.search(r'tabindex="[1-9]', page)  # no forced order: the DOM order is the tab order


def test_caller_lookup_by_phone_shows_the_person_and_recent_tickets(world, login):
    earlier = world.incident(title="上周的网络故障")
    response = login(world.agent).get("/incidents/callers/", {"caller_q": "13800001111"})
    page = text(response)
    assert response.status_code == 200 and "张三" in page
    assert re.search(r'<input[^>]*name="requester" value="req_a"[^>]*checked', page, re.S)  # one match: chosen
    assert earlier.number in page and "上周的网络故障" in page


def test_caller_lookup_by_name_offers_radio_buttons(world, login):
    page = text(login(world.agent).get("/incidents/callers/", {"caller_q": "张"}))
    assert 'value="req_a"' in page and 'value="req_a2"' in page and "checked" not in page
    assert "钱五" not in page  # another client's person: not served by this agent
    recent = text(login(world.agent).get("/incidents/callers/recent/", {"requester": "req_a2"}))
    assert "张四" in recent
    assert "钱五" not in text(login(world.agent).get("/incidents/callers/recent/", {"requester": "req_b"}))


def test_caller_lookup_works_without_javascript(world, login):
    page = text(login(world.agent).get("/incidents/new/", {"caller_q": "13800001111"}))
    assert 'value="req_a"' in page and 'value="13800001111"' in page


def test_caller_lookup_finding_nobody_says_so(world, login):
    page = text(login(world.agent).get("/incidents/callers/", {"caller_q": "无此人"}))
    assert "no-caller" in page and "无此人" in page


def test_create_logs_the_incident_and_shows_it(world, login):
    response = login(world.agent).post("/incidents/new/", _form(world))
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.number}/"
    assert (incident.requester, incident.contract, incident.level, incident.channel, incident.created_by) == (
        world.requester_a, world.contract_a, 3, "phone", world.agent)
    assert incident.error_message == "E-102" and incident.affected_system == "金税三期"
    page = text(login(world.agent).get(response["Location"]))
    assert incident.number in page and "打印机卡纸" in page


@pytest.mark.parametrize(("overrides", "field", "kept"), [
    ({"title": ""}, "title", 'value="3" checked'),
    ({"title": "长" * 201}, "title", "长" * 201),
    ({"level": "5"}, "level", "打印机卡纸"),
    ({"requester": ""}, "requester", "打印机卡纸"),
    ({"requester": "req_b"}, "requester", "打印机卡纸"),
    ({"contract": "HRSS-2026"}, "contract", "打印机卡纸"),
])
def test_create_errors_show_by_their_field_keep_the_input_and_write_nothing(world, login, overrides, field, kept):
    response = login(world.agent).post("/incidents/new/", _form(world, **overrides))
    page = text(response)
    assert response.status_code == 422
    assert f'id="id_{field}-errors"' in page or (field == "requester" and 'id="requester-errors"' in page)
    assert kept in page and "三楼打印机卡纸" in page  # what was typed is still there
    assert not Incident.objects.exists() and not AuditEntry.objects.filter(action="incident.create").exists()


def test_level_error_is_next_to_the_level_choice(world, login):
    page = text(login(world.agent).post("/incidents/new/", _form(world, level="5")))
    fieldset = page[page.index('class="mb-3 level-choice"'):]
    fieldset = fieldset[:fieldset.index("</fieldset>")]
    assert 'id="id_level-errors"' in fieldset and "is-invalid" in fieldset


def test_title_error_names_the_limit(world, login):
    page = text(login(world.agent).post("/incidents/new/", _form(world, title="x" * 201)))
    errors = re.search(r'id="id_title-errors">([^<]*)<', page).group(1)
    assert "200" in errors and "201" in errors

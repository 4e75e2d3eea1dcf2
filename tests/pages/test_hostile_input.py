"""Odd input on the pages gets a clear 4xx and changes nothing (never a 500, on SQLite or PostgreSQL)."""

from __future__ import annotations

import base64
import json

import pytest

from opsdesk.core.models import Activity
from opsdesk.incidents.models import Incident

from .helpers import act, fresh, text


def _cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(["n", values]).encode()).decode().rstrip("=")


@pytest.mark.parametrize("params", [
    {"q": "打印\x00机"}, {"requester": "\x00"}, {"assignee": "a\x00"}, {"contract": "\x00"},
    {"cursor": _cursor(["abc"])}, {"cursor": _cursor([1, 2])}, {"cursor": "%%%"}, {"q": "x" * 201},
    {"created_to": "2026-13-45"}, {"sort": "password"},
])
def test_list_rejects_odd_filters_with_400(world, login, params):
    world.incident()
    response = login(world.agent).get("/incidents/", params)
    assert response.status_code == 400, (params, response.status_code)


@pytest.mark.parametrize("path", ["/incidents/%00/", "/incidents/INC-%00/", "/portal/incidents/%00/",
                                  "/incidents/" + "9" * 300 + "/"])
def test_odd_numbers_are_404(world, login, path):
    assert login(world.agent).get(path).status_code in (302, 404)
    assert login(world.requester_a).get(path).status_code in (302, 404)


def test_caller_lookup_ignores_nul(world, login):
    agent = login(world.agent)
    assert agent.get("/incidents/callers/", {"caller_q": "张\x00"}).status_code == 200
    assert agent.get("/incidents/callers/recent/", {"requester": "req_a\x00"}).status_code == 200


def test_nul_in_the_create_form_is_a_field_error(world, login):
    response = login(world.agent).post("/incidents/new/", {
        "requester": "req_a", "contract": "TAX-2026", "title": "打印\x00机", "level": "4", "channel": "phone"})
    assert response.status_code == 422 and 'id="id_title-errors"' in text(response)
    assert not Incident.objects.exists()


def test_nul_in_an_action_or_comment_is_a_field_error(world, login):
    inc = world.incident()
    agent = login(world.agent)
    act(agent, inc, "accept")
    response = act(agent, inc, "dispatch", engineer="engineer", site="三楼\x00机房")
    assert response.status_code == 422 and 'id="id_dispatch_site-errors"' in text(response)
    assert not inc.work_orders.exists() and fresh(inc).assignee == world.agent
    response = agent.post(f"/incidents/{inc.number}/comments/", {"body": "a\x00b"})
    assert response.status_code == 422 and not Activity.objects.filter(kind="comment").exists()


def test_non_numeric_version_is_a_clear_error(world, login):
    inc = world.incident()
    response = act(login(world.agent), inc, "accept", version="abc")
    assert response.status_code in (409, 422) and fresh(inc).status == "new"


def test_portal_rejects_a_forged_cursor(world, login):
    world.incident()
    assert login(world.requester_a).get("/portal/", {"cursor": _cursor(["abc"])}).status_code == 422

"""Input that databases choke on gets a 422 naming the field, never a 500 (NUL bytes, forged cursors, huge ids)."""

from __future__ import annotations

import base64
import json

import pytest

from opsdesk.incidents.models import Incident

from .battery import assert_error, nothing_written

GOOD = {"title": "打印机无法打印", "contract": "TAX-2026", "requester": "req_a"}


def _cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(["n", values]).encode()).decode().rstrip("=")


@pytest.mark.parametrize("field", ["title", "description", "symptom", "error_message", "affected_system",
                                   "contact_phone", "contract", "requester"])
def test_nul_in_create_is_422(world, api, field):
    agent = api(world.agent)
    counter = nothing_written(Incident)
    assert_error(agent.post("/incidents", {**GOOD, field: "a\x00b"}), 422, field=field)
    counter.assert_unchanged()


@pytest.mark.parametrize("param", ["q", "contract", "assignee", "owner", "requester", "status", "cursor"])
def test_nul_in_list_filters_is_422(world, api, param):
    assert_error(api(world.agent).get("/incidents", {param: "a\x00b"}), 422, field=param)


def test_nul_in_action_fields_comments_and_path_is_422(world, api):
    agent = api(world.agent)
    number = world.incident().number
    agent.post(f"/incidents/{number}/actions/accept", {})
    counter = nothing_written(Incident)
    assert_error(agent.post(f"/incidents/{number}/actions/resolve", {"solution": "重启\x00"}), 422,
                 field="solution")
    assert_error(agent.post(f"/incidents/{number}/actions/resolve", {"solution": ["x\x00"]}), 422,
                 field="solution")
    assert_error(agent.post(f"/incidents/{number}/actions/start", {"comment": "\x00"}), 422, field="comment")
    assert_error(agent.post(f"/incidents/{number}/comments", {"body": "\x00"}), 422, field="body")
    response = agent.get("/incidents/INC-20261122-0001%00")
    assert response.status_code in (404, 422)
    assert_error(response, response.status_code)
    counter.assert_unchanged()


@pytest.mark.parametrize("sort", ["-created", "created", "level"])
@pytest.mark.parametrize("values", [["x"], [None], [10**30], [-(10**30)], [1.5], ["x", "y"], [1, "y"]])
def test_forged_cursors_are_422_or_an_honest_page(world, api, sort, values):
    world.incident()
    response = api(world.agent).get("/incidents", {"sort": sort, "cursor": _cursor(values)})
    if response.status_code != 200:
        assert_error(response, 422, field="cursor")


def test_huge_numbers_are_422(world, api):
    agent = api(world.agent)
    assert_error(agent.post("/incidents", {**GOOD, "category": 10**30}), 422, field="category")
    assert_error(agent.post("/incidents", {**GOOD, "level": 10**30}), 422, field="level")
    number = world.incident().number
    assert_error(agent.post(f"/incidents/{number}/actions/accept", {"version": 10**30}), 422, field="version")
    assert_error(agent.get("/incidents", {"limit": 10**30}), 422, field="limit")

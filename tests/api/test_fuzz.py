"""Property-based fuzzing of the incident API (hypothesis): no input gets a 500, every refusal uses the
error format and writes nothing. A lightweight stand-in for a schemathesis run against the OpenAPI."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsdesk.core.models import AuditEntry
from opsdesk.incidents.models import Incident

from .battery import assert_error

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**12), st.floats(allow_nan=False),
                         st.text(max_size=30), st.sampled_from(["TAX-2026", "HRSS-2026", "req_a", "req_b", "1",
                                                                "<script>", "phone", "api", "0", "4", "a\x00b",
                                                                "10000000000000000000000"]))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=5)
CREATE_KEYS = ["title", "description", "symptom", "operation_steps", "error_message", "channel", "level",
               "category", "affected_system", "contact_phone", "contract", "requester", "unexpected"]


@FUZZ
@given(body=st.dictionaries(st.sampled_from(CREATE_KEYS), json_values, max_size=8))
def test_create_never_fails_badly(world, api, body):
    agent = api(world.agent)
    before = (Incident.objects.count(), AuditEntry.objects.count())
    response = agent.post("/incidents", json.dumps(body))
    assert response.status_code in (201, 422), (body, response.content[:300])
    if response.status_code == 201:
        assert Incident.objects.count() == before[0] + 1
    else:
        assert_error(response, 422)
        assert (Incident.objects.count(), AuditEntry.objects.count()) == before


LIST_KEYS = ["status", "level", "contract", "assignee", "owner", "requester", "created_from", "created_to", "q",
             "sort", "limit", "cursor"]


LIST_VALUES = ["open", "new,closed", "1,2", "me", "none", "2026-11-22", "level", "-1", "200", "201", "x\x00", "¹",
               "²,3"]


@FUZZ
@given(params=st.dictionaries(st.sampled_from(LIST_KEYS), st.one_of(st.text(max_size=12), st.sampled_from(LIST_VALUES)),
                              max_size=5))
def test_list_never_fails_badly(world, api, params):
    response = api(world.requester_b).get("/incidents", params)
    assert response.status_code in (200, 422), (params, response.content[:300])
    if response.status_code == 200:
        assert response.json()["items"] == []  # requester B has no incidents, whatever the filters
    else:
        assert_error(response, 422)


ACTIONS = ["accept", "start", "assign", "dispatch", "record_arrival", "escalate", "hold", "resume", "resolve",
           "confirm", "reopen", "close", "reject", "auto_close", "bogus"]


@FUZZ
@given(action=st.sampled_from(ACTIONS), who=st.sampled_from(["agent", "engineer", "requester_a", "requester_b"]),
       body=st.dictionaries(st.sampled_from(["version", "comment", "reason", "solution", "engineer", "assignee",
                                             "hold_reason", "note", "site", "knowledge_candidate"]),
                            json_values, max_size=5))
def test_actions_never_fail_badly(world, api, action, who, body):
    client = api(getattr(world, who))
    number = world.incident().number
    response = client.post(f"/incidents/{number}/actions/{action}", json.dumps(body))
    assert response.status_code in (200, 403, 404, 409, 422), (action, who, body, response.content[:300])
    if response.status_code != 200:
        assert_error(response, response.status_code)
        assert Incident.objects.get(number=number).version == 1

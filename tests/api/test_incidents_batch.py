"""POST /api/v1/incidents/batch: many incidents in one request, all or none, each checked as one alone."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.core.models import Activity, AuditEntry, IdempotencyKey
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import BATCH_MAX

from .battery import assert_error, nothing_written

ALERT = {"title": "CPU使用率超过95%", "contract": "TAX-2026", "requester": "req_a", "level": 3,
         "channel": "monitoring", "affected_system": "核心征管系统"}


def batch(n: int, **change) -> dict:
    return {"incidents": [{**ALERT, "title": f"{ALERT['title']}（主机{i}）", **change} for i in range(n)]}


def test_a_batch_logs_every_incident_in_order_with_consecutive_numbers(world, api):
    response = api(world.agent).post("/incidents/batch", batch(3))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["count"] == 3
    numbers = [item["number"] for item in body["incidents"]]
    assert [item["title"] for item in body["incidents"]] == [f"CPU使用率超过95%（主机{i}）" for i in range(3)]
    serials = [int(re.fullmatch(r"INC-\d{8}-(\d{4})", n).group(1)) for n in numbers]
    assert serials == [serials[0], serials[0] + 1, serials[0] + 2]
    for item in body["incidents"]:
        assert item["status"] == "new" and item["channel"] == "monitoring" and item["requester"] == "req_a"
        assert item["created_at"].endswith("+08:00") and "due_at" in item["sla"]
    incidents = Incident.objects.filter(number__in=numbers).order_by("id")
    assert [i.number for i in incidents] == numbers  # keys in the order sent, too
    for incident in incidents:  # each as a creation alone leaves it: one timeline entry, one audit entry
        assert Activity.objects.filter(object_id=incident.pk, kind="created").count() == 1
        audit = AuditEntry.objects.get(action="incident.create", object_id=str(incident.pk))
        assert audit.after["number"] == incident.number and audit.actor_name == "agent"
        assert incident.created_by == world.agent and incident.organisation == world.contract_a.organisation


def test_every_error_of_every_item_comes_back_and_nothing_is_written(world, api):
    agent = api(world.agent)  # before counting: making its token is audited
    counter = nothing_written(Incident)
    body = batch(4)
    body["incidents"][1]["title"] = "   "
    body["incidents"][2]["contract"] = "HRSS-2026"  # not the agent's: indistinguishable from unknown
    body["incidents"][3].update(requester="nobody", category=999999)
    error = assert_error(agent.post("/incidents/batch", body), 422, code="validation_error")
    assert set(error["fields"]) == {"incidents.1.title", "incidents.2.contract", "incidents.3.requester",
                                    "incidents.3.category"}
    counter.assert_unchanged()


def test_an_unknown_category_alone_fails_the_batch(world, api):
    agent = api(world.agent)
    counter = nothing_written(Incident)
    body = batch(2)
    body["incidents"][1]["category"] = 999999
    assert_error(agent.post("/incidents/batch", body), 422, field="incidents.1.category")
    counter.assert_unchanged()


@pytest.mark.parametrize("n", [0, BATCH_MAX + 1])
def test_an_empty_or_oversized_batch_is_refused(world, api, n):
    agent = api(world.agent)
    counter = nothing_written(Incident)
    assert_error(agent.post("/incidents/batch", batch(n)), 422, field="incidents")
    counter.assert_unchanged()


def test_a_bad_value_is_named_by_its_position(world, api):
    agent = api(world.agent)
    counter = nothing_written(Incident)
    response = agent.post("/incidents/batch", batch(2, level=7))
    error = assert_error(response, 422, code="validation_error")
    assert "incidents.0.level" in error["fields"] and "incidents.1.level" in error["fields"]
    counter.assert_unchanged()


def test_a_requester_may_batch_only_their_own(world, api):
    requester = api(world.requester_a)
    counter = nothing_written(Incident)
    response = requester.post("/incidents/batch", batch(1, requester="req_a2"))
    assert_error(response, 422, field="incidents.0.requester")
    counter.assert_unchanged()
    assert requester.post("/incidents/batch", batch(2)).status_code == 201


def test_idempotency_key_replays_the_batch(world, api):
    agent = api(world.agent)
    first = agent.post("/incidents/batch", batch(2), **{"Idempotency-Key": "alerts-0001"})
    second = agent.post("/incidents/batch", batch(2), **{"Idempotency-Key": "alerts-0001"})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Incident.objects.count() == 2 and IdempotencyKey.objects.count() == 1
    other = agent.post("/incidents/batch", batch(3), **{"Idempotency-Key": "alerts-0001"})
    assert_error(other, 422, code="idempotency_key_reused")


def test_the_statements_do_not_grow_with_the_batch(world, api):
    agent = api(world.agent)
    agent.post("/incidents/batch", batch(1))  # warm caches (token use, policy, content types)

    def statements(n: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert agent.post("/incidents/batch", batch(n)).status_code == 201
        return len(ctx.captured_queries)

    assert statements(2) == statements(40)


def test_a_request_over_the_size_limit_is_a_json_413_and_writes_nothing(world, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    agent = api(world.agent)
    counter = nothing_written(Incident)
    response = agent.post("/incidents/batch", batch(20, description="很长的描述" * 1000))
    assert_error(response, 413, code="request_too_large")
    counter.assert_unchanged()

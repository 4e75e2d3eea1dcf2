"""POST /api/v1/incidents: the happy path, every bad input of the issue, HTML as typed, Idempotency-Key."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from opsdesk.core.models import AuditEntry, IdempotencyKey
from opsdesk.incidents.models import Incident

from .battery import assert_error, nothing_written

GOOD = {"title": "打印机无法打印", "contract": "TAX-2026", "requester": "req_a", "level": 2}


def test_create_returns_201_with_the_incident(world, api):
    response = api(world.agent).post("/incidents", {
        **GOOD, "description": "三楼财务科打印机卡纸", "symptom": "指示灯闪烁", "operation_steps": "打印任何文档",
        "error_message": "E-502", "affected_system": "金税三期", "contact_phone": "010-12345678"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert re.fullmatch(r"INC-\d{8}-\d{4}", body["number"])
    assert body["status"] == "new" and body["level"] == 2 and body["channel"] == "api"
    assert body["contract"] == "TAX-2026" and body["organisation"] == "tax"
    assert body["requester"] == "req_a" and body["created_by"] == "agent"
    assert body["owner"] is None and body["assignee"] is None and body["version"] == 1
    assert body["description"] == "三楼财务科打印机卡纸" and body["contact_phone"] == "010-12345678"
    assert body["created_at"].endswith("+08:00")
    assert {a["name"] for a in body["allowed_actions"]} == {"accept", "reject", "change_level"}
    reject = next(a for a in body["allowed_actions"] if a["name"] == "reject")
    assert reject["fields"][0] | {"label": None} == {"name": "reason", "label": None, "type": "textarea",
                                                     "required": True, "max_length": 2000, "choices": []}
    inc = Incident.objects.get(number=body["number"])
    assert inc.title == GOOD["title"] and inc.requester == world.requester_a
    assert AuditEntry.objects.filter(action="incident.create", object_id=str(inc.pk)).count() == 1


def test_number_uses_the_asia_shanghai_date(world, api, monkeypatch):
    # 17:30 UTC on the 22nd is already 01:30 on the 23rd in Beijing.
    instant = dt.datetime(2026, 11, 22, 17, 30, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: instant)
    body = api(world.agent).post("/incidents", GOOD).json()
    assert body["number"] == "INC-20261123-0001"
    assert body["created_at"] == "2026-11-23T01:30:00+08:00"
    assert api(world.agent).post("/incidents", GOOD).json()["number"] == "INC-20261123-0002"


def test_defaults_requester_is_the_caller_and_level_4(world, api):
    body = api(world.requester_a).post("/incidents", {"title": "网络慢", "contract": "TAX-2026"}).json()
    assert body["requester"] == "req_a" and body["created_by"] == "req_a" and body["level"] == 4


def test_client_contact_logs_for_a_colleague(world, api):
    response = api(world.contact_a).post("/incidents", {**GOOD, "requester": "req_a2"})
    assert response.status_code == 201 and response.json()["requester"] == "req_a2"


def test_html_and_scripts_are_stored_as_typed(world, api):
    text = {"title": "<script>alert('x')</script> & <b>粗体</b>",
            "description": "<img src=x onerror=alert(1)> \"引号\" 'single' &amp;"}
    body = api(world.agent).post("/incidents", {**GOOD, **text}).json()
    assert body["title"] == text["title"] and body["description"] == text["description"]
    inc = Incident.objects.get(number=body["number"])
    assert inc.title == text["title"] and inc.description == text["description"]
    detail = api(world.agent).get(f"/incidents/{inc.number}").json()
    assert detail["title"] == text["title"]


def test_title_of_200_characters_is_accepted(world, api):
    response = api(world.agent).post("/incidents", {**GOOD, "title": "字" * 200})
    assert response.status_code == 201 and len(response.json()["title"]) == 200


BAD = [
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "字" * 201}, "title"),
    ({"title": None}, "title"),
    ({"contract": "NO-SUCH-CONTRACT"}, "contract"),
    ({"contract": "HRSS-2026", "requester": "req_b"}, "contract"),  # exists, but not the caller's
    ({"contract": ""}, "contract"),
    ({"requester": "ghost"}, "requester"),
    ({"requester": "req_b"}, "requester"),  # exists, in another organisation
    ({"requester": "agent_b"}, "requester"),
    ({"level": 0}, "level"),
    ({"level": 5}, "level"),
    ({"level": "x"}, "level"),
    ({"level": 2.5}, "level"),
    ({"level": True}, "level"),
    ({"level": None}, "level"),
    ({"channel": "pigeon"}, "channel"),
    ({"category": 999999}, "category"),
    ({"description": "x" * 20001}, "description"),
]


@pytest.mark.parametrize(("change", "field"), BAD, ids=[f"{f}={str(c)[:30]}" for c, f in BAD])
def test_bad_input_is_422_naming_the_field_and_writes_nothing(world, api, change, field):
    agent = api(world.agent)
    counter = nothing_written(Incident, IdempotencyKey)
    response = agent.post("/incidents", {**GOOD, **change}, **{"Idempotency-Key": "k-bad"})
    error = assert_error(response, 422, field=field)
    assert error["fields"][field]
    counter.assert_unchanged()


@pytest.mark.parametrize("missing", ["title", "contract"])
def test_missing_required_field_is_422(world, api, missing):
    agent = api(world.agent)
    counter = nothing_written(Incident)
    body = {k: v for k, v in GOOD.items() if k != missing}
    assert_error(agent.post("/incidents", body), 422, field=missing)
    counter.assert_unchanged()


def test_unknown_and_foreign_contract_are_indistinguishable(world, api):
    agent = api(world.agent)
    foreign = assert_error(agent.post("/incidents", {**GOOD, "contract": "HRSS-2026", "requester": "req_b"}), 422)
    unknown = assert_error(agent.post("/incidents", {**GOOD, "contract": "NOPE-1", "requester": "req_b"}), 422)
    assert foreign == unknown


def test_unknown_and_foreign_requester_are_indistinguishable(world, api):
    agent = api(world.agent)
    foreign = assert_error(agent.post("/incidents", {**GOOD, "requester": "req_b"}), 422)
    unknown = assert_error(agent.post("/incidents", {**GOOD, "requester": "nobody-at-all"}), 422)
    assert foreign == unknown


def test_requester_may_not_log_for_someone_else(world, api):
    requester = api(world.requester_a)
    counter = nothing_written(Incident)
    assert_error(requester.post("/incidents", {**GOOD, "requester": "req_a2"}), 422, field="requester")
    counter.assert_unchanged()


def test_body_must_be_an_object(world, api):
    agent = api(world.agent)
    counter = nothing_written(Incident)
    response = agent.post("/incidents", "[1, 2]")
    assert response.status_code in (400, 422)
    assert_error(response, response.status_code)
    counter.assert_unchanged()


# --- Idempotency-Key -----------------------------------------------------------------------------------

def test_same_key_and_body_twice_creates_one_incident(world, api):
    agent = api(world.agent)
    first = agent.post("/incidents", GOOD, **{"Idempotency-Key": "call-20261122-001"})
    second = agent.post("/incidents", GOOD, **{"Idempotency-Key": "call-20261122-001"})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Incident.objects.count() == 1
    assert AuditEntry.objects.filter(action="incident.create").count() == 1


def test_same_key_other_body_is_422(world, api):
    agent = api(world.agent)
    assert agent.post("/incidents", GOOD, **{"Idempotency-Key": "k1"}).status_code == 201
    counter = nothing_written(Incident)
    response = agent.post("/incidents", {**GOOD, "title": "另一个事件"}, **{"Idempotency-Key": "k1"})
    assert_error(response, 422, code="idempotency_key_reused", field="Idempotency-Key")
    counter.assert_unchanged()


def test_keys_are_per_user_and_without_key_every_post_creates(world, api):
    assert api(world.agent).post("/incidents", GOOD, **{"Idempotency-Key": "shared"}).status_code == 201
    assert api(world.pm).post("/incidents", GOOD, **{"Idempotency-Key": "shared"}).status_code == 201
    assert api(world.agent).post("/incidents", GOOD).status_code == 201
    assert api(world.agent).post("/incidents", GOOD).status_code == 201
    assert Incident.objects.count() == 4


def test_a_refused_create_does_not_burn_the_key(world, api):
    agent = api(world.agent)
    assert_error(agent.post("/incidents", {**GOOD, "level": 9}, **{"Idempotency-Key": "retry-me"}), 422)
    response = agent.post("/incidents", GOOD, **{"Idempotency-Key": "retry-me"})
    assert response.status_code == 201


def test_overlong_key_is_422(world, api):
    response = api(world.agent).post("/incidents", GOOD, **{"Idempotency-Key": "k" * 201})
    assert_error(response, 422, field="Idempotency-Key")
    assert not Incident.objects.exists()


def test_comment_honours_idempotency_key(world, api):
    number = world.incident().number
    agent = api(world.agent)
    first = agent.post(f"/incidents/{number}/comments", {"body": "已电话联系"}, **{"Idempotency-Key": "c1"})
    second = agent.post(f"/incidents/{number}/comments", {"body": "已电话联系"}, **{"Idempotency-Key": "c1"})
    assert first.status_code == second.status_code == 201 and first.json() == second.json()
    timeline = agent.get(f"/incidents/{number}").json()["timeline"]
    assert [e["body"] for e in timeline].count("已电话联系") == 1

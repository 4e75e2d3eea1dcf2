"""Who sees which incidents through the API: own, the organisation's, the contract's; nothing else."""

from __future__ import annotations

from .battery import assert_error


def _numbers(response) -> set[str]:
    assert response.status_code == 200, response.content[:300]
    return {item["number"] for item in response.json()["items"]}


def test_requester_sees_own_incidents_only(world, api):
    own = world.incident(requester=world.requester_a).number
    colleague = world.incident(requester=world.requester_a2).number
    other_org = world.incident(by=world.agent_b, contract=world.contract_b, requester=world.requester_b).number
    assert _numbers(api(world.requester_a).get("/incidents")) == {own}
    assert api(world.requester_a).get(f"/incidents/{own}").status_code == 200
    assert_error(api(world.requester_a).get(f"/incidents/{colleague}"), 404, code="incident_not_found")
    assert_error(api(world.requester_a).get(f"/incidents/{other_org}"), 404, code="incident_not_found")
    # An action on someone else's incident: the same 404, not a 403 that would confirm the number exists.
    assert_error(api(world.requester_a).post(f"/incidents/{colleague}/actions/confirm", {}), 404)


def test_client_contact_sees_the_organisation_and_never_another(world, api):
    a1 = world.incident(requester=world.requester_a).number
    a2 = world.incident(requester=world.requester_a2).number
    b1 = world.incident(by=world.agent_b, contract=world.contract_b, requester=world.requester_b).number
    assert _numbers(api(world.contact_a).get("/incidents")) == {a1, a2}
    assert _numbers(api(world.contact_b).get("/incidents")) == {b1}
    assert api(world.contact_a).get(f"/incidents/{a2}").status_code == 200
    assert_error(api(world.contact_a).get(f"/incidents/{b1}"), 404)
    assert_error(api(world.contact_b).get(f"/incidents/{a1}"), 404)


def test_staff_see_their_contracts_only_and_filters_do_not_leak(world, api):
    a1 = world.incident().number
    b1 = world.incident(by=world.agent_b, contract=world.contract_b, requester=world.requester_b).number
    assert _numbers(api(world.agent).get("/incidents")) == {a1}
    assert _numbers(api(world.agent_b).get("/incidents")) == {b1}
    for params in ({"contract": "TAX-2026"}, {"requester": "req_a"}, {"q": a1}, {"status": "new"}):
        response = api(world.agent_b).get("/incidents", params)
        assert _numbers(response) == ({b1} if params == {"status": "new"} else set())
        body = response.json()
        assert body["count"] == len(body["items"])  # the count does not leak either
    assert_error(api(world.agent_b).get(f"/incidents/{a1}"), 404)


def test_numbers_are_case_insensitive_but_still_scoped(world, api):
    number = world.incident().number
    assert api(world.agent).get(f"/incidents/{number.lower()}").json()["number"] == number
    assert_error(api(world.agent_b).get(f"/incidents/{number.lower()}"), 404)


def test_internal_notes_are_hidden_from_requester_and_contact(world, api):
    number = world.incident().number
    agent = api(world.agent)
    note = agent.post(f"/incidents/{number}/comments", {"body": "内部：疑似硒鼓问题", "internal": True})
    assert note.status_code == 201 and note.json()["internal"] and note.json()["kind"] == "note"
    assert agent.post(f"/incidents/{number}/comments", {"body": "已联系用户"}).status_code == 201
    staff_view = [e["body"] for e in agent.get(f"/incidents/{number}").json()["timeline"]]
    assert "内部：疑似硒鼓问题" in staff_view and "已联系用户" in staff_view
    for client in (api(world.requester_a), api(world.contact_a)):
        timeline = client.get(f"/incidents/{number}").json()["timeline"]
        bodies = [e["body"] for e in timeline]
        assert "已联系用户" in bodies and "内部：疑似硒鼓问题" not in bodies
        assert not any(e["internal"] for e in timeline)


def test_requester_may_not_write_internal_notes(world, api):
    number = world.incident().number
    assert_error(api(world.requester_a).post(f"/incidents/{number}/comments", {"body": "x", "internal": True}),
                 403)

"""The reusable batteries applied to the incident endpoints."""

from __future__ import annotations

import pytest

from opsdesk.incidents.services import incident_act

from .battery import AuthBattery, Endpoint, ErrorFormatBattery, VisibilityBattery


def _endpoints(number: str) -> list[Endpoint]:
    return [
        Endpoint("GET", f"/incidents/{number}"),
        Endpoint("POST", f"/incidents/{number}/actions/accept", {"version": 1}),
        Endpoint("POST", f"/incidents/{number}/actions/confirm", {}),
        Endpoint("POST", f"/incidents/{number}/actions/no_such_action", {}),
        Endpoint("POST", f"/incidents/{number}/comments", {"body": "你好"}),
    ]


class TestIncidentAuth(AuthBattery):
    @pytest.fixture
    def endpoints(self, world):
        number = world.incident().number
        return [Endpoint("GET", "/incidents"),
                Endpoint("POST", "/incidents", {"title": "无权创建", "contract": "TAX-2026"}),
                *_endpoints(number),
                Endpoint("GET", "/incidents/INC-20990101-0001")]


class TestRequesterBCannotSeeRequesterA(VisibilityBattery):
    """Requester A's incident does not exist for requester B, B's contact, B's agent, nor a fellow requester."""

    @pytest.fixture
    def incident(self, world):
        inc = world.incident(requester=world.requester_a)
        incident_act(incident=inc, action="accept", by=world.agent)
        return inc

    @pytest.fixture
    def outsiders(self, world, api):
        return [api(world.requester_b), api(world.contact_b), api(world.agent_b), api(world.requester_a2)]

    @pytest.fixture
    def record_endpoints(self, incident):
        return _endpoints(incident.number)

    @pytest.fixture
    def hidden_numbers(self, incident):
        return [incident.number]

    @pytest.fixture
    def list_queries(self, world, api, incident):
        queries = []
        for user in (world.requester_b, world.contact_b, world.agent_b, world.requester_a2):
            for params in ("", "?contract=TAX-2026", "?requester=req_a", "?status=open",
                           f"?q={incident.number}", "?owner=agent", "?assignee=agent"):
                queries.append((api(user), Endpoint("GET", f"/incidents{params}")))
        return queries


class TestIncidentErrorFormat(ErrorFormatBattery):
    @pytest.fixture
    def bad_requests(self, world, api):
        agent = api(world.agent)
        number = world.incident().number
        return [
            (agent, Endpoint("POST", "/incidents", {"contract": "TAX-2026"}), 422, "title"),
            (agent, Endpoint("POST", "/incidents", {"title": "缺合同"}), 422, "contract"),
            (agent, Endpoint("GET", "/incidents?status=bogus"), 422, "status"),
            (agent, Endpoint("GET", "/incidents?level=9"), 422, "level"),
            (agent, Endpoint("GET", "/incidents?created_from=yesterday"), 422, "created_from"),
            (agent, Endpoint("GET", "/incidents?sort=title"), 422, "sort"),
            (agent, Endpoint("GET", "/incidents?limit=0"), 422, "limit"),
            (agent, Endpoint("GET", "/incidents?limit=201"), 422, "limit"),
            (agent, Endpoint("GET", "/incidents?cursor=not-a-cursor"), 422, "cursor"),
            (agent, Endpoint("POST", f"/incidents/{number}/actions/accept", {"version": "abc"}), 422, "version"),
            (agent, Endpoint("POST", f"/incidents/{number}/actions/bogus", {}), 404, None),
            (agent, Endpoint("POST", f"/incidents/{number}/comments", {"body": ""}), 422, "body"),
            (agent, Endpoint("GET", "/incidents/INC-20990101-0001"), 404, None),
        ]

    def test_unparseable_json_is_400(self, world, api):
        from .battery import assert_error

        response = api(world.agent).post("/incidents", "{not json")
        assert_error(response, 400)

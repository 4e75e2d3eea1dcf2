"""Reusable API test batteries: authentication, the one error format, and visibility (404, never 403).

A module's tests subclass the batteries and provide fixtures describing its endpoints; every check below
then runs against each of them. Example (see test_incidents_battery.py):

    class TestIncidentAuth(AuthBattery):
        @pytest.fixture
        def endpoints(self, world):
            return [Endpoint("GET", "/incidents"), Endpoint("POST", "/incidents", {"title": "x"})]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model

from opsdesk.core.models import Activity, AuditEntry

from .conftest import ApiClient


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    body: dict[str, Any] | None = None

    def call(self, client: ApiClient):
        return client.request(self.method, self.path, self.body)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def assert_error(response, status: int, *, code: str | None = None, field: str | None = None) -> dict:
    """The response is `status` with `{"error": {"code", "message", "fields"}}`; return the error."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in error["fields"].items()), error
    if code is not None:
        assert error["code"] == code, error
    if field is not None:
        assert field in error["fields"], error
    return error


@dataclass
class WriteCounter:
    """Counts rows of some models before and after, to prove a refused request wrote nothing."""

    models: tuple[type[Model], ...] = (AuditEntry, Activity)
    before: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.before = self.counts()

    def counts(self) -> dict[str, int]:
        return {m._meta.label: m._default_manager.count() for m in self.models}

    def assert_unchanged(self) -> None:
        after = self.counts()
        assert after == self.before, f"rows written: before {self.before}, after {after}"


def nothing_written(*models: type[Model]) -> WriteCounter:
    return WriteCounter(models=(*models, AuditEntry, Activity))


class AuthBattery:
    """Every endpoint refuses a missing or wrong token with 401 in the error format, and writes nothing.

    Provide an `endpoints` fixture: a list of Endpoint.
    """

    def test_no_token_is_401(self, endpoints, db):
        for endpoint in endpoints:
            counter = nothing_written()
            assert_error(endpoint.call(ApiClient(None)), 401, code="unauthenticated")
            counter.assert_unchanged()

    def test_bad_token_is_401(self, endpoints, db):
        for endpoint in endpoints:
            counter = nothing_written()
            assert_error(endpoint.call(ApiClient("ods_not-a-real-token")), 401, code="unauthenticated")
            counter.assert_unchanged()

    def test_malformed_authorization_is_401(self, endpoints, db):
        client = ApiClient(None)
        client.client.defaults["HTTP_AUTHORIZATION"] = "Basic dXNlcjpwdw=="
        for endpoint in endpoints:
            assert_error(endpoint.call(client), 401)


class VisibilityBattery:
    """Records a person may not see do not exist for them: 404 on every endpoint, never 403, nothing written.

    Provide fixtures `outsiders` (a list of ApiClient who may not see the record) and `record_endpoints`
    (a list of Endpoint about that record, reads and writes), and `hidden_numbers` plus `list_queries`
    (a list of (ApiClient, Endpoint)) for list endpoints that must never show those numbers.
    """

    def test_outsiders_get_404(self, outsiders, record_endpoints):
        for client in outsiders:
            for endpoint in record_endpoints:
                counter = nothing_written()
                response = endpoint.call(client)
                assert_error(response, 404)
                counter.assert_unchanged()

    def test_lists_never_leak(self, list_queries, hidden_numbers):
        assert hidden_numbers
        for client, endpoint in list_queries:
            response = endpoint.call(client)
            assert response.status_code == 200, (str(endpoint), response.content[:300])
            shown = {item["number"] for item in response.json()["items"]}
            assert not shown & set(hidden_numbers), (client.user, str(endpoint))


class ErrorFormatBattery:
    """Malformed requests get 4xx in the one error format. Provide `bad_requests`: a list of
    (ApiClient, Endpoint or raw (method, path, body), expected status, expected field or None)."""

    def test_bad_requests_use_the_error_format(self, bad_requests):
        for client, endpoint, status, field_name in bad_requests:
            counter = nothing_written()
            assert_error(endpoint.call(client), status, field=field_name)
            counter.assert_unchanged()


__all__ = ["AuthBattery", "Endpoint", "ErrorFormatBattery", "VisibilityBattery", "assert_error",
           "nothing_written"]

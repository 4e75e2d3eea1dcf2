"""API test fixtures: an HTTP client per person, authenticated with a real bearer token."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from opsdesk.accounts.models import User
from opsdesk.accounts.services import api_token_create

BASE = "/api/v1"


class ApiClient:
    """Django's test Client speaking JSON to /api/v1 with `Authorization: Bearer <token>`."""

    def __init__(self, token: str | None, user: User | None = None) -> None:
        self.token = token
        self.user = user
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # CSRF enforced as in production: token clients must never need it, sessions always.
        self.client = Client(headers=headers, enforce_csrf_checks=True)

    def url(self, path: str) -> str:
        return path if path.startswith(BASE) else BASE + path

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str):
        return self.client.get(self.url(path), params or {}, headers=headers)

    def post(self, path: str, body: Any = None, **headers: str):
        data = body if isinstance(body, str | bytes) else json.dumps({} if body is None else body)
        return self.client.post(self.url(path), data, content_type="application/json", headers=headers)

    def patch(self, path: str, body: Any = None, **headers: str):
        data = json.dumps({} if body is None else body)
        return self.client.patch(self.url(path), data, content_type="application/json", headers=headers)

    def delete(self, path: str, **headers: str):
        return self.client.delete(self.url(path), headers=headers)

    def upload(self, path: str, files: dict[str, Any], params: dict[str, Any] | None = None):
        """A multipart POST of `files` ({field: (name, bytes)}), with `params` in the query string."""
        from urllib.parse import urlencode

        from django.core.files.uploadedfile import SimpleUploadedFile

        data = {field: SimpleUploadedFile(name, content) for field, (name, content) in files.items()}
        query = f"?{urlencode(params)}" if params else ""
        return self.client.post(self.url(path) + query, data)

    def request(self, method: str, path: str, body: Any = None):
        return self.get(path) if method == "GET" else self.post(path, body)


def token_for(user: User) -> str:
    return api_token_create(by=None, user=user, name="tests")


@pytest.fixture
def anonymous(db) -> ApiClient:
    return ApiClient(None)

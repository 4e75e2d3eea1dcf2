"""The OpenAPI document: served at /api/v1/openapi.json, and compared with a reviewed snapshot.

When the API changes on purpose, regenerate the snapshot and review the diff:

    OPSDESK_UPDATE_OPENAPI_SNAPSHOT=1 uv run pytest tests/api/test_openapi.py
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

import pytest

SNAPSHOT = Path(__file__).with_name("openapi_snapshot.json")
PATHS = {
    "/api/v1/incidents": {"get", "post"},
    "/api/v1/incidents/{number}": {"get"},
    "/api/v1/incidents/{number}/actions/{action}": {"post"},
    "/api/v1/incidents/{number}/comments": {"post"},
    "/api/v1/cmdb/types": {"get", "post"},
    "/api/v1/cmdb/items": {"get", "post"},
    "/api/v1/cmdb/items/{item_id}": {"get", "patch"},
    "/api/v1/cmdb/items/{item_id}/impact": {"get"},
    "/api/v1/cmdb/relationships": {"post"},
    "/api/v1/cmdb/import": {"post"},
}


def _document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def test_openapi_is_valid_json_with_the_incident_paths(client, db):
    doc = _document(client)
    assert doc["openapi"].startswith("3.")
    for path, methods in PATHS.items():
        assert path in doc["paths"], path
        assert methods <= set(doc["paths"][path]), (path, set(doc["paths"][path]))
    schemes = doc["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    create = doc["paths"]["/api/v1/incidents"]["post"]
    assert {"201", "422"} <= set(create["responses"])
    item = doc["components"]["schemas"]["IncidentItemOut"]["properties"]
    for name in ("number", "title", "status", "level", "contract", "requester", "owner", "assignee", "version",
                 "allowed_actions"):
        assert name in item, name


def test_openapi_matches_the_snapshot(client, db):
    doc = _document(client)
    text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("OPSDESK_UPDATE_OPENAPI_SNAPSHOT"):
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert SNAPSHOT.exists(), "no snapshot yet: run with OPSDESK_UPDATE_OPENAPI_SNAPSHOT=1 (see module docstring)"
    expected = SNAPSHOT.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(list(difflib.unified_diff(expected.splitlines(True), text.splitlines(True), "snapshot",
                                                 "served"))[:80])
        pytest.fail("The OpenAPI document changed. If on purpose, regenerate the snapshot with "
                    "OPSDESK_UPDATE_OPENAPI_SNAPSHOT=1 uv run pytest tests/api/test_openapi.py and review the "
                    f"diff:\n{diff}")

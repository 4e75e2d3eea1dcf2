"""`opsdesk serve` as the README starts it: two web processes on the configured database, each on a
database connection of its own (they are forked after the command has migrated)."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from opsdesk.accounts.services import api_token_create

from .servers import WAIT, free_port, process_env, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

OPSDESK = str(Path(sys.executable).parent / "opsdesk")


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    except OSError:
        return 0, b""
    finally:
        conn.close()


def test_serve_answers_pages_and_api_from_two_processes_at_once(world, tmp_path):
    incident = world.incident(title="两个进程同时应答")
    token = api_token_create(by=None, user=world.agent, name="serve")
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603 - our own command
        [OPSDESK, "serve", "--port", str(port), "--workers", "2", "--no-worker"], env=process_env(tmp_path / "data"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: _get(port, "/healthz")[0] == 200 or proc.poll() is not None, what="opsdesk serve")
        assert proc.poll() is None, proc.communicate()[0].decode()[-3000:]
        status, body = _get(port, "/accounts/login/")
        assert status == 200 and "登录" in body.decode()
        path, auth = f"/api/v1/incidents/{incident.number}", {"Authorization": f"Bearer {token}"}
        # Both processes busy at once: had they inherited the command's connection, they would share one
        # PostgreSQL session and trip over each other's prepared statements.
        with ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(pool.map(lambda _i: _get(port, path, auth), range(60)))
        assert {status for status, _body in answers} == {200}
        assert all(incident.number.encode() in body for _status, body in answers)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.communicate(timeout=WAIT)

"""Real servers on loopback that play the outside world: an SMTP server (aiosmtpd) and the DingTalk / WeCom /
Feishu robot APIs (stdlib http.server), each verifying what it receives the way the real service would (the
signatures are recomputed here independently of opsdesk's code); the environment of a real `opsdesk` process
on the test's database; polling with a deadline."""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import hashlib
import hmac
import json
import os
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiosmtpd.controller import Controller
from django.db import connection

WAIT = 60  # seconds: a generous bound on polling loops, never a sleep a test relies on


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate, *, timeout: float = WAIT, what: str = "condition") -> Any:
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def process_env(data: Path) -> dict[str, str]:
    """The environment of an `opsdesk` process (worker, command) on this test's committed database (the test
    is transactional), configured like production: no pytest marker, jobs not inline, its own data directory."""
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_VERSION"}
    data.mkdir(parents=True, exist_ok=True)
    env["OPSDESK_DATA_DIR"] = str(data)
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        # The production settings (WAL, IMMEDIATE transactions, busy timeout) on the test's database file.
        (data / "opsdesk.sqlite3").symlink_to(db["NAME"])
        env.pop("OPSDESK_DATABASE_URL", None)
    else:
        password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
        env["OPSDESK_DATABASE_URL"] = (f"postgresql://{quote(db['USER'])}{password}@{db['HOST'] or '127.0.0.1'}:"
                                       f"{db['PORT'] or 5432}/{db['NAME']}")
    return env


# --- SMTP ----------------------------------------------------------------------------------------------------

@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


class SmtpHandler:
    """Accepts every message (recording it) unless told to refuse the next ones or to block on one."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refuse = 0  # refuse this many messages with a temporary error
        self.block_subject = ""  # block in DATA, before accepting, on a message whose subject contains this
        self.blocked = threading.Event()  # set while a message is held
        self.release = threading.Event()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        if self.block_subject and self.block_subject in str(message["Subject"]):
            self.block_subject = ""
            self.blocked.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, WAIT)
            return "451 4.3.0 held, not accepted"  # the sender is gone by now: nothing was delivered
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 try again later"
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message, raw))
        return "250 OK"

    def by_message_id(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.received:
            out[str(r.message["Message-ID"])] = out.get(str(r.message["Message-ID"]), 0) + 1
        return out


class SmtpServer:
    def __init__(self) -> None:
        self.handler = SmtpHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.handler.release.set()
        self.controller.stop()

    @property
    def received(self) -> list[Received]:
        return self.handler.received


# --- robots --------------------------------------------------------------------------------------------------

@dataclass
class RobotCall:
    provider: str
    path: str
    query: dict[str, str]
    body: dict[str, Any]
    at: float
    signature_ok: bool
    shape_ok: bool


def dingtalk_expected(secret: str, timestamp: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_expected(secret: str, timestamp: str) -> str:
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass
class RobotApi:
    """The robot APIs of all three providers on one port: /dingtalk/robot/send?access_token=…,
    /wecom/webhook/send?key=…, /feishu/bot/v2/hook/<token>. `answers` scripts the next responses as
    (HTTP status, JSON body); then every call succeeds."""

    secret: str = ""
    calls: list[RobotCall] = field(default_factory=list)
    answers: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    port: int = 0

    def url(self, provider: str, ident: str = "tok") -> str:
        base = f"http://127.0.0.1:{self.port}"
        return {"dingtalk": f"{base}/dingtalk/robot/send?access_token={ident}",
                "wecom": f"{base}/wecom/webhook/send?key={ident}",
                "feishu": f"{base}/feishu/bot/v2/hook/{ident}"}[provider]

    def verify(self, provider: str, query: dict[str, str], body: dict[str, Any]) -> tuple[bool, bool]:
        if provider == "dingtalk":
            sig_ok = not self.secret or (
                "sign" in query and abs(int(query["timestamp"]) / 1000 - time.time()) < 3600
                and query["sign"] == dingtalk_expected(self.secret, query["timestamp"]))
            md = body.get("markdown")
            shape = body.get("msgtype") == "markdown" and isinstance(md, dict) and set(md) == {"title", "text"} \
                and all(isinstance(v, str) and v for v in md.values())
        elif provider == "wecom":
            sig_ok = "key" in query and "sign" not in query
            md = body.get("markdown")
            shape = body.get("msgtype") == "markdown" and isinstance(md, dict) and set(md) == {"content"} \
                and isinstance(md["content"], str) and bool(md["content"])
        else:
            sig_ok = not self.secret or (
                isinstance(body.get("timestamp"), str) and abs(int(body["timestamp"]) - time.time()) < 3600
                and body.get("sign") == feishu_expected(self.secret, body["timestamp"]))
            content = body.get("content")
            shape = body.get("msg_type") == "text" and isinstance(content, dict) \
                and isinstance(content.get("text"), str) and bool(content["text"])
        return bool(sig_ok), bool(shape)

    def text_of(self, call: RobotCall) -> str:
        if call.provider == "feishu":
            return call.body["content"]["text"]
        md = call.body["markdown"]
        return md.get("text") or md.get("content") or ""

    def ok_body(self, provider: str) -> dict[str, Any]:
        return {"code": 0, "msg": "success"} if provider == "feishu" else {"errcode": 0, "errmsg": "ok"}


def serve_robots(api: RobotApi) -> tuple[ThreadingHTTPServer, threading.Thread]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            parsed = urllib.parse.urlsplit(self.path)
            provider = parsed.path.strip("/").split("/")[0]
            query = dict(urllib.parse.parse_qsl(parsed.query))
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length).decode("utf-8"))
            except ValueError:
                body = {}
            sig_ok, shape_ok = api.verify(provider, query, body)
            with lock:
                api.calls.append(RobotCall(provider, parsed.path, query, body, time.time(), sig_ok, shape_ok))
                status, answer = api.answers.pop(0) if api.answers else (200, api.ok_body(provider))
            if not sig_ok:
                status, answer = 200, ({"code": 19021, "msg": "sign match fail"} if provider == "feishu"
                                       else {"errcode": 310000, "errmsg": "sign not match"})
            raw = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread

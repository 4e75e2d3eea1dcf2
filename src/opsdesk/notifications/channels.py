"""Transports of the outgoing channels: building and sending an e-mail, signing and posting a group robot's
message. No database access here: services.py claims deliveries, calls these, and records the outcome.

Robot protocols (official docs of each provider):
- DingTalk: `…/robot/send?access_token=…` plus, with a signing secret, `&timestamp=<ms>&sign=<s>` where s is
  urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))); body
  `{"msgtype": "markdown", "markdown": {"title", "text"}}`; errors as `errcode` (130101: rate limited).
- WeCom: `…/webhook/send?key=…` (the key is the credential, no signature); body
  `{"msgtype": "markdown", "markdown": {"content"}}`; errors as `errcode` (45009: rate limited).
- Feishu: `…/bot/v2/hook/…`; with a secret the body carries `timestamp` (seconds) and
  `sign` = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")); body `{"msg_type": "text",
  "content": {"text"}}`; errors as `code` (9499 and 11232: rate limited).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from .choices import RobotProvider

# Control characters (CR, LF, NUL, …) would end a header line early: a title is one line of plain text.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
RATE_LIMIT_CODES = {RobotProvider.DINGTALK: {130101}, RobotProvider.WECOM: {45009},
                    RobotProvider.FEISHU: {9499, 11232}}


def one_line(text: str, limit: int = 200) -> str:
    """`text` as a single header-safe line: control characters become spaces, runs of space collapse."""
    return " ".join(_CONTROL.sub(" ", str(text or "")).split())[:limit]


def mail_domain() -> str:
    return one_line(settings.OPSDESK_MAIL_DOMAIN, 200) or "localhost"


def thread_id(ticket_number: str) -> str:
    """The thread root of a ticket's mails; e-mail intake recognises the ticket number at the start of the
    local part of this id (and of every message id below). Keep the format."""
    return f"<{ticket_number}@{mail_domain()}>"


def message_id(ticket_number: str, delivery_id: int) -> str:
    return f"<{ticket_number}.n{delivery_id}@{mail_domain()}>"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str
    message_id: str
    thread: str


def mail_send(mail: Mail) -> None:
    """Send one mail through the configured SMTP server (Django's SMTP backend, OPSDESK_SMTP_*)."""
    connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
    message = EmailMultiAlternatives(
        subject=one_line(mail.subject, 250), body=mail.text, from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mail.to], connection=connection,
        headers={"Message-ID": mail.message_id, "In-Reply-To": mail.thread, "References": mail.thread,
                 "Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"})
    message.attach_alternative(mail.html, "text/html")
    message.send(fail_silently=False)


# --- robots ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RobotAnswer:
    ok: bool
    rate_limited: bool
    error: str


def _hmac_b64(key: bytes, msg: bytes) -> str:
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature (not yet URL-encoded)."""
    return _hmac_b64(secret.encode(), f"{timestamp_ms}\n{secret}".encode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's signature: the string to sign is the HMAC key, the message is empty."""
    return _hmac_b64(f"{timestamp_s}\n{secret}".encode(), b"")


def robot_request(*, provider: str, webhook_url: str, secret: str, title: str, text: str,
                  now: float | None = None) -> tuple[str, bytes]:
    """The URL and JSON body of one robot message (markdown for DingTalk and WeCom, text for Feishu)."""
    now = time.time() if now is None else now
    url = webhook_url
    body: dict[str, object]
    if provider == RobotProvider.DINGTALK:
        body = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
        if secret:
            ts = int(now * 1000)
            sign = urllib.parse.quote_plus(dingtalk_sign(secret, ts))
            url += ("&" if "?" in url else "?") + f"timestamp={ts}&sign={sign}"
    elif provider == RobotProvider.WECOM:
        body = {"msgtype": "markdown", "markdown": {"content": text}}
    else:
        body = {"msg_type": "text", "content": {"text": f"{title}\n{text}"}}
        if secret:
            ts = int(now)
            body["timestamp"] = str(ts)
            body["sign"] = feishu_sign(secret, ts)
    return url, json.dumps(body, ensure_ascii=False).encode()


def robot_post(*, provider: str, webhook_url: str, secret: str, title: str, text: str) -> RobotAnswer:
    """Post one message to a robot (with a timeout) and read the provider's JSON answer."""
    url, body = robot_request(provider=provider, webhook_url=webhook_url, secret=secret, title=title, text=text)
    if not url.lower().startswith(("http://", "https://")):
        return RobotAnswer(ok=False, rate_limited=False, error="webhook URL must be http(s)")
    request = urllib.request.Request(url, data=body, method="POST",  # noqa: S310 (scheme checked above)
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=settings.OPSDESK_ROBOT_TIMEOUT) as response:  # noqa: S310
            raw = response.read(65536)
    except urllib.error.HTTPError as exc:
        return RobotAnswer(ok=False, rate_limited=exc.code == 429, error=f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return RobotAnswer(ok=False, rate_limited=False, error=one_line(f"{type(exc).__name__}: {exc}", 500))
    try:
        answer = json.loads(raw.decode("utf-8", "replace") or "{}")
    except json.JSONDecodeError:
        return RobotAnswer(ok=False, rate_limited=False, error="answer is not JSON: " + one_line(raw[:200].decode(
            "utf-8", "replace")))
    if not isinstance(answer, dict):
        return RobotAnswer(ok=False, rate_limited=False, error="answer is not a JSON object")
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
    try:
        code = int(code or 0)
    except (TypeError, ValueError):
        code = -1
    if code == 0:
        return RobotAnswer(ok=True, rate_limited=False, error="")
    message = answer.get("errmsg") or answer.get("msg") or ""
    return RobotAnswer(ok=False, rate_limited=code in RATE_LIMIT_CODES.get(RobotProvider(provider), set()),
                       error=one_line(f"{code} {message}", 500))

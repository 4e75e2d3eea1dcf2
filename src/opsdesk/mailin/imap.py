"""The IMAP poller (stdlib imaplib): fetch a mailbox's new messages by UID, ingest each, mark it \\Seen.

Certificates are always verified (the system CAs, or OPSDESK_MAIL_CA_FILE for a private CA). The poller
remembers the highest UID handled for the folder's UIDVALIDITY, so a message is fetched once; one broken
message is quarantined by the ingest and never stops the rest; a connection failure is recorded on the
mailbox (`last_error`) and the next poll tries again.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import socket
import ssl
from dataclasses import dataclass, field

from django.conf import settings

from . import services
from .choices import Outcome, Security
from .models import Mailbox

logger = logging.getLogger(__name__)

IMAP_ERRORS = (imaplib.IMAP4.error, OSError, ssl.SSLError, socket.timeout, EOFError)


class PollError(Exception):
    """The mailbox could not be read (connection, TLS, login, folder); the message says what failed."""


@dataclass
class PollResult:
    mailbox_id: int
    fetched: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    error: str = ""
    lines: list[str] = field(default_factory=list)


def ssl_context() -> ssl.SSLContext:
    """A verifying TLS context: the system CAs, or only OPSDESK_MAIL_CA_FILE when it is set."""
    ca_file = getattr(settings, "OPSDESK_MAIL_CA_FILE", "") or None
    return ssl.create_default_context(cafile=ca_file)


def _timeout() -> float:
    return float(getattr(settings, "OPSDESK_MAIL_TIMEOUT", 30))


def connect(mailbox: Mailbox) -> imaplib.IMAP4:
    """An authenticated connection with the mailbox's folder selected (read-write, to set \\Seen)."""
    try:
        if mailbox.security == Security.SSL:
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(mailbox.imap_host, mailbox.imap_port, ssl_context=ssl_context(),
                                                    timeout=_timeout())
        else:
            conn = imaplib.IMAP4(mailbox.imap_host, mailbox.imap_port, timeout=_timeout())
            conn.starttls(ssl_context=ssl_context())
    except IMAP_ERRORS as exc:
        raise PollError(f"connect to {mailbox.imap_host}:{mailbox.imap_port}: {exc}") from exc
    try:
        conn.login(mailbox.username, mailbox.password)
        status, _data = conn.select(_quote(mailbox.folder))
        if status != "OK":
            raise PollError(f"folder {mailbox.folder!r} cannot be opened: {_data!r}")
    except IMAP_ERRORS as exc:
        _close(conn)
        raise PollError(f"{type(exc).__name__}: {exc}") from exc
    except PollError:
        _close(conn)
        raise
    return conn


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _close(conn: imaplib.IMAP4) -> None:
    with contextlib.suppress(Exception):  # the connection is gone anyway
        conn.logout()


def _uid_validity(conn: imaplib.IMAP4) -> int | None:
    _typ, data = conn.response("UIDVALIDITY")
    for item in data or []:
        if isinstance(item, bytes) and item.strip().isdigit():
            return int(item.strip())
    return None


def _new_uids(conn: imaplib.IMAP4, after: int) -> list[int]:
    # "UID n:*" always matches the newest message even when its UID is below n: filter again.
    status, data = conn.uid("SEARCH", f"UID {after + 1}:*")
    if status != "OK":
        raise PollError(f"UID SEARCH failed: {data!r}")
    uids: list[int] = []
    for chunk in data or []:
        if isinstance(chunk, bytes):
            uids.extend(int(x) for x in chunk.split() if x.isdigit())
    return sorted(u for u in set(uids) if u > after)


def _fetch(conn: imaplib.IMAP4, uid: int) -> bytes | None:
    status, data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
    if status != "OK":
        return None
    for item in data or []:
        if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def mailbox_test(mailbox: Mailbox) -> tuple[bool, str]:
    """Connect, log in and open the folder; (True, how many messages it holds) or (False, the error)."""
    try:
        conn = connect(mailbox)
    except PollError as exc:
        return False, str(exc)
    try:
        status, data = conn.uid("SEARCH", "ALL")
        count = len(data[0].split()) if status == "OK" and data and data[0] else 0
        return True, str(count)
    except IMAP_ERRORS as exc:
        return False, f"{type(exc).__name__}: {exc}"
    finally:
        _close(conn)


def mailbox_poll(mailbox: Mailbox, *, limit: int | None = None) -> PollResult:
    """Ingest the mailbox's new messages (at most `limit` per run; the rest next time). Never raises."""
    limit = limit or int(getattr(settings, "OPSDESK_MAIL_POLL_BATCH", 200))
    result = PollResult(mailbox_id=mailbox.pk)
    try:
        conn = connect(mailbox)
    except PollError as exc:
        result.error = str(exc)
        services.mailbox_poll_state_save(mailbox=mailbox, error=result.error)
        logger.warning("mailbox %s: %s", mailbox.address, result.error)
        return result
    try:
        validity = _uid_validity(conn)
        last_uid = mailbox.last_uid
        if validity is not None and mailbox.uid_validity is not None and validity != mailbox.uid_validity:
            last_uid = 0  # the folder was recreated: its UIDs start again (Message-IDs catch repeats)
        services.mailbox_poll_state_save(mailbox=mailbox, last_uid=last_uid, uid_validity=validity)
        for uid in _new_uids(conn, last_uid)[:limit]:
            try:
                raw = _fetch(conn, uid)
            except IMAP_ERRORS:
                raise
            except Exception as exc:  # one message never stops the rest
                logger.exception("mailbox %s: fetching UID %s failed", mailbox.address, uid)
                result.error = f"UID {uid}: {exc}"
                continue
            if raw is None:
                result.error = f"UID {uid}: not fetched"
                continue
            outcome = services.mail_ingest(raw, mailbox=mailbox, imap_uid=uid)
            result.fetched += 1
            result.outcomes[outcome.outcome] = result.outcomes.get(outcome.outcome, 0) + 1
            result.lines.append(outcome.line)
            if not outcome.stored and outcome.outcome != Outcome.DUPLICATE:
                # Not even the quarantine could be written (database down): leave it unseen for the next poll.
                result.error = f"UID {uid}: not stored ({outcome.reason})"
                break
            conn.uid("STORE", str(uid), "+FLAGS", "(\\Seen)")
            services.mailbox_poll_state_save(mailbox=mailbox, last_uid=uid)
        services.mailbox_poll_state_save(mailbox=mailbox, error=result.error)
    except (PollError, *IMAP_ERRORS) as exc:
        result.error = f"{type(exc).__name__}: {exc}"
        services.mailbox_poll_state_save(mailbox=mailbox, error=result.error)
        logger.warning("mailbox %s: %s", mailbox.address, result.error)
    finally:
        _close(conn)
    return result


def poll_all() -> list[PollResult]:
    """Poll every enabled mailbox once; a failing mailbox never stops the others."""
    from .selectors import enabled_mailboxes

    results = []
    for mailbox in enabled_mailboxes():
        try:
            results.append(mailbox_poll(mailbox))
        except Exception as exc:  # e.g. the database went away mid-poll
            logger.exception("polling mailbox %s failed", mailbox.address)
            results.append(PollResult(mailbox_id=mailbox.pk, error=f"{type(exc).__name__}: {exc}"))
    return results

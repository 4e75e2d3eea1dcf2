"""Thin background jobs of the e-mail intake; safe to run twice (UIDs and Message-IDs skip what was read)."""

from __future__ import annotations

import logging

from huey.contrib.djhuey import HUEY
from huey.exceptions import TaskLockedException

from . import imap
from .selectors import enabled_mailboxes

logger = logging.getLogger(__name__)


def poll_mailboxes() -> int:
    """Poll every enabled mailbox once; a mailbox another worker is polling right now is skipped (a lock in
    the job queue's storage, so it holds across workers and machines). Returns how many messages were read."""
    fetched = 0
    for mailbox in enabled_mailboxes():
        try:
            with HUEY.lock_task(f"mailin-poll-{mailbox.pk}"):
                fetched += imap.mailbox_poll(mailbox).fetched
        except TaskLockedException:
            logger.info("mailbox %s is being polled elsewhere; skipped", mailbox.address)
        except Exception:  # one mailbox never stops the others
            logger.exception("polling mailbox %s failed", mailbox.address)
    return fetched

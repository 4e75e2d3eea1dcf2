"""`opsdesk mail ingest [--contract CODE] < message.eml` and `opsdesk mail poll`.

`ingest` reads one message from standard input (as an MTA pipe delivers it) and prints the number of the
ticket it created or updated, or `quarantined: <reason>` / `ignored: <reason>` / `rejected: <reason>` /
`duplicate: <number>`; it exits 0 for every message (the message is kept either way) and non-zero only for
usage errors. Without --contract the mailbox is found by the message's recipient addresses.
`poll` reads every enabled mailbox once and prints one line per mailbox.
"""

from __future__ import annotations

import email.parser
import email.utils
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsdesk.accounts.models import Contract
from opsdesk.core.db import one_or_none
from opsdesk.mailin import imap, parsing, services
from opsdesk.mailin.models import Mailbox
from opsdesk.mailin.selectors import enabled_mailboxes

RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc")


def mailbox_for_recipients(raw: bytes) -> Mailbox | None:
    """The mailbox whose address the message was sent to (its delivery headers first)."""
    head = email.parser.BytesHeaderParser(policy=parsing.RAW_POLICY).parsebytes(raw[:65536])
    addresses: list[str] = []
    for name in RECIPIENT_HEADERS:
        for value in head.get_all(name) or []:
            addresses += [a.lower() for _n, a in email.utils.getaddresses([str(value)]) if a]
    for address in addresses:
        mailbox = one_or_none(Mailbox.objects.filter(address__iexact=address).select_related("contract"))
        if mailbox is not None:
            return mailbox
    return None


class Command(BaseCommand):
    help = "E-mail intake: ingest one message from standard input, or poll every enabled mailbox once."
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ingest = sub.add_parser("ingest", help="ingest one message read from standard input")
        ingest.add_argument("--contract", help="the contract's code (default: by the recipient mailbox)")
        ingest.add_argument("--file", help="read the message from this file instead of standard input")
        sub.add_parser("poll", help="poll every enabled mailbox once")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "poll":
            self._poll()
        else:
            self._ingest(options)

    def _ingest(self, options: dict[str, Any]) -> None:
        if options.get("file"):
            try:
                with open(options["file"], "rb") as fh:
                    raw = fh.read()
            except OSError as exc:
                raise CommandError(f"cannot read {options['file']}: {exc}", returncode=2) from exc
        else:
            stream = options.get("stdin") or sys.stdin.buffer
            raw = stream.read()
        contract = None
        mailbox = None
        if options.get("contract"):
            contract = one_or_none(Contract.objects.filter(code=options["contract"]).select_related("organisation"))
            if contract is None:
                raise CommandError(f"unknown contract {options['contract']!r}", returncode=2)
            mailbox = one_or_none(Mailbox.objects.filter(contract=contract).order_by("id"))
            if mailbox is not None:
                mailbox.contract = contract
        else:
            mailbox = mailbox_for_recipients(raw)
            if mailbox is None:
                raise CommandError("no mailbox has a recipient address of this message: give --contract CODE",
                                   returncode=2)
        result = services.mail_ingest(raw, mailbox=mailbox, contract=contract)
        self.stdout.write(result.line)

    def _poll(self) -> None:
        for mailbox in enabled_mailboxes():
            result = imap.mailbox_poll(mailbox)
            summary = ", ".join(f"{k} {v}" for k, v in sorted(result.outcomes.items())) or "nothing new"
            line = f"{mailbox.address}: {result.fetched} read ({summary})"
            if result.error:
                line += f"; error: {result.error}"
            self.stdout.write(line)

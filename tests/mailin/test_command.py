"""`opsdesk mail ingest` / `opsdesk mail poll`: through call_command, and once as a real process."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from opsdesk.incidents.models import Incident
from opsdesk.mailin.models import InboundMessage

from .conftest import eml


def ingest(raw: bytes, *args: str) -> str:
    out = io.StringIO()
    call_command("mail", "ingest", *args, stdin=io.BytesIO(raw), stdout=out)
    return out.getvalue().strip()


@pytest.mark.django_db
def test_ingest_prints_the_ticket_number_then_duplicate(mail_world):
    line = ingest(eml("gb2312_rongji.eml"), "--contract", "TAX-2026")
    incident = Incident.objects.get()
    assert line == incident.number
    assert incident.title == "打印机故障：朱镕基文集无法打印"
    assert ingest(eml("gb2312_rongji.eml"), "--contract", "TAX-2026") == f"duplicate: {incident.number}"
    reply = ingest(eml("reply_subject_number.eml", number=incident.number), "--contract", "TAX-2026")
    assert reply == incident.number


@pytest.mark.django_db
def test_ingest_prints_quarantine_and_ignore_reasons(mail_world):
    assert ingest(eml("malformed_no_from.eml"), "--contract", "TAX-2026") == "quarantined: malformed: no From header"
    assert ingest(eml("x_autoreply.eml"), "--contract", "TAX-2026") == "ignored: auto-reply: X-Autoreply"


@pytest.mark.django_db
def test_ingest_finds_the_mailbox_by_recipient(mailbox):
    line = ingest(eml("utf8_qp.eml"))  # To: helpdesk@opsdesk.example
    assert line == Incident.objects.get().number
    assert InboundMessage.objects.get().mailbox_id == mailbox.pk


@pytest.mark.django_db
def test_usage_errors(mail_world, tmp_path):
    with pytest.raises(CommandError, match="unknown contract"):
        ingest(eml("utf8_qp.eml"), "--contract", "NOPE")
    with pytest.raises(CommandError, match="give --contract"):
        ingest(eml("utf8_qp.eml"))  # no mailbox has this recipient
    with pytest.raises(CommandError, match="cannot read"):
        ingest(b"", "--file", str(tmp_path / "missing.eml"))
    path = tmp_path / "m.eml"
    path.write_bytes(eml("utf8_qp.eml"))
    assert ingest(b"", "--contract", "TAX-2026", "--file", str(path)) == Incident.objects.get().number


@pytest.mark.django_db
def test_poll_reports_each_mailbox(mailbox):
    mailbox.imap_port = 1  # nothing listens there
    mailbox.save()
    out = io.StringIO()
    call_command("mail", "poll", stdout=out)
    assert out.getvalue().startswith("helpdesk@opsdesk.example: 0 read (nothing new); error: connect to 127.0.0.1:1")
    mailbox.refresh_from_db()
    assert mailbox.last_error.startswith("connect to 127.0.0.1:1")


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgresql://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_opsdesk_mail_ingest_as_a_process(mail_world):
    """The MTA pipe: `opsdesk mail ingest --contract CODE < message.eml` against the test database."""
    script = Path(sys.executable).parent / "opsdesk"
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_VERSION" and not k.startswith("PYTEST_")}
    env.update(OPSDESK_DATABASE_URL=_database_url(), OPSDESK_HUEY_IMMEDIATE="0")
    env.pop("OPSDESK_REDIS_URL", None)  # jobs go to a throw-away SQLite queue in the data directory
    done = subprocess.run([str(script), "mail", "ingest", "--contract", "TAX-2026"],  # noqa: S603
                          input=eml("big5_qp.eml"), capture_output=True, timeout=120, env=env, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    incident = Incident.objects.get()
    assert done.stdout.decode().strip() == incident.number
    assert (incident.title, incident.description) == ("印表機無法列印", "三樓印表機無法列印，請協助處理。\n謝謝")
    bad = subprocess.run([str(script), "mail", "ingest", "--contract", "NOPE"],  # noqa: S603
                         input=b"x", capture_output=True, timeout=120, env=env, check=False)
    assert bad.returncode == 2
    assert b"unknown contract" in bad.stderr


def test_mail_poll_is_a_periodic_job_every_minute():
    import datetime as dt

    from huey.contrib.djhuey import HUEY

    import opsdesk.config.schedule  # noqa: F401 - registers the periodic jobs

    for minute in (0, 17, 59):
        due = {task.name for task in HUEY.read_periodic(dt.datetime(2026, 11, 22, 3, minute))}
        assert "mail_poll_every_minute" in due

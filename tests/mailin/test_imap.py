"""The poller against a real Dovecot on loopback (TLS with a certificate the fixture made): tickets from new
mail, \\Seen flags, nothing twice on a re-poll, a malformed message in the middle quarantined while the rest
goes on, certificate verification, login failures recorded on the mailbox."""

from __future__ import annotations

import re
import uuid

import pytest

from opsdesk.incidents.models import Incident
from opsdesk.mailin import imap, tasks
from opsdesk.mailin.choices import Outcome, Security
from opsdesk.mailin.models import InboundMessage, Mailbox

from .conftest import comments, eml

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(dovecot):
    """A fresh IMAP account of its own for each test (so tests and xdist workers never share a mailbox)."""
    return f"u{uuid.uuid4().hex[:12]}", dovecot.password


@pytest.fixture
def imap_box(mail_world, dovecot, account, settings) -> Mailbox:
    settings.OPSDESK_MAIL_CA_FILE = dovecot.ca_file
    settings.OPSDESK_MAIL_TIMEOUT = 10
    username, password = account
    return Mailbox.objects.create(contract=mail_world.contract_a, name="报修", address=f"{username}@opsdesk.example",
                                  imap_host="127.0.0.1", imap_port=dovecot.ssl_port, security=Security.SSL,
                                  username=username, password=password)


def append(dovecot, account, *messages: bytes) -> None:
    conn = dovecot.client(*account)
    try:
        for raw in messages:
            status, _data = conn.append("INBOX", None, None, raw)
            assert status == "OK"
    finally:
        conn.logout()


def flags(dovecot, account) -> dict[int, str]:
    """UID → FLAGS of every message in the INBOX, read over IMAP."""
    conn = dovecot.client(*account)
    try:
        conn.select("INBOX", readonly=True)
        status, data = conn.uid("FETCH", "1:*", "(UID FLAGS)")
        assert status == "OK"
        out = {}
        for item in data:
            if isinstance(item, bytes) and (m := re.search(rb"UID (\d+) FLAGS \(([^)]*)\)", item)):
                out[int(m.group(1))] = m.group(2).decode()
        return out
    finally:
        conn.logout()


def test_poll_creates_tickets_marks_seen_and_never_twice(dovecot, account, imap_box, mail_world):
    append(dovecot, account, eml("gb2312_rongji.eml"), eml("malformed_no_from.eml"), eml("big5_qp.eml"),
           eml("x_autoreply.eml"))
    result = imap.mailbox_poll(imap_box)
    assert result.error == ""
    assert result.fetched == 4
    assert result.outcomes == {Outcome.CREATED: 2, Outcome.QUARANTINED: 1, Outcome.IGNORED: 1}
    titles = sorted(Incident.objects.values_list("title", "description"))
    assert titles == [("印表機無法列印", "三樓印表機無法列印，請協助處理。\n謝謝"),
                      ("打印机故障：朱镕基文集无法打印",
                       "您好：\n\n朱镕基文集打印时卡纸，请派人处理。\n\n张三\n办公室")]
    quarantined = InboundMessage.objects.get(outcome=Outcome.QUARANTINED)
    assert (quarantined.reason, quarantined.imap_uid) == ("malformed: no From header", 2)
    assert bytes(quarantined.raw) == eml("malformed_no_from.eml")
    assert all("\\Seen" in f for f in flags(dovecot, account).values())
    imap_box.refresh_from_db()
    assert imap_box.last_uid == 4 and imap_box.uid_validity and imap_box.last_polled_at and not imap_box.last_error
    # again: nothing new, nothing twice
    again = imap.mailbox_poll(imap_box)
    assert (again.fetched, again.error) == (0, "")
    assert Incident.objects.count() == 2 and InboundMessage.objects.count() == 4
    # a reply arrives: only it is read
    number = Incident.objects.get(title="印表機無法列印").number
    append(dovecot, account, eml("reply_zh_wrote.eml", number=number))
    third = imap.mailbox_poll(imap_box)
    assert (third.fetched, third.outcomes) == (1, {Outcome.APPENDED: 1})
    assert comments(Incident.objects.get(number=number)) == ["好的，明天上午在办公室。"]
    assert flags(dovecot, account)[5] == "\\Seen"


def test_poll_forgets_the_uid_position_but_not_the_message_ids(dovecot, account, imap_box):
    """Even when the UID position is lost (a restored database), Message-IDs keep tickets from doubling."""
    append(dovecot, account, eml("utf8_qp.eml"), eml("utf8_qp.eml"))  # the same message twice in the folder
    first = imap.mailbox_poll(imap_box)
    assert first.outcomes == {Outcome.CREATED: 1, Outcome.DUPLICATE: 1}
    Mailbox.objects.filter(pk=imap_box.pk).update(last_uid=0)
    imap_box.refresh_from_db()
    second = imap.mailbox_poll(imap_box)
    assert second.outcomes == {Outcome.DUPLICATE: 2}
    assert Incident.objects.count() == 1


def test_starttls(dovecot, account, imap_box):
    imap_box.security, imap_box.imap_port = Security.STARTTLS, dovecot.starttls_port
    imap_box.save()
    append(dovecot, account, eml("utf8_base64.eml"))
    result = imap.mailbox_poll(imap_box)
    assert (result.error, result.outcomes) == ("", {Outcome.CREATED: 1})
    assert imap.mailbox_test(imap_box) == (True, "1")


def test_certificate_is_verified(dovecot, account, imap_box, settings):
    settings.OPSDESK_MAIL_CA_FILE = ""  # the self-signed certificate is not trusted by the system CAs
    append(dovecot, account, eml("utf8_base64.eml"))
    result = imap.mailbox_poll(imap_box)
    assert "CERTIFICATE_VERIFY_FAILED" in result.error
    imap_box.refresh_from_db()
    assert "CERTIFICATE_VERIFY_FAILED" in imap_box.last_error and imap_box.last_error_at
    assert Incident.objects.count() == 0
    ok, detail = imap.mailbox_test(imap_box)
    assert not ok and "CERTIFICATE_VERIFY_FAILED" in detail


def test_wrong_password_is_recorded_and_cleared_after_a_good_poll(dovecot, account, imap_box):
    good = imap_box.password
    imap_box.password = "wrong"
    imap_box.save()
    result = imap.mailbox_poll(imap_box)
    assert "AUTHENTICATIONFAILED" in result.error or "Authentication failed" in result.error
    imap_box.refresh_from_db()
    assert imap_box.last_error
    imap_box.password = good
    imap_box.save()
    assert imap.mailbox_poll(imap_box).error == ""
    imap_box.refresh_from_db()
    assert imap_box.last_error == "" and imap_box.last_error_at is None


def test_periodic_job_polls_every_enabled_mailbox(dovecot, account, imap_box, mail_world):
    disabled = Mailbox.objects.create(contract=mail_world.contract_a, name="停用", address="off@opsdesk.example",
                                      imap_host="127.0.0.1", imap_port=1, username="x", enabled=False)
    append(dovecot, account, eml("gbk_base64.eml"))
    assert tasks.poll_mailboxes() == 1
    assert Incident.objects.get().title == "堃镕喆：系统登录失败"
    disabled.refresh_from_db()
    assert disabled.last_polled_at is None


def test_a_new_uidvalidity_rereads_the_folder_without_doubling(dovecot, account, imap_box):
    append(dovecot, account, eml("utf8_qp.eml"))
    assert imap.mailbox_poll(imap_box).outcomes == {Outcome.CREATED: 1}
    imap_box.refresh_from_db()
    Mailbox.objects.filter(pk=imap_box.pk).update(uid_validity=imap_box.uid_validity + 1)  # as if recreated
    imap_box.refresh_from_db()
    again = imap.mailbox_poll(imap_box)
    assert again.outcomes == {Outcome.DUPLICATE: 1}
    imap_box.refresh_from_db()
    assert imap_box.last_uid == 1
    assert Incident.objects.count() == 1

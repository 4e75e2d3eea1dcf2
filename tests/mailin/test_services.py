"""Unknown senders (create a requester / reject with a reply over real SMTP), retry and discard of quarantined
messages, the mailbox services, and the fuzzing promise: no bytes make mail_ingest raise."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from opsdesk.accounts.models import User
from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.incidents.models import Incident
from opsdesk.mailin import services
from opsdesk.mailin.choices import Outcome, UnknownSenderPolicy
from opsdesk.mailin.models import InboundMessage, Mailbox
from opsdesk.mailin.services import mail_ingest

from .conftest import CORPUS, comments, eml

pytestmark = pytest.mark.django_db

STRANGER = b"stranger@else.example"


def test_reject_policy_answers_once_over_smtp_and_creates_nobody(mailbox, smtp, django_capture_on_commit_callbacks):
    mailbox.unknown_sender_policy = UnknownSenderPolicy.REJECT
    mailbox.save()
    raw = eml("utf8_qp.eml").replace(b"zhangsan@tax.example.cn", STRANGER)
    users = User.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        result = mail_ingest(raw, mailbox=mailbox)
    assert (result.outcome, result.reason) == (Outcome.REJECTED, "unknown sender stranger@else.example")
    assert result.line == "rejected: unknown sender stranger@else.example"
    assert User.objects.count() == users and Incident.objects.count() == 0
    assert len(smtp.received) == 1  # the SMTP backend is synchronous: delivered before send() returned
    reply = smtp.received[0].message
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["To"] == "stranger@else.example"
    assert reply["From"] == "helpdesk@opsdesk.example"
    assert reply["In-Reply-To"] == "<utf8-qp@tax.example.cn>"
    assert "邮件系统收不到外部邮件" in str(reply["Subject"])
    # the same message again is a duplicate: no second reply
    with django_capture_on_commit_callbacks(execute=True):
        assert mail_ingest(raw, mailbox=mailbox).outcome == Outcome.DUPLICATE
    assert len(smtp.received) == 1


def test_reject_policy_never_answers_an_auto_reply(mailbox, smtp, django_capture_on_commit_callbacks):
    mailbox.unknown_sender_policy = UnknownSenderPolicy.REJECT
    mailbox.save()
    raw = eml("x_autoreply.eml").replace(b"zhangsan@tax.example.cn", STRANGER)
    with django_capture_on_commit_callbacks(execute=True):
        assert mail_ingest(raw, mailbox=mailbox).outcome == Outcome.IGNORED
    assert smtp.received == []


def test_create_requester_policy(mailbox, mail_world):
    raw = eml("utf8_qp.eml").replace(b"zhangsan@tax.example.cn", STRANGER)
    result = mail_ingest(raw, mailbox=mailbox)
    assert result.outcome == Outcome.CREATED
    person = User.objects.get(email="stranger@else.example")
    assert person.username == "stranger@else.example"
    assert person.organisation_id == mail_world.org_a.pk
    assert Incident.objects.get(number=result.incident_number).requester_id == person.pk


def test_contract_without_mailbox_uses_the_setting(mail_world, settings):
    settings.OPSDESK_MAIL_UNKNOWN_SENDER = "reject"
    raw = eml("utf8_qp.eml").replace(b"zhangsan@tax.example.cn", STRANGER)
    assert mail_ingest(raw, contract=mail_world.contract_a).outcome == Outcome.REJECTED


def test_retry_after_the_sender_was_registered(mailbox, mail_world):
    mailbox.unknown_sender_policy = UnknownSenderPolicy.REJECT
    mailbox.save()
    raw = eml("gb2312_rongji.eml").replace(b"zhangsan@tax.example.cn", STRANGER)
    record = mail_ingest(raw, mailbox=mailbox).message
    assert record.outcome == Outcome.REJECTED
    # not for someone who does not manage the contract's mail
    with pytest.raises(NotFound):
        services.inbound_retry(message=record, by=mail_world.engineer)
    mail_world.requester_a2.email = "Stranger@Else.Example"
    mail_world.requester_a2.save()
    result = services.inbound_retry(message=record, by=mail_world.agent)
    assert result.outcome == Outcome.CREATED
    incident = Incident.objects.get(number=result.incident_number)
    assert (incident.title, incident.requester_id) == ("打印机故障：朱镕基文集无法打印", mail_world.requester_a2.pk)
    record.refresh_from_db()
    assert (record.outcome, record.incident_id, record.handled_by_id) == (Outcome.CREATED, incident.pk,
                                                                          mail_world.agent.pk)
    with pytest.raises(ValidationError):
        services.inbound_retry(message=record, by=mail_world.agent)


def test_retry_as_a_chosen_person(mailbox, mail_world):
    incident = mail_world.incident()
    raw = eml("reply_zh_wrote.eml", number=incident.number).replace(b"zhangsan@tax.example.cn", STRANGER)
    record = mail_ingest(raw, mailbox=mailbox).message
    assert record.outcome == Outcome.QUARANTINED
    with pytest.raises(ValidationError) as exc:
        services.inbound_retry(message=record, by=mail_world.pm, as_user=mail_world.requester_b)
    assert "as_user" in exc.value.fields
    result = services.inbound_retry(message=record, by=mail_world.pm, as_user=mail_world.requester_a)
    assert result.outcome == Outcome.APPENDED
    assert comments(incident) == ["好的，明天上午在办公室。"]


def test_discard_needs_a_reason_and_keeps_the_message(mailbox, mail_world):
    record = mail_ingest(eml("malformed_no_from.eml"), mailbox=mailbox).message
    with pytest.raises(ValidationError) as exc:
        services.inbound_discard(message=record, by=mail_world.agent, reason="  ")
    assert "reason" in exc.value.fields
    services.inbound_discard(message=record, by=mail_world.agent, reason="垃圾邮件")
    record = InboundMessage.objects.get(pk=record.pk)
    assert (record.outcome, record.reason) == (Outcome.DISCARDED, "垃圾邮件")
    assert bytes(record.raw) == eml("malformed_no_from.eml")
    with pytest.raises(ValidationError):
        services.inbound_discard(message=record, by=mail_world.agent, reason="again")


MAILBOX = {"name": "报修邮箱", "address": "Repair@Tax.Example.cn", "imap_host": "imap.tax.example.cn",
           "imap_port": "993", "security": "ssl", "username": "repair", "password": "pw", "folder": "",
           "unknown_sender_policy": "reject", "enabled": True}


def test_mailbox_create_validates_every_field_at_once(mail_world):
    with pytest.raises(ValidationError) as exc:
        services.mailbox_create(by=mail_world.agent, contract=mail_world.contract_a,
                                data={"address": "nope", "imap_port": "99999", "security": "tls"})
    assert set(exc.value.fields) >= {"name", "address", "imap_host", "imap_port", "security", "username",
                                     "unknown_sender_policy"}
    assert Mailbox.objects.count() == 0
    box = services.mailbox_create(by=mail_world.agent, contract=mail_world.contract_a, data=MAILBOX)
    assert (box.address, box.folder, box.password, box.imap_port) == ("repair@tax.example.cn", "INBOX", "pw", 993)
    with pytest.raises(ValidationError) as exc:
        services.mailbox_create(by=mail_world.pm, contract=mail_world.contract_a, data=MAILBOX)
    assert "address" in exc.value.fields
    with pytest.raises(NotFound):  # an engineer does not manage mail; agent_b not this contract
        services.mailbox_create(by=mail_world.engineer, contract=mail_world.contract_a, data=MAILBOX)


def test_mailbox_update_keeps_the_password_and_restarts_on_a_new_folder(mail_world):
    box = services.mailbox_create(by=mail_world.agent, contract=mail_world.contract_a, data=MAILBOX)
    Mailbox.objects.filter(pk=box.pk).update(last_uid=41, uid_validity=7)
    box.refresh_from_db()
    services.mailbox_update(by=mail_world.agent, mailbox=box, data={**MAILBOX, "password": "", "name": "新名字"})
    box.refresh_from_db()
    assert (box.name, box.password, box.last_uid) == ("新名字", "pw", 41)
    services.mailbox_update(by=mail_world.agent, mailbox=box, data={**MAILBOX, "folder": "Support"})
    box.refresh_from_db()
    assert (box.folder, box.last_uid, box.uid_validity) == ("Support", 0, None)
    with pytest.raises(NotFound):
        services.mailbox_update(by=mail_world.agent_b, mailbox=box, data=MAILBOX)


# --- fuzzing: nothing raises out of mail_ingest -----------------------------------------------------------

CORPUS_BYTES = [p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))]


def _mutate(data: bytes, seed: int) -> bytes:
    rng = random.Random(seed)
    buf = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        op = rng.randrange(5)
        pos = rng.randrange(len(buf) + 1)
        if op == 0 and buf:
            buf[min(pos, len(buf) - 1)] = rng.randrange(256)
        elif op == 1:
            del buf[pos:pos + rng.randint(1, 40)]
        elif op == 2:
            buf[pos:pos] = rng.choice([b"=?gb2312?B?", b"?=", b"\r\n", b"\r\n\r\n", b"=", b"\x00", b"\xff\xfe",
                                       b"Content-Type: multipart/mixed; boundary=x\r\n", b"--x\r\n", b"charset=",
                                       b"filename*0*=", b"%", b"<INC-20261122-0001@x>", b"From: <>\r\n"])
        elif op == 3:
            buf = buf[:pos]
        else:
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 20)))
    return bytes(buf)


def _assert_never_raises(raw: bytes, mailbox: Mailbox) -> None:
    result = mail_ingest(raw, mailbox=mailbox)
    assert result.outcome in Outcome.values
    assert result.message is not None and result.message.pk is not None
    assert not result.reason.startswith("internal error"), result.reason


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=3000))
def test_random_bytes_never_raise(mailbox, raw):
    _assert_never_raises(raw, mailbox)


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(min_value=0, max_value=len(CORPUS_BYTES) - 1), seed=st.integers(0, 2**32))
def test_mutated_corpus_messages_never_raise(mailbox, index, seed):
    _assert_never_raises(_mutate(CORPUS_BYTES[index], seed), mailbox)


@pytest.mark.django_db(transaction=True)
def test_two_pollers_ingesting_the_same_message_at_once_make_one_ticket(mail_world):
    """Two workers reading the same message at the same moment: the unique key lets exactly one through."""
    import threading

    from django.db import connection

    box = Mailbox.objects.create(contract=mail_world.contract_a, name="x", address="helpdesk@opsdesk.example",
                                 imap_host="127.0.0.1", username="x")
    raw = eml("gb2312_rongji.eml")
    barrier = threading.Barrier(4)
    results: list[str] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(mail_ingest(raw, mailbox=box).outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [Outcome.CREATED] + [Outcome.DUPLICATE] * 3
    assert Incident.objects.count() == 1
    assert InboundMessage.objects.count() == 1

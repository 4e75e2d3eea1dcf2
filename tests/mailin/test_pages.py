"""The e-mail intake pages: who sees them, the log with filters and pagination (query budget), details, raw
download, retry and discard, the mailbox forms and the connection test."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.incidents.models import Incident
from opsdesk.mailin.choices import Outcome
from opsdesk.mailin.models import InboundMessage, Mailbox
from opsdesk.mailin.services import mail_ingest

from .conftest import eml

pytestmark = pytest.mark.django_db

LIST_BUDGET = 6  # session, user, grants, contracts (filter), rows (contract, incident, mailbox joined), count


def _fill(mailbox, n: int, start: int = 0) -> None:
    base = eml("utf8_qp.eml")
    for i in range(start, start + n):
        raw = base.replace(b"<utf8-qp@", f"<utf8-qp-{i}@".encode())
        if i % 3 == 0:
            raw = raw.replace(b"From:", b"X-From:")  # quarantined: no From
        mail_ingest(raw, mailbox=mailbox)


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/mail/", "/mail/?outcome=quarantined", "/mail/?q=zhangsan&contract=TAX-2026"])
def test_message_log_query_count_does_not_grow(mailbox, mail_world, login, url, django_assert_max_num_queries):
    agent = login(mail_world.agent)
    _fill(mailbox, 4)
    agent.get(url)
    few = _count(agent, url)
    _fill(mailbox, 30, start=4)
    many = _count(agent, url)
    assert few == many, (few, many)
    with django_assert_max_num_queries(LIST_BUDGET):
        agent.get(url)


def test_message_log_lists_filters_and_pages(mailbox, mail_world, login):
    _fill(mailbox, 60)
    agent = login(mail_world.agent)
    page = agent.get("/mail/").content.decode()
    assert page.count('data-message="') == 50
    assert 'rel="next"' in page
    quarantine = agent.get("/mail/?outcome=quarantined").content.decode()
    assert quarantine.count('data-outcome="quarantined"') == 20
    assert 'data-outcome="created"' not in quarantine
    assert agent.get("/mail/?outcome=bogus").status_code == 422


def test_only_mail_managers_of_the_contract_see_the_pages(mailbox, mail_world, login):
    record = mail_ingest(eml("utf8_qp.eml"), mailbox=mailbox).message
    for user in (mail_world.agent, mail_world.pm):
        assert login(user).get(f"/mail/messages/{record.pk}/").status_code == 200
    assert login(mail_world.engineer).get("/mail/").status_code == 404
    assert login(mail_world.agent_b).get(f"/mail/messages/{record.pk}/").status_code == 404
    assert login(mail_world.agent_b).get(f"/mail/mailboxes/{mailbox.pk}/").status_code == 404
    assert login(mail_world.requester_a).get("/mail/").status_code == 302  # client people go to the portal
    assert "data-message" not in login(mail_world.agent_b).get("/mail/").content.decode()


def test_detail_shows_the_decoded_text_and_raw_download(mailbox, mail_world, login):
    record = mail_ingest(eml("gb2312_rongji.eml"), mailbox=mailbox).message
    agent = login(mail_world.agent)
    page = agent.get(f"/mail/messages/{record.pk}/").content.decode()
    assert "朱镕基文集打印时卡纸，请派人处理。" in page
    assert Incident.objects.get().number in page
    raw = agent.get(f"/mail/messages/{record.pk}/raw/")
    assert raw["Content-Type"] == "message/rfc822"
    assert b"".join(raw.streaming_content if raw.streaming else [raw.content]) == eml("gb2312_rongji.eml")


def test_retry_as_a_person_and_discard_from_the_page(mailbox, mail_world, login):
    incident = mail_world.incident()
    raw = eml("reply_zh_wrote.eml", number=incident.number).replace(b"zhangsan@tax.example.cn",
                                                                   b"stranger@else.example")
    record = mail_ingest(raw, mailbox=mailbox).message
    agent = login(mail_world.agent)
    page = agent.get(f"/mail/messages/{record.pk}/").content.decode()
    assert "message-retry" in page and "req_a" in page
    response = agent.post(f"/mail/messages/{record.pk}/retry/", {"as_user": "req_b"})  # not on this contract
    assert response.status_code == 422
    response = agent.post(f"/mail/messages/{record.pk}/retry/", {"as_user": "req_a"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.outcome, record.incident_id) == (Outcome.APPENDED, incident.pk)
    other = mail_ingest(eml("malformed_no_from.eml"), mailbox=mailbox).message
    assert agent.post(f"/mail/messages/{other.pk}/discard/", {"reason": ""}).status_code == 422
    assert agent.post(f"/mail/messages/{other.pk}/discard/", {"reason": "垃圾"}).status_code == 302
    assert InboundMessage.objects.get(pk=other.pk).outcome == Outcome.DISCARDED
    assert login(mail_world.agent_b).post(f"/mail/messages/{other.pk}/discard/",
                                          {"reason": "x"}).status_code == 404


PASSWORD = "mailbox-secret-7Q"  # distinctive: a short one turns up inside random CSRF tokens


def test_mailbox_create_edit_and_test_connection(mail_world, login):
    pm = login(mail_world.pm)
    form = {"contract": "TAX-2026", "name": "报修", "address": "repair@tax.example.cn", "imap_host": "127.0.0.1",
            "imap_port": "1", "security": "ssl", "username": "repair", "password": PASSWORD, "folder": "INBOX",
            "unknown_sender_policy": "reject", "enabled": "on"}
    bad = pm.post("/mail/mailboxes/new/", {**form, "address": "not-an-address", "imap_port": "0"})
    assert bad.status_code == 422
    assert Mailbox.objects.count() == 0
    assert pm.post("/mail/mailboxes/new/", {**form, "contract": "HRSS-2026"}).status_code == 422  # not pm there
    assert pm.post("/mail/mailboxes/new/", form).status_code == 302
    box = Mailbox.objects.get()
    assert (box.contract_id, box.password, box.unknown_sender_policy) == (mail_world.contract_a.pk, PASSWORD, "reject")
    edit = pm.get(f"/mail/mailboxes/{box.pk}/").content.decode()
    assert PASSWORD not in edit  # the password is never sent back to the browser
    assert pm.post(f"/mail/mailboxes/{box.pk}/", {**form, "name": "改名", "password": ""}).status_code == 302
    box.refresh_from_db()
    assert (box.name, box.password) == ("改名", PASSWORD)
    response = pm.post(f"/mail/mailboxes/{box.pk}/test/", follow=True)
    assert "127.0.0.1:1" in response.content.decode()  # the connection error, shown as a message
    listing = pm.get("/mail/mailboxes/").content.decode()
    assert "repair@tax.example.cn" in listing


def test_nav_link_only_for_those_who_may_open_the_pages(mail_world, login):
    assert 'href="/mail/"' in login(mail_world.agent).get("/incidents/").content.decode()
    assert 'href="/mail/"' not in login(mail_world.engineer).get("/incidents/").content.decode()

"""Outgoing e-mail against a real SMTP server on loopback (aiosmtpd): threading headers, languages,
preferences, header injection, retries with backoff, exactly once however often a job runs."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from opsdesk.core.models import Activity
from opsdesk.incidents.services import incident_act
from opsdesk.notifications import delivery as outbound
from opsdesk.notifications import services
from opsdesk.notifications.models import Delivery, DeliveryAttempt, Notification
from opsdesk.notifications.services import notification_preferences_save

MID = re.compile(r"^<(INC-\d{8}-\d{4,})\.n(\d+)@itsm\.example\.cn>$")


def _assign(world, live, *, to="engineer", **incident):
    inc = world.incident(**incident)
    incident_act(incident=inc, action="accept", by=world.agent)
    with live():
        incident_act(incident=inc, action="assign", by=world.agent, data={"assignee": to})
    return inc


def _with_address(*users, language=None):
    for u in users:
        u.email = f"{u.username}@example.cn"
        if language:
            u.language = language
        u.save()


def test_an_assignment_mails_the_assignee_threaded_on_the_ticket(world, live, smtp):
    _with_address(world.engineer)
    inc = _assign(world, live)
    assert len(smtp.received) == 1
    got = smtp.received[0]
    m = got.message
    assert got.rcpt_tos == ["engineer@example.cn"]
    assert m["Subject"] == f"[{inc.number}] {inc.title}"
    d = Delivery.objects.get(channel="email")
    assert MID.match(m["Message-ID"]).groups() == (inc.number, str(d.pk))
    assert m["In-Reply-To"] == m["References"] == f"<{inc.number}@itsm.example.cn>"
    assert m["Auto-Submitted"] == "auto-generated"
    text = m.get_body(("plain",)).get_content()
    html = m.get_body(("html",)).get_content()
    # zh-hans by default: the kind in Chinese, the link to the staff page
    assert "已分派给你" in text and "已分派给你" in html
    assert f"https://itsm.example.cn/incidents/{inc.number}/" in text
    assert (d.status, d.attempts, d.recipient_id) == ("sent", 1, world.engineer.pk)
    assert list(d.attempt_log.values_list("outcome", flat=True)) == ["sent"]


def test_the_recipients_language_chooses_the_template(world, live, smtp):
    _with_address(world.engineer, language="en")
    _with_address(world.engineer2)
    _assign(world, live, to="engineer")
    _assign(world, live, to="engineer2")
    bodies = {r.rcpt_tos[0]: r.message.get_body(("plain",)).get_content() for r in smtp.received}
    assert "Assigned to you" in bodies["engineer@example.cn"] and "已分派给你" not in bodies["engineer@example.cn"]
    assert "Hello 李工程师" in bodies["engineer@example.cn"]
    assert "已分派给你" in bodies["engineer2@example.cn"]


def test_a_title_with_line_breaks_injects_no_header(world, live, smtp):
    _with_address(world.engineer)
    inc = _assign(world, live, title="打印机坏了\r\nBcc: evil@example.com")
    assert len(smtp.received) == 1
    got = smtp.received[0]
    assert got.rcpt_tos == ["engineer@example.cn"]
    assert got.message["Bcc"] is None
    assert b"\nBcc:" not in got.raw and b"evil@example.com\r\n" not in got.raw.split(b"\r\n\r\n")[0]
    # (a long subject is folded onto the next line: the parsed value starts with the folding space)
    assert got.message["Subject"].strip() == f"[{inc.number}] 打印机坏了 Bcc: evil@example.com"
    assert Delivery.objects.get(channel="email").status == "sent"


def test_preferences_choose_who_gets_mail(world, live, smtp):
    _with_address(world.engineer, world.engineer2)
    notification_preferences_save(user=world.engineer2, email={"assigned": False})
    _assign(world, live, to="engineer")
    _assign(world, live, to="engineer2")
    _assign(world, live, to="dba")  # no address: in-app only
    assert [r.rcpt_tos for r in smtp.received] == [["engineer@example.cn"]]
    assert set(Delivery.objects.values_list("recipient__username", flat=True)) == {"engineer"}
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"engineer", "engineer2",
                                                                                      "dba"}


def test_a_refused_mail_is_retried_with_backoff_and_logged(world, live, smtp):
    _with_address(world.engineer)
    smtp.handler.refuse = 2
    t0 = timezone.now()
    _assign(world, live)
    d = Delivery.objects.get()
    assert (d.status, d.attempts) == ("pending", 1)
    assert dt.timedelta(seconds=55) <= d.next_attempt_at - t0 <= dt.timedelta(seconds=70)  # 1 minute
    assert "451" in d.last_error
    assert outbound.email_delivery_send(delivery_id=d.pk) is None  # not due yet: nothing sent
    second = d.next_attempt_at + dt.timedelta(seconds=1)
    assert outbound.email_delivery_send(delivery_id=d.pk, now=second) is False
    d.refresh_from_db()
    assert d.next_attempt_at - second == dt.timedelta(minutes=2)  # then 2 minutes
    assert outbound.email_delivery_send(delivery_id=d.pk, now=d.next_attempt_at) is True
    d.refresh_from_db()
    assert (d.status, d.attempts, len(smtp.received)) == ("sent", 3, 1)
    assert list(DeliveryAttempt.objects.filter(delivery=d).values_list("outcome", flat=True)) == \
        ["retry", "retry", "sent"]


def test_retried_jobs_deliver_once(world, live, smtp):
    _with_address(world.engineer)
    inc = _assign(world, live)
    entries = list(Activity.objects.filter(object_id=inc.pk))
    for _ in range(3):  # the deriving job retried, the catch-up run, the sending job run again
        services.notifications_deliver(activities=entries)
        services.notifications_catch_up()
        for d in Delivery.objects.all():
            outbound.email_delivery_send(delivery_id=d.pk)
    assert Delivery.objects.count() == 1
    assert len(smtp.received) == 1 and list(smtp.handler.by_message_id().values()) == [1]


def test_an_unreachable_server_fails_the_attempt_not_the_job(world, live, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    from ..servers import free_port

    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    _with_address(world.engineer)
    _assign(world, live)
    d = Delivery.objects.get()
    assert d.status == "pending" and "ConnectionRefusedError" in d.last_error

"""A worker killed in the middle of sending a mail: after a new worker starts, every notification reached the
SMTP server exactly once, and the log shows the interrupted attempt. Real `opsdesk worker` processes (Huey
consumers on the configured queue: Redis with OPSDESK_REDIS_URL, else SQLite storage) on the test's database
(SQLite file or PostgreSQL), a real SMTP server on loopback that holds one message in DATA."""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from opsdesk.incidents.services import incident_act
from opsdesk.notifications.models import Delivery
from opsdesk.notifications.tasks import send_due_deliveries_now

from ..servers import WAIT, SmtpServer, process_env, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
OPSDESK = str(Path(sys.executable).parent / "opsdesk")
LEASE_SECONDS = 8  # above the workers' SMTP timeout (5 s), as in production (see settings)


@pytest.fixture
def private_queue(tmp_path):
    """This test's own queue on the configured storage (a queue name of its own on Redis, else the SQLite
    storage file of the workers' data directory). Yields the workers' environment additions."""
    saved = (HUEY.name, HUEY.storage)
    HUEY.immediate = False
    data = tmp_path / "data"
    data.mkdir()
    env: dict[str, str] = {}
    if settings.REDIS_URL:
        HUEY.name = env["OPSDESK_HUEY_NAME"] = f"outbound-test-{uuid.uuid4().hex[:8]}"
        HUEY.storage = HUEY.create_storage()
    else:
        HUEY.storage = HUEY.get_storage(**{**HUEY.storage_kwargs, "filename": str(data / "huey.sqlite3")})
    yield data, env
    HUEY.flush()
    HUEY.name, HUEY.storage = saved
    HUEY.immediate = True


class Worker:
    """An `opsdesk worker` process. One thread: when the held mail blocks it, no other mail is in flight, so the
    kill lands exactly inside the held conversation. (A mail the server accepted in the instant before a
    kill, not yet recorded as sent, would be sent again after the lease, with the same Message-ID: SMTP has
    no way to ask whether a message arrived. That window is not what this test is about.)"""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log.open("w")
        self.proc = subprocess.Popen([OPSDESK, "worker", "--workers", "1"], env=env,  # noqa: S603
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=WAIT)
        self.log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.log.closed:
            self.log.close()


def test_a_worker_killed_mid_delivery_loses_and_repeats_nothing(world, private_queue, tmp_path):
    data, queue_env = private_queue
    for u in (world.engineer, world.engineer2, world.second_line):
        u.email = f"{u.username}@example.cn"
        u.save()
    titles = ["通知甲", "通知乙", "阻塞的通知", "通知丙", "通知丁"]
    incidents = []
    for title in titles:
        inc = world.incident(title=title)
        incident_act(incident=inc, action="accept", by=world.agent)
        incidents.append(inc)
    workers: list[Worker] = []
    with SmtpServer() as smtp:
        smtp.handler.block_subject = "阻塞"
        env = {**process_env(data), **queue_env, "OPSDESK_SMTP_HOST": "127.0.0.1",
               "OPSDESK_SMTP_PORT": str(smtp.port), "OPSDESK_SMTP_TIMEOUT": "5",
               "OPSDESK_MAIL_DOMAIN": "itsm.example.cn", "OPSDESK_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS)}
        try:
            for inc, to in zip(incidents, ["engineer", "engineer2", "engineer", "dba", "engineer2"], strict=True):
                incident_act(incident=inc, action="assign", by=world.agent, data={"assignee": to})  # commits
            assert HUEY.pending_count() >= len(incidents)  # the delivery jobs wait in the queue
            workers.append(Worker(env, tmp_path / "worker-1.log"))
            assert smtp.handler.blocked.wait(WAIT), "the worker never reached the held message"
            workers[0].kill()  # SIGKILL while the SMTP conversation is held in DATA
            assert workers[0].proc.returncode == -signal.SIGKILL
            held = Delivery.objects.get(ticket_number=incidents[2].number)
            assert held.status == "sending"  # claimed by the dead worker
            smtp.handler.release.set()  # the server answers the dead connection with a refusal
            workers.append(Worker(env, tmp_path / "worker-2.log"))
            wait_for(lambda: timezone.now() > Delivery.objects.get(pk=held.pk).lease_until,
                     timeout=LEASE_SECONDS + WAIT, what="the dead worker's lease to expire")
            send_due_deliveries_now()  # what the periodic job does every two minutes
            wait_for(lambda: Delivery.objects.count() == len(titles)
                     and not Delivery.objects.exclude(status="sent").exists(),
                     what="every delivery to be sent")
        finally:
            for w in workers:
                w.stop()
        counts = smtp.handler.by_message_id()
    deliveries = list(Delivery.objects.order_by("id"))
    expected = {f"<{d.ticket_number}.n{d.pk}@itsm.example.cn>" for d in deliveries}
    assert counts == dict.fromkeys(expected, 1), counts  # each exactly once
    held.refresh_from_db()
    log = list(held.attempt_log.values_list("outcome", "error"))
    assert [o for o, _e in log] == ["interrupted", "sent"]
    assert "lease expired" in log[0][1]
    assert held.attempts == 2


def test_two_senders_at_once_send_one_mail(world):
    """Two workers picking up the same delivery at the same moment: the conditional claim lets one send."""
    import threading

    from opsdesk.notifications import delivery as outbound

    world.engineer.email = "engineer@example.cn"
    world.engineer.save()
    with SmtpServer() as smtp:
        from django.test import override_settings

        with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                               EMAIL_PORT=smtp.port, OPSDESK_MAIL_DOMAIN="itsm.example.cn"):
            smtp.handler.refuse = 1  # the first try fails, so a due pending delivery is left for the race
            inc = world.incident()
            incident_act(incident=inc, action="accept", by=world.agent)
            incident_act(incident=inc, action="assign", by=world.agent, data={"assignee": "engineer"})
            d = Delivery.objects.get()
            assert d.status == "pending"
            barrier = threading.Barrier(4)
            results: list[object] = []

            def send() -> None:
                try:
                    barrier.wait(timeout=WAIT)
                    results.append(outbound.email_delivery_send(delivery_id=d.pk, now=d.next_attempt_at))
                except Exception as exc:  # reported by the assertion below
                    results.append(exc)
                finally:
                    connection.close()

            threads = [threading.Thread(target=send) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=WAIT)
    assert sorted(results, key=str) == [None, None, None, True], results
    assert len(smtp.received) == 1
    d.refresh_from_db()
    assert (d.status, d.attempts) == ("sent", 2)

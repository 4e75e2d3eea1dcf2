"""EVERY periodic job of OpsDesk, in one place. Times are Asia/Shanghai (the Huey consumer's local time
is UTC on servers, so crontabs here are written in UTC with the local time beside them)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from opsdesk.core import services as core_services
from opsdesk.mailin import tasks as mailin_tasks
from opsdesk.notifications import tasks as notification_tasks
from opsdesk.search import tasks as search_tasks
from opsdesk.sla import sweep as sla_sweep

# 03:17 Asia/Shanghai = 19:17 UTC: forget Idempotency-Key replays older than 48 h.
purge_idempotency_keys_daily = db_periodic_task(crontab(minute="17", hour="19"), name="purge_idempotency_keys_daily")(
    core_services.idempotency_keys_purge)

# Every minute: SLA warnings (75 %, 90 %), breaches and automatic escalations that have come due. Safe on any
# number of workers at once (sla/sweep.py); a run not started within 50 s is dropped, the next one follows.
sla_sweep_every_minute = db_periodic_task(crontab(minute="*"), name="sla_sweep_every_minute", expires=50)(
    sla_sweep.sweep_now)

# Every 5 minutes: notifications of the last hour's timeline entries that are still missing (an event whose
# in-process signal was lost when a process died after its commit). Idempotent: delivered ones are skipped.
notifications_catch_up_every_5_minutes = db_periodic_task(crontab(minute="*/5"), name="notifications_catch_up",
                                                          expires=240)(notification_tasks.catch_up_notifications)

# Every 2 minutes: outgoing notifications (e-mail, group robots) due for a retry after backoff, and deliveries
# whose worker died mid-send (lease expired) reclaimed. A safety net: sending starts right after commit and a
# robot waiting for its quota is rescheduled by its own job. Claims are conditional updates, so any number of
# workers may run it at once.
notifications_send_due_every_2_minutes = db_periodic_task(crontab(minute="*/2"), name="notifications_send_due",
                                                          expires=100)(notification_tasks.send_due_deliveries)

# Every minute: read every enabled IMAP mailbox once (mailin/imap.py). A mailbox being polled by another worker
# is skipped (a lock per mailbox); a run not started within 50 s is dropped, the next one follows.
mail_poll_every_minute = db_periodic_task(crontab(minute="*"), name="mail_poll_every_minute", expires=50)(
    mailin_tasks.poll_mailboxes)

# Every minute: search-index rows still queued (database triggers queue every write of an indexed table in the
# writer's transaction; a job indexes them right after commit, shared by a burst of writes (search/events.py),
# and every search takes a small batch first).
search_catch_up_every_minute = db_periodic_task(crontab(minute="*"), name="search_catch_up_every_minute",
                                                expires=50)(search_tasks.catch_up_index)

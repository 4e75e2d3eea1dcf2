"""EVERY periodic job of OpsDesk, in one place. Times are Asia/Shanghai (the Huey consumer's local time
is UTC on servers, so crontabs here are written in UTC with the local time beside them)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from opsdesk.core import services as core_services
from opsdesk.notifications import tasks as notification_tasks
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

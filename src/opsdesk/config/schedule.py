"""EVERY periodic job of OpsDesk, in one place. Times are Asia/Shanghai (the Huey consumer's local time
is UTC on servers, so crontabs here are written in UTC with the local time beside them)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from opsdesk.core import services as core_services
from opsdesk.sla import sweep as sla_sweep

# 03:17 Asia/Shanghai = 19:17 UTC: forget Idempotency-Key replays older than 48 h.
purge_idempotency_keys_daily = db_periodic_task(crontab(minute="17", hour="19"), name="purge_idempotency_keys_daily")(
    core_services.idempotency_keys_purge)

# Every minute: SLA warnings (75 %, 90 %), breaches and automatic escalations that have come due. Safe on any
# number of workers at once (sla/sweep.py); a run not started within 50 s is dropped, the next one follows.
sla_sweep_every_minute = db_periodic_task(crontab(minute="*"), name="sla_sweep_every_minute", expires=50)(
    sla_sweep.sweep_now)

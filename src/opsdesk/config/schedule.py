"""EVERY periodic job of OpsDesk, in one place. Times are Asia/Shanghai (the Huey consumer's local time
is UTC on servers, so crontabs here are written in UTC with the local time beside them)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from opsdesk.core import services as core_services

# 03:17 Asia/Shanghai = 19:17 UTC: forget Idempotency-Key replays older than 48 h.
purge_idempotency_keys_daily = db_periodic_task(crontab(minute="17", hour="19"), name="purge_idempotency_keys_daily")(
    core_services.idempotency_keys_purge)

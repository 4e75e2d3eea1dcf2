"""Thin background jobs of core; safe to run twice. Periodic ones are scheduled in config/schedule.py."""

from huey.contrib.djhuey import db_task

from . import services


@db_task()
def purge_idempotency_keys() -> int:
    return services.idempotency_keys_purge()

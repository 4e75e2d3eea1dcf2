"""Thin background jobs of the notifications app; each safe to run twice (the unique key skips what exists)."""

from __future__ import annotations

from django.core.cache import cache
from huey.contrib.djhuey import db_task

from . import delivery, services

# A failing run (database restarting, lock timeout) is retried; a retry creates nothing twice.
RETRIES, RETRY_DELAY = 5, 30


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY)
def deliver_notifications(activity_ids: list[int]) -> int:
    """Deliver the notifications of these timeline entries (an SLA event's entry)."""
    return services.notifications_deliver_for_activities(activity_ids=activity_ids)


# A sweep records its SLA events in batches (hundreds at once after an outage): they are delivered by one job
# per burst, started this many seconds after the burst's first event, not one job per event.
SLA_BURST_SECONDS = 5
SLA_BURST_KEY = "notifications:sla-burst"


def queue_sla_delivery(activity_id: int) -> None:
    """Schedule the delivery of a burst of SLA events beginning at this timeline entry, unless one is already
    scheduled (per process, or everywhere with Redis as the cache; a second job would find nothing to do).
    An entry of the burst older than its first one is left to the catch-up."""
    if cache.add(SLA_BURST_KEY, activity_id, timeout=SLA_BURST_SECONDS):
        deliver_sla_notifications_from.schedule((activity_id,), delay=SLA_BURST_SECONDS)


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY)
def deliver_sla_notifications_from(first_activity_id: int) -> int:
    """Deliver the SLA warnings, breaches and escalations recorded from this timeline entry on."""
    return services.notifications_deliver_sla_from(first_activity_id=first_activity_id)


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY)
def deliver_record_notifications(content_type_id: int, object_id: int) -> int:
    """Deliver what a ticket's recent timeline entries call for (after it was created or acted on)."""
    return services.notifications_deliver_for_record(content_type_id=content_type_id, object_id=object_id)


def catch_up_notifications() -> int:
    """Periodic (config/schedule.py): re-derive the last hour's notifications, so an event whose in-process
    signal was lost (the process died after its commit) is still delivered."""
    return services.notifications_catch_up()


# --- outgoing channels ---------------------------------------------------------------------------------------

@db_task(retries=RETRIES, retry_delay=RETRY_DELAY)
def send_email_delivery(delivery_id: int) -> bool | None:
    """Send one e-mail delivery (claimed first: a second run, or a second worker, sends nothing)."""
    return delivery.email_delivery_send(delivery_id=delivery_id)


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY)
def send_robot_deliveries(robot_id: int) -> int:
    """Send what is due for one group robot as one message; when its per-minute quota is used up, run again
    once a slot frees; when more is due, run again at once (each run sends one message)."""
    run = delivery.robot_deliveries_send(robot_id=robot_id)
    if run.wait_until is not None:
        send_robot_deliveries.schedule((robot_id,), eta=run.wait_until)
    elif run.more:
        send_robot_deliveries(robot_id)
    return run.sent


def send_due_deliveries() -> int:
    """Periodic (config/schedule.py): reclaim deliveries whose worker died (lease expired), then start the
    sending jobs of every due delivery (retries after backoff, reclaimed ones, robots waiting for quota)."""
    reclaimed = delivery.deliveries_reclaim()
    emails, robots = delivery.deliveries_due()
    for pk in emails:
        send_email_delivery(pk)
    for robot_id in robots:
        send_robot_deliveries(robot_id)
    return reclaimed + len(emails) + len(robots)


@db_task()
def send_due_deliveries_now() -> int:
    """`send_due_deliveries` as a queued job (operators and tests start it on demand)."""
    return send_due_deliveries()

"""Receivers of the workflow and SLA signals: each queues a delivery job with ids only (never delivers on the
request path). The signals are sent after commit, so the job sees the timeline entry it derives from."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType

# Actions after which someone may be told (see services.py); others queue nothing.
NOTIFYING_ACTIONS = frozenset({"assign", "escalate", "dispatch", "resolve", "confirm"})  # SLA: on_sla_event
NOTIFYING_STATUSES = frozenset({"awaiting_confirmation", "resolved"})


def _incident_ct_id() -> int:
    from opsdesk.incidents.models import Incident

    return ContentType.objects.get_for_model(Incident).pk


def on_incident_created(sender: Any, incident_id: int | None = None, level: int | None = None,
                        **kwargs: Any) -> None:
    from opsdesk.incidents.models import Incident

    from .services import URGENT_LEVELS
    from .tasks import deliver_record_notifications

    # Only urgent incidents tell anyone at creation. The sender says the level; a sender that does not is
    # answered by one primary-key read. Either way no job is queued for the usual, non-urgent call.
    if not incident_id:
        return
    urgent = (level in URGENT_LEVELS if level is not None
              else Incident.objects.filter(pk=incident_id, level__in=URGENT_LEVELS).exists())
    if urgent:
        deliver_record_notifications(_incident_ct_id(), int(incident_id))


def on_incident_action_taken(sender: Any, incident_id: int | None = None, action: str = "",
                             to_status: str = "", **kwargs: Any) -> None:
    from .tasks import deliver_record_notifications

    if incident_id and (action in NOTIFYING_ACTIONS or to_status in NOTIFYING_STATUSES):
        deliver_record_notifications(_incident_ct_id(), int(incident_id))


def on_sla_event(sender: Any, activity_id: int | None = None, **kwargs: Any) -> None:
    from .tasks import queue_sla_delivery

    if activity_id:
        queue_sla_delivery(int(activity_id))


def connect() -> None:
    from opsdesk.incidents.events import incident_action_taken, incident_created
    from opsdesk.sla.signals import sla_event

    incident_created.connect(on_incident_created, dispatch_uid="notifications.on_incident_created")
    incident_action_taken.connect(on_incident_action_taken, dispatch_uid="notifications.on_incident_action_taken")
    sla_event.connect(on_sla_event, dispatch_uid="notifications.on_sla_event")

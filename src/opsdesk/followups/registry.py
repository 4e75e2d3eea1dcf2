"""Ticket types a follow-up (回访与确认) can be opened on, and what the follow-up's outcome does to them.

An app registers its ticket model once, in its AppConfig.ready(). `on_confirmed` runs when the follow-up is
closed after the user confirmed the solution (close the incident, let the service request go to closure);
`on_sent_back` when the user was not satisfied (reopen the incident, send the request back to its handler).
Both run inside the follow-up action's transaction: if they raise a DomainError, nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models


@dataclass(frozen=True)
class TicketKind:
    model: type[models.Model]
    label: Any  # translated name, e.g. _("Service request")
    on_confirmed: Callable[[Any, Any, Any], None]  # (ticket, follow_up, by)
    on_sent_back: Callable[[Any, Any, Any, str], None]  # (ticket, follow_up, by, reason)
    requester_of: Callable[[Any], Any] = lambda ticket: getattr(ticket, "requester", None)


_kinds: dict[str, TicketKind] = {}


def register_ticket(kind: TicketKind) -> None:
    _kinds[kind.model._meta.label_lower] = kind


def kind_of(model: type[models.Model]) -> TicketKind:
    try:
        return _kinds[model._meta.label_lower]
    except KeyError:
        raise LookupError(f"{model._meta.label} is not registered for follow-ups") from None


def registered() -> list[TicketKind]:
    return list(_kinds.values())

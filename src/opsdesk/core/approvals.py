"""What waits for a person's decision, across procedures: the "my approvals" page (我的审批) asks every
registered provider. Each app registers one provider in its AppConfig.ready(); a provider answers with one
query (or a fixed few, never one per row) the items waiting for `user`: a transfer-out report for the
application owner to approve, a staffing request for the division leader, a plan to review, a request to
close, an item for the application division to answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PendingApproval:
    """One thing waiting for the person: what it is, where to decide, since when."""

    kind: str  # translated name of the record type, e.g. "服务请求" / "转出报告"
    number: str
    title: str
    url: str  # the page where the decision is taken
    step: str  # translated name of what is asked, e.g. "审批调工" (the action's label)
    since: dt.datetime  # when it started waiting
    contract: str  # contract code


Provider = Callable[[Any], list[PendingApproval]]
_providers: list[Provider] = []


def register(provider: Provider) -> None:
    """Add a provider (idempotent: registering the same function twice keeps one)."""
    if provider not in _providers:
        _providers.append(provider)


def pending_for(user: Any) -> list[PendingApproval]:
    """Everything waiting for `user`, oldest first (the longest wait on top)."""
    items: list[PendingApproval] = []
    for provider in _providers:
        items.extend(provider(user))
    items.sort(key=lambda item: (item.since, item.number))
    return items

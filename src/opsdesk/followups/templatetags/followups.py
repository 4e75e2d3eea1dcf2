"""`{% ticket_follow_ups ticket as follow_ups %}`: the follow-ups of any registered ticket, for the partial
followups/_ticket_followups.html on ticket pages (one query; no change to their views needed)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def ticket_follow_ups(ticket: Any, links: Any = None) -> list[Any]:
    """`links`: the page's set of the ticket's non-empty cards, when it read one (none here: no query)."""
    from ..selectors import followups_of

    if ticket is None or getattr(ticket, "pk", None) is None:
        return []
    if isinstance(links, frozenset) and "follow_ups" not in links:
        return []
    return followups_of(ticket)

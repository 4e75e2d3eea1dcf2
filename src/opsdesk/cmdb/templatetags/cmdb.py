"""`{% ticket_items ticket as items %}`: the configuration items a ticket affects, for the partial
cmdb/_ticket_items.html on ticket pages (one query; the ticket's view needs no change)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def ticket_items(ticket: Any, links: Any = None) -> list[Any]:
    """`links`: the page's set of the ticket's non-empty cards, when it read one (none here: no query)."""
    from ..selectors import ticket_items as items_of

    if ticket is None or getattr(ticket, "pk", None) is None:
        return []
    if isinstance(links, frozenset) and "items" not in links:
        return []
    return items_of(ticket=ticket)


@register.simple_tag
def may_link_items(user: Any, ticket: Any) -> bool:
    from opsdesk.accounts.selectors import access_for

    from ..services import TICKET_LINKERS

    return bool(access_for(user).roles_on(ticket.contract_id) & TICKET_LINKERS)

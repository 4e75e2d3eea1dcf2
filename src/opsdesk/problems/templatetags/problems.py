"""`{% incident_problems incident request.user as problems %}`: the problems an incident is linked to, for
the partial problems/_incident_problems.html on the incident page (no change to the incident view needed)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def incident_problems(incident: Any, user: Any, links: Any = None) -> list[Any]:
    """`links`: the page's incident_links, when it read them (no problem linked: no query)."""
    from ..selectors import problems_of_incident

    if incident is None or not getattr(user, "is_authenticated", False):
        return []
    if isinstance(links, frozenset) and "problems" not in links:
        return []
    return problems_of_incident(incident, user)

"""Incident list selectors: filters by name resolve to ids, date ranges page by creation time."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from opsdesk.incidents.models import Incident
from opsdesk.incidents.selectors import IncidentFilters, incident_list


def _walk(user, filters, limit=3):
    """Every number, following next_cursor to the end."""
    page = incident_list(visible_to=user, filters=filters, limit=limit)
    numbers = [i.number for i in page.items]
    while page.next_cursor:
        page = incident_list(visible_to=user, filters=filters, limit=limit, cursor=page.next_cursor)
        numbers += [i.number for i in page.items]
    return numbers


def test_date_range_pages_by_creation_time_without_gaps_or_repeats(world):
    made = [world.incident(title=f"事件{i}") for i in range(8)]
    base = timezone.now() - dt.timedelta(days=3)
    # Creation times out of id order, two of them equal: the cursor must carry the id as a tie-break.
    offsets = [5, 1, 3, 3, 7, 0, 6, 2]
    for inc, minutes in zip(made, offsets, strict=True):
        Incident.objects.filter(pk=inc.pk).update(created_at=base + dt.timedelta(minutes=minutes))
    day = timezone.localtime(base).date()
    newest = _walk(world.agent, IncidentFilters(created_from=day - dt.timedelta(days=1),
                                                created_to=day + dt.timedelta(days=1)))
    expected = [i.number for i in sorted(made, key=lambda i: (offsets[made.index(i)], i.pk), reverse=True)]
    assert newest == expected
    oldest = _walk(world.agent, IncidentFilters(created_from=day - dt.timedelta(days=1), sort="created"))
    assert oldest == list(reversed(expected))


def test_unknown_names_match_nothing(world):
    world.incident()
    for filters in (IncidentFilters(contract="NO-SUCH"), IncidentFilters(assignee="nobody"),
                    IncidentFilters(requester="nobody"), IncidentFilters(contract="HRSS-2026")):
        assert incident_list(visible_to=world.agent, filters=filters).items == []


def test_names_filter_like_ids(world):
    mine = world.incident(requester=world.requester_a2)
    world.incident()
    page = incident_list(visible_to=world.agent, filters=IncidentFilters(requester="req_a2", contract="TAX-2026"))
    assert [i.number for i in page.items] == [mine.number]
    assert page.items[0].requester.username == "req_a2" and page.items[0].contract.code == "TAX-2026"

"""Search test helpers: a search as a given person, returning the numbers of the hits."""

from __future__ import annotations

import pytest

from opsdesk.accounts.models import User
from opsdesk.search.selectors import Hit, SearchFilters, search


def find(user: User, q: str, **kwargs) -> list[Hit]:
    return search(visible_to=user, filters=SearchFilters(q=q, **kwargs))


def numbers(user: User, q: str, *, partial: bool = False, **kwargs) -> list[str]:
    """The numbers of the hits holding every word typed (with `partial`, of every hit)."""
    return [h.number for h in find(user, q, **kwargs) if partial or not h.partial]


@pytest.fixture
def inc(world):
    """`inc("title", description=...)`: an incident on contract A logged by the agent for requester A."""
    def make(title: str, **kwargs):
        return world.incident(title=title, **kwargs)
    return make


"""Search test helpers: a search as a given person, returning the numbers of the hits."""

from __future__ import annotations

import pytest

from opsdesk.accounts.models import User
from opsdesk.search.selectors import Hit, SearchFilters, search


def find(user: User, q: str, **kwargs) -> list[Hit]:
    return search(visible_to=user, filters=SearchFilters(q=q, **kwargs))


def numbers(user: User, q: str, **kwargs) -> list[str]:
    return [h.number for h in find(user, q, **kwargs)]


@pytest.fixture
def inc(world):
    """`inc("title", description=...)`: an incident on contract A logged by the agent for requester A."""
    def make(title: str, **kwargs):
        return world.incident(title=title, **kwargs)
    return make


@pytest.fixture(autouse=True)
def _fresh_lexicon():
    """Each test rolls its database back: the segmenter and synonyms loaded from it are forgotten too."""
    from opsdesk.search import text

    text.forget()
    yield
    text.forget()

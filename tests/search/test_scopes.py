"""The scope column narrows the full-text match to the types searched and to what the viewer may see, on
the database in use; the answers are those of the visibility rule, narrowed or not."""

from __future__ import annotations

from django.db import connection

from opsdesk.accounts.selectors import access_for
from opsdesk.search import selectors
from opsdesk.search.models import SearchEntry
from opsdesk.search.selectors import SearchFilters
from opsdesk.search.services import drain_all

from .conftest import numbers


def test_scope_column_names_type_contract_organisation_and_owner(world, inc):
    hit = inc("打印机卡纸")
    drain_all()
    entry = SearchEntry.objects.get(kind="incident", object_id=hit.pk)
    assert entry.scope_tokens.split() == [
        "kindincident", f"incidentcontract{world.contract_a.pk}", f"incidentorg{world.org_a.pk}",
        f"incidentowner{world.requester_a.pk}"]


def test_a_requester_search_is_narrowed_to_their_own_and_finds_them_all(world, inc):
    mine = [inc(f"打印机卡纸 {i}") for i in range(2)]
    for i in range(12):
        inc(f"打印机卡纸 其他 {i}", requester=world.requester_a2)
    drain_all()
    user = world.requester_a
    scopes = selectors._scopes(user=user, access=access_for(user), filters=SearchFilters(q="打印机"))
    assert f"incidentowner{user.pk}" in scopes and "kindincident" not in scopes
    assert sorted(numbers(user, "打印机 卡纸")) == sorted(i.number for i in mine)


def test_an_agent_search_of_everything_is_not_narrowed(world, inc):
    for i in range(5):
        inc(f"打印机卡纸 {i}")
    drain_all()
    user = world.agent
    scopes = selectors._scopes(user=user, access=access_for(user), filters=SearchFilters(q="打印机"))
    if connection.vendor == "sqlite":
        # exact counts (fts5vocab); PostgreSQL's come from ANALYZE samples, which a test cannot pin down
        assert scopes == []
    assert len(numbers(user, "打印机")) == 5


def test_a_type_that_is_a_small_part_of_the_index_is_searched_through_its_token(world, inc):
    from opsdesk.knowledge import services as knowledge

    for i in range(12):
        inc(f"打印机卡纸 {i}")
    art = knowledge.article_create(by=world.engineer, contract=world.contract_a, title="打印机卡纸处理",
                                   solution="取出卡纸")
    drain_all()
    user = world.agent
    filters = SearchFilters(q="打印机", types=["article"])
    assert selectors._scopes(user=user, access=access_for(user), filters=filters) == ["kindarticle"]
    assert numbers(user, "打印机 卡纸", types=["article"]) == []  # a draft: only its author finds it
    assert numbers(art.author, "打印机 卡纸", types=["article"]) == [art.number]

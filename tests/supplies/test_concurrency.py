"""The key rule of the store: stock never goes negative when several people issue the last unit at once.
Real threads, real database (transactional tests: each thread commits on its own connection), on SQLite and
PostgreSQL alike."""

from __future__ import annotations

import pytest

from opsdesk.core.models import AuditEntry
from opsdesk.supplies.models import Consumable, ConsumableMovement, Stock, StockMovement
from tests.api.conftest import ApiClient, token_for
from tests.api.test_concurrency import race
from tests.factories import UserFactory, grant


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_issues_of_the_last_part_exactly_one_succeeds(world, store, part):
    hdd = part(stock=1)
    other = grant(UserFactory(username="store2"), "store_keeper", world.contract_a)
    clients = [ApiClient(token_for(store.keeper)), ApiClient(token_for(other))]
    before = AuditEntry.objects.filter(action="supplies.stock_out").count()

    def issue(client: ApiClient, reason: str):
        return lambda: client.post(f"/supplies/parts/{hdd.pk}/movements",
                                   {"kind": "out", "quantity": 1, "location": "WH-1", "reason": reason})

    results = race([issue(clients[0], "更换一分局服务器硬盘"), issue(clients[1], "更换二分局服务器硬盘")])
    statuses = sorted(getattr(r, "status_code", repr(r)) for r in results)
    assert statuses == [201, 422], [getattr(r, "content", r) for r in results]
    loser = next(r for r in results if r.status_code == 422)
    assert loser.json()["error"]["code"] == "insufficient_stock"
    assert "0" in loser.json()["error"]["fields"]["quantity"]
    assert Stock.objects.get(part=hdd, location=store.main).quantity == 0
    assert StockMovement.objects.filter(part=hdd, kind="out").count() == 1
    assert AuditEntry.objects.filter(action="supplies.stock_out").count() == before + 1


@pytest.mark.django_db(transaction=True)
def test_many_concurrent_issues_never_take_more_than_there_is(world, store, part):
    hdd = part(stock=3)
    n = 6
    clients = [ApiClient(token_for(store.keeper)) for _ in range(n)]

    def issue(i: int):
        return lambda: clients[i].post(f"/supplies/parts/{hdd.pk}/movements",
                                       {"kind": "out", "quantity": 1, "location": "WH-1", "reason": f"领用 {i}"})

    results = race([issue(i) for i in range(n)])
    statuses = sorted(getattr(r, "status_code", repr(r)) for r in results)
    assert statuses == [201] * 3 + [422] * 3, [getattr(r, "content", r) for r in results]
    assert Stock.objects.get(part=hdd, location=store.main).quantity == 0
    assert StockMovement.objects.filter(part=hdd, kind="out").count() == 3


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_issues_of_the_last_consumable_exactly_one_succeeds(world, store, consumable):
    toner = consumable("TONER-88A", "硒鼓 88A", stock=1, unit_price="420.00")
    clients = [ApiClient(token_for(store.keeper)), ApiClient(token_for(world.engineer))]
    office = str(store.office.pk)

    def issue(client: ApiClient, person: str):
        return lambda: client.post(f"/supplies/consumables/{toner.pk}/issue",
                                   {"quantity": 1, "department": office, "person_name": person})

    results = race([issue(clients[0], "张三"), issue(clients[1], "李四")])
    statuses = sorted(getattr(r, "status_code", repr(r)) for r in results)
    assert statuses == [201, 422], [getattr(r, "content", r) for r in results]
    assert Consumable.objects.get(pk=toner.pk).quantity == 0
    assert ConsumableMovement.objects.filter(consumable=toner, kind="issue").count() == 1
    assert AuditEntry.objects.filter(action="supplies.consumable_issue").count() == 1

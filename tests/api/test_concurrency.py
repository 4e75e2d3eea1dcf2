"""Races through real HTTP: two resolves of one incident, and many creations at once (transactional db)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_act

from .conftest import ApiClient, token_for


def race(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls in threads released together; each thread closes its own DB connection."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = calls[i]()
        except Exception as exc:  # reported by the assertions of the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_resolves_one_wins_one_conflicts(world):
    inc = world.incident()
    incident_act(incident=inc, action="accept", by=world.agent)
    incident_act(incident=inc, action="start", by=world.agent)
    version = inc.version
    owner, pm = ApiClient(token_for(world.agent)), ApiClient(token_for(world.pm))
    path = f"/incidents/{inc.number}/actions/resolve"

    def resolve(client: ApiClient, text: str):
        return lambda: client.post(path, {"version": version, "solution": text})

    results = race([resolve(owner, "重启打印服务"), resolve(pm, "更换硒鼓")])
    statuses = sorted(getattr(r, "status_code", repr(r)) for r in results)
    assert statuses == [200, 409], [getattr(r, "content", r) for r in results]
    loser = next(r for r in results if r.status_code == 409)
    assert loser.json()["error"]["code"] == "stale_version"
    inc.refresh_from_db()
    assert inc.status == "awaiting_confirmation" and inc.version == version + 1
    winner = next(r for r in results if r.status_code == 200)
    assert inc.solution == winner.json()["solution"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_creations_get_distinct_numbers(world):
    n = 8
    clients = [ApiClient(token_for(world.agent)) for _ in range(n)]

    def create(i: int):
        return lambda: clients[i].post("/incidents", {"title": f"并发创建 {i}", "contract": "TAX-2026",
                                                      "requester": "req_a"})

    results = race([create(i) for i in range(n)])
    assert [getattr(r, "status_code", repr(r)) for r in results] == [201] * n, results
    numbers = {r.json()["number"] for r in results}
    assert len(numbers) == n
    assert set(Incident.objects.values_list("number", flat=True)) == numbers


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_idempotency_key_create_once(world):
    n = 5
    clients = [ApiClient(token_for(world.agent)) for _ in range(n)]
    body = {"title": "重复提交", "contract": "TAX-2026", "requester": "req_a"}

    def create(i: int):
        return lambda: clients[i].post("/incidents", body, **{"Idempotency-Key": "phone-call-42"})

    results = race([create(i) for i in range(n)])
    # The key row is inserted in the creating transaction: the others wait on it, then replay its response.
    assert [getattr(r, "status_code", repr(r)) for r in results] == [201] * n, results
    assert all(r.json() == results[0].json() for r in results)
    assert Incident.objects.count() == 1

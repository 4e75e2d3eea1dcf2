"""A recurring fault (same affected system and catalogue item N times within M days on a contract) is
created one level higher, with the earlier incidents named in the reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opsdesk.core.models import AuditEntry
from opsdesk.incidents.services import incident_category_create
from opsdesk.sla import services as sla
from opsdesk.sla.models import SlaClock

from .conftest import timeline

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


@pytest.fixture
def category(world):
    return incident_category_create(by=None, name="数据库")


def report(world, category, *, system="核心征管系统", days_ago=0, level=3, contract=None, requester=None):
    return world.incident(level=level, category=category, affected_system=system, contract=contract,
                          requester=requester, reported_at=timezone.now() - days_ago * DAY)


def test_the_third_occurrence_within_30_days_is_raised(world, gold, category, lead,
                                                       django_capture_on_commit_callbacks, signals):
    first = report(world, category, days_ago=20)
    second = report(world, category, days_ago=3)
    assert (first.level, second.level) == (3, 3)
    with django_capture_on_commit_callbacks(execute=True):
        third = report(world, category)
    assert third.level == 2 and third.version == 2
    third.refresh_from_db()
    assert third.level == 2
    [step] = timeline(third, "change_level")
    assert step.actor_id is None and step.data["automatic"] == "recurrence"
    assert step.data["earlier"] == sorted([first.number, second.number])
    assert first.number in step.data["reason"] and second.number in step.data["reason"]
    assert {p["username"] for p in step.data["recipients"]} == {"pm", "lead"}
    audit = AuditEntry.objects.get(action="sla.escalate", object_id=str(third.pk))
    assert audit.after["rule"] == "recurrence" and audit.after["level"] == 2
    [event] = signals.of("escalation")
    assert event["ticket"].pk == third.pk and event["clock"] is None
    # The clocks took the level-2 targets (response 30 min instead of 2 h).
    response = SlaClock.objects.get(object_id=third.pk, metric="response")
    assert (response.level, response.target_seconds) == (2, 30 * 60)


@pytest.mark.parametrize("other", ["system", "window", "contract", "category"])
def test_only_the_same_fault_on_the_same_contract_within_the_window_counts(world, gold, category, other):
    sla.sla_policy_update(policy=gold, by=None, settings={"recurrence_days": 7})
    report(world, category, days_ago=2)
    if other == "system":
        report(world, category, system="网上办税服务厅", days_ago=1)
    elif other == "window":
        report(world, category, days_ago=8)
    elif other == "contract":
        world.incident(level=3, category=category, affected_system="核心征管系统", contract=world.contract_b,
                       requester=world.requester_b, by=world.agent_b)
    else:
        report(world, incident_category_create(by=None, name="网络"), days_ago=1)
    assert report(world, category).level == 3
    assert report(world, category).level == 2  # and with one more of the same, it recurs


def test_the_count_setting_is_the_policys(world, gold, category):
    sla.sla_policy_update(policy=gold, by=None, settings={"recurrence_count": 2})
    report(world, category, days_ago=1)
    assert report(world, category).level == 2


def test_level_1_cannot_go_higher(world, gold, category):
    report(world, category, level=1, days_ago=2)
    report(world, category, level=1, days_ago=1)
    third = report(world, category, level=1)
    assert third.level == 1 and timeline(third, "change_level") == []


def test_the_check_costs_one_query(world, gold, category):
    report(world, category, system="甲系统", days_ago=1)

    def queries(**kwargs) -> int:
        with CaptureQueriesContext(connection) as ctx:
            world.incident(level=3, **kwargs)
        return len(ctx.captured_queries)

    plain = queries()
    checked = queries(category=category, affected_system="乙系统")
    assert checked == plain + 1


def test_a_batch_recognises_a_recurrence_among_its_own_incidents(world, gold, category):
    from opsdesk.incidents.services import incident_create_many

    report(world, category, days_ago=2)
    item = {"contract": world.contract_a, "requester": world.requester_a, "title": "核心征管系统数据库连接失败",
            "level": 3, "category": category, "affected_system": "核心征管系统"}
    second, third, fourth = incident_create_many(by=world.agent, items=[item, item, item])
    # Logged one after the other, the second occurrence is not yet a recurrence, the third and fourth are.
    assert (second.level, third.level, fourth.level) == (3, 2, 2)
    [step] = timeline(third, "change_level")
    assert second.number in step.data["earlier"] and fourth.number not in step.data["earlier"]

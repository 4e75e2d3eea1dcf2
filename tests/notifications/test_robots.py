"""Group robots against a local HTTP server playing the DingTalk / WeCom / Feishu APIs: signatures and payload
shapes verified independently, once per event for the group, rate limits honoured by batching (nothing
dropped), provider rate-limit answers and 500s retried with backoff, a disabled robot told nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from opsdesk.incidents.services import incident_act
from opsdesk.notifications import delivery as outbound
from opsdesk.notifications import services
from opsdesk.notifications.models import Delivery, DeliveryAttempt, Robot

ALL_KINDS = ["created", "assigned", "dispatched", "awaiting_confirmation", "resolved", "sla_warning",
             "sla_breach", "escalation"]


def _robot(world, robot_api, provider="dingtalk", **kwargs) -> Robot:
    kwargs.setdefault("kinds", ALL_KINDS)
    return services.robot_create(by=world.pm, contract_id=world.contract_a.pk, provider=provider,
                                 name=kwargs.pop("name", f"{provider} 值班群"), webhook_url=robot_api.url(provider),
                                 secret=kwargs.pop("secret", robot_api.secret if provider != "wecom" else ""),
                                 **kwargs)


def _assign(world, live, *, to="engineer", title="打印机无法打印"):
    inc = world.incident(title=title)
    incident_act(incident=inc, action="accept", by=world.agent)
    with live():
        incident_act(incident=inc, action="assign", by=world.agent, data={"assignee": to})
    return inc


@pytest.mark.parametrize("provider", ["dingtalk", "wecom", "feishu"])
def test_each_provider_gets_a_signed_message_of_its_shape(world, live, robot_api, provider):
    _robot(world, robot_api, provider)
    inc = _assign(world, live)
    assert len(robot_api.calls) == 1
    call = robot_api.calls[0]
    assert (call.provider, call.signature_ok, call.shape_ok) == (provider, True, True)
    if provider == "dingtalk":
        assert call.query["access_token"] == "tok" and len(call.query["timestamp"]) == 13
    if provider == "feishu":
        assert len(call.body["timestamp"]) == 10
    assert inc.number in robot_api.text_of(call) and "已分派给你" in robot_api.text_of(call)
    d = Delivery.objects.get()
    assert (d.channel, d.status, d.target) == (provider, "sent", f"robot:{d.robot_id}")


def test_a_wrong_secret_is_a_logged_failure(world, live, robot_api):
    _robot(world, robot_api, "dingtalk", secret="not-the-groups-secret")
    _assign(world, live)
    d = Delivery.objects.get()
    assert robot_api.calls[0].signature_ok is False
    assert d.status == "pending" and "310000" in d.last_error
    assert list(d.attempt_log.values_list("outcome", flat=True)) == ["retry"]


def test_the_group_is_told_once_per_event_not_per_person(world, live, robot_api):
    _robot(world, robot_api, "wecom", kinds=["sla_breach", "awaiting_confirmation"])
    inc = world.incident()
    incident_act(incident=inc, action="accept", by=world.agent)
    with live():
        incident_act(incident=inc, action="assign", by=world.agent, data={"assignee": "engineer"})
    assert robot_api.calls == []  # "assigned" is not a kind this robot receives
    with live():
        incident_act(incident=inc, action="resolve", by=world.engineer, data={"solution": "更换硒鼓"})
    assert len(robot_api.calls) == 1
    services.notifications_catch_up()  # re-deriving the same events sends nothing again
    assert len(robot_api.calls) == 1 and Delivery.objects.count() == 1


def test_a_disabled_robot_gets_nothing(world, live, robot_api):
    on = _robot(world, robot_api, "dingtalk", name="在用")
    off = _robot(world, robot_api, "feishu", name="停用")
    services.robot_disable(robot=off, by=world.pm)
    _assign(world, live)
    assert [c.provider for c in robot_api.calls] == ["dingtalk"]
    assert set(Delivery.objects.values_list("robot_id", flat=True)) == {on.pk}


def test_disabling_stops_what_is_waiting(world, live, robot_api):
    robot = _robot(world, robot_api, "dingtalk")
    robot_api.answers = [(500, {"error": "internal"})]
    _assign(world, live)
    assert Delivery.objects.get().status == "pending"
    services.robot_disable(robot=robot, by=world.pm)
    assert outbound.robot_deliveries_send(robot_id=robot.pk, now=timezone.now() + dt.timedelta(hours=1)).sent == 0
    assert len(robot_api.calls) == 1 and Delivery.objects.get().status == "failed"


def test_a_rate_limit_answer_is_retried_a_minute_later_without_using_an_attempt(world, live, robot_api):
    robot = _robot(world, robot_api, "dingtalk")
    robot_api.answers = [(200, {"errcode": 130101, "errmsg": "send too fast"})]
    _assign(world, live)
    d = Delivery.objects.get()
    assert (d.status, d.attempts) == ("pending", 0)
    assert list(d.attempt_log.values_list("outcome", flat=True)) == ["rate_limited"]
    assert outbound.robot_deliveries_send(robot_id=robot.pk).sent == 0  # not due yet
    assert outbound.robot_deliveries_send(robot_id=robot.pk, now=d.next_attempt_at).sent == 1
    d.refresh_from_db()
    assert (d.status, len(robot_api.calls)) == ("sent", 2)


@pytest.mark.parametrize("provider,code", [("wecom", 45009), ("feishu", 9499), ("feishu", 11232)])
def test_each_providers_rate_limit_code_is_recognised(world, live, robot_api, provider, code):
    _robot(world, robot_api, provider)
    robot_api.answers = [(200, {"code": code, "msg": "frequency limited"} if provider == "feishu"
                          else {"errcode": code, "errmsg": "api freq out of limit"})]
    _assign(world, live)
    assert list(DeliveryAttempt.objects.values_list("outcome", flat=True)) == ["rate_limited"]


def test_server_errors_are_retried_with_exponential_backoff(world, live, robot_api):
    robot = _robot(world, robot_api, "feishu")
    robot_api.answers = [(500, {}), (502, {}), (503, {})]
    t0 = timezone.now()
    _assign(world, live)
    d = Delivery.objects.get()
    waits = [d.next_attempt_at - t0]
    for _ in range(3):
        now = d.next_attempt_at
        outbound.robot_deliveries_send(robot_id=robot.pk, now=now)
        d.refresh_from_db()
        waits.append(d.next_attempt_at - now)
    assert waits[0] >= dt.timedelta(seconds=55) and waits[1:3] == [dt.timedelta(minutes=2), dt.timedelta(minutes=4)]
    assert d.status == "sent" and d.attempts == 4 and len(robot_api.calls) == 4
    assert list(d.attempt_log.values_list("outcome", flat=True)) == ["retry", "retry", "retry", "sent"]
    assert "HTTP 500" in d.attempt_log.first().error


@pytest.mark.parametrize("provider", ["dingtalk", "wecom"])
def test_a_burst_is_batched_under_the_rate_limit_and_nothing_is_dropped(world, live, robot_api, provider):
    robot = _robot(world, robot_api, provider, kinds=["assigned"])
    numbers = [_assign(world, live, title=f"批量{i}" + "很长的标题" * 38).number for i in range(30)]
    # The first 20 events went out one by one; then the robot's minute was used up and 10 wait.
    assert len(robot_api.calls) == 20
    assert Delivery.objects.filter(status="pending").count() == 10
    # the robot's job put itself in the schedule for when its minute frees up: nothing waits for a sweep
    assert {t.name for t in HUEY.scheduled()} == {"send_robot_deliveries"}
    run = outbound.robot_deliveries_send(robot_id=robot.pk)
    assert run.sent == 0 and run.wait_until is not None and len(robot_api.calls) == 20
    later = run.wait_until
    run = outbound.robot_deliveries_send(robot_id=robot.pk, now=later)
    assert run.sent == 10 and len(robot_api.calls) == 21  # the 10 waiting events in one message
    batch = robot_api.text_of(robot_api.calls[-1])
    assert all(n in batch for n in numbers[20:]) and all(c.signature_ok and c.shape_ok for c in robot_api.calls)
    text = "\n".join(robot_api.text_of(c) for c in robot_api.calls)
    assert all(n in text for n in numbers)  # every event reached the group
    assert Delivery.objects.filter(status="sent").count() == 30
    assert all(len(robot_api.text_of(c).encode()) <= 4096 for c in robot_api.calls)  # WeCom's limit, met by all
    calls = sorted(DeliveryAttempt.objects.filter(robot=robot).values_list("started_at", flat=True))
    for i, start in enumerate(calls):  # never more than 20 calls in any minute
        assert sum(1 for t in calls[i:] if t - start < dt.timedelta(seconds=60)) <= 20


def test_the_test_message_reaches_the_group(world, robot_api):
    robot = _robot(world, robot_api, "feishu")
    answer = outbound.robot_test_send(robot=robot, by=world.pm)
    assert answer.ok and robot_api.calls[0].signature_ok and robot_api.calls[0].shape_ok


def test_sla_breaches_reach_the_group_and_the_engines_recipients_by_mail(world, gold, live, robot_api, smtp):
    from opsdesk.accounts.models import User
    from opsdesk.core.models import Activity
    from opsdesk.sla.sweep import sla_sweep

    from .conftest import run_scheduled

    User.objects.filter(username__in=["pm", "engineer"]).update(email="x@example.cn")
    _robot(world, robot_api, "feishu", kinds=["sla_breach"])
    t0 = timezone.now()
    inc = world.incident(level=2, reported_at=t0, title="SLA 超时")
    incident_act(incident=inc, action="accept", by=world.engineer)
    with live():
        sla_sweep(now=t0 + 9 * dt.timedelta(hours=1))
    with live():  # the burst's delivery job commits: its sending jobs start
        assert run_scheduled() == 1
    breaches = list(Activity.objects.filter(object_id=inc.pk, action="sla_breach"))
    assert breaches
    # one group message per breach entry (not one per person told)
    calls = [c for c in robot_api.calls if inc.number in robot_api.text_of(c)]
    assert len(calls) == len(breaches) and all(c.signature_ok and c.shape_ok for c in calls)
    told = {p["username"] for e in breaches for p in e.data["recipients"]}
    assert told & {"pm", "engineer"}  # the test means something only if someone with an address was told
    breach_mails = Delivery.objects.filter(channel="email", kind="sla_breach", status="sent")
    assert set(breach_mails.values_list("recipient__username", flat=True)) == told & {"pm", "engineer"}
    assert len(smtp.received) >= breach_mails.count()

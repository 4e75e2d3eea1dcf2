"""Pages of outgoing notifications: my settings (a matrix of kinds × channels), group robots (list, create,
edit, disable, test message; only the contract's managers), the notification log (filters, constant queries)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.core.models import AuditEntry
from opsdesk.incidents.services import incident_act
from opsdesk.notifications import services
from opsdesk.notifications.models import NotificationPreference, Robot

from ..factories import UserFactory, grant

LOG_BUDGET = 8  # session, user, grants, rows, bounded count, attempts (+ the messages framework reads no table)


def _robot_form(contract, robot_api, **over):
    data = {"contract": contract.pk, "provider": "dingtalk", "name": "运维值班群",
            "webhook_url": robot_api.url("dingtalk"), "secret": robot_api.secret, "kinds": ["assigned", "sla_breach"],
            "language": "zh-hans"}
    data.update(over)
    return data


def test_the_settings_matrix_shows_and_saves_choices(world, login):
    world.engineer.email = "engineer@example.cn"
    world.engineer.save()
    client = login(world.engineer)
    page = client.get("/notifications/settings/").content.decode()
    assert page.count("<tr data-kind=") == 8
    assert page.count('type="checkbox" checked disabled') == 8  # in-app: always on, shown, not changeable
    assert page.count('name="email_') == 8 and 'name="email_assigned" id="id_email_assigned" checked' in page
    assert 'aria-label="' in page and "<th scope=\"row\"" in page  # each box named for a screen reader
    form = {"language": "en", **{f"email_{k}": "on" for k in ("assigned", "resolved")}}
    response = client.post("/notifications/settings/", form)
    assert response.status_code == 302
    off = set(NotificationPreference.objects.filter(user=world.engineer, enabled=False)
              .values_list("kind", flat=True))
    assert off == {"created", "dispatched", "awaiting_confirmation", "sla_warning", "sla_breach", "escalation"}
    world.engineer.refresh_from_db()
    assert world.engineer.language == "en"
    assert AuditEntry.objects.filter(action="notification.preferences").count() == 1
    page = client.get("/notifications/settings/").content.decode()
    assert 'name="email_sla_warning" id="id_email_sla_warning" aria-label' in page  # unticked now


def test_without_an_address_the_page_says_so(world, login):
    page = login(world.engineer2).get("/notifications/settings/").content.decode()
    assert '<div class="alert alert-warning" role="status">' in page
    world.engineer.email = "engineer@example.cn"
    world.engineer.save()
    page = login(world.engineer).get("/notifications/settings/").content.decode()
    assert '<div class="alert alert-warning" role="status">' not in page


def test_a_project_manager_adds_edits_tests_and_disables_a_robot(world, login, robot_api):
    client = login(world.pm)
    assert client.get("/notifications/robots/new/").status_code == 200
    response = client.post("/notifications/robots/new/", _robot_form(world.contract_a, robot_api))
    assert response.status_code == 302, response.content.decode()[:2000]
    robot = Robot.objects.get()
    assert (robot.contract, robot.kinds, robot.secret) == (world.contract_a, ["assigned", "sla_breach"],
                                                           robot_api.secret)
    page = client.get("/notifications/robots/").content.decode()
    assert f'data-robot="{robot.pk}"' in page and "运维值班群" in page
    assert robot_api.secret not in client.get(f"/notifications/robots/{robot.pk}/edit/").content.decode()
    edit = {"name": "新名字", "webhook_url": robot_api.url("dingtalk"), "secret": "", "kinds": ["resolved"],
            "language": "en", "is_active": "on"}
    assert client.post(f"/notifications/robots/{robot.pk}/edit/", edit).status_code == 302
    robot.refresh_from_db()
    assert (robot.name, robot.kinds, robot.language, robot.secret) == ("新名字", ["resolved"], "en",
                                                                       robot_api.secret)  # secret kept
    assert client.post(f"/notifications/robots/{robot.pk}/test/").status_code == 302
    assert len(robot_api.calls) == 1 and robot_api.calls[0].signature_ok
    assert client.post(f"/notifications/robots/{robot.pk}/disable/").status_code == 302
    robot.refresh_from_db()
    assert robot.is_active is False
    actions = set(AuditEntry.objects.filter(object_type="notifications.robot").values_list("action", flat=True))
    assert actions == {"robot.create", "robot.update", "robot.test", "robot.disable"}
    audit = AuditEntry.objects.get(action="robot.create")
    assert robot_api.secret not in str(audit.after) and "tok" not in str(audit.after)


def test_robot_form_errors_are_shown_in_the_users_language(world, login, robot_api):
    client = login(world.pm)
    bad = _robot_form(world.contract_a, robot_api, name="", webhook_url="ftp://x", kinds=[])
    zh = client.post("/notifications/robots/new/", bad, headers={"Accept-Language": "zh-hans"})
    assert zh.status_code == 422
    page = zh.content.decode()
    assert "此项为必填项" in page  # the empty name, in Chinese
    client.cookies.load({"django_language": "en"})
    en = client.post("/notifications/robots/new/", bad, headers={"Accept-Language": "en"}).content.decode()
    assert "This field is required." in en
    bad = _robot_form(world.contract_a, robot_api, webhook_url="ftp://x", kinds=[])
    en = client.post("/notifications/robots/new/", bad, headers={"Accept-Language": "en"})
    assert en.status_code == 422
    text = en.content.decode()
    assert "Enter the robot&#x27;s webhook URL" in text and "Choose at least one kind of notification." in text
    wecom = _robot_form(world.contract_a, robot_api, provider="wecom", webhook_url="https://qyapi.weixin.qq.com/x")
    text = client.post("/notifications/robots/new/", wecom, headers={"Accept-Language": "en"}).content.decode()
    assert "contains the robot&#x27;s key" in text
    assert Robot.objects.count() == 0  # nothing half-written


def test_only_the_contracts_managers_see_robots(world, login, robot_api):
    robot = services.robot_create(by=world.pm, contract_id=world.contract_a.pk, provider="feishu", name="群",
                                  webhook_url=robot_api.url("feishu"), kinds=["assigned"])
    engineer = login(world.engineer)
    assert engineer.get("/notifications/robots/").status_code == 404
    assert engineer.get(f"/notifications/robots/{robot.pk}/edit/").status_code == 404
    assert engineer.post(f"/notifications/robots/{robot.pk}/disable/").status_code == 404
    assert engineer.get("/notifications/log/").status_code == 404
    other_admin = login(grant(UserFactory(username="sysadmin_b"), "system_admin", world.contract_b))
    assert other_admin.get(f"/notifications/robots/{robot.pk}/edit/").status_code == 404
    forged = other_admin.post("/notifications/robots/new/", _robot_form(world.contract_a, robot_api))
    assert forged.status_code == 422 and Robot.objects.count() == 1  # contract A is not among the choices
    robot.refresh_from_db()
    assert robot.is_active


def _assign(world, live, n, title="日志页"):
    for i in range(n):
        inc = world.incident(title=f"{title}{i}")
        incident_act(incident=inc, action="accept", by=world.agent)
        with live():
            incident_act(incident=inc, action="assign", by=world.agent, data={"assignee": "engineer"})


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_the_log_page_filters_and_costs_the_same_for_few_and_many(world, live, login, robot_api):
    world.engineer.email = "engineer@example.cn"
    world.engineer.save()
    services.robot_create(by=world.pm, contract_id=world.contract_a.pk, provider="wecom", name="群",
                          webhook_url=robot_api.url("wecom"), kinds=["assigned"])
    client = login(world.pm)
    _assign(world, live, 1)
    client.get("/notifications/log/")
    few, page = _queries(client, "/notifications/log/")
    assert page.count("data-delivery=") == 2 and 'data-outcome="sent"' in page
    _assign(world, live, 10)
    many, page = _queries(client, "/notifications/log/")
    assert page.count("data-delivery=") == 22 and few == many <= LOG_BUDGET, (few, many)
    _n, wecom = _queries(client, "/notifications/log/?channel=wecom")
    assert wecom.count("data-delivery=") == 11
    _n, failed = _queries(client, "/notifications/log/?status=failed")
    assert failed.count("data-delivery=") == 0
    paged = client.get("/notifications/log/?channel=email").content.decode()
    assert paged.count("data-delivery=") == 11 and 'rel="next"' not in paged
    _assign(world, live, 20, title="更多")
    paged = client.get("/notifications/log/?channel=email").content.decode()
    assert paged.count("data-delivery=") == 25 and 'rel="next"' in paged


def test_top_bar_offers_robots_to_managers_and_settings_to_everyone(world, login):
    pm_page = login(world.pm).get("/incidents/").content.decode()
    agent_page = login(world.agent).get("/incidents/").content.decode()
    assert 'href="/notifications/robots/"' in pm_page
    assert 'href="/notifications/robots/"' not in agent_page
    assert 'href="/notifications/settings/"' in agent_page  # the person's name in the top bar


def test_a_robot_may_only_call_the_providers_hosts(world, login, robot_api):
    page = login(world.pm).post("/notifications/robots/new/", _robot_form(
        world.contract_a, robot_api, webhook_url="http://10.0.0.8/internal/admin?access_token=x"))
    assert page.status_code == 422
    assert "OPSDESK_ROBOT_ALLOWED_HOSTS" in page.content.decode()
    assert not Robot.objects.exists()

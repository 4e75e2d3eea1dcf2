"""Shared fixtures: a small world of two client organisations with staff and requesters."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from opsdesk.accounts.models import Contract, Organisation, User
from opsdesk.incidents import services as incident_services
from opsdesk.incidents.models import Incident

from .factories import PASSWORD, ContractFactory, OrganisationFactory, UserFactory, grant


@dataclass
class World:
    org_a: Organisation
    org_b: Organisation
    contract_a: Contract
    contract_b: Contract
    agent: User
    engineer: User
    engineer2: User
    second_line: User
    pm: User
    requester_a: User
    requester_a2: User
    contact_a: User
    requester_b: User
    contact_b: User
    agent_b: User

    def incident(self, *, by: User | None = None, requester: User | None = None, contract: Contract | None = None,
                 **kwargs) -> Incident:
        kwargs.setdefault("title", "打印机无法打印")
        return incident_services.incident_create(by=by or self.agent, contract=contract or self.contract_a,
                                                 requester=requester or self.requester_a, **kwargs)


@pytest.fixture
def world(db) -> World:
    org_a = OrganisationFactory(code="tax", name="某市税务局")
    org_b = OrganisationFactory(code="hrss", name="某市社保中心")
    contract_a = ContractFactory(code="TAX-2026", name="税务局运维服务", organisation=org_a)
    contract_b = ContractFactory(code="HRSS-2026", name="社保中心运维服务", organisation=org_b)
    agent = grant(UserFactory(username="agent", full_name="王坐席"), "agent", contract_a)
    engineer = grant(UserFactory(username="engineer", full_name="李工程师"), "engineer", contract_a)
    engineer2 = grant(UserFactory(username="engineer2", full_name="赵工程师"), "engineer", contract_a)
    second_line = grant(UserFactory(username="dba", full_name="陈DBA"), "second_line", contract_a)
    pm = grant(UserFactory(username="pm", full_name="周经理"), "project_manager", contract_a)
    requester_a = grant(UserFactory(username="req_a", full_name="张三", organisation=org_a, phone="13800001111"),
                        "requester", contract_a)
    requester_a2 = grant(UserFactory(username="req_a2", full_name="张四", organisation=org_a), "requester",
                         contract_a)
    contact_a = grant(UserFactory(username="contact_a", full_name="刘科长", organisation=org_a), "client_contact",
                      contract_a)
    requester_b = grant(UserFactory(username="req_b", full_name="钱五", organisation=org_b), "requester", contract_b)
    contact_b = grant(UserFactory(username="contact_b", full_name="孙主任", organisation=org_b), "client_contact",
                      contract_b)
    agent_b = grant(UserFactory(username="agent_b", full_name="吴坐席"), "agent", contract_b)
    return World(org_a, org_b, contract_a, contract_b, agent, engineer, engineer2, second_line, pm, requester_a,
                 requester_a2, contact_a, requester_b, contact_b, agent_b)


@pytest.fixture
def login():
    """A test client logged in as the given person (a fresh one per call)."""
    def _login(user) -> Client:
        c = Client()
        assert c.login(username=user.username, password=PASSWORD)
        return c
    return _login


@pytest.fixture
def smtp(settings):
    """A real SMTP server (aiosmtpd) on a free loopback port, and Django's SMTP backend pointed at it."""
    from .servers import SmtpServer

    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 10
        settings.OPSDESK_MAIL_DOMAIN = "itsm.example.cn"
        settings.OPSDESK_SITE_URL = "https://itsm.example.cn"
        yield server


@pytest.fixture
def api(world):
    """`api(world.agent)` → an ApiClient acting as that person (one token each, made on first use)."""
    from .api.conftest import ApiClient, token_for

    clients: dict[int, ApiClient] = {}

    def make(user: User) -> ApiClient:
        if user.pk not in clients:
            clients[user.pk] = ApiClient(token_for(user), user)
        return clients[user.pk]

    return make


@pytest.fixture(autouse=True)
def _fresh_search_caches():
    """Each test rolls its database back: the segmenter, synonyms and term statistics a search loaded from
    it are forgotten too."""
    from opsdesk.search import ranking, text

    text.forget()
    ranking.forget()
    yield
    text.forget()
    ranking.forget()

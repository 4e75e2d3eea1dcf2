"""An agent on several clients' hotlines: the caller's organisation picks the contract."""

from __future__ import annotations

from opsdesk.incidents.models import Incident
from tests.factories import grant


def test_contract_follows_the_callers_organisation_without_javascript(world, login):
    grant(world.agent, "agent", world.contract_b)  # now on both hotlines
    response = login(world.agent).post("/incidents/new/", {
        "requester": world.requester_b.username, "contract": "", "title": "社保系统登录缓慢", "level": "3",
        "channel": "phone"})
    assert response.status_code == 302, response.content.decode()[:2000]
    incident = Incident.objects.get(title="社保系统登录缓慢")
    assert incident.contract == world.contract_b and incident.requester == world.requester_b


def test_found_callers_carry_their_contract_for_the_page_to_preselect(world, login):
    grant(world.agent, "agent", world.contract_b)
    page = login(world.agent).get("/incidents/callers/", {"caller_q": "钱五"}).content.decode()
    assert 'value="req_b"' in page and 'data-contract="HRSS-2026"' in page


def test_no_guess_when_the_agent_serves_the_organisation_on_two_contracts(world, login):
    from tests.factories import ContractFactory

    second = ContractFactory(code="TAX-EXTRA", name="税务局驻场补充合同", organisation=world.org_a)
    grant(world.agent, "agent", second)
    response = login(world.agent).post("/incidents/new/", {
        "requester": world.requester_a.username, "contract": "", "title": "无法判断合同", "level": "4"})
    assert response.status_code == 422
    assert not Incident.objects.filter(title="无法判断合同").exists()

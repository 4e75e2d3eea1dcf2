"""The "my approvals" page (我的审批): in the top bar only for the client people who decide, and empty
when nothing waits. The items themselves are tested with each procedure that provides them."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory, grant

pytestmark = pytest.mark.django_db


def test_deciding_client_roles_get_the_page_in_the_top_bar(world, login):
    owner = grant(UserFactory(username="owner_a", organisation=world.org_a), "app_owner", world.contract_a)
    page = login(owner)
    home = page.get("/portal/")
    assert 'href="/approvals/"' in home.content.decode()
    r = page.get("/approvals/")
    assert r.status_code == 200
    assert 'id="approvals-empty"' in r.content.decode()


def test_requesters_and_agents_do_not_get_the_link(world, login):
    for who, url in ((world.requester_a, "/portal/"), (world.agent, "/incidents/")):
        r = login(who).get(url)
        assert r.status_code == 200 and 'href="/approvals/"' not in r.content.decode()


def test_the_page_needs_a_login(client):
    r = client.get("/approvals/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]

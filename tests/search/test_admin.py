"""Operators extend the dictionary and synonyms in the admin: bad input is a form error, a good one is
audited and used by the next search."""

from __future__ import annotations

from django.test import Client

from opsdesk.core.models import AuditEntry
from opsdesk.search.models import SynonymGroup

from ..factories import PASSWORD, UserFactory
from .conftest import numbers


def _admin_client() -> Client:
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_synonym_added_in_the_admin_is_used_by_the_next_search(world):
    hit = world.incident(title="云桌面无法连接")
    client = _admin_client()
    bad = client.post("/admin/search/synonymgroup/add/", {"terms": "只有一个词", "note": "", "is_active": "on"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    assert not SynonymGroup.objects.filter(terms__contains="只有一个词").exists()
    assert numbers(world.agent, "VDI") == []
    ok = client.post("/admin/search/synonymgroup/add/", {"terms": "云桌面，VDI", "note": "", "is_active": "on"})
    assert ok.status_code == 302, ok.content[:500]
    assert SynonymGroup.objects.filter(terms="云桌面=VDI").exists()
    assert AuditEntry.objects.filter(action="search.synonyms_save").exists()
    assert numbers(world.agent, "VDI") == [hit.number]


def test_dictionary_word_form_refuses_spaces(world):
    client = _admin_client()
    bad = client.post("/admin/search/searchterm/add/", {"word": "两 个", "note": "", "is_active": "on"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    ok = client.post("/admin/search/searchterm/add/", {"word": "一网通办", "note": "", "is_active": "on"})
    assert ok.status_code == 302

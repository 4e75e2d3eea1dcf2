"""Attachments: uploaded through the pages, kept outside the web root, streamed only to those who see the ticket."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from opsdesk.core.models import Attachment

from .helpers import text

CONTENT = "故障截图的内容".encode() * 10


def _upload(client, url, name="截图.png", content=CONTENT, **extra):
    return client.post(url, {"file": SimpleUploadedFile(name, content, content_type="image/png"), **extra})


def _download_links(page: str) -> list[str]:
    return re.findall(r'href="(/incidents/[^"]+/attachments/\d+/)"', page)


def test_upload_and_download_for_those_who_see_the_incident(world, login):
    inc = world.incident()
    agent = login(world.agent)
    assert _upload(agent, f"/incidents/{inc.number}/attachments/").status_code == 302
    att = Attachment.objects.get()
    stored = Path(att.file.path).resolve()
    assert stored.is_relative_to(Path(settings.DATA_DIR) / "attachments")  # outside the web root
    assert not stored.is_relative_to(Path(settings.STATIC_ROOT)) and "截图" not in str(stored)
    links = _download_links(text(agent.get(f"/incidents/{inc.number}/")))
    assert links == [f"/incidents/{inc.number}/attachments/{att.pk}/"]
    for person in (world.agent, world.engineer, world.requester_a, world.contact_a):
        response = login(person).get(links[0])
        assert response.status_code == 200, person.username
        assert b"".join(response.streaming_content) == CONTENT
        assert response["Content-Disposition"].startswith("attachment;")
        assert "filename*=utf-8''%E6%88%AA%E5%9B%BE.png" in response["Content-Disposition"]
    for person in (world.requester_a2, world.requester_b, world.contact_b, world.agent_b):
        assert login(person).get(links[0]).status_code == 404, person.username


def test_requester_attaches_in_the_portal_and_sees_the_link(world, login):
    inc = world.incident()
    requester = login(world.requester_a)
    assert _upload(requester, f"/portal/incidents/{inc.number}/attachments/", name="error.txt").status_code == 302
    page = text(requester.get(f"/portal/incidents/{inc.number}/"))
    assert "error.txt" in page and len(_download_links(page)) == 1


def test_internal_attachment_is_hidden_from_client_people(world, login):
    inc = world.incident()
    agent = login(world.agent)
    _upload(agent, f"/incidents/{inc.number}/attachments/", name="内部日志.log", internal="on")
    att = Attachment.objects.get()
    assert att.internal
    assert login(world.requester_a).get(f"/incidents/{inc.number}/attachments/{att.pk}/").status_code == 404
    assert "内部日志.log" not in text(login(world.requester_a).get(f"/portal/incidents/{inc.number}/"))
    assert login(world.engineer).get(f"/incidents/{inc.number}/attachments/{att.pk}/").status_code == 200


def test_attachment_of_another_incident_is_404(world, login):
    inc, other = world.incident(), world.incident(requester=world.requester_a2)
    _upload(login(world.agent), f"/incidents/{other.number}/attachments/")
    att = Attachment.objects.get()
    assert login(world.requester_a).get(f"/incidents/{inc.number}/attachments/{att.pk}/").status_code == 404


def test_too_large_or_missing_file_shows_the_error_and_stores_nothing(world, login, settings):
    settings.MAX_ATTACHMENT_BYTES = 1024 * 1024
    inc = world.incident()
    agent = login(world.agent)
    store = Path(settings.DATA_DIR) / "attachments"
    files_before = sorted(store.rglob("*")) if store.exists() else []
    response = _upload(agent, f"/incidents/{inc.number}/attachments/", content=b"x" * (1024 * 1024 + 1))
    assert response.status_code == 422 and 'id="id_attachment_file-errors"' in text(response)
    assert "1 MB" in text(response)
    response = agent.post(f"/incidents/{inc.number}/attachments/", {})
    assert response.status_code == 422 and 'id="id_attachment_file-errors"' in text(response)
    assert not Attachment.objects.exists()
    assert (sorted(store.rglob("*")) if store.exists() else []) == files_before

"""The requester's own tickets: status and the SLA in plain words, visibility, the query budget; adding
information, confirming or reopening (with a required reason that the timeline shows)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opsdesk.core.models import Activity, Attachment
from opsdesk.incidents.choices import IncidentStatus
from opsdesk.incidents.services import incident_act
from tests.pages.helpers import act, fresh, text


def _row(page: str, number: str) -> str:
    match = re.search(rf'<tr data-number="{number}".*?</tr>', page, re.S)
    assert match, number
    return match.group(0)


def test_the_list_says_when_we_will_respond_and_solve(world, login, gold):
    reported = timezone.now() - dt.timedelta(minutes=5)
    inc = world.incident(level=3, reported_at=reported)
    page = text(login(world.requester_a).get("/portal/"))
    row = _row(page, inc.number)
    # (the texts are checked in English: zh-Hans translations of new strings arrive with the .po update)
    assert 'data-metric="response" data-overdue="0"' in row and 'data-metric="resolution" data-overdue="0"' in row
    due = timezone.localtime(reported + dt.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")  # gold L3: respond in 2 h
    assert due in row


def test_an_overdue_response_is_shown_as_overdue(world, login, gold):
    inc = world.incident(level=1, reported_at=timezone.now() - dt.timedelta(hours=1))  # 30 min to respond
    client = login(world.requester_a)
    client.post("/i18n/setlang/", {"language": "en", "next": "/portal/"})
    row = _row(text(client.get("/portal/")), inc.number)
    assert 'data-metric="response" data-overdue="1"' in row and "Our response is overdue" in row
    assert 'data-metric="resolution" data-overdue="0"' in row


def test_the_promise_ends_when_the_clocks_stop(world, login, gold):
    inc = world.incident(level=3)
    incident_act(incident=inc, action="accept", by=world.agent)
    row = _row(text(login(world.requester_a).get("/portal/")), inc.number)
    assert 'data-metric="response"' not in row and 'data-metric="resolution"' in row
    incident_act(incident=fresh(inc), action="resolve", by=world.agent, data={"solution": "已更换硒鼓"})
    row = _row(text(login(world.requester_a).get("/portal/?tab=all")), inc.number)
    assert "sla-promise" not in row and "请确认" in row


def test_english_promises(world, login, gold):
    inc = world.incident(level=3)
    client = login(world.requester_a)
    client.post("/i18n/setlang/", {"language": "en", "next": "/portal/"})
    row = _row(text(client.get("/portal/")), inc.number)
    assert "We will respond by" in row and "We will solve it by" in row


def test_others_tickets_do_not_exist_here(world, login):
    mine = world.incident()
    other = world.incident(requester=world.requester_a2, title="别人的问题")
    client = login(world.requester_a)
    assert client.get(f"/portal/incidents/{other.number}/").status_code == 404
    assert client.post(f"/portal/incidents/{other.number}/rating/", {"score": "5"}).status_code == 404
    assert client.post(f"/portal/incidents/{other.number}/comments/", {"body": "x"}).status_code == 404
    assert "别人的问题" not in text(client.get("/portal/"))
    assert client.get(f"/portal/incidents/{mine.number}/").status_code == 200
    # the organisation's contact sees both
    contact = login(world.contact_a)
    assert contact.get(f"/portal/incidents/{other.number}/").status_code == 200


def test_the_portal_list_costs_the_same_for_few_and_many_tickets(world, login, gold):
    client = login(world.requester_a)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/portal/").status_code == 200
        return len(ctx)

    world.incident(level=3)
    few = count()
    for i in range(12):
        world.incident(level=1 + i % 4, title=f"问题{i}")
    assert count() == few


def test_add_information_from_a_phone(world, login):
    inc = world.incident()
    client = login(world.requester_a)
    page = text(client.get(f"/portal/incidents/{inc.number}/"))
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
    assert "portal.css" in page and 'id="comment-form"' in page and 'id="attachment-form"' in page
    resp = client.post(f"/portal/incidents/{inc.number}/comments/", {"body": "补充：只有三楼打印机有问题"})
    assert resp.status_code == 302
    photo = SimpleUploadedFile("现场照片.jpg", b"\xff\xd8 jpeg", content_type="image/jpeg")
    assert client.post(f"/portal/incidents/{inc.number}/attachments/", {"file": photo}).status_code == 302
    page = text(client.get(f"/portal/incidents/{inc.number}/"))
    assert "补充：只有三楼打印机有问题" in page and "现场照片.jpg" in page
    assert not Attachment.objects.get(name="现场照片.jpg").internal


def _awaiting(world):
    inc = world.incident()
    incident_act(incident=inc, action="accept", by=world.agent)
    incident_act(incident=fresh(inc), action="resolve", by=world.agent, data={"solution": "已清理进纸通道"})
    return fresh(inc)


def test_reopen_needs_a_reason_that_the_timeline_shows(world, login):
    inc = _awaiting(world)
    client = login(world.requester_a)
    page = text(client.get(f"/portal/incidents/{inc.number}/"))
    assert "已清理进纸通道" in page and 'data-action="reopen"' in page and 'data-action="confirm"' in page
    resp = act(client, inc, "reopen", portal=True, reason="  ")
    assert resp.status_code == 422 and fresh(inc).status == IncidentStatus.AWAITING_CONFIRMATION
    assert "id_reopen_reason-errors" in text(resp)
    resp = act(client, inc, "reopen", portal=True, reason="打印还是卡纸")
    assert resp.status_code == 302 and fresh(inc).status == IncidentStatus.IN_PROGRESS
    page = text(client.get(f"/portal/incidents/{inc.number}/"))
    timeline = page[page.index('id="timeline"'):]
    assert "打印还是卡纸" in timeline
    staff = text(login(world.agent).get(f"/incidents/{inc.number}/"))
    assert "打印还是卡纸" in staff[staff.index('id="timeline"'):]


@pytest.mark.parametrize("who", ["requester_a", "contact_a"])
def test_confirm_solved(world, login, who):
    inc = _awaiting(world)
    client = login(getattr(world, who))
    assert act(client, inc, "confirm", portal=True).status_code == 302
    assert fresh(inc).status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED)
    assert Activity.objects.filter(object_id=inc.pk, action="confirm").exists()

"""Errors speak the user's language, schema errors included; tokens remember when they were last used."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from opsdesk.accounts.models import ApiToken
from opsdesk.incidents.models import Incident


def test_schema_errors_are_in_chinese_by_default(api, world):
    resp = api(world.agent).post("/incidents", {"title": "打印机卡纸", "contract": "TAX-2026", "level": "high"})
    assert resp.status_code == 422
    assert resp.json()["error"]["fields"]["level"] in ("请输入整数。", "故障级别必须是 1、2、3 或 4。")
    assert not Incident.objects.exists()


def test_schema_errors_follow_accept_language(api, world):
    resp = api(world.agent).post("/incidents", {"title": "x", "contract": "TAX-2026", "level": "high"},
                                 **{"Accept-Language": "en"})
    message = resp.json()["error"]["fields"]["level"]
    assert resp.status_code == 422 and message.isascii() and "Input should" not in message


def test_missing_body_field_is_required_in_chinese(api, world):
    incident = world.incident()
    resp = api(world.agent).post(f"/incidents/{incident.number}/actions/accept", {"version": "v1"})
    assert resp.status_code == 422
    assert resp.json()["error"]["fields"]["version"] == "请输入整数。"


def test_token_use_is_recorded_at_most_every_five_minutes(api, world):
    client = api(world.agent)
    token = ApiToken.objects.get(user=world.agent)
    assert token.last_used_at is None
    assert client.get("/incidents").status_code == 200
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    client.get("/incidents")
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - dt.timedelta(minutes=6))
    client.get("/incidents")
    assert ApiToken.objects.get(pk=token.pk).last_used_at > timezone.now() - dt.timedelta(minutes=1)

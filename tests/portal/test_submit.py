"""Reporting a problem in the portal: a category from the active ones (nested names shown in full) and
files on the form itself, all or nothing."""

from __future__ import annotations

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from opsdesk.core.models import Attachment
from opsdesk.incidents.choices import Channel
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_category_create
from tests.pages.helpers import text


def _form(**extra):
    return {"contract": "TAX-2026", "title": "打印机卡纸", "level": "4", "description": "三楼打印机卡纸", **extra}


def _files_on_disk(settings) -> list[Path]:
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_form_offers_active_categories_with_their_parent(world, login):
    hardware = incident_category_create(by=None, name="硬件")
    incident_category_create(by=None, name="打印机", parent=hardware)
    old = incident_category_create(by=None, name="传真机", parent=hardware)
    old.is_active = False
    old.save()
    page = text(login(world.requester_a).get("/portal/new/"))
    assert "硬件 / 打印机" in page
    assert "传真机" not in page
    assert 'enctype="multipart/form-data"' in page and 'name="attachments"' in page and "multiple" in page


def test_submit_with_a_category_and_two_files(world, login):
    printer = incident_category_create(by=None, name="打印机", parent=incident_category_create(by=None, name="硬件"))
    client = login(world.requester_a)
    files = [SimpleUploadedFile("报错截图.png", b"\x89PNG fake", content_type="image/png"),
             SimpleUploadedFile("log.txt", "错误日志".encode(), content_type="text/plain")]
    resp = client.post("/portal/new/", _form(category=str(printer.pk), attachments=files))
    assert resp.status_code == 302
    incident = Incident.objects.get()
    assert incident.category == printer and incident.channel == Channel.PORTAL
    assert incident.requester == world.requester_a
    names = sorted(Attachment.objects.filter(object_id=incident.pk).values_list("name", flat=True))
    assert names == ["log.txt", "报错截图.png"]
    detail = text(client.get(resp["Location"]))
    assert "硬件 / 打印机" in detail and "报错截图.png" in detail
    # the files are the requester's own, visible to them and downloadable
    att = Attachment.objects.get(name="log.txt")
    download = client.get(f"/incidents/{incident.number}/attachments/{att.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == "错误日志".encode()


def test_an_empty_file_means_no_incident_and_no_file(world, login, settings):
    before = _files_on_disk(settings)
    files = [SimpleUploadedFile("ok.txt", b"fine"), SimpleUploadedFile("empty.txt", b"")]
    resp = login(world.requester_a).post("/portal/new/", _form(attachments=files))
    assert resp.status_code == 422
    page = text(resp)
    assert "empty.txt: 文件为空。" in page
    assert "打印机卡纸" in page  # what was typed comes back
    assert not Incident.objects.exists() and not Attachment.objects.exists()
    assert _files_on_disk(settings) == before


@override_settings(MAX_ATTACHMENT_BYTES=1024 * 1024)
def test_a_file_over_the_limit_is_refused_with_the_other_errors(world, login):
    big = SimpleUploadedFile("big.bin", b"x" * (1024 * 1024 + 1))
    resp = login(world.requester_a).post("/portal/new/", _form(title="", attachments=[big]))
    assert resp.status_code == 422
    page = text(resp)
    assert "big.bin" in page and "1 MB" in page
    assert "id_title-errors" in page  # the title, reported at the same time
    assert not Incident.objects.exists()


def test_at_most_five_files(world, login):
    files = [SimpleUploadedFile(f"f{i}.txt", b"x") for i in range(6)]
    resp = login(world.requester_a).post("/portal/new/", _form(attachments=files))
    assert resp.status_code == 422 and not Incident.objects.exists()
    assert "5" in text(resp)


def test_an_inactive_or_unknown_category_is_refused(world, login):
    old = incident_category_create(by=None, name="传真机")
    old.is_active = False
    old.save()
    client = login(world.requester_a)
    for value in (str(old.pk), "999999", "abc"):
        resp = client.post("/portal/new/", _form(category=value))
        assert resp.status_code == 422, value
    assert not Incident.objects.exists()


def test_the_english_page_speaks_english(world, login):
    client = login(world.requester_a)
    client.post("/i18n/setlang/", {"language": "en", "next": "/portal/"})
    resp = client.post("/portal/new/", _form(attachments=[SimpleUploadedFile("empty.txt", b"")]))
    assert resp.status_code == 422 and "The file is empty." in text(resp)

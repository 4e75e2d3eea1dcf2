"""mail_ingest over the corpus: the ticket's title, description and comments byte for byte, attachments,
replies, auto-replies and bounces, duplicates, unknown senders and malformed messages."""

from __future__ import annotations

import datetime as dt
import email.utils

import pytest
from django.core import mail
from django.utils import timezone

from opsdesk.accounts.models import RoleGrant, User
from opsdesk.core.models import Attachment, AuditEntry
from opsdesk.incidents.choices import Channel
from opsdesk.incidents.models import Incident
from opsdesk.mailin.choices import Outcome, UnknownSenderPolicy
from opsdesk.mailin.models import InboundMessage
from opsdesk.mailin.services import mail_ingest

from .conftest import comments, eml

pytestmark = pytest.mark.django_db

NEW = [
    ("gb2312_rongji.eml", "打印机故障：朱镕基文集无法打印",
     "您好：\n\n朱镕基文集打印时卡纸，请派人处理。\n\n张三\n办公室"),
    ("gbk_base64.eml", "堃镕喆：系统登录失败", "王堃反映：金税系统登录失败，提示“证书过期”。\n喆"),
    ("gb18030_4byte.eml", "𠮷野家门店网络中断", "𠮷野家门店网络中断，𡈼字号显示为方框。\n€ 收费正常。"),
    ("big5_qp.eml", "印表機無法列印", "三樓印表機無法列印，請協助處理。\n謝謝"),
    ("utf8_qp.eml", "邮件系统收不到外部邮件", "从昨天下午起收不到外部邮件。\n内部邮件正常。"),
    ("utf8_base64.eml", "申报系统响应很慢", "申报系统每次提交要等两分钟。\n影响全科室。"),
    ("rfc2047_mixed.eml", "紧急：社保系統 down since 9:00", "社保系统上午九点起无法访问。"),
    ("label_gb2312_space.eml", "label test gb2312", "镕基同志：扫描仪无法连接。"),
    ("label_x_gbk.eml", "label test x-gbk", "镕基同志：扫描仪无法连接。"),
    ("label_cp936.eml", "label test cp936", "镕基同志：扫描仪无法连接。"),
    ("label_unicode11.eml", "label test unicode-1-1-utf-8", "镕基同志：扫描仪无法连接。"),
    ("label_unknown_gb.eml", "label test x-unknown-chinese", "镕基同志：扫描仪无法连接。"),
    ("label_unknown_big5.eml", "label test x-nonsense", "掃描器無法連線。"),
    ("missing_charset_utf8.eml", "no charset utf8", "缺少字符集的邮件正文"),
    ("missing_charset_gbk.eml", "no charset gbk", "缺少字符集的邮件正文，朱镕基"),
    ("raw_8bit_headers.eml", "未编码的主题：朱镕基", "正文：8 位头部"),
    ("html_only.eml", "网页格式的报修", "您好，\n\n打印机 卡纸了，请<尽快>处理。\n\n三楼\n\n301室"),
    ("no_message_id.eml", "no message id", "没有 Message-ID 的邮件"),
    ("broken_base64.eml", "broken base64", "中文正"),
    ("empty_subject.eml", "第一行就是标题", "第一行就是标题\n第二行"),
    ("not_auto_submitted_no.eml", "自动回复：我正在休假", "我正在休假，11月30日回来。"),
    ("not_auto_response_suppress.eml", "自动回复：我正在休假", "我正在休假，11月30日回来。"),
]


@pytest.mark.parametrize(("name", "title", "description"), NEW, ids=[n for n, _t, _d in NEW])
def test_new_message_opens_an_incident_with_the_exact_text(mailbox, mail_world, name, title, description):
    result = mail_ingest(eml(name), mailbox=mailbox)
    assert result.outcome == Outcome.CREATED, result.reason
    incident = Incident.objects.get(number=result.incident_number)
    assert incident.title == title
    assert incident.description == description
    assert incident.channel == Channel.EMAIL
    assert incident.contract_id == mail_world.contract_a.pk
    expected = mail_world.requester_a2 if name == "rfc2047_mixed.eml" else mail_world.requester_a
    assert incident.requester_id == expected.pk
    assert incident.created_by_id == expected.pk
    record = result.message
    assert record.outcome == Outcome.CREATED and record.incident_id == incident.pk
    assert bytes(InboundMessage.objects.get(pk=record.pk).raw) == eml(name)
    assert result.line == incident.number


def test_from_display_name_in_encoded_words_names_the_new_requester(mailbox, mail_world):
    result = mail_ingest(eml("from_name_utf8_q.eml"), mailbox=mailbox)
    assert result.outcome == Outcome.CREATED
    incident = Incident.objects.get(number=result.incident_number)
    requester = incident.requester
    assert requester.full_name == "王 五(财务处)"
    assert requester.email == "wangwu@tax.example.cn"
    assert requester.organisation_id == mail_world.org_a.pk
    assert RoleGrant.objects.filter(user=requester, contract=mail_world.contract_a, role="requester").exists()
    assert not requester.has_usable_password()
    assert (incident.title, incident.description) == ("报销系统打不开", "报销系统打不开。")
    # the second mail from the same address finds the same person
    second = mail_ingest(eml("from_name_utf8_q.eml").replace(b"from-name-q@", b"from-name-q2@"), mailbox=mailbox)
    assert Incident.objects.get(number=second.incident_number).requester_id == requester.pk
    assert User.objects.filter(email="wangwu@tax.example.cn").count() == 1


def test_attachment_with_rfc2231_chinese_filename(mailbox):
    result = mail_ingest(eml("attachment_rfc2231.eml"), mailbox=mailbox)
    incident = Incident.objects.get(number=result.incident_number)
    (att,) = Attachment.objects.filter(object_id=incident.pk)
    assert att.name == "故障说明（镕）.pdf"
    assert att.content_type_header == "application/pdf"
    with att.file.open("rb") as fh:
        assert fh.read() == b"%PDF-1.4\n% test file\n"
    assert (incident.title, incident.description) == ("附件：故障截图", "见附件。")


def test_attachment_with_rfc2047_filename(mailbox):
    result = mail_ingest(eml("attachment_rfc2047.eml"), mailbox=mailbox)
    incident = Incident.objects.get(number=result.incident_number)
    (att,) = Attachment.objects.filter(object_id=incident.pk)
    assert (att.name, att.size) == ("资产清单.xls", 9)


def test_inline_image_is_kept(mailbox):
    result = mail_ingest(eml("inline_image.eml"), mailbox=mailbox)
    incident = Incident.objects.get(number=result.incident_number)
    assert incident.description == "电脑蓝屏，截图如下。"  # the plain alternative, not the HTML one as well
    (att,) = Attachment.objects.filter(object_id=incident.pk)
    assert att.name == "shot1.png"
    assert att.content_type_header == "image/png"
    with att.file.open("rb") as fh:
        assert fh.read().startswith(b"\x89PNG")


def test_mail_forwarded_as_attachment_stays_one_eml_file(mailbox):
    result = mail_ingest(eml("forwarded_as_attachment.eml"), mailbox=mailbox)
    incident = Incident.objects.get(number=result.incident_number)
    assert (incident.title, incident.description) == ("转发：原来的报修", "请看附件里的邮件。")
    (att,) = Attachment.objects.filter(object_id=incident.pk)
    assert att.name == "原来的报修.eml"
    with att.file.open("rb") as fh:
        inner = fh.read()
    assert inner.startswith(b"From: ") and "里面的正文".encode() in inner


def test_attachment_over_the_size_limit_is_skipped_and_noted(mailbox, settings):
    settings.MAX_ATTACHMENT_BYTES = 10
    result = mail_ingest(eml("attachment_rfc2231.eml"), mailbox=mailbox)
    assert result.outcome == Outcome.CREATED
    assert result.reason.startswith("故障说明（镕）.pdf: ")
    assert not Attachment.objects.exists()


REPLIES = [
    ("reply_subject_number.eml", "已经换了硒鼓，还是不行。"),
    ("reply_references_outlook.eml", "重启后恢复正常，可以关单。"),
    ("reply_zh_wrote.eml", "好的，明天上午在办公室。"),
    ("reply_en_wrote.eml", "Still broken after the update."),
    ("reply_original_message.eml", "见下。"),
]


@pytest.mark.parametrize(("name", "comment"), REPLIES, ids=[n for n, _c in REPLIES])
def test_reply_naming_the_ticket_appends_the_new_text_only(mailbox, mail_world, name, comment):
    incident = mail_world.incident()
    result = mail_ingest(eml(name, number=incident.number), mailbox=mailbox)
    assert result.outcome == Outcome.APPENDED, result.reason
    assert result.incident_number == incident.number
    assert result.line == incident.number
    assert comments(incident) == [comment]
    assert Incident.objects.count() == 1


def test_reply_by_in_reply_to_a_stored_message(mailbox, mail_world):
    first = mail_ingest(eml("utf8_base64.eml"), mailbox=mailbox)
    reply = mail_ingest(eml("reply_in_reply_to_qq.eml"), mailbox=mailbox)
    assert reply.outcome == Outcome.APPENDED
    assert reply.incident_number == first.incident_number
    assert comments(Incident.objects.get(number=first.incident_number)) == ["补充：下午三点以后更慢。"]


def test_reply_to_a_ticket_of_another_contract_opens_a_new_incident(mailbox, mail_world):
    other = mail_world.incident(contract=mail_world.contract_b, requester=mail_world.requester_b,
                                by=mail_world.agent_b)
    result = mail_ingest(eml("reply_zh_wrote.eml", number=other.number), mailbox=mailbox)
    assert result.outcome == Outcome.CREATED
    assert result.incident_number != other.number
    assert comments(other) == []


def test_reply_from_someone_who_may_not_see_the_ticket_is_quarantined(mailbox, mail_world):
    incident = mail_world.incident()
    mail_world.requester_b.email = "qianwu@hrss.example.cn"
    # 钱五 also holds a requester role on contract A, but the ticket is 张三's
    from tests.factories import grant

    grant(mail_world.requester_b, "requester", mail_world.contract_a)
    result = mail_ingest(eml("reply_foreign_sender.eml", number=incident.number), mailbox=mailbox)
    assert result.outcome == Outcome.QUARANTINED
    assert result.reason == f"sender qianwu@hrss.example.cn may not see {incident.number}"
    assert result.line == f"quarantined: sender qianwu@hrss.example.cn may not see {incident.number}"
    assert comments(incident) == []


def test_reply_from_an_unknown_sender_is_quarantined_without_creating_anyone(mailbox, mail_world):
    incident = mail_world.incident()
    raw = eml("reply_zh_wrote.eml", number=incident.number).replace(b"zhangsan@tax.example.cn",
                                                                   b"stranger@else.example")
    users = User.objects.count()
    result = mail_ingest(raw, mailbox=mailbox)
    assert result.outcome == Outcome.QUARANTINED
    assert result.reason == f"unknown sender stranger@else.example replied to {incident.number}"
    assert User.objects.count() == users


AUTO = [
    ("auto_submitted.eml", "auto-reply: Auto-Submitted: auto-replied"),
    ("auto_generated.eml", "auto-reply: Auto-Submitted: auto-generated"),
    ("precedence_bulk.eml", "auto-reply: Precedence: bulk"),
    ("precedence_junk.eml", "auto-reply: Precedence: junk"),
    ("precedence_list.eml", "auto-reply: Precedence: list"),
    ("precedence_auto_reply.eml", "auto-reply: Precedence: auto_reply"),
    ("x_autoreply.eml", "auto-reply: X-Autoreply"),
    ("x_autorespond.eml", "auto-reply: X-Autorespond"),
    ("bounce_dsn.eml", "bounce: multipart/report"),
    ("bounce_mailer_daemon.eml", "bounce: sender mailer-daemon@mx.tax.example.cn"),
    ("bounce_postmaster.eml", "bounce: sender postmaster@tax.example.cn"),
    ("bounce_empty_return_path.eml", "bounce: empty Return-Path"),
]


@pytest.mark.parametrize(("name", "reason"), AUTO, ids=[n for n, _r in AUTO])
def test_auto_replies_and_bounces_are_ignored_and_never_answered(mailbox, mail_world, name, reason,
                                                                django_capture_on_commit_callbacks):
    mailbox.unknown_sender_policy = UnknownSenderPolicy.REJECT
    mailbox.save()
    with django_capture_on_commit_callbacks(execute=True):
        result = mail_ingest(eml(name), mailbox=mailbox)
    assert (result.outcome, result.reason) == (Outcome.IGNORED, reason)
    assert result.line == f"ignored: {reason}"
    assert Incident.objects.count() == 0
    assert mail.outbox == []
    assert InboundMessage.objects.get().outcome == Outcome.IGNORED


@pytest.mark.parametrize("address", [b"helpdesk@opsdesk.example", b"opsdesk@localhost"])
def test_mail_from_our_own_addresses_is_a_loop_and_ignored(mailbox, settings, address):
    settings.DEFAULT_FROM_EMAIL = "OpsDesk <opsdesk@localhost>"
    result = mail_ingest(eml("utf8_qp.eml").replace(b"zhangsan@tax.example.cn", address), mailbox=mailbox)
    assert (result.outcome, result.reason) == (Outcome.IGNORED,
                                               f"loop: sent from OpsDesk's own address {address.decode()}")
    assert Incident.objects.count() == 0 and User.objects.filter(email=address.decode()).count() == 0


def test_duplicate_message_id_does_nothing_else(mailbox, mail_world):
    first = mail_ingest(eml("gb2312_rongji.eml"), mailbox=mailbox)
    audits = AuditEntry.objects.count()
    again = mail_ingest(eml("gb2312_rongji.eml"), mailbox=mailbox)
    assert again.outcome == Outcome.DUPLICATE
    assert again.line == f"duplicate: {first.incident_number}"
    assert Incident.objects.count() == 1
    assert InboundMessage.objects.count() == 1
    assert AuditEntry.objects.count() == audits


def test_duplicate_without_message_id_is_recognised_by_its_bytes(mailbox):
    mail_ingest(eml("no_message_id.eml"), mailbox=mailbox)
    assert mail_ingest(eml("no_message_id.eml"), mailbox=mailbox).outcome == Outcome.DUPLICATE
    changed = eml("no_message_id.eml").replace("邮件".encode(), "信件".encode())
    assert mail_ingest(changed, mailbox=mailbox).outcome == Outcome.CREATED


def test_same_message_for_two_contracts_is_two_tickets(mail_world, mailbox):
    mail_world.requester_b.email = "zhangsan@tax.example.cn"
    mail_world.requester_b.save()
    a = mail_ingest(eml("utf8_qp.eml"), contract=mail_world.contract_a)
    b = mail_ingest(eml("utf8_qp.eml"), contract=mail_world.contract_b)
    assert (a.outcome, b.outcome) == (Outcome.CREATED, Outcome.CREATED)
    assert Incident.objects.get(number=b.incident_number).requester_id == mail_world.requester_b.pk


MALFORMED = [
    ("malformed_no_from.eml", "malformed: no From header"),
    ("malformed_from_no_address.eml", "malformed: the From header has no valid address"),
    ("malformed_garbage.eml", "malformed: no headers"),
    ("malformed_empty.eml", "malformed: empty message"),
]


@pytest.mark.parametrize(("name", "reason"), MALFORMED, ids=[n for n, _r in MALFORMED])
def test_malformed_messages_are_quarantined_with_the_reason_and_kept(mailbox, name, reason):
    result = mail_ingest(eml(name), mailbox=mailbox)
    assert (result.outcome, result.reason) == (Outcome.QUARANTINED, reason)
    assert result.line == f"quarantined: {reason}"
    record = InboundMessage.objects.get()
    assert bytes(record.raw) == eml(name)
    assert Incident.objects.count() == 0


def test_too_large_message_is_quarantined(mailbox, settings):
    settings.OPSDESK_MAIL_MAX_BYTES = 100
    raw = eml("gb2312_rongji.eml")
    result = mail_ingest(raw, mailbox=mailbox)
    assert result.outcome == Outcome.QUARANTINED
    assert result.reason == f"message too large: {len(raw)} bytes (limit 100)"
    assert result.message.sender == "zhangsan@tax.example.cn"
    assert result.message.subject == "打印机故障：朱镕基文集无法打印"


def test_plausible_date_header_becomes_the_report_time(mailbox):
    sent = timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)
    raw = eml("utf8_qp.eml").replace(b"Date: Sun, 22 Nov 2026 10:00:00 +0800",
                                     f"Date: {email.utils.format_datetime(sent)}".encode())
    incident = Incident.objects.get(number=mail_ingest(raw, mailbox=mailbox).incident_number)
    assert incident.reported_at == sent


def test_implausible_date_header_is_not_used(mailbox):
    raw = eml("utf8_qp.eml").replace(b"Date: Sun, 22 Nov 2026 10:00:00 +0800", b"Date: Mon, 1 Jan 2035 00:00:00 +0000")
    before = timezone.now()
    incident = Incident.objects.get(number=mail_ingest(raw, mailbox=mailbox).incident_number)
    assert before <= incident.reported_at <= timezone.now()


def test_each_ingest_is_audited(mailbox):
    result = mail_ingest(eml("utf8_qp.eml"), mailbox=mailbox)
    entry = AuditEntry.objects.filter(action="mail.ingest").get()
    assert entry.object_id == str(result.message.pk)
    assert entry.after["outcome"] == "created"


def test_sender_without_the_right_to_report_is_quarantined(mailbox, mail_world):
    # a problem reviewer may not log incidents: the service's refusal becomes the quarantine reason
    from tests.factories import UserFactory, grant

    reviewer = grant(UserFactory(username="rev", email="rev@opsdesk.example"), "reviewer", mail_world.contract_a)
    raw = eml("utf8_qp.eml").replace(b"zhangsan@tax.example.cn", reviewer.email.encode())
    result = mail_ingest(raw, mailbox=mailbox)
    assert result.outcome == Outcome.QUARANTINED
    assert "contract" in result.reason
    assert Incident.objects.count() == 0
    assert bytes(InboundMessage.objects.get().raw) == raw

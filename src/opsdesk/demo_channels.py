"""The demo's e-mail and hotline records: a service mailbox on the tax bureau's contract with a few messages
taken in through the real intake (a GBK-encoded request, a reply to a ticket, an out-of-office reply, a message
for quarantine), and a few hotline calls with the agent's notes. Everything goes through the services, so the
pages show exactly what production would."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING

from opsdesk.incidents.choices import CallOutcome, Channel, IncidentStatus
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import call_record_create, incident_create
from opsdesk.mailin.choices import Security, UnknownSenderPolicy
from opsdesk.mailin.services import mail_ingest, mailbox_create

if TYPE_CHECKING:
    from .demo import World

MAIL_CONTRACT = "TAX-2026"
MAILBOX = "helpdesk@tax-ops.example.cn"
OPEN_FOR_REPLIES = (IncidentStatus.NEW, IncidentStatus.ACCEPTED, IncidentStatus.IN_PROGRESS, IncidentStatus.ESCALATED,
                    IncidentStatus.ON_HOLD, IncidentStatus.AWAITING_CONFIRMATION)


def _message(*, sender: str, subject: str, body: str, at: dt.datetime, charset: str = "utf-8",
             headers: dict[str, str] | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, MAILBOX, subject
    msg["Date"] = format_datetime(at)
    msg["Message-ID"] = make_msgid(domain="mail.demo.example.cn")
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body, charset=charset)
    return msg.as_bytes()


def build_channels(world: World, now: dt.datetime) -> None:
    crew = world.contracts[MAIL_CONTRACT]
    admin, agent = world.users["sysadmin"], world.users["agent"]
    mailbox = mailbox_create(by=admin, contract=crew.contract, data={
        "name": "税务局运维服务邮箱", "address": MAILBOX, "imap_host": "imap.tax-ops.example.cn", "imap_port": 993,
        "security": Security.SSL, "username": MAILBOX, "password": "demo-not-polled", "folder": "INBOX",
        "enabled": False, "unknown_sender_policy": UnknownSenderPolicy.CREATE_REQUESTER})

    # A requester with work in progress on the contract writes in (the first requester when none has).
    open_ticket = (Incident.objects.filter(contract=crew.contract, status__in=OPEN_FOR_REPLIES)
                   .select_related("requester").order_by("-id").first())
    if open_ticket is None:  # a small demo may have none open there: the requester reports one on the portal
        first = world.requesters["tax"][0]
        open_ticket = incident_create(by=first, contract=crew.contract, requester=first, channel=Channel.PORTAL,
                                      title="电子税务局登录后页面空白",
                                      description="今天上午开始登录后页面空白，刷新无效。")
    requester = open_ticket.requester or world.requesters["tax"][0]
    requester.email = requester.email or f"{requester.username}@tax.demo.example.cn"
    requester.save(update_fields=["email"])
    sender = f"{requester.full_name} <{requester.email}>"
    mail_ingest(_message(sender=sender, subject="办公室打印机卡纸，无法打印纳税申报表",
                         body="您好：\n\n三楼办税服务厅的打印机（爱普生 LQ-630K）从今天上午开始卡纸，\n"
                              "取出纸张后仍提示缺纸，影响纳税申报表打印，请尽快派人处理。\n\n"
                              "朱镕基路 88 号 税务局办公室",
                         at=now - dt.timedelta(hours=3), charset="gbk"), mailbox=mailbox)
    if open_ticket is not None:
        mail_ingest(_message(sender=sender, subject=f"回复：[{open_ticket.number}] {open_ticket.title}",
                             body="补充一下：重启电脑后问题依旧，截图稍后发给你们。\n\n"
                                  "------------------ 原始邮件 ------------------\n"
                                  "发件人: 服务台\n我们已受理您的问题。",
                             at=now - dt.timedelta(hours=2)), mailbox=mailbox)
    mail_ingest(_message(sender=sender, subject="自动回复：办公室打印机卡纸", body="我正在休假，11 月 30 日返回。",
                         at=now - dt.timedelta(hours=1), headers={"Auto-Submitted": "auto-replied"}), mailbox=mailbox)
    if open_ticket is not None:
        mail_ingest(_message(sender="某公司 <someone@partner.example.com>",
                             subject=f"Re: [{open_ticket.number}] {open_ticket.title}",
                             body="请问这个问题处理到哪一步了？", at=now - dt.timedelta(minutes=40)), mailbox=mailbox)

    phone = requester.phone or "13800000000"
    call_record_create(by=agent, outcome=CallOutcome.ANSWERED, contract=crew.contract, phone=phone,
                       caller=requester, notes="询问电子税务局证书驱动的下载地址，已在电话中告知，用户安装成功。",
                       started_at=now - dt.timedelta(minutes=50), ended_at=now - dt.timedelta(minutes=46))
    if open_ticket is not None:
        call_record_create(by=agent, outcome=CallOutcome.FOLLOW_UP, incident=open_ticket, phone=phone,
                           caller=requester, notes="用户来电催办，已告知工程师今天下午到场。",
                           started_at=now - dt.timedelta(minutes=20), ended_at=now - dt.timedelta(minutes=18))

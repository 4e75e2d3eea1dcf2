"""Writes the test corpus tests/mailin/corpus/*.eml, byte for byte reproducibly: `python tests/mailin/make_corpus.py`.

The messages are built by hand (not by the email package, which would re-encode them) so that each one has
exactly the encoding it is meant to test. Ticket numbers in replies are INC-20261122-0001: the tests replace
that text with the number of the incident they created (same length).
"""

from __future__ import annotations

import base64
import quopri
import random
import urllib.parse
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"
DATE = "Sun, 22 Nov 2026 10:00:00 +0800"
TICKET = "INC-20261122-0001"
INLINE_HTML = '<p>电脑蓝屏，截图如下。</p><img src="cid:shot1@qq.com">'


def codec(label: str) -> str:
    """What senders really encode with: mail labelled gb2312 or gbk is written by a GBK/GB18030 encoder."""
    return {"gb2312": "gb18030", "gbk": "gb18030"}.get(label.lower(), label)


def b64(text: str, charset: str) -> str:
    return base64.b64encode(text.encode(codec(charset))).decode()


def word(text: str, charset: str = "utf-8", encoding: str = "B") -> str:
    """An RFC 2047 encoded word."""
    if encoding == "B":
        return f"=?{charset}?B?{b64(text, charset)}?="
    data = "".join(chr(b) if chr(b).isalnum() and b < 128 else "_" if b == 32 else f"={b:02X}"
                   for b in text.encode(codec(charset)))
    return f"=?{charset}?Q?{data}?="


def wrap(data: str, width: int = 76) -> str:
    return "\r\n".join(data[i:i + width] for i in range(0, len(data), width))


def pct(text: str) -> str:
    """RFC 2231 %-encoding of GB18030 bytes (what a gb2312-labelled filename* really holds)."""
    return urllib.parse.quote(text.encode("gb18030"), safe="")


def qp(text: str, charset: str) -> str:
    return quopri.encodestring(text.replace("\n", "\r\n").encode(charset)).decode()


def message(headers: list[tuple[str, str]], body: bytes | str, *, raw_headers: bytes = b"") -> bytes:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers).encode("ascii")
    if isinstance(body, str):
        body = body.encode("ascii")
    return head + raw_headers + b"\r\n" + body


def base(msgid: str, subject: str, *, sender: str = "张三 <zhangsan@tax.example.cn>",
         extra: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    name, _sep, address = sender.partition(" <")
    from_value = f"{word(name, 'utf-8')} <{address}" if name and not name.isascii() else sender
    return [("From", from_value), ("To", "helpdesk@opsdesk.example"), ("Subject", subject), ("Date", DATE),
            ("Message-ID", f"<{msgid}@tax.example.cn>"),
            ("MIME-Version", "1.0"), *(extra or [])]


def text_part(ctype: str, cte: str) -> list[tuple[str, str]]:
    return [("Content-Type", ctype), ("Content-Transfer-Encoding", cte)]


def build() -> dict[str, bytes]:
    m: dict[str, bytes] = {}
    body_rongji = "您好：\n\n朱镕基文集打印时卡纸，请派人处理。\n\n张三\n办公室"
    m["gb2312_rongji.eml"] = message(
        base("gb2312-rongji", word("打印机故障：朱镕基文集无法打印", "gb2312"),
             extra=text_part("text/plain; charset=gb2312", "8bit")),
        body_rongji.replace("\n", "\r\n").encode("gb18030"))
    m["gbk_base64.eml"] = message(
        base("gbk-b64", word("堃镕喆：系统登录失败", "gbk"), extra=text_part("text/plain; charset=GBK", "base64")),
        wrap(b64("王堃反映：金税系统登录失败，提示“证书过期”。\n喆", "gbk").replace("\n", "")))
    m["gb18030_4byte.eml"] = message(
        base("gb18030-4byte", word("𠮷野家门店网络中断", "gb18030"),
             extra=text_part("text/plain; charset=gb18030", "base64")),
        wrap(b64("𠮷野家门店网络中断，𡈼字号显示为方框。\r\n€ 收费正常。", "gb18030")))
    m["big5_qp.eml"] = message(
        base("big5-qp", word("印表機無法列印", "big5"),
             extra=text_part("text/plain; charset=big5", "quoted-printable")),
        qp("三樓印表機無法列印，請協助處理。\n謝謝", "big5"))
    m["utf8_qp.eml"] = message(
        base("utf8-qp", word("邮件系统收不到外部邮件", "utf-8", "Q"),
             extra=text_part("text/plain; charset=utf-8", "quoted-printable")),
        qp("从昨天下午起收不到外部邮件。\n内部邮件正常。", "utf-8"))
    m["utf8_base64.eml"] = message(
        base("utf8-b64", word("申报系统响应很慢", "utf-8"), extra=text_part('text/plain; charset="UTF-8"', "base64")),
        wrap(b64("申报系统每次提交要等两分钟。\n影响全科室。", "utf-8")))
    mixed_subject = (f"{word('紧急：', 'gb2312')} {word('社保', 'utf-8', 'Q')}\r\n {word('系統', 'big5')}"
                     " down since 9:00")
    m["rfc2047_mixed.eml"] = message(
        [("From", f'"{word("李四", "gb2312")}" <LiSi@Tax.Example.CN>'), ("To", "helpdesk@opsdesk.example"),
         ("Subject", mixed_subject), ("Date", DATE), ("Message-ID", "<rfc2047-mixed@tax.example.cn>"),
         ("MIME-Version", "1.0"), *text_part("text/plain; charset=utf-8", "8bit")],
        "社保系统上午九点起无法访问。".encode())
    m["from_name_utf8_q.eml"] = message(
        [("From", f"{word('王 五', 'utf-8', 'Q')} {word('(财务处)', 'gb2312')} <wangwu@tax.example.cn>"),
         ("To", "helpdesk@opsdesk.example"), ("Subject", word("报销系统打不开", "gb2312")), ("Date", DATE),
         ("Message-ID", "<from-name-q@tax.example.cn>"), ("MIME-Version", "1.0"),
         *text_part("text/plain; charset=gb2312", "base64")],
        wrap(b64("报销系统打不开。", "gb18030")))
    for name, label, charset in (("label_gb2312_space.eml", '"gb2312 "', "gb18030"),
                                 ("label_x_gbk.eml", "x-gbk", "gb18030"),
                                 ("label_cp936.eml", "cp936", "gb18030"),
                                 ("label_unicode11.eml", "unicode-1-1-utf-8", "utf-8"),
                                 ("label_unknown_gb.eml", "x-unknown-chinese", "gb18030"),
                                 ("label_unknown_big5.eml", "x-nonsense", "big5")):
        text = "镕基同志：扫描仪无法连接。" if charset != "big5" else "掃描器無法連線。"
        m[name] = message(base(name[:-4].replace("_", "-"), f"label test {label.strip(chr(34))}",
                               extra=text_part(f"text/plain; charset={label}", "8bit")),
                          text.encode(charset))
    m["missing_charset_utf8.eml"] = message(
        base("missing-utf8", "no charset utf8", extra=text_part("text/plain", "8bit")), "缺少字符集的邮件正文".encode())
    m["missing_charset_gbk.eml"] = message(
        base("missing-gbk", "no charset gbk", extra=text_part("text/plain", "8bit")),
        "缺少字符集的邮件正文，朱镕基".encode("gb18030"))
    m["raw_8bit_headers.eml"] = message(
        [*base("raw-8bit", "x", extra=text_part("text/plain; charset=gbk", "8bit"))[:2], ("Date", DATE),
         ("Message-ID", "<raw-8bit@tax.example.cn>"), ("MIME-Version", "1.0"),
         ("Content-Type", "text/plain; charset=gbk")],
        "正文：8 位头部".encode("gb18030"), raw_headers="Subject: 未编码的主题：朱镕基\r\n".encode("gb18030"))
    m["html_only.eml"] = message(
        base("html-only", word("网页格式的报修", "utf-8"),
             extra=text_part("text/html; charset=gb2312", "quoted-printable")),
        qp("<html><head><title>标题不要</title><style>p{color:red}</style>"
           "<script>alert('x')</script></head><body><p>您好，</p><div>打印机&nbsp;<b>卡纸</b>了，"
           "请&lt;尽快&gt;处理。</div><br><ul><li>三楼</li><li>301室</li></ul></body></html>", "gb18030"))
    boundary = "----=_Part_0_1234"
    pdf = b"%PDF-1.4\n% test file\n"
    m["attachment_rfc2231.eml"] = message(
        base("att-2231", word("附件：故障截图", "utf-8"),
             extra=[("Content-Type", f'multipart/mixed; boundary="{boundary}"')]),
        (f"--{boundary}\r\n"
         "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
         f"{b64('见附件。', 'utf-8')}\r\n"
         f"--{boundary}\r\n"
         "Content-Type: application/pdf\r\n"
         "Content-Disposition: attachment;\r\n"
         f" filename*0*=gb2312''{pct('故障')};\r\n"
         f" filename*1*={pct('说明（镕）.pdf')}\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\n"
         f"{base64.b64encode(pdf).decode()}\r\n"
         f"--{boundary}--\r\n"))
    m["attachment_rfc2047.eml"] = message(
        base("att-2047", "attachment 2047", extra=[("Content-Type", f'multipart/mixed; boundary="{boundary}"')]),
        (f"--{boundary}\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n\r\n"
         "see attachment\r\n"
         f"--{boundary}\r\n"
         f'Content-Type: application/vnd.ms-excel; name="{word("资产清单.xls", "gbk")}"\r\n'
         f'Content-Disposition: attachment; filename="{word("资产清单.xls", "gbk")}"\r\n'
         "Content-Transfer-Encoding: base64\r\n\r\n"
         f"{base64.b64encode(b'xls bytes').decode()}\r\n"
         f"--{boundary}--\r\n"))
    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"
                           "AAAABJRU5ErkJggg==")
    alt, rel = "----=_Alt_1", "----=_Rel_1"
    m["inline_image.eml"] = message(
        base("inline-img", word("蓝屏截图", "utf-8"), extra=[("Content-Type", f'multipart/related; boundary="{rel}"')]),
        (f"--{rel}\r\n"
         f'Content-Type: multipart/alternative; boundary="{alt}"\r\n\r\n'
         f"--{alt}\r\n"
         "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
         f"{b64('电脑蓝屏，截图如下。', 'utf-8')}\r\n"
         f"--{alt}\r\n"
         "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
         f"{b64(INLINE_HTML, 'utf-8')}\r\n"
         f"--{alt}--\r\n"
         f"--{rel}\r\n"
         "Content-Type: image/png\r\nContent-ID: <shot1@qq.com>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
         f"{base64.b64encode(png).decode()}\r\n"
         f"--{rel}--\r\n"))
    # --- replies (INC-20261122-0001 is replaced by the tests) ---
    reply_headers = text_part("text/plain; charset=utf-8", "8bit")
    m["reply_subject_number.eml"] = message(
        base("reply-subject", f"Re: [{TICKET}] {word('打印机故障', 'utf-8')}", extra=reply_headers),
        ("已经换了硒鼓，还是不行。\r\n\r\n> 请先更换硒鼓试试。\r\n> 服务台\r\n\r\n"
         "-----原始邮件-----\r\n发件人: 服务台\r\n主题: 打印机故障\r\n\r\n请先更换硒鼓试试。\r\n").encode())
    m["reply_in_reply_to_qq.eml"] = message(
        base("reply-irt", word("回复：申报系统响应很慢", "utf-8"),
             extra=[*reply_headers, ("In-Reply-To", "<utf8-b64@tax.example.cn>")]),
        ("补充：下午三点以后更慢。\r\n\r\n\r\n"
         "------------------&nbsp;原始邮件&nbsp;------------------\r\n"
         "------------------ 原始邮件 ------------------\r\n"
         "发件人: \"张三\"<zhangsan@tax.example.cn>;\r\n发送时间: 2026年11月22日(星期日) 上午10:00\r\n\r\n"
         "申报系统每次提交要等两分钟。\r\n").encode())
    m["reply_references_outlook.eml"] = message(
        base("reply-refs", word("答复: 系统问题", "gb2312"),
             extra=[("Content-Type", "text/plain; charset=gb2312"), ("Content-Transfer-Encoding", "base64"),
                    ("References", f"<{TICKET}@opsdesk.example>\r\n <{TICKET}.n42@opsdesk.example>")]),
        wrap(b64("重启后恢复正常，可以关单。\r\n\r\n"
                 "发件人: 服务台 [mailto:helpdesk@opsdesk.example]\r\n发送时间: 2026年11月22日 10:00\r\n"
                 "收件人: 张三\r\n主题: 系统问题\r\n\r\n请重启试试。\r\n", "gb18030")))
    m["reply_zh_wrote.eml"] = message(
        base("reply-zh-wrote", f"Re: {TICKET}", extra=reply_headers),
        ("好的，明天上午在办公室。\r\n\r\n在 2026年11月20日 周五 10:00，服务台 <helpdesk@opsdesk.example>\r\n"
         "写道：\r\n\r\n"
         "> 请问明天是否方便上门？\r\n").encode())
    m["reply_en_wrote.eml"] = message(
        base("reply-en-wrote", f"RE: ticket {TICKET}", extra=reply_headers),
        (b"Still broken after the update.\r\n\r\nOn Fri, Nov 20, 2026 at 10:00 AM Helpdesk "
         b"<helpdesk@opsdesk.example> "
         b"wrote:\r\n> Please install the update.\r\n"))
    m["reply_original_message.eml"] = message(
        base("reply-orig", f"FW: {TICKET}", extra=reply_headers),
        ("见下。\r\n\r\n-----Original Message-----\r\nFrom: Helpdesk\r\nSent: Friday\r\n\r\nold text\r\n").encode())
    m["reply_foreign_sender.eml"] = message(
        base("reply-foreign", f"Re: {TICKET}", sender="钱五 <qianwu@hrss.example.cn>", extra=reply_headers),
        "我也有这个问题。".encode())
    # --- auto-replies and bounces ---
    auto = {
        "auto_submitted.eml": ("Auto-Submitted", "auto-replied"),
        "auto_generated.eml": ("Auto-Submitted", "auto-generated"),
        "precedence_bulk.eml": ("Precedence", "bulk"),
        "precedence_junk.eml": ("Precedence", "junk"),
        "precedence_list.eml": ("Precedence", "list"),
        "precedence_auto_reply.eml": ("Precedence", "auto_reply"),
        "x_autoreply.eml": ("X-Autoreply", "yes"),
        "x_autorespond.eml": ("X-Autorespond", "Out of office"),
        "not_auto_submitted_no.eml": ("Auto-Submitted", "no"),
        "not_auto_response_suppress.eml": ("X-Auto-Response-Suppress", "All"),
    }
    for name, header in auto.items():
        m[name] = message(base(name[:-4].replace("_", "-"), word("自动回复：我正在休假", "utf-8"),
                               extra=[*reply_headers, header]), "我正在休假，11月30日回来。".encode())
    m["bounce_dsn.eml"] = message(
        [("Return-Path", "<>"), ("From", "Mail Delivery System <MAILER-DAEMON@mx.tax.example.cn>"),
         ("To", "helpdesk@opsdesk.example"), ("Subject", "Undelivered Mail Returned to Sender"), ("Date", DATE),
         ("Message-ID", "<bounce-dsn@mx.tax.example.cn>"), ("MIME-Version", "1.0"),
         ("Content-Type", 'multipart/report; report-type=delivery-status; boundary="dsn"')],
        ("--dsn\r\nContent-Type: text/plain\r\n\r\nThis is the mail system.\r\n"
         "--dsn\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.tax.example.cn\r\n\r\n"
         "Final-Recipient: rfc822; nobody@tax.example.cn\r\nAction: failed\r\nStatus: 5.1.1\r\n"
         "--dsn--\r\n"))
    m["bounce_mailer_daemon.eml"] = message(
        [("From", "MAILER-DAEMON@mx.tax.example.cn"), ("To", "helpdesk@opsdesk.example"),
         ("Subject", "failure notice"), ("Date", DATE), ("Message-ID", "<bounce-md@mx.tax.example.cn>")],
        "Sorry, we were unable to deliver your message.\r\n")
    m["bounce_postmaster.eml"] = message(
        [("From", "Postmaster <postmaster@tax.example.cn>"), ("To", "helpdesk@opsdesk.example"),
         ("Subject", "Delivery failure"), ("Date", DATE), ("Message-ID", "<bounce-pm@tax.example.cn>")],
        "Delivery failed.\r\n")
    m["bounce_empty_return_path.eml"] = message(
        [("Return-Path", "<>"), ("From", "zhangsan@tax.example.cn"), ("To", "helpdesk@opsdesk.example"),
         ("Subject", "returned"), ("Date", DATE), ("Message-ID", "<bounce-rp@tax.example.cn>")],
        "returned\r\n")
    # --- malformed ---
    m["malformed_no_from.eml"] = message(
        [("To", "helpdesk@opsdesk.example"), ("Subject", "no from"), ("Date", DATE),
         ("Message-ID", "<no-from@tax.example.cn>")], "who sent this?\r\n")
    m["malformed_from_no_address.eml"] = message(
        [("From", word("张三", "utf-8")), ("To", "helpdesk@opsdesk.example"), ("Subject", "no address"),
         ("Date", DATE), ("Message-ID", "<no-address@tax.example.cn>")], "no address\r\n")
    rng = random.Random(20261122)
    m["malformed_garbage.eml"] = bytes(rng.randrange(256) for _ in range(2048))
    m["malformed_empty.eml"] = b""
    m["no_message_id.eml"] = message(
        [("From", "zhangsan@tax.example.cn"), ("To", "helpdesk@opsdesk.example"), ("Subject", "no message id"),
         ("Date", DATE), ("Content-Type", "text/plain; charset=utf-8")], "没有 Message-ID 的邮件".encode())
    m["broken_base64.eml"] = message(
        base("broken-b64", "broken base64", extra=text_part("text/plain; charset=utf-8", "base64")),
        b64("中文正文", "utf-8")[:-3] + "!!\r\n")
    inner = message(base("inner-original", word("原来的报修", "utf-8"), extra=reply_headers), "里面的正文".encode())
    m["forwarded_as_attachment.eml"] = message(
        base("fwd-attached", word("转发：原来的报修", "utf-8"),
             extra=[("Content-Type", f'multipart/mixed; boundary="{boundary}"')]),
        (f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n".encode() + "请看附件里的邮件。\r\n".encode()
         + f"--{boundary}\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n".encode()
         + inner + f"\r\n--{boundary}--\r\n".encode()))
    m["empty_subject.eml"] = message(
        base("empty-subject", "", extra=reply_headers), "\r\n\r\n第一行就是标题\r\n第二行".encode())
    return m


def main() -> None:
    CORPUS.mkdir(exist_ok=True)
    for name, data in sorted(build().items()):
        (CORPUS / name).write_bytes(data)
    print(f"wrote {len(build())} messages to {CORPUS}")


if __name__ == "__main__":
    main()

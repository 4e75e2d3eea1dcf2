"""The pure parsing functions: charsets, encoded words, quoted history, HTML, auto-reply detection."""

from __future__ import annotations

import base64

import pytest

from opsdesk.mailin import parsing
from opsdesk.mailin.parsing import (
    charset_candidates,
    decode_bytes,
    decode_header_value,
    html_to_text,
    message_ids,
    parse_address,
    parse_message,
    strip_quoted,
    ticket_number_in_message_id,
    ticket_number_in_subject,
)

RONGJI_GB = "朱镕基".encode("gb18030")


@pytest.mark.parametrize("label", ["gb2312", "GB2312", "gb2312 ", '"gb2312"', "gbk", "x-gbk", "cp936", "GB18030",
                                   "euc-cn", "csGB2312", "windows-936"])
def test_gb_labels_are_decoded_as_gb18030(label):
    assert charset_candidates(label)[0] == "gb18030"
    assert decode_bytes(RONGJI_GB, label) == "朱镕基"


def test_python_gb2312_alone_would_garble_rongji():
    # the reason for the rule above: 镕 is not in GB2312
    with pytest.raises(UnicodeDecodeError):
        RONGJI_GB.decode("gb2312")


@pytest.mark.parametrize(("label", "data", "text"), [
    ("unicode-1-1-utf-8", "你好".encode(), "你好"),
    ("utf8", "你好".encode(), "你好"),
    ("big5", "臺灣".encode("big5"), "臺灣"),
    ("x-unknown", "你好".encode(), "你好"),
    ("x-unknown", "朱镕基".encode("gb18030"), "朱镕基"),
    ("", "掃描器無法連線。".encode("big5"), "掃描器無法連線。"),
    (None, "朱镕基".encode("gb18030"), "朱镕基"),
    ("us-ascii", "朱镕基".encode("gb18030"), "朱镕基"),  # 8-bit bytes under an ASCII label: trial
    ("iso-8859-1", "你好".encode(), "你好"),  # mislabelled UTF-8
    ("iso-8859-1", "café".encode("latin-1"), "café"),
    ("base64", "你好".encode(), "你好"),  # not a text encoding: unknown
    ("gb\x002312", "你好".encode(), "你好"),
])
def test_labels_and_trial_decoding(label, data, text):
    assert decode_bytes(data, label) == text


def test_decode_bytes_never_raises():
    assert isinstance(decode_bytes(bytes(range(256)), "utf-8"), str)


def _w(text: str, charset: str) -> str:
    codec = "gb18030" if charset.lower() in ("gb2312", "gbk") else charset
    return f"=?{charset}?B?{base64.b64encode(text.encode(codec)).decode()}?="


def test_encoded_words_several_and_mixed_charsets():
    value = f"{_w('朱镕基', 'gb2312')} {_w('同志', 'utf-8')}\r\n {_w('臺灣', 'big5')} and plain"
    assert decode_header_value(value) == "朱镕基同志臺灣 and plain"


def test_q_encoded_word_and_language_suffix():
    assert decode_header_value("=?utf-8?Q?=E4=BD=A0_=E5=A5=BD?=") == "你 好"
    assert decode_header_value(f"=?gb2312*zh?B?{base64.b64encode(RONGJI_GB).decode()}?=") == "朱镕基"


def test_broken_encoded_word_stays_as_written():
    assert decode_header_value("=?utf-8?B?***?=") == "=?utf-8?B?***?="


def test_raw_8bit_header_is_decoded_by_trial():
    raw = "主题：朱镕基".encode("gb18030").decode("ascii", "surrogateescape")
    assert decode_header_value(raw) == "主题：朱镕基"


@pytest.mark.parametrize(("value", "expected"), [
    (f'"{_w("张三", "gb2312")}" <ZhangSan@Tax.Example.CN>', ("张三", "zhangsan@tax.example.cn")),
    (f"{_w('张三', 'utf-8')} <z@x.cn>", ("张三", "z@x.cn")),
    ("z@x.cn", ("", "z@x.cn")),
    ("张三", ("", "")),
    ("<>", ("", "")),
])
def test_parse_address(value, expected):
    assert parse_address(value) == expected


def test_message_ids_and_ticket_numbers():
    assert message_ids("<a@b> <INC-20261122-0001.n42@opsdesk.example>\r\n <c@d>") == [
        "a@b", "INC-20261122-0001.n42@opsdesk.example", "c@d"]
    assert ticket_number_in_message_id("INC-20261122-0001.n42@opsdesk.example") == "INC-20261122-0001"
    assert ticket_number_in_message_id("INC-20261122-0001@opsdesk.example") == "INC-20261122-0001"
    assert ticket_number_in_message_id("INC-20261122-00012@x") == "INC-20261122-00012"
    assert ticket_number_in_message_id("x.INC-20261122-0001@opsdesk.example") == ""
    assert ticket_number_in_message_id("INC-20261122-0001-abc@x") == ""
    assert ticket_number_in_subject("回复：[INC-20261122-0042] 打印机") == "INC-20261122-0042"
    assert ticket_number_in_subject("XINC-20261122-0042") == ""


@pytest.mark.parametrize(("text", "expected"), [
    ("新内容\n> 旧的\n>> 更旧", "新内容"),
    ("新内容\n\n-----原始邮件-----\n发件人: a", "新内容"),
    ("新内容\n------------------ 原始邮件 ------------------\n发件人: a", "新内容"),
    ("新内容\n------------------&nbsp;原始邮件&nbsp;------------------\nold", "新内容"),
    ("new\n-----Original Message-----\nFrom: a", "new"),
    ("新内容\n\n发件人: 服务台 [mailto:a@b]\n发送时间: 2026年11月20日 10:00\n收件人: 张三\n主题: x\n\nold", "新内容"),
    ("new\n\nFrom: Helpdesk\nSent: Friday, November 20, 2026 10:00 AM\nTo: x\n\nold", "new"),
    ("新内容\n\n在 2026年11月20日 周五 10:00，服务台 <a@b> 写道：\n> old", "新内容"),
    ("新内容\n\n在 2026年11月20日 周五 10:00，服务台 <a@b>\n写道：\nold", "新内容"),
    ("new\n\nOn Fri, Nov 20, 2026 at 10:00 AM Helpdesk <a@b> wrote:\n> old", "new"),
    ("new\n\nOn Fri, Nov 20, 2026 at 10:00 AM Helpdesk\n<a@b> wrote:\nold", "new"),
    ("From: is mentioned here but no sent line follows\nsecond line", "From: is mentioned here but no sent line "
                                                                     "follows\nsecond line"),
    ("在办公室等你", "在办公室等你"),
])
def test_strip_quoted(text, expected):
    assert strip_quoted(text) == expected


def test_html_to_text_drops_scripts_and_styles_and_keeps_blocks():
    html = ("<html><head><title>t</title><style>p{}</style><script>var a='<p>x</p>';</script></head>"
            "<body><p>第一段&amp;</p><div>第二段<br>换行</div><table><tr><td>a</td><td>b</td></tr></table>"
            "<script>alert(1)</script></body></html>")
    assert html_to_text(html) == "第一段&\n\n第二段\n换行\n\na\tb"


AUTO_HEADERS = [
    ("Auto-Submitted: auto-replied", "auto-reply: Auto-Submitted: auto-replied"),
    ("Auto-Submitted: auto-notified; owner-email=x@y", "auto-reply: Auto-Submitted: auto-notified; owner-email=x@y"),
    ("Precedence: bulk", "auto-reply: Precedence: bulk"),
    ("Precedence: JUNK", "auto-reply: Precedence: junk"),
    ("Precedence: list", "auto-reply: Precedence: list"),
    ("Precedence: auto_reply", "auto-reply: Precedence: auto_reply"),
    ("X-Autoreply: yes", "auto-reply: X-Autoreply"),
    ("X-Autorespond: yes", "auto-reply: X-Autorespond"),
    ("Return-Path: <>", "bounce: empty Return-Path"),
    ("Auto-Submitted: no", ""),
    ("X-Auto-Response-Suppress: All", ""),
    ("Precedence: first-class", ""),
]


@pytest.mark.parametrize(("header", "reason"), AUTO_HEADERS)
def test_auto_reply_headers(header, reason):
    raw = f"From: a@b.cn\r\n{header}\r\nSubject: s\r\n\r\nbody\r\n".encode()
    assert parse_message(raw).auto_reason == reason


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@x.cn", "postmaster@x.cn", "Mail System <mailer-daemon@x.cn>"])
def test_bounce_senders(sender):
    raw = f"From: {sender}\r\nSubject: s\r\n\r\nbody\r\n".encode()
    assert parse_message(raw).auto_reason.startswith("bounce: sender")


def test_malformed():
    for raw in (b"", b"   \r\n", bytes(range(1, 40)) * 3):
        with pytest.raises(parsing.MalformedMessage):
            parse_message(raw)


def test_safe_text_has_no_nul_or_surrogates():
    raw = b"From: a@b.cn\r\nSubject: a\x00b\r\nMessage-ID: <\xff\x00x@y>\r\n\r\nbody\x00\r\n"
    message = parse_message(raw)
    assert "\x00" not in message.subject + message.text + message.message_id
    message.message_id.encode("utf-8")

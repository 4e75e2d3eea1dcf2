"""Reading e-mail as Chinese mail really arrives: pure functions, no database.

Rules that matter here:
- Charset labels lie. gb2312 / gbk / cp936 / x-gbk are decoded as GB18030 (a superset): mail labelled gb2312
  routinely contains characters only GBK/GB18030 have (朱镕基: 镕 is not in GB2312), and a strict gb2312
  decoder garbles or drops them. Unknown or missing labels are tried as UTF-8, then GB18030, then Big5.
- Header values may be RFC 2047 encoded words (several, mixed charsets) or raw 8-bit bytes.
- Auto-replies and bounces are recognised by their headers so two systems never answer each other forever.
"""

from __future__ import annotations

import codecs
import datetime as dt
import email
import email.header
import email.utils
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from email.policy import Compat32
from html.parser import HTMLParser

# Labels that mean "some GB encoding": all decoded as GB18030, the superset of GB2312 and GBK.
GB_LABELS = frozenset({"gb2312", "gbk", "cp936", "x-gbk", "gb18030", "gb_2312-80", "gb_2312", "euc-cn",
                       "x-euc-cn", "csgb2312", "chinese", "ms936", "windows-936", "iso-ir-58", "x-cp936"})
BIG5_LABELS = frozenset({"big5", "x-big5", "cn-big5", "big-5", "csbig5", "cp950", "x-x-big5", "big5-hkscs",
                         "big5hkscs"})
LABEL_ALIASES = {"unicode-1-1-utf-8": "utf-8", "utf8": "utf-8", "x-unicode20utf8": "utf-8",
                 "unicode-2-0-utf-8": "utf-8", "x-utf-8": "utf-8", "us-ascii": "ascii", "ascii": "ascii",
                 "ansi_x3.4-1968": "ascii"}
FALLBACKS = ("utf-8", "gb18030", "big5hkscs")
GB_CANDIDATES = ("gb18030", "utf-8", "big5hkscs")
TICKET_NUMBER = re.compile(r"\bINC-\d{8}-\d{4,}\b")
TICKET_AT_START = re.compile(r"^(INC-\d{8}-\d{4,})(?![0-9A-Za-z-])")
MESSAGE_ID = re.compile(r"<([^<>\s]+)>")


class _RawHeaders(Compat32):
    """compat32, but header values come back exactly as received (8-bit bytes as surrogate escapes), so that
    they are decoded by the trial rules here rather than wrapped as unknown-8bit."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return value


RAW_POLICY = _RawHeaders()


class MalformedMessage(Exception):
    """The bytes are not a usable e-mail; the message says why (stored as the quarantine reason)."""


def charset_candidates(label: str | None) -> tuple[str, ...]:
    """The codecs to try, in order, for a declared charset label (broken or missing labels included)."""
    name = (label or "").strip().strip("\"'").strip().lower()
    if name in GB_LABELS:
        return GB_CANDIDATES
    if name in BIG5_LABELS:
        return ("big5", "cp950", "big5hkscs", "utf-8", "gb18030")
    name = LABEL_ALIASES.get(name, name)
    if name:
        try:
            info = codecs.lookup(name)
            codec = info.name if getattr(info, "_is_text_encoding", True) else ""
        except (LookupError, ValueError, TypeError):  # unknown, or a label with NUL bytes in it
            codec = ""
        if codec in ("gbk", "gb2312", "gb18030"):
            return GB_CANDIDATES
        if codec in ("big5", "cp950", "big5hkscs"):
            return ("big5", "cp950", "big5hkscs", "utf-8", "gb18030")
        if codec and codec not in ("ascii", "utf-8"):
            # A declared single-byte charset (latin-1 …) decodes any byte: try UTF-8 first only when the bytes
            # are really UTF-8 (a common mislabel), then the label.
            return ("utf-8", codec)
    return FALLBACKS


_UNSAFE = re.compile("[\x00\ud800-\udfff]")


def safe(text: str) -> str:
    """Text a database takes: no NUL (PostgreSQL refuses it) and no lone surrogates (not encodable)."""
    return _UNSAFE.sub("", text)


def _implausible(text: str) -> bool:
    """Private-use characters: what a wrong double-byte guess produces (Big5 read as GB18030, say)."""
    return any("\ue000" <= ch <= "\uf8ff" for ch in text)


def decode_bytes(data: bytes, label: str | None = None) -> str:
    """Decode `data` by its declared charset, falling back by trial; never raises. Among the decodings that
    succeed, the first without private-use characters wins."""
    first: str | None = None
    for codec in charset_candidates(label):
        try:
            text = data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
        if not _implausible(text):
            return text
        if first is None:
            first = text
    return first if first is not None else data.decode("gb18030", errors="replace")


def _unescape_8bit(value: str) -> str:
    """A header parsed from bytes keeps raw 8-bit bytes as surrogate escapes: decode them by trial."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    return decode_bytes(value.encode("ascii", "surrogateescape"))


_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)[ \t]*(\r?\n[ \t]+)?[ \t]*(=\?)")


def decode_header_value(value: object) -> str:
    """A header as text: RFC 2047 words decoded with the rules above, raw 8-bit decoded by trial, folding
    removed. Never raises."""
    if value is None:
        return ""
    text = str(value) if not isinstance(value, email.header.Header) else value.encode()
    text = _unescape_8bit(text)
    text = re.sub(r"\r?\n[ \t]+", " ", text).replace("\r", "").replace("\n", " ")
    if "=?" not in text:
        return text.strip()
    # Whitespace between two adjacent encoded words is not part of the text (RFC 2047 section 6.2).
    text = _BETWEEN_WORDS.sub(r"\1\3", text)
    out: list[str] = []
    pos = 0
    for match in _ENCODED_WORD.finditer(text):
        out.append(text[pos:match.start()])
        out.append(_decode_word(match.group(0)))
        pos = match.end()
    out.append(text[pos:])
    return "".join(out).strip()


def _decode_word(word: str) -> str:
    try:
        _prefix, charset, encoding, payload, _suffix = word.split("?", 4)
    except ValueError:
        return word
    charset = charset.split("*", 1)[0]  # RFC 2231 language suffix: =?gb2312*zh?B?…?=
    try:
        if encoding.lower() == "b":
            import base64
            import binascii

            payload = payload.strip()
            try:
                data = base64.b64decode(payload + "=" * (-len(payload) % 4), validate=True)
            except (binascii.Error, ValueError):
                return word
        else:
            import quopri

            data = quopri.decodestring(payload.replace("_", " ").encode("ascii", "replace"), header=False)
    except Exception:  # any broken word stays as written
        return word
    return decode_bytes(data, charset)


def parse_address(value: object) -> tuple[str, str]:
    """(display name, address) of a From-like header; encoded words in a quoted name are decoded too."""
    raw = _unescape_8bit(str(value or ""))
    raw = re.sub(r"\r?\n[ \t]+", " ", raw)
    name, address = email.utils.parseaddr(raw)
    if not address and "=?" in raw:
        name, address = email.utils.parseaddr(decode_header_value(raw))
    name = decode_header_value(name).strip().strip('"').strip()
    address = address.strip().strip("<>").strip()
    if "@" not in address or " " in address or len(address) > 254:
        address = ""
    return name[:200], address.lower()


def message_ids(value: object) -> list[str]:
    """The Message-IDs named in a header (In-Reply-To, References), without angle brackets."""
    text = decode_header_value(value)
    ids = MESSAGE_ID.findall(text)
    if not ids and text.strip() and " " not in text.strip():
        ids = [text.strip()]
    return [i[:255] for i in ids]


def ticket_number_in_subject(subject: str) -> str:
    match = TICKET_NUMBER.search(subject or "")
    return match.group(0) if match else ""


def ticket_number_in_message_id(message_id: str) -> str:
    """The ticket number at the start of a Message-ID's local part (our notifications send
    <INC-20261122-0001.n42@host> and the thread root <INC-20261122-0001@host>)."""
    match = TICKET_AT_START.match(message_id or "")
    return match.group(1) if match else ""


# --- bodies ----------------------------------------------------------------------------------------

class _HtmlText(HTMLParser):
    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
                        "blockquote", "pre", "hr", "section", "article", "header", "footer", "dd", "dt"})
    SKIP = frozenset({"script", "style", "head", "title", "template", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("\t")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(re.sub(r"[ \t\r\n\f]+", " ", data))


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: scripts and styles dropped, blocks on their own lines."""
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; this is for the truly strange
        return re.sub(r"<[^>]*>", " ", html)
    lines = [line.replace("\xa0", " ").strip(" \t") for line in "".join(parser.parts).split("\n")]
    return _squeeze("\n".join(lines))


def _squeeze(text: str) -> str:
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def normalise_text(text: str) -> str:
    """Line ends as \\n, no trailing spaces on lines, at most one blank line in a row, trimmed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _squeeze(text)


# Lines where quoted history starts (everything from there on is the earlier mail).
_HISTORY_MARKERS = (
    re.compile(r"^\s*-{2,}(?:\s|&nbsp;)*原始邮件(?:\s|&nbsp;)*-{2,}\s*$"),
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*回复的原邮件\s*-{2,}\s*$"),
)
_HEADER_FROM = re.compile(r"^\s*\**\s*(发件人|From)\s*\**\s*[:：]", re.IGNORECASE)
_HEADER_SENT = re.compile(r"^\s*\**\s*(发送时间|时间|日期|Sent|Date)\s*\**\s*[:：]", re.IGNORECASE)
_ZH_WROTE = re.compile(r"写道\s*[:：]?\s*$")
_EN_WROTE = re.compile(r"wrote\s*:\s*$", re.IGNORECASE)


def strip_quoted(text: str) -> str:
    """The new part of a reply: quoted history (">" lines, "-----原始邮件-----", QQ's and Outlook's header
    blocks, "在 …写道：", "On … wrote:") removed."""
    lines = text.split("\n")
    cut = len(lines)
    for i, line in enumerate(lines):
        if any(p.match(line) for p in _HISTORY_MARKERS):
            cut = i
            break
        if _HEADER_FROM.match(line) and any(_HEADER_SENT.match(n) for n in lines[i + 1:i + 4]):
            cut = i
            break
        stripped = line.strip()
        if stripped.startswith("在") and (_ZH_WROTE.search(stripped) or
                                          (i + 1 < len(lines) and _ZH_WROTE.search(lines[i + 1].strip()))):
            cut = i
            break
        if stripped.startswith("On ") and (_EN_WROTE.search(stripped) or
                                           (i + 1 < len(lines) and _EN_WROTE.search(lines[i + 1].strip()))):
            cut = i
            break
    kept = [line for line in lines[:cut] if not line.lstrip().startswith(">")]
    return _squeeze("\n".join(kept))


# --- the message ----------------------------------------------------------------------------------------

@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""
    inline: bool = False


@dataclass
class ParsedMessage:
    message_id: str
    dedupe_key: str
    sender_name: str
    sender: str
    subject: str
    date: dt.datetime | None
    in_reply_to: list[str]
    references: list[str]
    text: str
    attachments: list[ParsedAttachment] = field(default_factory=list)
    auto_reason: str = ""
    has_from: bool = True

    @property
    def reply_text(self) -> str:
        return strip_quoted(self.text)

    @property
    def thread_ids(self) -> list[str]:
        seen: list[str] = []
        for mid in [*self.in_reply_to, *self.references]:
            if mid not in seen:
                seen.append(mid)
        return seen


def dedupe_key(message_id: str, raw: bytes) -> str:
    if message_id:
        return hashlib.sha256(b"mid:" + message_id.encode("utf-8", "surrogatepass")).hexdigest()
    return hashlib.sha256(b"raw:" + raw).hexdigest()


def auto_reply_reason(msg: Message, sender: str) -> str:
    """Why this message is an auto-reply or a bounce ("" when it is neither). X-Auto-Response-Suppress only
    asks others not to answer; it does not make the message itself automatic."""
    auto_submitted = decode_header_value(msg.get("Auto-Submitted", "")).strip().lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return f"auto-reply: Auto-Submitted: {auto_submitted}"
    precedence = decode_header_value(msg.get("Precedence", "")).strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply", "auto-reply"):
        return f"auto-reply: Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond"):
        if msg.get(name) is not None:
            return f"auto-reply: {name}"
    if msg.get_content_type() == "multipart/report":
        return "bounce: multipart/report"
    return_paths = msg.get_all("Return-Path") or []
    if any(str(rp).strip() in ("<>", "") for rp in return_paths):
        return "bounce: empty Return-Path"
    local = sender.split("@", 1)[0].lower() if sender else ""
    if local in ("mailer-daemon", "postmaster"):
        return f"bounce: sender {sender}"
    return ""


def _parse_date(value: object) -> dt.datetime | None:
    text = decode_header_value(value)
    if not text:
        return None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when


def _filename(part: Message) -> str:
    """A part's file name: RFC 2231 (filename*=gb2312''…, with continuations) or RFC 2047 words, or raw
    8-bit bytes; path parts removed."""
    name: object = None
    try:
        for source in ("content-disposition", "content-type"):
            param = "filename" if source == "content-disposition" else "name"
            value = part.get_param(param, header=source)
            if value is None:
                continue
            if isinstance(value, tuple):  # RFC 2231: (charset, language, %-decoded text as latin-1)
                charset, _lang, text = value
                name = decode_bytes(text.encode("latin-1", "surrogateescape"), charset)
            else:
                name = email.utils.collapse_rfc2231_value(value)
            if name:
                break
    except Exception:  # a broken parameter leaves the part without a name
        name = None
    text = decode_header_value(name) if name else ""
    text = text.replace("\\", "/").rsplit("/", 1)[-1].strip().strip("\x00")
    return text[:255]


def _is_attachment(part: Message, filename: str) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    if disposition == "attachment":
        return True
    if filename:
        return True
    maintype = part.get_content_maintype()
    return maintype not in ("text", "multipart", "message") and bool(part.get("Content-ID") or disposition)


def _lenient_base64(text: str) -> bytes:
    """Base64 as broken mailers write it: stray characters dropped, a truncated last group ignored."""
    import base64

    clean = re.sub(r"[^A-Za-z0-9+/]", "", text)
    if len(clean) % 4 == 1:
        clean = clean[:-1]
    try:
        return base64.b64decode(clean + "=" * (-len(clean) % 4))
    except ValueError:
        return b""


def _payload(part: Message) -> bytes:
    if str(part.get("Content-Transfer-Encoding", "")).strip().lower() == "base64":
        payload = part.get_payload()
        if isinstance(payload, str):
            return _lenient_base64(payload)
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    return payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""


def _part_text(part: Message) -> str:
    param = part.get_param("charset")
    label = email.utils.collapse_rfc2231_value(param) if param else None
    return decode_bytes(_payload(part), label)


MAX_DEPTH = 30


def _leaves(part: Message, depth: int = 0) -> Iterator[Message]:
    """The parts that hold content, depth first; an attached message (message/rfc822) is one leaf, not
    opened (its text is not the sender's). Nesting deeper than MAX_DEPTH is not followed."""
    if part.get_content_type() == "message/rfc822" and depth > 0:
        yield part
        return
    if part.is_multipart():
        if depth >= MAX_DEPTH:
            return
        payload = part.get_payload()
        for sub in payload if isinstance(payload, list) else []:
            if isinstance(sub, Message):
                yield from _leaves(sub, depth + 1)
        return
    yield part


def _attached_message(part: Message, filename: str) -> ParsedAttachment:
    inner = part.get_payload()
    message = inner[0] if isinstance(inner, list) and inner else None
    data = b""
    subject = ""
    if isinstance(message, Message):
        try:
            data = message.as_bytes(policy=Compat32(linesep="\r\n"))
        except Exception:  # a message the generator cannot write back: keep what can be had
            data = b""
        subject = decode_header_value(message.get("Subject", ""))
    name = filename or f"{(subject or 'message').strip()[:100]}.eml".replace("/", "_")
    return ParsedAttachment(filename=name, content_type="message/rfc822", data=data)


def parse_message(raw: bytes) -> ParsedMessage:
    """Read an e-mail from its bytes. Raises MalformedMessage for what cannot be a message at all."""
    if not raw or not raw.strip():
        raise MalformedMessage("empty message")
    try:
        msg = email.message_from_bytes(raw, policy=RAW_POLICY)
    except Exception as exc:  # the stdlib parser rarely fails, but never let it escape
        raise MalformedMessage(f"unparseable: {type(exc).__name__}") from exc
    if not msg.keys():
        raise MalformedMessage("no headers")
    from_header = msg.get("From")
    sender_name, sender = parse_address(from_header) if from_header is not None else ("", "")
    mids = message_ids(msg.get("Message-ID", ""))
    message_id = mids[0] if mids else ""
    texts: list[str] = []
    htmls: list[str] = []
    attachments: list[ParsedAttachment] = []
    for part in _leaves(msg):
        ctype = part.get_content_type()
        filename = _filename(part)
        if ctype == "message/rfc822":  # a mail forwarded as an attachment stays one file
            attachments.append(_attached_message(part, filename))
            continue
        content_id = decode_header_value(part.get("Content-ID", "")).strip().strip("<>")[:200]
        if _is_attachment(part, filename) and ctype not in ("message/delivery-status",):
            data = _payload(part)
            if not filename:
                ext = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif"}.get(ctype, ".bin")
                filename = (content_id.split("@", 1)[0] or "attachment") + ext
            attachments.append(ParsedAttachment(
                filename=filename, content_type=ctype, data=data, content_id=content_id,
                inline=(part.get_content_disposition() or "") != "attachment" and bool(content_id)))
        elif ctype == "text/plain":
            texts.append(_part_text(part))
        elif ctype == "text/html":
            htmls.append(_part_text(part))
        elif part.get_content_maintype() == "text" and not texts:
            texts.append(_part_text(part))
    if texts:
        text = "\n\n".join(normalise_text(t) for t in texts if t.strip())
    else:
        text = "\n\n".join(html_to_text(h) for h in htmls if h.strip())
    for att in attachments:
        att.filename, att.content_type, att.content_id = safe(att.filename), safe(att.content_type), safe(
            att.content_id)
    return ParsedMessage(
        message_id=safe(message_id),
        dedupe_key=dedupe_key(message_id, raw),
        sender_name=safe(sender_name),
        sender=safe(sender),
        subject=safe(decode_header_value(msg.get("Subject", "")))[:255],
        date=_parse_date(msg.get("Date")),
        in_reply_to=[safe(i) for i in message_ids(msg.get("In-Reply-To", ""))],
        references=[safe(i) for i in message_ids(msg.get("References", ""))],
        text=safe(normalise_text(text)),
        attachments=attachments,
        auto_reason=safe(auto_reply_reason(msg, sender)),
        has_from=from_header is not None,
    )

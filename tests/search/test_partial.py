"""What people type rather than keywords: sentences, a lone character, codes typed together, synonyms
mixing letters and Chinese; records holding only some of the words come after those holding them all."""

from __future__ import annotations

from opsdesk.search import services

from .conftest import find, numbers


def test_a_sentence_finds_the_record_holding_most_of_its_words(world, inc):
    best = inc("OA系统登录提示密码错误", description="用户登录OA系统时提示用户名或密码错误")
    inc("OA系统页面打不开", description="浏览器一直转圈")
    inc("财务系统登录提示密码错误", description="用户登录财务系统时提示密码错误")
    typed = "我们的OA登录老是说密码错误，很着急"
    assert numbers(world.agent, typed) == []  # no record holds every word…
    hits = find(world.agent, typed)
    assert hits[0].number == best.number and all(h.partial for h in hits)  # …the best covered comes first
    assert not hits[0].fallback


def test_records_holding_every_word_come_before_partial_ones(world, inc):
    partial = inc("打印机卡纸", description="打印机卡纸，纸张受潮")
    full = inc("打印机驱动安装失败", description="打印机驱动装不上")
    hits = find(world.agent, "打印机 驱动")
    assert [h.number for h in hits] == [full.number, partial.number]
    assert [h.partial for h in hits] == [False, True]
    assert hits[0].score > hits[1].score


def test_a_rare_word_outweighs_a_common_synonym_repeated(world, inc):
    code = inc("Windows报0x000000D1蓝屏", description="驱动故障")
    for i in range(3):
        inc(f"门户网站{i}错误", description="页面错误，错误代码未知，异常")
    hits = find(world.agent, "0x000000D1 报错")
    assert hits[0].number == code.number


def test_a_character_typed_alone_matches_the_words_it_begins(world, inc):
    hit = inc("忘记密码如何重置")
    inc("密码过期需要修改")
    assert numbers(world.agent, "密码 忘") == [hit.number]


def test_letters_and_digits_typed_together_find_them_apart(world, inc):
    hit = inc("OA系统提示HTTP 500错误")
    inc("OA系统页面打不开")
    assert numbers(world.agent, "http500") == [hit.number]


def test_a_synonym_mixing_letters_and_chinese_is_used_whole(world, inc):
    hit = inc("数字证书UKey插上电脑不识别")
    inc("U盘无法识别")
    assert numbers(world.agent, "U盾 不识别") == [hit.number]


def test_operator_words_for_a_system_reach_it(world, inc):
    hit = inc("项目管理系统数据保存失败")
    inc("OA系统数据保存失败")
    services.synonym_group_save(by=world.pm, terms="项目管理系统=PM系统")
    assert numbers(world.agent, "PM系统 存不了") == [hit.number]


def test_colloquial_failures_meet_the_written_ones(world, inc):
    export = inc("财务系统报表导出失败")
    locked = inc("财务系统账号被锁定")
    assert numbers(world.agent, "财务系统 报表导不出来") == [export.number]
    assert numbers(world.agent, "财务系统 账号锁了") == [locked.number]

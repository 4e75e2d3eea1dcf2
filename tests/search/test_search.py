"""Search over incidents, on the database in use (the suite runs on SQLite and on PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection

from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_act
from opsdesk.search import services
from opsdesk.search.models import SearchEntry, SearchPending
from opsdesk.search.selectors import SearchFilters, search

from .conftest import find, numbers


def test_two_character_word_inside_a_longer_text(world, inc):
    hit = inc("打印机无法打印", description="三楼财务室的打印机卡纸")
    inc("显示器黑屏")
    assert numbers(world.agent, "打印") == [hit.number]
    assert numbers(world.agent, "打印机") == [hit.number]
    assert numbers(world.agent, "卡纸") == [hit.number]


@pytest.mark.parametrize(("text_", "query"), [
    ("数据库报错 ORA-00600 内部错误", "ORA-00600"),
    ("数据库报错 ORA-00600 内部错误", "ora-00600"),
    ("数据库报错 ORA-00600 内部错误", "00600"),
    ("开机蓝屏 STOP 0x0000007B", "0x0000007B"),
    ("192.168.1.10 无法访问", "192.168.1.10"),
    ("Win10 更新后无法启动", "Win10"),
    ("Win10 更新后无法启动", "win 10"),
    ("服务器 CPU使用率 100%", "CPU使用率"),
    ("服务器 CPU 使用率 100%", "CPU使用率"),
    ("服务器CPU使用率 100%", "cpu"),
    ("Outlook cannot connect to Exchange", "exchange"),
])
def test_english_codes_ips_and_mixed_strings_are_found_as_typed(world, inc, text_, query):
    hit = inc("故障", description=text_)
    inc("无关的事件", description="ORA-00601 192.168.1.11 Win7 0x0000007C 内存使用率")
    assert numbers(world.agent, query) == [hit.number]


def test_ip_address_does_not_match_a_different_address(world, inc):
    inc("网络故障", description="192.168.1.100 不通")
    assert numbers(world.agent, "192.168.1.10") == []


@pytest.mark.parametrize(("stored", "typed"), [
    ("服务器宕机", "主机挂了"), ("主机当机", "服务器宕机"), ("系统down了", "宕机"), ("电脑蓝屏", "PC 蓝屏"),
    ("终端无法开机", "电脑"), ("帐号被锁定", "账号"), ("账号被锁定", "帐号"), ("无法登陆OA", "登录"),
    ("无法登录OA", "登陆"),
])
def test_synonyms_both_ways(world, inc, stored, typed):
    hit = inc(stored)
    inc("打印机卡纸")
    assert numbers(world.agent, typed) == [hit.number]


def test_operator_synonyms_work_at_once_without_rebuild(world, inc):
    hit = inc("OA系统无法打开")
    assert numbers(world.agent, "办公系统") == []
    services.synonym_group_save(by=world.pm, terms="OA=办公系统")
    assert numbers(world.agent, "办公系统") == [hit.number]


@pytest.mark.parametrize(("stored", "typo"), [("密码忘记了", "秘码"), ("证书过期", "证数"), ("打印机坏了", "打印几")])
def test_pinyin_typo_is_found_and_ranked_below_exact_matches(world, inc, stored, typo):
    typo_hit = inc(stored)
    exact = inc(f"{typo}相关咨询")  # the typed characters themselves, in a title
    hits = find(world.agent, typo)
    assert [h.number for h in hits] == [exact.number, typo_hit.number]
    assert hits[0].score > hits[1].score
    assert not hits[0].fallback and hits[1].fallback
    assert "<mark>" in hits[1].snippet


def test_title_match_ranks_above_body_match(world, inc):
    body = inc("网络问题", description="交换机端口故障导致断网，需要重启交换机")
    title = inc("交换机故障", description="楼层网络不通")
    assert numbers(world.agent, "交换机") == [title.number, body.number]


def test_an_update_reindexes_and_a_delete_removes(world, inc):
    incident = inc("邮箱无法收信")
    assert numbers(world.agent, "邮箱") == [incident.number]
    incident_act(incident=incident, action="accept", by=world.agent)
    Incident.objects.filter(pk=incident.pk).update(title="VPN 无法连接")  # any write path, even a bare UPDATE
    assert numbers(world.agent, "邮箱") == []
    assert numbers(world.agent, "VPN") == [incident.number]
    assert [h.status for h in find(world.agent, "VPN")] == ["accepted"]
    assert numbers(world.agent, "VPN", status=["new"]) == []
    Incident.objects.filter(pk=incident.pk).delete()
    assert numbers(world.agent, "VPN") == []
    assert not SearchEntry.objects.filter(object_id=incident.pk).exists()


def test_index_is_written_in_the_writers_transaction(world, inc):
    """The trigger queues the write inside the transaction: rolled back, nothing is queued or indexed."""
    from django.db import transaction

    before = SearchPending.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        inc("回滚的事件")
        assert SearchPending.objects.count() == before + 1
        raise RuntimeError
    assert SearchPending.objects.count() == before
    assert numbers(world.agent, "回滚") == []


def test_orm_save_indexes_inside_the_transaction(world, inc):
    incident = inc("旧标题")
    services.drain_all()
    incident.title = "新标题 扫描仪"
    incident.save()
    assert SearchEntry.objects.get(kind="incident", object_id=incident.pk).title == "新标题 扫描仪"


def test_filters_type_contract_status(world, inc):
    a = inc("防火墙策略")
    b = world.incident(title="防火墙策略", by=world.agent_b, requester=world.requester_b, contract=world.contract_b)
    assert numbers(world.agent, "防火墙", contract="TAX-2026") == [a.number]
    assert numbers(world.agent, "防火墙", contract="HRSS-2026") == []  # not visible to the agent of A
    assert numbers(world.agent_b, "防火墙") == [b.number]
    assert numbers(world.agent, "防火墙", types=["incident"], status=["new"]) == [a.number]


def test_requester_never_sees_others_even_when_they_would_fill_the_page(world, inc,
                                                                       django_capture_on_commit_callbacks):
    """60 invisible incidents match better than the requester's own one; the limit is 10. Filtering after
    fetching a page would return nothing; visibility inside the query returns the requester's incident."""
    with django_capture_on_commit_callbacks(execute=True):  # indexed after each commit, as in production
        for i in range(60):
            inc(f"网络中断 网络中断 {i}", requester=world.requester_a2, description="网络中断 网络中断 网络中断")
        for _ in range(5):
            world.incident(title="网络中断", by=world.agent_b, requester=world.requester_b,
                           contract=world.contract_b)
        own = inc("请协助", description="办公室网络中断", requester=world.requester_a)
    assert not SearchPending.objects.exists()
    assert numbers(world.requester_a, "网络中断", limit=10) == [own.number]
    assert len(numbers(world.contact_a, "网络中断", limit=100)) == 61  # the organisation's, not B's
    assert len(numbers(world.requester_b, "网络中断", limit=100)) == 5
    assert len(numbers(world.contact_b, "网络中断", limit=100)) == 5
    assert len(numbers(world.agent, "网络中断", limit=100)) == 61


HOSTILE = ["", "   ", '"', '""', "*", "NEAR(", "NEAR(a b", "AND", "OR", "NOT", "-", "-打印", "打印*", "'",
           "' OR 1=1 --", "\x00", "打\x00印", "x" * 10000, "打印" * 5000, "{title_tokens}: a", "col:打印",
           "^打印", "a AND (b OR", "%", "_", "\\", "😀", "\u202e打印", "ＡＮＤ", "title_tokens:1"]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_input_never_errors(world, inc, q):
    inc("打印机无法打印")
    hits = search(visible_to=world.agent, filters=SearchFilters(q=q))
    assert isinstance(hits, list)


def test_snippet_is_escaped_except_the_marks(world, inc):
    inc("<script>alert(1)</script> 打印", description="<b>打印</b> & 打印机")
    snippet = find(world.agent, "打印")[0].snippet
    assert "<script>" not in snippet and "<b>" not in snippet
    assert "&lt;b&gt;<mark>打印</mark>&lt;/b&gt;" in snippet
    assert "&amp;" in snippet


def test_rebuild_recreates_the_index(world, inc):
    a = inc("路由器故障")
    b = inc("路由器配置")
    services.drain_all()
    SearchEntry.objects.all().delete()
    assert numbers(world.agent, "路由器") == []
    [result] = services.search_rebuild(kinds=["incident"], batch_size=1)
    assert result.rows >= 2
    assert sorted(numbers(world.agent, "路由器")) == sorted([a.number, b.number])


def test_backend_matches_the_database():
    assert connection.vendor in ("sqlite", "postgresql")

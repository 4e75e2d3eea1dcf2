"""Articles in the search (kind "article"), on the database in use: who finds what, re-indexing, ranking."""

from __future__ import annotations

from opsdesk.knowledge import services
from opsdesk.knowledge.adapters import boost
from opsdesk.search.selectors import SearchFilters, search


def numbers(user, q: str, *, partial: bool = True, **kwargs) -> list[str]:
    hits = search(visible_to=user, filters=SearchFilters(q=q, types=["article"], **kwargs))
    return [h.number for h in hits if partial or not h.partial]


def test_a_published_article_is_found_by_its_words(world, article):
    art = article("打印机脱机无法打印", status="published", audience="requester", keywords="Print Spooler")
    article("显示器黑屏", status="published", audience="requester", symptom="屏幕无显示", solution="检查视频线")
    assert numbers(world.agent, "打印") == [art.number]
    assert numbers(world.requester_a, "打印机") == [art.number]
    assert numbers(world.contact_a, "spooler") == [art.number]


def test_drafts_and_articles_in_review_only_for_their_author(world, article):
    draft = article("VPN 无法连接", by=world.engineer)
    review = article("VPN 证书过期", status="in_review", by=world.engineer)
    assert set(numbers(world.engineer, "VPN")) == {draft.number, review.number}
    assert numbers(world.agent, "VPN") == []
    assert numbers(world.requester_a, "VPN") == []


def test_retired_article_disappears(world, article):
    art = article("邮箱无法收信", status="published", audience="requester")
    assert numbers(world.requester_a, "邮箱") == [art.number]
    assert numbers(world.agent, "邮箱") == [art.number]
    services.article_act(article=art, action="retire", by=world.pm)
    assert numbers(world.requester_a, "邮箱") == []
    assert numbers(world.agent, "邮箱") == []
    assert numbers(world.agent, "邮箱", status=["retired"]) == []


def test_requesters_never_see_engineer_articles_nor_other_organisations(world, article):
    engineer_only = article("数据库 ORA-00600 处理", status="published", audience="engineer")
    self_help = article("数据库客户端 ORA-00600 重装", status="published", audience="requester")
    for who in ("requester_a", "contact_a", "requester_a2"):
        assert numbers(getattr(world, who), "ORA-00600") == [self_help.number]
    for who in ("requester_b", "contact_b", "agent_b"):
        assert numbers(getattr(world, who), "ORA-00600") == []
    assert set(numbers(world.engineer, "ORA-00600")) == {engineer_only.number, self_help.number}
    # nor through the unfiltered search across every type
    hits = search(visible_to=world.requester_a, filters=SearchFilters(q="ORA-00600"))
    assert [h.number for h in hits if h.type == "article"] == [self_help.number]


def test_an_edit_reindexes(world, article):
    art = article("网络打印机", status="published", audience="requester")
    assert numbers(world.requester_a, "卡纸") == []
    services.article_update(article=art, by=world.agent, version=art.version, solution="打开后盖取出卡纸")
    assert numbers(world.requester_a, "卡纸") == [art.number]
    services.article_update(article=art, by=world.agent, title="共享打印机", solution="重新添加")
    assert numbers(world.requester_a, "卡纸") == []
    assert numbers(world.requester_a, "共享") == [art.number]


def test_category_change_reindexes(world, article):
    from tests.factories import CategoryFactory

    cat = CategoryFactory(name="税控盘")
    art = article("开票失败", status="published")
    assert numbers(world.agent, "税控盘") == []
    services.article_update(article=art, by=world.agent, categories=[cat.pk])
    assert numbers(world.agent, "税控盘") == [art.number]


def test_solved_count_lifts_the_ranking(world, article):
    first = article("打印机无法打印 方法一", status="published", audience="requester")
    second = article("打印机无法打印 方法二", status="published", audience="requester")
    before = numbers(world.agent, "打印机")
    assert set(before) == {first.number, second.number}
    lower = first if before[0] == second.number else second
    for who in ("agent", "engineer", "pm", "requester_a", "contact_a", "requester_a2", "second_line"):
        services.article_mark_solved(article=lower, by=getattr(world, who))
    assert numbers(world.agent, "打印机")[0] == lower.number


def test_boost_steps():
    assert [boost(n) for n in (0, 1, 2, 3, 7, 100)] == [0, 1, 1, 2, 3, 3]


def test_rebuild_indexes_articles(world, article):
    from opsdesk.search.models import SearchEntry
    from opsdesk.search.services import search_rebuild

    art = article("蓝屏 0x0000007B", status="published", audience="requester")
    SearchEntry.objects.filter(kind="article").delete()
    search_rebuild(kinds=["article"])
    assert numbers(world.requester_a, "0x0000007B") == [art.number]

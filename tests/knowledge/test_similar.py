"""Similar records to a draft (suggestions while an incident is typed): any word may match, best first."""

from __future__ import annotations

from opsdesk.search.selectors import similar

ARTICLES_AND_RESOLVED = {"article": ["published"], "incident": ["resolved", "closed"]}


def numbers(user, draft: str, kinds=None, **kwargs) -> list[str]:
    return [h.number for h in similar(visible_to=user, draft=draft, kinds_statuses=kinds or ARTICLES_AND_RESOLVED,
                                      **kwargs)]


def test_a_long_colloquial_description_finds_the_article_sharing_most_words(world, article):
    printer = article("打印机脱机无法打印", status="published", audience="requester",
                      symptom="打印任务一直排队，打印机显示脱机", solution="重启 Print Spooler 服务")
    article("显示器黑屏", status="published", audience="requester", symptom="屏幕无显示", solution="检查视频线")
    draft = "用户来电说财务室的打印机今天早上开始打印不了，任务一直在排队，重启电脑也没用"
    assert numbers(world.agent, draft)[0] == printer.number


def test_only_the_wanted_statuses_and_what_the_viewer_may_see(world, article):
    published = article("VPN 连接失败 错误 809", status="published", audience="engineer")
    article("VPN 证书过期", by=world.engineer)  # a draft: never suggested, even to its author
    assert numbers(world.engineer, "VPN 连不上") == [published.number]
    assert numbers(world.requester_a, "VPN 连不上") == []  # an engineer article


def test_a_homophone_typo_still_suggests(world, article):
    art = article("忘记密码如何重置", status="published", audience="requester", solution="自助重置")
    assert numbers(world.requester_a, "秘码忘了") == [art.number]


def test_nothing_to_compare_gives_nothing(world, article):
    article("打印机脱机", status="published", audience="requester")
    assert numbers(world.agent, "   的了吗 ") == []
    assert numbers(world.agent, "") == []

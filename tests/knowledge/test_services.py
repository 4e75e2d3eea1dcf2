"""The article lifecycle by the right roles, refusals for every other role, versions, candidates, solved."""

from __future__ import annotations

import pytest
from django.utils import translation

from opsdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from opsdesk.core.models import AuditEntry
from opsdesk.incidents.models import Incident
from opsdesk.knowledge import services
from opsdesk.knowledge.models import ArticleSolved, ArticleVersion, KnowledgeArticle
from opsdesk.knowledge.selectors import article_get
from opsdesk.knowledge.workflow import ARTICLE_WORKFLOW

from .conftest import resolved_incident

ALL = ["agent", "engineer", "second_line", "pm", "requester_a", "contact_a", "requester_b", "contact_b", "agent_b"]


def _names(article, user):
    return [a.name for a in ARTICLE_WORKFLOW.allowed_actions(article, user)]


def test_number_contract_and_audit(world, article):
    art = article()
    assert art.number.startswith("KB-") and len(art.number) == len("KB-20261122-0001")
    assert art.status == "draft" and art.organisation_id == world.org_a.pk and art.author == world.agent
    assert AuditEntry.objects.filter(action="article.create", object_id=str(art.pk)).exists()


@pytest.mark.parametrize("author", ["agent", "engineer", "second_line", "pm"])
def test_service_staff_write_and_submit(world, article, author):
    art = article(by=getattr(world, author))
    services.article_act(article=art, action="submit", by=getattr(world, author))
    assert art.status == "in_review"


@pytest.mark.parametrize("who", ["requester_a", "contact_a", "agent_b", "requester_b"])
def test_others_may_not_write(world, who):
    with pytest.raises(ValidationError) as exc:
        services.article_create(by=getattr(world, who), contract=world.contract_a, title="x")
    assert "contract" in exc.value.fields


def test_full_lifecycle_keeps_versions(world, article):
    art = article(status="in_review")
    assert _names(art, world.pm) == ["accept", "reject"]
    services.article_act(article=art, action="reject", by=world.pm, data={"reason": "缺少原因分析"})
    assert art.status == "draft" and art.reject_reason == "缺少原因分析" and art.reviewer == world.pm
    services.article_update(article=art, by=world.agent, version=art.version, cause="打印服务卡死")
    services.article_act(article=art, action="submit", by=world.agent)
    assert art.reject_reason == ""
    services.article_act(article=art, action="accept", by=world.pm)
    art.refresh_from_db()
    assert (art.status, art.revision) == ("published", 1) and art.published_at is not None
    services.article_update(article=art, by=world.engineer, version=art.version, solution="新的解决办法")
    art.refresh_from_db()
    assert art.status == "published" and art.revision == 2
    versions = list(ArticleVersion.objects.filter(article=art).order_by("revision"))
    assert [(v.revision, v.solution) for v in versions] == [(1, "重启打印服务 Print Spooler"), (2, "新的解决办法")]
    assert versions[0].published_by == world.pm and versions[1].published_by == world.engineer
    services.article_act(article=art, action="retire", by=world.pm, data={"reason": "系统已更换"})
    assert art.status == "retired" and art.retire_reason == "系统已更换" and art.retired_at is not None
    with pytest.raises(Conflict):
        services.article_update(article=art, by=world.agent, title="改")


def test_draft_edits_make_no_version(world, article):
    art = article()
    services.article_update(article=art, by=world.agent, version=art.version, title="新标题")
    assert ArticleVersion.objects.filter(article=art).count() == 0 and art.title == "新标题"


@pytest.mark.parametrize(("status", "action", "allowed"), [
    ("draft", "submit", {"agent", "engineer", "second_line", "pm"}),
    ("in_review", "accept", {"pm"}),
    ("in_review", "reject", {"pm"}),
    ("published", "retire", {"pm"}),
])
def test_each_action_only_by_its_roles(world, article, status, action, allowed):
    for who in ALL:
        art = article(status=status)
        user = getattr(world, who)
        data = {"reason": "理由"}
        if who in allowed:
            services.article_act(article=art, action=action, by=user, data=data)
        else:
            assert action not in _names(art, user)
            with pytest.raises(PermissionDenied):
                services.article_act(article=art, action=action, by=user, data=data)
            assert KnowledgeArticle.objects.get(pk=art.pk).status == status


def test_reject_needs_a_reason_in_the_users_language(world, article):
    art = article(status="in_review")
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        services.article_act(article=art, action="reject", by=world.pm, data={"reason": ""})
    assert exc.value.fields["reason"] == "此项为必填项。"
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.article_act(article=art, action="reject", by=world.pm, data={"reason": ""})
    assert exc.value.fields["reason"] == "This field is required."


def test_validation_errors_per_field_nothing_written(world):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.article_create(by=world.agent, contract=world.contract_a, title="", audience="everyone",
                                keywords="k" * 501, categories=[999999])
    assert set(exc.value.fields) == {"title", "audience", "keywords", "categories"}
    assert exc.value.fields["title"] == "This field is required."
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        services.article_create(by=world.agent, contract=world.contract_a, title="")
    assert exc.value.fields["title"] == "此项为必填项。"
    assert KnowledgeArticle.objects.count() == 0


def test_stale_version_is_a_conflict(world, article):
    art = article()
    stale = KnowledgeArticle.objects.get(pk=art.pk)
    services.article_update(article=art, by=world.agent, version=art.version, title="第一次")
    with pytest.raises(Conflict):
        services.article_update(article=stale, by=world.engineer, version=stale.version, title="第二次")
    with pytest.raises(Conflict):
        services.article_act(article=stale, action="submit", by=world.engineer, version=stale.version)
    assert KnowledgeArticle.objects.get(pk=art.pk).title == "第一次"


def test_editing_needs_service_staff(world, article):
    art = article(status="published")
    for who in ("requester_a", "contact_a", "agent_b"):
        with pytest.raises(PermissionDenied):
            services.article_update(article=art, by=getattr(world, who), title="改")


def test_solved_once_per_person(world, article):
    art = article(status="published", audience="requester")
    inc = world.incident()
    assert services.article_mark_solved(article=art, by=world.agent, incident=inc) is True
    assert services.article_mark_solved(article=art, by=world.agent) is False
    assert services.article_mark_solved(article=art, by=world.requester_a) is True
    art.refresh_from_db()
    assert art.solved_count == 2 and ArticleSolved.objects.filter(article=art).count() == 2
    draft = article()
    with pytest.raises(Conflict):
        services.article_mark_solved(article=draft, by=world.agent)


def test_candidate_from_a_resolved_incident(world):
    inc = resolved_incident(world, title="财务室打印机卡纸", symptom="打印到一半卡纸", error_message="E-0210 卡纸",
                            affected_system="财务系统")
    art, created = services.article_from_incident(incident=inc, by=world.engineer)
    assert created and art.status == "draft" and art.source_incident == inc
    assert art.title == "财务室打印机卡纸" and "打印到一半卡纸" in art.symptom and "E-0210 卡纸" in art.symptom
    assert art.solution == "更换硒鼓后恢复" and art.affected_systems == "财务系统" and "E-0210" in art.keywords
    assert Incident.objects.get(pk=inc.pk).knowledge_candidate is True
    again, created = services.article_from_incident(incident=inc, by=world.agent)
    assert again.pk == art.pk and not created


def test_candidate_uses_the_description_without_a_symptom(world):
    inc = resolved_incident(world, title="无法登录", description="输入密码后提示错误")
    art, _created = services.article_from_incident(incident=inc, by=world.agent)
    assert art.symptom == "输入密码后提示错误"


def test_candidate_only_from_resolved_incidents_by_staff(world):
    open_inc = world.incident()
    with pytest.raises(Conflict):
        services.article_from_incident(incident=open_inc, by=world.agent)
    done = resolved_incident(world)
    for who in ("requester_a", "contact_a", "agent_b"):
        with pytest.raises(PermissionDenied):
            services.article_from_incident(incident=done, by=getattr(world, who))
    assert not KnowledgeArticle.objects.exists() and not Incident.objects.get(pk=done.pk).knowledge_candidate


def test_visibility_of_the_detail(world, article):
    draft = article()
    engineer_art = article(status="published")
    self_help = article(status="published", audience="requester")
    retired = article(status="retired", audience="requester")
    for who in ("agent", "pm", "engineer"):
        for art in (draft, engineer_art, self_help, retired):
            article_get(number=art.number, visible_to=getattr(world, who))
    for who in ("requester_a", "contact_a"):
        assert article_get(number=self_help.number, visible_to=getattr(world, who)).pk == self_help.pk
        for art in (draft, engineer_art, retired):
            with pytest.raises(NotFound):
                article_get(number=art.number, visible_to=getattr(world, who))
    for who in ("requester_b", "contact_b", "agent_b"):
        for art in (draft, engineer_art, self_help):
            with pytest.raises(NotFound):
                article_get(number=art.number, visible_to=getattr(world, who))

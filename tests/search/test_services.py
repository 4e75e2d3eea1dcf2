"""Indexing machinery: the queue drained after commit, the rebuild command, the operators' words and
synonyms (audited, effective in every process without a restart)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from opsdesk.core.errors import ValidationError
from opsdesk.core.models import AuditEntry
from opsdesk.search import services, text
from opsdesk.search.models import SearchConfig, SearchEntry, SearchPending, SynonymGroup

from .conftest import numbers


def test_created_incident_is_indexed_right_after_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident = world.incident(title="扫描仪无法扫描")
    assert not SearchPending.objects.exists()
    assert SearchEntry.objects.get(kind="incident", object_id=incident.pk).number == incident.number


def test_rebuild_command_reports_rows_per_second_and_drops_deleted(world):
    kept = world.incident(title="硬盘故障")
    SearchEntry.objects.create(kind="incident", object_id=kept.pk + 1000, title="幽灵", number="INC-X")
    out = StringIO()
    call_command("search_rebuild", "--type", "incident", "--json", stdout=out)
    [result] = json.loads(out.getvalue())
    assert result["type"] == "incident" and result["rows"] == 1 and result["rows_per_second"] > 0
    assert list(SearchEntry.objects.values_list("object_id", flat=True)) == [kept.pk]
    with pytest.raises(CommandError):
        call_command("search_rebuild", "--type", "spaceship")


def test_operator_word_changes_segmentation_without_restart(world):
    assert "一网通办" not in text.index_tokens("一网通办登录失败")
    services.search_term_save(by=world.pm, word="一网通办", note="客户的办税客户端")
    assert "一网通办" in text.index_tokens("一网通办登录失败")
    assert AuditEntry.objects.filter(action="search.term_save").exists()
    with pytest.raises(ValidationError) as err:
        services.search_term_save(by=world.pm, word="一网通办")
    assert "word" in err.value.fields
    with pytest.raises(ValidationError):
        services.search_term_save(by=world.pm, word="两个 词")


def test_a_change_made_by_another_process_is_picked_up(world):
    """Another process adds a synonym and bumps the version; this process never called invalidate()."""
    hit = world.incident(title="堡垒机无法登录")
    assert numbers(world.agent, "运维审计系统") == []
    SynonymGroup.objects.create(terms="堡垒机=运维审计系统")
    SearchConfig.objects.filter(pk=1).update(version=SearchConfig.current_version() + 1)
    assert numbers(world.agent, "运维审计系统") == [hit.number]


def test_synonym_groups_need_two_words(world):
    with pytest.raises(ValidationError):
        services.synonym_group_save(by=world.pm, terms="孤单")
    group = services.synonym_group_save(by=world.pm, terms="工作站，台式机、workstation")
    assert group.terms == "工作站=台式机=workstation"
    services.synonym_group_delete(by=world.pm, group=group)
    assert AuditEntry.objects.filter(action="search.synonyms_delete").exists()


def test_default_synonyms_are_seeded(db):
    assert SynonymGroup.objects.filter(terms__contains="宕机").exists()
    assert SynonymGroup.objects.filter(terms__contains="登陆").exists()


def test_rebuild_takes_the_queue_rows_it_covered(world):
    world.incident(title="交换机端口down")
    assert SearchPending.objects.exists()
    services.search_rebuild(kinds=["incident"])
    assert not SearchPending.objects.exists()
    assert numbers(world.agent, "交换机") != []


def test_catch_up_job_indexes_a_backlog(world):
    from opsdesk.search.tasks import catch_up_index

    for i in range(3):
        world.incident(title=f"防火墙告警 {i}")
    assert catch_up_index() == 3
    assert SearchEntry.objects.filter(kind="incident").count() == 3
    assert catch_up_index() == 0

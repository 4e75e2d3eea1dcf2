"""Badges carry the colours that incidents.choices declares for statuses and levels."""

from __future__ import annotations

from opsdesk.incidents.choices import LEVEL_COLOURS, STATUS_COLOURS


def test_list_badges_use_the_declared_colours(world, login):
    world.incident(title="一级故障", level=1)
    world.incident(title="四级咨询", level=4)
    page = login(world.agent).get("/incidents/").content.decode()
    for level in (1, 4):
        assert f'class="badge bg-{LEVEL_COLOURS[level]}-lt level-badge" data-level="{level}"' in page
    assert f'class="badge bg-{STATUS_COLOURS["new"]}-lt status-badge" data-status="new"' in page

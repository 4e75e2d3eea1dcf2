"""Knowledge test helpers: articles on contract A written by the agent, moved along their lifecycle."""

from __future__ import annotations

import pytest

from opsdesk.knowledge import services
from opsdesk.knowledge.models import KnowledgeArticle


@pytest.fixture
def article(world):
    """`article(title, status=..., **fields)`: an article on contract A, taken to `status` by the right roles."""
    def make(title: str = "打印机脱机无法打印", *, status: str = "draft", by=None, contract=None,
             **fields) -> KnowledgeArticle:
        fields.setdefault("symptom", "打印机显示脱机，无法打印")
        fields.setdefault("solution", "重启打印服务 Print Spooler")
        art = services.article_create(by=by or world.agent, contract=contract or world.contract_a, title=title,
                                      **fields)
        pm = world.pm if art.contract_id == world.contract_a.pk else None
        if status in ("in_review", "published", "retired"):
            services.article_act(article=art, action="submit", by=by or world.agent)
        if status in ("published", "retired"):
            assert pm is not None
            services.article_act(article=art, action="accept", by=pm)
        if status == "retired":
            services.article_act(article=art, action="retire", by=pm)
        art.refresh_from_db()
        return art
    return make


def resolved_incident(world, **kwargs):
    """An incident on contract A taken to resolved (confirmed) with a solution; contract A closes it at once
    on confirmation, so it ends closed."""
    from opsdesk.incidents.services import incident_act

    inc = world.incident(**kwargs)
    incident_act(incident=inc, action="accept", by=world.agent)
    incident_act(incident=inc, action="resolve", by=world.agent, data={"solution": "更换硒鼓后恢复"})
    incident_act(incident=inc, action="confirm", by=world.requester_a)
    inc.refresh_from_db()
    return inc

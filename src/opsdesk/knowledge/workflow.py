"""The knowledge article lifecycle, declared as data on the workflow engine (core.workflow).

draft → in review (an author submits) → published (the contract's project manager accepts) or back to draft
(the project manager rejects with a reason) → retired (the project manager retires it, e.g. when the
system it describes is replaced). Authors are the service staff of the contract: agents, on-site and
second-line engineers and the project manager. Publishing records the text as a new ArticleVersion.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.choices import Role
from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import access_for
from opsdesk.core.workflow import SYSTEM_ROLE, Action, ActionContext, Field, Workflow

from .choices import ArticleStatus
from .models import ArticleVersion, KnowledgeArticle

S = ArticleStatus
AUTHORS = frozenset({Role.AGENT, Role.ENGINEER, Role.SECOND_LINE, Role.PROJECT_MANAGER})
REVIEWERS = frozenset({Role.PROJECT_MANAGER})


def article_roles(user: User | None, article: KnowledgeArticle) -> frozenset[str]:
    """The contract roles `user` holds on the article's contract (client roles carry no article action)."""
    if user is None:
        return frozenset({SYSTEM_ROLE})
    return access_for(user).roles_on(article.contract_id) & (AUTHORS | REVIEWERS)


def record_version(article: KnowledgeArticle, by: User | None) -> ArticleVersion:
    """Keep the article's current text as its next published revision (the caller saves `revision`)."""
    article.revision += 1
    return ArticleVersion.objects.create(
        article=article, revision=article.revision, title=article.title, symptom=article.symptom,
        cause=article.cause, solution=article.solution, keywords=article.keywords,
        affected_systems=article.affected_systems, audience=article.audience,
        published_by=by if getattr(by, "pk", None) else None)


def _submitted(ctx: ActionContext) -> None:
    article: KnowledgeArticle = ctx.record
    article.reject_reason = ""
    article.save(update_fields=["reject_reason"])


def _published(ctx: ActionContext) -> None:
    article: KnowledgeArticle = ctx.record
    version = record_version(article, ctx.actor)
    article.reviewer = ctx.actor
    article.published_at = timezone.now()
    article.save(update_fields=["revision", "reviewer", "published_at"])
    ctx.audit_extra.update(revision=version.revision)
    ctx.timeline_extra.update(revision=version.revision)


def _rejected(ctx: ActionContext) -> None:
    article: KnowledgeArticle = ctx.record
    article.reviewer = ctx.actor
    article.save(update_fields=["reviewer"])


def _retired(ctx: ActionContext) -> None:
    article: KnowledgeArticle = ctx.record
    article.retired_at = timezone.now()
    article.save(update_fields=["retired_at"])


ARTICLE_WORKFLOW = Workflow(
    name="article",
    model=KnowledgeArticle,
    states=ArticleStatus,
    initial=S.DRAFT,
    roles_of=article_roles,
    audit_fields=("status", "reviewer", "reject_reason", "retire_reason", "revision"),
    terminal=(S.RETIRED,),
    actions=(
        Action("submit", _("Submit for review"), sources=(S.DRAFT,), target=S.IN_REVIEW, roles=AUTHORS,
               effects=(_submitted,), style="primary",
               description=_("Ask the project manager to review and publish the article.")),
        Action("accept", _("Accept and publish"), sources=(S.IN_REVIEW,), target=S.PUBLISHED, roles=REVIEWERS,
               effects=(_published,), style="success",
               description=_("Publish the article: it can be found and used from now on.")),
        Action("reject", _("Reject"), sources=(S.IN_REVIEW,), target=S.DRAFT, roles=REVIEWERS,
               fields=(Field("reason", _("Reason"), kind="textarea", max_length=2000, model_field="reject_reason"),),
               effects=(_rejected,), style="danger",
               description=_("Send the article back to its authors with the reason.")),
        Action("retire", _("Retire"), sources=(S.PUBLISHED,), target=S.RETIRED, roles=REVIEWERS,
               fields=(Field("reason", _("Reason"), kind="textarea", required=False, max_length=2000,
                             model_field="retire_reason"),),
               effects=(_retired,), style="secondary",
               description=_("Withdraw the article: it is no longer found by searches.")),
    ),
)

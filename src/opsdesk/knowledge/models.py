"""Knowledge articles (知识库), the texts they had when published, and who said "this solved it"."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from opsdesk.core.models import TimeStampedModel, VersionedModel

from .choices import STATUS_COLOURS, ArticleStatus, Audience

TITLE_MAX = 200
KEYWORDS_MAX = 500
SYSTEMS_MAX = 300


class KnowledgeArticle(TimeStampedModel, VersionedModel):
    """A known fault and its fix: symptom, cause, solution, for one contract.

    Lifecycle draft → in review → published → retired (workflow.py); service staff write, the contract's
    project manager accepts or rejects (with a reason) and retires. `revision` counts the published texts
    (ArticleVersion keeps each one); `version` is the optimistic lock of every write. `organisation` repeats
    the contract's client so that visibility filters use one indexed column. Requesters and client contacts
    only ever see published `requester`-audience articles of their own organisation's contracts.
    """

    number = models.CharField(_("number"), max_length=32, unique=True)
    contract = models.ForeignKey("accounts.Contract", on_delete=models.PROTECT, related_name="articles",
                                 verbose_name=_("contract"))
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="articles",
                                     verbose_name=_("client organisation"))
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    symptom = models.TextField(_("symptom"), blank=True)
    cause = models.TextField(_("cause"), blank=True)
    solution = models.TextField(_("solution"), blank=True)
    keywords = models.CharField(_("keywords"), max_length=KEYWORDS_MAX, blank=True)
    affected_systems = models.CharField(_("affected systems"), max_length=SYSTEMS_MAX, blank=True)
    categories = models.ManyToManyField("incidents.IncidentCategory", blank=True, related_name="articles",
                                        verbose_name=_("related categories"))
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices, default=Audience.ENGINEER)
    status = models.CharField(_("status"), max_length=20, choices=ArticleStatus.choices,
                              default=ArticleStatus.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("author"))
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("reviewer"))
    reject_reason = models.TextField(_("rejection reason"), blank=True)
    retire_reason = models.TextField(_("retirement reason"), blank=True)
    source_incident = models.ForeignKey("incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="articles", verbose_name=_("source incident"))
    revision = models.PositiveIntegerField(_("revision"), default=0)
    solved_count = models.PositiveIntegerField(_("solved count"), default=0)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        indexes = [
            models.Index(fields=["-id"], name="kb_id_desc_idx"),
            models.Index(fields=["contract", "status", "-id"], name="kb_contract_status_idx"),
            models.Index(fields=["organisation", "status", "audience", "-id"], name="kb_org_idx"),
            models.Index(fields=["status", "-id"], name="kb_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("knowledge:article_detail", args=[self.number])

    @property
    def status_colour(self) -> str:
        return STATUS_COLOURS.get(self.status, "secondary")  # type: ignore[call-overload]


class ArticleVersion(models.Model):
    """The text of an article as published: one row per publication and per edit of a published article."""

    article = models.ForeignKey(KnowledgeArticle, on_delete=models.CASCADE, related_name="versions",
                                verbose_name=_("article"))
    revision = models.PositiveIntegerField(_("revision"))
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    symptom = models.TextField(_("symptom"), blank=True)
    cause = models.TextField(_("cause"), blank=True)
    solution = models.TextField(_("solution"), blank=True)
    keywords = models.CharField(_("keywords"), max_length=KEYWORDS_MAX, blank=True)
    affected_systems = models.CharField(_("affected systems"), max_length=SYSTEMS_MAX, blank=True)
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("published by"))
    created_at = models.DateTimeField(_("published at"), auto_now_add=True)

    class Meta:
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        ordering = ["-revision"]
        constraints = [models.UniqueConstraint(fields=["article", "revision"], name="kb_version_unique")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.revision}"


class ArticleSolved(models.Model):
    """One "this solved it" from one person for one article (once per person), optionally on an incident."""

    article = models.ForeignKey(KnowledgeArticle, on_delete=models.CASCADE, related_name="solved_marks",
                                verbose_name=_("article"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("person"))
    incident = models.ForeignKey("incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("incident"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("solved mark")
        verbose_name_plural = _("solved marks")
        constraints = [models.UniqueConstraint(fields=["article", "user"], name="kb_solved_once")]

    def __str__(self) -> str:
        return f"{self.article_id} · {self.user_id}"

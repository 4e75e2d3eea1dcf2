"""Statuses and audiences of knowledge articles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class Audience(models.TextChoices):
    REQUESTER = "requester", _("Requesters (self-help)")
    ENGINEER = "engineer", _("Engineers")


STATUS_COLOURS = {
    ArticleStatus.DRAFT: "secondary",
    ArticleStatus.IN_REVIEW: "warning",
    ArticleStatus.PUBLISHED: "success",
    ArticleStatus.RETIRED: "dark",
}

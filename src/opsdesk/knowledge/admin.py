from django.contrib import admin

from opsdesk.core.admin import ReadOnlyAdmin

from .models import ArticleSolved, ArticleVersion, KnowledgeArticle


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(ReadOnlyAdmin):
    """Read-only: articles change only through their pages and the API (reviewed, versioned, audited)."""

    list_display = ("number", "title", "status", "audience", "contract", "author", "revision", "solved_count")
    list_select_related = ("contract", "author")
    list_filter = ("status", "audience")
    search_fields = ("number", "title")
    show_full_result_count = False


@admin.register(ArticleVersion)
class ArticleVersionAdmin(ReadOnlyAdmin):
    """Read-only: the published texts of the articles."""

    list_display = ("article", "revision", "title", "published_by", "created_at")
    list_select_related = ("article", "published_by")


@admin.register(ArticleSolved)
class ArticleSolvedAdmin(ReadOnlyAdmin):
    """Read-only: who said an article solved their problem."""

    list_display = ("article", "user", "incident", "created_at")
    list_select_related = ("article", "user", "incident")

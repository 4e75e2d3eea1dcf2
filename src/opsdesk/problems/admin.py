from django.contrib import admin

from opsdesk.core.admin import ReadOnlyAdmin

from .models import Problem, ProblemIncident


@admin.register(Problem)
class ProblemAdmin(ReadOnlyAdmin):
    """Read-only: problems change only through their pages and the API (the procedure, audited)."""

    list_display = ("number", "title", "status", "known_error", "level", "contract", "owner", "assignee",
                    "created_at", "solved_at")
    list_select_related = ("contract", "owner", "assignee")
    list_filter = ("status", "known_error", "level")
    search_fields = ("number", "title")
    show_full_result_count = False


@admin.register(ProblemIncident)
class ProblemIncidentAdmin(ReadOnlyAdmin):
    """Read-only: which incidents are linked to which problem."""

    list_display = ("problem", "incident", "active", "linked_by", "created_at")
    list_select_related = ("problem", "incident", "linked_by")
    list_filter = ("active",)

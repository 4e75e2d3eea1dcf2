from django.contrib import admin

from opsdesk.core.admin import AuditedAdmin, ReadOnlyAdmin

from .models import Incident, IncidentCategory


@admin.register(IncidentCategory)
class IncidentCategoryAdmin(AuditedAdmin):
    list_display = ("name", "parent", "is_active")
    list_select_related = ("parent",)
    search_fields = ("name",)


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    """Read-only: incidents change only through the workflow (pages and API), never by direct edit."""

    list_display = ("number", "title", "status", "level", "contract", "requester", "owner", "assignee")
    list_select_related = ("contract", "requester", "owner", "assignee")
    list_filter = ("status", "level")
    search_fields = ("number", "title")
    show_full_result_count = False

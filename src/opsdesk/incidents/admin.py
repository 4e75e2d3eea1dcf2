from django.contrib import admin

from opsdesk.core.admin import AuditedAdmin, ReadOnlyAdmin

from .models import CallRecord, Incident, IncidentCategory, SatisfactionRating


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


@admin.register(SatisfactionRating)
class SatisfactionRatingAdmin(ReadOnlyAdmin):
    """Read-only: a rating is given once, through the portal or the API."""

    list_display = ("incident", "score", "rated_by", "rated_at")
    list_select_related = ("incident", "rated_by")
    list_filter = ("score",)


@admin.register(CallRecord)
class CallRecordAdmin(ReadOnlyAdmin):
    """Read-only: calls are recorded by the agents on the incident pages."""

    list_display = ("started_at", "phone", "caller", "agent", "outcome", "incident")
    list_select_related = ("caller", "agent", "incident")
    list_filter = ("outcome",)
    search_fields = ("phone",)
    show_full_result_count = False

"""Admin registrations for core records, and the audited base every OpsDesk ModelAdmin uses."""

from django.contrib import admin
from django.db import transaction

from .audit import audit_record
from .models import AuditEntry


class AuditedAdmin(admin.ModelAdmin):
    """Admin edits are writes too: each save and delete is atomic and leaves an audit entry."""

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(actor=request.user, action=f"admin.{'change' if change else 'add'}", instance=obj,
                         after={k: str(form.cleaned_data.get(k)) for k in form.changed_data})

    def save_formset(self, request, form, formset, change):
        with transaction.atomic():
            instances = formset.save()
            for obj in instances:
                audit_record(actor=request.user, action="admin.save_inline", instance=obj)
            for obj in formset.deleted_objects:
                audit_record(actor=request.user, action="admin.delete_inline", object_type=obj._meta.label_lower,
                             object_id=str(obj.pk), object_repr=str(obj))

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit_record(actor=request.user, action="admin.delete", instance=obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                audit_record(actor=request.user, action="admin.delete", instance=obj)
            super().delete_queryset(request, queryset)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shows records without add, change or delete: for records that change only through services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: the audit trail is append-only."""

    list_display = ("created_at", "actor_name", "action", "object_type", "object_repr", "source_ip")
    list_filter = ("action", "object_type")
    search_fields = ("actor_name", "object_repr", "object_id")
    date_hierarchy = "created_at"

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from opsdesk.core.admin import AuditedAdmin

from .models import Contract, Department, Organisation, RoleGrant, User


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 0
    autocomplete_fields = ["contract"]


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, (_("OpsDesk"), {"fields": ("full_name", "phone", "organisation",
                                                                        "department")}))
    list_display = ("username", "full_name", "phone", "organisation", "is_active")
    list_select_related = ("organisation",)
    search_fields = ("username", "full_name", "phone", "email")
    inlines = [RoleGrantInline]


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ("code", "name", "kind")
    search_fields = ("code", "name")


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ("name", "organisation", "parent")
    list_select_related = ("organisation", "parent")


@admin.register(Contract)
class ContractAdmin(AuditedAdmin):
    list_display = ("code", "name", "organisation", "is_active")
    list_select_related = ("organisation",)
    search_fields = ("code", "name")

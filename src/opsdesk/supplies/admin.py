"""Admin: locations and the catalogue may be corrected (audited); stock, movements and loans only change
through the services (the never-negative rule and the monthly report depend on it), so they are read-only."""

from django.contrib import admin

from opsdesk.core.admin import AuditedAdmin, ReadOnlyAdmin

from .models import Consumable, ConsumableMovement, Loan, SparePart, Stock, StockLocation, StockMovement


@admin.register(StockLocation)
class StockLocationAdmin(AuditedAdmin):
    list_display = ("code", "name", "kind", "contract", "is_active")
    list_filter = ("kind", "is_active")


@admin.register(SparePart)
class SparePartAdmin(AuditedAdmin):
    list_display = ("code", "name", "model", "contract", "unit_price", "min_stock", "agreed_stock")
    search_fields = ("code", "name", "model")
    exclude = ("version",)


@admin.register(Consumable)
class ConsumableAdmin(AuditedAdmin):
    list_display = ("code", "name", "brand", "model", "contract", "unit_price", "quantity")
    search_fields = ("code", "name", "model")
    readonly_fields = ("quantity",)
    exclude = ("version",)


@admin.register(Stock)
class StockAdmin(ReadOnlyAdmin):
    list_display = ("part", "location", "quantity")


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = ("at", "part", "kind", "quantity", "from_location", "to_location", "reason", "by")
    list_filter = ("kind",)


@admin.register(ConsumableMovement)
class ConsumableMovementAdmin(ReadOnlyAdmin):
    list_display = ("at", "consumable", "kind", "quantity", "amount", "department", "recipient_name", "by")
    list_filter = ("kind",)


@admin.register(Loan)
class LoanAdmin(ReadOnlyAdmin):
    list_display = ("consumable", "quantity", "borrower_name", "department", "lent_at", "due_on", "returned_at")

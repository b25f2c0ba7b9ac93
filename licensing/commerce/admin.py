"""Admin for orders and invoices: read-only; state changes go through the services."""

from django.contrib import admin

from licensing.commerce.models import Invoice, Order, OrderLine


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = ["title", "dataset", "version", "edition", "price", "restricted", "status"]
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "organisation", "status", "total", "placed_at", "paid_at"]
    list_filter = ["status", "payment_method"]
    search_fields = ["number", "organisation__name", "billing_name"]
    inlines = [OrderLineInline]
    readonly_fields = [f.name for f in Order._meta.fields]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "order", "issued_at", "total", "tax"]
    readonly_fields = [f.name for f in Invoice._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # append-only: view only

    def has_delete_permission(self, request, obj=None):
        return False

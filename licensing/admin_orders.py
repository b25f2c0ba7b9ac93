"""Admin for orders and provision records: read-mostly; provision records cannot be
deleted before their retention ends (APPI)."""

from django.contrib import admin
from django.utils import timezone

from licensing.models import Invoice, Order, OrderLine, ProvisionRecord


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

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProvisionRecord)
class ProvisionRecordAdmin(admin.ModelAdmin):
    list_display = ["subject_id", "provided_on", "recipient_name", "dataset_title", "dataset_version", "retain_until"]
    search_fields = ["subject_id", "recipient_name"]
    readonly_fields = [f.name for f in ProvisionRecord._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        if obj is None:
            # The bulk action would fail on any record still retained.
            return not ProvisionRecord.objects.filter(retain_until__gt=timezone.localdate()).exists()
        return obj.retain_until <= timezone.localdate()

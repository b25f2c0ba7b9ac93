from django.contrib import admin

from contributors.models import ContributorProfile


@admin.register(ContributorProfile)
class ContributorProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "entity_type", "tax_residency", "created_at"]
    list_filter = ["entity_type", "tax_residency"]
    search_fields = ["display_name", "user__email"]
    list_select_related = ["user"]


# --- Notifications (added with model releases and review) --------------------------------

from contributors.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: notifications are written by the services that decide things."""

    list_display = ["created_at", "user", "kind", "title", "read_at", "emailed_at"]
    list_filter = ["kind"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    readonly_fields = ["user", "kind", "params", "url", "title", "body", "created_at", "read_at", "emailed_at"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

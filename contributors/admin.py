from django.contrib import admin

from contributors.models import ContributorProfile


@admin.register(ContributorProfile)
class ContributorProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "entity_type", "tax_residency", "created_at"]
    list_filter = ["entity_type", "tax_residency"]
    search_fields = ["display_name", "user__email"]
    list_select_related = ["user"]

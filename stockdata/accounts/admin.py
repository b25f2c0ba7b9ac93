from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from stockdata.accounts.models import Organisation, TermsAcceptance, TermsVersion, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "organisation", "is_staff", "is_active"]
    list_filter = ["role", "is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "full_name"]
    list_select_related = ["organisation"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("full_name", "role", "organisation")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "role", "organisation", "password1", "password2")}),
    )


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "invoice_registration_number", "created_at"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "billing_name"]


@admin.register(TermsVersion)
class TermsVersionAdmin(admin.ModelAdmin):
    """A new version (with a later date) asks everyone to accept it again at their next sign-in."""

    list_display = ["code", "effective_from", "created_at"]


@admin.register(TermsAcceptance)
class TermsAcceptanceAdmin(admin.ModelAdmin):
    list_display = ["user", "version", "accepted_at", "ip"]
    list_filter = ["version"]
    search_fields = ["user__email"]
    list_select_related = ["user", "version"]
    readonly_fields = ["user", "version", "accepted_at", "ip"]

    def has_add_permission(self, request):
        return False  # recorded when someone accepts, never typed in

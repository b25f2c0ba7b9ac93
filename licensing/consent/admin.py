"""Admin for releases and consent. State changes go through the services (actions), never a raw edit;
personal data is read-only unless you are a superuser, and every edit lands in the admin log."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from licensing.consent import services
from licensing.consent.models import (
    ConsentScope,
    ConsentWithdrawal,
    ContributorOptOut,
    ModelRelease,
    ProvisionRecord,
    ReleaseLink,
    ReleaseScope,
    ReviewDecision,
)

PERSONAL_FIELDS = ("subject_name", "subject_contact", "date_of_birth", "guardian_name", "witness_name")


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReleaseScopeInline(ReadOnlyInline):
    model = ReleaseScope
    fields = ["scope", "withdrawn_at", "withdrawal"]
    readonly_fields = fields


class ReleaseLinkInline(ReadOnlyInline):
    model = ReleaseLink
    fields = ["subject", "linked_at", "linked_by"]
    readonly_fields = fields


class ReviewDecisionInline(ReadOnlyInline):
    model = ReviewDecision
    fk_name = "release"
    fields = ["created_at", "reviewer", "decision", "reason", "note"]
    readonly_fields = fields


class ConsentWithdrawalInline(ReadOnlyInline):
    model = ConsentWithdrawal
    fields = ["created_at", "channel", "entire", "scope_list", "received_on", "recorded_by", "note"]
    readonly_fields = fields

    @admin.display(description=_("scopes withdrawn"))
    def scope_list(self, obj):
        return ", ".join(s.code for s in obj.scopes.all())


@admin.register(ConsentScope)
class ConsentScopeAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_ja", "is_ai_use", "is_biometric", "position"]
    ordering = ["position"]

    def get_readonly_fields(self, request, obj=None):
        # The code is what releases, datasets and bundles refer to: fixed once it exists.
        return ["code"] if obj else []


@admin.register(ModelRelease)
class ModelReleaseAdmin(admin.ModelAdmin):
    list_display = ["subject_id", "contributor", "status", "is_minor", "signed_on", "expires_on", "submitted_at"]
    list_filter = ["status", "is_minor", "form_language"]
    search_fields = ["subject_id", "reference", "contributor__email"]
    list_select_related = ["contributor"]
    date_hierarchy = "submitted_at"
    inlines = [ReleaseScopeInline, ReleaseLinkInline, ReviewDecisionInline, ConsentWithdrawalInline]
    actions = ["approve_selected"]
    fieldsets = (
        (None, {"fields": ("subject_id", "contributor", "reference", "status", "document_link")}),
        (_("Personal data (staff only)"), {"fields": PERSONAL_FIELDS}),
        (
            _("The form"),
            {
                "fields": (
                    "age_band",
                    "is_minor",
                    "guardian_signed",
                    "signed_on",
                    "shoot_date",
                    "shoot_place",
                    "photographer_name",
                    "form_language",
                    "expires_on",
                )
            },
        ),
        (
            _("Review"),
            {"fields": ("rejection_reason", "rejection_note", "submitted_at", "reviewed_at", "withdrawn_at")},
        ),
    )
    always_read_only = (
        "subject_id",
        "contributor",
        "status",
        "document_link",
        "rejection_reason",
        "rejection_note",
        "submitted_at",
        "reviewed_at",
        "withdrawn_at",
        "is_minor",
        "guardian_signed",
    )

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return self.always_read_only
        # Reviewers see the personal data but cannot change it.
        return [f for fs in self.fieldsets for f in fs[1]["fields"]]

    def has_add_permission(self, request):
        return False  # a release is created by its contributor, with the signed scan

    def has_delete_permission(self, request, obj=None):
        return False  # the consent record is kept

    @admin.display(description=_("signed document"))
    def document_link(self, obj):
        if not obj.pk:
            return "-"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a> · <a href="{}">{}</a>',
            reverse("licensing:release_document", args=[obj.uuid]),
            _("Open the scan"),
            reverse("licensing:review_release", args=[obj.uuid]),
            _("Review page"),
        )

    @admin.action(description=_("Approve the selected releases"))
    def approve_selected(self, request, queryset):
        result = services.review_bulk_approve(reviewer=request.user, releases=list(queryset))
        if result.approved:
            self.message_user(request, _("%(count)s approved.") % {"count": result.approved}, messages.SUCCESS)
        for label, message in result.errors:
            self.message_user(request, f"{label}: {message}", messages.ERROR)


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(admin.ModelAdmin):
    """The audit trail of review: append-only."""

    list_display = ["created_at", "kind", "item_uuid", "decision", "reason", "reviewer"]
    list_filter = ["kind", "decision", "reason"]
    search_fields = ["item_uuid", "reviewer__email", "release__subject_id"]
    list_select_related = ["reviewer"]
    readonly_fields = ["created_at", "kind", "item_uuid", "photo", "release", "decision", "reason", "note", "reviewer"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConsentWithdrawal)
class ConsentWithdrawalAdmin(admin.ModelAdmin):
    """Withdrawals are recorded from the subject's link or the staff review page, and never changed."""

    list_display = ["created_at", "release", "entire", "channel", "received_on", "recorded_by"]
    list_filter = ["channel", "entire"]
    search_fields = ["release__subject_id"]
    list_select_related = ["release", "recorded_by"]
    readonly_fields = ["created_at", "release", "entire", "scopes", "channel", "recorded_by", "received_on", "note"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ContributorOptOut)
class ContributorOptOutAdmin(admin.ModelAdmin):
    """Set by contributors in their portal; shown here to answer questions."""

    list_display = ["contributor", "photo", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["contributor__email"]
    list_select_related = ["contributor", "photo"]
    readonly_fields = ["contributor", "photo", "kind", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Provision records cannot be deleted before their retention ends (APPI).
@admin.register(ProvisionRecord)
class ProvisionRecordAdmin(admin.ModelAdmin):
    list_display = ["subject_id", "provided_on", "recipient_name", "dataset_title", "dataset_version", "retain_until"]
    search_fields = ["subject_id", "recipient_name"]
    readonly_fields = [f.name for f in ProvisionRecord._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # append-only: view only

    def has_delete_permission(self, request, obj=None):
        if obj is None:
            # The bulk action would fail on any record still retained.
            return not ProvisionRecord.objects.filter(retain_until__gt=timezone.localdate()).exists()
        return obj.retain_until <= timezone.localdate()

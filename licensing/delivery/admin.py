from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from licensing.consent.admin import ReadOnlyInline
from licensing.delivery import services as bundle_services
from licensing.delivery.models import Bundle, BundleBase, BundleBasePart, BundlePart, DownloadEvent, WithdrawalNotice
from stockdata.errors import ApplicationError


class DownloadEventInline(ReadOnlyInline):
    model = DownloadEvent
    fields = ["at", "user", "ip"]
    readonly_fields = fields


class BundlePartInline(ReadOnlyInline):
    model = BundlePart
    fields = ["number", "file_name", "byte_size", "base_prefix", "sha256"]
    readonly_fields = fields


class BundleBasePartInline(ReadOnlyInline):
    model = BundleBasePart
    fields = ["number", "status", "files_done", "files_total", "byte_size", "attempts", "error", "finished_at"]
    readonly_fields = fields


@admin.register(Bundle)
class BundleAdmin(admin.ModelAdmin):
    """What each order line's buyer downloads; failed ones are rebuilt with the action, never edited."""

    list_display = [
        "id",
        "order_line",
        "status",
        "files_done",
        "files_total",
        "attempts",
        "error",
        "ready_at",
        "revoked_at",
    ]
    list_filter = ["status"]
    search_fields = ["order_line__order__number", "order_line__order__organisation__name"]
    list_select_related = ["order_line"]
    readonly_fields = [
        "order_line",
        "base",
        "status",
        "archive",
        "base_prefix",
        "partial",
        "file_name",
        "byte_size",
        "sha256",
        "files_total",
        "files_done",
        "attempts",
        "error",
        "created_at",
        "ready_at",
        "revoked_at",
    ]
    fields = [*readonly_fields[:2], "download_limit", *readonly_fields[2:]]
    inlines = [BundlePartInline, DownloadEventInline]
    actions = ["rebuild"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Rebuild the selected bundles"))
    def rebuild(self, request, queryset):
        done = 0
        for bundle in queryset:
            try:
                bundle_services.bundle_rebuild(bundle=bundle)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{bundle.pk}: {exc.message}", messages.WARNING)
        if done:
            self.message_user(
                request, _("%(count)d bundle(s) queued for a rebuild.") % {"count": done}, messages.SUCCESS
            )


@admin.register(BundleBase)
class BundleBaseAdmin(admin.ModelAdmin):
    """The shared part of the bundles of one version and edition; read-only."""

    list_display = [
        "id",
        "version",
        "edition",
        "status",
        "left_out",
        "files_done",
        "files_total",
        "attempts",
        "error",
        "finished_at",
    ]
    list_filter = ["status", "edition"]
    list_select_related = ["version__dataset"]
    exclude = ["index", "prefix_sha256_state"]
    inlines = [BundleBasePartInline]

    @admin.display(description=_("photos left out (consent withdrawn)"))
    def left_out(self, obj) -> int:
        return len(obj.excluded)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WithdrawalNotice)
class WithdrawalNoticeAdmin(admin.ModelAdmin):
    list_display = ["order_line", "withdrawal", "created_at", "emailed_at"]
    list_select_related = ["order_line", "withdrawal"]
    readonly_fields = ["order_line", "withdrawal", "file_names", "created_at", "emailed_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

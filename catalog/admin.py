from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from catalog.models import Photo, PhotoSubject, Tag


class PhotoSubjectInline(admin.TabularInline):
    model = PhotoSubject
    extra = 0


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ["thumb", "title", "contributor", "status", "processing", "format", "width", "height", "created_at"]
    list_filter = ["status", "processing", "format", "lighting", "no_people"]
    search_fields = ["title", "title_ja", "original_filename", "sha256", "uuid", "contributor__email"]
    list_select_related = ["contributor"]
    readonly_fields = [
        "uuid",
        "original",
        "cleaned",
        "thumbnail",
        "preview",
        "format",
        "width",
        "height",
        "orientation",
        "byte_size",
        "sha256",
        "phash",
        "near_duplicate_of",
        "processing",
        "processing_error",
        "processing_attempts",
        "submitted_at",
        "reviewed_at",
        "status",
        "rejection_reason",
        "rejection_note",
    ]
    autocomplete_fields = ["tags"]
    raw_id_fields = ["contributor"]
    inlines = [PhotoSubjectInline]

    @admin.display(description=_("thumbnail"))
    def thumb(self, photo):
        if not photo.thumbnail:
            return "—"
        return format_html('<img src="{}" style="height:48px;border-radius:4px" alt="">', photo.thumbnail_url)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]

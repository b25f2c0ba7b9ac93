import re

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from catalog.models import AgeBand, Angle, Gender, Lighting, Photo, PhotoSubject


def country_code(value: str) -> str:
    """Two letters, as the portal's form takes them ("jp" is JP); anything else is refused."""
    value = (value or "").strip().upper()
    if value and not re.fullmatch(r"[A-Z]{2}", value):
        raise serializers.ValidationError(_("Enter a two-letter country code, for example JP."))
    return value


class SubjectSerializer(serializers.ModelSerializer):
    age_band = serializers.ChoiceField(choices=AgeBand.choices, required=False, allow_blank=True)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True)
    angle = serializers.ChoiceField(choices=Angle.choices, required=False, allow_blank=True)

    class Meta:
        model = PhotoSubject
        fields = ["position", "age_band", "gender", "ethnicity", "mask", "glasses", "hat", "angle"]
        read_only_fields = ["position"]


class TagListField(serializers.ListField):
    """Keywords as plain strings; stored as Tag rows."""

    def to_representation(self, data):
        return [t.name for t in data.all()]


class PhotoSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    tags = TagListField(
        child=serializers.CharField(max_length=50),
        required=False,
        max_length=50,
        help_text="Keywords, in Japanese or English.",
    )
    subjects = SubjectSerializer(many=True, required=False, max_length=50)
    thumbnail_url = serializers.SerializerMethodField()
    preview_url = serializers.SerializerMethodField()
    near_duplicate_of = serializers.SerializerMethodField()
    lighting = serializers.ChoiceField(choices=Lighting.choices, required=False, allow_blank=True)

    class Meta:
        model = Photo
        fields = [
            "id",
            "status",
            "processing",
            "processing_error",
            "original_filename",
            "format",
            "width",
            "height",
            "byte_size",
            "sha256",
            "phash",
            "near_duplicate_of",
            "thumbnail_url",
            "preview_url",
            "title",
            "title_ja",
            "description",
            "tags",
            "shoot_date",
            "country",
            "prefecture",
            "lighting",
            "no_people",
            "subjects",
            "rejection_reason",
            "rejection_note",
            "created_at",
            "submitted_at",
        ]
        read_only_fields = [
            "status",
            "processing",
            "processing_error",
            "original_filename",
            "format",
            "width",
            "height",
            "byte_size",
            "sha256",
            "phash",
            "rejection_reason",
            "rejection_note",
            "created_at",
            "submitted_at",
        ]

    def validate_country(self, value):
        return country_code(value)

    def get_thumbnail_url(self, photo) -> str | None:
        return photo.thumbnail_url or None

    def get_preview_url(self, photo) -> str | None:
        return photo.preview_url or None

    def get_near_duplicate_of(self, photo) -> str | None:
        other = photo.near_duplicate_of
        if other is None:
            return None
        if other.contributor_id == photo.contributor_id:
            return reverse("contributors:photo_detail", args=[other.uuid])
        return "another contributor's photo"


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, use_url=False)


class BatchUploadSerializer(serializers.Serializer):
    files = serializers.ListField(child=serializers.FileField(allow_empty_file=True, use_url=False), max_length=100)


class UploadResultSerializer(serializers.Serializer):
    file = serializers.CharField()
    ok = serializers.BooleanField()
    photo = PhotoSerializer(required=False)
    error = serializers.DictField(required=False)


class BulkEditSerializer(serializers.Serializer):
    photos = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=500)
    add_tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list)
    remove_tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list)
    lighting = serializers.ChoiceField(choices=Lighting.choices, required=False)
    shoot_date = serializers.DateField(required=False)
    country = serializers.CharField(max_length=2, required=False)
    prefecture = serializers.CharField(max_length=50, required=False, allow_blank=True)
    mask = serializers.BooleanField(required=False)
    glasses = serializers.BooleanField(required=False)
    hat = serializers.BooleanField(required=False)
    age_band = serializers.ChoiceField(choices=AgeBand.choices, required=False)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False)
    angle = serializers.ChoiceField(choices=Angle.choices, required=False)

    def validate_country(self, value):
        return country_code(value)


class BulkEditResultSerializer(serializers.Serializer):
    updated = serializers.IntegerField()

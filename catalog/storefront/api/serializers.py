"""What the public catalogue API returns: the facts of the storefront pages, as JSON."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Dataset
from catalog.storefront.forms import CatalogueForm
from stockdata.money import CONSUMPTION_TAX_RATE_PERCENT


class CatalogueQuerySerializer(serializers.Serializer):
    """The query string of ``GET /api/v1/datasets/`` (documentation only: ``CatalogueForm`` validates it)."""

    q = serializers.CharField(required=False, help_text="Words that must all occur (Japanese or English).")
    category = serializers.ChoiceField(choices=Dataset.Category.choices, required=False)
    size = serializers.ChoiceField(choices=list(CatalogueForm.base_fields["size"].choices)[1:], required=False)
    max_price = serializers.IntegerField(required=False, help_text="Yen, tax included; the cheapest edition.")
    scope = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Consent scope code the dataset requires of every photo; repeat for several.",
    )
    masked = serializers.BooleanField(required=False, help_text="Only datasets with at least one masked face.")
    annotated = serializers.BooleanField(required=False, help_text="Only datasets with an annotated edition.")
    sort = serializers.ChoiceField(choices=list(CatalogueForm.base_fields["sort"].choices), required=False)
    page = serializers.IntegerField(required=False)


class ScopeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(help_text="In the request's language.")
    description = serializers.CharField()


class EditionSerializer(serializers.Serializer):
    edition = serializers.CharField(source="code", help_text="unedited | annotated")
    name = serializers.CharField()
    price = serializers.IntegerField(help_text="Yen, consumption tax included.")
    tax = serializers.IntegerField(
        help_text=f"The consumption tax contained in the price ({CONSUMPTION_TAX_RATE_PERCENT} %), yen."
    )
    price_excluding_tax = serializers.IntegerField(source="net")


class VersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    frozen_at = serializers.DateTimeField()
    photo_count = serializers.IntegerField()
    subject_count = serializers.IntegerField()
    box_count = serializers.IntegerField()
    annotated = serializers.BooleanField()
    content_hash = serializers.CharField()


class VersionDetailSerializer(VersionSerializer):
    changes = serializers.JSONField(help_text='{"previous": n | null, "added": [file names], "removed": [file names]}')


class SampleSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    file_name = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    preview_url = serializers.CharField(help_text="A watermarked preview.")


class DatasetCardSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    url = serializers.SerializerMethodField()
    web_url = serializers.SerializerMethodField()
    title = serializers.CharField(source="display_title", help_text="In the request's language.")
    title_en = serializers.CharField()
    title_ja = serializers.CharField()
    category = serializers.CharField()
    required_scopes = serializers.ListField(child=serializers.CharField())
    price_from = serializers.IntegerField(help_text="The cheapest edition on sale, yen, tax included.")
    editions = EditionSerializer(many=True, source="offers")
    version = VersionSerializer(source="latest_version")
    cover_url = serializers.CharField(allow_blank=True)
    published_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, dataset) -> str:
        return self._absolute(reverse("api:catalogue-detail", args=[dataset.slug]))

    @extend_schema_field(OpenApiTypes.URI)
    def get_web_url(self, dataset) -> str:
        return self._absolute(reverse("catalog:detail", args=[dataset.slug]))

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class DatasetDetailSerializer(DatasetCardSerializer):
    description = serializers.CharField(source="display_description")
    description_en = serializers.CharField()
    description_ja = serializers.CharField()
    licence_summary = serializers.CharField(source="display_licence_summary")
    consent_scopes = ScopeSerializer(many=True, source="held_scopes", help_text="Held by every photo of the version.")
    version = VersionDetailSerializer(source="latest_version")
    statistics = serializers.JSONField(
        source="latest_version.statistics",
        help_text="Counts over the version: photos, subjects, contributors, age_band, gender, mask, lighting, "
        "angle, image_sizes, boxes, megapixels_total, tags.",
    )
    samples = SampleSerializer(many=True)
    photos_on_sale = serializers.IntegerField(
        help_text="Photos of the version still sold: their people's consent holds now."
    )
    photos_withdrawn = serializers.IntegerField(
        help_text="Photos of the version left out since it was frozen (consent withdrawn, release ended, opted out)."
    )
    versions = VersionSerializer(many=True, source="history")

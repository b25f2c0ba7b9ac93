"""Serializers for the staff curation and annotation endpoints."""

from rest_framework import serializers

from catalog.curation.selectors import BALANCE_ATTRIBUTES
from catalog.models import AgeBand, Angle, AnnotationBox, BoxLabel, DatasetVersion, Gender, Lighting

# Caps and limits are photo counts: a million is far above any dataset, and keeps numbers sane.
MAX_COUNT = 1_000_000


class CurationQuerySerializer(serializers.Serializer):
    """A curation query, as stored on the dataset and with every frozen version."""

    tags_all = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list)
    tags_any = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list)
    tags_none = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list)
    age_band = serializers.ListField(child=serializers.ChoiceField(AgeBand.choices), required=False, default=list)
    gender = serializers.ListField(child=serializers.ChoiceField(Gender.choices), required=False, default=list)
    angle = serializers.ListField(child=serializers.ChoiceField(Angle.choices), required=False, default=list)
    lighting = serializers.ListField(child=serializers.ChoiceField(Lighting.choices), required=False, default=list)
    mask = serializers.BooleanField(required=False, allow_null=True, default=None)
    glasses = serializers.BooleanField(required=False, allow_null=True, default=None)
    hat = serializers.BooleanField(required=False, allow_null=True, default=None)
    people = serializers.ChoiceField(["any", "with", "without"], required=False, default="any")
    max_per_contributor = serializers.IntegerField(
        min_value=1, max_value=MAX_COUNT, required=False, allow_null=True, default=None
    )
    max_per_subject = serializers.IntegerField(
        min_value=1, max_value=MAX_COUNT, required=False, allow_null=True, default=None
    )
    exclude_near_duplicates = serializers.BooleanField(required=False, default=True)
    balance_by = serializers.ChoiceField(["", *BALANCE_ATTRIBUTES], required=False, default="")
    limit = serializers.IntegerField(min_value=1, max_value=MAX_COUNT, required=False, allow_null=True, default=None)
    exclude = serializers.ListField(child=serializers.UUIDField(format="hex_verbose"), required=False, default=list)

    def validate_exclude(self, value):
        return [str(v) for v in value]


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Photos the filters match, before caps, de-duplication and the limit.")
    selected = serializers.IntegerField(help_text="Photos the query would select after caps, balancing and the limit.")


class FreezeSerializer(serializers.Serializer):
    annotated = serializers.BooleanField(default=False)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class DatasetVersionSerializer(serializers.ModelSerializer):
    frozen_by = serializers.EmailField(source="frozen_by.email", read_only=True)

    class Meta:
        model = DatasetVersion
        fields = [
            "number",
            "annotated",
            "photo_count",
            "subject_count",
            "box_count",
            "content_hash",
            "statistics",
            "changes",
            "query",
            "notes",
            "frozen_by",
            "frozen_at",
        ]


class BoxSerializer(serializers.ModelSerializer):
    # No bounds here: the service checks the box against the photo and says so in words.
    id = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Send the id of an existing box to keep its origin (a moved detector proposal stays one); "
        "proposals left out of the list are recorded as rejected.",
    )
    x = serializers.IntegerField()
    y = serializers.IntegerField()
    w = serializers.IntegerField()
    h = serializers.IntegerField()
    label = serializers.ChoiceField(BoxLabel.choices, default=BoxLabel.FACE)
    source = serializers.ChoiceField(AnnotationBox.Source.choices, required=False)
    confirmed_by = serializers.EmailField(source="confirmed_by.email", read_only=True, allow_null=True)

    class Meta:
        model = AnnotationBox
        fields = ["id", "label", "x", "y", "w", "h", "source", "confirmed", "confirmed_by"]
        read_only_fields = ["confirmed", "confirmed_by"]


class BoxListSerializer(serializers.Serializer):
    boxes = BoxSerializer(many=True)
    complete = serializers.BooleanField(
        default=False,
        help_text="Also mark the photo's annotation complete: every face and mask boxed, no false box.",
    )


class BoxListResultSerializer(serializers.Serializer):
    photo = serializers.UUIDField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    boxes = BoxSerializer(many=True)
    unconfirmed = serializers.IntegerField()
    complete = serializers.BooleanField(help_text="A person marked these exact boxes complete.")
    completed_by = serializers.CharField(allow_blank=True)
    completed_at = serializers.CharField(allow_blank=True)


class ProposeResultSerializer(BoxListResultSerializer):
    proposed = serializers.IntegerField(help_text="Boxes the detector proposed now (0 if it already ran).")

from rest_framework import serializers

from catalog.models import AgeBand
from licensing.consent.models import ConsentScope, FormLanguage, ModelRelease, rejection_reason_label


class ConsentScopeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConsentScope
        fields = ["code", "name_en", "name_ja", "description_en", "description_ja", "is_ai_use", "is_biometric"]


class ReleaseSerializer(serializers.ModelSerializer):
    """A release as its contributor sees it: the subject by pseudonymous id only, never the personal data."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    scopes = serializers.SerializerMethodField(help_text="Scope codes the release still grants.")
    withdrawn_scopes = serializers.SerializerMethodField(help_text="Scope codes the subject withdrew.")
    expired = serializers.BooleanField(source="is_expired", read_only=True)
    # Empty when not stated (a release the subject signed on the site names no age band).
    age_band = serializers.ChoiceField(choices=AgeBand.choices, allow_blank=True, read_only=True)
    rejection_reason_text = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = ModelRelease
        fields = [
            "id",
            "subject_id",
            "reference",
            "status",
            "age_band",
            "is_minor",
            "guardian_signed",
            "signed_on",
            "shoot_date",
            "shoot_place",
            "photographer_name",
            "form_language",
            "expires_on",
            "expired",
            "document_format",
            "document_size",
            "scopes",
            "withdrawn_scopes",
            "rejection_reason",
            "rejection_reason_text",
            "rejection_note",
            "submitted_at",
            "reviewed_at",
            "withdrawn_at",
            "links",
        ]
        read_only_fields = fields

    def get_scopes(self, release) -> list[str]:
        return [rs.scope.code for rs in release.release_scopes.all() if rs.withdrawn_at is None]

    def get_withdrawn_scopes(self, release) -> list[str]:
        return [rs.scope.code for rs in release.release_scopes.all() if rs.withdrawn_at is not None]

    def get_rejection_reason_text(self, release) -> str:
        return rejection_reason_label("release", release.rejection_reason)

    def get_links(self, release) -> list[dict]:
        return [
            {"photo": str(link.subject.photo.uuid), "position": link.subject.position} for link in release.links.all()
        ]


class ReleaseWriteSerializer(serializers.Serializer):
    """The fields of the paper form. Personal data is write-only: it goes to staff, not back to you."""

    reference = serializers.CharField(max_length=100, required=False, allow_blank=True)
    subject_name = serializers.CharField(max_length=200, write_only=True)
    subject_contact = serializers.CharField(max_length=300, write_only=True)
    date_of_birth = serializers.DateField(required=False, allow_null=True, write_only=True)
    age_band = serializers.ChoiceField(choices=AgeBand.choices, required=False, allow_blank=True)
    is_minor = serializers.BooleanField(required=False, default=False)
    guardian_name = serializers.CharField(max_length=200, required=False, allow_blank=True, write_only=True)
    guardian_signed = serializers.BooleanField(required=False, default=False)
    signed_on = serializers.DateField()
    shoot_date = serializers.DateField(required=False, allow_null=True)
    shoot_place = serializers.CharField(max_length=200, required=False, allow_blank=True)
    photographer_name = serializers.CharField(max_length=200)
    witness_name = serializers.CharField(max_length=200, required=False, allow_blank=True, write_only=True)
    form_language = serializers.ChoiceField(choices=FormLanguage.choices, required=False, default=FormLanguage.JA)
    expires_on = serializers.DateField(required=False, allow_null=True)
    scopes = serializers.ListField(
        child=serializers.SlugField(max_length=40), min_length=1, help_text="Codes of the scopes ticked on the form."
    )


class ReleaseCreateSerializer(ReleaseWriteSerializer):
    document = serializers.FileField(
        allow_empty_file=True, use_url=False, help_text="The signed form: PDF, or a JPEG or PNG scan."
    )


class ReleaseUpdateSerializer(ReleaseWriteSerializer):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class DocumentSerializer(serializers.Serializer):
    document = serializers.FileField(allow_empty_file=True, use_url=False)


class AttachSerializer(serializers.Serializer):
    release = serializers.UUIDField(help_text="The id of one of your releases.")


class SubjectReleaseSerializer(serializers.Serializer):
    photo = serializers.UUIDField()
    position = serializers.IntegerField()
    release = ReleaseSerializer(allow_null=True)


class PhotoConsentSubjectSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    release = serializers.UUIDField(allow_null=True)
    subject_id = serializers.CharField(allow_null=True)
    release_status = serializers.CharField(allow_null=True)


class PhotoConsentSerializer(serializers.Serializer):
    photo = serializers.UUIDField()
    no_people = serializers.BooleanField()
    scopes = serializers.ListField(child=serializers.CharField(), help_text="Consent scopes the photo holds now.")
    subjects = PhotoConsentSubjectSerializer(many=True)

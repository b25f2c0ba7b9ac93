from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Photo, PhotoSubject
from licensing.consent import receipts, selectors, services
from licensing.consent.api.serializers import (
    AttachSerializer,
    ConsentScopeSerializer,
    DocumentSerializer,
    PhotoConsentSerializer,
    ReleaseCreateSerializer,
    ReleaseSerializer,
    ReleaseUpdateSerializer,
    SubjectReleaseSerializer,
)
from licensing.consent.models import ConsentScope, ModelRelease, ReleaseLink, ReleaseScope
from stockdata.accounts.permissions import IsContributor
from stockdata.errors import ApplicationError, ErrorCode


def _releases(user):
    return ModelRelease.objects.filter(contributor=user).prefetch_related(
        Prefetch("release_scopes", queryset=ReleaseScope.objects.select_related("scope")),
        Prefetch("links", queryset=ReleaseLink.objects.select_related("subject__photo")),
    )


@extend_schema_view(
    list=extend_schema(summary="List your model releases"),
    create=extend_schema(summary="Upload a model release"),
    retrieve=extend_schema(summary="One of your model releases"),
    partial_update=extend_schema(summary="Correct a model release"),
    document=extend_schema(summary="Replace the signed release document"),
    resubmit=extend_schema(summary="Send a rejected release for review again"),
)
class ReleaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A contributor's own model releases. Another contributor's release is a 404."""

    permission_classes = [IsContributor]
    serializer_class = ReleaseSerializer
    lookup_field = "uuid"
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_fields = ["status"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return ModelRelease.objects.none()
        return _releases(self.request.user)

    def _out(self, release, code=status.HTTP_200_OK):
        return Response(ReleaseSerializer(self.get_queryset().get(pk=release.pk)).data, status=code)

    @extend_schema(request={"multipart/form-data": ReleaseCreateSerializer}, responses={201: ReleaseSerializer})
    def create(self, request):
        """Upload a signed release (multipart, with the scan in ``document`` and ``scopes`` repeated)."""
        serializer = ReleaseCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        release = services.release_create(
            contributor=request.user, document=data.pop("document"), scopes=data.pop("scopes"), **data
        )
        return self._out(release, status.HTTP_201_CREATED)

    @extend_schema(request=ReleaseUpdateSerializer, responses=ReleaseSerializer)
    def partial_update(self, request, uuid=None):
        """Correct a pending or rejected release."""
        release = self.get_object()
        serializer = ReleaseUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        services.release_update(release=release, scopes=data.pop("scopes", None), **data)
        return self._out(release)

    @extend_schema(request={"multipart/form-data": DocumentSerializer}, responses=ReleaseSerializer)
    @action(detail=True, methods=["post"])
    def document(self, request, uuid=None):
        """Replace the scan of a pending or rejected release. The document itself is never served back."""
        release = self.get_object()
        serializer = DocumentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.release_document_replace(release=release, document=serializer.validated_data["document"])
        return self._out(release)

    @extend_schema(request=None, responses=ReleaseSerializer)
    @action(detail=True, methods=["post"])
    def resubmit(self, request, uuid=None):
        """Send a corrected, rejected release back to review."""
        release = services.release_resubmit(release=self.get_object())
        return self._out(release)


@extend_schema_view(
    get=extend_schema(summary="List the consent scopes"),
)
class ConsentScopeListView(generics.ListAPIView):
    """The consent scopes a release form can grant."""

    permission_classes = [IsAuthenticated]
    serializer_class = ConsentScopeSerializer
    queryset = ConsentScope.objects.all()
    pagination_class = None
    filterset_fields: list = []


def _own_subject(request, photo_uuid, position) -> PhotoSubject:
    return get_object_or_404(
        PhotoSubject.objects.select_related("photo", "release_link__release"),
        photo__uuid=photo_uuid,
        photo__contributor=request.user,
        position=position,
    )


@extend_schema_view(
    get=extend_schema(summary="The release of a person in a photo"),
    put=extend_schema(summary="Attach a release to a person in a photo"),
    delete=extend_schema(summary="Detach the release from a person in a photo"),
)
class SubjectReleaseView(APIView):
    """The release that covers one person in one of your photos."""

    permission_classes = [IsContributor]

    def _out(self, request, photo_uuid, position):
        subject = _own_subject(request, photo_uuid, position)
        link = getattr(subject, "release_link", None)
        release = _releases(request.user).get(pk=link.release_id) if link else None
        return Response(
            SubjectReleaseSerializer(
                {"photo": subject.photo.uuid, "position": subject.position, "release": release}
            ).data
        )

    @extend_schema(responses=SubjectReleaseSerializer)
    def get(self, request, photo_uuid, position):
        return self._out(request, photo_uuid, position)

    @extend_schema(request=AttachSerializer, responses=SubjectReleaseSerializer)
    def put(self, request, photo_uuid, position):
        """Attach one of your releases to this person (replacing another, unless the photo is approved)."""
        subject = _own_subject(request, photo_uuid, position)
        serializer = AttachSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        release = get_object_or_404(ModelRelease, contributor=request.user, uuid=serializer.validated_data["release"])
        services.release_attach(release=release, subject=subject, by=request.user)
        return self._out(request, photo_uuid, position)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, photo_uuid, position):
        services.release_detach(subject=_own_subject(request, photo_uuid, position))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(summary="A photo's consent, person by person"),
)
class PhotoConsentView(APIView):
    """The consent scopes one of your photos holds now, and the release of each person in it."""

    permission_classes = [IsContributor]

    @extend_schema(responses=PhotoConsentSerializer)
    def get(self, request, photo_uuid):
        photo = get_object_or_404(Photo, uuid=photo_uuid, contributor=request.user)
        subjects = PhotoSubject.objects.filter(photo=photo).select_related("release_link__release").order_by("position")
        rows = []
        for subject in subjects:
            link = getattr(subject, "release_link", None)
            release = link.release if link else None
            rows.append(
                {
                    "position": subject.position,
                    "release": release.uuid if release else None,
                    "subject_id": release.subject_id if release else None,
                    "release_status": release.status if release else None,
                }
            )
        scopes = selectors.photo_consent_scopes(photo)
        return Response(
            PhotoConsentSerializer(
                {"photo": photo.uuid, "no_people": photo.no_people, "scopes": sorted(scopes), "subjects": rows}
            ).data
        )


class ReceiptVerifySerializer(serializers.Serializer):
    receipt = serializers.CharField(max_length=64 * 1024, help_text="A consent receipt: one compact JWS.")


class ReceiptVerifiedSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    sha256 = serializers.CharField()
    record = serializers.JSONField(help_text="The ISO/IEC TS 27560 consent record the receipt signs.")


@extend_schema_view(
    post=extend_schema(
        summary="Verify a consent receipt",
        description=(
            "Checks a consent receipt (a compact JWS signed with Ed25519) against the platform's published keys "
            "and returns the ISO/IEC TS 27560 record it signs with its SHA-256. Anyone may ask; an invalid "
            "receipt is a 400 `receipt_invalid`."
        ),
    )
)
class ConsentReceiptVerifyView(APIView):
    """Verify a consent receipt against the published keys. Anyone may ask (no personal data is
    returned that the receipt does not already hold). An invalid receipt is a 400 ``receipt_invalid``."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=ReceiptVerifySerializer, responses=ReceiptVerifiedSerializer)
    def post(self, request):
        serializer = ReceiptVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = serializer.validated_data["receipt"]
        try:
            record = receipts.verify(token)
        except receipts.ReceiptInvalid as exc:
            raise ApplicationError(
                _("The receipt does not verify: %(why)s.") % {"why": exc}, code=ErrorCode.RECEIPT_INVALID
            ) from exc
        return Response({"valid": True, "sha256": receipts.token_sha256(token), "record": record})

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from catalog.models import Photo, PhotoSubject
from catalog.photos import services
from catalog.photos.api.serializers import (
    BatchUploadSerializer,
    BulkEditResultSerializer,
    BulkEditSerializer,
    PhotoSerializer,
    UploadResultSerializer,
    UploadSerializer,
)
from stockdata.accounts.permissions import IsContributor
from stockdata.errors import ApplicationError, ErrorCode

SUBJECT_FIELDS = ("age_band", "gender", "ethnicity", "mask", "glasses", "hat", "angle")


@extend_schema_view(
    list=extend_schema(summary="List your photos"),
    create=extend_schema(summary="Upload a photo"),
    retrieve=extend_schema(summary="One of your photos"),
    partial_update=extend_schema(summary="Describe a photo"),
    destroy=extend_schema(summary="Delete a draft photo"),
    submit=extend_schema(summary="Submit a photo for review"),
    batch=extend_schema(summary="Upload up to ten photos at once"),
    bulk=extend_schema(summary="Edit several photos at once"),
)
class PhotoViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """A contributor's own photos: upload, describe, submit. Another contributor's photo is a 404."""

    permission_classes = [IsContributor]
    serializer_class = PhotoSerializer
    lookup_field = "uuid"
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_fields = ["status", "processing"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Photo.objects.none()
        return (
            Photo.objects.filter(contributor=self.request.user)
            .select_related("near_duplicate_of")
            .prefetch_related("tags", Prefetch("subjects", queryset=PhotoSubject.objects.order_by("position")))
        )

    @extend_schema(request={"multipart/form-data": UploadSerializer}, responses={201: PhotoSerializer})
    def create(self, request):
        """Upload one photo (multipart field ``file``). Refusals say why, in the error format."""
        serializer = UploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photo = services.photo_upload(contributor=request.user, file=serializer.validated_data["file"])
        return Response(PhotoSerializer(self.get_queryset().get(pk=photo.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": BatchUploadSerializer}, responses=UploadResultSerializer(many=True))
    # A plain list, neither paginated nor filtered (without this the schema says a page of results).
    @action(detail=False, methods=["post"], pagination_class=None, filter_backends=[])
    def batch(self, request):
        """Upload many photos at once (repeat the ``files`` field); each file succeeds or fails alone."""
        serializer = BatchUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        results = []
        for upload in serializer.validated_data["files"]:
            try:
                photo = services.photo_upload(contributor=request.user, file=upload)
            except ApplicationError as exc:
                results.append(
                    {
                        "file": upload.name,
                        "ok": False,
                        "error": {"code": exc.code.value, "message": exc.message, **exc.extra},
                    }
                )
            else:
                results.append(
                    {
                        "file": upload.name,
                        "ok": True,
                        "photo": PhotoSerializer(self.get_queryset().get(pk=photo.pk)).data,
                    }
                )
        return Response(results, status=status.HTTP_200_OK)

    @extend_schema(request=PhotoSerializer, responses=PhotoSerializer)
    def partial_update(self, request, uuid=None):
        """Describe a draft or rejected photo: title, keywords, place, subjects..."""
        photo = self.get_object()
        serializer = PhotoSerializer(photo, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        tags = data.pop("tags", None)
        subjects = data.pop("subjects", None)
        services.photo_describe(
            photo=photo,
            tags=tags,
            subjects=None if subjects is None else [services.SubjectData(**s) for s in subjects],
            **data,
        )
        return Response(PhotoSerializer(self.get_queryset().get(pk=photo.pk)).data)

    def destroy(self, request, uuid=None):
        services.photo_delete(photo=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=PhotoSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, uuid=None):
        """Send the photo to review."""
        photo = services.photo_submit(photo=self.get_object())
        return Response(PhotoSerializer(self.get_queryset().get(pk=photo.pk)).data)

    @extend_schema(request=BulkEditSerializer, responses=BulkEditResultSerializer)
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Apply keywords and attributes to many photos at once."""
        serializer = BulkEditSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        uuids = data.pop("photos")
        ids = list(Photo.objects.filter(contributor=request.user, uuid__in=uuids).values_list("pk", flat=True))
        if len(ids) != len(set(uuids)):
            raise ApplicationError("Some of the selected photos do not exist.", code=ErrorCode.NOT_FOUND, status=404)
        subject_attributes = {k: data.pop(k) for k in SUBJECT_FIELDS if k in data}
        updated = services.photos_bulk_edit(
            contributor=request.user,
            photo_ids=ids,
            add_tags=data.pop("add_tags"),
            remove_tags=data.pop("remove_tags"),
            subject_attributes=subject_attributes,
            **data,
        )
        return Response({"updated": updated})

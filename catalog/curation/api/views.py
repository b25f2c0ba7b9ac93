"""Staff endpoints: curation queries, freezing, annotation."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.curation import services
from catalog.curation.api.serializers import (
    BoxListResultSerializer,
    BoxListSerializer,
    BoxSerializer,
    CountSerializer,
    CurationQuerySerializer,
    DatasetVersionSerializer,
    FreezeSerializer,
    ProposeResultSerializer,
)
from catalog.curation.selectors import CurationQuery, curation_count, curation_select
from catalog.models import Dataset, Photo
from catalog.photos import services as photo_services
from catalog.photos.selectors import photos_annotation_state
from stockdata.accounts.permissions import IsStaff

REFUSED = OpenApiResponse(description="Refused: the error's message says why and what to do.")


@extend_schema_view(
    post=extend_schema(summary="Count the photos a query selects"),
)
@extend_schema(tags=["curation"])
class DatasetCountView(APIView):
    """How many photos a curation query matches, and how many it would select after caps and the limit."""

    permission_classes = [IsStaff]

    @extend_schema(request=CurationQuerySerializer, responses={200: CountSerializer, 400: REFUSED})
    def post(self, request, slug):
        dataset = get_object_or_404(Dataset, slug=slug)
        serializer = CurationQuerySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        query = CurationQuery(**serializer.validated_data)
        return Response(
            {
                "count": curation_count(dataset=dataset, query=query),
                "selected": len(curation_select(dataset=dataset, query=query)),
            }
        )


@extend_schema_view(
    post=extend_schema(summary="Freeze a new dataset version"),
)
@extend_schema(tags=["curation"])
class DatasetFreezeView(APIView):
    """Freeze the working selection into the next version (the annotated edition needs every box confirmed)."""

    permission_classes = [IsStaff]

    @extend_schema(request=FreezeSerializer, responses={201: DatasetVersionSerializer, 400: REFUSED})
    def post(self, request, slug):
        dataset = get_object_or_404(Dataset, slug=slug)
        serializer = FreezeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.dataset_version_freeze(dataset=dataset, by=request.user, **serializer.validated_data)
        return Response(DatasetVersionSerializer(version).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(summary="List a dataset's frozen versions"),
)
@extend_schema(tags=["curation"])
class DatasetVersionsView(APIView):
    """Every frozen version of a dataset, newest first."""

    permission_classes = [IsStaff]

    @extend_schema(responses={200: DatasetVersionSerializer(many=True)})
    def get(self, request, slug):
        dataset = get_object_or_404(Dataset, slug=slug)
        versions = dataset.versions.select_related("frozen_by").order_by("-number")
        return Response(DatasetVersionSerializer(versions, many=True).data)


def _boxes_result(photo: Photo, **extra) -> dict:
    boxes = list(photo.boxes.select_related("confirmed_by").order_by("y", "x", "pk"))
    state = photos_annotation_state([photo.pk])[photo.pk]
    return {
        "photo": str(photo.uuid),
        "width": photo.width,
        "height": photo.height,
        "boxes": BoxSerializer(boxes, many=True).data,
        "unconfirmed": sum(1 for b in boxes if not b.confirmed),
        **{k: state[k] for k in ("complete", "completed_by", "completed_at")},
        **extra,
    }


@extend_schema_view(
    get=extend_schema(summary="A photo's face and mask boxes"),
    put=extend_schema(summary="Save a photo's reviewed boxes"),
)
@extend_schema(tags=["curation"])
class PhotoBoxesView(APIView):
    """A photo's annotation boxes, in its displayed pixel coordinates (width × height)."""

    permission_classes = [IsStaff]

    @extend_schema(responses={200: BoxListResultSerializer})
    def get(self, request, uuid):
        photo = get_object_or_404(Photo, uuid=uuid)
        return Response(_boxes_result(photo))

    @extend_schema(request=BoxListSerializer, responses={200: BoxListResultSerializer, 400: REFUSED})
    def put(self, request, uuid):
        """Replace the whole list; every box is confirmed by the staff user who saves it."""
        photo = get_object_or_404(Photo, uuid=uuid)
        serializer = BoxListSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photo_services.boxes_replace(
            photo=photo,
            by=request.user,
            boxes=serializer.validated_data["boxes"],
            complete=serializer.validated_data["complete"],
        )
        return Response(_boxes_result(photo))


@extend_schema_view(
    post=extend_schema(summary="Propose face boxes with the detector"),
)
@extend_schema(tags=["curation"])
class PhotoProposeBoxesView(APIView):
    """Run the face detector on the photo now; its proposals stay unconfirmed until a person saves them."""

    permission_classes = [IsStaff]

    @extend_schema(request=None, responses={200: ProposeResultSerializer})
    def post(self, request, uuid):
        photo = get_object_or_404(Photo, uuid=uuid)
        proposed = photo_services.photo_propose_boxes(photo_id=photo.pk)
        return Response(_boxes_result(photo, proposed=proposed))

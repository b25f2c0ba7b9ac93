"""Public, read-only catalogue endpoints: the storefront's list and dataset page, as JSON.

Same search, filters, sort and query counts as the pages (``catalog.storefront.forms``, ``.selectors`` and
``.pages`` build both); no login needed.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from catalog.storefront.api.serializers import CatalogueQuerySerializer, DatasetCardSerializer, DatasetDetailSerializer
from catalog.storefront.forms import PAGE_SIZE, CatalogueForm
from catalog.storefront.pages import consent_scopes, dataset_page, decorate_cards
from catalog.storefront.selectors import dataset_catalogue


class CataloguePagination(PageNumberPagination):
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = 100


@extend_schema_view(
    get=extend_schema(summary="Search the catalogue"),
)
@extend_schema(tags=["catalogue"])
class CatalogueListView(generics.ListAPIView):
    """Published datasets, searched, filtered and sorted like the catalogue page."""

    permission_classes = [AllowAny]
    serializer_class = DatasetCardSerializer
    pagination_class = CataloguePagination
    filter_backends: list = []

    @extend_schema(
        parameters=[CatalogueQuerySerializer],
        responses={
            200: DatasetCardSerializer(many=True),
            400: OpenApiResponse(description="A filter has a bad value."),
        },
    )
    def get(self, request, *args, **kwargs):
        scopes = consent_scopes()
        form = CatalogueForm(request.query_params, scopes=scopes.values())
        if not form.is_valid():
            raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
        page = self.paginate_queryset(dataset_catalogue(**form.filters()))
        decorate_cards(page, scopes)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema_view(
    get=extend_schema(summary="One dataset of the catalogue"),
)
@extend_schema(tags=["catalogue"])
class CatalogueDetailView(generics.RetrieveAPIView):
    """One published dataset: statistics, editions with price and tax, consent scopes, version, samples."""

    permission_classes = [AllowAny]
    serializer_class = DatasetDetailSerializer
    lookup_field = "slug"

    @extend_schema(
        responses={200: DatasetDetailSerializer, 404: OpenApiResponse(description="No such dataset on sale.")}
    )
    def get(self, request, slug: str, *args, **kwargs):
        return Response(self.get_serializer(dataset_page(slug)).data)

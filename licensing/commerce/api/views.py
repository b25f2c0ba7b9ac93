"""Buyers' API: cart, orders (placed idempotently with ``Idempotency-Key``), invoices."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Dataset, Edition
from licensing.commerce import selectors, services
from licensing.commerce.models import CartLine, IntendedUse, Invoice, Order
from licensing.commerce.selectors import organisation_orders
from stockdata.accounts.permissions import IsMember, IsPurchaser
from stockdata.client_ip import client_ip
from stockdata.errors import ApplicationError, ErrorCode


class CartLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="line.pk")
    dataset = serializers.CharField(source="line.dataset.slug")
    title = serializers.CharField()
    edition = serializers.CharField(source="line.edition")
    version = serializers.IntegerField(source="line.version.number")
    newer_version = serializers.SerializerMethodField()
    price = serializers.IntegerField()
    restricted = serializers.BooleanField()
    upgrade_of_order = serializers.SerializerMethodField(
        help_text="The order whose unedited edition this annotated line upgrades (priced at the difference)"
    )

    def get_upgrade_of_order(self, obj) -> str | None:
        return obj.upgrade_from.order.number if obj.upgrade_from else None

    def get_newer_version(self, obj) -> int | None:
        return obj.newer_version.number if obj.newer_version else None


class CartSerializer(serializers.Serializer):
    lines = CartLineSerializer(many=True)
    total = serializers.IntegerField(help_text="Yen, tax included")
    tax = serializers.IntegerField(help_text="Consumption tax in the total, computed once on the total")


class CartAddSerializer(serializers.Serializer):
    dataset = serializers.SlugField()
    edition = serializers.ChoiceField(choices=Edition.choices)


class OrderLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    dataset = serializers.CharField(source="dataset.slug")
    title = serializers.CharField()
    edition = serializers.CharField()
    version = serializers.IntegerField(source="version.number")
    price = serializers.IntegerField()
    status = serializers.CharField()


class OrderSerializer(serializers.ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)
    licence = serializers.CharField(source="licence.code")
    invoices = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "uuid",
            "number",
            "status",
            "payment_method",
            "total",
            "tax",
            "payment_due",
            "placed_at",
            "paid_at",
            "billing_name",
            "billing_address",
            "intended_use",
            "intended_use_detail",
            "licence",
            "licence_accepted_at",
            "lines",
            "invoices",
        ]

    def get_invoices(self, obj) -> list[str]:
        return [i.number for i in obj.invoices.all()]


class OrderPlaceSerializer(serializers.Serializer):
    billing_name = serializers.CharField(required=False, max_length=200)
    billing_address = serializers.CharField(required=False, max_length=1000)
    billing_country = serializers.CharField(required=False, max_length=2)
    billing_registration_number = serializers.CharField(required=False, allow_blank=True, max_length=14)
    intended_use = serializers.ChoiceField(choices=IntendedUse.choices)
    intended_use_detail = serializers.CharField(max_length=2000)
    accept_licence = serializers.BooleanField()
    payment_method = serializers.ChoiceField(
        choices=Order.PaymentMethod.choices, default=Order.PaymentMethod.BANK_TRANSFER
    )


class InvoiceSerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="order.number")
    credits = serializers.CharField(source="credits.number", default=None, allow_null=True)  # credit notes only
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = [
            "number",
            "kind",
            "order",
            "issued_at",
            "issuer",
            "issuer_registration_number",
            "buyer_name",
            "buyer_address",
            "buyer_registration_number",
            "lines",
            "totals",
            "total",
            "tax",
            "credits",
            "pdf_url",
        ]

    def get_pdf_url(self, obj) -> str:
        return reverse("licensing:invoice_pdf", args=[obj.number])


def _orders(user):
    return (
        organisation_orders(user)
        .select_related("licence")
        .prefetch_related("lines__dataset", "lines__version", "invoices")
    )


@extend_schema_view(
    get=extend_schema(
        description="The lines of the buyer's cart with each price and the tax-inclusive total (integer yen); an edition already owned or an upgrade is priced as on the cart page."
    ),
    post=extend_schema(
        description="Put one edition of a dataset's current version in the cart. The annotated edition replaces the unedited one of the same dataset; an edition the organisation owns is refused."
    ),
)
class CartApiView(APIView):
    permission_classes = [IsPurchaser]

    @extend_schema(responses=CartSerializer, summary="The buyer's cart with tax-inclusive totals")
    def get(self, request):
        return Response(CartSerializer(selectors.cart_summary(services.cart_for(request.user))).data)

    @extend_schema(request=CartAddSerializer, responses={201: CartSerializer}, summary="Add a dataset edition")
    def post(self, request):
        data = CartAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dataset = get_object_or_404(Dataset, slug=data.validated_data["dataset"])
        services.cart_add(user=request.user, dataset=dataset, edition=data.validated_data["edition"])
        return Response(
            CartSerializer(selectors.cart_summary(services.cart_for(request.user))).data, status=status.HTTP_201_CREATED
        )


@extend_schema_view(
    delete=extend_schema(description="Take one line out of the buyer's cart. Another buyer's line is a 404."),
)
class CartLineApiView(APIView):
    permission_classes = [IsPurchaser]

    @extend_schema(responses={204: None}, summary="Remove a cart line")
    def delete(self, request, line_id: int):
        get_object_or_404(CartLine, cart__user=request.user, pk=line_id)  # another buyer's line: 404
        services.cart_remove(user=request.user, line_id=line_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(
        description="Every order of the buyer's organisation, newest first, with lines, status and invoices."
    ),
    post=extend_schema(
        description="Turn the cart into an order under the licence in force (accepted explicitly). The Idempotency-Key header makes a repeated request return the same order (200) instead of a second one."
    ),
)
class OrderListApiView(APIView):
    # Every member reads the orders (downloaders fetch bundles, compliance audits); only purchasers place one.
    permission_classes = [IsMember]

    def get_permissions(self):
        return [IsPurchaser()] if self.request.method == "POST" else [IsMember()]

    @extend_schema(responses=OrderSerializer(many=True), summary="The organisation's orders")
    def get(self, request):
        return Response(OrderSerializer(_orders(request.user), many=True).data)

    @extend_schema(
        request=OrderPlaceSerializer,
        responses={201: OrderSerializer, 200: OrderSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="One key per order; repeating it returns the same order (200).",
            )
        ],
        summary="Place an order from the cart",
    )
    def post(self, request):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            raise ApplicationError(
                "Send an Idempotency-Key header (one new key per order).", code=ErrorCode.IDEMPOTENCY_KEY
            )
        if len(key) > 100 or not key.isprintable():
            # Checked before the lookup: PostgreSQL refuses a NUL in a query parameter outright.
            raise ApplicationError(
                "The Idempotency-Key header must be at most 100 printable characters.", code=ErrorCode.IDEMPOTENCY_KEY
            )
        existing = Order.objects.filter(placed_by=request.user, idempotency_key=key).first()
        if existing is None:
            data = OrderPlaceSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            org = request.user.organisation
            v = data.validated_data
            existing, created = services.order_place(
                user=request.user,
                idempotency_key=key,
                billing_name=v.get("billing_name") or org.billing_name or org.name,
                billing_address=v.get("billing_address") or org.billing_address,
                billing_country=v.get("billing_country") or org.country,
                billing_registration_number=v.get("billing_registration_number", org.invoice_registration_number),
                intended_use=v["intended_use"],
                intended_use_detail=v["intended_use_detail"],
                licence_accepted=v["accept_licence"],
                ip=client_ip(request),
                payment_method=v["payment_method"],
            )
        else:
            created = False
        order = _orders(request.user).get(pk=existing.pk)
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@extend_schema_view(
    get=extend_schema(
        description="One order of the buyer's organisation, by its UUID; another organisation's order is a 404."
    ),
)
class OrderDetailApiView(APIView):
    permission_classes = [IsMember]

    @extend_schema(responses=OrderSerializer, summary="One of the organisation's orders")
    def get(self, request, uuid):
        return Response(OrderSerializer(get_object_or_404(_orders(request.user), uuid=uuid)).data)


@extend_schema_view(
    get=extend_schema(
        description="A qualified invoice or credit note of one of the organisation's orders, by its number, with the tax per rate."
    ),
)
class InvoiceApiView(APIView):
    permission_classes = [IsPurchaser]

    @extend_schema(responses=InvoiceSerializer, summary="An invoice or credit note of the organisation")
    def get(self, request, number: str):
        invoice = get_object_or_404(
            Invoice.objects.select_related("order", "credits"),
            number=number,
            order__in=organisation_orders(request.user),
        )
        return Response(InvoiceSerializer(invoice).data)

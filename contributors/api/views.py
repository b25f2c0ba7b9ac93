"""Earnings API for contributors: their balance, ledger and payouts (read only).

Mounted in the root ``api_v1`` list (``contributors.api.urls``), so the
routes are ``/api/v1/earnings/...``. Every query is filtered by the requesting contributor;
another contributor's payout is a 404.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from contributors import selectors, services
from contributors.models import Payout, RoyaltyEntry
from stockdata.accounts.permissions import IsContributor


class RoyaltyEntrySerializer(serializers.ModelSerializer):
    dataset = serializers.SerializerMethodField()
    version = serializers.SerializerMethodField()
    edition = serializers.SerializerMethodField()
    payout_id = serializers.IntegerField(allow_null=True, read_only=True)

    class Meta:
        model = RoyaltyEntry
        fields = [
            "id",
            "kind",
            "created_at",
            "dataset",
            "version",
            "edition",
            "photo_count",
            "net_revenue",
            "share_bp",
            "pool",
            "amount",
            "payout_id",
        ]

    def get_dataset(self, obj) -> str | None:
        return obj.version.dataset.slug if obj.version_id else None

    def get_version(self, obj) -> int | None:
        return obj.version.number if obj.version_id else None

    def get_edition(self, obj) -> str | None:
        return obj.order_line.edition if obj.order_line_id else None


class PayoutSerializer(serializers.ModelSerializer):
    period = serializers.CharField(source="run.period")
    transfer_date = serializers.DateField(source="run.transfer_date")

    class Meta:
        model = Payout
        fields = [
            "id",
            "period",
            "transfer_date",
            "status",
            "gross",
            "withholding",
            "withholding_kind",
            "fee",
            "net",
            "created_at",
            "paid_at",
            "failed_at",
        ]


class BalanceSerializer(serializers.Serializer):
    balance = serializers.IntegerField(help_text="Yen; the sum of the ledger, may be negative after a refund.")
    minimum = serializers.IntegerField(help_text="Balances of at least this many yen are paid.")
    next_payout_date = serializers.DateField()
    currency = serializers.CharField()


@extend_schema_view(
    get=extend_schema(
        summary="Your royalty balance",
        description="The contributor's unpaid royalties in yen, the payout minimum and the date of the next payout run.",
    ),
)
class BalanceView(APIView):
    permission_classes = [IsContributor]

    @extend_schema(responses=BalanceSerializer)
    def get(self, request):
        return Response(
            {
                "balance": selectors.royalty_balance(contributor_id=request.user.pk),
                "minimum": services.payout_minimum(),
                "next_payout_date": services.next_payout_date(contributor_id=request.user.pk).isoformat(),
                "currency": "JPY",
            }
        )


@extend_schema_view(
    get=extend_schema(
        summary="Your royalty ledger",
        description="Every royalty entry of the contributor (sales, reversals, payouts, fees), newest first; filter by kind.",
    ),
)
class LedgerView(generics.ListAPIView):
    permission_classes = [IsContributor]
    serializer_class = RoyaltyEntrySerializer
    filterset_fields = ["kind"]

    def get_queryset(self):
        return selectors.royalty_ledger(contributor_id=self.request.user.pk)


@extend_schema_view(
    get=extend_schema(
        summary="Your payouts",
        description="The contributor's payouts with gross, tax withheld, fee and net amounts in yen.",
    ),
)
class PayoutListView(generics.ListAPIView):
    permission_classes = [IsContributor]
    serializer_class = PayoutSerializer

    def get_queryset(self):
        return selectors.payouts_for(contributor_id=self.request.user.pk)


@extend_schema_view(
    get=extend_schema(
        summary="One of your payouts",
        description="One payout of the contributor; another contributor's payout is a 404.",
    ),
)
class PayoutDetailView(generics.RetrieveAPIView):
    permission_classes = [IsContributor]
    serializer_class = PayoutSerializer

    def get_object(self):
        return get_object_or_404(selectors.payouts_for(contributor_id=self.request.user.pk), pk=self.kwargs["pk"])

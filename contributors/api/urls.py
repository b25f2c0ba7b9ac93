from django.urls import path

from contributors.api.views import BalanceView, LedgerView, PayoutDetailView, PayoutListView

urlpatterns = [
    path("earnings/balance/", BalanceView.as_view(), name="earnings-balance"),
    path("earnings/ledger/", LedgerView.as_view(), name="earnings-ledger"),
    path("earnings/payouts/", PayoutListView.as_view(), name="earnings-payout-list"),
    path("earnings/payouts/<int:pk>/", PayoutDetailView.as_view(), name="earnings-payout-detail"),
]

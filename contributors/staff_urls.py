"""Staff payout pages, mounted at /staff/payouts/ (namespace ``payouts``)."""

from django.urls import path

from contributors import payouts_views as views

app_name = "payouts"

urlpatterns = [
    path("", views.RunListView.as_view(), name="run_list"),
    path("revenue/", views.RevenueReportView.as_view(), name="revenue"),
    path("payout/<int:pk>/<str:outcome>/", views.PayoutMarkView.as_view(), name="payout_mark"),
    path("<str:period>/", views.RunDetailView.as_view(), name="run_detail"),
    path("<str:period>/export/", views.RunExportView.as_view(), name="run_export"),
    path("<str:period>/paid/", views.RunMarkPaidView.as_view(), name="run_mark_paid"),
    path("<str:period>/files/<str:kind>/", views.RunFileView.as_view(), name="run_file"),
]

from django.urls import path

from contributors.views import earnings, missions, payouts, portal

app_name = "contributors"

urlpatterns = [
    path("", portal.DashboardView.as_view(), name="dashboard"),
    path("upload/", portal.UploadView.as_view(), name="upload"),
    path("photos/", portal.PhotoListView.as_view(), name="photo_list"),
    path("photos/bulk/edit/", portal.PhotoBulkEditView.as_view(), name="photos_bulk_edit"),
    path("photos/bulk/submit/", portal.PhotoBulkSubmitView.as_view(), name="photos_bulk_submit"),
    path("photos/<uuid:uuid>/", portal.PhotoDetailView.as_view(), name="photo_detail"),
    path("photos/<uuid:uuid>/submit/", portal.PhotoSubmitView.as_view(), name="photo_submit"),
    path("photos/<uuid:uuid>/delete/", portal.PhotoDeleteView.as_view(), name="photo_delete"),
    path("tags/suggest/", portal.TagSuggestView.as_view(), name="tag_suggest"),
    path("missions/", missions.MissionListView.as_view(), name="missions"),
    path("missions/<uuid:uuid>/", missions.MissionDetailView.as_view(), name="mission_detail"),
    path("missions/<uuid:uuid>/progress/", missions.MissionProgressView.as_view(), name="mission_progress"),
    path("earnings/", earnings.EarningsView.as_view(), name="earnings"),
    path("earnings/account/", earnings.PayoutAccountView.as_view(), name="payout_account"),
    path("earnings/withholding/", earnings.WithholdingSummaryView.as_view(), name="withholding_summary"),
    path("earnings/payouts/<int:pk>/", earnings.PayoutStatementView.as_view(), name="payout_statement"),
    path("earnings/payouts/<int:pk>/pdf/", earnings.PayoutStatementPdfView.as_view(), name="payout_statement_pdf"),
    path("earnings/payouts/<int:pk>/csv/", earnings.PayoutStatementCsvView.as_view(), name="payout_statement_csv"),
]

# Staff payout pages, mounted at /staff/payouts/ by the root URLconf under the namespace "payouts".
payout_urlpatterns = [
    path("", payouts.RunListView.as_view(), name="run_list"),
    path("revenue/", payouts.RevenueReportView.as_view(), name="revenue"),
    path("payout/<int:pk>/<str:outcome>/", payouts.PayoutMarkView.as_view(), name="payout_mark"),
    path("<str:period>/", payouts.RunDetailView.as_view(), name="run_detail"),
    path("<str:period>/export/", payouts.RunExportView.as_view(), name="run_export"),
    path("<str:period>/paid/", payouts.RunMarkPaidView.as_view(), name="run_mark_paid"),
    path("<str:period>/files/<str:kind>/", payouts.RunFileView.as_view(), name="run_file"),
]

from django.urls import path

from contributors import views

app_name = "contributors"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("upload/", views.UploadView.as_view(), name="upload"),
    path("photos/", views.PhotoListView.as_view(), name="photo_list"),
    path("photos/bulk/edit/", views.PhotoBulkEditView.as_view(), name="photos_bulk_edit"),
    path("photos/bulk/submit/", views.PhotoBulkSubmitView.as_view(), name="photos_bulk_submit"),
    path("photos/<uuid:uuid>/", views.PhotoDetailView.as_view(), name="photo_detail"),
    path("photos/<uuid:uuid>/submit/", views.PhotoSubmitView.as_view(), name="photo_submit"),
    path("photos/<uuid:uuid>/delete/", views.PhotoDeleteView.as_view(), name="photo_delete"),
    path("tags/suggest/", views.TagSuggestView.as_view(), name="tag_suggest"),
]

# Earnings and payouts (contributors.payouts_views).
from contributors import payouts_views

urlpatterns += [
    path("earnings/", payouts_views.EarningsView.as_view(), name="earnings"),
    path("earnings/account/", payouts_views.PayoutAccountView.as_view(), name="payout_account"),
    path("earnings/withholding/", payouts_views.WithholdingSummaryView.as_view(), name="withholding_summary"),
    path("earnings/payouts/<int:pk>/", payouts_views.PayoutStatementView.as_view(), name="payout_statement"),
    path("earnings/payouts/<int:pk>/pdf/", payouts_views.PayoutStatementPdfView.as_view(), name="payout_statement_pdf"),
    path("earnings/payouts/<int:pk>/csv/", payouts_views.PayoutStatementCsvView.as_view(), name="payout_statement_csv"),
]

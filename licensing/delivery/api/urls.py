from django.urls import path

from licensing.delivery.api import views

urlpatterns = [
    path("withdrawal-notices/", views.WithdrawalNoticeListApiView.as_view(), name="withdrawal-notice-list"),
    path(
        "withdrawal-notices/<int:notice_id>/confirmation/",
        views.WithdrawalNoticeConfirmApiView.as_view(),
        name="withdrawal-notice-confirm",
    ),
]

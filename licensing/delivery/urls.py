from django.urls import path

from licensing.delivery import views

urlpatterns = [
    path("orders/<uuid:order_uuid>/lines/<int:line_id>/bundle/", views.bundle_status, name="bundle_status"),
    path("orders/<uuid:order_uuid>/lines/<int:line_id>/download/", views.bundle_download, name="bundle_download"),
    path("downloads/<str:token>/", views.bundle_file, name="bundle_file"),
    path("withdrawal-notices/<int:pk>/", views.withdrawal_notice, name="withdrawal_notice"),
    path(
        "withdrawal-notices/<int:pk>/tombstone.<str:fmt>",
        views.withdrawal_notice_tombstone,
        name="withdrawal_notice_tombstone",
    ),
    path("staff/withdrawal-notices/", views.withdrawal_notices_overdue, name="withdrawal_notices_overdue"),
    path("datasets/<slug:slug>/evaluation-pack/", views.evaluation_pack, name="evaluation_pack"),
]

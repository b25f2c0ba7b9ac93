from django.urls import path
from rest_framework.routers import SimpleRouter

from licensing.consent.api import views

router = SimpleRouter()
router.register("releases", views.ReleaseViewSet, basename="release")

urlpatterns = [
    path("consent-scopes/", views.ConsentScopeListView.as_view(), name="consent-scope-list"),
    path("consent-receipts/verify/", views.ConsentReceiptVerifyView.as_view(), name="consent-receipt-verify"),
    path(
        "photos/<uuid:photo_uuid>/subjects/<int:position>/release/",
        views.SubjectReleaseView.as_view(),
        name="photo-subject-release",
    ),
    path("photos/<uuid:photo_uuid>/consent/", views.PhotoConsentView.as_view(), name="photo-consent"),
    *router.urls,
]

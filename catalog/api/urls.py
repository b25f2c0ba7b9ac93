from django.urls import include, path
from rest_framework.routers import SimpleRouter

from catalog.api.views import PhotoViewSet

router = SimpleRouter()
router.register("photos", PhotoViewSet, basename="photo")

urlpatterns = [
    *router.urls,
    path("", include("catalog.api.catalogue")),
    path("", include("catalog.api.curation")),
]

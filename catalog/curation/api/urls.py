from django.urls import path

from catalog.curation.api.views import (
    DatasetCountView,
    DatasetFreezeView,
    DatasetVersionsView,
    PhotoBoxesView,
    PhotoProposeBoxesView,
)

urlpatterns = [
    path("curation/datasets/<slug:slug>/count/", DatasetCountView.as_view(), name="curation-dataset-count"),
    path("curation/datasets/<slug:slug>/freeze/", DatasetFreezeView.as_view(), name="curation-dataset-freeze"),
    path("curation/datasets/<slug:slug>/versions/", DatasetVersionsView.as_view(), name="curation-dataset-versions"),
    path("curation/photos/<uuid:uuid>/boxes/", PhotoBoxesView.as_view(), name="curation-photo-boxes"),
    path(
        "curation/photos/<uuid:uuid>/boxes/propose/",
        PhotoProposeBoxesView.as_view(),
        name="curation-photo-boxes-propose",
    ),
]

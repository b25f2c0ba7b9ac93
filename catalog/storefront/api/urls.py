from django.urls import path

from catalog.storefront.api.views import CatalogueDetailView, CatalogueListView

urlpatterns = [
    path("datasets/", CatalogueListView.as_view(), name="catalogue-list"),
    path("datasets/<slug:slug>/", CatalogueDetailView.as_view(), name="catalogue-detail"),
]

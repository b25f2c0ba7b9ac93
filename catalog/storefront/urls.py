from django.urls import path

from catalog.storefront import views

app_name = "catalog"

urlpatterns = [
    path("", views.dataset_list, name="list"),
    path("<slug:slug>/", views.dataset_detail, name="detail"),
]

from django.urls import path

from contributors import views

app_name = "contributors"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
]

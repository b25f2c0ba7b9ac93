from django.urls import path

from stockdata.core import views

app_name = "core"

urlpatterns = [
    path("staff/", views.StaffDashboardView.as_view(), name="staff_dashboard"),
]

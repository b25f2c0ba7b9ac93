from django.urls import path

from stockdata.notifications import views

app_name = "notifications"

urlpatterns = [
    path("portal/notifications/", views.NotificationListView.as_view(), name="list"),
]

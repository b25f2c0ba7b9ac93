from django.urls import path

from stockdata.accounts import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("organisation/", views.organisation, name="organisation"),
]

"""The licensing app's pages, one list per part, under one namespace ("licensing")."""

from licensing.commerce.urls import urlpatterns as commerce_urlpatterns
from licensing.consent.urls import urlpatterns as consent_urlpatterns
from licensing.delivery.urls import urlpatterns as delivery_urlpatterns

app_name = "licensing"

urlpatterns = [*consent_urlpatterns, *delivery_urlpatterns, *commerce_urlpatterns]

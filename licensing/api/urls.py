from django.urls import path
from rest_framework.routers import SimpleRouter

from licensing.api import views

router = SimpleRouter()
router.register("releases", views.ReleaseViewSet, basename="release")

urlpatterns = [
    path("consent-scopes/", views.ConsentScopeListView.as_view(), name="consent-scope-list"),
    path(
        "photos/<uuid:photo_uuid>/subjects/<int:position>/release/",
        views.SubjectReleaseView.as_view(),
        name="photo-subject-release",
    ),
    path("photos/<uuid:photo_uuid>/consent/", views.PhotoConsentView.as_view(), name="photo-consent"),
    *router.urls,
]

# Cart, orders and invoices (issue 6)
from licensing.api import orders as orders_api

urlpatterns += [
    path("cart/", orders_api.CartApiView.as_view(), name="cart"),
    path("cart/lines/<int:line_id>/", orders_api.CartLineApiView.as_view(), name="cart-line"),
    path("orders/", orders_api.OrderListApiView.as_view(), name="order-list"),
    path("orders/<uuid:uuid>/", orders_api.OrderDetailApiView.as_view(), name="order-detail"),
    path("invoices/<str:number>/", orders_api.InvoiceApiView.as_view(), name="invoice-detail"),
]

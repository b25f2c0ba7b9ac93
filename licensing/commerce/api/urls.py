from django.urls import path

from licensing.commerce.api import views

urlpatterns = [
    path("cart/", views.CartApiView.as_view(), name="cart"),
    path("cart/lines/<int:line_id>/", views.CartLineApiView.as_view(), name="cart-line"),
    path("orders/", views.OrderListApiView.as_view(), name="order-list"),
    path("orders/<uuid:uuid>/", views.OrderDetailApiView.as_view(), name="order-detail"),
    path("invoices/<str:number>/", views.InvoiceApiView.as_view(), name="invoice-detail"),
]

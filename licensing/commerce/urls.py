from django.urls import path

from licensing.commerce import request_views, views

urlpatterns = [
    path("cart/", views.CartView.as_view(), name="cart"),
    path("cart/add/", views.CartAddView.as_view(), name="cart_add"),
    path("cart/lines/<int:line_id>/", views.CartLineView.as_view(), name="cart_line"),
    path("cart/owned/<slug:slug>/", views.DatasetOwnershipView.as_view(), name="dataset_ownership"),
    path("cart/quotation/", views.QuotationCreateView.as_view(), name="quotation_create"),
    path("checkout/", views.CheckoutView.as_view(), name="checkout"),
    path("quotations/<str:number>/", views.QuotationView.as_view(), name="quotation"),
    path("quotations/<str:number>/pdf/", views.QuotationPdfView.as_view(), name="quotation_pdf"),
    path("orders/", views.OrderListView.as_view(), name="order_list"),
    path("orders/<uuid:uuid>/", views.OrderDetailView.as_view(), name="order_detail"),
    path("orders/<uuid:uuid>/pay/", views.OrderPayView.as_view(), name="order_pay"),
    path("orders/<uuid:uuid>/pay/demo/", views.DemoPayView.as_view(), name="order_pay_demo"),
    path("orders/<uuid:uuid>/licence/", views.OrderLicenceView.as_view(), name="order_licence"),
    path("orders/<uuid:uuid>/receipt/", views.ReceiptPdfView.as_view(), name="receipt_pdf"),
    path("licences/", views.LicenceCurrentView.as_view(), name="licence_current"),
    path("licences/<str:code>/", views.LicenceView.as_view(), name="licence"),
    path("licences/<str:code>/pdf/", views.LicencePdfView.as_view(), name="licence_pdf"),
    path("invoices/<str:number>/", views.InvoiceView.as_view(), name="invoice"),
    path("invoices/<str:number>/pdf/", views.InvoicePdfView.as_view(), name="invoice_pdf"),
    path("payments/stripe/webhook/", views.StripeWebhookView.as_view(), name="stripe_webhook"),
    path("requests/", request_views.DatasetRequestListView.as_view(), name="dataset_requests"),
    path("requests/new/", request_views.DatasetRequestCreateView.as_view(), name="dataset_request_create"),
    path("requests/<uuid:uuid>/", request_views.DatasetRequestDetailView.as_view(), name="dataset_request"),
    path(
        "requests/<uuid:uuid>/progress/",
        request_views.DatasetRequestProgressView.as_view(),
        name="dataset_request_progress",
    ),
    path(
        "requests/<uuid:uuid>/accept/", request_views.DatasetRequestAcceptView.as_view(), name="dataset_request_accept"
    ),
    path("review/requests/", request_views.StaffDatasetRequestListView.as_view(), name="staff_dataset_requests"),
    path(
        "review/requests/<uuid:uuid>/",
        request_views.StaffDatasetRequestView.as_view(),
        name="staff_dataset_request",
    ),
    path("review/orders/", views.StaffOrderListView.as_view(), name="staff_orders"),
    path("review/orders/statement/", views.BankStatementView.as_view(), name="bank_statement"),
    path("review/orders/<uuid:uuid>/", views.StaffOrderDetailView.as_view(), name="staff_order_detail"),
]

from django.urls import path

from licensing import views

app_name = "licensing"

urlpatterns = [
    # Contributor portal
    path("portal/releases/", views.ReleaseListView.as_view(), name="release_list"),
    path("portal/releases/new/", views.ReleaseCreateView.as_view(), name="release_create"),
    path("portal/releases/opt-out/", views.OptOutView.as_view(), name="opt_out"),
    path("portal/releases/photos/<uuid:uuid>/", views.PhotoReleasesView.as_view(), name="photo_releases"),
    path("portal/releases/<uuid:uuid>/", views.ReleaseDetailView.as_view(), name="release_detail"),
    path("portal/releases/<uuid:uuid>/edit/", views.ReleaseEditView.as_view(), name="release_edit"),
    path("portal/releases/<uuid:uuid>/attach/", views.ReleaseAttachView.as_view(), name="release_attach"),
    path("portal/notifications/", views.NotificationsView.as_view(), name="notifications"),
    # Staff review
    path("review/", views.ReviewQueueView.as_view(), name="review_queue"),
    path("review/bulk-approve/", views.ReviewBulkApproveView.as_view(), name="review_bulk_approve"),
    path("review/photos/<uuid:uuid>/", views.ReviewPhotoView.as_view(), name="review_photo"),
    path("review/releases/<uuid:uuid>/", views.ReviewReleaseView.as_view(), name="review_release"),
    path("review/releases/<uuid:uuid>/document/", views.release_document, name="release_document"),
    path("review/releases/<uuid:uuid>/withdrawal/", views.PaperWithdrawalView.as_view(), name="paper_withdrawal"),
    path("review/releases/<uuid:uuid>/link/", views.ReleaseLinkIssueView.as_view(), name="release_link_issue"),
    # The subject's secret link
    path("consent/<str:token>/", views.ConsentView.as_view(), name="consent"),
]

# Bundles and downloads (issue 7)
from licensing import views_bundles

urlpatterns += [
    path("orders/<uuid:order_uuid>/lines/<int:line_id>/bundle/", views_bundles.bundle_status, name="bundle_status"),
    path(
        "orders/<uuid:order_uuid>/lines/<int:line_id>/download/", views_bundles.bundle_download, name="bundle_download"
    ),
    path("downloads/<str:token>/", views_bundles.bundle_file, name="bundle_file"),
]

# --- Cart, checkout, orders, invoices, payments (issue 6) ---------------------------------
from licensing import views_orders

urlpatterns += [
    path("cart/", views_orders.CartView.as_view(), name="cart"),
    path("cart/add/", views_orders.CartAddView.as_view(), name="cart_add"),
    path("cart/lines/<int:line_id>/", views_orders.CartLineView.as_view(), name="cart_line"),
    path("checkout/", views_orders.CheckoutView.as_view(), name="checkout"),
    path("orders/", views_orders.OrderListView.as_view(), name="order_list"),
    path("orders/<uuid:uuid>/", views_orders.OrderDetailView.as_view(), name="order_detail"),
    path("orders/<uuid:uuid>/pay/", views_orders.OrderPayView.as_view(), name="order_pay"),
    path("orders/<uuid:uuid>/pay/demo/", views_orders.DemoPayView.as_view(), name="order_pay_demo"),
    path("orders/<uuid:uuid>/licence/", views_orders.OrderLicenceView.as_view(), name="order_licence"),
    path("invoices/<str:number>/", views_orders.InvoiceView.as_view(), name="invoice"),
    path("invoices/<str:number>/pdf/", views_orders.InvoicePdfView.as_view(), name="invoice_pdf"),
    path("payments/stripe/webhook/", views_orders.StripeWebhookView.as_view(), name="stripe_webhook"),
    path("review/orders/", views_orders.StaffOrderListView.as_view(), name="staff_orders"),
    path("review/orders/statement/", views_orders.BankStatementView.as_view(), name="bank_statement"),
    path("review/orders/<uuid:uuid>/", views_orders.StaffOrderDetailView.as_view(), name="staff_order_detail"),
    path("review/provision-records/", views_orders.ProvisionRecordListView.as_view(), name="provision_records"),
]

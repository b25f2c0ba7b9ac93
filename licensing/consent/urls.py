from django.urls import path

from licensing.consent import views

# Mounted by licensing/urls.py under the app namespace "licensing".

urlpatterns = [
    # Contributor portal
    path("portal/releases/", views.ReleaseListView.as_view(), name="release_list"),
    path("portal/releases/new/", views.ReleaseCreateView.as_view(), name="release_create"),
    path("portal/releases/request/", views.ReleaseRequestCreateView.as_view(), name="release_request"),
    path("portal/releases/opt-out/", views.OptOutView.as_view(), name="opt_out"),
    path("portal/releases/photos/<uuid:uuid>/", views.PhotoReleasesView.as_view(), name="photo_releases"),
    path("portal/releases/<uuid:uuid>/", views.ReleaseDetailView.as_view(), name="release_detail"),
    path("portal/releases/<uuid:uuid>/edit/", views.ReleaseEditView.as_view(), name="release_edit"),
    path("portal/releases/<uuid:uuid>/attach/", views.ReleaseAttachView.as_view(), name="release_attach"),
    # Staff review
    path("review/", views.ReviewQueueView.as_view(), name="review_queue"),
    path("review/bulk-approve/", views.ReviewBulkApproveView.as_view(), name="review_bulk_approve"),
    path("review/photos/<uuid:uuid>/", views.ReviewPhotoView.as_view(), name="review_photo"),
    path("review/releases/<uuid:uuid>/", views.ReviewReleaseView.as_view(), name="review_release"),
    path("review/releases/<uuid:uuid>/document/", views.release_document, name="release_document"),
    path("review/releases/<uuid:uuid>/withdrawal/", views.PaperWithdrawalView.as_view(), name="paper_withdrawal"),
    path("review/releases/<uuid:uuid>/link/", views.ReleaseLinkIssueView.as_view(), name="release_link_issue"),
    path("review/releases/<uuid:uuid>/identity-check/", views.IdentityCheckView.as_view(), name="identity_check"),
    # Consent receipts: the public keys (a stable URL) and a page to verify one
    path("consent-receipts/keys.json", views.consent_receipt_keys, name="consent_receipt_keys"),
    path("consent-receipts/verify/", views.ReceiptVerifyView.as_view(), name="consent_receipt_verify"),
    # The subject: confirm the address, ask for the link again, and the secret link itself
    path("consent/confirm/<str:token>/", views.ContactConfirmView.as_view(), name="contact_confirm"),
    path("sign/<str:token>/", views.ReleaseSignView.as_view(), name="release_sign"),
    path("sign/<str:token>/photos/<uuid:uuid>.jpg", views.release_sign_photo, name="release_sign_photo"),
    path("consent/<str:token>/release.pdf", views.subject_release_pdf, name="consent_release_pdf"),
    path("consent/send-my-link/", views.LinkResendView.as_view(), name="consent_link_resend"),
    path("consent/<str:token>/receipts.json", views.subject_receipts, name="consent_receipts"),
    path("consent/<str:token>/digest/", views.consent_digest, name="consent_digest"),
    path("consent/<str:token>/", views.ConsentView.as_view(), name="consent"),
    path("review/provision-records/", views.ProvisionRecordListView.as_view(), name="provision_records"),
]

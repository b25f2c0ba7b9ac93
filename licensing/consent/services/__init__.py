"""Every write to consent: the scopes, releases and their documents, review, withdrawal, opt-outs,
and the record of each provision to a third party. One module per subject; the names callers use
are listed here."""

from licensing.consent.services.contact import (
    contact_confirm,
    release_contact_confirmation_send,
    release_identity_check_record,
    subject_links_resend,
)
from licensing.consent.services.provision import (
    DigestResult,
    provision_digest_send,
    provision_records_create,
    release_provision_digest_set,
    retain_until_for,
)
from licensing.consent.services.receipts import receipt_issue
from licensing.consent.services.releases import (
    RELEASE_FIELDS,
    release_attach,
    release_create,
    release_detach,
    release_document_check,
    release_document_replace,
    release_resubmit,
    release_update,
)
from licensing.consent.services.requests import (
    release_request_code_check,
    release_request_code_send,
    release_request_create,
    release_request_for_token,
    release_request_sign,
)
from licensing.consent.services.review import (
    BulkResult,
    photo_review_approve,
    photo_review_reject,
    release_approve,
    release_reject,
    review_bulk_approve,
)
from licensing.consent.services.scopes import (
    DEFAULT_CONSENT_SCOPES,
    consent_scopes_ensure,
    photos_scope_masks_refresh,
)
from licensing.consent.services.withdrawal import consent_withdraw, opt_out_set, release_withdrawal_link_issue

__all__ = [
    "DEFAULT_CONSENT_SCOPES",
    "RELEASE_FIELDS",
    "BulkResult",
    "DigestResult",
    "consent_scopes_ensure",
    "consent_withdraw",
    "contact_confirm",
    "opt_out_set",
    "photo_review_approve",
    "photo_review_reject",
    "photos_scope_masks_refresh",
    "provision_digest_send",
    "provision_records_create",
    "receipt_issue",
    "release_approve",
    "release_attach",
    "release_contact_confirmation_send",
    "release_create",
    "release_detach",
    "release_document_check",
    "release_document_replace",
    "release_identity_check_record",
    "release_provision_digest_set",
    "release_reject",
    "release_request_code_check",
    "release_request_code_send",
    "release_request_create",
    "release_request_for_token",
    "release_request_sign",
    "release_resubmit",
    "release_update",
    "release_withdrawal_link_issue",
    "retain_until_for",
    "review_bulk_approve",
    "subject_links_resend",
]

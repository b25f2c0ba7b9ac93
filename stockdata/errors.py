"""One application error type, mapped once for the API and once for forms."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """Every ``error.code`` the product can answer with: stable, machine-readable, documented.

    The API's OpenAPI schema lists these values; ``ApplicationError`` refuses any other code.
    """

    # Requests in general (the API's error format, Django's body limits, DRF's own refusals).
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    ERROR = "error"
    SERVER_ERROR = "server_error"
    PARSE_ERROR = "parse_error"
    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    PERMISSION_DENIED = "permission_denied"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    THROTTLED = "throttled"
    INVALID_CONTENT_LENGTH = "invalid_content_length"
    LENGTH_REQUIRED = "length_required"
    REQUEST_TOO_LARGE = "request_too_large"
    TOO_MANY_FILES = "too_many_files"
    TOO_MANY_FIELDS = "too_many_fields"
    MALFORMED_BODY = "malformed_body"
    STORAGE_UNAVAILABLE = "storage_unavailable"
    # Signing in.
    LOCKED_OUT = "locked_out"
    EMAIL_UNVERIFIED = "email_unverified"
    TOO_MANY_TOKENS = "too_many_tokens"
    OTP_INVALID = "otp_invalid"
    OTP_REQUIRED = "otp_required"
    OTP_THROTTLED = "otp_throttled"
    SETUP_EXPIRED = "setup_expired"
    TWO_FACTOR_ALREADY_ON = "two_factor_already_on"
    TWO_FACTOR_SETUP_REQUIRED = "two_factor_setup_required"
    # Organisation members and invitations.
    INVITATION_INVALID = "invitation_invalid"
    INVITATION_USED = "invitation_used"
    INVITATION_EXPIRED = "invitation_expired"
    INVITATION_WRONG_ADDRESS = "invitation_wrong_address"
    EMAIL_DOMAIN = "email_domain"
    ALREADY_MEMBER = "already_member"
    LAST_OWNER = "last_owner"
    # Dataset requests.
    REQUEST_TRANSITION_REFUSED = "request_transition_refused"
    # Uploaded images and scans (catalog.imaging's rejection codes) and photo review.
    EMPTY = "empty"
    TOO_LARGE_BYTES = "too_large_bytes"
    NOT_AN_IMAGE = "not_an_image"
    UNSUPPORTED_TYPE = "unsupported_type"
    CORRUPT = "corrupt"
    ANIMATED = "animated"
    TOO_SMALL = "too_small"
    TOO_MANY_PIXELS = "too_many_pixels"
    DUPLICATE = "duplicate"
    NOT_EDITABLE = "not_editable"
    NOT_SUBMITTED = "not_submitted"
    NOT_REJECTED = "not_rejected"
    INCOMPLETE = "incomplete"
    EMPTY_SELECTION = "empty_selection"
    # Releases and consent.
    NO_RELEASE = "no_release"
    NO_SUBJECTS = "no_subjects"
    NOT_PENDING = "not_pending"
    GUARDIAN_REQUIRED = "guardian_required"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    NOT_ELIGIBLE = "not_eligible"
    CHANGED_SINCE_OPENED = "changed_since_opened"
    CHECKLIST_INCOMPLETE = "checklist_incomplete"
    RECEIPT_INVALID = "receipt_invalid"
    CODE_INVALID = "code_invalid"
    # Curation.
    NO_VERSION = "no_version"
    UNANNOTATED_PHOTOS = "unannotated_photos"
    ANNOTATION_INCOMPLETE = "annotation_incomplete"
    UNCONFIRMED_BOXES = "unconfirmed_boxes"
    # Cart, orders and payment.
    CART_EMPTY = "cart_empty"
    NOT_A_BUYER = "not_a_buyer"
    NO_ORGANISATION = "no_organisation"
    NOT_ON_SALE = "not_on_sale"
    EDITION_INVALID = "edition_invalid"
    EDITION_UNAVAILABLE = "edition_unavailable"
    EDITION_OWNED = "edition_owned"
    EDITION_UPGRADE_UNPRICED = "edition_upgrade_unpriced"
    BILLING = "billing"
    INTENDED_USE = "intended_use"
    INTENDED_USE_DETAIL = "intended_use_detail"
    LICENCE = "licence"
    PAYMENT_METHOD = "payment_method"
    IDEMPOTENCY_KEY = "idempotency_key"
    REASON_REQUIRED = "reason_required"
    NOT_AWAITING_APPROVAL = "not_awaiting_approval"
    NOT_PAYABLE = "not_payable"
    NOT_PAID = "not_paid"
    AMOUNT_MISMATCH = "amount_mismatch"
    CARD_INVALID = "card_invalid"
    DEMO_OFF = "demo_off"
    ORDER_TRANSITION_REFUSED = "order_transition_refused"
    QUOTATION_UNKNOWN = "quotation_unknown"
    QUOTATION_EXPIRED = "quotation_expired"
    QUOTATION_USED = "quotation_used"
    QUOTATION_STALE = "quotation_stale"
    # The contact page.
    CONTACT_RATE_LIMITED = "contact_rate_limited"
    ANSWER_REQUIRED = "answer_required"
    # Delivery.
    NOTHING_TO_DELIVER = "nothing_to_deliver"
    BUNDLE_READY = "bundle_ready"
    NOT_READY = "not_ready"
    REFUNDED = "refunded"
    DOWNLOAD_LIMIT = "download_limit"
    LINK_EXPIRED = "link_expired"
    RANGE_NOT_SATISFIABLE = "range_not_satisfiable"
    # Payouts.
    BANK_ACCOUNT_INVALID = "bank_account_invalid"
    PAYOUT_RUN_EMPTY = "payout_run_empty"
    PAYOUT_RUN_NOT_PREPARED = "payout_run_not_prepared"
    PAYOUT_NOT_EXPORTED = "payout_not_exported"
    PAYOUT_ALREADY_PAID = "payout_already_paid"


class ApplicationError(Exception):
    """A refusal a person can act on: ``message`` says what was wrong and what to do.

    ``code`` is an :class:`ErrorCode` (a string naming no member is refused with ``ValueError``);
    ``status`` is the HTTP status the API uses;
    ``field`` names the form field at fault, when there is one.
    """

    status = 400

    def __init__(
        self,
        message: str,
        *,
        code: ErrorCode = ErrorCode.INVALID,
        field: str | None = None,
        status: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = ErrorCode(code)
        self.field = field
        self.extra = extra or {}
        if status is not None:
            self.status = status

    def add_to_form(self, form) -> None:
        """Show this error on a Django form, on its field when it names one."""
        form.add_error(self.field if self.field in form.fields else None, self.message)


class NotFound(ApplicationError):
    status = 404

    def __init__(self, message: str = "Not found.", **kwargs: Any) -> None:
        super().__init__(message, code=kwargs.pop("code", ErrorCode.NOT_FOUND), **kwargs)


class Conflict(ApplicationError):
    status = 409

"""Who may open what: the expected outcome of every URL and API operation for every role.

Outcomes: ``"ok"`` (any 2xx), ``"login"`` (a redirect to the login page), ``"redirect"``
(any other redirect), or an exact status code (400, 401, 403, 404, 405, ...); a frozenset
accepts any of its outcomes (only for a page whose answer depends on the environment).

The roles, in this order in every ``E(...)``: anonymous, contributor A, contributor B,
buyer A (the owner of organisation A), buyer B (the owner of another organisation), reviewer
(``is_staff``, not a superuser), admin (superuser), then organisation A's other members:
purchaser A, downloader A, compliance A. A row of seven outcomes gives those three members
buyer A's outcome (pages that are not about the organisation's work: public pages, the
profile, other roles' pages); every buyer page and operation names all ten (``org(...)``). In this codebase "reviewer" and "admin" are the same role (``Role.STAFF``,
``user_has_role(staff)`` is ``is_staff``); the admin differs only inside Django's admin
(a superuser has every model permission; the reviewer has none unless granted).

URL arguments name objects of the fixture world (``stockdata/tests/access_world.py``),
always the A side: ``"order_a.uuid"`` is buyer A's order. So a row reads "A's object":
the owner gets 2xx, B of the same role gets 404, like every other stranger.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stockdata.tests.access_world import ROLES

MEMBER_ROLES = ("purchaser_a", "downloader_a", "compliance_a")


def E(*outcomes) -> dict:
    if len(outcomes) == len(ROLES) - len(MEMBER_ROLES):
        outcomes = (*outcomes, *[outcomes[ROLES.index("buyer_a")]] * len(MEMBER_ROLES))
    assert len(outcomes) == len(ROLES), outcomes
    return dict(zip(ROLES, outcomes, strict=True))


def org(base: dict, purchaser, downloader, compliance) -> dict:
    """``base`` with the outcomes of organisation A's purchaser, downloader and compliance member."""
    return base | dict(zip(MEMBER_ROLES, (purchaser, downloader, compliance), strict=True))


@dataclass(frozen=True)
class Row:
    expect: dict
    method: str = "GET"
    kwargs: dict = field(default_factory=dict)
    data: dict | None = None
    path: str | None = None  # a literal path instead of reversing the name
    url_name: str = ""  # API rows: the URL pattern the operation is served by


#                   anon     cA    cB    bA    bB    rev   admin
PUBLIC = E("ok", "ok", "ok", "ok", "ok", "ok", "ok")
EVERYONE_404 = E(404, 404, 404, 404, 404, 404, 404)
SIGNED_IN = E("login", "ok", "ok", "ok", "ok", "ok", "ok")
CONTRIBUTOR = E("login", "ok", "ok", 404, 404, 404, 404)
CONTRIBUTOR_A = E("login", "ok", 404, 404, 404, 404, 404)
BUYER = E("login", 404, 404, "ok", "ok", 404, 404)
BUYER_A = E("login", 404, 404, "ok", 404, 404, 404)
STAFF = E("login", 404, 404, 404, 404, "ok", "ok")
# Buying (cart, quotations, checkout, invoices): owners and purchasers; the other members get 403.
PURCHASER = org(BUYER, "ok", 403, 403)
PURCHASER_A = org(BUYER_A, "ok", 403, 403)
ANON_ONLY = E("ok", *["redirect"] * 6)  # a signed-in user is sent on
CONTRIBUTOR_REDIRECT = E("login", "redirect", "redirect", 404, 404, 404, 404)
CONTRIBUTOR_A_REDIRECT = E("login", "redirect", 404, 404, 404, 404, 404)
STAFF_REDIRECT = E("login", 404, 404, 404, 404, "redirect", "redirect")
STAFF_INVALID = E("login", 404, 404, 404, 404, 400, 400)
EVERYONE_404_BUT_ANON = E("login", 404, 404, 404, 404, 404, 404)
# Pages that answer 404 to anyone not allowed, anonymous visitors included (their docstrings say so).
STAFF_ONLY_404 = E(404, 404, 404, 404, 404, "ok", "ok")
BUYER_A_ONLY_404 = E(404, 404, 404, "ok", 404, 404, 404)
# Withdrawal notices and deletion confirmations: organisation A's owners and compliance members.
COMPLIANCE_A_ONLY_404 = org(BUYER_A_ONLY_404, 404, 404, "ok")

UUID = "00000000-0000-4000-8000-000000000000"


URL_ROWS: dict[str, Row] = {
    # --- Public pages
    "home": Row(PUBLIC),
    "set_language": Row(E(*["redirect"] * 7), method="POST", data={"language": "xx", "next": "/"}),
    "healthz": Row(PUBLIC),
    # Ready or not depends on the broker and the worker's heartbeat: either answer, never a 500.
    "healthz_ready": Row(E(*[frozenset({"ok", 503})] * 7)),
    "account_signup": Row(ANON_ONLY),
    "signup_contributor": Row(ANON_ONLY),
    "signup_buyer": Row(ANON_ONLY),
    "catalog:list": Row(PUBLIC),
    "catalog:detail": Row(PUBLIC, kwargs={"slug": "dataset.slug"}),
    "^media/public/(?P<path>.*)$": Row(EVERYONE_404, path="/media/public/no-such-file.jpg"),
    "schema": Row(PUBLIC),
    "api_docs": Row(PUBLIC),
    # --- Accounts (allauth)
    "accounts:profile": Row(SIGNED_IN),
    # A draft photo's preview: private to its contributor and staff until approval.
    "photo_derived": Row(
        E(404, "ok", 404, 404, 404, "ok", "ok"), kwargs={"uuid": "draft_photo_a.uuid", "kind": "preview"}
    ),
    # The organisation's own page (billing, members, invitations): its owners only.
    "accounts:organisation": Row(org(BUYER, 403, 403, 403)),
    "accounts:member_invite": Row(
        org(E("login", 404, 404, "redirect", "redirect", 404, 404), 403, 403, 403), method="POST", data={}
    ),
    "accounts:member_role": Row(
        org(E("login", 404, 404, "redirect", 404, 404, 404), 403, 403, 403),
        method="POST",
        data={"role": "downloader"},
        kwargs={"pk": "member_a.pk"},
    ),
    "accounts:member_remove": Row(
        org(E("login", 404, 404, "redirect", 404, 404, 404), 403, 403, 403),
        method="POST",
        kwargs={"pk": "member_a.pk"},
    ),
    # A link that is not an invitation: "not valid", to anyone.
    "accounts:invitation": Row(EVERYONE_404, kwargs={"token": "not-a-token"}),
    "accounts:invitation_signup": Row(EVERYONE_404, kwargs={"token": "not-a-token"}),
    # Contributor A's API token: only A may revoke it; revoking all one's own is anyone's.
    "accounts:api_token_revoke": Row(
        E("login", "redirect", 404, 404, 404, 404, 404), method="POST", kwargs={"public_id": "api_token_a.public_id"}
    ),
    "accounts:api_tokens_revoke_all": Row(E("login", *["redirect"] * 6), method="POST"),
    "account_login": Row(ANON_ONLY),
    "account_logout": Row(E("redirect", "ok", "ok", "ok", "ok", "ok", "ok")),
    "account_inactive": Row(PUBLIC),
    "account_reauthenticate": Row(SIGNED_IN),
    "account_request_reauthentication_code": Row(SIGNED_IN),
    "account_confirm_reauthentication_code": Row(E("login", *["redirect"] * 6)),
    "account_email": Row(SIGNED_IN),
    "account_email_verification_sent": Row(PUBLIC),
    "account_change_password": Row(SIGNED_IN),
    "account_set_password": Row(E("login", *["redirect"] * 6)),
    "account_reset_password": Row(PUBLIC),
    "account_confirm_login_code": Row(E("login", *["redirect"] * 6)),  # no code pending
    "account_confirm_email": Row(PUBLIC, kwargs={"key": "not-a-key"}),  # allauth's "link invalid" page
    "account_reset_password_from_key_done": Row(PUBLIC),
    "account_reset_password_from_key": Row(PUBLIC, kwargs={"uidb36": "zz", "key": "not-a-key"}),
    "account_reset_password_done": Row(PUBLIC),
    # --- Two-factor authentication (staff accounts only)
    "accounts:two_factor": Row(STAFF),
    "accounts:two_factor_setup": Row(STAFF),
    "accounts:two_factor_verify": Row(STAFF_REDIRECT),  # no device yet: to setup
    "accounts:two_factor_disable": Row(STAFF_REDIRECT, method="POST", data={}),
    # --- Contributor portal
    "contributors:dashboard": Row(CONTRIBUTOR),
    "contributors:upload": Row(CONTRIBUTOR),
    "contributors:photo_list": Row(CONTRIBUTOR),
    "contributors:photos_bulk_edit": Row(E("login", 400, 400, 404, 404, 404, 404), method="POST", data={}),
    "contributors:photos_bulk_submit": Row(CONTRIBUTOR_REDIRECT, method="POST", data={}),
    "contributors:photo_detail": Row(CONTRIBUTOR_A, kwargs={"uuid": "draft_photo_a.uuid"}),
    "contributors:photo_submit": Row(CONTRIBUTOR_A_REDIRECT, method="POST", kwargs={"uuid": "draft_photo_a.uuid"}),
    "contributors:photo_delete": Row(CONTRIBUTOR_A_REDIRECT, method="POST", kwargs={"uuid": "draft_photo_a.uuid"}),
    "contributors:tag_suggest": Row(CONTRIBUTOR),
    "contributors:earnings": Row(CONTRIBUTOR),
    "contributors:payout_account": Row(CONTRIBUTOR),
    "contributors:withholding_summary": Row(CONTRIBUTOR),
    "contributors:payout_statement": Row(CONTRIBUTOR_A, kwargs={"pk": "payout_a.pk"}),
    "contributors:payout_statement_pdf": Row(CONTRIBUTOR_A, kwargs={"pk": "payout_a.pk"}),
    "contributors:payout_statement_csv": Row(CONTRIBUTOR_A, kwargs={"pk": "payout_a.pk"}),
    "licensing:release_list": Row(CONTRIBUTOR),
    "licensing:release_create": Row(CONTRIBUTOR),
    "licensing:release_request": Row(CONTRIBUTOR),
    "licensing:opt_out": Row(CONTRIBUTOR),
    "licensing:photo_releases": Row(CONTRIBUTOR_A, kwargs={"uuid": "photo_a.uuid"}),
    "licensing:release_detail": Row(CONTRIBUTOR_A, kwargs={"uuid": "release_a.uuid"}),
    "licensing:release_edit": Row(CONTRIBUTOR_A, kwargs={"uuid": "release_a.uuid"}),
    "licensing:release_attach": Row(CONTRIBUTOR_A_REDIRECT, method="POST", kwargs={"uuid": "release_a.uuid"}),
    "notifications:list": Row(CONTRIBUTOR),
    # --- Staff review
    "licensing:review_queue": Row(STAFF),
    "licensing:review_bulk_approve": Row(STAFF_REDIRECT, method="POST", data={}),
    "licensing:review_photo": Row(STAFF, kwargs={"uuid": "photo_a.uuid"}),
    "licensing:review_release": Row(STAFF, kwargs={"uuid": "release_a.uuid"}),
    "licensing:release_document": Row(STAFF_ONLY_404, kwargs={"uuid": "release_a.uuid"}),
    "licensing:paper_withdrawal": Row(STAFF_REDIRECT, method="POST", data={}, kwargs={"uuid": "release_a.uuid"}),
    "licensing:release_link_issue": Row(STAFF, method="POST", kwargs={"uuid": "release_a.uuid"}),
    "licensing:consent": Row(EVERYONE_404, kwargs={"token": "not-a-token"}),
    "licensing:identity_check": Row(STAFF_REDIRECT, method="POST", data={}, kwargs={"uuid": "release_a.uuid"}),
    # --- The subject, and anyone checking a receipt
    "licensing:consent_receipts": Row(EVERYONE_404, kwargs={"token": "not-a-token"}),
    "licensing:consent_digest": Row(
        EVERYONE_404, method="POST", data={"enabled": "no"}, kwargs={"token": "not-a-token"}
    ),
    "licensing:consent_release_pdf": Row(EVERYONE_404, kwargs={"token": "not-a-token"}),
    "licensing:contact_confirm": Row(EVERYONE_404, kwargs={"token": "not-a-token"}),
    "licensing:consent_link_resend": Row(PUBLIC),
    "licensing:consent_receipt_keys": Row(PUBLIC),
    "licensing:consent_receipt_verify": Row(PUBLIC),
    "licensing:release_sign": Row(EVERYONE_404, kwargs={"token": "not-a-token"}),
    "licensing:release_sign_photo": Row(EVERYONE_404, kwargs={"token": "not-a-token", "uuid": UUID}),
    # --- Bundles
    "licensing:bundle_status": Row(BUYER_A_ONLY_404, kwargs={"order_uuid": "order_a.uuid", "line_id": "line_a.pk"}),
    "licensing:bundle_download": Row(
        org(E(404, 404, 404, 409, 404, 404, 404), 403, 409, 403),
        method="POST",
        kwargs={"order_uuid": "order_a.uuid", "line_id": "line_a.pk"},
    ),
    # Only for the signed-in member the link was issued to; anyone else (anonymous too) gets 404.
    "licensing:bundle_file": Row(EVERYONE_404, kwargs={"token": "not-a-token"}),
    # A withdrawal notice to buyer A's organisation: its members only (anyone else: 404, as if none).
    "licensing:withdrawal_notice": Row(COMPLIANCE_A_ONLY_404, kwargs={"pk": "notice_a.pk"}),
    "licensing:withdrawal_notice_tombstone": Row(COMPLIANCE_A_ONLY_404, kwargs={"pk": "notice_a.pk", "fmt": "csv"}),
    "licensing:withdrawal_notices_overdue": Row(STAFF_ONLY_404),
    # The free evaluation pack's licence page: buyers only (a POST accepts it and downloads the pack).
    "licensing:evaluation_pack": Row(
        org(E("login", 403, 403, "ok", "ok", 403, 403), 403, "ok", 403), kwargs={"slug": "dataset.slug"}
    ),
    # --- Cart, orders, invoices
    "licensing:cart": Row(org(E("login", 403, 403, "ok", "ok", 403, 403), "ok", 403, 403)),  # "only buyers buy" page
    "licensing:cart_add": Row(E("login", *["redirect"] * 6), method="POST", data={}),  # "choose an edition"
    "licensing:cart_line": Row(  # the owner's own cart line: another member's cart is not theirs
        org(E("login", 404, 404, "redirect", 404, 404, 404), 404, 403, 403),
        method="POST",
        data={"action": "update"},
        kwargs={"line_id": "cart_line_a.pk"},
    ),
    "licensing:dataset_ownership": Row(BUYER, kwargs={"slug": "dataset.slug"}),
    "licensing:checkout": Row(org(BUYER, "redirect", 403, 403)),  # the purchaser's own cart is empty: to the cart
    "licensing:quotation_create": Row(
        org(E("login", 404, 404, "redirect", "redirect", 404, 404), "redirect", 403, 403), method="POST"
    ),
    "licensing:quotation": Row(PURCHASER_A, kwargs={"number": "quotation_a.number"}),
    "licensing:quotation_pdf": Row(PURCHASER_A, kwargs={"number": "quotation_a.number"}),
    "licensing:receipt_pdf": Row(PURCHASER_A, kwargs={"uuid": "order_a.uuid"}),
    "licensing:licence_current": Row(E(*["redirect"] * 7)),
    "licensing:licence": Row(PUBLIC, kwargs={"code": "licence.code"}),
    "licensing:licence_pdf": Row(PUBLIC, kwargs={"code": "licence.code"}),
    "licensing:order_list": Row(BUYER),
    "licensing:order_detail": Row(BUYER_A, kwargs={"uuid": "order_a.uuid"}),
    "licensing:order_pay": Row(  # already paid: "cannot be paid now"
        org(E("login", 404, 404, "redirect", 404, 404, 404), "redirect", 403, 403),
        method="POST",
        kwargs={"uuid": "order_a.uuid"},
    ),
    "licensing:order_pay_demo": Row(
        org(E("login", 404, 404, "redirect", 404, 404, 404), "redirect", 403, 403), kwargs={"uuid": "order_a.uuid"}
    ),
    "licensing:order_licence": Row(BUYER_A, kwargs={"uuid": "order_a.uuid"}),
    "licensing:invoice": Row(PURCHASER_A, kwargs={"number": "invoice_a.number"}),
    "licensing:invoice_pdf": Row(PURCHASER_A, kwargs={"number": "invoice_a.number"}),
    "licensing:stripe_webhook": Row(E(*[400] * 7), method="POST", data={"type": "payment_intent.succeeded"}),
    # Datasets made to order: A's request (offered, so also a mission on the contributor portal).
    "licensing:dataset_requests": Row(PURCHASER),
    "licensing:dataset_request_create": Row(PURCHASER),
    "licensing:dataset_request": Row(PURCHASER_A, kwargs={"uuid": "dataset_request_a.uuid"}),
    "licensing:dataset_request_progress": Row(PURCHASER_A, kwargs={"uuid": "dataset_request_a.uuid"}),
    "licensing:dataset_request_accept": Row(  # to the quotation it issues
        org(E("login", 404, 404, "redirect", 404, 404, 404), "redirect", 403, 403),
        method="POST",
        kwargs={"uuid": "dataset_request_a.uuid"},
    ),
    "licensing:staff_dataset_requests": Row(STAFF),
    "licensing:staff_dataset_request": Row(STAFF, kwargs={"uuid": "dataset_request_a.uuid"}),
    "contributors:missions": Row(CONTRIBUTOR),
    "contributors:mission_detail": Row(CONTRIBUTOR, kwargs={"uuid": "dataset_request_a.uuid"}),
    "contributors:mission_progress": Row(CONTRIBUTOR, kwargs={"uuid": "dataset_request_a.uuid"}),
    "licensing:staff_orders": Row(STAFF),
    "licensing:bank_statement": Row(STAFF_REDIRECT, method="POST", data={}),
    "licensing:staff_order_detail": Row(STAFF, kwargs={"uuid": "order_a.uuid"}),
    "licensing:provision_records": Row(STAFF),
    # --- Curation (staff)
    "curation:list": Row(STAFF),
    "curation:create": Row(STAFF),
    "curation:photo_boxes": Row(STAFF, kwargs={"uuid": "photo_a.uuid"}),
    "curation:edit": Row(STAFF, kwargs={"slug": "draft_dataset.slug"}),
    "curation:curate": Row(STAFF, kwargs={"slug": "draft_dataset.slug"}),
    "curation:preview": Row(STAFF, method="POST", data={}, kwargs={"slug": "draft_dataset.slug"}),
    "curation:tag_suggestions": Row(STAFF, kwargs={"slug": "draft_dataset.slug"}),
    "curation:apply": Row(STAFF_REDIRECT, method="POST", kwargs={"slug": "draft_dataset.slug"}),
    "curation:add_photos": Row(STAFF_INVALID, method="POST", kwargs={"slug": "draft_dataset.slug"}),
    "curation:remove_photo": Row(
        EVERYONE_404_BUT_ANON,  # a photo not in the dataset
        method="POST",
        kwargs={"slug": "draft_dataset.slug", "uuid": UUID},
    ),
    "curation:freeze": Row(STAFF_INVALID, method="POST", kwargs={"slug": "draft_dataset.slug"}),
    "curation:publish": Row(STAFF_REDIRECT, method="POST", kwargs={"slug": "draft_dataset.slug"}),
    "curation:retire": Row(STAFF_REDIRECT, method="POST", kwargs={"slug": "draft_dataset.slug"}),
    "curation:annotate": Row(STAFF, kwargs={"slug": "draft_dataset.slug"}),
    # --- Payouts (staff)
    "payouts:run_list": Row(STAFF),
    "payouts:revenue": Row(STAFF),
    "payouts:payout_mark": Row(  # no reason given: refused with a message
        STAFF_REDIRECT, method="POST", data={"reason": ""}, kwargs={"pk": "payout_a.pk", "outcome": "failed"}
    ),
    "payouts:run_detail": Row(STAFF, kwargs={"period": "payout_run.period"}),
    "payouts:run_export": Row(STAFF_REDIRECT, method="POST", kwargs={"period": "payout_run.period"}),
    "payouts:run_mark_paid": Row(STAFF_REDIRECT, method="POST", kwargs={"period": "payout_run.period"}),
    "payouts:run_file": Row(STAFF, kwargs={"period": "payout_run.period", "kind": "zengin"}),
    "core:staff_dashboard": Row(STAFF),
    "core:contact_messages": Row(STAFF),
    "core:staff_withdrawals": Row(STAFF),
    "core:staff_failed_jobs": Row(STAFF),
    "core:contact_message": Row(STAFF, kwargs={"pk": "contact_message.pk"}),
    "core:terms": Row(PUBLIC),
    "core:privacy": Row(PUBLIC),
    "core:commerce": Row(PUBLIC),
    "core:company": Row(PUBLIC),
    "core:contact": Row(PUBLIC),
    "core:terms_accept": Row(E("login", *["redirect"] * 6)),  # everyone accepted: sent on
}

# Django's admin, as one group: the index and a sample of changelists.
ADMIN_ROWS: dict[str, Row] = {
    "admin:index": Row(E(*["login"] * 5, "ok", "ok")),
    # The reviewer has no model permissions: only the superuser sees the changelists.
    "admin:accounts_user_changelist": Row(E(*["login"] * 5, 403, "ok")),
    "admin:licensing_order_changelist": Row(E(*["login"] * 5, 403, "ok")),
    "admin:catalog_photo_changelist": Row(E(*["login"] * 5, 403, "ok")),
}

#                  anon  cA    cB    bA    bB    rev   admin
API_PUBLIC = E("ok", "ok", "ok", "ok", "ok", "ok", "ok")
API_SIGNED_IN = E(403, "ok", "ok", "ok", "ok", "ok", "ok")
API_CONTRIBUTOR = E(403, "ok", "ok", 403, 403, 403, 403)
API_CONTRIBUTOR_A = E(403, "ok", 404, 403, 403, 403, 403)
API_BUYER = E(403, 403, 403, "ok", "ok", 403, 403)
API_BUYER_A = E(403, 403, 403, "ok", 404, 403, 403)
API_STAFF = E(403, 403, 403, 403, 403, "ok", "ok")
API_CONTRIBUTOR_INVALID = E(403, 400, 400, 403, 403, 403, 403)
API_BUYER_INVALID = E(403, 403, 403, 400, 400, 403, 403)
API_PURCHASER = org(API_BUYER, "ok", 403, 403)
API_PURCHASER_A = org(API_BUYER_A, "ok", 403, 403)
API_PURCHASER_INVALID = org(API_BUYER_INVALID, 400, 403, 403)
API_STAFF_INVALID = E(403, 403, 403, 403, 403, 400, 400)


def api_contributor_a(owner) -> dict:
    """Contributor A's object: ``owner`` for A (2xx or the refusal of an invalid body), 404 for B."""
    return E(403, owner, 404, 403, 403, 403, 403)


API_ROWS: dict[str, Row] = {
    "POST /api/v1/auth/token/": Row(E(*[400] * 7), method="POST", data={}, url_name="api:token"),
    "GET /api/v1/me/": Row(API_SIGNED_IN, url_name="api:me"),
    "GET /api/v1/auth/tokens/": Row(API_SIGNED_IN, url_name="api:api-token-list"),
    "DELETE /api/v1/auth/tokens/{public_id}/": Row(
        E(403, "ok", 404, 404, 404, 404, 404),
        method="DELETE",
        kwargs={"public_id": "api_token_a.public_id"},
        url_name="api:api-token-detail",
    ),
    # Catalogue
    "GET /api/v1/datasets/": Row(API_PUBLIC, url_name="api:catalogue-list"),
    "GET /api/v1/datasets/{slug}/": Row(API_PUBLIC, kwargs={"slug": "dataset.slug"}, url_name="api:catalogue-detail"),
    "GET /api/v1/consent-scopes/": Row(API_SIGNED_IN, url_name="api:consent-scope-list"),
    # Anyone may verify a consent receipt; an empty body is a 400.
    "POST /api/v1/consent-receipts/verify/": Row(
        E(*[400] * 7), method="POST", data={}, url_name="api:consent-receipt-verify"
    ),
    # Photos
    "GET /api/v1/photos/": Row(API_CONTRIBUTOR, url_name="api:photo-list"),
    "POST /api/v1/photos/": Row(API_CONTRIBUTOR_INVALID, method="POST", data={}, url_name="api:photo-list"),
    "GET /api/v1/photos/{uuid}/": Row(API_CONTRIBUTOR_A, kwargs={"uuid": "photo_a.uuid"}, url_name="api:photo-detail"),
    "PATCH /api/v1/photos/{uuid}/": Row(  # approved: no longer editable
        api_contributor_a(409),
        method="PATCH",
        data={"title": ""},
        kwargs={"uuid": "photo_a.uuid"},
        url_name="api:photo-detail",
    ),
    "DELETE /api/v1/photos/{uuid}/": Row(
        api_contributor_a(409), method="DELETE", kwargs={"uuid": "photo_a.uuid"}, url_name="api:photo-detail"
    ),
    "POST /api/v1/photos/{uuid}/submit/": Row(
        api_contributor_a(409), method="POST", kwargs={"uuid": "photo_a.uuid"}, url_name="api:photo-submit"
    ),
    "POST /api/v1/photos/batch/": Row(API_CONTRIBUTOR_INVALID, method="POST", data={}, url_name="api:photo-batch"),
    "POST /api/v1/photos/bulk/": Row(API_CONTRIBUTOR_INVALID, method="POST", data={}, url_name="api:photo-bulk"),
    "GET /api/v1/photos/{photo_uuid}/consent/": Row(
        API_CONTRIBUTOR_A, kwargs={"photo_uuid": "photo_a.uuid"}, url_name="api:photo-consent"
    ),
    "GET /api/v1/photos/{photo_uuid}/subjects/{position}/release/": Row(
        API_CONTRIBUTOR_A, kwargs={"photo_uuid": "photo_a.uuid", "position": 1}, url_name="api:photo-subject-release"
    ),
    "PUT /api/v1/photos/{photo_uuid}/subjects/{position}/release/": Row(
        api_contributor_a(400),
        method="PUT",
        data={},
        kwargs={"photo_uuid": "photo_a.uuid", "position": 1},
        url_name="api:photo-subject-release",
    ),
    "DELETE /api/v1/photos/{photo_uuid}/subjects/{position}/release/": Row(
        API_CONTRIBUTOR_A,
        method="DELETE",
        kwargs={"photo_uuid": "photo_a.uuid", "position": 1},
        url_name="api:photo-subject-release",
    ),
    # Releases
    "GET /api/v1/releases/": Row(API_CONTRIBUTOR, url_name="api:release-list"),
    "POST /api/v1/releases/": Row(API_CONTRIBUTOR_INVALID, method="POST", data={}, url_name="api:release-list"),
    "GET /api/v1/releases/{uuid}/": Row(
        API_CONTRIBUTOR_A, kwargs={"uuid": "release_a.uuid"}, url_name="api:release-detail"
    ),
    "PATCH /api/v1/releases/{uuid}/": Row(
        api_contributor_a(400),
        method="PATCH",
        data={"subject_name": ""},
        kwargs={"uuid": "release_a.uuid"},
        url_name="api:release-detail",
    ),
    "POST /api/v1/releases/{uuid}/document/": Row(
        api_contributor_a(400), method="POST", kwargs={"uuid": "release_a.uuid"}, url_name="api:release-document"
    ),
    "POST /api/v1/releases/{uuid}/resubmit/": Row(  # approved: nothing to resubmit
        api_contributor_a(409), method="POST", kwargs={"uuid": "release_a.uuid"}, url_name="api:release-resubmit"
    ),
    # Curation (staff)
    "POST /api/v1/curation/datasets/{slug}/count/": Row(
        API_STAFF,
        method="POST",
        data={"query": "nonsense"},
        kwargs={"slug": "draft_dataset.slug"},
        url_name="api:curation-dataset-count",
    ),
    "POST /api/v1/curation/datasets/{slug}/freeze/": Row(
        API_STAFF_INVALID,
        method="POST",
        data={"annotated": "not-a-boolean"},
        kwargs={"slug": "draft_dataset.slug"},
        url_name="api:curation-dataset-freeze",
    ),
    "GET /api/v1/curation/datasets/{slug}/versions/": Row(
        API_STAFF, kwargs={"slug": "dataset.slug"}, url_name="api:curation-dataset-versions"
    ),
    "GET /api/v1/curation/photos/{uuid}/boxes/": Row(
        API_STAFF, kwargs={"uuid": "photo_a.uuid"}, url_name="api:curation-photo-boxes"
    ),
    "PUT /api/v1/curation/photos/{uuid}/boxes/": Row(
        API_STAFF_INVALID,
        method="PUT",
        data={"boxes": "nonsense"},
        kwargs={"uuid": "photo_a.uuid"},
        url_name="api:curation-photo-boxes",
    ),
    "POST /api/v1/curation/photos/{uuid}/boxes/propose/": Row(
        API_STAFF, method="POST", kwargs={"uuid": "photo_a.uuid"}, url_name="api:curation-photo-boxes-propose"
    ),
    # Cart, orders, invoices (buyers)
    "GET /api/v1/cart/": Row(API_PURCHASER, url_name="api:cart"),
    "POST /api/v1/cart/": Row(API_PURCHASER_INVALID, method="POST", data={}, url_name="api:cart"),
    "DELETE /api/v1/cart/lines/{line_id}/": Row(  # the owner's own line: not the purchaser's cart
        org(API_BUYER_A, 404, 403, 403), method="DELETE", kwargs={"line_id": "cart_line_a.pk"}, url_name="api:cart-line"
    ),
    # Every member reads the organisation's orders; only owners and purchasers place one.
    "GET /api/v1/orders/": Row(API_BUYER, url_name="api:order-list"),
    "POST /api/v1/orders/": Row(API_PURCHASER_INVALID, method="POST", data={}, url_name="api:order-list"),
    "GET /api/v1/orders/{uuid}/": Row(API_BUYER_A, kwargs={"uuid": "order_a.uuid"}, url_name="api:order-detail"),
    "GET /api/v1/withdrawal-notices/": Row(API_SIGNED_IN, url_name="api:withdrawal-notice-list"),
    "POST /api/v1/withdrawal-notices/{notice_id}/confirmation/": Row(
        org(E(403, 404, 404, 400, 404, 404, 404), 404, 404, 400),
        method="POST",
        data={},
        kwargs={"notice_id": "notice_a.pk"},
        url_name="api:withdrawal-notice-confirm",
    ),
    "GET /api/v1/invoices/{number}/": Row(
        API_PURCHASER_A, kwargs={"number": "invoice_a.number"}, url_name="api:invoice-detail"
    ),
    # Earnings (contributors)
    "GET /api/v1/earnings/balance/": Row(API_CONTRIBUTOR, url_name="api:earnings-balance"),
    "GET /api/v1/earnings/ledger/": Row(API_CONTRIBUTOR, url_name="api:earnings-ledger"),
    "GET /api/v1/earnings/payouts/": Row(API_CONTRIBUTOR, url_name="api:earnings-payout-list"),
    "GET /api/v1/earnings/payouts/{id}/": Row(
        API_CONTRIBUTOR_A, kwargs={"id": "payout_a.pk"}, url_name="api:earnings-payout-detail"
    ),
}

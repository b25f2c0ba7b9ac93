"""Hostile values posted to the HTML forms: the form comes back with the error on the field
(never a 500), nothing is saved, and valid Unicode is saved and shown back exactly."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.html import escape

from catalog.models import Dataset, Photo
from catalog.tests.factories import DatasetFactory, PhotoFactory, ensure_consent_scopes
from contributors.models import ContributorProfile
from licensing.consent.tests.factories import PDF
from licensing.models import ModelRelease, Order
from stockdata.accounts.tests.factories import BuyerFactory, ContributorFactory, StaffFactory

pytestmark = pytest.mark.django_db

LONG = "a" * 10_000
HUGE = str(10**30)
SCRIPT = "<script>alert(1)</script>"
UNICODE = "👩🏽\u200d💻 cafe\u0301 ＡＢＣ 東京 \u202eevil\u202c zero\u200bwidth"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def refused(response, field: str, form: str = "form", status=(400,)) -> None:
    """The page came back (not a 500, not a redirect) with an error on ``field`` shown next to it."""
    assert response.status_code in status, (response.status_code, response.content[:300])
    errors = response.context[form].errors
    assert field in errors, dict(errors)
    message = str(errors[field][0])
    assert message
    assert escape(message) in response.content.decode()


# --- Describing a photo on the portal ----------------------------------------------------------

PHOTO_OK = {
    "photo-title": "Kept",
    "photo-description": "",
    "photo-keywords": "street",
    "photo-shoot_date": "",
    "photo-country": "JP",
    "photo-prefecture": "",
    "photo-lighting": "",
    "subjects-TOTAL_FORMS": "0",
    "subjects-INITIAL_FORMS": "0",
    "subjects-MIN_NUM_FORMS": "0",
    "subjects-MAX_NUM_FORMS": "50",
}

PHOTO_BAD = [
    ("title", LONG),
    ("title", "nul\x00"),
    ("description", "d" * 2001),
    ("keywords", "k" * 51),
    ("keywords", ", ".join(f"k{i}" for i in range(51))),
    ("keywords", LONG),
    ("country", "<s"),
    ("country", "JPN"),
    ("prefecture", LONG),
    ("shoot_date", "2026-02-30"),
    ("shoot_date", "99999-01-01"),
    ("lighting", SCRIPT),
]


@pytest.fixture
def contributor():
    return ContributorFactory()


@pytest.fixture
def portal(contributor):
    return logged_in(contributor)


@pytest.fixture
def draft(contributor):
    return PhotoFactory(contributor=contributor, status=Photo.Status.DRAFT, title="Kept", description="")


@pytest.mark.parametrize("field, value", PHOTO_BAD, ids=[f"{f}-{i}" for i, (f, _v) in enumerate(PHOTO_BAD)])
def test_a_bad_photo_description_comes_back_with_the_error_on_the_field_and_nothing_saved(portal, draft, field, value):
    response = portal.post(
        f"/portal/photos/{draft.uuid}/", {**PHOTO_OK, "photo-title": "Changed", f"photo-{field}": value}
    )
    refused(response, field)
    draft.refresh_from_db()
    assert draft.title == "Kept"
    assert not draft.tags.exists()


@pytest.mark.parametrize(
    "management",
    [
        {"subjects-TOTAL_FORMS": HUGE},
        {"subjects-TOTAL_FORMS": "abc"},
        {"subjects-TOTAL_FORMS": "51"},
        {"subjects-TOTAL_FORMS": ""},
    ],
)
def test_a_tampered_subject_formset_is_refused_without_a_500(portal, draft, management):
    response = portal.post(f"/portal/photos/{draft.uuid}/", {**PHOTO_OK, "photo-title": "Changed", **management})
    assert response.status_code == 400
    assert response.context["formset"].non_form_errors() or not response.context["formset"].is_valid()
    draft.refresh_from_db()
    assert draft.title == "Kept"


def test_a_subject_with_a_ten_thousand_character_ethnicity_is_refused_on_that_subject(portal, draft):
    data = {**PHOTO_OK, "subjects-TOTAL_FORMS": "1", "subjects-0-ethnicity": LONG, "subjects-0-age_band": "30s"}
    response = portal.post(f"/portal/photos/{draft.uuid}/", data)
    assert response.status_code == 400
    assert "ethnicity" in response.context["formset"].forms[0].errors
    assert not draft.subjects.exists()


def test_unicode_in_a_photo_description_is_saved_and_shown_back_exactly(portal, draft):
    data = {
        **PHOTO_OK,
        "photo-title": UNICODE,
        "photo-description": UNICODE,
        "photo-keywords": "マスク、👩🏽‍💻",
        "subjects-TOTAL_FORMS": "1",
        "subjects-0-ethnicity": "日本人 🇯🇵",
        "subjects-0-age_band": "30s",
    }
    response = portal.post(f"/portal/photos/{draft.uuid}/", data)
    assert response.status_code == 302, response.context and (
        response.context["form"].errors,
        response.context["formset"].errors,
    )
    draft.refresh_from_db()
    assert (draft.title, draft.description) == (UNICODE, UNICODE)
    assert sorted(t.name for t in draft.tags.all()) == sorted(["マスク", "👩🏽‍💻"])
    assert draft.subjects.get().ethnicity == "日本人 🇯🇵"
    html = portal.get(f"/portal/photos/{draft.uuid}/").content.decode()
    assert UNICODE in html
    assert "日本人 🇯🇵" in html


@pytest.mark.parametrize(
    "field, value", [("add_tags", "k" * 51), ("prefecture", LONG), ("shoot_date", "2026-13-01"), ("mask", "maybe")]
)
def test_a_bad_bulk_edit_is_refused_on_the_field(portal, draft, field, value):
    response = portal.post(
        "/portal/photos/bulk/edit/", {"photos": [str(draft.uuid)], "prefecture": "Osaka", field: value}
    )
    refused(response, field, form="bulk_form")
    draft.refresh_from_db()
    assert draft.prefecture == ""


@pytest.mark.parametrize("photos", [["not-a-uuid"], [SCRIPT], ["00000000-0000-0000-0000-000000000000"]])
def test_a_bulk_edit_of_photos_that_are_not_yours_or_not_ids_is_a_404(portal, photos):
    assert portal.post("/portal/photos/bulk/edit/", {"photos": photos, "prefecture": "Osaka"}).status_code == 404


# --- Model releases ----------------------------------------------------------------------------

RELEASE = {
    "reference": "Osaka shoot",
    "subject_name": "Kato Mei",
    "subject_contact": "+81 90 0000 0000",
    "age_band": "30s",
    "signed_on": "2026-01-15",
    "photographer_name": "Ito Jun",
    "form_language": "ja",
    "scopes": ["publication", "ai_training"],
}

RELEASE_BAD = [
    ("reference", LONG),
    ("subject_name", LONG),
    ("subject_name", "\x00"),
    ("subject_contact", LONG),
    ("signed_on", "2026-02-30"),
    ("date_of_birth", "tomorrow"),
    ("scopes", [SCRIPT]),
    ("scopes", []),
    ("form_language", "xx"),
    ("shoot_place", LONG),
    ("photographer_name", ""),
]


@pytest.mark.parametrize("field, value", RELEASE_BAD, ids=[f"{f}-{i}" for i, (f, _v) in enumerate(RELEASE_BAD)])
def test_a_bad_release_form_comes_back_with_the_error_and_saves_nothing(portal, field, value):
    ensure_consent_scopes()
    data = {**RELEASE, field: value, "document": SimpleUploadedFile("form.pdf", PDF)}
    refused(portal.post("/portal/releases/new/", data), field)
    assert ModelRelease.objects.count() == 0


def test_a_release_form_without_its_document_names_the_document(portal):
    ensure_consent_scopes()
    refused(portal.post("/portal/releases/new/", RELEASE), "document")
    assert ModelRelease.objects.count() == 0


# --- Account, organisation, sign-up -----------------------------------------------------------


@pytest.mark.parametrize("value", [LONG, "\x00", ""])
def test_a_bad_full_name_on_the_profile_is_refused_and_not_saved(contributor, portal, value):
    before = contributor.full_name
    refused(portal.post("/accounts/profile/", {"full_name": value}), "full_name", status=(200, 400))
    contributor.refresh_from_db()
    assert contributor.full_name == before


def test_a_unicode_full_name_round_trips(contributor, portal):
    assert portal.post("/accounts/profile/", {"full_name": UNICODE}).status_code == 302
    contributor.refresh_from_db()
    assert contributor.full_name == UNICODE
    assert UNICODE in portal.get("/accounts/profile/").content.decode()


ORG = {
    "name": "Tokyo Vision Labs",
    "kind": "company",
    "billing_name": "Tokyo Vision Labs K.K.",
    "billing_address": "Minato-ku, Tokyo",
    "country": "JP",
    "invoice_registration_number": "",
}


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", LONG),
        ("name", "\x00"),
        ("billing_name", LONG),
        ("billing_address", LONG),
        ("country", "JPN"),
        ("kind", SCRIPT),
        ("invoice_registration_number", "T" + "9" * 40),
    ],
)
def test_a_bad_organisation_value_is_refused_and_not_saved(field, value):
    buyer = BuyerFactory()
    before = buyer.organisation.name
    refused(logged_in(buyer).post("/accounts/organisation/", {**ORG, field: value}), field, status=(200, 400))
    buyer.organisation.refresh_from_db()
    assert buyer.organisation.name == before


@pytest.mark.parametrize(
    "field, value",
    [
        ("email", LONG + "@example.com"),
        ("email", "a\x00@example.com"),
        ("full_name", LONG),
        ("display_name", LONG),
        ("password1", "\x00" * 12),
    ],
)
def test_a_bad_contributor_sign_up_is_refused_and_creates_no_account(field, value):
    data = {
        "email": "new@example.com",
        "password1": "a-long-passphrase-42",
        "password2": "a-long-passphrase-42",
        "full_name": "New Person",
        "display_name": "New",
        "accept_terms": "on",
        field: value,
    }
    if field == "password1":
        data["password2"] = value
    response = Client().post("/accounts/signup/contributor/", data)
    refused(response, field, status=(200, 400))
    assert not get_user_model().objects.filter(email__icontains="example.com").exists()


def test_a_buyer_sign_up_with_a_too_long_organisation_name_is_refused(db):
    data = {
        "email": "buyer@example.com",
        "password1": "a-long-passphrase-42",
        "password2": "a-long-passphrase-42",
        "full_name": "Buyer",
        "accept_terms": "on",
        **{f"org-{k}": v for k, v in ORG.items()},
        "org-name": LONG,
    }
    refused(Client().post("/accounts/signup/buyer/", data), "org-name", status=(200, 400))
    assert not get_user_model().objects.filter(email="buyer@example.com").exists()


# --- Checkout ---------------------------------------------------------------------------------

CHECKOUT = {
    "idempotency_key": "key-1",
    "billing_name": "Tokyo Vision Labs K.K.",
    "billing_address": "Tokyo",
    "billing_country": "JP",
    "billing_registration_number": "",
    "intended_use": "research",
    "intended_use_detail": "Training a detector.",
    "payment_method": "bank_transfer",
    "accept_licence": "on",
}


@pytest.fixture
def buyer_with_cart():
    buyer = BuyerFactory()
    DatasetFactory(slug="faces", version__photos=3)
    client = logged_in(buyer)
    assert client.post("/cart/add/", {"dataset": "faces", "edition": "unedited"}).status_code == 302
    return client


@pytest.mark.parametrize(
    "field, value",
    [
        ("billing_name", LONG),
        ("billing_name", "\x00"),
        ("billing_address", LONG),
        ("billing_country", "JPN"),
        ("intended_use_detail", LONG),
        ("intended_use", SCRIPT),
        ("payment_method", "cash"),
    ],
)
def test_a_bad_checkout_is_refused_on_the_field_and_places_no_order(buyer_with_cart, field, value):
    refused(buyer_with_cart.post("/checkout/", {**CHECKOUT, field: value}), field)
    assert Order.objects.count() == 0


@pytest.mark.parametrize("key", ["k\x00", LONG, ""])
def test_a_tampered_checkout_key_says_to_reload_the_page_and_places_no_order(buyer_with_cart, key):
    response = buyer_with_cart.post("/checkout/", {**CHECKOUT, "idempotency_key": key})
    assert response.status_code == 400
    message = "The checkout form expired; reload the page and submit again."
    assert response.context["form"].non_field_errors() == [message]
    assert message in response.content.decode()
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    "data",
    [
        {"dataset": SCRIPT, "edition": "unedited"},
        {"dataset": "faces", "edition": "gold"},
        {"dataset": LONG, "edition": "unedited"},
    ],
)
def test_adding_a_bad_dataset_or_edition_to_the_cart_never_500s(data):
    DatasetFactory(slug="faces", version__photos=3)
    response = logged_in(BuyerFactory()).post("/cart/add/", data)
    assert response.status_code in (302, 400, 404)


# --- Staff pages -------------------------------------------------------------------------------


@pytest.fixture
def staff():
    return logged_in(StaffFactory())


DATASET = {
    "slug": "new-set",
    "title_en": "New",
    "title_ja": "新しい",
    "description_en": "",
    "description_ja": "",
    "category": "faces",
    "target_size": "100",
    "price_unedited": "99000",
    "price_annotated": "165000",
    "restricted": "",
    "licence_summary_en": "",
    "licence_summary_ja": "",
}

DATASET_BAD = [
    ("slug", SCRIPT),
    ("slug", "s" * 81),
    ("title_en", LONG),
    ("title_ja", "\x00"),
    ("description_en", LONG),
    ("target_size", HUGE),
    ("target_size", "0"),
    ("price_unedited", "-1"),
    ("price_unedited", HUGE),
    ("price_annotated", "¥165,000"),
    ("category", SCRIPT),
    ("licence_summary_ja", LONG),
]


@pytest.mark.parametrize("field, value", DATASET_BAD, ids=[f"{f}-{i}" for i, (f, _v) in enumerate(DATASET_BAD)])
def test_a_bad_dataset_card_is_refused_on_the_field_and_creates_nothing(staff, field, value):
    ensure_consent_scopes()
    refused(staff.post("/staff/datasets/new/", {**DATASET, field: value}), field)
    assert not Dataset.objects.exists()


def test_a_dataset_titled_in_unicode_round_trips(staff):
    ensure_consent_scopes()
    response = staff.post("/staff/datasets/new/", {**DATASET, "title_en": UNICODE, "title_ja": "顔 👩🏽‍💻"})
    assert response.status_code == 302, response.context and response.context["form"].errors
    dataset = Dataset.objects.get()
    assert (dataset.title_en, dataset.title_ja) == (UNICODE, "顔 👩🏽‍💻")


@pytest.mark.parametrize(
    "field, value",
    [
        ("tags_all", LONG),
        ("limit", HUGE),
        ("limit", "0"),
        ("max_per_contributor", HUGE),
        ("max_per_subject", "-3"),
        ("mask", SCRIPT),
        ("balance_by", SCRIPT),
    ],
)
def test_a_bad_curation_query_on_the_page_is_refused_on_the_field(staff, field, value):
    dataset = DatasetFactory(slug="curated", draft=True, version=False)
    response = staff.post(f"/staff/datasets/{dataset.slug}/curate/apply/", {"people": "any", field: value})
    refused(response, field)


# --- Payout details ------------------------------------------------------------------------------

PAYOUT = {
    "entity_type": "individual",
    "tax_residency": "jp",
    "bank_code": "0001",
    "branch_code": "001",
    "account_type": "1",
    "account_number": "1234567",
    "holder_name": "ﾔﾏﾀﾞ ﾀﾛｳ",
}


@pytest.mark.parametrize(
    "field, value",
    [
        ("bank_code", "<s>"),
        ("bank_code", "-1"),
        ("account_number", HUGE),
        ("account_number", "-123"),
        ("holder_name", LONG),
        ("holder_name", SCRIPT),
        ("holder_name", "\x00"),
        ("account_type", "9"),
        ("entity_type", SCRIPT),
    ],
)
def test_bad_payout_details_are_refused_and_the_profile_keeps_its_account(contributor, portal, field, value):
    refused(portal.post("/portal/earnings/account/", {**PAYOUT, field: value}), field)
    profile = ContributorProfile.objects.get(user=contributor)
    assert (profile.bank_code, profile.account_number, profile.account_holder_kana) == ("", "", "")


# --- Public pages --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"q": LONG},
        {"max_price": HUGE},
        {"max_price": "-1"},
        {"category": SCRIPT},
        {"page": HUGE},
        {"page": "abc"},
        {"sort": "\x00"},
        {"scope": [SCRIPT, "x" * 1000]},
    ],
)
def test_the_catalogue_page_shows_a_bad_filter_as_an_error_never_a_500(db, query):
    DatasetFactory(title_en="Faces")
    response = Client().get("/datasets/", query)
    assert response.status_code in (200, 400)
    html = response.content.decode()
    assert SCRIPT not in html
    assert "\x00" not in html


@pytest.mark.parametrize("token", [LONG, SCRIPT, "\x00", "..%2F..%2Fetc%2Fpasswd"])
def test_a_consent_link_with_a_hostile_token_is_a_404(db, token):
    assert Client().get(f"/consent/{token}/").status_code == 404


# --- Bank statement upload (staff) ---------------------------------------------------------------

STATEMENT_REFUSED = (
    "The statement is not a CSV text file (UTF-8 or Shift_JIS). "
    "Export it from the bank again as CSV and upload that file."
)


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\xfd",
        b'date,amount,reference\n"' + b"a" * 200_000 + b'"\n',
        b"date,amount,reference\n2026-01-05,99000,SD-2026-000001\x00\n",
    ],
    ids=["binary", "field-too-large", "nul"],
)
def test_a_bank_statement_that_is_not_csv_text_is_refused_with_a_message_and_marks_nothing_paid(staff, data):
    response = staff.post("/review/orders/statement/", {"statement": SimpleUploadedFile("s.csv", data)}, follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [STATEMENT_REFUSED]
    assert not Order.objects.filter(status=Order.Status.PAID).exists()


def test_a_shift_jis_bank_statement_is_read(staff):
    data = "日付,金額,摘要\n2026-01-05,99000,振込 SD-2026-999999\n".encode("cp932")
    data = b"date,amount,reference\n" + data.split(b"\n", 1)[1]
    response = staff.post("/review/orders/statement/", {"statement": SimpleUploadedFile("s.csv", data)})
    assert response.status_code == 200
    assert [r["reference"] for r in response.context["report"].unmatched] == ["振込 SD-2026-999999"]


@pytest.mark.parametrize(
    "uuids, message",
    [
        (
            " ".join(["00000000-0000-4000-8000-000000000000"] * 1001),
            "At most 1000 photo ids at a time; you entered 1001.",
        ),
        (SCRIPT, "“<script>alert(1)</script>” is not a photo id."),
    ],
    ids=["too-many", "script"],
)
def test_adding_photos_by_hand_refuses_too_many_or_bad_ids_with_the_message_escaped(staff, uuids, message):
    dataset = DatasetFactory(slug="curated", draft=True, version=False)
    response = staff.post(f"/staff/datasets/{dataset.slug}/curate/add/", {"uuids": uuids})
    assert response.status_code == 400
    assert response.context["add_form"].errors["uuids"] == [message]
    assert escape(message) in response.content.decode()
    assert "<script>alert(1)" not in response.content.decode()
    assert not dataset.photos.exists()

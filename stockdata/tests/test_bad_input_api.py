"""Hostile values sent to every writable API endpoint: a clear 400 naming the field, nothing
saved, never a 500; valid Unicode (emoji, combining marks, RTL and zero-width characters) is
saved and returned exactly."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from catalog.models import Dataset, Photo, PhotoSubject
from catalog.photos.services import normalise_tag
from catalog.tests.factories import DatasetFactory, PhotoFactory, ensure_consent_scopes
from licensing.consent.tests.factories import PDF, make_release
from licensing.models import ModelRelease, Order
from stockdata.accounts.tests.factories import PASSWORD, BuyerFactory, ContributorFactory, StaffFactory

pytestmark = pytest.mark.django_db

LONG = "a" * 10_000
HUGE = 10**30
SCRIPT = "<script>alert(1)</script>"
# Valid text that must come back byte for byte: emoji with skin tone and ZWJ, a combining accent,
# full-width letters, Japanese, a right-to-left override and zero-width characters.
UNICODE = "👩🏽\u200d💻 cafe\u0301 ＡＢＣ 東京 \u202eevil\u202c zero\u200bwidth \ufeff"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def raw(client: APIClient, method: str, path: str, body: bytes, content_type: str = "application/json"):
    return client.generic(method, path, body, content_type=content_type)


def error_fields(response) -> dict:
    assert response.status_code == 400, (response.status_code, response.content[:500])
    body = response.json()["error"]
    assert body["code"] == "invalid"
    assert body["message"]
    return body.get("fields", {})


@pytest.fixture
def contributor():
    return ContributorFactory()


@pytest.fixture
def api(contributor):
    return client_for(contributor)


@pytest.fixture
def draft(contributor):
    return PhotoFactory(contributor=contributor, status=Photo.Status.DRAFT, title="Kept", description="Kept too")


def unchanged(photo: Photo) -> bool:
    photo.refresh_from_db()
    return (photo.title, photo.description, photo.country, photo.prefecture) == ("Kept", "Kept too", "JP", "") and (
        not photo.subjects.exists()
    )


# --- Photos -----------------------------------------------------------------------------------

PHOTO_BAD = [
    ("title", LONG),
    ("title", "a\x00b"),
    ("title", ["list"]),
    ("description", "x" * 2001),
    ("description", "nul\x00"),
    ("tags", ["a" * 51]),
    ("tags", ["ok", "nul\x00"]),
    ("tags", "not a list"),
    ("tags", [f"t{i}" for i in range(51)]),
    ("country", "JPN"),
    ("country", "<s"),
    ("prefecture", "p" * 51),
    ("shoot_date", "2026-02-30"),
    ("shoot_date", "30/01/2026"),
    ("shoot_date", "99999-01-01"),
    ("shoot_date", HUGE),
    ("lighting", SCRIPT),
    ("no_people", "perhaps"),
    ("subjects", "x"),
    ("subjects", [{"ethnicity": LONG}]),
    ("subjects", [{"ethnicity": "\x00"}]),
    ("subjects", [{"mask": "maybe"}]),
    ("subjects", [{"age_band": "200"}]),
    ("subjects", [{}] * 51),
]


@pytest.mark.parametrize("field, value", PHOTO_BAD, ids=[f"{f}-{i}" for i, (f, _v) in enumerate(PHOTO_BAD)])
def test_describing_a_photo_with_a_bad_value_is_a_400_naming_the_field_and_saves_nothing(api, draft, field, value):
    response = api.patch(f"/api/v1/photos/{draft.uuid}/", {"title": "Changed", field: value}, format="json")
    assert field in error_fields(response)
    assert unchanged(draft)


@pytest.mark.parametrize("text", ['"\\ud800"', '"a\\udfffb"'])
def test_a_lone_surrogate_in_json_is_refused_on_the_field(api, draft, text):
    response = raw(api, "PATCH", f"/api/v1/photos/{draft.uuid}/", f'{{"title": {text}}}'.encode())
    assert "title" in error_fields(response)
    assert unchanged(draft)


@pytest.mark.parametrize(
    "body, content_type, status, code",
    [
        (b'{"title": "x"', "application/json", 400, "parse_error"),
        (b'{"title": "\xff\xfe"}', "application/json", 400, "parse_error"),
        (b'{"title": NaN}', "application/json", 400, "parse_error"),
        (b"title=x", "text/plain", 415, "unsupported_media_type"),
        (b"\x00\x01\x02", "application/octet-stream", 415, "unsupported_media_type"),
    ],
    ids=["truncated", "invalid-utf8", "nan", "text-plain", "binary"],
)
def test_malformed_json_and_wrong_content_types_are_clear_errors(api, draft, body, content_type, status, code):
    response = raw(api, "PATCH", f"/api/v1/photos/{draft.uuid}/", body, content_type)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert unchanged(draft)


@pytest.mark.parametrize("body", [b"[]", b'"title"', b"5", b"null"])
def test_a_json_body_that_is_not_an_object_is_a_400(api, draft, body):
    response = raw(api, "PATCH", f"/api/v1/photos/{draft.uuid}/", body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] in ("invalid", "parse_error")
    assert unchanged(draft)


def test_a_lower_case_country_code_is_taken_as_the_portal_form_takes_it(api, draft):
    response = api.patch(f"/api/v1/photos/{draft.uuid}/", {"country": " jp "}, format="json")
    assert response.status_code == 200
    assert response.json()["country"] == "JP"


def test_valid_unicode_round_trips_exactly_through_the_photo_api(api, draft):
    response = api.patch(
        f"/api/v1/photos/{draft.uuid}/",
        {
            "title": UNICODE,
            "description": UNICODE + "\n" + SCRIPT,
            "tags": [UNICODE[:40], "マスク"],
            "prefecture": "東京都\u200b",
            "subjects": [{"ethnicity": "日本人 🇯🇵"}],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = api.get(f"/api/v1/photos/{draft.uuid}/").json()
    assert body["title"] == UNICODE
    assert body["description"] == UNICODE + "\n" + SCRIPT
    assert sorted(body["tags"]) == sorted([normalise_tag(UNICODE[:40]), "マスク"])
    assert body["prefecture"] == "東京都\u200b"
    assert body["subjects"][0]["ethnicity"] == "日本人 🇯🇵"
    draft.refresh_from_db()
    assert draft.title == UNICODE


BULK_BAD = [
    ("photos", []),
    ("photos", ["not-a-uuid"]),
    ("photos", [str(uuid.uuid4())] * 501),
    ("add_tags", ["a" * 51]),
    ("add_tags", "x"),
    ("remove_tags", ["\x00"]),
    ("shoot_date", "2026-13-01"),
    ("country", "JPN"),
    ("country", "<s"),
    ("prefecture", LONG),
    ("mask", "sometimes"),
    ("age_band", SCRIPT),
]


@pytest.mark.parametrize("field, value", BULK_BAD, ids=[f"{f}-{i}" for i, (f, _v) in enumerate(BULK_BAD)])
def test_bulk_edit_refuses_bad_values_on_the_field(api, draft, field, value):
    response = api.post(
        "/api/v1/photos/bulk/", {"photos": [str(draft.uuid)], "prefecture": "Osaka", field: value}, format="json"
    )
    assert field in error_fields(response)
    assert unchanged(draft)


def test_upload_without_a_file_or_with_a_text_field_instead_is_a_400_on_file(api):
    assert "file" in error_fields(api.post("/api/v1/photos/", {}, format="multipart"))
    assert "file" in error_fields(api.post("/api/v1/photos/", {"file": SCRIPT}, format="multipart"))
    assert "files" in error_fields(api.post("/api/v1/photos/batch/", {"files": SCRIPT}, format="multipart"))
    assert Photo.objects.count() == 0


def test_an_upload_with_a_hostile_file_name_is_stored_and_returned_as_plain_text(
    api, django_capture_on_commit_callbacks
):
    from catalog.tests.badfiles import good_jpeg

    name = '"><img src=x onerror=alert(1)>👩🏽‍💻.jpg'
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/photos/", {"file": SimpleUploadedFile(name, good_jpeg(41))}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response["Content-Type"] == "application/json"
    assert Photo.objects.get().original_filename == response.json()["original_filename"]
    assert "/" not in response.json()["original_filename"]


# --- Releases ---------------------------------------------------------------------------------

RELEASE = {
    "reference": "Osaka shoot",
    "subject_name": "Kato Mei",
    "subject_contact": "+81 90 0000 0000",
    "signed_on": "2026-01-15",
    "photographer_name": "Ito Jun",
    "age_band": "30s",
    "scopes": ["publication", "ai_training"],
}

RELEASE_BAD = [
    ("reference", "r" * 101),
    ("subject_name", LONG),
    ("subject_name", "a\x00"),
    ("subject_contact", "c" * 301),
    ("photographer_name", ""),
    ("signed_on", "2026-02-30"),
    ("signed_on", "yesterday"),
    ("date_of_birth", "0000-01-01"),
    ("expires_on", "2026-1-1x"),
    ("age_band", SCRIPT),
    ("form_language", "klingon"),
    ("scopes", [SCRIPT]),
    ("scopes", ["x" * 41]),
    ("is_minor", "perhaps"),
]


@pytest.mark.parametrize("field, value", RELEASE_BAD, ids=[f"{f}-{i}" for i, (f, _v) in enumerate(RELEASE_BAD)])
def test_creating_a_release_with_a_bad_value_is_a_400_on_the_field_and_saves_nothing(api, field, value):
    ensure_consent_scopes()
    data = {**RELEASE, field: value, "document": SimpleUploadedFile("form.pdf", PDF)}
    response = api.post("/api/v1/releases/", data, format="multipart")
    assert field in error_fields(response)
    assert ModelRelease.objects.count() == 0


def test_a_release_with_an_unknown_scope_is_refused_and_a_good_one_round_trips_unicode(api):
    ensure_consent_scopes()
    refused = api.post(
        "/api/v1/releases/",
        {**RELEASE, "scopes": ["nope"], "document": SimpleUploadedFile("form.pdf", PDF)},
        format="multipart",
    )
    assert refused.status_code == 400
    assert ModelRelease.objects.count() == 0
    ok = api.post(
        "/api/v1/releases/",
        {**RELEASE, "reference": UNICODE, "shoot_place": SCRIPT, "document": SimpleUploadedFile("form.pdf", PDF)},
        format="multipart",
    )
    assert ok.status_code == 201, ok.json()
    assert ok.json()["reference"] == UNICODE
    assert ok.json()["shoot_place"] == SCRIPT


@pytest.mark.parametrize(
    "field, value", [("reference", "r" * 101), ("signed_on", "31-12-2026"), ("scopes", []), ("shoot_place", LONG)]
)
def test_correcting_a_release_with_a_bad_value_changes_nothing(api, contributor, field, value):
    ensure_consent_scopes()
    release = make_release(contributor, reference="Before")
    response = api.patch(f"/api/v1/releases/{release.uuid}/", {field: value}, format="json")
    assert field in error_fields(response)
    release.refresh_from_db()
    assert release.reference == "Before"


@pytest.mark.parametrize("value", ["not-a-uuid", SCRIPT, 5.5, None, {"id": 1}])
def test_attaching_a_release_by_a_bad_id_is_a_400_on_release(api, contributor, value):
    photo = PhotoFactory(contributor=contributor, status=Photo.Status.DRAFT)
    PhotoSubject.objects.create(photo=photo, position=1)
    response = api.put(f"/api/v1/photos/{photo.uuid}/subjects/1/release/", {"release": value}, format="json")
    assert "release" in error_fields(response)


@pytest.mark.parametrize("position", ["0", "-1", str(HUGE), "abc"])
def test_a_subject_position_out_of_range_is_a_404_not_a_500(api, contributor, position):
    photo = PhotoFactory(contributor=contributor, status=Photo.Status.DRAFT)
    response = api.get(f"/api/v1/photos/{photo.uuid}/subjects/{position}/release/")
    assert response.status_code == 404


# --- Cart and orders --------------------------------------------------------------------------


@pytest.fixture
def buyer():
    return BuyerFactory()


@pytest.fixture
def buyer_api(buyer):
    return client_for(buyer)


@pytest.mark.parametrize(
    "data, field",
    [
        ({"dataset": SCRIPT, "edition": "unedited"}, "dataset"),
        ({"dataset": "x", "edition": "gold"}, "edition"),
        ({"dataset": "x"}, "edition"),
        ({"dataset": ["x"], "edition": "unedited"}, "dataset"),
    ],
)
def test_adding_to_the_cart_with_bad_values_is_a_400_on_the_field(buyer_api, data, field):
    assert field in error_fields(buyer_api.post("/api/v1/cart/", data, format="json"))


@pytest.mark.parametrize("slug", [LONG, "ｄａｔａ"])
def test_adding_an_unknown_dataset_is_a_404_or_400_never_a_500(buyer_api, slug):
    response = buyer_api.post("/api/v1/cart/", {"dataset": slug, "edition": "unedited"}, format="json")
    assert response.status_code in (400, 404)
    assert response.json()["error"]["message"]


@pytest.mark.parametrize("line", ["0", str(HUGE)])
def test_removing_a_cart_line_that_does_not_exist_is_not_a_500(buyer_api, line):
    response = buyer_api.delete(f"/api/v1/cart/lines/{line}/")
    assert response.status_code in (204, 404)
    if response.status_code == 404:
        assert response.json()["error"]["code"] == "not_found"


ORDER = {"intended_use": "research", "intended_use_detail": "Training a detector.", "accept_licence": True}

ORDER_BAD = [
    ("billing_name", LONG),
    ("billing_name", "\x00"),
    ("billing_address", "a" * 1001),
    ("billing_country", "JPN"),
    ("billing_registration_number", "T" + "1" * 20),
    ("intended_use", SCRIPT),
    ("intended_use_detail", ""),
    ("intended_use_detail", "d" * 2001),
    ("accept_licence", "of course"),
    ("payment_method", "cash"),
]


@pytest.mark.parametrize("field, value", ORDER_BAD, ids=[f"{f}-{i}" for i, (f, _v) in enumerate(ORDER_BAD)])
def test_placing_an_order_with_a_bad_value_is_a_400_on_the_field_and_places_nothing(buyer, buyer_api, field, value):
    from licensing.models import IntendedUse

    assert ORDER["intended_use"] in IntendedUse.values
    DatasetFactory(slug="faces", version__photos=3)
    assert (
        buyer_api.post("/api/v1/cart/", {"dataset": "faces", "edition": "unedited"}, format="json").status_code == 201
    )
    response = buyer_api.post("/api/v1/orders/", {**ORDER, field: value}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert field in error_fields(response)
    assert Order.objects.count() == 0


@pytest.mark.parametrize("key", ["k" * 101, "k\x00y"])
def test_an_idempotency_key_that_cannot_be_stored_is_a_clear_400(buyer_api, key):
    DatasetFactory(slug="faces", version__photos=3)
    buyer_api.post("/api/v1/cart/", {"dataset": "faces", "edition": "unedited"}, format="json")
    response = buyer_api.post("/api/v1/orders/", ORDER, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "idempotency_key",
        "message": "The Idempotency-Key header must be at most 100 printable characters.",
    }
    assert Order.objects.count() == 0


# --- Sign-in token ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, field",
    [
        ({"email": LONG + "@example.com", "password": "x"}, "email"),
        ({"email": "not an email", "password": "x"}, "email"),
        ({"email": "a@example.com", "password": "\x00"}, "password"),
        ({"email": "a@example.com"}, "password"),
    ],
)
def test_the_token_endpoint_refuses_bad_credentials_shapes_on_the_field(data, field):
    assert field in error_fields(APIClient().post("/api/v1/auth/token/", data, format="json"))


def test_a_unicode_password_and_email_work_for_the_token(db):
    user = ContributorFactory(email="kato@例え.jp")
    user.set_password(PASSWORD + "🔑")
    user.save()
    response = APIClient().post(
        "/api/v1/auth/token/", {"email": "kato@例え.jp", "password": PASSWORD + "🔑"}, format="json"
    )
    assert response.status_code == 200, response.json()


# --- Staff curation ---------------------------------------------------------------------------


@pytest.fixture
def staff_api():
    return client_for(StaffFactory())


@pytest.fixture
def dataset():
    return DatasetFactory(slug="curated", draft=True, version=False)


CURATION_BAD = [
    ("tags_all", ["a" * 51]),
    ("tags_any", "x"),
    ("tags_none", ["\x00"]),
    ("age_band", [SCRIPT]),
    ("mask", "sometimes"),
    ("people", "everyone"),
    ("max_per_contributor", 0),
    ("max_per_contributor", -1),
    ("max_per_contributor", HUGE),
    ("max_per_subject", HUGE),
    ("limit", HUGE),
    ("limit", "ten"),
    ("balance_by", SCRIPT),
    ("exclude", ["not-a-uuid"]),
]


@pytest.mark.parametrize("field, value", CURATION_BAD, ids=[f"{f}-{i}" for i, (f, _v) in enumerate(CURATION_BAD)])
def test_a_curation_query_with_a_bad_value_is_a_400_on_the_field(staff_api, dataset, field, value):
    response = staff_api.post(f"/api/v1/curation/datasets/{dataset.slug}/count/", {field: value}, format="json")
    assert field in error_fields(response)


@pytest.mark.parametrize("notes, annotated", [(LONG, False), ("\x00", False), ("ok", "maybe")])
def test_freezing_with_bad_values_is_a_400_and_freezes_nothing(staff_api, dataset, notes, annotated):
    response = staff_api.post(
        f"/api/v1/curation/datasets/{dataset.slug}/freeze/", {"notes": notes, "annotated": annotated}, format="json"
    )
    assert set(error_fields(response)) & {"notes", "annotated"}
    assert dataset.versions.count() == 0


BOX_BAD = [
    {"x": HUGE, "y": 0, "w": 10, "h": 10},
    {"x": -5, "y": 0, "w": 10, "h": 10},
    {"x": 0, "y": 0, "w": -10, "h": 10},
    {"x": 0, "y": 0, "w": 0, "h": 10},
    {"x": "ten", "y": 0, "w": 10, "h": 10},
    {"x": 0, "y": 0, "w": 10, "h": 10, "label": SCRIPT},
    {"x": 3990, "y": 0, "w": 100, "h": 10},
]


@pytest.mark.parametrize("box", BOX_BAD)
def test_a_bad_annotation_box_is_refused_with_a_message_and_nothing_is_saved(staff_api, box):
    photo = PhotoFactory(width=4000, height=3000)
    response = staff_api.put(f"/api/v1/curation/photos/{photo.uuid}/boxes/", {"boxes": [box]}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["message"]
    assert photo.boxes.count() == 0


# --- Public catalogue -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, field",
    [
        ({"max_price": str(HUGE)}, "max_price"),
        ({"max_price": "-1"}, "max_price"),
        ({"max_price": "cheap"}, "max_price"),
        ({"q": LONG}, "q"),
        ({"category": SCRIPT}, "category"),
        ({"sort": "price; DROP TABLE"}, "sort"),
        ({"size": "\x00"}, "size"),
    ],
)
def test_a_catalogue_filter_with_a_bad_value_is_a_400_naming_it(db, query, field):
    assert field in error_fields(APIClient().get("/api/v1/datasets/", query))


@pytest.mark.parametrize("query", [{"page": "abc"}, {"page": str(HUGE)}, {"page": "-1"}])
def test_a_bad_page_number_is_a_404_not_a_500(db, query):
    response = APIClient().get("/api/v1/datasets/", query)
    assert response.status_code == 404
    assert response.json()["error"]["message"]


def test_a_huge_page_size_is_capped_and_unicode_search_works(db):
    DatasetFactory(title_en="Faces", title_ja="顔 👩🏽‍💻")
    response = APIClient().get("/api/v1/datasets/", {"page_size": str(HUGE), "q": "👩🏽‍💻"})
    assert response.status_code == 200
    assert [d["title"] for d in response.json()["results"]] == ["Faces"]
    assert Dataset.objects.count() == 1


def test_json_bodies_with_deep_nesting_are_refused_not_a_crash(api, draft):
    body = ("[" * 100_000 + "]" * 100_000).encode()
    response = raw(api, "PATCH", f"/api/v1/photos/{draft.uuid}/", body)
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "parse_error", "message": "The JSON is nested too deeply."}}
    assert unchanged(draft)


def test_every_error_response_is_json_in_our_format(api, draft):
    response = raw(api, "PATCH", f"/api/v1/photos/{draft.uuid}/", json.dumps({"title": LONG}).encode())
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"error"}

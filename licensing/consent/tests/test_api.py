import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from catalog.models import Photo
from licensing.consent.tests.factories import (
    PDF,
    ContributorFactory,
    StaffFactory,
    attach,
    make_release,
    photo_with_people,
    png_bytes,
)
from licensing.models import ModelRelease

pytestmark = pytest.mark.django_db

FORM = {
    "reference": "Osaka shoot",
    "subject_name": "Kato Mei",
    "subject_contact": "+81 90 0000 0000",
    "date_of_birth": "1995-07-07",
    "signed_on": "2026-01-15",
    "shoot_date": "2026-01-15",
    "photographer_name": "Ito Jun",
    "form_language": "en",
    "scopes": ["publication", "ai_training", "biometric"],
}


def test_create_a_release_with_its_document_then_read_it(api, contributor):
    response = api.post(
        "/api/v1/releases/", {**FORM, "document": SimpleUploadedFile("form.pdf", PDF)}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    release = ModelRelease.objects.get()
    assert body["id"] == str(release.uuid)
    assert body["subject_id"] == release.subject_id
    assert body["status"] == "pending"
    assert body["scopes"] == ["publication", "ai_training", "biometric"]
    assert body["document_format"] == "pdf"
    assert body["links"] == []
    for personal in ("subject_name", "subject_contact", "date_of_birth", "guardian_name", "witness_name", "document"):
        assert personal not in body
    assert release.subject_name == "Kato Mei"
    assert api.get(f"/api/v1/releases/{release.uuid}/").json() == body
    assert api.get("/api/v1/releases/?status=pending").json()["count"] == 1


def test_a_refused_document_comes_back_in_the_error_format(api):
    response = api.post(
        "/api/v1/releases/",
        {**FORM, "document": SimpleUploadedFile("form.pdf", b"%PDF-1.4 truncated")},
        format="multipart",
    )
    assert response.status_code == 400
    message = "The PDF is incomplete (it has no end-of-file marker). Save or scan it again and upload the new file."
    assert response.json() == {"error": {"code": "corrupt", "message": message, "fields": {"document": [message]}}}


def test_correct_replace_the_document_and_resubmit(api, contributor):
    release = make_release(contributor)
    response = api.patch(
        f"/api/v1/releases/{release.uuid}/", {"reference": "new ref", "scopes": ["publication"]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["scopes"] == ["publication"]
    old_name = release.document.name
    response = api.post(
        f"/api/v1/releases/{release.uuid}/document/",
        {"document": SimpleUploadedFile("scan.png", png_bytes())},
        format="multipart",
    )
    assert response.status_code == 200
    assert response.json()["document_format"] == "png"
    release.refresh_from_db()
    assert release.document.name != old_name
    assert api.post(f"/api/v1/releases/{release.uuid}/resubmit/").json()["error"]["code"] == "not_rejected"


def test_attach_to_a_subject_and_read_the_photos_consent(api, contributor):
    reviewer = StaffFactory()
    photo = photo_with_people(contributor, people=2)
    first = make_release(contributor, approve_by=reviewer)
    second = make_release(contributor, scopes=["publication", "ai_training"], approve_by=reviewer)
    url = f"/api/v1/photos/{photo.uuid}/subjects/1/release/"
    assert api.get(url).json() == {"photo": str(photo.uuid), "position": 1, "release": None}
    response = api.put(url, {"release": str(first.uuid)}, format="json")
    assert response.status_code == 200
    assert response.json()["release"]["subject_id"] == first.subject_id
    api.put(f"/api/v1/photos/{photo.uuid}/subjects/2/release/", {"release": str(second.uuid)}, format="json")
    consent = api.get(f"/api/v1/photos/{photo.uuid}/consent/").json()
    assert consent["scopes"] == ["ai_training", "publication"]
    assert [s["subject_id"] for s in consent["subjects"]] == [first.subject_id, second.subject_id]
    assert api.get(f"/api/v1/releases/{first.uuid}/").json()["links"] == [{"photo": str(photo.uuid), "position": 1}]
    assert api.delete(url).status_code == 204
    assert api.get(f"/api/v1/photos/{photo.uuid}/consent/").json()["scopes"] == []
    assert api.get(f"/api/v1/photos/{photo.uuid}/subjects/9/release/").status_code == 404


def test_an_approved_photos_release_cannot_be_replaced_through_the_api(api, contributor):
    photo = photo_with_people(contributor, status=Photo.Status.APPROVED)
    release = make_release(contributor)
    attach(release, photo)
    response = api.put(
        f"/api/v1/photos/{photo.uuid}/subjects/1/release/",
        {"release": str(make_release(contributor).uuid)},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_editable"


def test_buyers_and_staff_have_no_release_api(contributor):
    release = make_release(contributor)
    for user in (StaffFactory(), ContributorFactory()):
        client = APIClient()
        client.force_authenticate(user)
        assert client.get(f"/api/v1/releases/{release.uuid}/").status_code in (403, 404)
    assert APIClient().get("/api/v1/releases/").status_code in (401, 403)


def test_consent_scopes_list(api):
    codes = [s["code"] for s in api.get("/api/v1/consent-scopes/").json()]
    assert codes == ["publication", "ai_training", "generative_ai_training", "biometric", "unique_identification"]


def test_the_list_takes_a_fixed_number_of_queries(api, contributor, django_assert_max_num_queries):
    reviewer = StaffFactory()
    for _ in range(5):
        release = make_release(contributor, approve_by=reviewer)
        attach(release, photo_with_people(contributor))
    with django_assert_max_num_queries(6):
        assert api.get("/api/v1/releases/").json()["count"] == 5


def test_the_schema_stays_valid():
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    for path in (
        "/api/v1/releases/",
        "/api/v1/releases/{id}/",
        "/api/v1/releases/{id}/document/",
        "/api/v1/photos/{photo_uuid}/subjects/{position}/release/",
        "/api/v1/consent-scopes/",
    ):
        assert any(p.replace("{uuid}", "{id}") == path for p in schema["paths"]), path

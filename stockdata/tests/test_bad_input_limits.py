"""Request-size limits: 413 from Content-Length before the body is read, and clear messages for
Django's own body limits (too many files, too many fields, too much form text), as JSON under
/api/ and as a page elsewhere. Nothing is saved on any refusal."""

from __future__ import annotations

import contextlib
import http.client
import json
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from catalog.models import Photo
from catalog.tests.badfiles import good_jpeg
from catalog.tests.factories import PhotoFactory
from stockdata.middleware import too_large_message

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


@pytest.fixture
def portal(contributor):
    client = Client()
    client.force_login(contributor)
    return client


def files(count: int, size: int = 10) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"f{i}.jpg", b"x" * size) for i in range(count)]


def test_the_limits_are_one_photo_plus_a_megabyte_and_ten_photos_for_batches_and_nothing_reads_the_body_first():
    # Only the request log (which never touches the body) runs before the size check.
    mine = settings.MIDDLEWARE.index("stockdata.middleware.RequestSizeLimitMiddleware")
    assert settings.MIDDLEWARE[:mine] in ([], ["stockdata.core.request_log.RequestLogMiddleware"])
    assert settings.STOCKDATA_UPLOAD_MAX_BYTES == 50 * MB
    assert settings.STOCKDATA_MAX_REQUEST_BYTES == 51 * MB
    assert settings.STOCKDATA_MAX_BATCH_REQUEST_BYTES == 501 * MB
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES == 100
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2 * MB
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE == 5 * MB


def test_an_api_upload_declaring_more_than_the_limit_is_refused_with_413_before_its_body_is_read(api):
    # The body is 5 bytes; the header claims 51 MB + 1. Reading the body would fail the test client.
    response = api.generic(
        "POST",
        "/api/v1/photos/",
        b"hello",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(51 * MB + 1),
    )
    assert response.status_code == 413
    assert response.json() == {
        "error": {
            "code": "request_too_large",
            "message": "What you sent is 52 MB; at most 51 MB can be sent at once. "
            "Send fewer or smaller files and try again.",
            "limit": 51 * MB,
        }
    }
    assert Photo.objects.count() == 0


def test_a_page_post_over_the_limit_gets_a_page_in_the_visitors_language_saying_what_to_do(portal):
    portal.cookies["django_language"] = "ja"
    response = portal.generic(
        "POST",
        "/portal/releases/new/",
        b"hello",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(60 * MB),
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert 'data-code="request_too_large"' in html
    with translation.override("ja"):
        expected = too_large_message(60 * MB, 51 * MB)
    assert f'<p class="error" role="alert">{expected}</p>' in html


def test_the_no_javascript_upload_page_and_the_batch_api_take_up_to_ten_photos_in_one_request(
    api, portal, settings, django_capture_on_commit_callbacks
):
    settings.STOCKDATA_MAX_REQUEST_BYTES = 200_000
    settings.STOCKDATA_MAX_BATCH_REQUEST_BYTES = 2_000_000
    one, two = good_jpeg(31), good_jpeg(32)
    assert 200_000 < len(one) + len(two) < 2_000_000
    with django_capture_on_commit_callbacks(execute=True):
        batch = api.post("/api/v1/photos/batch/", {"files": [SimpleUploadedFile("a.jpg", one)]}, format="multipart")
        form = portal.post("/portal/upload/", {"files": [SimpleUploadedFile("b.jpg", two)]})
    assert batch.status_code == 200, batch.content
    assert [r["ok"] for r in batch.json()] == [True]
    assert form.status_code == 200
    assert Photo.objects.count() == 2
    # The single-photo endpoint keeps the small limit.
    single = api.post("/api/v1/photos/", {"file": SimpleUploadedFile("c.jpg", one + two)}, format="multipart")
    assert single.status_code == 413
    assert single.json()["error"]["code"] == "request_too_large"
    assert Photo.objects.count() == 2


def test_a_json_body_larger_than_djangos_memory_limit_is_refused_before_parsing(api, contributor, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    photo = PhotoFactory(contributor=contributor, status=Photo.Status.DRAFT, title="Kept")
    response = api.patch(f"/api/v1/photos/{photo.uuid}/", {"description": "a" * 2000}, format="json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert response.json()["error"]["limit"] == 1000
    photo.refresh_from_db()
    assert (photo.title, photo.description) == ("Kept", "")


@pytest.mark.parametrize("value", ["abc", "-5", "1e9"])
def test_a_content_length_that_is_not_a_number_is_a_clear_400(api, value):
    response = api.generic("POST", "/api/v1/photos/", b"", content_type="application/json", CONTENT_LENGTH=value)
    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "invalid_content_length", "message": "The Content-Length header is not a number."}
    }


def test_a_chunked_body_without_length_is_refused_with_411_instead_of_arriving_empty(api):
    response = api.generic(
        "POST",
        "/api/v1/photos/",
        b"",
        content_type="multipart/form-data; boundary=x",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",
    )
    assert response.status_code == 411
    assert response.json()["error"] == {
        "code": "length_required",
        "message": "Send the request with a Content-Length header; bodies of unknown length are refused.",
    }


def test_too_many_files_on_the_upload_page_is_a_clear_400_page_and_nothing_is_saved(portal, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    response = portal.post("/portal/upload/", {"files": files(4)})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-code="too_many_files"' in html
    assert "Too many files in one request: at most 3. Upload them in smaller groups." in html
    assert Photo.objects.count() == 0


def test_too_many_files_to_the_batch_api_is_a_clear_400_in_the_api_format(api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    response = api.post("/api/v1/photos/batch/", {"files": files(4)}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "too_many_files",
            "message": "Too many files in one request: at most 3. Upload them in smaller groups.",
        }
    }
    assert Photo.objects.count() == 0


def test_too_many_files_in_a_multipart_patch_reaches_the_api_error_handler_as_json(api, contributor, settings):
    # Django parses form bodies itself only for POST: for PATCH the API's parser meets the limit.
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    photo = PhotoFactory(contributor=contributor, status=Photo.Status.DRAFT, title="Kept")
    response = api.patch(f"/api/v1/photos/{photo.uuid}/", {"title": "New", "x": files(3)}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_many_files"
    photo.refresh_from_db()
    assert photo.title == "Kept"


def test_too_many_fields_is_a_clear_400(portal, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    response = portal.post("/portal/releases/new/", {f"f{i}": "x" for i in range(20)})
    assert response.status_code == 400
    assert "Too many form fields in one request: at most 10." in response.content.decode()


def test_too_much_form_text_in_a_multipart_form_is_a_clear_413(portal, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = portal.post("/portal/upload/", {"files": files(1), "note": "a" * 5000})
    assert response.status_code == 413
    assert (
        "The text in the form is too long: at most 1 MB in all, not counting files. Shorten it and try again."
        in response.content.decode()
    )
    batch = api.post("/api/v1/photos/batch/", {"files": files(1), "note": "a" * 5000}, format="multipart")
    assert batch.status_code == 413
    assert batch.json()["error"]["code"] == "request_too_large"
    assert Photo.objects.count() == 0


def test_a_multipart_body_without_a_boundary_is_a_clear_400(api):
    response = api.generic("POST", "/api/v1/photos/", b"--x\r\n", content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_body"


def test_a_real_photo_at_the_default_limits_still_uploads(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/photos/", {"file": SimpleUploadedFile("ok.jpg", good_jpeg(33))}, format="multipart"
        )
    assert response.status_code == 201
    assert Photo.objects.count() == 1


# --- Through a real HTTP server -----------------------------------------------------------


def _raw_post(url: str, path: str, declared: int, sent: bytes, content_type: str) -> tuple[int, dict, bytes]:
    """Send headers declaring ``declared`` bytes, then only ``sent``, and read the answer."""
    parts = urlparse(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", content_type)
        conn.putheader("Content-Length", str(declared))
        conn.endheaders()
        # The server may already have answered and stopped reading.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, TimeoutError):
            conn.send(sent)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_a_real_server_answers_413_after_the_headers_of_a_huge_upload_without_waiting_for_the_body(live_server):
    status, headers, body = _raw_post(
        live_server.url,
        "/api/v1/photos/",
        declared=10 * 1024 * MB,
        sent=b"-" * 1024,
        content_type="multipart/form-data; boundary=x",
    )
    assert status == 413
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "request_too_large"
    assert json.loads(body)["error"]["limit"] == 51 * MB

    status, headers, body = _raw_post(
        live_server.url,
        "/portal/upload/",
        declared=600 * MB,
        sent=b"-" * 1024,
        content_type="multipart/form-data; boundary=x",
    )
    assert status == 413
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "What you sent is 600 MB; at most 501 MB can be sent at once." in body.decode()

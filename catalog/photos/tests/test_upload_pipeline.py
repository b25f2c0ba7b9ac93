"""Uploads through the API and the real pipeline: refusals, metadata, duplicates, idempotence."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from catalog.models import Photo, PhotoHashBand
from catalog.photos import services
from catalog.tests.badfiles import corpus, expected_message, good_jpeg
from conftest import wait_until
from stockdata.accounts.tests.factories import ContributorFactory

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825


def stored_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture(autouse=True)
def empty_media():
    import shutil

    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    yield
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


def upload(api, name: str, data: bytes, capture=None):
    return api.post("/api/v1/photos/", {"file": SimpleUploadedFile(name, data)}, format="multipart")


@pytest.mark.parametrize("case, name, data, code", corpus(), ids=[c[0] for c in corpus()])
def test_each_bad_file_gets_its_specific_error_and_leaves_nothing(api, case, name, data, code):
    response = upload(api, name, data)
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": code,
            "message": expected_message(case, code),
            "fields": {"file": [expected_message(case, code)]},
        }
    }
    assert Photo.objects.count() == 0
    assert stored_files() == []


def test_the_batch_endpoint_accepts_good_files_and_refuses_bad_ones_independently(
    api, django_capture_on_commit_callbacks
):
    files = [
        SimpleUploadedFile("a.jpg", good_jpeg(1)),
        SimpleUploadedFile("notes.jpg", b"just text" * 50),
        SimpleUploadedFile("b.jpg", good_jpeg(2)),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/photos/batch/", {"files": files}, format="multipart")
    assert response.status_code == 200
    results = response.json()
    assert [(r["file"], r["ok"]) for r in results] == [("a.jpg", True), ("notes.jpg", False), ("b.jpg", True)]
    assert results[1]["error"]["code"] == "not_an_image"
    assert Photo.objects.count() == 2
    assert set(Photo.objects.values_list("processing", flat=True)) == {"ready"}


def test_gps_is_removed_from_the_cleaned_copy_and_every_derivative_and_orientation_is_applied(
    api, django_capture_on_commit_callbacks
):
    # A landscape-stored JPEG that says "rotate 90° clockwise" (orientation 6), with GPS.
    img = Image.open(io.BytesIO(good_jpeg(5, width=2400, height=1800, gps=True)))
    exif = img.getexif()
    assert exif.get_ifd(GPS_IFD), "the fixture must carry GPS"
    exif[0x0112] = 6
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, exif=exif.tobytes())
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(api, "gps.jpg", buf.getvalue())
    assert response.status_code == 201
    photo = Photo.objects.get()
    assert photo.processing == "ready", photo.processing_error
    assert (photo.width, photo.height) == (1800, 2400)

    with default_storage.open(photo.cleaned.name) as fh:
        cleaned = Image.open(io.BytesIO(fh.read()))
    assert cleaned.getexif().get_ifd(GPS_IFD) == {}
    assert cleaned.getexif().get(0x0112) == 6  # orientation kept so viewers show it upright
    assert 0x013B not in cleaned.getexif()  # Artist gone
    for field in (photo.thumbnail, photo.preview):
        with default_storage.open(field.name) as fh:  # a draft's derivatives are private
            derived = Image.open(io.BytesIO(fh.read()))
        assert not derived.getexif()
        assert derived.height > derived.width  # portrait: orientation applied
    # The original stays as uploaded, privately.
    with default_storage.open(photo.original.name) as fh:
        assert fh.read() == buf.getvalue()


def test_exact_duplicate_is_refused_with_a_link_to_ones_own_photo(api, contributor, django_capture_on_commit_callbacks):
    data = good_jpeg(7)
    with django_capture_on_commit_callbacks(execute=True):
        first = upload(api, "one.jpg", data).json()
    again = upload(api, "again.jpg", data)
    assert again.status_code == 400
    assert again.json()["error"] == {
        "code": "duplicate",
        "message": "You already uploaded this exact photo.",
        "fields": {"file": ["You already uploaded this exact photo."]},
        "duplicate_of": f"/portal/photos/{first['id']}/",
    }
    other = APIClient()
    other.force_authenticate(ContributorFactory())
    theirs = upload(other, "copy.jpg", data).json()["error"]
    assert theirs["code"] == "duplicate"
    assert "duplicate_of" not in theirs
    assert Photo.objects.count() == 1


def test_a_resized_recompressed_copy_is_flagged_as_near_duplicate_and_an_unrelated_photo_is_not(
    api, django_capture_on_commit_callbacks
):
    data = good_jpeg(11, width=2400, height=1800)
    copy = Image.open(io.BytesIO(data)).resize((2000, 1500))
    buf = io.BytesIO()
    copy.save(buf, "JPEG", quality=60)
    with django_capture_on_commit_callbacks(execute=True):
        original = upload(api, "orig.jpg", data).json()
        near = upload(api, "near.jpg", buf.getvalue()).json()
        unrelated = upload(api, "other.jpg", good_jpeg(12, width=2400, height=1800)).json()
    near = api.get(f"/api/v1/photos/{near['id']}/").json()
    unrelated = api.get(f"/api/v1/photos/{unrelated['id']}/").json()
    assert near["near_duplicate_of"] == f"/portal/photos/{original['id']}/"
    assert unrelated["near_duplicate_of"] is None


def test_running_the_pipeline_twice_gives_the_same_result_and_one_set_of_files(contributor):
    photo = services.photo_upload(contributor=contributor, file=SimpleUploadedFile("p.jpg", good_jpeg(3)))
    services.photo_process(photo_id=photo.pk)
    photo.refresh_from_db()
    first = {f: getattr(photo, f) for f in ("width", "height", "phash")} | {
        "files": stored_files(),
        "names": (photo.cleaned.name, photo.thumbnail.name, photo.preview.name),
    }
    # Force a full rerun, as a redelivered task after a crash would do.
    Photo.objects.filter(pk=photo.pk).update(processing=Photo.Processing.PENDING)
    services.photo_process(photo_id=photo.pk)
    photo.refresh_from_db()
    again = {f: getattr(photo, f) for f in ("width", "height", "phash")} | {
        "files": stored_files(),
        "names": (photo.cleaned.name, photo.thumbnail.name, photo.preview.name),
    }
    assert again == first
    assert len(first["files"]) == 4  # original, cleaned, thumbnail, preview
    assert PhotoHashBand.objects.filter(photo=photo).count() == 9
    assert photo.processing_attempts == 2


def test_previews_of_photos_not_yet_approved_are_private_until_approval(
    contributor, client, django_capture_on_commit_callbacks
):
    """Replay (issue 18): previews of photos not yet approved were public by URL."""
    from django.test import Client
    from django.urls import reverse

    from stockdata.accounts.tests.factories import StaffFactory
    from stockdata.storage import public_storage

    photo = services.photo_upload(contributor=contributor, file=SimpleUploadedFile("p.jpg", good_jpeg(4)))
    services.photo_process(photo_id=photo.pk)
    photo.refresh_from_db()
    names = (photo.thumbnail.name, photo.preview.name)
    assert all(names) and not any(public_storage().exists(n) for n in names)
    assert all(default_storage.exists(n) for n in names)
    assert Client().get(f"/media/public/{photo.preview.name}").status_code == 404  # the old public URL
    private_url = reverse("photo_derived", kwargs={"uuid": photo.uuid, "kind": "preview"})
    assert photo.preview_url == private_url
    assert Client().get(private_url).status_code == 404
    stranger = Client()
    stranger.force_login(ContributorFactory())
    assert stranger.get(private_url).status_code == 404
    owner = Client()
    owner.force_login(contributor)
    response = owner.get(private_url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    with default_storage.open(photo.preview.name) as fh:
        assert b"".join(response.streaming_content) == fh.read()
    staff = Client()
    staff.force_login(StaffFactory())
    assert staff.get(reverse("photo_derived", kwargs={"uuid": photo.uuid, "kind": "thumbnail"})).status_code == 200

    Photo.objects.filter(pk=photo.pk).update(status=Photo.Status.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        services.photo_approve(photo=photo, reviewer=StaffFactory())
    photo.refresh_from_db()
    public_names = (photo.thumbnail.name, photo.preview.name)
    # Published under new random names: nothing in a public URL comes from the photo's ids.
    assert not set(public_names) & set(names) and not any(str(photo.uuid) in n for n in public_names)
    assert all(public_storage().exists(n) for n in public_names) and not any(default_storage.exists(n) for n in names)
    assert photo.derived_public is True
    assert photo.preview_url == photo.preview.url == f"/media/public/{photo.preview.name}"
    assert Client().get(photo.preview_url).status_code == 200
    assert Client().get(private_url)["Location"] == photo.preview.url


def test_a_processed_photo_is_left_alone_by_a_redelivered_task(contributor):
    photo = services.photo_upload(contributor=contributor, file=SimpleUploadedFile("p.jpg", good_jpeg(4)))
    services.photo_process(photo_id=photo.pk)
    services.photo_process(photo_id=photo.pk)
    photo.refresh_from_db()
    assert photo.processing_attempts == 1


def test_contributor_b_cannot_see_edit_or_delete_contributor_as_photo(api, contributor):
    photo = services.photo_upload(contributor=contributor, file=SimpleUploadedFile("p.jpg", good_jpeg(8)))
    other = APIClient()
    other.force_authenticate(ContributorFactory())
    url = f"/api/v1/photos/{photo.uuid}/"
    assert other.get(url).status_code == 404
    assert other.patch(url, {"title": "mine now"}, format="json").status_code == 404
    assert other.delete(url).status_code == 404
    assert other.post(f"{url}submit/").status_code == 404
    assert (
        other.post("/api/v1/photos/bulk/", {"photos": [str(photo.uuid)], "add_tags": ["x"]}, format="json").status_code
        == 404
    )
    assert other.get("/api/v1/photos/").json()["results"] == []
    photo.refresh_from_db()
    assert photo.title == ""


def test_describe_with_tags_in_japanese_and_english_and_subjects_then_submit(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        photo_id = upload(api, "p.jpg", good_jpeg(9)).json()["id"]
    incomplete = api.post(f"/api/v1/photos/{photo_id}/submit/")
    assert incomplete.status_code == 400
    assert incomplete.json()["error"]["message"] == (
        "This photo cannot be submitted yet: it has no title; it has no keywords; "
        "describe the people in it, or mark it as having no people."
    )
    response = api.patch(
        f"/api/v1/photos/{photo_id}/",
        {
            "title": "Woman wearing a mask",
            "tags": ["Mask", "マスク", "ｍａｓｋ", "  face "],
            "lighting": "daylight",
            "prefecture": "Tokyo",
            "subjects": [{"age_band": "30s", "gender": "female", "ethnicity": "Japanese", "mask": True}],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["tags"] == ["face", "mask", "マスク"]
    assert body["subjects"] == [
        {
            "position": 1,
            "age_band": "30s",
            "gender": "female",
            "ethnicity": "Japanese",
            "mask": True,
            "glasses": False,
            "hat": False,
            "angle": "",
        }
    ]
    submitted = api.post(f"/api/v1/photos/{photo_id}/submit/").json()
    assert submitted["status"] == "submitted"
    # Submitted photos are frozen for the contributor.
    locked = api.patch(f"/api/v1/photos/{photo_id}/", {"title": "x"}, format="json")
    assert locked.status_code == 409
    assert locked.json()["error"]["code"] == "not_editable"


def test_bulk_edit_applies_tags_and_subject_attributes_to_a_selection(api, contributor):
    photos = [
        services.photo_upload(contributor=contributor, file=SimpleUploadedFile(f"{i}.jpg", good_jpeg(20 + i)))
        for i in range(3)
    ]
    for p in photos:
        services.photo_describe(photo=p, subjects=[services.SubjectData(age_band="20s")])
    response = api.post(
        "/api/v1/photos/bulk/",
        {
            "photos": [str(p.uuid) for p in photos[:2]],
            "add_tags": ["street", "東京"],
            "mask": True,
            "lighting": "night",
        },
        format="json",
    )
    assert response.json() == {"updated": 2}
    for p in photos:
        p.refresh_from_db()
    assert [sorted(t.name for t in p.tags.all()) for p in photos] == [["street", "東京"], ["street", "東京"], []]
    assert [p.subjects.get().mask for p in photos] == [True, True, False]
    assert [p.lighting for p in photos] == ["night", "night", ""]


@pytest.mark.worker
def test_a_real_worker_processes_an_upload(celery_worker):
    contributor = ContributorFactory()
    api = APIClient()
    api.force_authenticate(contributor)
    photo_id = upload(api, "w.jpg", good_jpeg(30)).json()["id"]
    photo = wait_until(
        lambda: Photo.objects.filter(uuid=photo_id, processing="ready").first(), timeout=60, message="pipeline"
    )
    assert photo.thumbnail.name and photo.preview.name and photo.cleaned.name
    assert "photo_process_task" in celery_worker.output()


@pytest.mark.parametrize("case, name, data, code", corpus(), ids=[c[0] for c in corpus()])
def test_each_bad_file_gets_its_specific_error_on_the_upload_page_and_leaves_nothing(
    client, contributor, case, name, data, code
):
    client.force_login(contributor)
    response = client.post("/portal/upload/", {"files": [SimpleUploadedFile(name, data)]})
    assert response.status_code == 200
    [result] = response.context["results"]
    assert (result["name"], result["ok"], result["message"]) == (name, False, expected_message(case, code))
    assert expected_message(case, code).replace("'", "&#x27;") in response.content.decode()
    assert Photo.objects.count() == 0
    assert stored_files() == []

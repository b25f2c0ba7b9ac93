"""Staff annotation and curation API: boxes replaced as a whole, the detector on demand, counts, freezing."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient
from skimage import data as skimage_data

from catalog.curation import services as curation_services
from catalog.curation.tests.test_datasets import approved_photo, dataset, hashes
from catalog.models import AnnotationBox, DatasetVersion
from catalog.photos import services as photo_services
from licensing.consent.tests.factories import PhotoFactory
from stockdata.accounts.tests.factories import BuyerFactory, ContributorFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return StaffFactory()


@pytest.fixture
def api(staff):
    client = APIClient()
    client.force_authenticate(staff)
    return client


def boxes_url(photo):
    return reverse("api:curation-photo-boxes", kwargs={"uuid": photo.uuid})


def test_put_replaces_the_list_and_every_box_is_confirmed_by_the_user(api, staff):
    photo = PhotoFactory(width=2400, height=1600)
    AnnotationBox.objects.create(photo=photo, x=1, y=1, w=50, h=50, source="detector", confirmed=False)
    AnnotationBox.objects.create(photo=photo, x=900, y=900, w=80, h=80, source="detector", confirmed=False)

    response = api.put(
        boxes_url(photo),
        {
            "boxes": [
                {"label": "face", "x": 100, "y": 120, "w": 300, "h": 340, "source": "detector"},
                {"label": "mask", "x": 150, "y": 300, "w": 200, "h": 120},
            ]
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["unconfirmed"] == 0
    rows = list(
        AnnotationBox.objects.filter(photo=photo)
        .order_by("y")
        .values_list("label", "x", "y", "w", "h", "source", "confirmed", "confirmed_by")
    )
    assert rows == [
        ("face", 100, 120, 300, 340, "detector", True, staff.pk),
        ("mask", 150, 300, 200, 120, "human", True, staff.pk),
    ]
    listed = api.get(boxes_url(photo)).json()
    assert [(b["label"], b["x"], b["confirmed"], b["confirmed_by"]) for b in listed["boxes"]] == [
        ("face", 100, True, staff.email),
        ("mask", 150, True, staff.email),
    ]
    assert (listed["width"], listed["height"]) == (2400, 1600)


def test_a_box_outside_the_photo_is_refused_and_nothing_changes(api):
    photo = PhotoFactory(width=2400, height=1600)
    kept = AnnotationBox.objects.create(photo=photo, x=1, y=1, w=50, h=50, confirmed=False)
    response = api.put(
        boxes_url(photo),
        {
            "boxes": [
                {"label": "face", "x": 100, "y": 100, "w": 100, "h": 100},
                {"label": "face", "x": 2300, "y": 100, "w": 200, "h": 100},
            ]
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The box must lie inside the photo (2400×1600 px)."
    assert list(AnnotationBox.objects.filter(photo=photo)) == [kept]


@pytest.mark.parametrize("user_factory", [ContributorFactory, BuyerFactory, None])
def test_only_staff_use_the_curation_api(user_factory):
    photo = PhotoFactory()
    ds = dataset()
    client = APIClient()
    if user_factory:
        client.force_authenticate(user_factory())
    calls = [
        client.get(boxes_url(photo)),
        client.put(boxes_url(photo), {"boxes": []}, format="json"),
        client.post(reverse("api:curation-photo-boxes-propose", kwargs={"uuid": photo.uuid})),
        client.post(reverse("api:curation-dataset-count", kwargs={"slug": ds.slug}), {}, format="json"),
        client.post(reverse("api:curation-dataset-freeze", kwargs={"slug": ds.slug}), {}, format="json"),
        client.get(reverse("api:curation-dataset-versions", kwargs={"slug": ds.slug})),
    ]
    assert {r.status_code for r in calls} <= {401, 403, 404}


def astronaut_photo(contributor):
    big = Image.fromarray(skimage_data.astronaut()).resize((1800, 1800))
    buf = io.BytesIO()
    big.save(buf, "JPEG", quality=90)
    photo = photo_services.photo_upload(
        contributor=contributor, file=SimpleUploadedFile("astronaut.jpg", buf.getvalue())
    )
    return photo_services.photo_process(photo_id=photo.pk)


def test_propose_runs_the_detector_and_stores_unconfirmed_face_boxes(api):
    photo = astronaut_photo(ContributorFactory())
    assert not AnnotationBox.objects.filter(photo=photo).exists()

    response = api.post(reverse("api:curation-photo-boxes-propose", kwargs={"uuid": photo.uuid}))

    assert response.status_code == 200
    body = response.json()
    assert (body["proposed"], body["unconfirmed"]) == (1, 1)
    box = AnnotationBox.objects.get(photo=photo)
    assert (box.source, box.confirmed, box.label, box.confirmed_by) == ("detector", False, "face", None)
    assert 500 <= box.x <= 700 and 200 <= box.w <= 500
    assert body["boxes"][0]["x"] == box.x
    # A second call adds nothing: the detector runs once per photo.
    again = api.post(reverse("api:curation-photo-boxes-propose", kwargs={"uuid": photo.uuid})).json()
    assert again["proposed"] == 0 and len(again["boxes"]) == 1


def test_count_freeze_and_versions(api, staff):
    contributor = ContributorFactory()
    ds = dataset()
    h = hashes(3)
    masked = [approved_photo(contributor, staff, phash=h[i], mask=True, tags=["portrait"]) for i in range(2)]
    approved_photo(contributor, staff, phash=h[2], tags=["portrait"])

    url = reverse("api:curation-dataset-count", kwargs={"slug": ds.slug})
    assert api.post(url, {"tags_all": ["portrait"]}, format="json").json() == {"count": 3, "selected": 3}
    assert api.post(url, {"tags_all": ["portrait"], "mask": True}, format="json").json() == {"count": 2, "selected": 2}
    assert api.post(url, {"limit": 1}, format="json").json() == {"count": 3, "selected": 1}
    bad = api.post(url, {"people": "crowds"}, format="json")
    assert bad.status_code == 400

    curation_services.dataset_add_photos(dataset=ds, photos=masked)
    AnnotationBox.objects.create(photo=masked[0], x=1, y=1, w=10, h=10, confirmed=False)
    freeze = reverse("api:curation-dataset-freeze", kwargs={"slug": ds.slug})
    refused = api.post(freeze, {"annotated": True}, format="json")
    assert refused.status_code == 400
    names = ", ".join(p.original_filename for p in masked)
    assert refused.json()["error"] == {
        "code": "annotation_incomplete",
        "message": f"The annotation of 2 photo(s) is not complete (1 proposed box(es) not confirmed or rejected): "
        f"{names}. Check each in the box editor and mark it complete before freezing the annotated edition.",
    }
    assert not DatasetVersion.objects.exists()

    created = api.post(freeze, {"annotated": False, "notes": "api"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert (body["number"], body["photo_count"], body["annotated"], body["notes"], body["frozen_by"]) == (
        1,
        2,
        False,
        "api",
        staff.email,
    )
    versions = api.get(reverse("api:curation-dataset-versions", kwargs={"slug": ds.slug})).json()
    assert [v["number"] for v in versions] == [1]
    assert versions[0]["content_hash"] == DatasetVersion.objects.get().content_hash

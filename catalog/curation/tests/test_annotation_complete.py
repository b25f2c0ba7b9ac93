"""The annotated edition is true: every photo marked complete by a person, every proposal confirmed or
rejected (and the rejection kept), and the bundle's words about the annotation counted from those records."""

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from catalog.curation import services as curation_services
from catalog.curation.tests.test_datasets import approved_photo, dataset, hashes
from catalog.models import AnnotationBox, AnnotationCompletion, AnnotationRun, DatasetVersion, RejectedProposal
from catalog.photos import services as photo_services
from catalog.photos.selectors import photos_annotation_state
from catalog.storefront.pages import annotation_facts, version_charts
from licensing.delivery import services as delivery_services
from licensing.delivery.archive import formats
from stockdata.accounts.tests.factories import ContributorFactory, StaffFactory
from stockdata.append_only import AppendOnlyError
from stockdata.errors import ApplicationError

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return StaffFactory(email="kimura@example.com")


def two_photos(staff):
    contributor = ContributorFactory()
    ds = dataset()
    h = hashes(2)
    photos = [approved_photo(contributor, staff, phash=h[i], width=2000, height=1500) for i in range(2)]
    curation_services.dataset_add_photos(dataset=ds, photos=photos)
    return ds, photos


def propose(photo, *boxes):
    """What the detector leaves on a photo: a run and unconfirmed proposals."""
    AnnotationRun.objects.create(photo=photo, detector="opencv-haar-frontalface-default", proposed=len(boxes))
    return [
        AnnotationBox.objects.create(photo=photo, source="detector", confirmed=False, x=x, y=y, w=w, h=h)
        for x, y, w, h in boxes
    ]


def test_annotation_complete_missing_on_one_photo_refuses_freezing_and_names_it(staff):
    ds, (done, open_photo) = two_photos(staff)
    photo_services.boxes_replace(photo=done, by=staff, boxes=[{"label": "face", "x": 10, "y": 10, "w": 90, "h": 120}])
    photo_services.photo_annotation_complete(photo=done, by=staff)
    # Every box of the other photo is confirmed, but nobody said every face and mask is boxed.
    photo_services.boxes_replace(
        photo=open_photo, by=staff, boxes=[{"label": "face", "x": 200, "y": 100, "w": 300, "h": 400}]
    )

    with pytest.raises(ApplicationError) as refused:
        curation_services.dataset_version_freeze(dataset=ds, by=staff, annotated=True)

    assert refused.value.code == "annotation_incomplete"
    assert refused.value.message == (
        f"The annotation of 1 photo(s) is not complete (0 proposed box(es) not confirmed or rejected): "
        f"{open_photo.original_filename}. Check each in the box editor and mark it complete before freezing the "
        "annotated edition."
    )
    assert done.original_filename not in refused.value.message
    assert not DatasetVersion.objects.exists()
    # The unedited edition does not need it.
    assert curation_services.dataset_version_freeze(dataset=ds, by=staff).annotated is False


def test_annotation_complete_is_lost_when_the_boxes_change_and_given_again(staff):
    _ds, (photo, _other) = two_photos(staff)
    photo_services.boxes_replace(
        photo=photo, by=staff, boxes=[{"label": "face", "x": 10, "y": 10, "w": 90, "h": 120}], complete=True
    )
    first = AnnotationCompletion.objects.get(photo=photo)
    assert (first.completed_by, first.face_count, first.mask_count) == (staff, 1, 0)
    assert photos_annotation_state([photo.pk])[photo.pk]["complete"] is True

    other = StaffFactory(email="ito@example.com")
    photo_services.boxes_replace(
        photo=photo,
        by=other,
        boxes=[
            {"label": "face", "x": 10, "y": 10, "w": 90, "h": 120},
            {"label": "mask", "x": 20, "y": 70, "w": 70, "h": 50},
        ],
    )
    state = photos_annotation_state([photo.pk])[photo.pk]
    assert (state["complete"], state["completed_by"]) == (False, "")

    photo_services.photo_annotation_complete(photo=photo, by=other)
    state = photos_annotation_state([photo.pk])[photo.pk]
    assert (state["complete"], state["completed_by"]) == (True, "ito@example.com")
    # Both declarations stay on record.
    assert AnnotationCompletion.objects.filter(photo=photo).count() == 2


def test_annotation_complete_editor_api_keeps_a_moved_proposal_and_records_the_rejected_one(staff):
    _ds, (photo, _other) = two_photos(staff)
    true_face, _false_face = propose(photo, (100, 100, 300, 380), (1500, 40, 120, 120))
    api = APIClient()
    api.force_authenticate(staff)
    url = reverse("api:curation-photo-boxes", kwargs={"uuid": photo.uuid})

    got = api.get(url).json()
    assert (got["unconfirmed"], got["complete"]) == (2, False)

    response = api.put(
        url,
        {
            "complete": True,
            "boxes": [
                {"id": true_face.pk, "label": "face", "x": 110, "y": 90, "w": 300, "h": 400},
                {"label": "mask", "x": 130, "y": 300, "w": 260, "h": 180},
            ],
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["unconfirmed"], body["complete"], body["completed_by"]) == (0, True, "kimura@example.com")
    rows = sorted(AnnotationBox.objects.filter(photo=photo).values_list("label", "source", "x", "y", "confirmed"))
    assert rows == [("face", "detector", 110, 90, True), ("mask", "human", 130, 300, True)]
    rejected = RejectedProposal.objects.get()
    assert (rejected.photo, rejected.x, rejected.y, rejected.w, rejected.h) == (photo, 1500, 40, 120, 120)
    assert (rejected.detector, rejected.rejected_by, rejected.label) == (
        "opencv-haar-frontalface-default",
        staff,
        "face",
    )
    # A rejection is a record: it cannot be edited or removed.
    with pytest.raises(AppendOnlyError, match="a rejection stays on record"):
        RejectedProposal.objects.all().delete()


def test_annotation_complete_records_reach_the_version_the_bundle_texts_and_the_page(staff):
    ds, (first, second) = two_photos(staff)
    (kept,) = propose(first, (100, 100, 300, 380))
    propose(second, (1500, 40, 120, 120))
    reviewer = StaffFactory(email="sato@example.com")
    photo_services.boxes_replace(
        photo=first,
        by=staff,
        boxes=[
            {"id": kept.pk, "label": "face", "x": 100, "y": 100, "w": 300, "h": 380},
            {"label": "mask", "x": 120, "y": 300, "w": 260, "h": 170},
        ],
        complete=True,
    )
    photo_services.boxes_replace(
        photo=second,
        by=reviewer,
        boxes=[{"label": "face", "x": 600, "y": 300, "w": 250, "h": 320}],
        complete=True,
    )

    version = curation_services.dataset_version_freeze(dataset=ds, by=staff, annotated=True)

    assert version.statistics["annotation"] == {
        "photos": 2,
        "photos_complete": 2,
        "detectors": ["opencv-haar-frontalface-default"],
        "photos_run_by_detector": 2,
        "boxes": 3,
        "face_boxes": 2,
        "mask_boxes": 1,
        "proposals_kept": 1,
        "added_by_hand": 2,
        "proposals_rejected": 1,
        "reviewers": 2,
    }
    info = delivery_services.version_info(version)
    items = delivery_services.version_items(version, edition="annotated")
    readme = formats.readme_txt(
        dataset_title="t",
        dataset_slug=ds.slug,
        version=1,
        edition="annotated",
        description="",
        frozen_at=info["frozen_at"],
        content_hash=version.content_hash,
        required_scopes=[],
        image_count=2,
        annotated=True,
        annotation=info["annotation"],
        box_count=3,
    ).decode()
    assert " ".join(readme.split("Annotation\n----------\n")[1].split("\n\n")[0].split()) == (
        "When the version was frozen its 2 photos held 2 face boxes and 1 mask boxes (axis-aligned, in pixels). "
        "Automatic proposals: faces only, by opencv-haar-frontalface-default, run on 2 of the 2 photos. 1 proposals "
        "were kept (and corrected where needed), 1 were rejected as false, and 2 boxes were drawn by hand. "
        "Every box was confirmed and every photo marked 'annotation complete' (every face and every mask boxed, "
        "no false box) by a person: 2 of 2 photos, by 2 reviewer(s)."
    )
    croissant = json.loads(
        formats.croissant_json(
            items, info, {formats.METADATA_JSONL: b"", formats.COCO_JSON: formats.coco_json(items, info)}
        )
    )
    assert croissant["rai:machineAnnotationTools"] == [
        "opencv-haar-frontalface-default (face proposals only; a person confirmed or rejected each)"
    ]
    assert croissant["rai:dataAnnotationPlatform"] == [formats.ANNOTATION_PLATFORM]
    assert croissant["rai:annotationsPerItem"] == (
        "1.50 boxes per photo on average; one annotation per photo, confirmed and marked complete by a person "
        "(2 reviewer(s) in all)."
    )
    assert croissant["rai:dataAnnotationProtocol"][2].endswith("2 of 2 photos, by 2 reviewer(s).")
    assert "checked by staff" not in json.dumps(croissant) + readme
    facts = annotation_facts(version)
    assert facts[1] == (
        "Face proposals by opencv-haar-frontalface-default: 1 kept (corrected where needed), 1 rejected as false; "
        "2 boxes drawn by hand."
    )
    boxes_chart = next(c for c in version_charts(version.statistics) if c.key == "boxes")
    assert [(b.key, b.count) for b in boxes_chart.bars] == [("face", 2), ("mask", 1)]

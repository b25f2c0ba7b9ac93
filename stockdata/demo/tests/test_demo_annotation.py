"""The demo's annotated edition is right: the flagship's delivered boxes are where the generator drew
every face and mask, checked and marked complete by the named demo annotator."""

import io

import pytest
from django.core.management import call_command

from catalog.models import AnnotationBox, AnnotationCompletion, Dataset, RejectedProposal
from licensing.delivery import archive as core
from licensing.delivery import services as delivery_services
from stockdata.demo.photos import ANNOTATOR_EMAIL, synthetic_of

pytestmark = pytest.mark.django_db


def test_annotation_complete_demo_flagship_coco_equals_the_generators_ground_truth_mask_box():
    call_command("seed_demo", stdout=io.StringIO())
    dataset = Dataset.objects.get(slug="japanese-faces-with-masks")
    version = dataset.latest_version
    assert version.annotated and version.photo_count >= 10

    items = delivery_services.version_items(version, edition=core.ANNOTATED)
    info = delivery_services.version_info(version)
    entries = core.base_entries(items, info, edition=core.ANNOTATED, open_image=lambda name: io.BytesIO(b""))
    root = core.bundle_root(info, core.ANNOTATED)
    coco_bytes = next(e.source for e in entries if e.name == f"{root}/annotations/coco.json")
    import json

    coco = json.loads(coco_bytes)
    names = {c["id"]: c["name"] for c in coco["categories"]}
    delivered: dict[str, list] = {image["file_name"]: [] for image in coco["images"]}
    by_id = {image["id"]: image["file_name"] for image in coco["images"]}
    for a in coco["annotations"]:
        x, y, w, h = (int(v) for v in a["bbox"])
        delivered[by_id[a["image_id"]]].append((names[a["category_id"]], x, y, w, h))

    originals = dict(version.items.values_list("file_name", "photo__original_filename"))
    masks = 0
    for file_name, boxes in delivered.items():
        truth = synthetic_of(originals[file_name]).ground_truth()
        assert sorted(boxes) == sorted((b["label"], b["x"], b["y"], b["w"], b["h"]) for b in truth), file_name
        masks += sum(1 for b in truth if b["label"] == "mask")
    assert masks >= version.photo_count // 2  # a masks dataset: most faces wear one, and every mask is boxed

    # The records behind it: the named annotator confirmed every box and marked every photo complete;
    # the detector's proposals were kept (moved onto the faces) or rejected, never taken as they were.
    photo_ids = list(version.items.values_list("photo_id", flat=True))
    assert set(
        AnnotationCompletion.objects.filter(photo_id__in=photo_ids).values_list("completed_by__email", flat=True)
    ) == {ANNOTATOR_EMAIL}
    assert not AnnotationBox.objects.filter(photo_id__in=photo_ids, confirmed=False).exists()
    record = version.statistics["annotation"]
    assert record["photos_complete"] == record["photos"] == version.photo_count
    assert record["detectors"] == ["opencv-haar-frontalface-default"]
    assert record["photos_run_by_detector"] == version.photo_count
    assert record["proposals_rejected"] == RejectedProposal.objects.filter(photo_id__in=photo_ids).count()
    assert record["reviewers"] == 1
    assert record["face_boxes"] + record["mask_boxes"] == version.box_count == len(coco["annotations"])
    readme = " ".join(next(e.source for e in entries if e.name == f"{root}/README.txt").decode().split())
    assert f"{record['proposals_kept']} proposals were kept" in readme
    assert "by 1 reviewer(s)" in readme

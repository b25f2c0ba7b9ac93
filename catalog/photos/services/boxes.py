"""Face and mask boxes on a photo: drawn and confirmed by people, proposed by the detector."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from catalog.detection import DETECTOR_NAME, detect_faces
from catalog.models import AnnotationBox, AnnotationCompletion, AnnotationRun, BoxLabel, Photo, RejectedProposal
from stockdata.errors import ApplicationError, ErrorCode


def _check_box(photo: Photo, x: int, y: int, w: int, h: int, label: str) -> None:
    if label not in BoxLabel.values:
        raise ApplicationError(_("Unknown box label."), code=ErrorCode.INVALID, field="label")
    if w < 1 or h < 1 or x < 0 or y < 0 or x + w > photo.width or y + h > photo.height:
        raise ApplicationError(
            _("The box must lie inside the photo (%(w)s×%(h)s px).") % {"w": photo.width, "h": photo.height},
            code=ErrorCode.INVALID,
        )


@transaction.atomic
def box_save(
    *,
    photo: Photo,
    by,
    x: int,
    y: int,
    w: int,
    h: int,
    label: str = BoxLabel.FACE,
    box: AnnotationBox | None = None,
    confirmed: bool = True,
) -> AnnotationBox:
    """Staff draw or correct a box; a box saved by a person is confirmed by that person."""
    _check_box(photo, x, y, w, h, label)
    if box is None:
        box = AnnotationBox(photo=photo, source=AnnotationBox.Source.HUMAN)
    elif box.photo_id != photo.pk:
        raise ApplicationError(_("Not found."), code=ErrorCode.NOT_FOUND, status=404)
    box.x, box.y, box.w, box.h, box.label = x, y, w, h, label
    box.confirmed = confirmed
    box.confirmed_by = by if confirmed else None
    box.save()
    return box


def boxes_digest(boxes: Iterable) -> str:
    """The fingerprint of a photo's boxes (label and pixels, order-free) that a completion is given for."""
    rows = sorted(
        (b["label"], b["x"], b["y"], b["w"], b["h"]) if isinstance(b, dict) else (str(b.label), b.x, b.y, b.w, b.h)
        for b in boxes
    )
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def _reject_proposals(*, photo: Photo, by, removed: Iterable[AnnotationBox]) -> int:
    """Detector boxes a person took away stay on record as rejected proposals."""
    removed = [b for b in removed if b.source == AnnotationBox.Source.DETECTOR]
    if not removed:
        return 0
    run = AnnotationRun.objects.filter(photo=photo).first()
    RejectedProposal.objects.bulk_create(
        [
            RejectedProposal(
                photo=photo,
                label=b.label,
                x=b.x,
                y=b.y,
                w=b.w,
                h=b.h,
                detector=run.detector if run else DETECTOR_NAME,
                rejected_by=by,
            )
            for b in removed
        ]
    )
    return len(removed)


@transaction.atomic
def box_delete(*, box: AnnotationBox, by) -> None:
    """Remove a box; a detector proposal removed is recorded as rejected by ``by``."""
    _reject_proposals(photo=box.photo, by=by, removed=[box])
    box.delete()


@transaction.atomic
def photo_annotation_complete(*, photo: Photo, by) -> AnnotationCompletion:
    """``by`` declares the photo fully annotated: every face and mask boxed, no false box.

    Refused while a box is unconfirmed (a proposal nobody has checked); the record holds the
    fingerprint of the boxes, so a later change to them needs a new declaration.
    """
    boxes = list(AnnotationBox.objects.select_for_update().filter(photo=photo))
    if any(not b.confirmed for b in boxes):
        raise ApplicationError(
            _("Confirm or remove every proposed box before marking the photo complete."),
            code=ErrorCode.UNCONFIRMED_BOXES,
        )
    return AnnotationCompletion.objects.create(
        photo=photo,
        completed_by=by,
        boxes_digest=boxes_digest(boxes),
        face_count=sum(1 for b in boxes if b.label == BoxLabel.FACE),
        mask_count=sum(1 for b in boxes if b.label == BoxLabel.MASK),
    )


@transaction.atomic
def boxes_replace(*, photo: Photo, by, boxes: Sequence[dict], complete: bool = False) -> list[AnnotationBox]:
    """Save the editor's whole list for a photo at once: every box confirmed by ``by``.

    A box sent with the ``id`` of an existing box of the photo keeps that box's origin (a moved
    detector proposal is still the detector's); detector proposals left out are recorded as
    rejected. With ``complete`` the same person also marks the photo's annotation complete.
    """
    for b in boxes:
        _check_box(photo, b["x"], b["y"], b["w"], b["h"], b.get("label", BoxLabel.FACE))
    before = {b.pk: b for b in AnnotationBox.objects.select_for_update().filter(photo=photo)}
    kept = {b.get("id") for b in boxes if b.get("id") in before}
    _reject_proposals(photo=photo, by=by, removed=[b for pk, b in before.items() if pk not in kept])

    def source(b: dict) -> str:
        if b.get("id") in before:
            return before[b["id"]].source
        # Without an id a box is a person's own, unless the caller says it came from the detector.
        return b.get("source") if b.get("source") in AnnotationBox.Source.values else AnnotationBox.Source.HUMAN

    photo.boxes.all().delete()
    saved = AnnotationBox.objects.bulk_create(
        [
            AnnotationBox(
                photo=photo,
                label=b.get("label", BoxLabel.FACE),
                x=b["x"],
                y=b["y"],
                w=b["w"],
                h=b["h"],
                source=source(b),
                confirmed=True,
                confirmed_by=by,
            )
            for b in boxes
        ]
    )
    if complete:
        photo_annotation_complete(photo=photo, by=by)
    return saved


def photo_propose_boxes(*, photo_id: int) -> int:
    """Ask the face detector for boxes once per photo; proposals are unconfirmed until a person checks them."""
    photo = Photo.objects.get(pk=photo_id)
    if AnnotationRun.objects.filter(photo=photo).exists() or not photo.cleaned:
        return 0
    with default_storage.open(photo.cleaned.name, "rb") as fh:
        found = detect_faces(fh.read(), display_size=(photo.width, photo.height))
    with transaction.atomic():
        _run, created = AnnotationRun.objects.get_or_create(
            photo=photo, defaults={"detector": DETECTOR_NAME, "proposed": len(found)}
        )
        if not created:
            return 0
        AnnotationBox.objects.bulk_create(
            [
                AnnotationBox(
                    photo=photo,
                    label=BoxLabel.FACE,
                    x=b.x,
                    y=b.y,
                    w=b.w,
                    h=b.h,
                    source=AnnotationBox.Source.DETECTOR,
                    confirmed=False,
                )
                for b in found
            ]
        )
    return len(found)

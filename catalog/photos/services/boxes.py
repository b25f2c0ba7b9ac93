"""Face and mask boxes on a photo: drawn and confirmed by people, proposed by the detector."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from catalog.detection import DETECTOR_NAME, detect_faces
from catalog.models import AnnotationBox, AnnotationRun, BoxLabel, Photo
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


@transaction.atomic
def box_delete(*, box: AnnotationBox) -> None:
    box.delete()


@transaction.atomic
def boxes_replace(*, photo: Photo, by, boxes: Sequence[dict]) -> list[AnnotationBox]:
    """Save the editor's whole list for a photo at once: every box confirmed by ``by``."""
    for b in boxes:
        _check_box(photo, b["x"], b["y"], b["w"], b["h"], b.get("label", BoxLabel.FACE))
    photo.boxes.all().delete()
    return AnnotationBox.objects.bulk_create(
        [
            AnnotationBox(
                photo=photo,
                label=b.get("label", BoxLabel.FACE),
                x=b["x"],
                y=b["y"],
                w=b["w"],
                h=b["h"],
                source=b.get("source")
                if b.get("source") in AnnotationBox.Source.values
                else AnnotationBox.Source.HUMAN,
                confirmed=True,
                confirmed_by=by,
            )
            for b in boxes
        ]
    )


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

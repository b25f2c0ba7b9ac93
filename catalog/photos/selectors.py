"""Reads about photos' annotation: which photos are complete, and what was done to annotate a set."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count, Q

from catalog.models import AnnotationBox, AnnotationCompletion, AnnotationRun, BoxLabel, Photo, RejectedProposal, Tag
from catalog.photos.services.boxes import boxes_digest


def photos_annotation_state(photo_ids: Iterable[int]) -> dict[int, dict]:
    """Per photo: ``unconfirmed`` proposals left, ``complete`` (the latest completion matches the boxes
    as they are and none is unconfirmed), and who marked it complete when."""
    ids = list(photo_ids)
    boxes: dict[int, list[AnnotationBox]] = defaultdict(list)
    for b in AnnotationBox.objects.filter(photo_id__in=ids):
        boxes[b.photo_id].append(b)
    latest: dict[int, AnnotationCompletion] = {}
    for c in AnnotationCompletion.objects.filter(photo_id__in=ids).select_related("completed_by"):
        if c.photo_id not in latest:  # ordered newest first per photo
            latest[c.photo_id] = c
    state = {}
    for pk in ids:
        mine = boxes.get(pk, [])
        unconfirmed = sum(1 for b in mine if not b.confirmed)
        completion = latest.get(pk)
        complete = bool(completion) and not unconfirmed and completion.boxes_digest == boxes_digest(mine)
        state[pk] = {
            "unconfirmed": unconfirmed,
            "complete": complete,
            "completed_by": completion.completed_by.email if complete else "",
            "completed_at": completion.completed_at.isoformat() if complete else "",
            "completed_by_id": completion.completed_by_id if complete else None,
        }
    return state


def annotation_summary(photo_ids: Iterable[int]) -> dict:
    """What was done to annotate these photos, counted from the records (for a version's statistics).

    Proposals by which detector(s), how many boxes the detector proposed and a person kept
    (possibly moved), drew by hand, or rejected, and how many distinct people confirmed boxes
    and marked photos complete.
    """
    ids = list(photo_ids)
    state = photos_annotation_state(ids)
    boxes = list(AnnotationBox.objects.filter(photo_id__in=ids).values("source", "label", "confirmed_by_id"))
    detectors = sorted(set(AnnotationRun.objects.filter(photo_id__in=ids).values_list("detector", flat=True)))
    rejected = RejectedProposal.objects.filter(photo_id__in=ids)
    reviewers = {b["confirmed_by_id"] for b in boxes if b["confirmed_by_id"]} | {
        s["completed_by_id"] for s in state.values() if s["completed_by_id"]
    }
    return {
        "photos": len(ids),
        "photos_complete": sum(1 for s in state.values() if s["complete"]),
        "detectors": detectors,
        "photos_run_by_detector": AnnotationRun.objects.filter(photo_id__in=ids).count(),
        "boxes": len(boxes),
        "face_boxes": sum(1 for b in boxes if b["label"] == BoxLabel.FACE),
        "mask_boxes": sum(1 for b in boxes if b["label"] == BoxLabel.MASK),
        "proposals_kept": sum(1 for b in boxes if b["source"] == AnnotationBox.Source.DETECTOR),
        "added_by_hand": sum(1 for b in boxes if b["source"] == AnnotationBox.Source.HUMAN),
        "proposals_rejected": rejected.count(),
        "reviewers": len(reviewers),
    }


def photos_processing_failed():
    """Uploads whose thumbnails and previews could not be made after every retry, newest first."""
    return Photo.objects.filter(processing=Photo.Processing.FAILED).order_by("-created_at", "-id")


def keywords_usual_for(*, contributor_id: int, limit: int = 12) -> list[str]:
    """The keywords a contributor put most often on their own approved photos: what reviewers
    already accepted from them, offered first when they describe the next photo."""
    approved_own = Q(photos__contributor_id=contributor_id, photos__status=Photo.Status.APPROVED)
    return list(
        Tag.objects.annotate(uses=Count("photos", filter=approved_own))
        .filter(uses__gt=0)
        .order_by("-uses", "name")
        .values_list("name", flat=True)[:limit]
    )

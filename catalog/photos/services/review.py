"""A reviewer's decision on a photo (the consent side of review lives in licensing.consent)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Photo, PhotoRejectionReason
from stockdata.errors import ApplicationError, ErrorCode


@transaction.atomic
def photo_approve(*, photo: Photo, reviewer) -> Photo:
    """Only a submitted photo can be approved; the decision is timestamped."""
    photo = Photo.objects.select_for_update().get(pk=photo.pk)
    if photo.status != Photo.Status.SUBMITTED:
        raise ApplicationError(
            _("Only a photo waiting for review can be approved."), code=ErrorCode.NOT_SUBMITTED, status=409
        )
    photo.status = Photo.Status.APPROVED
    photo.reviewed_at = timezone.now()
    photo.rejection_reason = ""
    photo.rejection_note = ""
    photo.save(update_fields=["status", "reviewed_at", "rejection_reason", "rejection_note", "updated_at"])
    return photo


@transaction.atomic
def photo_reject(*, photo: Photo, reviewer, reason: str, note: str = "") -> Photo:
    """A rejection always carries a standard reason the contributor can act on; "other" needs a note."""
    photo = Photo.objects.select_for_update().get(pk=photo.pk)
    if photo.status != Photo.Status.SUBMITTED:
        raise ApplicationError(
            _("Only a photo waiting for review can be rejected."), code=ErrorCode.NOT_SUBMITTED, status=409
        )
    if reason not in PhotoRejectionReason.values:
        raise ApplicationError(_("Choose a rejection reason."), code=ErrorCode.INVALID, field="reason")
    if reason == "other" and not note.strip():
        raise ApplicationError(_("Explain the rejection in the note."), code=ErrorCode.INVALID, field="note")
    photo.status = Photo.Status.REJECTED
    photo.reviewed_at = timezone.now()
    photo.rejection_reason = reason
    photo.rejection_note = note.strip()
    photo.save(update_fields=["status", "reviewed_at", "rejection_reason", "rejection_note", "updated_at"])
    return photo

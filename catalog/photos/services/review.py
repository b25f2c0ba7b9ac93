"""A reviewer's decision on a photo (the consent side of review lives in licensing.consent)."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Photo, PhotoRejectionReason
from stockdata.errors import ApplicationError, ErrorCode
from stockdata.storage import private_storage, public_storage


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
    derived_publish(photo)
    return photo


def derived_publish(photo: Photo) -> None:
    """Move an approved photo's thumbnail and preview from the private storage to the public one
    (until approval nobody but its contributor and staff may see them)."""
    private, public = private_storage(), public_storage()
    for name in (photo.thumbnail.name, photo.preview.name):
        if not name or not private.exists(name):
            continue
        with private.open(name, "rb") as f:
            data = f.read()
        if public.exists(name):
            public.delete(name)
        public.save(name, ContentFile(data))
        private.delete(name)


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

"""A reviewer's decision on a photo (the consent side of review lives in licensing.consent)."""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Photo, PhotoRejectionReason
from catalog.photos.services.uploads import derived_key
from stockdata.errors import ApplicationError, ErrorCode
from stockdata.storage import private_storage, public_storage

logger = logging.getLogger(__name__)


@transaction.atomic
def photo_approve(*, photo: Photo, reviewer, publish: bool = True) -> Photo:
    """Only a submitted photo can be approved; the decision is timestamped. With ``publish=False`` its
    previews stay private (consent decides: ``licensing.consent`` publishes them when the people in it
    consent to publication)."""
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
    if publish:
        derived_publish(photo)
    return photo


DERIVED = (("thumbnail", "thumbs"), ("preview", "previews"))


def derived_publish(photo: Photo) -> None:
    """Move a photo's thumbnail and preview from the private storage to the public one, under fresh
    random names (a URL seen before it was unpublished never works again). Until then nobody but its
    contributor and staff may see them."""
    if photo.derived_public:
        return
    private, public = private_storage(), public_storage()
    moved = []
    for field, kind in DERIVED:
        name = getattr(photo, field).name
        if not name or not private.exists(name):
            continue
        with private.open(name, "rb") as f:
            data = f.read()
        new_name = public.save(derived_key(kind), ContentFile(data))
        getattr(photo, field).name = new_name
        moved.append(name)
    photo.derived_public = True
    Photo.objects.filter(pk=photo.pk).update(
        thumbnail=photo.thumbnail.name, preview=photo.preview.name, derived_public=True
    )

    def remove_private():
        for name in moved:
            private.delete(name)

    transaction.on_commit(remove_private)


def derived_unpublish(photo: Photo) -> None:
    """Take a photo's thumbnail and preview off the public storage now (into the private one, where its
    contributor and staff still see them): its pages stop linking them at once and their URLs answer 404.
    If the storage cannot be reached the row says private already and a task moves the files later."""
    Photo.objects.filter(pk=photo.pk).update(derived_public=False)
    photo.derived_public = False
    try:
        derived_files_sync(photo)
    except Exception:  # storage down: the withdrawal still stands; the files follow
        logger.warning("could not unpublish the previews of photo %s now; a task will", photo.pk, exc_info=True)
        from catalog.photos.tasks import derived_files_sync_task  # tasks import this module

        transaction.on_commit(lambda: derived_files_sync_task.delay(photo.pk))


def derived_files_sync(photo: Photo) -> int:
    """Put the photo's derivatives where ``derived_public`` says (idempotent); how many files moved."""
    source, target = (
        (private_storage(), public_storage()) if photo.derived_public else (public_storage(), private_storage())
    )
    moved = 0
    for field, _kind in DERIVED:
        name = getattr(photo, field).name
        if not name or not source.exists(name):
            continue
        with source.open(name, "rb") as f:
            data = f.read()
        if target.exists(name):
            target.delete(name)
        target.save(name, ContentFile(data))
        source.delete(name)
        moved += 1
    return moved


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

"""Every write to photos: upload, the image pipeline, description, submission, review."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from datetime import timedelta as _timedelta

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import imaging
from catalog.models import Photo, PhotoHashBand, Tag, normalise_tag
from stockdata.errors import ApplicationError, ErrorCode
from stockdata.storage import public_storage

logger = logging.getLogger(__name__)

# Storage could not be reached or refused the write (S3 down, disk full): the upload gets a 503.
STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)

HASH_SLICES = 9  # see PhotoHashBand


def _upload_limits() -> dict[str, int]:
    return {
        "min_long_side": settings.STOCKDATA_UPLOAD_MIN_LONG_SIDE,
        "max_pixels": settings.STOCKDATA_UPLOAD_MAX_PIXELS,
        "max_bytes": settings.STOCKDATA_UPLOAD_MAX_BYTES,
    }


# Refusals in the photographer's words, translated; ``imaging`` gives the specifics.
REJECTION_MESSAGES = {
    "empty": lambda p: _("The file is empty (0 bytes). Choose the photo again and re-upload it."),
    "too_large_bytes": lambda p: (
        _(
            "The file is %(size).1f MB; files can be at most %(max).0f MB. Export it as a high-quality JPEG to make it smaller."
        )
        % {"size": p.get("byte_size", 0) / 1_048_576, "max": p.get("max_bytes", 0) / 1_048_576}
    ),
    "not_an_image": lambda p: _("This file is not an image. Please upload the photo as a JPEG, PNG or WebP file."),
    "unsupported_type": lambda p: (
        _("%(format)s files are not accepted. Please upload the photo as a JPEG, PNG or WebP file.")
        % {"format": p.get("detected", _("These"))}
    ),
    "corrupt": lambda p: _(
        "The file is damaged or incomplete. Export the photo again from your editing software and upload the new file."
    ),
    "animated": lambda p: _("Animated images are not accepted. Upload a single still photo."),
    "too_small": lambda p: (
        _("The image is %(w)s×%(h)s px; the long side must be at least %(min)s px.")
        % {"w": f"{p.get('width', 0):,}", "h": f"{p.get('height', 0):,}", "min": f"{p.get('min_long_side', 0):,}"}
    ),
    "too_many_pixels": lambda p: (
        _(
            "The image has %(mp).1f megapixels; the maximum is %(max).1f megapixels. Please downscale it before uploading."
        )
        % {"mp": p.get("width", 0) * p.get("height", 0) / 1e6, "max": p.get("max_pixels", 0) / 1e6}
    ),
}


def rejection_error(exc: imaging.ImageRejected) -> ApplicationError:
    message = REJECTION_MESSAGES[exc.code](exc.params)
    if exc.code == "corrupt" and exc.params.get("appended_bytes"):
        message = _(
            "The file has unexpected data appended after the end of the image. "
            "Export the photo again from your editing software and upload the new file."
        )
    return ApplicationError(message, code=ErrorCode(exc.code), field="file")


def tags_get_or_create(names: Iterable[str]) -> list[Tag]:
    wanted = list(dict.fromkeys(n for n in (normalise_tag(x) for x in names) if n))
    existing = {t.name: t for t in Tag.objects.filter(name__in=wanted)}
    missing = [Tag(name=n) for n in wanted if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(name__in=wanted)}
    return [existing[n] for n in wanted]


@transaction.atomic
def photo_upload(*, contributor, file: UploadedFile) -> Photo:
    """Accept one file as a draft photo, or refuse it with a reason and leave no trace.

    The content decides (type, size, pixels, animation, corruption, exact duplicate);
    the name and the browser's claimed type do not. The pipeline runs after commit.
    """
    if file.size is not None and file.size > settings.STOCKDATA_UPLOAD_MAX_BYTES:
        raise rejection_error(
            imaging.ImageRejected(
                "too_large_bytes", "too large", byte_size=file.size, max_bytes=settings.STOCKDATA_UPLOAD_MAX_BYTES
            )
        )
    data = file.read()
    try:
        probed = imaging.probe(data, **_upload_limits())
    except imaging.ImageRejected as exc:
        raise rejection_error(exc) from exc
    _refuse_exact_duplicate(contributor, probed.sha256)

    width, height = probed.display_size
    photo = Photo(
        contributor=contributor,
        original_filename=(file.name or "photo")[-255:],
        format=probed.format,
        width=width,
        height=height,
        orientation=probed.orientation,
        byte_size=probed.byte_size,
        sha256=probed.sha256,
    )
    try:
        with transaction.atomic():
            photo.save()
    except IntegrityError as exc:  # the same bytes won a race with us
        raise _duplicate_error(contributor, Photo.objects.filter(sha256=probed.sha256).first()) from exc
    # The row exists only inside this transaction; if storing fails, the row goes too.
    try:
        photo.original.save(f"{photo.uuid}.{photo.extension}", ContentFile(data), save=False)
    except STORAGE_ERRORS as exc:
        logger.error("upload of %s not stored: %s: %s", file.name, type(exc).__name__, exc)
        raise ApplicationError(
            _(
                "Photo storage is unavailable right now, so this file was not saved. "
                "Please upload it again in a few minutes."
            ),
            code=ErrorCode.STORAGE_UNAVAILABLE,
            field="file",
            status=503,
        ) from exc
    photo.save(update_fields=["original"])

    # Queued after commit; if the queue is down the photo stays pending and the sweeper queues it.
    transaction.on_commit(lambda: photo_process_enqueue(photo.pk))
    return photo


def photo_process_enqueue(photo_id: int) -> bool:
    """Queue the pipeline for one photo. If the broker cannot be reached the photo stays
    'pending' (never lost): ``photos_requeue_stalled`` queues it again later."""
    from catalog.photos.tasks import photo_process_task  # tasks import this module

    return _enqueue(photo_process_task, photo_id, then="the sweeper will queue it")


def _enqueue(task, photo_id: int, *, then: str = "not retried") -> bool:
    from kombu.exceptions import OperationalError

    try:
        task.delay(photo_id)
    except OperationalError as exc:
        logger.warning("photo %s not queued for %s (broker unreachable), %s: %s", photo_id, task.name, then, exc)
        return False
    return True


def photos_requeue_stalled(*, older_than_seconds: int | None = None) -> int:
    """Queue again every photo still waiting (or retrying) after ``older_than_seconds``: its
    message was never queued, or the broker lost it. Processing is idempotent, so a photo
    queued twice is still processed once. Returns how many were queued."""
    if older_than_seconds is None:
        older_than_seconds = int(getattr(settings, "STOCKDATA_PHOTO_REQUEUE_AFTER_SECONDS", 15 * 60))
    cutoff = timezone.now() - _timedelta(seconds=older_than_seconds)
    ids = list(
        Photo.objects.filter(
            processing__in=[Photo.Processing.PENDING, Photo.Processing.RETRYING], updated_at__lte=cutoff
        )
        .exclude(original="")
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )
    return sum(1 for pk in ids if photo_process_enqueue(pk))


def _refuse_exact_duplicate(contributor, sha256: str) -> None:
    other = Photo.objects.filter(sha256=sha256).only("uuid", "contributor_id").first()
    if other is not None:
        raise _duplicate_error(contributor, other)


def _duplicate_error(contributor, other: Photo | None) -> ApplicationError:
    if other is not None and other.contributor_id == contributor.pk:
        return ApplicationError(
            _("You already uploaded this exact photo."),
            code=ErrorCode.DUPLICATE,
            field="file",
            extra={"duplicate_of": reverse("contributors:photo_detail", args=[other.uuid])},
        )
    return ApplicationError(
        _("This exact photo is already on the platform, uploaded by another contributor."),
        code=ErrorCode.DUPLICATE,
        field="file",
    )


def _hash_slices(phash: str) -> list[tuple[int, int]]:
    """Cut a 64-bit hash into nine disjoint slices (seven of 7 bits, two of 8 bits)."""
    value = int(phash, 16)
    widths = [7] * 7 + [8] * 2
    slices, shift = [], 0
    for band, width in enumerate(widths):
        slices.append((band, (value >> shift) & ((1 << width) - 1)))
        shift += width
    return slices


def near_duplicates_of(phash: str, *, exclude_pk: int | None = None, max_distance: int | None = None) -> list[Photo]:
    """Photos whose perceptual hash is within ``max_distance`` bits, nearest first."""
    limit = settings.STOCKDATA_NEAR_DUPLICATE_MAX_DISTANCE if max_distance is None else max_distance
    q = None
    from django.db.models import Q

    for band, value in _hash_slices(phash):
        term = Q(band=band, value=value)
        q = term if q is None else q | term
    candidate_ids = set(PhotoHashBand.objects.filter(q).values_list("photo_id", flat=True))
    candidate_ids.discard(exclude_pk)
    found = [
        (imaging.phash_distance(phash, other.phash), other.pk, other)
        for other in Photo.objects.filter(pk__in=candidate_ids)
        .exclude(phash="")
        .only("pk", "uuid", "phash", "contributor_id")
    ]
    return [photo for distance, _pk, photo in sorted(found) if distance <= limit]


class TransientStorageError(Exception):
    """Storage could not be reached; the pipeline task retries."""


def derived_key(kind: str) -> str:
    """A fresh, unguessable name for a thumbnail or preview: nothing in it comes from the photo's ids, so a
    public URL cannot be derived from an id seen elsewhere, nor found again once it was unpublished."""
    token = secrets.token_urlsafe(18)
    return f"{kind}/{token[:2]}/{token}.jpg"


def _replace(storage, name: str, data: bytes) -> str:
    """Write ``name`` exactly (never a suffixed copy), so a rerun leaves one set of files."""
    if storage.exists(name):
        storage.delete(name)
    return storage.save(name, ContentFile(data))


def photo_process(*, photo_id: int) -> Photo:
    """Make the cleaned copy, thumbnail and watermarked preview, and measure the photo.

    Idempotent: a photo already processed is left as it is, and a rerun after a
    failure overwrites the same file names, so there is only ever one set of files.
    """
    with transaction.atomic():
        photo = Photo.objects.select_for_update().get(pk=photo_id)
        if photo.processing == Photo.Processing.READY:
            return photo
        try:
            with default_storage.open(photo.original.name, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise TransientStorageError(str(exc)) from exc
        try:
            _probed, cleaned, derived = imaging.process(
                data,
                **_upload_limits(),
                watermark=settings.STOCKDATA_WATERMARK_TEXT,
            )
        except imaging.ImageRejected as exc:
            error = rejection_error(exc)
            photo.processing = Photo.Processing.FAILED
            photo.processing_error = error.message
            photo.processing_attempts += 1
            photo.save(update_fields=["processing", "processing_error", "processing_attempts", "updated_at"])
            return photo

        # Thumbnail and preview go public only with the approval (review.derived_publish).
        derived_storage = public_storage() if photo.derived_public else default_storage
        try:
            photo.cleaned.name = _replace(
                default_storage, f"cleaned/{photo.contributor_id}/{photo.uuid}.{photo.extension}", cleaned
            )
            photo.thumbnail.name = _replace(
                derived_storage, photo.thumbnail.name or derived_key("thumbs"), derived.thumbnail
            )
            photo.preview.name = _replace(
                derived_storage, photo.preview.name or derived_key("previews"), derived.preview
            )
        except OSError as exc:
            raise TransientStorageError(str(exc)) from exc

        photo.width, photo.height = derived.width, derived.height
        photo.phash = derived.phash
        photo.processing = Photo.Processing.READY
        photo.processing_error = ""
        photo.processing_attempts += 1
        PhotoHashBand.objects.filter(photo=photo).delete()
        PhotoHashBand.objects.bulk_create(
            [PhotoHashBand(photo=photo, band=band, value=value) for band, value in _hash_slices(derived.phash)]
        )
        similar = near_duplicates_of(derived.phash, exclude_pk=photo.pk)
        photo.near_duplicate_of = similar[0] if similar else None
        photo.save(
            update_fields=[
                "cleaned",
                "thumbnail",
                "preview",
                "width",
                "height",
                "phash",
                "processing",
                "processing_error",
                "processing_attempts",
                "near_duplicate_of",
                "updated_at",
            ]
        )
        # Face boxes are proposed as soon as the photo exists, so curators find them ready.
        # The photo is processed whatever the broker does: a proposal that cannot be queued is logged.
        from catalog.photos.tasks import photo_propose_boxes_task  # tasks import this module

        transaction.on_commit(lambda: _enqueue(photo_propose_boxes_task, photo.pk))
    return photo


def photo_processing_failed(*, photo_id: int, error: str, final: bool) -> None:
    """Record a failed attempt on the row, so the page shows "failed, retrying" or "failed"."""
    Photo.objects.filter(pk=photo_id).exclude(processing=Photo.Processing.READY).update(
        processing=Photo.Processing.FAILED if final else Photo.Processing.RETRYING,
        processing_error=error[:500],
        updated_at=timezone.now(),
    )

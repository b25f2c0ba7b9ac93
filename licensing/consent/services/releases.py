"""Creating and changing a model release (with its signed document), and linking it to the people in photos."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import imaging
from catalog.models import AgeBand, Photo, PhotoSubject
from catalog.photos.services import rejection_error
from licensing.consent.models import (
    RELEASE_FIELDS,
    ConsentScope,
    ModelRelease,
    ReleaseLink,
    ReleaseScope,
    new_subject_id,
)
from licensing.consent.services.scopes import photos_scope_masks_refresh
from stockdata.errors import ApplicationError, ErrorCode

# --- The signed document ------------------------------------------------------------------

RELEASE_DOCUMENT_MAX_BYTES = getattr(settings, "STOCKDATA_RELEASE_DOCUMENT_MAX_BYTES", 20 * 1024 * 1024)
# A scan only has to be legible, not printable: far below the photo minimum.
RELEASE_SCAN_MIN_LONG_SIDE = getattr(settings, "STOCKDATA_RELEASE_SCAN_MIN_LONG_SIDE", 800)
# PDF writers may end the file with whitespace or NULs after the last %%EOF.
PDF_TRAILER_WINDOW = 1024

ADULT_AGE = 18  # Japan's age of majority since April 2022


@dataclass(frozen=True)
class CheckedDocument:
    data: bytes
    format: str  # ModelRelease.DocumentFormat
    sha256: str


def release_document_check(file: UploadedFile) -> CheckedDocument:
    """A release scan is a PDF (``%PDF-`` magic and a ``%%EOF`` trailer) or a legible JPEG/PNG, by content."""
    max_mb = RELEASE_DOCUMENT_MAX_BYTES / 1_048_576
    if file.size is not None and file.size > RELEASE_DOCUMENT_MAX_BYTES:
        raise ApplicationError(
            _("The document is %(size).1f MB; it can be at most %(max).0f MB. Scan it at a lower resolution.")
            % {"size": file.size / 1_048_576, "max": max_mb},
            code=ErrorCode.TOO_LARGE_BYTES,
            field="document",
        )
    data = file.read()
    if not data:
        raise ApplicationError(
            _("The document is empty (0 bytes). Choose the file again and re-upload it."),
            code=ErrorCode.EMPTY,
            field="document",
        )
    digest = hashlib.sha256(data).hexdigest()
    if data.startswith(b"%PDF-"):
        if not data[-PDF_TRAILER_WINDOW:].rstrip(b"\x00\r\n\t ").endswith(b"%%EOF"):
            raise ApplicationError(
                _(
                    "The PDF is incomplete (it has no end-of-file marker). "
                    "Save or scan it again and upload the new file."
                ),
                code=ErrorCode.CORRUPT,
                field="document",
            )
        return CheckedDocument(data, ModelRelease.DocumentFormat.PDF, digest)
    try:
        probed = imaging.probe(
            data,
            min_long_side=RELEASE_SCAN_MIN_LONG_SIDE,
            max_pixels=settings.STOCKDATA_UPLOAD_MAX_PIXELS,
            max_bytes=RELEASE_DOCUMENT_MAX_BYTES,
        )
    except imaging.ImageRejected as exc:
        if exc.code in ("not_an_image", "unsupported_type", "animated"):
            raise ApplicationError(_document_type_message(), code=ErrorCode(exc.code), field="document") from exc
        if exc.code == "too_small":
            raise ApplicationError(
                _("The scan is %(w)s×%(h)s px; its long side must be at least %(min)s px so the signature is legible.")
                % {
                    "w": exc.params.get("width", 0),
                    "h": exc.params.get("height", 0),
                    "min": RELEASE_SCAN_MIN_LONG_SIDE,
                },
                code=ErrorCode.TOO_SMALL,
                field="document",
            ) from exc
        error = rejection_error(exc)
        raise ApplicationError(error.message, code=error.code, field="document") from exc
    if probed.format not in ("JPEG", "PNG"):
        raise ApplicationError(_document_type_message(), code=ErrorCode.UNSUPPORTED_TYPE, field="document")
    fmt = ModelRelease.DocumentFormat.JPEG if probed.format == "JPEG" else ModelRelease.DocumentFormat.PNG
    return CheckedDocument(data, fmt, digest)


def _document_type_message() -> str:
    return _("The signed release must be a PDF, or a JPEG or PNG scan or photo of the paper form.")


def _store_document(release: ModelRelease, checked: CheckedDocument) -> None:
    release.document.save(f"release.{checked.format}", ContentFile(checked.data), save=False)
    release.document_format = checked.format
    release.document_sha256 = checked.sha256
    release.document_size = len(checked.data)


def _delete_file_on_commit(name: str) -> None:
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


# --- Creating and changing a release --------------------------------------------------------


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _scopes_from_codes(codes: Iterable[str]) -> list[ConsentScope]:
    wanted = list(dict.fromkeys(codes))
    scopes = list(ConsentScope.objects.filter(code__in=wanted))
    unknown = set(wanted) - {s.code for s in scopes}
    if unknown:
        raise ApplicationError(
            _("Unknown consent scope: %(codes)s.") % {"codes": ", ".join(sorted(unknown))},
            code=ErrorCode.INVALID,
            field="scopes",
        )
    if not scopes:
        raise ApplicationError(
            _("Tick at least one consent scope, exactly as ticked on the signed form."),
            code=ErrorCode.INVALID,
            field="scopes",
        )
    return scopes


def _check_release(release: ModelRelease) -> None:
    """The facts on a release must agree with each other; a minor needs a guardian."""
    today = timezone.localdate()
    if release.date_of_birth is None and not release.age_band:
        raise ApplicationError(
            _("Give the subject's date of birth or age band."), code=ErrorCode.INVALID, field="date_of_birth"
        )
    if release.signed_on > today:
        raise ApplicationError(_("The date signed cannot be in the future."), code=ErrorCode.INVALID, field="signed_on")
    if release.date_of_birth is not None:
        if release.date_of_birth >= release.signed_on:
            raise ApplicationError(
                _("The date of birth must be before the date signed."), code=ErrorCode.INVALID, field="date_of_birth"
            )
        if _age_on(release.date_of_birth, release.signed_on) < ADULT_AGE:
            release.is_minor = True
    if release.age_band == AgeBand.CHILD:
        release.is_minor = True
    if release.expires_on is not None and release.expires_on <= release.signed_on:
        raise ApplicationError(
            _("The expiry date must be after the date signed."), code=ErrorCode.INVALID, field="expires_on"
        )
    if release.is_minor and not (release.guardian_name.strip() and release.guardian_signed):
        raise ApplicationError(
            _(
                "The subject is a minor: a parent or guardian must sign the form. "
                "Enter the guardian's name and confirm their signature."
            ),
            code=ErrorCode.GUARDIAN_REQUIRED,
            field="guardian_name",
        )
    try:
        release.full_clean(exclude=["document", "contributor", "document_format", "document_sha256", "document_size"])
    except ValidationError as exc:
        name, messages = next(iter(exc.message_dict.items()))
        raise ApplicationError(
            messages[0], code=ErrorCode.INVALID, field=None if name == NON_FIELD_ERRORS else name
        ) from exc


def _set_scopes(release: ModelRelease, scopes: Sequence[ConsentScope]) -> None:
    """Replace the ticked scopes; a scope the subject withdrew stays withdrawn."""
    existing = {rs.scope_id: rs for rs in release.release_scopes.all()}
    wanted = {s.pk for s in scopes}
    ReleaseScope.objects.filter(
        release=release, scope_id__in=set(existing) - wanted, withdrawn_at__isnull=True
    ).delete()
    ReleaseScope.objects.bulk_create([ReleaseScope(release=release, scope_id=pk) for pk in wanted - set(existing)])


@transaction.atomic
def release_create(*, contributor, document: UploadedFile, scopes: Iterable[str], **fields) -> ModelRelease:
    """Store a signed release and its scan (checked by content), pending review, under a new pseudonymous subject id."""
    unknown = set(fields) - set(RELEASE_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown fields: {', '.join(sorted(unknown))}", code=ErrorCode.INVALID)
    release = ModelRelease(contributor=contributor, **fields)
    scope_rows = _scopes_from_codes(scopes)
    _check_release(release)
    checked = release_document_check(document)
    while ModelRelease.objects.filter(subject_id=release.subject_id).exists():
        release.subject_id = new_subject_id()
    _store_document(release, checked)
    release.submitted_at = timezone.now()
    release.save()
    _set_scopes(release, scope_rows)
    return release


def _require_editable(release: ModelRelease) -> None:
    if release.origin == ModelRelease.Origin.DIGITAL:
        raise ApplicationError(
            _("The person signed this release themselves: it cannot be changed. Ask them to sign a new one."),
            code=ErrorCode.NOT_EDITABLE,
            status=409,
        )
    if not release.is_editable:
        raise ApplicationError(
            _("This release is %(status)s and can no longer be changed.")
            % {"status": release.get_status_display().lower()},
            code=ErrorCode.NOT_EDITABLE,
            status=409,
        )


def release_for_update(release: ModelRelease) -> ModelRelease:
    """The release read again under a row lock (a concurrent decision waits for this transaction)."""
    return ModelRelease.objects.select_for_update().get(pk=release.pk)


@transaction.atomic
def release_update(*, release: ModelRelease, scopes: Iterable[str] | None = None, **fields) -> ModelRelease:
    """Correct a release that is pending or rejected; an approved release is the subject's to change, by withdrawing."""
    release = release_for_update(release)
    _require_editable(release)
    unknown = set(fields) - set(RELEASE_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown fields: {', '.join(sorted(unknown))}", code=ErrorCode.INVALID)
    for name, value in fields.items():
        setattr(release, name, value)
    scope_rows = _scopes_from_codes(scopes) if scopes is not None else None
    _check_release(release)
    release.save()
    if scope_rows is not None:
        _set_scopes(release, scope_rows)
    return release


@transaction.atomic
def release_document_replace(*, release: ModelRelease, document: UploadedFile) -> ModelRelease:
    """Replace the scan of a pending or rejected release; the old file is deleted once this commits."""
    release = release_for_update(release)
    _require_editable(release)
    checked = release_document_check(document)
    old = release.document.name
    _store_document(release, checked)
    release.save(update_fields=["document", "document_format", "document_sha256", "document_size", "updated_at"])
    _delete_file_on_commit(old)
    return release


@transaction.atomic
def release_resubmit(*, release: ModelRelease) -> ModelRelease:
    """A rejected release, once fixed, goes back to the end of the review queue."""
    release = release_for_update(release)
    if release.status != ModelRelease.Status.REJECTED:
        raise ApplicationError(
            _("Only a rejected release can be resubmitted."), code=ErrorCode.NOT_REJECTED, status=409
        )
    _check_release(release)
    release.status = ModelRelease.Status.PENDING
    release.submitted_at = timezone.now()
    release.rejection_reason = ""
    release.rejection_note = ""
    release.save(update_fields=["status", "submitted_at", "rejection_reason", "rejection_note", "updated_at"])
    return release


# --- Linking releases to the people in photos ----------------------------------------------


@transaction.atomic
def release_attach(*, release: ModelRelease, subject: PhotoSubject, by=None) -> ReleaseLink:
    """Say which release covers a person in a photo; both must be the same contributor's.

    An approved photo's consent is on record: its links are not replaced.
    """
    # Fresh and locked: a review decision on the photo may be landing at the same moment.
    photo = Photo.objects.select_for_update().get(pk=subject.photo_id)
    if release.contributor_id != photo.contributor_id:
        raise ApplicationError(_("Not found."), code=ErrorCode.NOT_FOUND, status=404)
    if release.status == ModelRelease.Status.WITHDRAWN:
        raise ApplicationError(
            _("This release was withdrawn by the subject and cannot cover new photos."),
            code=ErrorCode.WITHDRAWN,
            status=409,
        )
    link = ReleaseLink.objects.select_for_update().filter(subject=subject).first()
    if link is not None:
        if link.release_id == release.pk:
            return link
        if photo.status == Photo.Status.APPROVED:
            raise ApplicationError(
                _("This photo is approved; the release of the people in it can no longer be changed."),
                code=ErrorCode.NOT_EDITABLE,
                status=409,
            )
        link.release = release
        link.linked_by = by
        link.save(update_fields=["release", "linked_by"])
    else:
        link = ReleaseLink.objects.create(subject=subject, release=release, linked_by=by)
    photos_scope_masks_refresh([photo.pk])
    return link


@transaction.atomic
def release_detach(*, subject: PhotoSubject) -> None:
    """Remove a subject's release, unless the photo is approved (its consent is on record)."""
    photo = Photo.objects.select_for_update().get(pk=subject.photo_id)
    if photo.status == Photo.Status.APPROVED:
        raise ApplicationError(
            _("This photo is approved; the release of the people in it can no longer be changed."),
            code=ErrorCode.NOT_EDITABLE,
            status=409,
        )
    ReleaseLink.objects.filter(subject=subject).delete()
    photos_scope_masks_refresh([photo.pk])

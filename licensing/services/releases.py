"""Every write to model releases and consent: create, attach, review, withdraw, opt out, notify."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog import imaging
from catalog import services as catalog_services
from catalog.models import AgeBand, Photo, PhotoSubject
from contributors.models import Notification
from licensing.models import (
    ConsentScope,
    ConsentWithdrawal,
    ContributorOptOut,
    ModelRelease,
    ReleaseLink,
    ReleaseScope,
    ReviewDecision,
    new_subject_id,
    scope_bits_free,
)
from stockdata.errors import ApplicationError

logger = logging.getLogger(__name__)

# --- The consent scopes of the form --------------------------------------------------------

# The lines of the release form the platform started with. Migration 0002 installs its own
# frozen copy; this one restores them where a database was emptied (a test flush) before a demo seed.
DEFAULT_CONSENT_SCOPES = [
    dict(
        code="publication",
        position=10,
        is_ai_use=False,
        is_biometric=False,
        name_en="Publication (editorial and commercial use of the image)",
        name_ja="掲載（画像の編集・商用利用）",
        description_en="The image may be published and licensed for editorial and commercial use.",
        description_ja="画像を掲載し、編集・商用目的で利用許諾することに同意します。",
    ),
    dict(
        code="ai_training",
        position=20,
        is_ai_use=True,
        is_biometric=False,
        name_en="AI / machine-learning training",
        name_ja="AI・機械学習の学習への利用",
        description_en="The image may be used to train and evaluate machine-learning models.",
        description_ja="画像を機械学習モデルの学習・評価に利用することに同意します。",
    ),
    dict(
        code="biometric",
        position=30,
        is_ai_use=True,
        is_biometric=True,
        name_en="Biometric processing (face data for machine learning)",
        name_ja="生体データ（顔の特徴）の処理",
        description_en="Features of the face may be measured and processed as biometric data for machine learning.",
        description_ja="顔の特徴を生体データとして測定・処理し、機械学習に利用することに同意します。",
    ),
    dict(
        code="unique_identification",
        position=40,
        is_ai_use=True,
        is_biometric=True,
        name_en="Unique identification (training systems that identify people)",
        name_ja="個人識別（人物を識別するシステムの学習）",
        description_en="The image may be used to train systems that recognise or identify individual people.",
        description_ja="個人を認識・識別するシステムの学習に画像を利用することに同意します。",
    ),
]


@transaction.atomic
def consent_scopes_ensure() -> int:
    """Create the default scopes that are missing; existing rows (perhaps edited by staff) are left as they are."""
    existing = set(ConsentScope.objects.values_list("code", flat=True))
    missing = [ConsentScope(**scope) for scope in DEFAULT_CONSENT_SCOPES if scope["code"] not in existing]
    for scope, bit in zip(missing, scope_bits_free(len(missing)), strict=True):
        scope.bit = bit
    ConsentScope.objects.bulk_create(missing)
    if missing:  # photos without people hold every scope, the new ones too
        photos_scope_masks_refresh(Photo.objects.filter(no_people=True).values_list("pk", flat=True))
    return len(missing)


# --- The stored consent masks ----------------------------------------------------------------

SCOPE_MASK_BATCH = 5000


def photos_scope_masks_refresh(photo_ids: Iterable[int] | None = None) -> int:
    """Recompute ``Photo.scope_mask`` from the consent rule for these photos (all with None).

    Every service below that changes what a photo holds calls this for the photos it
    touched; the nightly ``scope_masks_refresh_task`` runs it over every photo, which is
    when a release that expired stops counting. Returns how many masks changed.
    """
    from licensing.selectors import photos_scope_masks

    if photo_ids is None:
        photo_ids = Photo.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=SCOPE_MASK_BATCH)
    changed = 0
    batch: list[int] = []
    for pk in photo_ids:
        batch.append(pk)
        if len(batch) == SCOPE_MASK_BATCH:
            changed += _masks_write(photos_scope_masks(batch))
            batch = []
    if batch:
        changed += _masks_write(photos_scope_masks(batch))
    return changed


def _masks_write(masks: dict[int, int]) -> int:
    current = dict(Photo.objects.filter(pk__in=list(masks)).values_list("pk", "scope_mask"))
    by_mask: dict[int, list[int]] = {}
    for pk, mask in masks.items():
        if pk in current and current[pk] != mask:
            by_mask.setdefault(mask, []).append(pk)
    for mask, ids in by_mask.items():  # a handful of distinct masks: one UPDATE each
        Photo.objects.filter(pk__in=ids).update(scope_mask=mask)
    return sum(len(ids) for ids in by_mask.values())


def _release_photo_ids(release: ModelRelease) -> list[int]:
    return list(ReleaseLink.objects.filter(release=release).values_list("subject__photo_id", flat=True))


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
            code="too_large_bytes",
            field="document",
        )
    data = file.read()
    if not data:
        raise ApplicationError(
            _("The document is empty (0 bytes). Choose the file again and re-upload it."),
            code="empty",
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
                code="corrupt",
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
            raise ApplicationError(_document_type_message(), code=exc.code, field="document") from exc
        if exc.code == "too_small":
            raise ApplicationError(
                _("The scan is %(w)s×%(h)s px; its long side must be at least %(min)s px so the signature is legible.")
                % {
                    "w": exc.params.get("width", 0),
                    "h": exc.params.get("height", 0),
                    "min": RELEASE_SCAN_MIN_LONG_SIDE,
                },
                code="too_small",
                field="document",
            ) from exc
        error = catalog_services.rejection_error(exc)
        raise ApplicationError(error.message, code=error.code, field="document") from exc
    if probed.format not in ("JPEG", "PNG"):
        raise ApplicationError(_document_type_message(), code="unsupported_type", field="document")
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

RELEASE_FIELDS = (
    "reference",
    "subject_name",
    "subject_contact",
    "date_of_birth",
    "age_band",
    "is_minor",
    "guardian_name",
    "guardian_signed",
    "signed_on",
    "shoot_date",
    "shoot_place",
    "photographer_name",
    "witness_name",
    "form_language",
    "expires_on",
)


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _scopes_from_codes(codes: Iterable[str]) -> list[ConsentScope]:
    wanted = list(dict.fromkeys(codes))
    scopes = list(ConsentScope.objects.filter(code__in=wanted))
    unknown = set(wanted) - {s.code for s in scopes}
    if unknown:
        raise ApplicationError(
            _("Unknown consent scope: %(codes)s.") % {"codes": ", ".join(sorted(unknown))},
            code="invalid",
            field="scopes",
        )
    if not scopes:
        raise ApplicationError(
            _("Tick at least one consent scope, exactly as ticked on the signed form."), code="invalid", field="scopes"
        )
    return scopes


def _check_release(release: ModelRelease) -> None:
    """The facts on a release must agree with each other; a minor needs a guardian."""
    today = timezone.localdate()
    if release.date_of_birth is None and not release.age_band:
        raise ApplicationError(
            _("Give the subject's date of birth or age band."), code="invalid", field="date_of_birth"
        )
    if release.signed_on > today:
        raise ApplicationError(_("The date signed cannot be in the future."), code="invalid", field="signed_on")
    if release.date_of_birth is not None:
        if release.date_of_birth >= release.signed_on:
            raise ApplicationError(
                _("The date of birth must be before the date signed."), code="invalid", field="date_of_birth"
            )
        if _age_on(release.date_of_birth, release.signed_on) < ADULT_AGE:
            release.is_minor = True
    if release.age_band == AgeBand.CHILD:
        release.is_minor = True
    if release.expires_on is not None and release.expires_on <= release.signed_on:
        raise ApplicationError(_("The expiry date must be after the date signed."), code="invalid", field="expires_on")
    if release.is_minor and not (release.guardian_name.strip() and release.guardian_signed):
        raise ApplicationError(
            _(
                "The subject is a minor: a parent or guardian must sign the form. "
                "Enter the guardian's name and confirm their signature."
            ),
            code="guardian_required",
            field="guardian_name",
        )
    try:
        release.full_clean(exclude=["document", "contributor", "document_format", "document_sha256", "document_size"])
    except ValidationError as exc:
        name, messages = next(iter(exc.message_dict.items()))
        raise ApplicationError(messages[0], code="invalid", field=None if name == NON_FIELD_ERRORS else name) from exc


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
        raise ApplicationError(f"Unknown fields: {', '.join(sorted(unknown))}", code="invalid")
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
    if not release.is_editable:
        raise ApplicationError(
            _("This release is %(status)s and can no longer be changed.")
            % {"status": release.get_status_display().lower()},
            code="not_editable",
            status=409,
        )


def _locked(release: ModelRelease) -> ModelRelease:
    return ModelRelease.objects.select_for_update().get(pk=release.pk)


@transaction.atomic
def release_update(*, release: ModelRelease, scopes: Iterable[str] | None = None, **fields) -> ModelRelease:
    """Correct a release that is pending or rejected; an approved release is the subject's to change, by withdrawing."""
    release = _locked(release)
    _require_editable(release)
    unknown = set(fields) - set(RELEASE_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown fields: {', '.join(sorted(unknown))}", code="invalid")
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
    release = _locked(release)
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
    release = _locked(release)
    if release.status != ModelRelease.Status.REJECTED:
        raise ApplicationError(_("Only a rejected release can be resubmitted."), code="not_rejected", status=409)
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
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    if release.status == ModelRelease.Status.WITHDRAWN:
        raise ApplicationError(
            _("This release was withdrawn by the subject and cannot cover new photos."), code="withdrawn", status=409
        )
    if photo.status == Photo.Status.WITHDRAWN:
        raise ApplicationError(_("This photo was withdrawn."), code="withdrawn", status=409)
    link = ReleaseLink.objects.select_for_update().filter(subject=subject).first()
    if link is not None:
        if link.release_id == release.pk:
            return link
        if photo.status == Photo.Status.APPROVED:
            raise ApplicationError(
                _("This photo is approved; the release of the people in it can no longer be changed."),
                code="not_editable",
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
            code="not_editable",
            status=409,
        )
    ReleaseLink.objects.filter(subject=subject).delete()
    photos_scope_masks_refresh([photo.pk])


# --- Review ---------------------------------------------------------------------------------

RELEASE_REJECTION_REASONS = {
    "signature_missing": gettext_lazy("The subject's signature is missing on the form."),
    "names_mismatch": gettext_lazy("The names on the form do not match the details entered."),
    "dates_inconsistent": gettext_lazy("The dates do not agree (date signed, shoot date or date of birth)."),
    "guardian_missing": gettext_lazy("The subject is a minor and the guardian's name or signature is missing."),
    "scopes_illegible": gettext_lazy("The consent scopes ticked on the form are not legible."),
    "document_unreadable": gettext_lazy("The scan is unreadable or incomplete; upload a clear scan of every page."),
    "other": gettext_lazy("Other (see the reviewer's note)."),
}


def rejection_reason_label(kind: str, reason: str) -> str:
    reasons = (
        RELEASE_REJECTION_REASONS if kind == ReviewDecision.Kind.RELEASE else catalog_services.PHOTO_REJECTION_REASONS
    )
    return str(reasons.get(reason, reason)) if reason else ""


def _record(*, kind, obj, decision, reviewer, reason: str = "", note: str = "") -> ReviewDecision:
    return ReviewDecision.objects.create(
        kind=kind,
        item_uuid=obj.uuid,
        photo=obj if kind == ReviewDecision.Kind.PHOTO else None,
        release=obj if kind == ReviewDecision.Kind.RELEASE else None,
        decision=decision,
        reason=reason,
        note=note,
        reviewer=reviewer,
    )


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # the page belongs to a feature not installed yet
        return ""


@transaction.atomic
def release_approve(*, release: ModelRelease, reviewer) -> ModelRelease:
    """Only a pending, unexpired release can be approved, and a minor's only with a guardian's name and signature."""
    release = _locked(release)
    if release.status != ModelRelease.Status.PENDING:
        raise ApplicationError(_("Only a release waiting for review can be approved."), code="not_pending", status=409)
    if release.is_minor and not (release.guardian_name.strip() and release.guardian_signed):
        raise ApplicationError(
            _(
                "Release %(id)s is for a minor and has no guardian's name and signature: it cannot be approved. "
                "Reject it with the reason “guardian missing”."
            )
            % {"id": release.subject_id},
            code="guardian_required",
            status=409,
        )
    if release.is_expired:
        raise ApplicationError(
            _("Release %(id)s expired on %(date)s and cannot be approved.")
            % {"id": release.subject_id, "date": release.expires_on.isoformat()},
            code="expired",
            status=409,
        )
    release.status = ModelRelease.Status.APPROVED
    release.reviewed_at = timezone.now()
    release.rejection_reason = ""
    release.rejection_note = ""
    release.save(update_fields=["status", "reviewed_at", "rejection_reason", "rejection_note", "updated_at"])
    photos_scope_masks_refresh(_release_photo_ids(release))
    _record(kind=ReviewDecision.Kind.RELEASE, obj=release, decision=ReviewDecision.Decision.APPROVED, reviewer=reviewer)
    notification_send(
        user=release.contributor,
        kind="release_approved",
        params={"subject_id": release.subject_id},
        url=_url("licensing:release_detail", release.uuid),
        email=False,
    )
    if not release.withdrawal_token_hash:
        release_withdrawal_link_issue(release=release, send_to_subject=True)
    return release


def _check_reason(reasons: dict, reason: str, note: str) -> None:
    if reason not in reasons:
        raise ApplicationError(_("Choose a rejection reason."), code="invalid", field="reason")
    if reason == "other" and not note.strip():
        raise ApplicationError(_("Explain the rejection in the note."), code="invalid", field="note")


@transaction.atomic
def release_reject(*, release: ModelRelease, reviewer, reason: str, note: str = "") -> ModelRelease:
    """A rejection carries a standard reason (and "other" a note) that the contributor is told, so they can fix it."""
    release = _locked(release)
    if release.status != ModelRelease.Status.PENDING:
        raise ApplicationError(_("Only a release waiting for review can be rejected."), code="not_pending", status=409)
    _check_reason(RELEASE_REJECTION_REASONS, reason, note)
    release.status = ModelRelease.Status.REJECTED
    release.reviewed_at = timezone.now()
    release.rejection_reason = reason
    release.rejection_note = note.strip()
    release.save(update_fields=["status", "reviewed_at", "rejection_reason", "rejection_note", "updated_at"])
    _record(
        kind=ReviewDecision.Kind.RELEASE,
        obj=release,
        decision=ReviewDecision.Decision.REJECTED,
        reviewer=reviewer,
        reason=reason,
        note=release.rejection_note,
    )
    notification_send(
        user=release.contributor,
        kind="release_rejected",
        params={"subject_id": release.subject_id, "reason": reason, "note": release.rejection_note},
        url=_url("licensing:release_detail", release.uuid),
    )
    return release


def _photo_releases(photo: Photo) -> tuple[list[PhotoSubject], list[ModelRelease]]:
    subjects = list(photo.subjects.select_related("release_link__release").order_by("position"))
    releases = {}
    for subject in subjects:
        link = getattr(subject, "release_link", None)
        if link is not None:
            releases[link.release_id] = link.release
    return subjects, list(releases.values())


@transaction.atomic
def photo_review_approve(*, photo: Photo, reviewer) -> Photo:
    """Approve a photo together with the pending releases of the people in it.

    Every person in the photo must be covered by a release that is approved or approved
    now; otherwise nothing changes and the reviewer is told which person lacks one.
    """
    subjects, releases = _photo_releases(photo)
    if not photo.no_people:
        if not subjects:
            raise ApplicationError(
                _("The people in this photo are not described. Reject the photo with the reason “metadata”."),
                code="no_subjects",
                status=409,
            )
        for subject in subjects:
            link = getattr(subject, "release_link", None)
            release = link.release if link is not None else None
            if release is None or release.status in (ModelRelease.Status.REJECTED, ModelRelease.Status.WITHDRAWN):
                raise ApplicationError(
                    _(
                        "Person %(n)s in this photo has no valid model release. "
                        "Reject the photo with the reason “no release”."
                    )
                    % {"n": subject.position},
                    code="no_release",
                    status=409,
                )
    for release in releases:
        if release.status == ModelRelease.Status.PENDING:
            release_approve(release=release, reviewer=reviewer)
        elif release.is_expired:
            raise ApplicationError(
                _("Release %(id)s expired on %(date)s.")
                % {"id": release.subject_id, "date": release.expires_on.isoformat()},
                code="expired",
                status=409,
            )
    photo = catalog_services.photo_approve(photo=photo, reviewer=reviewer)
    _record(kind=ReviewDecision.Kind.PHOTO, obj=photo, decision=ReviewDecision.Decision.APPROVED, reviewer=reviewer)
    notification_send(
        user=photo.contributor,
        kind="photo_approved",
        params={"photo": str(photo)},
        url=_url("contributors:photo_detail", photo.uuid),
        email=False,
    )
    return photo


@transaction.atomic
def photo_review_reject(*, photo: Photo, reviewer, reason: str, note: str = "", release_reason: str = "") -> Photo:
    """Reject a photo with a standard reason. With ``release_reason`` the fault is in the
    release: the pending releases of the people in it are rejected with that reason too,
    and the photo with "no release"."""
    if release_reason:
        _check_reason(RELEASE_REJECTION_REASONS, release_reason, note)
        reason = "no_release"
        _subjects, releases = _photo_releases(photo)
        for release in releases:
            if release.status == ModelRelease.Status.PENDING:
                release_reject(release=release, reviewer=reviewer, reason=release_reason, note=note)
    photo = catalog_services.photo_reject(photo=photo, reviewer=reviewer, reason=reason, note=note)
    _record(
        kind=ReviewDecision.Kind.PHOTO,
        obj=photo,
        decision=ReviewDecision.Decision.REJECTED,
        reviewer=reviewer,
        reason=reason,
        note=photo.rejection_note,
    )
    notification_send(
        user=photo.contributor,
        kind="photo_rejected",
        params={"photo": str(photo), "reason": reason, "note": photo.rejection_note},
        url=_url("contributors:photo_detail", photo.uuid),
    )
    return photo


@dataclass
class BulkResult:
    approved: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)


def review_bulk_approve(*, reviewer, photos: Sequence[Photo] = (), releases: Sequence[ModelRelease] = ()) -> BulkResult:
    """Approve a selection; each item succeeds or fails on its own, and a failure says why."""
    result = BulkResult()
    for release in releases:
        try:
            release_approve(release=release, reviewer=reviewer)
        except ApplicationError as exc:
            result.errors.append((release.subject_id, exc.message))
        else:
            result.approved += 1
    for photo in photos:
        try:
            photo_review_approve(photo=photo, reviewer=reviewer)
        except ApplicationError as exc:
            result.errors.append((str(photo), exc.message))
        else:
            result.approved += 1
    return result


# --- The subject's secret link and withdrawal -------------------------------------------------

EMAIL_RE = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def release_withdrawal_link_issue(*, release: ModelRelease, send_to_subject: bool = False) -> str:
    """Give the subject a new secret link (any older one stops working); only its hash is kept.

    Returns the link's path. With ``send_to_subject`` it is emailed, once this commits, to
    the subject's contact when that is an email address; the token never enters the task queue.
    """
    secret = secrets.token_urlsafe(24)
    release.withdrawal_token_hash = token_hash(secret)
    release.save(update_fields=["withdrawal_token_hash", "updated_at"])
    path = reverse("licensing:consent", args=[f"{release.uuid.hex}.{secret}"])
    if send_to_subject:
        match = EMAIL_RE.search(release.subject_contact)
        if match:
            address = match.group(0)
            transaction.on_commit(lambda: _email_subject_link(release.pk, address, path))
    return path


def _email_subject_link(release_id: int, address: str, path: str) -> None:
    release = ModelRelease.objects.select_related("contributor__contributor_profile").get(pk=release_id)
    language = release.form_language if release.form_language in ("ja", "en") else "en"
    with translation.override(language):
        scopes = ", ".join(
            rs.scope.name for rs in release.release_scopes.select_related("scope") if rs.withdrawn_at is None
        )
        body = _(
            "You signed a model release (id %(id)s) on %(date)s for the photographer %(photographer)s.\n\n"
            "You consented to: %(scopes)s.\n\n"
            "At any time you can see which photos it covers and to whom they were provided, and withdraw "
            "your consent in whole or in part, at this private link (keep it to yourself):\n%(url)s\n"
        ) % {
            "id": release.subject_id,
            "date": release.signed_on.isoformat(),
            "photographer": release.photographer_name,
            "scopes": scopes,
            "url": settings.SITE_URL.rstrip("/") + path,
        }
        subject = _("Your model release %(id)s: your consent and how to withdraw it") % {"id": release.subject_id}
    try:
        send_mail(subject, body, None, [address])
    except Exception:  # the link can be issued again by staff; the approval stands
        logger.exception("could not email the withdrawal link of release %s", release_id)


@transaction.atomic
def consent_withdraw(
    *,
    release: ModelRelease,
    scopes: Collection[str] | None = None,
    channel: str = ConsentWithdrawal.Channel.LINK,
    recorded_by=None,
    received_on: date | None = None,
    note: str = "",
) -> ConsentWithdrawal:
    """Withdraw some scopes (or, with ``scopes=None``, the whole consent), effective at once.

    Withdrawn scopes are stamped, not deleted, so the record of what was granted stays;
    when nothing is left the release is withdrawn. The contributor is told.
    """
    release = _locked(release)
    if release.status == ModelRelease.Status.WITHDRAWN:
        raise ApplicationError(_("This consent has already been withdrawn."), code="withdrawn", status=409)
    active = {rs.scope.code: rs for rs in release.release_scopes.select_related("scope") if rs.withdrawn_at is None}
    if scopes is None:
        chosen = set(active)
    else:
        chosen = set(scopes)
        if not chosen:
            raise ApplicationError(_("Choose what to withdraw."), code="invalid", field="scopes")
        unknown = chosen - set(active)
        if unknown:
            raise ApplicationError(
                _("These scopes are not granted by this release: %(codes)s.") % {"codes": ", ".join(sorted(unknown))},
                code="invalid",
                field="scopes",
            )
    now = timezone.now()
    entire = chosen == set(active)
    withdrawal = ConsentWithdrawal.objects.create(
        release=release,
        entire=entire,
        channel=channel,
        recorded_by=recorded_by,
        received_on=received_on or timezone.localdate(),
        note=note.strip(),
    )
    withdrawal.scopes.set([active[code].scope for code in chosen])
    ReleaseScope.objects.filter(pk__in=[active[code].pk for code in chosen]).update(
        withdrawn_at=now, withdrawal=withdrawal
    )
    if entire:
        release.status = ModelRelease.Status.WITHDRAWN
        release.withdrawn_at = now
        release.save(update_fields=["status", "withdrawn_at", "updated_at"])
    photos_scope_masks_refresh(_release_photo_ids(release))
    notification_send(
        user=release.contributor,
        kind="consent_withdrawn",
        params={"subject_id": release.subject_id, "scopes": sorted(chosen), "entire": entire},
        url=_url("licensing:release_detail", release.uuid),
    )
    # Buyers who already received this person's photos are told which files to delete.
    from licensing.bundles import bundle_withdrawal_notices

    bundle_withdrawal_notices(withdrawal=withdrawal)
    return withdrawal


# --- Contributor opt-out ----------------------------------------------------------------------


@transaction.atomic
def opt_out_set(*, contributor, kind: str, photos: Sequence[Photo] | None = None) -> None:
    """Keep all photos (``photos=None``) or some out of AI training or biometric uses; ``kind=""`` clears.

    Takes effect at once, as a missing scope: the consent selectors read it.
    """
    if kind and kind not in ContributorOptOut.Kind.values:
        raise ApplicationError(_("Choose a valid option."), code="invalid", field="kind")
    if photos is None:
        ContributorOptOut.objects.filter(contributor=contributor, photo__isnull=True).delete()
        if kind:
            ContributorOptOut.objects.create(contributor=contributor, kind=kind)
        photos_scope_masks_refresh(Photo.objects.filter(contributor=contributor).values_list("pk", flat=True))
        return
    if any(p.contributor_id != contributor.pk for p in photos):
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    ids = [p.pk for p in photos]
    ContributorOptOut.objects.filter(contributor=contributor, photo_id__in=ids).delete()
    if kind:
        ContributorOptOut.objects.bulk_create(
            [ContributorOptOut(contributor=contributor, photo_id=pk, kind=kind) for pk in ids]
        )
    photos_scope_masks_refresh(ids)


# --- Notifications ------------------------------------------------------------------------------


def notification_send(*, user, kind: str, params: dict, url: str = "", email: bool = True) -> Notification:
    """Put a message in the contributor's portal and, with ``email``, mail it once this commits."""
    notification = Notification.objects.create(user=user, kind=kind, params=params, url=url)
    if email:
        from licensing.tasks import notification_email_task

        notification_email_task.delay_on_commit(notification.pk)
    return notification


def notification_email_send(*, notification_id: int) -> None:
    """Email a notification once: in Japanese and English, since accounts have no language yet."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().select_related("user").filter(pk=notification_id).first()
        )
        if notification is None or notification.emailed_at is not None:
            return
        parts, subjects = [], []
        for language in ("ja", "en"):
            with translation.override(language):
                title, body = notification.text()
            if title not in subjects:
                subjects.append(title)
                parts.append(f"{title}\n\n{body}")
        link = settings.SITE_URL.rstrip("/") + (notification.url or reverse("licensing:notifications"))
        message = "\n\n----------------------------------------\n\n".join(parts) + f"\n\n{link}\n"
        send_mail("[Stockdata] " + " / ".join(subjects), message, None, [notification.user.email])
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])


def notifications_mark_read(*, user) -> int:
    """Mark every unread notification of ``user`` as read."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())

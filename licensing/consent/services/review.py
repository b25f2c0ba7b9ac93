"""Review decisions on photos and releases: approve, reject, in bulk; every decision recorded."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Photo, PhotoSubject
from catalog.photos.services import photo_approve, photo_reject
from licensing.consent.models import ConsentReceipt, ModelRelease, Origin, ReleaseRejectionReason, ReviewDecision
from licensing.consent.selectors import confirmed_contact_email, photo_revision, release_revision
from licensing.consent.services.contact import release_contact_confirmation_send
from licensing.consent.services.receipts import receipt_issue
from licensing.consent.services.releases import release_for_update as _locked
from licensing.consent.services.scopes import photos_publication_sync, photos_scope_masks_refresh, release_photo_ids
from licensing.consent.services.withdrawal import EMAIL_RE, release_withdrawal_link_issue
from stockdata.dates import format_date
from stockdata.errors import ApplicationError, ErrorCode
from stockdata.notifications.services import notification_send, page_url

# --- Review ---------------------------------------------------------------------------------


def _record(
    *, kind, obj, decision, reviewer, reason: str = "", note: str = "", revision: str = "", checklist=()
) -> ReviewDecision:
    return ReviewDecision.objects.create(
        kind=kind,
        item_uuid=obj.uuid,
        photo=obj if kind == ReviewDecision.Kind.PHOTO else None,
        release=obj if kind == ReviewDecision.Kind.RELEASE else None,
        decision=decision,
        reason=reason,
        note=note,
        reviewer=reviewer,
        revision=revision,
        checklist=sorted(checklist),
    )


# What a reviewer confirms against a paper release's scan, one tick each (the review page's checklist).
RELEASE_CHECKLIST = ("signature", "names", "dates", "guardian", "scopes")


def _changed_since_opened(label: str) -> ApplicationError:
    return ApplicationError(
        _("%(item)s changed since you opened it. Look at it again before deciding.") % {"item": label},
        code=ErrorCode.CHANGED_SINCE_OPENED,
        status=409,
    )


@transaction.atomic
def release_approve(
    *, release: ModelRelease, reviewer, revision: str | None = None, checklist: Collection[str] | None = None
) -> ModelRelease:
    """Only a pending, unexpired release can be approved, and a minor's only with a guardian's name and signature.

    From a review page, ``revision`` is what the page showed (``selectors.release_revision``): a release
    changed since is refused. ``checklist`` holds the items the reviewer ticked; a paper release needs
    every one of ``RELEASE_CHECKLIST``, and they are kept with the decision. (Callers that are not a
    reviewer's page, such as the demo seed, pass neither.)
    """
    release = _locked(release)
    if release.status != ModelRelease.Status.PENDING:
        raise ApplicationError(
            _("Only a release waiting for review can be approved."), code=ErrorCode.NOT_PENDING, status=409
        )
    current = release_revision(release)
    if revision is not None and revision != current:
        raise _changed_since_opened(_("Release %(id)s") % {"id": release.subject_id})
    if release.is_minor and not (release.guardian_name.strip() and release.guardian_signed):
        raise ApplicationError(
            _(
                "Release %(id)s is for a minor and has no guardian's name and signature: it cannot be approved. "
                "Reject it with the reason “guardian missing”."
            )
            % {"id": release.subject_id},
            code=ErrorCode.GUARDIAN_REQUIRED,
            status=409,
        )
    if release.is_expired:
        raise ApplicationError(
            _("Release %(id)s expired on %(date)s and cannot be approved.")
            % {"id": release.subject_id, "date": format_date(release.expires_on)},
            code=ErrorCode.EXPIRED,
            status=409,
        )
    if checklist is not None and release.origin == Origin.PAPER:
        missing = [key for key in RELEASE_CHECKLIST if key not in set(checklist)]
        if missing:
            raise ApplicationError(
                _(
                    "Release %(id)s: tick every checklist item after checking it against the scan "
                    "(%(count)s not ticked)."
                )
                % {"id": release.subject_id, "count": len(missing)},
                code=ErrorCode.CHECKLIST_INCOMPLETE,
                status=409,
            )
    release.status = ModelRelease.Status.APPROVED
    release.reviewed_at = timezone.now()
    release.rejection_reason = ""
    release.rejection_note = ""
    release.save(update_fields=["status", "reviewed_at", "rejection_reason", "rejection_note", "updated_at"])
    photos_scope_masks_refresh(release_photo_ids(release))
    _record(
        kind=ReviewDecision.Kind.RELEASE,
        obj=release,
        decision=ReviewDecision.Decision.APPROVED,
        reviewer=reviewer,
        revision=current,
        checklist=[key for key in RELEASE_CHECKLIST if key in set(checklist or ())],
    )
    receipt_issue(release=release, event=ConsentReceipt.Event.GIVEN)
    notification_send(
        user=release.contributor,
        kind="release_approved",
        params={"subject_id": release.subject_id},
        url=page_url("licensing:release_detail", release.uuid),
        email=False,
    )
    if confirmed_contact_email(release):
        if not release.withdrawal_token_hash:
            release_withdrawal_link_issue(release=release, send_to_subject=True)
    elif EMAIL_RE.search(release.subject_contact):
        # The address was typed by the photographer: ask its holder to confirm it; the link follows.
        release_contact_confirmation_send(release=release)
    return release


def _check_reason(reasons: list[str], reason: str, note: str) -> None:
    if reason not in reasons:
        raise ApplicationError(_("Choose a rejection reason."), code=ErrorCode.INVALID, field="reason")
    if reason == "other" and not note.strip():
        raise ApplicationError(_("Explain the rejection in the note."), code=ErrorCode.INVALID, field="note")


@transaction.atomic
def release_reject(*, release: ModelRelease, reviewer, reason: str, note: str = "") -> ModelRelease:
    """A rejection carries a standard reason (and "other" a note) that the contributor is told, so they can fix it."""
    release = _locked(release)
    if release.status != ModelRelease.Status.PENDING:
        raise ApplicationError(
            _("Only a release waiting for review can be rejected."), code=ErrorCode.NOT_PENDING, status=409
        )
    _check_reason(ReleaseRejectionReason.values, reason, note)
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
        url=page_url("licensing:release_detail", release.uuid),
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
def photo_review_approve(
    *,
    photo: Photo,
    reviewer,
    revision: str | None = None,
    checklists: Mapping[str, Collection[str]] | None = None,
) -> Photo:
    """Approve a photo together with the pending releases of the people in it.

    Every person in the photo must be covered by a release that is approved or approved
    now; otherwise nothing changes and the reviewer is told which person lacks one. From the
    review page, ``revision`` (``selectors.photo_revision``) refuses a photo or release changed
    since the page was shown, and ``checklists`` (per release uuid) are what the reviewer ticked.
    """
    photo = Photo.objects.select_for_update().get(pk=photo.pk)
    current = photo_revision(photo)
    if revision is not None and revision != current:
        raise _changed_since_opened(_("Photo “%(photo)s”") % {"photo": photo})
    subjects, releases = _photo_releases(photo)
    if not photo.no_people:
        if not subjects:
            raise ApplicationError(
                _("The people in this photo are not described. Reject the photo with the reason “metadata”."),
                code=ErrorCode.NO_SUBJECTS,
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
                    code=ErrorCode.NO_RELEASE,
                    status=409,
                )
    for release in releases:
        if release.status == ModelRelease.Status.PENDING:
            checklist = None if checklists is None else checklists.get(str(release.uuid), ())
            release_approve(release=release, reviewer=reviewer, checklist=checklist)
        elif release.is_expired:
            raise ApplicationError(
                _("Release %(id)s expired on %(date)s.")
                % {"id": release.subject_id, "date": format_date(release.expires_on)},
                code=ErrorCode.EXPIRED,
                status=409,
            )
    photo = photo_approve(photo=photo, reviewer=reviewer, publish=False)
    photos_publication_sync([photo.pk])  # its previews go public only if everyone in it consents to publication
    photo.refresh_from_db()
    _record(
        kind=ReviewDecision.Kind.PHOTO,
        obj=photo,
        decision=ReviewDecision.Decision.APPROVED,
        reviewer=reviewer,
        revision=current,
    )
    notification_send(
        user=photo.contributor,
        kind="photo_approved",
        params={"photo": str(photo)},
        url=page_url("contributors:photo_detail", photo.uuid),
        email=False,
    )
    return photo


@transaction.atomic
def photo_review_reject(*, photo: Photo, reviewer, reason: str, note: str = "", release_reason: str = "") -> Photo:
    """Reject a photo with a standard reason. With ``release_reason`` the fault is in the
    release: the pending releases of the people in it are rejected with that reason too,
    and the photo with "no release"."""
    if release_reason:
        _check_reason(ReleaseRejectionReason.values, release_reason, note)
        reason = "no_release"
        _subjects, releases = _photo_releases(photo)
        for release in releases:
            if release.status == ModelRelease.Status.PENDING:
                release_reject(release=release, reviewer=reviewer, reason=release_reason, note=note)
    photo = photo_reject(photo=photo, reviewer=reviewer, reason=reason, note=note)
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
        url=page_url("contributors:photo_detail", photo.uuid),
    )
    return photo


@dataclass
class BulkResult:
    approved: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)


def review_bulk_approve(*, reviewer, photos: Sequence[Photo] = (), releases: Sequence[ModelRelease] = ()) -> BulkResult:
    """Approve a selection; each item succeeds or fails on its own, and a failure says why.

    Nothing in a selection was checked against a paper release's scan: such a release (or a photo
    that would approve one) is refused here, to be opened and its checklist ticked."""
    result = BulkResult()
    for release in releases:
        try:
            release_approve(release=release, reviewer=reviewer, checklist=())
        except ApplicationError as exc:
            result.errors.append((release.subject_id, exc.message))
        else:
            result.approved += 1
    for photo in photos:
        try:
            photo_review_approve(photo=photo, reviewer=reviewer, checklists={})
        except ApplicationError as exc:
            result.errors.append((str(photo), exc.message))
        else:
            result.approved += 1
    return result

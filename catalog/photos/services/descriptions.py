"""Describing photos (title, keywords, the people in them), submitting and deleting them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Photo, PhotoSubject
from catalog.photos.services.uploads import normalise_tag, tags_get_or_create
from catalog.photos.signals import photo_consent_changed
from stockdata.errors import ApplicationError, ErrorCode
from stockdata.storage import public_storage


@dataclass(frozen=True)
class SubjectData:
    age_band: str = ""
    gender: str = ""
    ethnicity: str = ""
    mask: bool = False
    glasses: bool = False
    hat: bool = False
    angle: str = ""


# The most people one photo can list (the API and the pages keep the same limit).
MAX_PEOPLE = 50

DESCRIPTION_FIELDS = (
    "title",
    "title_ja",
    "description",
    "shoot_date",
    "country",
    "prefecture",
    "lighting",
    "no_people",
)


def _require_editable(photo: Photo) -> None:
    if not photo.is_editable:
        raise ApplicationError(
            _("This photo is %(status)s and can no longer be edited.") % {"status": photo.get_status_display().lower()},
            code=ErrorCode.NOT_EDITABLE,
            status=409,
        )


@transaction.atomic
def photo_describe(
    *,
    photo: Photo,
    tags: Sequence[str] | None = None,
    subjects: Sequence[SubjectData] | None = None,
    **fields,
) -> Photo:
    """Change a draft's (or a rejected photo's) description; tags are normalised, subjects replaced."""
    _require_editable(photo)
    unknown = set(fields) - set(DESCRIPTION_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown fields: {', '.join(sorted(unknown))}", code=ErrorCode.INVALID)
    for name, value in fields.items():
        setattr(photo, name, value)
    if subjects is not None and subjects and fields.get("no_people"):
        raise ApplicationError(
            _("A photo marked as having no people cannot list subjects."), code=ErrorCode.INVALID, field="no_people"
        )
    photo.full_clean(exclude=["original", "cleaned", "thumbnail", "preview", "sha256"])
    if fields:
        photo.save(update_fields=[*fields, "updated_at"])
    if tags is not None:
        photo.tags.set(tags_get_or_create(tags))
    if subjects is not None:
        # Update people in place by position, so their attached releases stay linked;
        # only people removed from the end lose their rows (and their release links).
        existing = {s.position: s for s in photo.subjects.all()}
        for position, data in enumerate(subjects, start=1):
            row = existing.pop(position, None) or PhotoSubject(photo=photo, position=position)
            for name, value in vars(data).items():
                setattr(row, name, value)
            row.save()
        if existing:
            PhotoSubject.objects.filter(pk__in=[s.pk for s in existing.values()]).delete()
        if subjects and photo.no_people:
            photo.no_people = False
            photo.save(update_fields=["no_people", "updated_at"])
    if subjects is not None or "no_people" in fields:
        photo_consent_changed.send(sender=Photo, photo_ids=[photo.pk])
    return photo


@transaction.atomic
def photos_bulk_edit(
    *,
    contributor,
    photo_ids: Sequence[int],
    add_tags: Sequence[str] = (),
    remove_tags: Sequence[str] = (),
    subject_attributes: dict | None = None,
    people: int | None = None,
    **fields,
) -> int:
    """Apply tags and attributes to a selection of the contributor's own editable photos.

    ``people`` sets how many people each photo shows: missing people are added (blank, then
    given ``subject_attributes``), people beyond it are removed from the end as on the photo's
    own page, and 0 marks the photos as having no people."""
    photos = list(Photo.objects.select_for_update().filter(contributor=contributor, pk__in=photo_ids))
    if len(photos) != len(set(photo_ids)):
        raise ApplicationError(_("Some of the selected photos do not exist."), code=ErrorCode.NOT_FOUND, status=404)
    for photo in photos:
        _require_editable(photo)
    unknown = set(fields) - set(DESCRIPTION_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown fields: {', '.join(sorted(unknown))}", code=ErrorCode.INVALID)
    if fields:
        Photo.objects.filter(pk__in=[p.pk for p in photos]).update(**fields, updated_at=timezone.now())
    add = tags_get_or_create(add_tags)
    remove = [normalise_tag(t) for t in remove_tags]
    through = Photo.tags.through
    if add:
        through.objects.bulk_create(
            [through(photo_id=p.pk, tag_id=t.pk) for p in photos for t in add], ignore_conflicts=True
        )
    if remove:
        through.objects.filter(photo_id__in=[p.pk for p in photos], tag__name__in=remove).delete()
    if people is not None:
        if not 0 <= people <= MAX_PEOPLE:
            raise ApplicationError(
                _("The number of people must be between 0 and %(max)s.") % {"max": MAX_PEOPLE},
                code=ErrorCode.INVALID,
                field="people",
            )
        counts = {p.pk: 0 for p in photos}
        for photo_id, position in PhotoSubject.objects.filter(photo_id__in=counts).values_list("photo_id", "position"):
            counts[photo_id] = max(counts[photo_id], position)
        PhotoSubject.objects.filter(photo_id__in=counts, position__gt=people).delete()
        PhotoSubject.objects.bulk_create(
            [
                PhotoSubject(photo_id=photo_id, position=position)
                for photo_id, count in counts.items()
                for position in range(count + 1, people + 1)
            ]
        )
        Photo.objects.filter(pk__in=counts).update(no_people=people == 0, updated_at=timezone.now())
    if subject_attributes:
        allowed = {f.name for f in SubjectData.__dataclass_fields__.values()}
        bad = set(subject_attributes) - allowed
        if bad:
            raise ApplicationError(f"Unknown subject attributes: {', '.join(sorted(bad))}", code=ErrorCode.INVALID)
        PhotoSubject.objects.filter(photo_id__in=[p.pk for p in photos]).update(**subject_attributes)
    if "no_people" in fields or people is not None:
        photo_consent_changed.send(sender=Photo, photo_ids=[p.pk for p in photos])
    return len(photos)


@transaction.atomic
def photo_submit(*, photo: Photo) -> Photo:
    """Send a described, processed photo to review; people in it must be described."""
    _require_editable(photo)
    problems = []
    if photo.processing != Photo.Processing.READY:
        problems.append(_("it is still being processed"))
    if not photo.has_title:
        problems.append(_("it has no title"))
    if not photo.tags.exists():
        problems.append(_("it has no keywords"))
    if not photo.no_people and not photo.subjects.exists():
        problems.append(_("describe the people in it, or mark it as having no people"))
    if problems:
        raise ApplicationError(
            _("This photo cannot be submitted yet: %(problems)s.") % {"problems": "; ".join(str(p) for p in problems)},
            code=ErrorCode.INCOMPLETE,
        )
    photo.status = Photo.Status.SUBMITTED
    photo.submitted_at = timezone.now()
    photo.rejection_reason = ""
    photo.rejection_note = ""
    photo.save(update_fields=["status", "submitted_at", "rejection_reason", "rejection_note", "updated_at"])
    return photo


@transaction.atomic
def photo_delete(*, photo: Photo) -> None:
    """A contributor may delete a draft or rejected photo; its files go with it."""
    _require_editable(photo)
    names = [
        (default_storage, photo.original.name),
        (default_storage, photo.cleaned.name),
        (public_storage(), photo.thumbnail.name),
        (public_storage(), photo.preview.name),
        (default_storage, photo.thumbnail.name),  # not approved: the derivatives are still private
        (default_storage, photo.preview.name),
    ]
    photo.delete()

    def remove_files():
        for storage, name in names:
            if name:
                storage.delete(name)

    transaction.on_commit(remove_files)

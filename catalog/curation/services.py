"""Datasets: curation of the working selection, frozen versions, publishing."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections import Counter
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import imaging
from catalog.curation.selectors import CurationQuery, curation_select, eligible_photos
from catalog.models import (
    SIZE_BUCKETS,
    Dataset,
    DatasetPhoto,
    DatasetVersion,
    DatasetVersionItem,
    Photo,
)
from catalog.photos.selectors import annotation_summary, photos_annotation_state
from catalog.splits import split_by_subject, split_counts
from licensing.consent.selectors import photos_consent_scopes, photos_subject_consent
from stockdata.errors import ApplicationError, ErrorCode

# --- Datasets ---------------------------------------------------------------------------

DATASET_FIELDS = (
    "slug",
    "title_en",
    "title_ja",
    "description_en",
    "description_ja",
    "category",
    "required_scopes",
    "target_size",
    "licence",
    "restricted",
    "licence_summary_en",
    "licence_summary_ja",
    "price_unedited",
    "price_annotated",
    "cover",
)
UNIQUE_IDENTIFICATION = "unique_identification"


@transaction.atomic
def dataset_create(**fields) -> Dataset:
    """A new draft dataset. One that requires the unique-identification scope is restricted
    unless staff say otherwise: its buyers are approved before they can pay."""
    unknown = set(fields) - set(DATASET_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown fields: {', '.join(sorted(unknown))}", code=ErrorCode.INVALID)
    if "restricted" not in fields:
        fields["restricted"] = UNIQUE_IDENTIFICATION in (fields.get("required_scopes") or [])
    dataset = Dataset(**fields)
    dataset.full_clean(exclude=["cover", "latest_version"])
    dataset.save()
    return dataset


@transaction.atomic
def dataset_update(*, dataset: Dataset, **fields) -> Dataset:
    """Edit a dataset's card and prices; frozen versions are unaffected, orders keep their prices."""
    unknown = set(fields) - set(DATASET_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown fields: {', '.join(sorted(unknown))}", code=ErrorCode.INVALID)
    for name, value in fields.items():
        setattr(dataset, name, value)
    dataset.full_clean(exclude=["cover", "latest_version"])
    dataset.search_text = dataset_search_text(dataset, dataset.latest_version)
    dataset.save()
    return dataset


# --- Curation ---------------------------------------------------------------------------


@transaction.atomic
def dataset_apply_query(*, dataset: Dataset, query: CurationQuery) -> int:
    """Replace the query-made part of the working selection; photos added by hand stay."""
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    manual = list(Photo.objects.filter(datasetphoto__dataset=dataset, datasetphoto__source=DatasetPhoto.Source.MANUAL))
    chosen = curation_select(dataset=dataset, query=query, existing=manual)
    DatasetPhoto.objects.filter(dataset=dataset, source=DatasetPhoto.Source.QUERY).delete()
    manual_ids = {p.pk for p in manual}
    DatasetPhoto.objects.bulk_create(
        [
            DatasetPhoto(dataset=dataset, photo=p, source=DatasetPhoto.Source.QUERY)
            for p in chosen
            if p.pk not in manual_ids
        ],
        ignore_conflicts=True,
    )
    dataset.curation_query = query.to_dict()
    dataset.save(update_fields=["curation_query", "updated_at"])
    return DatasetPhoto.objects.filter(dataset=dataset).count()


@transaction.atomic
def dataset_add_photos(*, dataset: Dataset, photos: Sequence[Photo]) -> int:
    """Add photos by hand; each must be eligible for the dataset's required scopes."""
    eligible = set(
        eligible_photos(required_scopes=dataset.required_scopes)
        .filter(pk__in=[p.pk for p in photos])
        .values_list("pk", flat=True)
    )
    refused = [p for p in photos if p.pk not in eligible]
    if refused:
        raise ApplicationError(
            _("%(count)d photo(s) cannot enter this dataset: not approved, or missing a required consent scope.")
            % {"count": len(refused)},
            code=ErrorCode.NOT_ELIGIBLE,
        )
    query = CurationQuery.from_dict(dataset.curation_query)
    uuids = {str(p.uuid) for p in photos}
    if set(query.exclude) & uuids:
        query.exclude = [u for u in query.exclude if u not in uuids]
        dataset.curation_query = query.to_dict()
        dataset.save(update_fields=["curation_query", "updated_at"])
    DatasetPhoto.objects.filter(dataset=dataset, photo__in=photos).update(source=DatasetPhoto.Source.MANUAL)
    DatasetPhoto.objects.bulk_create(
        [DatasetPhoto(dataset=dataset, photo=p, source=DatasetPhoto.Source.MANUAL) for p in photos],
        ignore_conflicts=True,
    )
    return len(photos)


@transaction.atomic
def dataset_remove_photos(*, dataset: Dataset, photos: Sequence[Photo]) -> int:
    """Remove photos by hand; the query remembers, so re-applying it does not bring them back."""
    query = CurationQuery.from_dict(dataset.curation_query)
    query.exclude = sorted(set(query.exclude) | {str(p.uuid) for p in photos})
    dataset.curation_query = query.to_dict()
    dataset.save(update_fields=["curation_query", "updated_at"])
    deleted, _ = DatasetPhoto.objects.filter(dataset=dataset, photo__in=photos).delete()
    return deleted


# --- Freezing ---------------------------------------------------------------------------


def version_file_name(photo: Photo) -> str:
    """Stable across versions: the same photo has the same file name in every bundle."""
    return f"sd_{photo.uuid.hex[:16]}.{photo.extension}"


def _size_bucket(width: int, height: int) -> str:
    pixels = width * height
    label = SIZE_BUCKETS[0][1]
    for floor, name in SIZE_BUCKETS:
        if pixels >= floor:
            label = name
    return label


def _statistics(items: list[DatasetVersionItem]) -> dict:
    age, gender, mask, lighting, angle, sizes, boxes = (
        Counter(),
        Counter(),
        Counter(),
        Counter(),
        Counter(),
        Counter(),
        Counter(),
    )
    for item in items:
        lighting[item.attributes.get("lighting") or "unknown"] += 1
        sizes[_size_bucket(item.width, item.height)] += 1
        for s in item.subjects:
            age[s.get("age_band") or "unknown"] += 1
            gender[s.get("gender") or "unknown"] += 1
            mask["mask" if s.get("mask") else "no_mask"] += 1
            angle[s.get("angle") or "unknown"] += 1
        for b in item.boxes:
            boxes[b["label"]] += 1
    return {
        "photos": len(items),
        "subjects": sum(len(i.subjects) for i in items),
        "contributors": len({i.contributor_id for i in items}),
        "age_band": dict(sorted(age.items())),
        "gender": dict(sorted(gender.items())),
        "mask": dict(sorted(mask.items())),
        "lighting": dict(sorted(lighting.items())),
        "angle": dict(sorted(angle.items())),
        "image_sizes": {name: sizes.get(name, 0) for _, name in SIZE_BUCKETS},
        "boxes": dict(sorted(boxes.items())),
        "megapixels_total": round(sum(i.width * i.height for i in items) / 1e6, 1),
        # Train / validation / test by subject, as every bundle of the version splits it.
        "splits": split_counts(
            split_by_subject(
                [{"file_name": i.file_name, "subjects": i.subjects} for i in items], content_hash=_content_hash(items)
            )
        ),
        "tags": dict(Counter(t for i in items for t in i.tags).most_common(60)),
    }


def _content_hash(items: list[DatasetVersionItem]) -> str:
    canonical = [
        {
            "file_name": i.file_name,
            "sha256": i.sha256,
            "width": i.width,
            "height": i.height,
            "tags": i.tags,
            "attributes": i.attributes,
            "subjects": i.subjects,
            "scopes": i.scopes,
            "boxes": i.boxes,
        }
        for i in items
    ]
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _check_annotation_complete(photos: list[Photo]) -> None:
    """The annotated edition is sold only when a person confirmed every box and marked every photo complete."""
    state = photos_annotation_state([p.pk for p in photos])
    open_photos = [p for p in photos if not state[p.pk]["complete"]]
    if not open_photos:
        return
    unconfirmed = sum(state[p.pk]["unconfirmed"] for p in open_photos)
    names = ", ".join(p.original_filename for p in open_photos[:10])
    if len(open_photos) > 10:
        names += _(" and %(count)d more") % {"count": len(open_photos) - 10}
    raise ApplicationError(
        _(
            "The annotation of %(count)d photo(s) is not complete (%(unconfirmed)d proposed box(es) not confirmed "
            "or rejected): %(names)s. Check each in the box editor and mark it complete before freezing the "
            "annotated edition."
        )
        % {"count": len(open_photos), "unconfirmed": unconfirmed, "names": names},
        code=ErrorCode.ANNOTATION_INCOMPLETE,
    )


@transaction.atomic
def dataset_version_freeze(*, dataset: Dataset, by, annotated: bool = False, notes: str = "") -> DatasetVersion:
    """Freeze the working selection into an immutable, numbered version.

    Only photos eligible *now* enter (approved, holding every required scope: withdrawn
    consent or an opt-out since the selection drops a photo), near duplicates of a photo
    already in the set never enter, and an annotated version needs every photo marked complete
    by a person with every box confirmed; what was done to annotate it is kept in its statistics.
    """
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    selection = list(
        eligible_photos(required_scopes=dataset.required_scopes)
        .filter(datasetphoto__dataset=dataset)
        .prefetch_related("tags", "subjects", "boxes")
        .order_by("created_at", "pk")
    )
    kept: list[Photo] = []
    hashes: list[str] = []
    for photo in selection:
        if photo.phash and any(
            imaging.phash_distance(photo.phash, h) <= settings.STOCKDATA_NEAR_DUPLICATE_MAX_DISTANCE for h in hashes
        ):
            continue
        kept.append(photo)
        if photo.phash:
            hashes.append(photo.phash)
    if not kept:
        raise ApplicationError(
            _("No photo in the selection may enter this dataset now; nothing to freeze."),
            code=ErrorCode.EMPTY_SELECTION,
        )
    annotation = None
    if annotated:
        _check_annotation_complete(kept)
        annotation = annotation_summary([p.pk for p in kept])

    ids = [p.pk for p in kept]
    scopes = photos_consent_scopes(ids)
    subject_consent = photos_subject_consent(ids)
    items = []
    for position, photo in enumerate(kept, start=1):
        consent = subject_consent.get(photo.pk, {})
        items.append(
            DatasetVersionItem(
                photo=photo,
                contributor_id=photo.contributor_id,
                position=position,
                file_name=version_file_name(photo),
                sha256=photo.sha256,
                width=photo.width,
                height=photo.height,
                tags=sorted(t.name for t in photo.tags.all()),
                attributes={
                    "lighting": photo.lighting,
                    "country": photo.country,
                    "prefecture": photo.prefecture,
                    "shoot_date": photo.shoot_date.isoformat() if photo.shoot_date else None,
                    "no_people": photo.no_people,
                    "format": photo.format,
                },
                subjects=[
                    {
                        "position": s.position,
                        "subject_id": consent.get(s.position, {}).get("subject_id"),
                        "release_id": consent.get(s.position, {}).get("release_id"),
                        "scopes": consent.get(s.position, {}).get("scopes", []),
                        "consent_receipt": consent.get(s.position, {}).get("consent_receipt"),
                        "age_band": s.age_band,
                        "gender": s.gender,
                        "ethnicity": s.ethnicity,
                        "mask": s.mask,
                        "glasses": s.glasses,
                        "hat": s.hat,
                        "angle": s.angle,
                    }
                    for s in sorted(photo.subjects.all(), key=lambda s: s.position)
                ],
                scopes=sorted(scopes.get(photo.pk, ())),
                boxes=[
                    {"label": b.label, "x": b.x, "y": b.y, "w": b.w, "h": b.h, "confirmed": b.confirmed}
                    for b in sorted(photo.boxes.all(), key=lambda b: (b.y, b.x, b.pk))
                ]
                if annotated
                else [],
            )
        )

    previous = dataset.versions.order_by("-number").first()
    number = (previous.number + 1) if previous else 1
    changes = {"previous": None, "added": [], "removed": []}
    if previous is not None:
        before = dict(previous.items.values_list("photo__uuid", "file_name"))
        after = {p.uuid: version_file_name(p) for p in kept}
        changes = {
            "previous": previous.number,
            "added": sorted(after[u] for u in after.keys() - before.keys()),
            "removed": sorted(before[u] for u in before.keys() - after.keys()),
        }
    version = DatasetVersion.objects.create(
        dataset=dataset,
        number=number,
        query=dataset.curation_query,
        photo_count=len(items),
        subject_count=sum(len(i.subjects) for i in items),
        box_count=sum(len(i.boxes) for i in items),
        annotated=annotated,
        content_hash=_content_hash(items),
        statistics={**_statistics(items), **({"annotation": annotation} if annotation else {})},
        changes=changes,
        notes=notes,
        frozen_by=by,
    )
    for item in items:
        item.version = version
    DatasetVersionItem.objects.bulk_create(items, batch_size=1000)
    if dataset.cover_id is None:
        dataset.cover_id = next((p.pk for p in kept if p.derived_public), None)
    dataset.latest_version = version
    dataset.search_text = dataset_search_text(dataset, version)
    dataset.save(update_fields=["cover", "latest_version", "search_text", "updated_at"])
    return version


def dataset_search_text(dataset: Dataset, version: DatasetVersion | None) -> str:
    """What the catalogue search matches: both languages' titles and descriptions, and the version's tags."""
    tags = sorted((version.statistics.get("tags") or {}).keys()) if version else []
    parts = [dataset.title_en, dataset.title_ja, dataset.description_en, dataset.description_ja, dataset.slug, *tags]
    return " ".join(" ".join(unicodedata.normalize("NFKC", p).lower().split()) for p in parts if p)


@transaction.atomic
def dataset_publish(*, dataset: Dataset) -> Dataset:
    """Only a dataset with a frozen version can be sold."""
    if not dataset.versions.exists():
        raise ApplicationError(_("Freeze a version before publishing the dataset."), code=ErrorCode.NO_VERSION)
    dataset.status = Dataset.Status.PUBLISHED
    dataset.published_at = dataset.published_at or timezone.now()
    dataset.save(update_fields=["status", "published_at", "updated_at"])
    return dataset


@transaction.atomic
def dataset_retire(*, dataset: Dataset) -> Dataset:
    dataset.status = Dataset.Status.RETIRED
    dataset.save(update_fields=["status", "updated_at"])
    return dataset


@transaction.atomic
def datasets_follow_consent(*, photo_ids: Sequence[int]) -> int:
    """The consent some photos hold changed: every dataset with one of them in a version, or as its cover,
    is touched (``updated_at``) so its cached pages and catalogue cards are rebuilt now, and a cover whose
    previews are no longer public is replaced by the first photo of its latest version that still is (or
    none). Returns how many datasets changed."""
    ids = list(photo_ids)
    if not ids:
        return 0
    datasets = list(
        Dataset.objects.filter(Q(versions__items__photo_id__in=ids) | Q(cover_id__in=ids))
        .distinct()
        .select_related("cover")
        .order_by("pk")
    )
    now = timezone.now()
    for dataset in datasets:
        fields = ["updated_at"]
        if dataset.cover_id is not None and not dataset.cover.derived_public:
            dataset.cover_id = (
                DatasetVersionItem.objects.filter(version_id=dataset.latest_version_id, photo__derived_public=True)
                .order_by("position")
                .values_list("photo_id", flat=True)
                .first()
            )
            fields.append("cover")
        dataset.updated_at = now
        dataset.save(update_fields=fields)
    return len(datasets)

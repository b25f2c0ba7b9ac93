"""Reads that are more than one line: what may enter a dataset, and what a curation query selects."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from catalog import imaging
from catalog.models import Dataset, Photo, PhotoSubject, Tag, normalise_tag
from licensing.consent.models import ReleaseLink
from licensing.consent.selectors import photos_holding_scopes, photos_holding_scopes_stored

SUBJECT_ATTRIBUTES = ("age_band", "gender", "angle")
SUBJECT_FLAGS = ("mask", "glasses", "hat")
BALANCE_ATTRIBUTES = ("gender", "age_band", "mask", "lighting", "angle")


@dataclass
class CurationQuery:
    """A curator's query over tags and subject attributes, stored with every frozen version.

    List filters are "any of"; ``tags_all`` must all be present. ``None`` flags mean "either".
    """

    tags_all: list[str] = field(default_factory=list)
    tags_any: list[str] = field(default_factory=list)
    tags_none: list[str] = field(default_factory=list)
    age_band: list[str] = field(default_factory=list)
    gender: list[str] = field(default_factory=list)
    angle: list[str] = field(default_factory=list)
    lighting: list[str] = field(default_factory=list)
    mask: bool | None = None
    glasses: bool | None = None
    hat: bool | None = None
    people: str = "any"  # any | with | without
    max_per_contributor: int | None = None
    max_per_subject: int | None = None
    exclude_near_duplicates: bool = True
    balance_by: str = ""
    limit: int | None = None
    exclude: list[str] = field(default_factory=list)  # photo uuids removed by hand

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> CurationQuery:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _normalised(names: list[str]) -> list[str]:
    return [n for n in (normalise_tag(x) for x in names) if n]


def eligible_photos(*, required_scopes: list[str], stored: bool = False) -> QuerySet[Photo]:
    """Photos that may enter a dataset now: approved, processed, and holding every required scope.

    Withdrawn consent, a missing or expired release, or a contributor's opt-out all remove a
    scope, so such photos drop out here (see ``licensing.consent.selectors``). ``stored`` reads the
    scopes from each photo's stored mask instead of the releases: the same answer, fast
    enough for a live count over the whole library; freezing uses the rule itself.
    """
    photos = Photo.objects.filter(status=Photo.Status.APPROVED, processing=Photo.Processing.READY)
    holding = photos_holding_scopes_stored if stored else photos_holding_scopes
    return holding(photos, required_scopes)


def _tag_ids(names: list[str]) -> dict[str, int]:
    return dict(Tag.objects.filter(name__in=_normalised(names)).values_list("name", "pk"))


def curation_queryset(*, dataset: Dataset, query: CurationQuery) -> QuerySet[Photo]:
    """The SQL part of a curation query: every filter an index can answer.

    Tags are looked up by name first, so each filter reads the (tag_id, photo_id) index
    with an id the planner can estimate.
    """
    photos = eligible_photos(required_scopes=dataset.required_scopes, stored=True)
    tagged = Photo.tags.through.objects
    if query.tags_all:
        wanted = set(_normalised(query.tags_all))
        ids = _tag_ids(list(wanted))
        if len(ids) != len(wanted):  # a tag nobody used: nothing has all of them
            return photos.none()
        for tag_id in ids.values():
            photos = photos.filter(Exists(tagged.filter(photo_id=OuterRef("pk"), tag_id=tag_id)))
    if query.tags_any:
        photos = photos.filter(
            Exists(tagged.filter(photo_id=OuterRef("pk"), tag_id__in=list(_tag_ids(query.tags_any).values())))
        )
    if query.tags_none:
        ids = list(_tag_ids(query.tags_none).values())
        if ids:
            photos = photos.exclude(Exists(tagged.filter(photo_id=OuterRef("pk"), tag_id__in=ids)))
    if query.lighting:
        photos = photos.filter(lighting__in=query.lighting)
    if query.people == "with":
        photos = photos.filter(no_people=False)
    elif query.people == "without":
        photos = photos.filter(no_people=True)
    subject = Q()
    for name in SUBJECT_ATTRIBUTES:
        values = getattr(query, name)
        if values:
            subject &= Q(**{f"{name}__in": values})
    for name in SUBJECT_FLAGS:
        value = getattr(query, name)
        if value is not None:
            subject &= Q(**{name: value})
    if subject:
        photos = photos.filter(Exists(PhotoSubject.objects.filter(subject, photo_id=OuterRef("pk"))))
    if query.exclude:
        photos = photos.exclude(uuid__in=query.exclude)
    return photos


def curation_count(*, dataset: Dataset, query: CurationQuery) -> int:
    """How many photos the query's filters match, before caps, de-duplication and balancing."""
    return curation_queryset(dataset=dataset, query=query).count()


def _subject_ids(photo_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    for photo_id, subject_id in ReleaseLink.objects.filter(subject__photo_id__in=photo_ids).values_list(
        "subject__photo_id", "release__subject_id"
    ):
        out[photo_id].append(subject_id)
    return out


def _balance_key(photo: Photo, attribute: str, first_subjects: dict[int, PhotoSubject]) -> str:
    if attribute == "lighting":
        return photo.lighting or "-"
    subject = first_subjects.get(photo.pk)
    if subject is None:
        return "-"
    return str(getattr(subject, attribute))


def curation_select(*, dataset: Dataset, query: CurationQuery, existing: list[Photo] | None = None) -> list[Photo]:
    """Apply the query, then the rules SQL cannot: caps per contributor and per subject,
    near-duplicate exclusion (earliest upload wins), balance across an attribute, and the limit.

    Deterministic: the same data and query always give the same list, oldest photos first.
    """
    candidates = list(
        curation_queryset(dataset=dataset, query=query)
        .only("pk", "uuid", "contributor_id", "phash", "lighting", "created_at")
        .order_by("created_at", "pk")
    )
    ids = [p.pk for p in candidates]
    first_subjects: dict[int, PhotoSubject] = {}
    if query.balance_by and query.balance_by != "lighting":
        for s in PhotoSubject.objects.filter(photo_id__in=ids).order_by("photo_id", "position"):
            first_subjects.setdefault(s.photo_id, s)
    subjects_of = _subject_ids(ids) if query.max_per_subject else {}

    chosen: list[Photo] = []
    per_contributor: dict[int, int] = defaultdict(int)
    per_subject: dict[str, int] = defaultdict(int)
    kept_hashes: list[str] = [p.phash for p in (existing or []) if p.phash]
    for photo in candidates:
        if query.max_per_contributor and per_contributor[photo.contributor_id] >= query.max_per_contributor:
            continue
        subject_ids = subjects_of.get(photo.pk, [])
        if query.max_per_subject and any(per_subject[s] >= query.max_per_subject for s in subject_ids):
            continue
        if query.exclude_near_duplicates and photo.phash:
            if any(imaging.phash_distance(photo.phash, h) <= _near_limit() for h in kept_hashes):
                continue
            kept_hashes.append(photo.phash)
        chosen.append(photo)
        per_contributor[photo.contributor_id] += 1
        for s in subject_ids:
            per_subject[s] += 1

    limit = query.limit or dataset.target_size
    if query.balance_by in BALANCE_ATTRIBUTES:
        groups: dict[str, list[Photo]] = defaultdict(list)
        for photo in chosen:
            groups[_balance_key(photo, query.balance_by, first_subjects)].append(photo)
        # Round-robin across the groups, so each value gets an equal share while it lasts.
        balanced: list[Photo] = []
        queues = [groups[k] for k in sorted(groups)]
        while queues and len(balanced) < limit:
            for q in queues:
                if q and len(balanced) < limit:
                    balanced.append(q.pop(0))
            queues = [q for q in queues if q]
        return balanced
    return chosen[:limit]


def tag_suggestions(prefix: str, *, limit: int = 10) -> list[str]:
    prefix = normalise_tag(prefix)
    if not prefix:
        return []
    return list(Tag.objects.filter(name__startswith=prefix).order_by("name").values_list("name", flat=True)[:limit])


def _near_limit() -> int:
    return settings.STOCKDATA_NEAR_DUPLICATE_MAX_DISTANCE

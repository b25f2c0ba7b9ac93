"""factory_boy factories for the catalogue: photos, datasets and frozen versions with their items.

A version is built the way ``dataset_version_freeze`` builds one (items snapshot the
photos; statistics and the content hash come from the same functions), minus the consent
checks, so storefront and bundle tests get realistic numbers without releases::

    dataset = DatasetFactory(version__photos=40, version__annotated=True, version__masked=0.5)
    version = DatasetVersionFactory(dataset=dataset, photos=60)      # v2, changes listed
    draft = DatasetFactory(draft=True, version=False)                # no version at all

``with_images=True`` draws small synthetic pictures and stores real (watermarked)
previews and thumbnails on the public storage, for pages looked at in a browser.
"""

from __future__ import annotations

import hashlib
import random
import uuid as uuid_lib
from collections.abc import Callable, Mapping

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from catalog.models import (
    AgeBand,
    Angle,
    Dataset,
    DatasetVersion,
    DatasetVersionItem,
    Gender,
    Lighting,
    Photo,
    PhotoSubject,
    Tag,
)
from stockdata.accounts.tests.factories import ContributorFactory, StaffFactory

# --- Consent scopes ------------------------------------------------------------------------

CONSENT_SCOPES = [
    ("publication", 10, "Publication (editorial and commercial use of the image)", "掲載（画像の編集・商用利用）"),
    ("ai_training", 20, "AI / machine-learning training", "AI・機械学習の学習への利用"),
    ("biometric", 30, "Biometric processing (face data for machine learning)", "生体データ（顔の特徴）の処理"),
    (
        "unique_identification",
        40,
        "Unique identification (training systems that identify people)",
        "個人識別（人物を識別するシステムの学習）",
    ),
]


def ensure_consent_scopes() -> None:
    """The four scopes of the release form (a data migration seeds them; this is for tests that flush)."""
    from licensing.models import ConsentScope

    for code, position, name_en, name_ja in CONSENT_SCOPES:
        ConsentScope.objects.get_or_create(
            code=code,
            defaults={
                "position": position,
                "name_en": name_en,
                "name_ja": name_ja,
                "is_ai_use": code != "publication",
                "is_biometric": code in ("biometric", "unique_identification"),
            },
        )
    from licensing.consent.services import consent_scopes_ensure

    consent_scopes_ensure()  # and every later default scope (generative AI training)


# --- Photos ---------------------------------------------------------------------------------


class TagFactory(DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag-{n}")


class PhotoFactory(DjangoModelFactory):
    """An approved, processed photo. Files are names only unless ``with_images=True``."""

    class Meta:
        model = Photo
        skip_postgeneration_save = True

    uuid = factory.LazyFunction(uuid_lib.uuid4)
    contributor = factory.SubFactory(ContributorFactory)
    status = Photo.Status.APPROVED
    processing = Photo.Processing.READY
    derived_public = factory.LazyAttribute(lambda o: o.status == Photo.Status.APPROVED)
    original = factory.LazyAttribute(lambda o: f"originals/{o.uuid}.jpg")
    thumbnail = factory.LazyAttribute(lambda o: f"thumbs/{o.uuid.hex[:2]}/{o.uuid}.jpg")
    preview = factory.LazyAttribute(lambda o: f"previews/{o.uuid.hex[:2]}/{o.uuid}.jpg")
    original_filename = factory.Sequence(lambda n: f"IMG_{n:05d}.jpg")
    format = Photo.Format.JPEG
    width = 4000
    height = 3000
    byte_size = 4_200_000
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.uuid.bytes).hexdigest())
    title = factory.Sequence(lambda n: f"Portrait {n}")
    lighting = Lighting.DAYLIGHT
    country = "JP"
    submitted_at = factory.LazyFunction(timezone.now)
    reviewed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def tags(obj, create, extracted, **kwargs):
        if create and extracted:
            from catalog.photos.services import tags_get_or_create

            obj.tags.add(*tags_get_or_create(extracted))

    @factory.post_generation
    def with_images(obj, create, extracted, **kwargs):
        if create and extracted:
            store_preview(obj, seed=obj.pk, mask=kwargs.get("mask"))

    @factory.post_generation
    def scope_mask(obj, create, extracted, **kwargs):
        """The row was written directly, not by a service: keep its stored consent mask as the services do."""
        if create:
            from licensing.consent.services import photos_scope_masks_refresh

            photos_scope_masks_refresh([obj.pk])
            obj.refresh_from_db(fields=["scope_mask"])


class PhotoSubjectFactory(DjangoModelFactory):
    class Meta:
        model = PhotoSubject

    photo = factory.SubFactory(PhotoFactory)
    position = factory.Sequence(lambda n: n + 1)
    age_band = AgeBand.AGE_30S
    gender = Gender.FEMALE
    ethnicity = "Japanese"
    mask = False
    angle = Angle.FRONTAL


def store_preview(photo: Photo, *, seed: int, mask: bool | None = None, kind: str = "portrait") -> None:
    """Draw a small synthetic picture and save its real watermarked preview and thumbnail."""
    from django.core.files.base import ContentFile

    from catalog.imaging import make_derivatives
    from stockdata.demo.synthetic import make_photo
    from stockdata.storage import public_storage

    synthetic = make_photo(seed, kind=kind, width=900, height=600, mask=mask, gps=False, quality=80)
    derived = make_derivatives(synthetic.data, thumb_px=300, preview_px=600)
    storage = public_storage()
    for name, data in ((photo.preview.name, derived.preview), (photo.thumbnail.name, derived.thumbnail)):
        if storage.exists(name):
            storage.delete(name)
        storage.save(name, ContentFile(data))


# --- Datasets -------------------------------------------------------------------------------

FACE_TAGS = ["face", "顔", "person", "人物", "japanese", "日本人", "portrait", "ポートレート"]
MASK_TAGS = ["mask", "マスク"]
SIZES = [(1600, 1200), (3000, 2000), (4000, 3000), (6000, 4000)]


def _subjects(rng: random.Random, masked: float, people: bool) -> list[dict]:
    if not people:
        return []
    count = rng.choices([1, 2, 3], weights=[6, 3, 1])[0]
    return [
        {
            "position": position,
            "subject_id": f"S-{rng.getrandbits(40):010X}",
            "release_id": None,
            "scopes": [],
            "age_band": rng.choices(AgeBand.values, weights=[1, 2, 6, 6, 4, 3, 2])[0],
            "gender": rng.choices(Gender.values, weights=[10, 10, 1, 1])[0],
            "ethnicity": "Japanese",
            "mask": rng.random() < masked,
            "glasses": rng.random() < 0.2,
            "hat": rng.random() < 0.1,
            "angle": rng.choices(Angle.values, weights=[6, 3, 1])[0],
        }
        for position in range(1, count + 1)
    ]


def build_version(
    dataset: Dataset,
    *,
    photos: int = 12,
    annotated: bool = False,
    masked: float = 0.4,
    seed: int = 0,
    contributors: int = 3,
    tags: list[str] | None = None,
    people: bool = True,
    with_images: bool = False,
    keep: int = 0,
    by=None,
    frozen_at=None,
    recorded_photo_count: int | None = None,
    consent: Callable[[list[Photo]], Mapping[int, list]] | None = None,
) -> DatasetVersion:
    """Create ``photos`` new approved photos with subjects and tags, and freeze them into the
    dataset's next version (items, statistics, content hash, changes), in a few bulk queries.

    ``keep`` carries the first photos of the previous version over, so ``changes`` lists
    real additions and removals. A version is written once (it is append-only), so what a
    test needs of it is given here: ``frozen_at``; ``recorded_photo_count``, the count the
    version records when a test needs a large dataset without making its photos; and
    ``consent``, called with the new photos once their people exist, returning each photo's
    releases in subject order, which the frozen snapshot then names, as freezing does.
    """
    from catalog.curation.services import _content_hash, _statistics, dataset_search_text, version_file_name

    rng = random.Random(seed)
    owners = [ContributorFactory() for _ in range(max(1, contributors))]
    by = by or StaffFactory()
    base_tags = list(tags) if tags is not None else list(FACE_TAGS)
    now = timezone.now()
    scopes = sorted(dataset.required_scopes)

    # The stored consent mask the consent services would keep for photos holding ``scopes`` (what the
    # frozen items claim), so the pages that read it (samples, evaluation packs) see them as consented.
    from django.apps import apps

    bits = apps.get_model("licensing", "ConsentScope").objects.filter(code__in=scopes or ["publication"])
    stored_mask = sum(1 << bit for bit in bits.values_list("bit", flat=True)) or 1
    new_photos = []
    for index in range(photos):
        width, height = rng.choice(SIZES)
        new_photos.append(
            Photo(
                uuid=uuid_lib.UUID(int=rng.getrandbits(128), version=4),
                contributor=owners[index % len(owners)],
                status=Photo.Status.APPROVED,
                processing=Photo.Processing.READY,
                original_filename=f"IMG_{seed:04d}_{index:05d}.jpg",
                format=Photo.Format.JPEG,
                width=width,
                height=height,
                byte_size=width * height // 3,
                lighting=rng.choice(Lighting.values),
                no_people=not people,
                scope_mask=stored_mask,
                # As the consent services keep it: previews public while the photo holds publication.
                derived_public="publication" in (scopes or ["publication"]),
                title=f"{dataset.title_en} {index + 1}",
                submitted_at=now,
                reviewed_at=now,
            )
        )
    for photo in new_photos:
        photo.sha256 = hashlib.sha256(photo.uuid.bytes).hexdigest()
        photo.original.name = f"originals/{photo.contributor_id}/{photo.uuid}.jpg"
        photo.preview.name = f"previews/{photo.uuid.hex[:2]}/{photo.uuid}.jpg"
        photo.thumbnail.name = f"thumbs/{photo.uuid.hex[:2]}/{photo.uuid}.jpg"
    Photo.objects.bulk_create(new_photos, batch_size=500)

    from catalog.photos.services import tags_get_or_create

    tag_rows = {t.name: t for t in tags_get_or_create([*base_tags, *MASK_TAGS])}
    through = Photo.tags.through
    subject_rows, tag_links, items = [], [], []
    previous = dataset.versions.order_by("-number").first()
    carried = list(previous.items.select_related("photo").order_by("position")[:keep]) if previous and keep else []
    position = 0
    for old in carried:
        position += 1
        items.append(
            DatasetVersionItem(
                photo=old.photo,
                contributor_id=old.contributor_id,
                position=position,
                file_name=old.file_name,
                sha256=old.sha256,
                width=old.width,
                height=old.height,
                tags=old.tags,
                attributes=old.attributes,
                subjects=old.subjects,
                scopes=old.scopes,
                boxes=old.boxes if annotated else [],
            )
        )
    for photo in new_photos:
        position += 1
        subjects = _subjects(rng, masked, people)
        names = sorted(set(base_tags) | (set(MASK_TAGS) if any(s["mask"] for s in subjects) else set()))
        tag_links += [through(photo_id=photo.pk, tag_id=tag_rows[n].pk) for n in names if n in tag_rows]
        subject_rows += [
            PhotoSubject(
                photo=photo,
                position=s["position"],
                age_band=s["age_band"],
                gender=s["gender"],
                ethnicity=s["ethnicity"],
                mask=s["mask"],
                glasses=s["glasses"],
                hat=s["hat"],
                angle=s["angle"],
            )
            for s in subjects
        ]
        boxes = []
        if annotated:
            for s in subjects:
                w = photo.width // 6
                boxes.append(
                    {
                        "label": "face",
                        "x": 100 + (s["position"] - 1) * (w + 40),
                        "y": photo.height // 4,
                        "w": w,
                        "h": w * 5 // 4,
                        "confirmed": True,
                    }
                )
        items.append(
            DatasetVersionItem(
                photo=photo,
                contributor_id=photo.contributor_id,
                position=position,
                file_name=version_file_name(photo),
                sha256=photo.sha256,
                width=photo.width,
                height=photo.height,
                tags=names,
                attributes={
                    "lighting": photo.lighting,
                    "country": "JP",
                    "prefecture": "Tokyo",
                    "shoot_date": None,
                    "no_people": photo.no_people,
                    "format": photo.format,
                },
                subjects=[{**s, "scopes": scopes} for s in subjects],
                scopes=scopes,
                boxes=boxes,
            )
        )
    PhotoSubject.objects.bulk_create(subject_rows, batch_size=1000)
    through.objects.bulk_create(tag_links, batch_size=1000, ignore_conflicts=True)
    if consent is not None:
        releases = consent(new_photos)
        for item in items[len(carried) :]:
            by_position = dict(enumerate(releases.get(item.photo.pk, []), start=1))
            for s in item.subjects:
                release = by_position.get(s["position"])
                if release is not None and s.get("release_id") is None:
                    s["subject_id"], s["release_id"] = release.subject_id, release.pk

    number = (previous.number + 1) if previous else 1
    changes = {"previous": None, "added": [], "removed": []}
    if previous is not None:
        before = set(previous.items.values_list("file_name", flat=True))
        after = {i.file_name for i in items}
        changes = {"previous": previous.number, "added": sorted(after - before), "removed": sorted(before - after)}
    version = DatasetVersion.objects.create(
        dataset=dataset,
        number=number,
        query={"tags_all": ["face"]},
        photo_count=len(items) if recorded_photo_count is None else recorded_photo_count,
        subject_count=sum(len(i.subjects) for i in items),
        box_count=sum(len(i.boxes) for i in items),
        annotated=annotated,
        content_hash=_content_hash(items),
        statistics=_statistics(items),
        changes=changes,
        frozen_by=by,
        frozen_at=frozen_at or timezone.now(),
    )
    for item in items:
        item.version = version
    DatasetVersionItem.objects.bulk_create(items, batch_size=1000)

    if with_images:
        for index, item in enumerate(items[:8]):
            first = item.subjects[0] if item.subjects else None
            store_preview(
                item.photo,
                seed=seed * 1000 + index,
                mask=bool(first and first["mask"]) if first else None,
                kind="portrait" if first else "scene",
            )
    if dataset.cover_id is None and items:
        dataset.cover = items[0].photo
    dataset.latest_version = version
    dataset.search_text = dataset_search_text(dataset, version)
    dataset.save(update_fields=["cover", "latest_version", "search_text", "updated_at"])
    return version


class DatasetFactory(DjangoModelFactory):
    """A published dataset with one frozen version of 12 photos; ``version__photos=...`` etc. tune it,
    ``version=False`` leaves it without a version, ``draft=True`` unpublished."""

    class Meta:
        model = Dataset
        skip_postgeneration_save = True

    class Params:
        draft = factory.Trait(status=Dataset.Status.DRAFT, published_at=None)
        retired = factory.Trait(status=Dataset.Status.RETIRED)

    slug = factory.Sequence(lambda n: f"dataset-{n}")
    title_en = factory.Sequence(lambda n: f"Faces of Japan {n}")
    title_ja = factory.Sequence(lambda n: f"日本人の顔 {n}")
    description_en = "Frontal and three-quarter portraits of adults in Japan, indoors and outdoors."
    description_ja = "日本国内で撮影した成人の正面・斜めのポートレート。屋内と屋外。"
    category = Dataset.Category.FACES
    required_scopes = factory.LazyFunction(lambda: ["publication", "ai_training"])
    target_size = 1000
    licence_summary_en = "Licensed to the buying organisation for training and evaluating machine-learning models."
    licence_summary_ja = "購入した組織に、機械学習モデルの学習と評価のための利用を許諾します。"
    status = Dataset.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)
    price_unedited = 99_000
    price_annotated = 165_000

    @factory.post_generation
    def version(obj, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        kwargs.setdefault("seed", obj.pk)
        build_version(obj, **kwargs)


class DatasetVersionFactory(DjangoModelFactory):
    """The next version of ``dataset``, frozen from ``photos`` new photos (see :func:`build_version`)."""

    class Meta:
        model = DatasetVersion

    dataset = factory.SubFactory(DatasetFactory, version=False)
    photos = 12
    annotated = False
    masked = 0.4
    seed = factory.Sequence(lambda n: 10_000 + n)
    contributors = 3
    keep = 0
    with_images = False

    @classmethod
    def _create(cls, model_class, dataset, **kwargs):
        return build_version(dataset, **kwargs)

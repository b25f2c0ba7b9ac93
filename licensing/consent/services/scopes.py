"""The consent scopes of the release form, and each photo's stored consent mask."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from catalog.models import Photo
from catalog.photos.services import derived_publish, derived_unpublish
from licensing.consent.models import ConsentScope, ModelRelease, ReleaseLink, scope_bits_free
from licensing.consent.selectors import photos_scope_masks
from licensing.consent.signals import photos_scopes_changed

# --- The consent scopes of the form --------------------------------------------------------

# The lines of the release form the platform started with. Migration 0002 installs its own
# frozen copy (0015 adds generative AI training); this one restores them where a database was emptied (a test flush) before a demo seed.
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
        code="generative_ai_training",
        position=25,
        is_ai_use=True,
        is_biometric=False,
        name_en="Generative AI training (models that create new images or text)",
        name_ja="生成AIの学習への利用（新しい画像や文章を作るモデル）",
        description_en=(
            "The image may be used to train generative models, which produce new images, video or text "
            "and may learn to draw faces like yours."
        ),
        description_ja="画像を、新しい画像・動画・文章を生成するモデルの学習に利用することに同意します（顔を描くことを学習する場合があります）。",
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
    if photo_ids is None:
        photo_ids = Photo.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=SCOPE_MASK_BATCH)
    changed: list[int] = []
    batch: list[int] = []
    for pk in photo_ids:
        batch.append(pk)
        if len(batch) == SCOPE_MASK_BATCH:
            changed += _masks_write(photos_scope_masks(batch))
            batch = []
    if batch:
        changed += _masks_write(photos_scope_masks(batch))
    if changed:
        # Public surfaces follow consent at once: previews, samples, covers, cached pages.
        photos_publication_sync(changed)
        photos_scopes_changed.send(sender=Photo, photo_ids=changed)
    return len(changed)


def _masks_write(masks: dict[int, int]) -> list[int]:
    current = dict(Photo.objects.filter(pk__in=list(masks)).values_list("pk", "scope_mask"))
    by_mask: dict[int, list[int]] = {}
    for pk, mask in masks.items():
        if pk in current and current[pk] != mask:
            by_mask.setdefault(mask, []).append(pk)
    for mask, ids in by_mask.items():  # a handful of distinct masks: one UPDATE each
        Photo.objects.filter(pk__in=ids).update(scope_mask=mask)
    return [pk for ids in by_mask.values() for pk in ids]


def photos_publication_sync(photo_ids: Iterable[int]) -> tuple[int, int]:
    """An approved photo's thumbnail and preview are public exactly while it holds the publication scope
    (every person in it consents to publication): withdrawing publication or the whole consent, an
    expired release or a missing one takes them off the public storage at once; a release approved
    later publishes them (under new names). Returns (published, unpublished)."""
    scope = ConsentScope.objects.filter(code=ConsentScope.PUBLICATION).first()
    bit = scope.mask if scope is not None else 0
    published = unpublished = 0
    photos = Photo.objects.filter(pk__in=list(photo_ids), status=Photo.Status.APPROVED).only(
        "id", "scope_mask", "derived_public", "processing", "thumbnail", "preview"
    )
    for photo in photos:
        should = bool(bit) and bool(photo.scope_mask & bit)
        if photo.derived_public and not should:
            derived_unpublish(photo)
            unpublished += 1
        elif should and not photo.derived_public and photo.processing == Photo.Processing.READY:
            derived_publish(photo)
            published += 1
    return published, unpublished


def release_photo_ids(release: ModelRelease) -> list[int]:
    return list(ReleaseLink.objects.filter(release=release).values_list("subject__photo_id", flat=True))

"""Curation and frozen versions: what may enter, and what never changes once frozen."""

import random

import pytest

from catalog.curation import services as curation_services
from catalog.curation.selectors import CurationQuery, curation_count, curation_select
from catalog.imaging import phash_distance
from catalog.models import AnnotationBox, Dataset, DatasetVersion, Photo
from catalog.photos import services as photo_services
from licensing.consent import services as licensing_services
from licensing.consent.tests.factories import PhotoFactory, SubjectFactory, attach, make_release
from stockdata.accounts.tests.factories import ContributorFactory, StaffFactory

pytestmark = pytest.mark.django_db

FACE_SCOPES = ["ai_training", "biometric", "unique_identification"]


@pytest.fixture
def staff():
    return StaffFactory()


@pytest.fixture
def contributor():
    return ContributorFactory()


def approved_photo(
    contributor,
    staff,
    *,
    scopes=("publication", *FACE_SCOPES),
    phash="0000000000000000",
    tags=(),
    mask=False,
    release=None,
    **kwargs,
):
    photo = PhotoFactory(contributor=contributor, status=Photo.Status.APPROVED, phash=phash, **kwargs)
    SubjectFactory(photo=photo, position=1, mask=mask)
    release = release or make_release(contributor, scopes=scopes, approve_by=staff)
    attach(release, photo)
    if tags:
        photo.tags.set(photo_services.tags_get_or_create(tags))
    return photo


def dataset(**kwargs) -> Dataset:
    defaults = dict(slug="faces-masks", title_en="Masked faces", title_ja="マスク顔", required_scopes=FACE_SCOPES)
    return Dataset.objects.create(**(defaults | kwargs))


def hashes(n: int) -> list[str]:
    """Perceptual hashes far apart from each other (every pair differs in more than 16 bits)."""
    rng = random.Random(7)
    out: list[str] = []
    while len(out) < n:
        candidate = f"{rng.getrandbits(64):016x}"
        if all(phash_distance(candidate, h) > 16 for h in out):
            out.append(candidate)
    return out


def test_only_eligible_photos_enter_a_frozen_version(contributor, staff):
    ds = dataset()
    h = hashes(4)
    good = approved_photo(contributor, staff, phash=h[0])
    lacks_biometric = approved_photo(contributor, staff, scopes=("publication", "ai_training"), phash=h[1])
    rejected = approved_photo(contributor, staff, phash=h[2])
    Photo.objects.filter(pk=rejected.pk).update(status=Photo.Status.REJECTED)
    withdrawn = approved_photo(contributor, staff, phash=h[3])
    # Near duplicate of `good` (2 bits apart): never enters alongside it.
    near_duplicate = approved_photo(contributor, staff, phash=f"{int(h[0], 16) ^ 0b11:016x}")
    curation_services.dataset_add_photos(dataset=ds, photos=[good, withdrawn, near_duplicate])
    with pytest.raises(curation_services.ApplicationError, match="cannot enter this dataset"):
        curation_services.dataset_add_photos(dataset=ds, photos=[lacks_biometric, rejected])

    release = withdrawn.subjects.get().release_link.release
    licensing_services.consent_withdraw(release=release, scopes=None, channel="paper", recorded_by=staff)

    version = curation_services.dataset_version_freeze(dataset=ds, by=staff)
    assert [i.photo_id for i in version.items.all()] == [good.pk]
    assert version.photo_count == 1
    assert version.items.get().scopes == sorted(["publication", *FACE_SCOPES])


def test_a_frozen_version_never_changes(contributor, staff):
    ds = dataset()
    photos = [approved_photo(contributor, staff, phash=h, tags=["mask"]) for h in hashes(3)]
    curation_services.dataset_add_photos(dataset=ds, photos=photos)
    AnnotationBox.objects.create(photo=photos[0], x=10, y=10, w=100, h=120, confirmed=True)
    for p in photos[1:]:
        AnnotationBox.objects.create(photo=p, x=5, y=5, w=50, h=50, confirmed=True)
    for p in photos:
        photo_services.photo_annotation_complete(photo=p, by=staff)
    version = curation_services.dataset_version_freeze(dataset=ds, by=staff, annotated=True)
    before = (
        list(version.items.values_list("file_name", "tags", "subjects", "boxes", "scopes")),
        version.content_hash,
        version.statistics,
    )

    # Everything a curator or contributor can change afterwards:
    photos[0].tags.set(photo_services.tags_get_or_create(["something else"]))
    photos[0].subjects.update(mask=True, age_band="60plus")
    AnnotationBox.objects.filter(photo=photos[0]).update(x=500)
    ds.title_en = "Renamed"
    ds.required_scopes = ["publication"]
    ds.save()
    curation_services.dataset_remove_photos(dataset=ds, photos=[photos[1]])

    version = DatasetVersion.objects.get(pk=version.pk)
    assert (
        list(version.items.values_list("file_name", "tags", "subjects", "boxes", "scopes")),
        version.content_hash,
        version.statistics,
    ) == before
    assert before[0][0][3] == [{"label": "face", "x": 10, "y": 10, "w": 100, "h": 120, "confirmed": True}]


def test_a_later_version_lists_its_changes_and_keeps_file_names(contributor, staff):
    ds = dataset()
    photos = [approved_photo(contributor, staff, phash=h) for h in hashes(3)]
    curation_services.dataset_add_photos(dataset=ds, photos=photos[:2])
    v1 = curation_services.dataset_version_freeze(dataset=ds, by=staff)
    curation_services.dataset_remove_photos(dataset=ds, photos=[photos[0]])
    curation_services.dataset_add_photos(dataset=ds, photos=[photos[2]])
    v2 = curation_services.dataset_version_freeze(dataset=ds, by=staff)
    name = curation_services.version_file_name
    assert (v1.number, v2.number) == (1, 2)
    assert v2.changes == {"previous": 1, "added": [name(photos[2])], "removed": [name(photos[0])]}
    assert v1.items.get(photo=photos[1]).file_name == v2.items.get(photo=photos[1]).file_name
    assert v1.content_hash != v2.content_hash


def test_an_unconfirmed_box_blocks_freezing_the_annotated_edition(contributor, staff):
    ds = dataset()
    photo = approved_photo(contributor, staff)
    curation_services.dataset_add_photos(dataset=ds, photos=[photo])
    box = AnnotationBox.objects.create(photo=photo, x=1, y=1, w=10, h=10, source="detector", confirmed=False)
    with pytest.raises(curation_services.ApplicationError) as refused:
        curation_services.dataset_version_freeze(dataset=ds, by=staff, annotated=True)
    assert refused.value.code == "annotation_incomplete"
    assert refused.value.message == (
        f"The annotation of 1 photo(s) is not complete (1 proposed box(es) not confirmed or rejected): "
        f"{photo.original_filename}. Check each in the box editor and mark it complete before freezing the "
        "annotated edition."
    )
    assert not DatasetVersion.objects.exists()
    # Marking it complete is refused while the proposal is unchecked.
    with pytest.raises(curation_services.ApplicationError) as not_yet:
        photo_services.photo_annotation_complete(photo=photo, by=staff)
    assert not_yet.value.code == "unconfirmed_boxes"
    photo_services.box_save(photo=photo, by=staff, box=box, x=1, y=1, w=12, h=12)
    photo_services.photo_annotation_complete(photo=photo, by=staff)
    version = curation_services.dataset_version_freeze(dataset=ds, by=staff, annotated=True)
    assert version.annotated and version.box_count == 1


def test_curation_query_filters_caps_and_balances(staff):
    a, b = ContributorFactory(), ContributorFactory()
    ds = dataset()
    hs = iter(hashes(12))
    masked = [approved_photo(a, staff, phash=next(hs), tags=["mask", "japanese"], mask=True) for _ in range(4)]
    unmasked = [approved_photo(b, staff, phash=next(hs), tags=["mask", "japanese"]) for _ in range(3)]
    other_tag = approved_photo(b, staff, phash=next(hs), tags=["street"], mask=True)

    query = CurationQuery(tags_all=["Mask", "ＪＡＰＡＮＥＳＥ"], mask=True)
    assert curation_count(dataset=ds, query=query) == 4
    assert [p.pk for p in curation_select(dataset=ds, query=query)] == [p.pk for p in masked]
    capped = CurationQuery(tags_all=["mask"], max_per_contributor=2)
    assert [p.pk for p in curation_select(dataset=ds, query=capped)] == [p.pk for p in masked[:2] + unmasked[:2]]
    balanced = CurationQuery(tags_any=["mask", "street"], balance_by="mask", limit=4)
    chosen = curation_select(dataset=ds, query=balanced)
    assert [p.subjects.get().mask for p in chosen] == [False, True, False, True]
    assert [p.pk for p in chosen] == [unmasked[0].pk, masked[0].pk, unmasked[1].pk, masked[1].pk]
    assert other_tag not in chosen  # the oldest of each group come first


def test_applying_a_query_keeps_hand_picked_photos_and_respects_hand_removals(contributor, staff):
    ds = dataset()
    hs = iter(hashes(4))
    tagged = [approved_photo(contributor, staff, phash=next(hs), tags=["mask"]) for _ in range(2)]
    by_hand = approved_photo(contributor, staff, phash=next(hs))
    curation_services.dataset_add_photos(dataset=ds, photos=[by_hand])
    curation_services.dataset_apply_query(dataset=ds, query=CurationQuery(tags_all=["mask"]))
    assert set(ds.photos.values_list("pk", flat=True)) == {tagged[0].pk, tagged[1].pk, by_hand.pk}
    curation_services.dataset_remove_photos(dataset=ds, photos=[tagged[0]])
    ds.refresh_from_db()
    curation_services.dataset_apply_query(dataset=ds, query=CurationQuery.from_dict(ds.curation_query))
    assert set(ds.photos.values_list("pk", flat=True)) == {tagged[1].pk, by_hand.pk}


def test_publishing_needs_a_frozen_version(contributor, staff):
    ds = dataset()
    with pytest.raises(curation_services.ApplicationError, match="Freeze a version"):
        curation_services.dataset_publish(dataset=ds)
    curation_services.dataset_add_photos(dataset=ds, photos=[approved_photo(contributor, staff)])
    curation_services.dataset_version_freeze(dataset=ds, by=staff)
    assert curation_services.dataset_publish(dataset=ds).status == Dataset.Status.PUBLISHED

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import Photo
from licensing.consent import selectors, services, tasks
from licensing.consent.tests.factories import (
    ALL_SCOPES,
    ContributorFactory,
    PhotoFactory,
    StaffFactory,
    attach,
    make_release,
    photo_with_people,
)
from licensing.models import ContributorOptOut

pytestmark = pytest.mark.django_db

EVERYTHING = frozenset(ALL_SCOPES)


@pytest.fixture
def contributor():
    return ContributorFactory()


@pytest.fixture
def reviewer():
    return StaffFactory()


def held(photo) -> frozenset[str]:
    """The scalar selector, the bulk one, the SQL filter and the stored mask must always agree."""
    one = selectors.photo_consent_scopes(photo)
    assert selectors.photos_consent_scopes([photo.pk])[photo.pk] == one
    qs = Photo.objects.filter(pk=photo.pk)
    for code in ALL_SCOPES:
        assert selectors.photos_holding_scopes(qs, [code]).exists() == (code in one), code
        assert selectors.photos_holding_scopes_stored(qs, [code]).exists() == (code in one), code
    if one:
        assert selectors.photos_holding_scopes(qs, one).exists()
        assert selectors.photos_holding_scopes_stored(qs, one).exists()
    assert Photo.objects.get(pk=photo.pk).scope_mask == selectors.photos_scope_masks([photo.pk])[photo.pk]
    return one


def test_photo_holds_the_intersection_of_its_subjects_scopes(contributor, reviewer):
    photo = photo_with_people(contributor, people=2)
    attach(make_release(contributor, approve_by=reviewer), photo, 1)
    attach(make_release(contributor, scopes=["publication", "ai_training"], approve_by=reviewer), photo, 2)
    assert held(photo) == {"publication", "ai_training"}
    assert "biometric" not in selectors.photo_consent_scopes(photo)


def test_a_subject_without_a_release_gives_the_photo_no_scopes(contributor, reviewer):
    photo = photo_with_people(contributor, people=2)
    attach(make_release(contributor, approve_by=reviewer), photo, 1)
    assert held(photo) == frozenset()


def test_an_expired_release_gives_no_scopes(contributor, reviewer):
    photo = photo_with_people(contributor)
    release = make_release(contributor, approve_by=reviewer, expires_on=timezone.localdate() + timedelta(days=30))
    attach(release, photo)
    assert held(photo) == EVERYTHING
    # Time passes: the expiry date is now behind us. The rule sees it at once; the stored
    # mask (what a live curation count reads) until the nightly refresh has run.
    release.expires_on = timezone.localdate() - timedelta(days=1)
    release.save(update_fields=["expires_on"])
    assert selectors.photo_consent_scopes(photo) == frozenset()
    assert selectors.photos_holding_scopes_stored(Photo.objects.filter(pk=photo.pk), ["publication"]).exists()
    assert tasks.scope_masks_refresh_task.apply().get() == 1
    assert held(photo) == frozenset()


def test_a_pending_or_rejected_release_gives_no_scopes(contributor, reviewer):
    photo = photo_with_people(contributor)
    release = make_release(contributor)
    attach(release, photo)
    assert held(photo) == frozenset()
    services.release_reject(release=release, reviewer=reviewer, reason="signature_missing")
    assert held(photo) == frozenset()


def test_a_photo_with_no_people_needs_no_release_and_holds_every_scope(contributor):
    photo = PhotoFactory(contributor=contributor, no_people=True)
    assert held(photo) == EVERYTHING


def test_a_photo_whose_people_are_not_described_holds_nothing(contributor):
    photo = PhotoFactory(contributor=contributor, no_people=False)
    assert held(photo) == frozenset()


def test_a_withdrawn_scope_is_gone_at_once(contributor, reviewer):
    photo = photo_with_people(contributor)
    release = make_release(contributor, approve_by=reviewer)
    attach(release, photo)
    services.consent_withdraw(release=release, scopes=["biometric"])
    assert held(photo) == {"publication", "ai_training", "generative_ai_training", "unique_identification"}
    services.consent_withdraw(release=release)
    assert held(photo) == frozenset()


@pytest.mark.parametrize(
    "kind, expected",
    [
        (ContributorOptOut.Kind.AI_TRAINING, {"publication"}),
        (ContributorOptOut.Kind.BIOMETRIC, {"publication", "ai_training", "generative_ai_training"}),
    ],
)
def test_contributor_opt_out_removes_ai_or_biometric_scopes(contributor, reviewer, kind, expected):
    photo = photo_with_people(contributor)
    other = photo_with_people(contributor)
    scenery = PhotoFactory(contributor=contributor, no_people=True)
    release = make_release(contributor, approve_by=reviewer)
    attach(release, photo)
    attach(release, other)

    services.opt_out_set(contributor=contributor, kind=kind, photos=[photo])
    assert held(photo) == expected
    assert held(other) == EVERYTHING

    services.opt_out_set(contributor=contributor, kind=kind)
    assert held(other) == expected
    assert held(scenery) == expected

    services.opt_out_set(contributor=contributor, kind="")
    services.opt_out_set(contributor=contributor, kind="", photos=[photo])
    assert held(photo) == EVERYTHING


def test_the_stricter_opt_out_wins(contributor, reviewer):
    photo = photo_with_people(contributor)
    attach(make_release(contributor, approve_by=reviewer), photo)
    services.opt_out_set(contributor=contributor, kind="biometric")
    services.opt_out_set(contributor=contributor, kind="ai_training", photos=[photo])
    assert held(photo) == {"publication"}


def test_bulk_selector_takes_a_fixed_number_of_queries(contributor, reviewer, django_assert_num_queries):
    release = make_release(contributor, approve_by=reviewer)
    photos = [photo_with_people(contributor, people=2) for _ in range(3)]
    for photo in photos:
        attach(release, photo, 1)
        attach(make_release(contributor, scopes=["publication"], approve_by=reviewer), photo, 2)
    photos.append(PhotoFactory(contributor=contributor, no_people=True))
    with django_assert_num_queries(5):
        first = selectors.photos_consent_scopes([p.pk for p in photos[:1]])
    more = [photo_with_people(contributor, people=3) for _ in range(10)]
    with django_assert_num_queries(5):
        result = selectors.photos_consent_scopes([p.pk for p in photos + more] + [987654])
    assert first[photos[0].pk] == {"publication"}
    assert [result[p.pk] for p in photos] == [{"publication"}] * 3 + [EVERYTHING]
    assert all(result[p.pk] == frozenset() for p in more)
    assert result[987654] == frozenset()


def test_queryset_filter_agrees_with_the_bulk_selector_over_a_mixed_catalogue(contributor, reviewer):
    full = make_release(contributor, approve_by=reviewer)
    publication_only = make_release(contributor, scopes=["publication"], approve_by=reviewer)
    pending = make_release(contributor)
    photos = []
    # (people in the photo, the releases attached to them in order; fewer releases = someone uncovered)
    for people, releases in [
        (2, [full, full]),
        (2, [full, publication_only]),
        (2, [full, pending]),
        (2, [full]),
        (1, [publication_only]),
    ]:
        photo = photo_with_people(contributor, people=people)
        for position, release in enumerate(releases, start=1):
            attach(release, photo, position)
        photos.append(photo)
    photos.append(PhotoFactory(contributor=contributor, no_people=True))
    other = ContributorFactory()
    opted = PhotoFactory(contributor=other, no_people=True)
    services.opt_out_set(contributor=other, kind="ai_training")
    photos.append(opted)

    by_photo = selectors.photos_consent_scopes([p.pk for p in photos])
    everything = Photo.objects.filter(pk__in=[p.pk for p in photos])
    for wanted in [["publication"], ["ai_training"], ["publication", "biometric"], list(ALL_SCOPES)]:
        expected = {pk for pk, scopes in by_photo.items() if set(wanted) <= scopes}
        assert set(selectors.photos_holding_scopes(everything, wanted).values_list("pk", flat=True)) == expected, wanted
        stored = selectors.photos_holding_scopes_stored(everything, wanted)
        assert set(stored.values_list("pk", flat=True)) == expected, wanted
    assert not selectors.photos_holding_scopes(everything, ["no_such_scope"]).exists()
    assert not selectors.photos_holding_scopes_stored(everything, ["no_such_scope"]).exists()
    # The nightly refresh finds nothing to correct: every service kept the masks current.
    assert services.photos_scope_masks_refresh() == 0


def test_stored_masks_follow_every_consent_change(contributor, reviewer):
    """Link, approve, withdraw part and all, detach, opt out and back, describe: the mask follows each step."""
    photo = photo_with_people(contributor, people=1)
    release = make_release(contributor)
    attach(release, photo)
    assert held(photo) == frozenset()
    services.release_approve(release=release, reviewer=reviewer)
    assert held(photo) == EVERYTHING
    services.opt_out_set(contributor=contributor, kind="biometric")
    assert held(photo) == {"publication", "ai_training", "generative_ai_training"}
    services.opt_out_set(contributor=contributor, kind="")
    assert held(photo) == EVERYTHING
    services.opt_out_set(contributor=contributor, kind="ai_training", photos=[photo])
    assert held(photo) == {"publication"}
    services.opt_out_set(contributor=contributor, kind="", photos=[photo])
    services.consent_withdraw(release=release, scopes=["unique_identification"])
    assert held(photo) == {"publication", "ai_training", "generative_ai_training", "biometric"}
    services.consent_withdraw(release=release)
    assert held(photo) == frozenset()

    draft = photo_with_people(contributor, people=1)
    second = make_release(contributor, approve_by=reviewer)
    attach(second, draft)
    assert held(draft) == EVERYTHING
    services.release_detach(subject=draft.subjects.get())
    assert held(draft) == frozenset()
    from catalog.photos import services as catalog_services

    catalog_services.photo_describe(photo=draft, subjects=[], no_people=True)
    assert held(draft) == EVERYTHING
    assert services.photos_scope_masks_refresh() == 0


def test_each_scope_owns_the_lowest_free_bit_of_the_mask_and_at_most_63_exist():
    from django.core.exceptions import ValidationError

    from licensing.models import ConsentScope

    bits = sorted(ConsentScope.objects.values_list("bit", flat=True))
    assert bits == list(range(len(bits)))
    gone = ConsentScope.objects.create(code="gone", name_en="Gone", name_ja="削除")
    assert gone.bit == len(bits)
    gone.delete()
    again = ConsentScope.objects.create(code="again", name_en="Again", name_ja="再び")
    assert again.bit == len(bits)  # a freed bit is used again, ids keep growing
    for n in range(62 - len(bits)):
        ConsentScope.objects.create(code=f"extra-{n}", name_en="Extra", name_ja="追加")
    assert ConsentScope.objects.count() == 63
    with pytest.raises(ValidationError, match="at most 63 consent scopes"):
        ConsentScope.objects.create(code="one-too-many", name_en="No", name_ja="不可")

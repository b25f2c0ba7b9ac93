"""A contributor's ordinary day: people and releases from the photo, bulk edit, the dashboard."""

from __future__ import annotations

import importlib
from datetime import date, datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from catalog.models import Photo, PhotoSubject, Tag
from catalog.photos.services import photo_submit
from catalog.tests.factories import DatasetFactory
from contributors.models import RoyaltyEntry
from contributors.services import TOKYO
from licensing.consent.tests.factories import (
    PhotoFactory,
    attach,
    make_release,
    pdf_upload,
    photo_with_people,
    release_fields,
)
from licensing.models import ModelRelease
from stockdata.accounts.tests.factories import ContributorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def contributor(client):
    user = ContributorFactory()
    client.force_login(user)
    return user


def _release_post(photo: Photo, person: int, **overrides) -> dict:
    data = {
        **{k: (v.isoformat() if isinstance(v, date) else v) for k, v in release_fields().items()},
        "scopes": ["publication", "ai_training"],
        "document": pdf_upload(),
        "photo": str(photo.uuid),
        "person": str(person),
    }
    data.update(overrides)
    return data


# --- People and releases from the photo --------------------------------------------------------


def test_daily_flow_photo_page_shows_each_person_with_their_release_and_what_to_do(client, contributor):
    photo = photo_with_people(contributor, people=2, shoot_date=date(2026, 3, 1))
    release = make_release(contributor)
    attach(release, photo, position=1)
    html = client.get(reverse("contributors:photo_detail", args=[photo.uuid])).content.decode()
    assert 'data-testid="people-releases"' in html
    assert f"<code>{release.subject_id}</code>" in html
    assert 'data-testid="person-1-release-status">Waiting for review<' in html
    assert 'data-testid="person-2-release-status">No release yet<' in html
    create_url = reverse("licensing:release_create") + f"?photo={photo.uuid}&amp;person=2"
    assert f'href="{create_url}"' in html
    assert "1 person has no release yet." in html


def test_daily_flow_release_uploaded_from_the_photo_is_attached_to_that_person_and_returns_to_the_photo(
    client, contributor
):
    photo = photo_with_people(contributor, people=2, shoot_date=date(2026, 3, 1), prefecture="Tokyo")
    page = client.get(reverse("licensing:release_create"), {"photo": str(photo.uuid), "person": "2"})
    assert page.status_code == 200
    # The form starts with what the photo says.
    assert page.context["form"].initial["shoot_date"] == date(2026, 3, 1)
    assert page.context["form"].initial["shoot_place"] == "Tokyo"
    assert 'data-testid="release-for-photo"' in page.content.decode()

    response = client.post(reverse("licensing:release_create"), _release_post(photo, 2))
    assert response.status_code == 302
    assert response["Location"] == reverse("contributors:photo_detail", args=[photo.uuid]) + "#people-releases"
    release = ModelRelease.objects.get(contributor=contributor)
    assert release.status == ModelRelease.Status.PENDING
    person2 = PhotoSubject.objects.get(photo=photo, position=2)
    assert person2.release_link.release == release
    assert not hasattr(PhotoSubject.objects.get(photo=photo, position=1), "release_link")


def test_daily_flow_a_refused_release_form_keeps_the_photo_and_the_person(client, contributor):
    photo = photo_with_people(contributor, people=1)
    response = client.post(reverse("licensing:release_create"), _release_post(photo, 1, scopes=[]))
    assert response.status_code == 400
    html = response.content.decode()
    assert f'name="photo" value="{photo.uuid}"' in html and 'name="person" value="1"' in html
    assert ModelRelease.objects.count() == 0


def test_daily_flow_release_for_another_contributors_photo_is_404_and_saves_nothing(client, contributor):
    other = photo_with_people(ContributorFactory(), people=1)
    assert client.get(reverse("licensing:release_create"), {"photo": str(other.uuid), "person": "1"}).status_code == 404
    assert client.post(reverse("licensing:release_create"), _release_post(other, 1)).status_code == 404
    assert client.get(reverse("licensing:release_create"), {"photo": "nope", "person": "1"}).status_code == 404
    assert ModelRelease.objects.count() == 0


def test_daily_flow_release_picker_lists_releases_with_a_photo_they_cover(client, contributor):
    covered = photo_with_people(contributor, people=1, title="Shibuya crossing")
    photo = photo_with_people(contributor, people=1)
    known = make_release(contributor, reference="Model A")
    attach(known, covered)
    fresh = make_release(contributor, reference="Model B")
    response = client.get(reverse("licensing:photo_releases", args=[photo.uuid]))
    html = response.content.decode()
    assert f'data-testid="pick-1-{known.subject_id}"' in html
    assert f'data-testid="pick-1-{fresh.subject_id}"' in html
    candidates = {r.subject_id: r for r in response.context["candidates"]}
    assert candidates[known.subject_id].cover_photo == covered
    assert candidates[fresh.subject_id].cover_photo is None
    # Searching narrows the list.
    searched = client.get(reverse("licensing:photo_releases", args=[photo.uuid]), {"q": "Model B"})
    assert [r.subject_id for r in searched.context["candidates"]] == [fresh.subject_id]
    # Picking one attaches it.
    client.post(
        reverse("licensing:photo_releases", args=[photo.uuid]),
        {"position": "1", "release": str(fresh.uuid), "action": "attach"},
    )
    assert PhotoSubject.objects.get(photo=photo, position=1).release_link.release == fresh


# --- Bulk edit --------------------------------------------------------------------------------


def test_daily_flow_bulk_edit_sets_titles_people_and_their_attributes(client, contributor):
    photos = [PhotoFactory(contributor=contributor, title="") for _ in range(3)]
    photo_with_two = photo_with_people(contributor, people=2)
    photos.append(photo_with_two)
    response = client.post(
        reverse("contributors:photos_bulk_edit"),
        {
            "photos": [str(p.uuid) for p in photos],
            "title": "Commuters in masks, Shinjuku",
            "people": "1",
            "mask": "yes",
            "age_band": "20s",
        },
    )
    assert response.status_code == 302
    for photo in photos:
        photo.refresh_from_db()
        assert photo.title == "Commuters in masks, Shinjuku"
        assert photo.no_people is False
        people = list(photo.subjects.order_by("position").values_list("position", "mask", "age_band"))
        assert people == [(1, True, "20s")]


def test_daily_flow_bulk_edit_people_zero_marks_no_people(client, contributor):
    photo = photo_with_people(contributor, people=2)
    response = client.post(reverse("contributors:photos_bulk_edit"), {"photos": [str(photo.uuid)], "people": "0"})
    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.no_people is True
    assert photo.subjects.count() == 0


def test_daily_flow_bulk_edit_refuses_a_bad_people_count_and_changes_nothing(client, contributor):
    photo = PhotoFactory(contributor=contributor, title="Kept")
    response = client.post(
        reverse("contributors:photos_bulk_edit"),
        {"photos": [str(photo.uuid)], "people": "51", "title": "Not applied"},
    )
    assert response.status_code == 400
    assert "Ensure this value is less than or equal to 50." in response.content.decode()
    photo.refresh_from_db()
    assert photo.title == "Kept" and photo.subjects.count() == 0


def test_daily_flow_ten_uploads_described_with_one_bulk_edit_can_all_be_submitted(client, contributor):
    photos = [PhotoFactory(contributor=contributor, title="") for _ in range(10)]
    client.post(
        reverse("contributors:photos_bulk_edit"),
        {"photos": [str(p.uuid) for p in photos], "title": "Rainy street", "add_tags": "rain, 雨", "people": "0"},
    )
    client.post(reverse("contributors:photos_bulk_submit"), {"photos": [str(p.uuid) for p in photos]})
    assert Photo.objects.filter(contributor=contributor, status=Photo.Status.SUBMITTED).count() == 10


# --- Dashboard --------------------------------------------------------------------------------


def test_daily_flow_dashboard_shows_this_months_earnings_and_the_datasets_with_my_photos(client):
    dataset = DatasetFactory(version__photos=6, version__contributors=2)
    item = dataset.latest_version.items.first()
    contributor = item.contributor
    mine = dataset.latest_version.items.filter(contributor=contributor).count()
    DatasetFactory(draft=True, version__photos=2)  # unpublished: never listed
    now = timezone.now()
    RoyaltyEntry.objects.create(kind=RoyaltyEntry.Kind.SALE, contributor=contributor, amount=12_345, created_at=now)
    RoyaltyEntry.objects.create(kind=RoyaltyEntry.Kind.REFUND, contributor=contributor, amount=-345, created_at=now)
    last_month = (
        datetime(now.year - 1, 12, 15, tzinfo=TOKYO) if now.month == 1 else now.replace(month=now.month - 1, day=1)
    )
    RoyaltyEntry.objects.create(
        kind=RoyaltyEntry.Kind.SALE, contributor=contributor, amount=50_000, created_at=last_month
    )
    client.force_login(contributor)
    response = client.get(reverse("contributors:dashboard"))
    html = response.content.decode()
    assert 'data-testid="month-yen">¥12,000<' in html
    assert "Balance to be paid: ¥62,000." in html
    assert [d.pk for d in response.context["datasets"]] == [dataset.pk]
    assert response.context["datasets"][0].your_photos == mine
    assert dataset.title_en in html


def test_daily_flow_dashboard_without_sales_or_datasets_says_so(client, contributor):
    html = client.get(reverse("contributors:dashboard")).content.decode()
    assert 'data-testid="month-yen">¥0<' in html
    assert "None of your photos is in a published dataset yet." in html


# --- Titles in two languages ------------------------------------------------------------------


def test_daily_flow_title_in_english_and_japanese_are_saved_apart_and_shown_in_the_readers_language(
    client, contributor
):
    photo = PhotoFactory(contributor=contributor, title="")
    response = client.post(
        reverse("contributors:photo_detail", args=[photo.uuid]),
        {
            "photo-title": "Commuter in a mask",
            "photo-title_ja": "マスクの通勤者",
            "photo-keywords": "mask",
            "photo-country": "JP",
            "photo-no_people": "on",
            "subjects-TOTAL_FORMS": "0",
            "subjects-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    photo.refresh_from_db()
    assert (photo.title, photo.title_ja) == ("Commuter in a mask", "マスクの通勤者")
    with translation.override("ja"):
        assert str(photo) == "マスクの通勤者"
    with translation.override("en"):
        assert str(photo) == "Commuter in a mask"


def test_daily_flow_a_japanese_title_alone_is_enough_to_submit(contributor):
    photo = PhotoFactory(contributor=contributor, title="", title_ja="雨の渋谷", no_people=True)
    photo.tags.set([Tag.objects.create(name="rain")])
    assert photo_submit(photo=photo).status == Photo.Status.SUBMITTED


def test_daily_flow_bulk_edit_sets_both_titles(client, contributor):
    photos = [PhotoFactory(contributor=contributor, title="") for _ in range(2)]
    client.post(
        reverse("contributors:photos_bulk_edit"),
        {"photos": [str(p.uuid) for p in photos], "title": "Rainy street", "title_ja": "雨の通り"},
    )
    assert set(Photo.objects.filter(pk__in=[p.pk for p in photos]).values_list("title", "title_ja")) == {
        ("Rainy street", "雨の通り")
    }


@pytest.mark.parametrize(
    "stored, split",
    [
        ("Commuter in a mask / マスクの通勤者", ("Commuter in a mask", "マスクの通勤者")),
        ("東京タワー", ("", "東京タワー")),
        ("Tokyo Tower at night", ("Tokyo Tower at night", "")),
        ("AC/DC / live", ("AC/DC / live", "")),
        ("Tokyo 東京 street", ("Tokyo 東京 street", "")),
    ],
)
def test_daily_flow_titles_written_as_english_slash_japanese_are_split_by_the_migration(stored, split):
    migration = importlib.import_module("catalog.migrations.0010_photo_title_ja")
    assert migration.split_bilingual_title(stored) == split


def test_daily_flow_photo_page_offers_the_keywords_of_my_own_approved_photos(client, contributor):
    def tagged(owner, status, *names):
        photo = PhotoFactory(contributor=owner, status=status)
        photo.tags.set([Tag.objects.get_or_create(name=n)[0] for n in names])

    tagged(contributor, Photo.Status.APPROVED, "mask", "commuter")
    tagged(contributor, Photo.Status.APPROVED, "mask", "rain")
    tagged(contributor, Photo.Status.DRAFT, "unreviewed")
    tagged(ContributorFactory(), Photo.Status.APPROVED, "someone-elses")
    draft = PhotoFactory(contributor=contributor)
    response = client.get(reverse("contributors:photo_detail", args=[draft.uuid]))
    assert response.context["usual_keywords"] == ["mask", "commuter", "rain"]
    assert 'data-keyword="mask"' in response.content.decode()

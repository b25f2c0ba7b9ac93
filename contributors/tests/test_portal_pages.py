"""The contributor portal pages: upload, My photos, one photo, dashboard."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Photo, PhotoSubject, Tag
from catalog.photos import services
from stockdata.accounts.tests.factories import BuyerFactory, ContributorFactory
from stockdata.demo.synthetic import make_photo

pytestmark = pytest.mark.django_db

NOT_AN_IMAGE = "This file is not an image. Please upload the photo as a JPEG, PNG or WebP file."


def jpeg(seed: int, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_photo(seed, width=2000, height=1600).data, content_type="image/jpeg")


def text_file(name: str = "notes.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"Shooting notes: Asakusa, 3 June, overcast.\n", content_type="image/jpeg")


@pytest.fixture
def uploaded(django_capture_on_commit_callbacks):
    """A real upload through the service, processed (thumbnail, preview) as the worker would."""

    def make(contributor, seed: int, name: str = "photo.jpg") -> Photo:
        with django_capture_on_commit_callbacks(execute=True):
            photo = services.photo_upload(contributor=contributor, file=jpeg(seed, name))
        photo.refresh_from_db()
        assert photo.processing == Photo.Processing.READY, photo.processing_error
        return photo

    return make


def photo_row(contributor, n: int, **fields) -> Photo:
    """A photo row without files, for pages that only list photos."""
    defaults = dict(
        original_filename=f"IMG_{n:04d}.jpg",
        format="JPEG",
        width=2000,
        height=1600,
        byte_size=1_234_567,
        sha256=uuid.uuid4().hex * 2,
        processing=Photo.Processing.READY,
    )
    return Photo.objects.create(contributor=contributor, **(defaults | fields))


@pytest.fixture
def contributor(client):
    user = ContributorFactory()
    client.force_login(user)
    return user


def describe_data(**overrides) -> dict:
    data = {
        "photo-title": "Commuter with a mask in Shibuya",
        "photo-description": "Morning rush hour.",
        "photo-keywords": "Mask, マスク、 Tokyo",
        "photo-shoot_date": "2025-06-03",
        "photo-country": "jp",
        "photo-prefecture": "東京都",
        "photo-lighting": "daylight",
        "subjects-TOTAL_FORMS": "3",
        "subjects-INITIAL_FORMS": "0",
        "subjects-MIN_NUM_FORMS": "0",
        "subjects-MAX_NUM_FORMS": "50",
        "subjects-0-age_band": "30s",
        "subjects-0-gender": "female",
        "subjects-0-ethnicity": "Japanese",
        "subjects-0-mask": "on",
        "subjects-0-angle": "frontal",
        "subjects-1-age_band": "60plus",
        "subjects-1-gender": "male",
        "subjects-1-glasses": "on",
        "subjects-1-hat": "on",
        "subjects-1-angle": "profile",
        # the blank row the page always offers: ignored
        "subjects-2-age_band": "",
    }
    return data | overrides


# --- Access ---------------------------------------------------------------------------


def test_the_portal_pages_render_for_their_owner(client, contributor, uploaded):
    photo = uploaded(contributor, 1, "asakusa.jpg")

    dashboard = client.get("/portal/")
    assert dashboard.status_code == 200
    nav = dashboard.content.decode().split('data-testid="main-nav"')[1].split("</nav>")[0]
    assert 'href="/portal/upload/"' in nav and 'href="/portal/photos/"' in nav
    assert reverse("contributors:upload") in dashboard.content.decode()
    assert "asakusa.jpg" in dashboard.content.decode()

    upload = client.get("/portal/upload/")
    html = upload.content.decode()
    assert upload.status_code == 200
    assert "Long side at least 1,600 px" in html
    assert "Up to 50 MB per file" in html
    assert 'id="uploader-config"' in html and '"endpoint": "/api/v1/photos/"' in html

    listing = client.get("/portal/photos/")
    assert listing.status_code == 200
    assert photo.thumbnail_url in listing.content.decode()

    detail = client.get(f"/portal/photos/{photo.uuid}/")
    html = detail.content.decode()
    assert detail.status_code == 200
    assert photo.preview_url in html
    assert photo.sha256 in html
    assert "2,000 × 1,600 px" in html
    assert 'name="photo-title"' in html
    # Only public derivatives are ever linked, never the original.
    assert photo.original.name not in html and "originals/" not in html


def test_another_contributors_photo_is_not_found_on_any_page_or_api(client, contributor, uploaded):
    other = ContributorFactory()
    theirs = uploaded(other, 2)
    detail = f"/portal/photos/{theirs.uuid}/"

    assert client.get(detail).status_code == 404
    assert client.post(detail, describe_data()).status_code == 404
    assert client.post(f"{detail}submit/").status_code == 404
    assert client.post(f"{detail}delete/").status_code == 404
    mine = photo_row(contributor, 1)
    bulk = {"photos": [str(mine.uuid), str(theirs.uuid)], "add_tags": "stolen"}
    assert client.post("/portal/photos/bulk/edit/", bulk).status_code == 404
    assert client.post("/portal/photos/bulk/submit/", bulk).status_code == 404

    api = f"/api/v1/photos/{theirs.uuid}/"
    assert client.get(api).status_code == 404
    assert client.patch(api, {"title": "mine now"}, content_type="application/json").status_code == 404
    assert client.delete(api).status_code == 404

    theirs.refresh_from_db()
    assert theirs.title == "" and theirs.status == Photo.Status.DRAFT
    assert list(theirs.tags.all()) == [] and list(mine.tags.all()) == []


PORTAL_URLS = ["/portal/", "/portal/upload/", "/portal/photos/", "/portal/tags/suggest/?q=ma"]


@pytest.mark.parametrize("url", PORTAL_URLS)
def test_anonymous_visitors_are_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", PORTAL_URLS)
def test_buyers_cannot_open_the_portal(client, url):
    client.force_login(BuyerFactory())
    assert client.get(url).status_code == 404


def test_a_buyer_cannot_open_a_contributors_photo(client, uploaded):
    photo = uploaded(ContributorFactory(), 3)
    client.force_login(BuyerFactory())
    assert client.get(f"/portal/photos/{photo.uuid}/").status_code == 404
    assert client.post(f"/portal/photos/{photo.uuid}/delete/").status_code == 404
    assert Photo.objects.filter(pk=photo.pk).exists()


# --- Upload without JavaScript ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_upload_without_javascript_judges_each_file_on_its_own(client, contributor):
    # Transactional, like production: each accepted file commits on its own and (eager
    # Celery) is processed right after, so the results already show its thumbnail.
    response = client.post("/portal/upload/", {"files": [text_file("notes.jpg"), jpeg(10, "good.jpg")]})

    assert response.status_code == 200
    results = response.context["results"]
    assert [(r["name"], r["ok"]) for r in results] == [("notes.jpg", False), ("good.jpg", True)]
    assert results[0]["message"] == NOT_AN_IMAGE
    html = response.content.decode()
    assert NOT_AN_IMAGE in html
    assert "1 uploaded · 1 refused" in html

    photo = Photo.objects.get()
    assert photo.contributor == contributor
    assert photo.original_filename == "good.jpg"
    assert photo.processing == Photo.Processing.READY
    assert photo.thumbnail_url in html
    assert reverse("contributors:photo_detail", args=[photo.uuid]) in html


def test_upload_without_javascript_links_to_the_photo_already_uploaded(client, contributor, uploaded):
    first = uploaded(contributor, 11, "first.jpg")
    response = client.post("/portal/upload/", {"files": [jpeg(11, "again.jpg")]})
    html = response.content.decode()
    assert "You already uploaded this exact photo." in html
    assert f'href="/portal/photos/{first.uuid}/"' in html
    assert Photo.objects.count() == 1


def test_upload_without_any_file_asks_for_one(client, contributor):
    response = client.post("/portal/upload/", {})
    assert response.status_code == 400
    assert "Choose at least one photo to upload." in response.content.decode()
    assert Photo.objects.count() == 0


# --- One photo ----------------------------------------------------------------------


def test_description_and_people_are_saved_through_the_form(client, contributor):
    photo = photo_row(contributor, 1)
    response = client.post(f"/portal/photos/{photo.uuid}/", describe_data())
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    assert response["Location"] == f"/portal/photos/{photo.uuid}/"

    photo.refresh_from_db()
    assert photo.title == "Commuter with a mask in Shibuya"
    assert photo.description == "Morning rush hour."
    assert str(photo.shoot_date) == "2025-06-03"
    assert (photo.country, photo.prefecture, photo.lighting) == ("JP", "東京都", "daylight")
    assert sorted(t.name for t in photo.tags.all()) == ["mask", "tokyo", "マスク"]
    subjects = list(
        photo.subjects.order_by("position").values(
            "position", "age_band", "gender", "ethnicity", "mask", "glasses", "hat", "angle"
        )
    )
    assert subjects == [
        {
            "position": 1,
            "age_band": "30s",
            "gender": "female",
            "ethnicity": "Japanese",
            "mask": True,
            "glasses": False,
            "hat": False,
            "angle": "frontal",
        },
        {
            "position": 2,
            "age_band": "60plus",
            "gender": "male",
            "ethnicity": "",
            "mask": False,
            "glasses": True,
            "hat": True,
            "angle": "profile",
        },
    ]

    # The page shows what was saved, and removing a person keeps the other one.
    html = client.get(f"/portal/photos/{photo.uuid}/").content.decode()
    assert 'value="mask, tokyo, マスク"' in html or 'value="mask, マスク, tokyo"' in html
    removal = describe_data(
        **{
            "subjects-TOTAL_FORMS": "2",
            "subjects-INITIAL_FORMS": "2",
            "subjects-0-DELETE": "on",
        }
    )
    del removal["subjects-2-age_band"]
    assert client.post(f"/portal/photos/{photo.uuid}/", removal).status_code == 302
    assert list(photo.subjects.values_list("position", "gender")) == [(1, "male")]


def test_people_and_no_people_together_are_refused_on_the_form(client, contributor):
    photo = photo_row(contributor, 1)
    response = client.post(f"/portal/photos/{photo.uuid}/", describe_data(**{"photo-no_people": "on"}))
    assert response.status_code == 400
    assert response.context["form"].errors["no_people"] == ["A photo marked as having no people cannot list subjects."]
    assert PhotoSubject.objects.count() == 0
    photo.refresh_from_db()
    assert photo.title == ""


def test_submitting_an_incomplete_photo_shows_why(client, contributor):
    photo = photo_row(contributor, 1)
    response = client.post(f"/portal/photos/{photo.uuid}/submit/", follow=True)
    assert response.redirect_chain == [(f"/portal/photos/{photo.uuid}/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        (
            "This photo cannot be submitted yet: it has no title; it has no keywords; "
            "describe the people in it, or mark it as having no people."
        )
    ]
    photo.refresh_from_db()
    assert photo.status == Photo.Status.DRAFT


def test_save_and_submit_sends_the_photo_to_review_and_it_becomes_read_only(client, contributor):
    photo = photo_row(contributor, 1)
    response = client.post(f"/portal/photos/{photo.uuid}/submit/", describe_data(), follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Submitted for review. We will tell you the result here."]
    photo.refresh_from_db()
    assert photo.status == Photo.Status.SUBMITTED
    assert photo.title == "Commuter with a mask in Shibuya"
    assert photo.subjects.count() == 2

    html = response.content.decode()
    assert 'data-testid="describe-form"' not in html
    assert 'data-testid="description-read-only"' in html
    response = client.post(f"/portal/photos/{photo.uuid}/", describe_data(**{"photo-title": "changed"}), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "This photo is submitted for review and can no longer be edited."
    ]
    photo.refresh_from_db()
    assert photo.title == "Commuter with a mask in Shibuya"


def test_a_rejected_photo_says_why_in_words(client, contributor):
    photo = photo_row(
        contributor,
        1,
        status=Photo.Status.REJECTED,
        rejection_reason="no_release",
        rejection_note="Person 2 has no release.",
    )
    html = client.get(f"/portal/photos/{photo.uuid}/").content.decode()
    assert "A person in the photo has no valid model release." in html
    assert "Person 2 has no release." in html
    assert 'data-testid="describe-form"' in html  # rejected photos can be fixed


def test_a_draft_can_be_deleted_but_a_submitted_photo_cannot(client, contributor, uploaded):
    draft = uploaded(contributor, 20, "draft.jpg")
    response = client.post(f"/portal/photos/{draft.uuid}/delete/", follow=True)
    assert response.redirect_chain == [("/portal/photos/", 302)]
    assert [str(m) for m in response.context["messages"]] == ["“draft.jpg” was deleted."]
    assert not Photo.objects.filter(pk=draft.pk).exists()

    submitted = photo_row(contributor, 2, status=Photo.Status.SUBMITTED)
    response = client.post(f"/portal/photos/{submitted.uuid}/delete/", follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "This photo is submitted for review and can no longer be edited."
    ]
    assert Photo.objects.filter(pk=submitted.pk).exists()


def test_near_duplicate_links_to_the_contributors_own_photo_only(client, contributor):
    own = photo_row(contributor, 1)
    similar = photo_row(contributor, 2, near_duplicate_of=own)
    foreign = photo_row(ContributorFactory(), 3)
    copied = photo_row(contributor, 4, near_duplicate_of=foreign)

    html = client.get(f"/portal/photos/{similar.uuid}/").content.decode()
    assert f'href="/portal/photos/{own.uuid}/"' in html
    html = client.get(f"/portal/photos/{copied.uuid}/").content.decode()
    assert "very similar to a photo by another contributor" in html
    assert str(foreign.uuid) not in html


def test_keyword_suggestions_leave_out_other_contributors_unapproved_tags(client, contributor):
    """Replay (issue 18): tag suggestions included other contributors' draft tags."""
    from stockdata.accounts.tests.factories import ContributorFactory

    other = ContributorFactory()
    draft = photo_row(other, 1)
    services.photo_describe(photo=draft, tags=["secret-project-x", "public-park"])
    approved = photo_row(other, 2)
    services.photo_describe(photo=approved, tags=["public-park"])
    Photo.objects.filter(pk=approved.pk).update(status=Photo.Status.APPROVED)  # as a reviewer's approval leaves it
    mine = photo_row(contributor, 3)
    services.photo_describe(photo=mine, tags=["my-draft-tag"])
    assert client.get("/portal/tags/suggest/", {"q": "secret"}).json() == {"tags": []}
    assert client.get("/portal/tags/suggest/", {"q": "public"}).json() == {"tags": ["public-park"]}
    assert client.get("/portal/tags/suggest/", {"q": "my-draft"}).json() == {"tags": ["my-draft-tag"]}


def test_keyword_suggestions_work_in_japanese_and_english(client, contributor):
    photo = photo_row(contributor, 1)
    services.photo_describe(photo=photo, tags=["マスク", "マスク着用", "mask", "masked face", "tokyo"])
    other = photo_row(contributor, 2)
    services.photo_describe(photo=other, tags=["masked face"])

    assert client.get("/portal/tags/suggest/", {"q": "マスク"}).json() == {"tags": ["マスク", "マスク着用"]}
    # Most used first; full-width and upper case typing is normalised like the tags are.
    assert client.get("/portal/tags/suggest/", {"q": "ＭＡＳ"}).json() == {"tags": ["masked face", "mask"]}
    assert client.get("/portal/tags/suggest/", {"q": "kyo"}).json() == {"tags": ["tokyo"]}
    assert client.get("/portal/tags/suggest/", {"q": " "}).json() == {"tags": []}


# --- My photos ----------------------------------------------------------------------------


def test_bulk_edit_adds_a_keyword_and_attributes_to_the_selected_photos_only(client, contributor):
    a, b, c = (photo_row(contributor, n) for n in (1, 2, 3))
    PhotoSubject.objects.bulk_create([PhotoSubject(photo=p, position=1) for p in (a, b, c)])
    response = client.post(
        "/portal/photos/bulk/edit/",
        {
            "photos": [str(a.uuid), str(b.uuid)],
            "add_tags": "桜, Spring",
            "lighting": "daylight",
            "mask": "yes",
            "next": "/portal/photos/?status=draft",
        },
        follow=True,
    )
    assert response.redirect_chain == [("/portal/photos/?status=draft", 302)]
    assert [str(m) for m in response.context["messages"]] == ["2 photos updated."]
    for photo in (a, b):
        photo.refresh_from_db()
        assert sorted(t.name for t in photo.tags.all()) == ["spring", "桜"]
        assert photo.lighting == "daylight"
        assert photo.subjects.get().mask is True
    c.refresh_from_db()
    assert list(c.tags.all()) == [] and c.lighting == "" and c.subjects.get().mask is False

    client.post("/portal/photos/bulk/edit/", {"photos": [str(a.uuid)], "remove_tags": "SPRING"})
    assert [t.name for t in a.tags.all()] == ["桜"]


def test_bulk_edit_with_nothing_to_change_or_nothing_selected_says_so(client, contributor):
    photo = photo_row(contributor, 1)
    response = client.post("/portal/photos/bulk/edit/", {"photos": [str(photo.uuid)]})
    assert response.status_code == 400
    assert response.context["bulk_form"].non_field_errors() == ["Choose at least one change to apply."]
    assert response.context["selected"] == {str(photo.uuid)}

    response = client.post("/portal/photos/bulk/edit/", {"add_tags": "tokyo"})
    assert response.status_code == 400
    assert response.context["bulk_form"].non_field_errors() == ["Select at least one photo."]
    assert Tag.objects.count() == 0


def test_bulk_edit_refuses_photos_under_review(client, contributor):
    draft = photo_row(contributor, 1)
    submitted = photo_row(contributor, 2, status=Photo.Status.SUBMITTED)
    response = client.post(
        "/portal/photos/bulk/edit/", {"photos": [str(draft.uuid), str(submitted.uuid)], "add_tags": "x"}
    )
    assert response.status_code == 400
    assert response.context["bulk_form"].non_field_errors() == [
        "This photo is submitted for review and can no longer be edited."
    ]
    assert list(draft.tags.all()) == []


def test_bulk_submit_sends_the_complete_photos_and_explains_the_others(client, contributor):
    ready = photo_row(contributor, 1, title="Rice fields", no_people=True)
    services.photo_describe(photo=ready, tags=["田んぼ"])
    incomplete = photo_row(contributor, 2)
    response = client.post(
        "/portal/photos/bulk/submit/", {"photos": [str(ready.uuid), str(incomplete.uuid)]}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [
        (
            "IMG_0002.jpg: This photo cannot be submitted yet: it has no title; it has no keywords; "
            "describe the people in it, or mark it as having no people."
        ),
        "1 photo submitted for review.",
    ]
    ready.refresh_from_db()
    incomplete.refresh_from_db()
    assert (ready.status, incomplete.status) == (Photo.Status.SUBMITTED, Photo.Status.DRAFT)


def test_my_photos_shows_only_mine_with_counts_per_status_and_filters(client, contributor):
    photo_row(contributor, 1)
    photo_row(contributor, 2)
    photo_row(contributor, 3, status=Photo.Status.APPROVED)
    photo_row(
        contributor, 4, status=Photo.Status.REJECTED, rejection_reason="trademark", rejection_note="Logo on the bag."
    )
    photo_row(ContributorFactory(), 5)

    response = client.get("/portal/photos/")
    counts = {tab["value"]: tab["count"] for tab in response.context["tabs"]}
    assert counts == {"": 4, "draft": 2, "submitted": 0, "approved": 1, "rejected": 1}
    assert [p.original_filename for p in response.context["photos"]] == [
        "IMG_0004.jpg",
        "IMG_0003.jpg",
        "IMG_0002.jpg",
        "IMG_0001.jpg",
    ]
    html = response.content.decode()
    assert "IMG_0005.jpg" not in html
    assert "Logos, trademarks or artworks are recognisable. — Logo on the bag." in html

    response = client.get("/portal/photos/", {"status": "rejected"})
    assert [p.original_filename for p in response.context["photos"]] == ["IMG_0004.jpg"]
    # Only photos that can still be changed get a checkbox.
    response = client.get("/portal/photos/")
    assert response.content.decode().count('name="photos"') == 3


def test_my_photos_has_48_per_page(client, contributor):
    Photo.objects.bulk_create(
        [
            Photo(
                contributor=contributor,
                original_filename=f"IMG_{n:04d}.jpg",
                format="JPEG",
                width=2000,
                height=1600,
                byte_size=1,
                sha256=f"{n:064x}",
            )
            for n in range(50)
        ]
    )
    first = client.get("/portal/photos/")
    assert len(first.context["photos"]) == 48
    second = client.get("/portal/photos/", {"page": 2})
    assert len(second.context["photos"]) == 2
    assert "Page 2 of 2" in second.content.decode()


def _fill(contributor, start: int, count: int) -> None:
    tags = services.tags_get_or_create(["mask", "マスク", "tokyo"])
    for n in range(start, start + count):
        photo = photo_row(contributor, n, title=f"Photo {n}")
        photo.tags.set(tags)
        PhotoSubject.objects.bulk_create([PhotoSubject(photo=photo, position=1), PhotoSubject(photo=photo, position=2)])
    own = Photo.objects.filter(contributor=contributor).first()
    Photo.objects.filter(pk=own.pk).update(near_duplicate_of=Photo.objects.filter(contributor=contributor).last())


def test_my_photos_runs_the_same_few_queries_for_3_or_30_photos(client, contributor, django_assert_max_num_queries):
    _fill(contributor, 0, 3)
    client.get("/portal/photos/")  # warm the session and the user
    with CaptureQueriesContext(connection) as three:
        assert client.get("/portal/photos/").status_code == 200
    _fill(contributor, 100, 27)
    with CaptureQueriesContext(connection) as thirty:
        response = client.get("/portal/photos/")
    assert len(response.context["photos"]) == 30
    assert len(thirty) == len(three)
    with django_assert_max_num_queries(6):
        client.get("/portal/photos/")

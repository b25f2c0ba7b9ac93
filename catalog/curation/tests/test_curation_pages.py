"""Staff curation pages: who may open them, the live count, apply, freeze and publish."""

import pytest
from django.urls import reverse

from catalog.curation import services
from catalog.curation.tests.test_datasets import approved_photo, dataset, hashes
from catalog.models import AnnotationBox, Dataset, DatasetPhoto, DatasetVersion
from stockdata.accounts.tests.factories import BuyerFactory, ContributorFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return StaffFactory()


@pytest.fixture
def contributor():
    return ContributorFactory()


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_only_staff_open_the_curation_pages(client, contributor):
    ds = dataset()
    urls = [
        reverse("curation:list"),
        reverse("curation:create"),
        reverse("curation:curate", args=[ds.slug]),
        reverse("curation:annotate", args=[ds.slug]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for user in (contributor, BuyerFactory()):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404
        assert client.post(reverse("curation:freeze", args=[ds.slug]), {"edition": "unedited"}).status_code == 404
    assert not DatasetVersion.objects.exists()


def test_the_dataset_list_shows_status_versions_and_selection_size(
    staff_client, staff, contributor, django_assert_max_num_queries
):
    ds = dataset()
    h = hashes(2)
    services.dataset_add_photos(dataset=ds, photos=[approved_photo(contributor, staff, phash=x) for x in h])
    services.dataset_version_freeze(dataset=ds, by=staff)
    dataset(slug="other", title_en="Other")
    with django_assert_max_num_queries(8):
        response = staff_client.get(reverse("curation:list"))
    rows = {d.slug: d for d in response.context["datasets"]}
    assert (rows["faces-masks"].version_count, rows["faces-masks"].selection_count) == (1, 2)
    assert (rows["other"].version_count, rows["other"].selection_count) == (0, 0)


def dataset_form(**overrides):
    return {
        "slug": "japanese-faces",
        "title_en": "Japanese faces",
        "title_ja": "日本人の顔",
        "description_en": "",
        "description_ja": "",
        "category": Dataset.Category.FACES,
        "required_scopes": ["ai_training", "biometric"],
        "target_size": 500,
        "price_unedited": 99000,
        "price_annotated": 165000,
        "restricted": "",
        "licence_summary_en": "",
        "licence_summary_ja": "",
    } | overrides


def test_creating_a_dataset_that_needs_unique_identification_restricts_it_by_default(staff_client):
    response = staff_client.post(
        reverse("curation:create"),
        dataset_form(required_scopes=["ai_training", "biometric", "unique_identification"]),
    )
    assert response.status_code == 302
    ds = Dataset.objects.get(slug="japanese-faces")
    assert response["Location"] == reverse("curation:curate", args=[ds.slug])
    assert ds.restricted is True
    assert ds.required_scopes == ["ai_training", "biometric", "unique_identification"]
    assert (ds.target_size, ds.price_unedited, ds.price_annotated, ds.status) == (500, 99000, 165000, "draft")

    staff_client.post(reverse("curation:create"), dataset_form(slug="plain-faces"))
    assert Dataset.objects.get(slug="plain-faces").restricted is False

    response = staff_client.post(reverse("curation:create"), dataset_form())
    assert response.status_code == 400
    assert "Another dataset already uses this slug; choose another." in response.content.decode()


def test_editing_a_dataset_keeps_an_explicit_restriction(staff_client):
    ds = dataset()
    response = staff_client.post(
        reverse("curation:edit", args=[ds.slug]),
        dataset_form(slug=ds.slug, required_scopes=["ai_training"], restricted="yes", price_annotated=170000),
    )
    assert response.status_code == 302
    ds.refresh_from_db()
    assert (ds.restricted, ds.required_scopes, ds.price_annotated) == (True, ["ai_training"], 170000)


def masked_and_bare(contributor, staff):
    h = hashes(5)
    masked = [approved_photo(contributor, staff, phash=h[i], mask=True, tags=["portrait", "mask"]) for i in range(3)]
    bare = [approved_photo(contributor, staff, phash=h[3 + i], tags=["portrait"]) for i in range(2)]
    return masked, bare


def test_the_preview_returns_the_exact_count_and_the_sample(staff_client, staff, contributor):
    ds = dataset()
    masked, _bare = masked_and_bare(contributor, staff)
    url = reverse("curation:preview", args=[ds.slug])

    response = staff_client.post(
        url,
        {"tags_all": "portrait", "mask": "yes", "people": "any", "exclude_near_duplicates": "on"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    preview = response.context["preview"]
    assert (preview["count"], preview["selected"]) == (3, 3)
    assert [p.pk for p in preview["sample"]] == [p.pk for p in masked]
    html = response.content.decode()
    assert '<strong data-testid="match-count">3</strong>' in html

    response = staff_client.post(url, {"tags_all": "portrait", "mask": "", "max_per_contributor": "4", "people": "any"})
    assert (response.context["preview"]["count"], response.context["preview"]["selected"]) == (5, 4)


def test_applying_a_query_then_freezing_through_the_page(staff_client, staff, contributor):
    ds = dataset()
    masked, bare = masked_and_bare(contributor, staff)
    response = staff_client.post(
        reverse("curation:apply", args=[ds.slug]),
        {"tags_all": "portrait", "mask": "yes", "people": "any", "exclude_near_duplicates": "on"},
    )
    assert response.status_code == 302
    assert set(DatasetPhoto.objects.filter(dataset=ds).values_list("photo_id", flat=True)) == {p.pk for p in masked}
    ds.refresh_from_db()
    assert ds.curation_query["tags_all"] == ["portrait"] and ds.curation_query["mask"] is True

    # Remove one by hand, add a bare one by hand.
    staff_client.post(reverse("curation:remove_photo", args=[ds.slug, masked[0].uuid]))
    staff_client.post(reverse("curation:add_photos", args=[ds.slug]), {"uuids": str(bare[0].uuid)})
    assert set(DatasetPhoto.objects.filter(dataset=ds).values_list("photo_id", flat=True)) == {
        masked[1].pk,
        masked[2].pk,
        bare[0].pk,
    }

    response = staff_client.post(reverse("curation:freeze", args=[ds.slug]), {"edition": "unedited", "notes": "first"})
    assert response.status_code == 302
    version = DatasetVersion.objects.get(dataset=ds)
    assert (version.number, version.photo_count, version.annotated, version.notes) == (1, 3, False, "first")
    assert version.frozen_by == staff

    page = staff_client.get(reverse("curation:curate", args=[ds.slug])).content.decode()
    assert version.content_hash[:14] in page
    assert "v1" in page


def test_freezing_the_annotated_edition_with_an_unconfirmed_box_is_refused_with_the_reason(
    staff_client, staff, contributor
):
    ds = dataset()
    photo = approved_photo(contributor, staff, phash=hashes(1)[0])
    services.dataset_add_photos(dataset=ds, photos=[photo])
    AnnotationBox.objects.create(photo=photo, x=10, y=10, w=100, h=100, source="detector", confirmed=False)

    response = staff_client.post(reverse("curation:freeze", args=[ds.slug]), {"edition": "annotated", "notes": ""})
    assert response.status_code == 400
    assert (
        f"The annotation of 1 photo(s) is not complete (1 proposed box(es) not confirmed or rejected): "
        f"{photo.original_filename}. Check each in the box editor and mark it complete before freezing the "
        "annotated edition." in response.content.decode()
    )
    assert not DatasetVersion.objects.exists()


def test_publishing_needs_a_version_and_then_lists_the_dataset(staff_client, staff, contributor):
    ds = dataset()
    response = staff_client.post(reverse("curation:publish", args=[ds.slug]), follow=True)
    assert "Freeze a version before publishing the dataset." in response.content.decode()
    ds.refresh_from_db()
    assert ds.status == Dataset.Status.DRAFT

    services.dataset_add_photos(dataset=ds, photos=[approved_photo(contributor, staff, phash=hashes(1)[0])])
    staff_client.post(reverse("curation:freeze", args=[ds.slug]), {"edition": "unedited"})
    response = staff_client.post(reverse("curation:publish", args=[ds.slug]))
    assert response.status_code == 302
    ds.refresh_from_db()
    assert ds.status == Dataset.Status.PUBLISHED and ds.published_at is not None

    staff_client.post(reverse("curation:retire", args=[ds.slug]))
    ds.refresh_from_db()
    assert ds.status == Dataset.Status.RETIRED


def test_tag_suggestions_complete_the_last_tag(staff_client, staff, contributor):
    ds = dataset()
    approved_photo(contributor, staff, phash=hashes(1)[0], tags=["portrait", "mask", "masked-face"])
    response = staff_client.get(reverse("curation:tag_suggestions", args=[ds.slug]), {"tags_all": "portrait, mas"})
    assert response.context["options"] == ["portrait, mask", "portrait, masked-face"]


def test_the_curation_page_renders_with_versions_and_changes(staff_client, staff, contributor):
    ds = dataset()
    h = hashes(3)
    a, b, c = (approved_photo(contributor, staff, phash=x) for x in h)
    services.dataset_add_photos(dataset=ds, photos=[a, b])
    services.dataset_version_freeze(dataset=ds, by=staff)
    services.dataset_remove_photos(dataset=ds, photos=[a])
    services.dataset_add_photos(dataset=ds, photos=[c])
    v2 = services.dataset_version_freeze(dataset=ds, by=staff)
    html = staff_client.get(reverse("curation:curate", args=[ds.slug])).content.decode()
    assert services.version_file_name(c) in html and services.version_file_name(a) in html
    assert v2.changes["added"] == [services.version_file_name(c)]
    assert "from v1: +1 / −1" in html


def test_the_curation_page_and_editor_keep_their_query_counts(
    staff_client, staff, contributor, django_assert_max_num_queries
):
    ds = dataset()
    photos = [approved_photo(contributor, staff, phash=x, tags=["portrait"]) for x in hashes(6)]
    services.dataset_add_photos(dataset=ds, photos=photos)
    for p in photos:
        AnnotationBox.objects.create(photo=p, x=1, y=1, w=10, h=10, confirmed=False)
    with django_assert_max_num_queries(20):
        response = staff_client.get(reverse("curation:curate", args=[ds.slug]))
    assert response.status_code == 200
    assert response.context["unconfirmed"] == 6


def test_the_forms_and_the_editor_pages_render_for_staff(staff_client, staff, contributor):
    ds = dataset()
    assert staff_client.get(reverse("curation:create")).status_code == 200
    edit = staff_client.get(reverse("curation:edit", args=[ds.slug]))
    assert edit.status_code == 200 and 'value="faces-masks"' in edit.content.decode()
    # An empty selection sends the curator back to the curation page.
    assert staff_client.get(reverse("curation:annotate", args=[ds.slug]))["Location"] == reverse(
        "curation:curate", args=[ds.slug]
    )

    h = hashes(2)
    first, second = (approved_photo(contributor, staff, phash=x, preview=f"previews/{x}.jpg") for x in h)
    services.dataset_add_photos(dataset=ds, photos=[first, second])
    AnnotationBox.objects.create(photo=second, x=5, y=6, w=70, h=80, source="detector", confirmed=False)
    response = staff_client.get(reverse("curation:annotate", args=[ds.slug]))
    editor = response.context["editor"]
    # The editor opens on the first photo with a proposal to check (then the first not marked complete).
    assert editor["photo"]["uuid"] == str(second.uuid)
    assert editor["boxes"] == [
        {
            "id": second.boxes.get().pk,
            "label": "face",
            "x": 5,
            "y": 6,
            "w": 70,
            "h": 80,
            "source": "detector",
            "confirmed": False,
        }
    ]
    assert (editor["unconfirmed_left"], editor["incomplete_left"], editor["complete"], editor["next"]) == (
        1,
        2,
        False,
        "",
    )
    assert editor["prev"] == reverse("curation:annotate", args=[ds.slug]) + f"?photo={first.uuid}"
    assert 'id="box-editor-data"' in response.content.decode()
    single = staff_client.get(reverse("curation:photo_boxes", args=[first.uuid]))
    assert single.status_code == 200 and single.context["editor"]["photo"]["width"] == 2400


def test_the_curation_page_marks_selected_photos_whose_consent_was_withdrawn(staff_client, staff, contributor):
    from licensing.consent import services as licensing_services

    ds = dataset()
    masked, _bare = masked_and_bare(contributor, staff)
    staff_client.post(
        reverse("curation:apply", args=[ds.slug]),
        {"tags_all": "portrait", "mask": "yes", "people": "any", "exclude_near_duplicates": "on"},
    )
    page = staff_client.get(reverse("curation:curate", args=[ds.slug])).content.decode()
    assert 'data-testid="ineligible"' not in page

    release = masked[0].subjects.get().release_link.release
    licensing_services.consent_withdraw(release=release)
    page = staff_client.get(reverse("curation:curate", args=[ds.slug])).content.decode()
    assert page.count('data-testid="ineligible"') == 1
    assert "1 photo in the selection can no longer enter this dataset" in page
    # Still in the working selection, but the freeze leaves it out.
    assert DatasetPhoto.objects.filter(dataset=ds).count() == 3
    staff_client.post(reverse("curation:freeze", args=[ds.slug]), {"edition": "unedited", "notes": ""})
    version = DatasetVersion.objects.get(dataset=ds)
    assert set(version.items.values_list("photo_id", flat=True)) == {masked[1].pk, masked[2].pk}

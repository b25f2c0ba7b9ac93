"""The storefront: the catalogue list, a dataset's page and the public catalogue API."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import Dataset
from catalog.tests.factories import DatasetFactory, DatasetVersionFactory, ensure_consent_scopes

pytestmark = pytest.mark.django_db

LIST_URL = reverse("catalog:list")
API_LIST_URL = reverse("api:catalogue-list")


@pytest.fixture(autouse=True)
def consent_scopes():
    ensure_consent_scopes()


@pytest.fixture(autouse=True)
def empty_cache():
    """The pages cache their bodies; every test starts cold."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def shop():
    """Three datasets on sale (oldest first: masks, streets, rice) and three that are not."""
    return make_shop()


@pytest.fixture
def large_shop():
    """The same shop with the masks dataset's version recording 2,500 photos, so the size
    ranges have something to tell apart."""
    return make_shop(masks_recorded_photos=2500)


def make_shop(*, masks_recorded_photos: int | None = None) -> dict:
    now = timezone.now()
    masks = DatasetFactory(
        slug="japanese-faces-masks",
        title_en="Japanese faces with masks",
        title_ja="マスクを着けた日本人の顔",
        description_en="Adults in Japan wearing surgical masks, indoors and outdoors.",
        description_ja="屋内と屋外で不織布マスクを着けた日本の成人。",
        category=Dataset.Category.FACES,
        required_scopes=["publication", "ai_training", "biometric"],
        published_at=now - timedelta(days=3),
        version__photos=30,
        version__masked=0.8,
        version__annotated=True,
        version__seed=1,
        version__recorded_photo_count=masks_recorded_photos,
    )
    streets = DatasetFactory(
        slug="tokyo-streets",
        title_en="People on Tokyo streets",
        title_ja="東京の街の人々",
        description_en="Pedestrians photographed in central Tokyo.",
        description_ja="東京都心で撮影した歩行者。",
        category=Dataset.Category.PEOPLE,
        required_scopes=["publication", "ai_training"],
        price_unedited=50_000,
        published_at=now - timedelta(days=2),
        version__photos=12,
        version__masked=0.0,
        version__seed=2,
    )
    rice = DatasetFactory(
        slug="rice-fields",
        title_en="Rice fields in summer",
        title_ja="夏の田んぼ",
        description_en="Paddies in Niigata and Akita in July.",
        description_ja="7月の新潟と秋田の水田。",
        category=Dataset.Category.AGRICULTURE,
        required_scopes=["publication"],
        price_unedited=120_000,
        price_annotated=200_000,
        published_at=now - timedelta(days=1),
        version__photos=8,
        version__people=False,
        version__tags=["rice field", "田んぼ", "summer", "夏"],
        version__seed=3,
    )
    DatasetFactory(slug="draft-masks", title_en="Draft masks", title_ja="下書きのマスク", draft=True)
    DatasetFactory(slug="retired-masks", title_en="Retired masks", retired=True)
    DatasetFactory(slug="no-version-masks", title_en="Unfrozen masks", version=False)
    return {"masks": masks, "streets": streets, "rice": rice}


def slugs(response) -> list[str]:
    return re.findall(r'data-testid="dataset-card" data-slug="([^"]+)"', response.content.decode())


def api_slugs(response) -> list[str]:
    return [d["slug"] for d in response.json()["results"]]


# --- The list --------------------------------------------------------------------------------


def test_list_shows_only_published_datasets_with_a_version_newest_first(client, shop):
    response = client.get(LIST_URL)
    assert response.status_code == 200
    assert slugs(response) == ["rice-fields", "tokyo-streets", "japanese-faces-masks"]
    html = response.content.decode()
    assert "3 datasets" in html
    for hidden in ("Draft masks", "Retired masks", "Unfrozen masks"):
        assert hidden not in html


def test_list_cards_show_title_count_price_from_and_scope_badges(client, shop):
    html = client.get(LIST_URL).content.decode()
    card = html[html.index('data-slug="japanese-faces-masks"') :]
    card = card[: card.index("</div>\n</li>")]
    assert ">Japanese faces with masks<" in card
    assert '<strong data-testid="photo-count">30</strong>' in card
    assert '<strong data-testid="price-from">¥99,000</strong>' in card
    assert re.findall(r'class="badge scope scope-(\w+)"', card) == ["publication", "ai_training", "biometric"]
    assert 'data-testid="annotated-badge"' in card
    assert shop["masks"].cover.preview.url in card

    ja = client.get(LIST_URL, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert ">マスクを着けた日本人の顔<" in ja


@pytest.mark.parametrize(
    "query, expected",
    [
        ("マスク", ["japanese-faces-masks"]),
        ("mask", ["japanese-faces-masks"]),
        ("ＭＡＳＫ", ["japanese-faces-masks"]),  # full-width Latin, NFKC-normalised
        ("ﾏｽｸ", ["japanese-faces-masks"]),  # half-width katakana
        ("日本人　マスク", ["japanese-faces-masks"]),  # ideographic space between words
        ("田んぼ", ["rice-fields"]),
        ("Tokyo", ["tokyo-streets"]),
        ("東京", ["tokyo-streets"]),
        ("mask 田んぼ", []),  # every word must match
        ("submarine", []),
    ],
)
def test_search_in_japanese_and_english_finds_exactly_the_matching_datasets(client, shop, query, expected):
    assert slugs(client.get(LIST_URL, {"q": query})) == expected


def test_search_with_no_match_says_so(client, shop):
    html = client.get(LIST_URL, {"q": "submarine"}).content.decode()
    assert 'data-testid="no-results"' in html
    assert "0 datasets" in html


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"category": "faces"}, ["japanese-faces-masks"]),
        ({"category": "agriculture"}, ["rice-fields"]),
        ({"category": "scenes"}, []),
        ({"size": "under_500"}, ["rice-fields", "tokyo-streets"]),
        ({"size": "2000_9999"}, ["japanese-faces-masks"]),
        ({"size": "10000_plus"}, []),
        ({"max_price": "99000"}, ["tokyo-streets", "japanese-faces-masks"]),
        ({"max_price": "50000"}, ["tokyo-streets"]),
        ({"max_price": "49999"}, []),
        ({"scope": ["biometric"]}, ["japanese-faces-masks"]),
        ({"scope": ["publication"]}, ["rice-fields", "tokyo-streets", "japanese-faces-masks"]),
        ({"scope": ["publication", "ai_training"]}, ["tokyo-streets", "japanese-faces-masks"]),
        ({"masked": "on"}, ["japanese-faces-masks"]),
        ({"annotated": "on"}, ["japanese-faces-masks"]),
        ({"q": "日本人", "category": "people"}, ["tokyo-streets"]),
    ],
)
def test_each_filter_gives_exactly_the_expected_datasets_in_order(client, large_shop, params, expected):
    assert slugs(client.get(LIST_URL, params)) == expected
    assert api_slugs(APIClient().get(API_LIST_URL, params)) == expected


@pytest.mark.parametrize(
    "sort, language, expected",
    [
        ("newest", "en", ["rice-fields", "tokyo-streets", "japanese-faces-masks"]),
        # Price from: streets ¥50,000; masks ¥99,000 (unedited is cheaper); rice ¥120,000 (unedited only).
        ("price_asc", "en", ["tokyo-streets", "japanese-faces-masks", "rice-fields"]),
        ("price_desc", "en", ["rice-fields", "japanese-faces-masks", "tokyo-streets"]),
        ("size", "en", ["japanese-faces-masks", "tokyo-streets", "rice-fields"]),
        ("title", "en", ["japanese-faces-masks", "tokyo-streets", "rice-fields"]),
        # マ (U+30DE) < 夏 (U+590F) < 東 (U+6771)
        ("title", "ja", ["japanese-faces-masks", "rice-fields", "tokyo-streets"]),
    ],
)
def test_each_sort_gives_the_exact_order(client, shop, sort, language, expected):
    assert slugs(client.get(LIST_URL, {"sort": sort}, HTTP_ACCEPT_LANGUAGE=language)) == expected
    assert api_slugs(APIClient().get(API_LIST_URL, {"sort": sort}, HTTP_ACCEPT_LANGUAGE=language)) == expected


def test_a_bad_filter_value_is_shown_and_ignored_on_the_page(client, shop):
    response = client.get(LIST_URL, {"max_price": "cheap", "category": "faces"})
    assert response.status_code == 200
    assert slugs(response) == ["japanese-faces-masks"]
    assert "Enter a whole number." in response.content.decode()


def test_list_paginates_24_per_page(client):
    now = timezone.now()
    for n in range(26):
        DatasetFactory(slug=f"set-{n:02d}", published_at=now - timedelta(hours=n), version__photos=1)
    first = client.get(LIST_URL)
    assert slugs(first) == [f"set-{n:02d}" for n in range(24)]
    assert "Page 1 of 2" in first.content.decode()
    assert slugs(client.get(LIST_URL, {"page": 2})) == ["set-24", "set-25"]
    api = APIClient().get(API_LIST_URL, {"page": 2}).json()
    assert api["count"] == 26 and [d["slug"] for d in api["results"]] == ["set-24", "set-25"]


def test_active_filters_can_be_removed_one_by_one(client, shop):
    html = client.get(LIST_URL, {"category": "faces", "scope": ["publication", "biometric"]}).content.decode()
    chips = re.findall(r'<a class="chip" href="\?([^"]*)"', html)
    assert chips == [
        "scope=publication&amp;scope=biometric",
        "category=faces&amp;scope=biometric",
        "category=faces&amp;scope=publication",
    ]


# --- The dataset page ------------------------------------------------------------------------


def section(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    return html[start:]


def chart_rows(html: str, key: str) -> dict[str, int]:
    figure = section(html, f"chart-{key}")
    figure = figure[: figure.index("</figure>")]
    rows = re.findall(
        r'<tr data-key="([^"]+)" data-testid="bar">.*?data-testid="bar-count">([\d,]+)<', figure, re.DOTALL
    )
    return {html_lib.unescape(k): int(v.replace(",", "")) for k, v in rows}


def test_detail_shows_both_editions_with_exact_prices_and_tax(client, shop):
    html = client.get(reverse("catalog:detail", args=["japanese-faces-masks"])).content.decode()
    editions = section(html, "editions")
    editions = editions[: editions.index("</ul>")]
    unedited = section(editions, "edition-unedited")
    annotated = section(editions, "edition-annotated")
    assert re.search(r'data-testid="price">¥99,000<', unedited)
    assert "incl. consumption tax ¥9,000" in unedited[: unedited.index("</li>")]
    assert re.search(r'data-testid="price">¥165,000<', annotated)
    assert "incl. consumption tax ¥15,000" in annotated[: annotated.index("</li>")]
    assert 'data-testid="no-annotated"' not in html


def test_detail_hides_the_annotated_edition_when_the_version_is_not_annotated(client, shop):
    html = client.get(reverse("catalog:detail", args=["tokyo-streets"])).content.decode()
    assert 'data-testid="edition-annotated"' not in html
    assert "¥165,000" not in html
    assert re.search(r'data-testid="price">¥50,000<', html)
    assert "incl. consumption tax ¥4,545" in html  # floor(50,000 × 10 / 110)
    assert 'data-testid="no-annotated"' in html


def test_detail_charts_show_exactly_the_stored_statistics(client, shop):
    version = shop["masks"].latest_version
    stats = version.statistics
    html = client.get(reverse("catalog:detail", args=["japanese-faces-masks"])).content.decode()
    for key in ("age_band", "gender", "mask", "angle", "lighting", "image_sizes", "boxes"):
        shown = chart_rows(html, key)
        assert {k: v for k, v in shown.items() if v} == {k: v for k, v in stats[key].items() if v}, key
    assert sum(chart_rows(html, "mask").values()) == version.subject_count
    assert sum(chart_rows(html, "image_sizes").values()) == 30
    assert '<strong data-testid="fact-photos">30</strong>' in html
    assert f'<strong data-testid="fact-people">{version.subject_count}</strong>' in html
    assert f'<strong data-testid="fact-contributors">{stats["contributors"]}</strong>' in html
    assert f'<strong data-testid="fact-boxes">{version.box_count}</strong>' in html
    # A bar's width is its share of the total, with the exact number beside it.
    masked = stats["mask"]["mask"]
    share = f"{100 * masked / version.subject_count:.1f}"
    assert re.search(
        rf'<tr data-key="mask" data-testid="bar">.*?<rect class="bar" width="{share}%".*?>{masked}<', html, re.DOTALL
    )


def test_detail_shows_samples_consent_licence_version_and_hash(client, shop):
    dataset = shop["masks"]
    version = dataset.latest_version
    html = client.get(reverse("catalog:detail", args=[dataset.slug])).content.decode()
    first_eight = [i.photo.preview.url for i in version.items.select_related("photo").order_by("position")[:8]]
    samples = section(html, "samples")
    samples = samples[: samples.index("</ul>")]
    assert re.findall(r'<img src="([^"]+)"', samples) == first_eight
    assert samples.count('loading="lazy"') == 8
    consent = section(html, "consent-scopes")
    consent = consent[: consent.index("</ul>")]
    assert re.findall(r"<strong>([^<]+)</strong>", consent) == [
        "Publication (editorial and commercial use of the image)",
        "AI / machine-learning training",
        "Biometric processing (face data for machine learning)",
    ]
    assert "Licensed to the buying organisation" in html
    assert f'data-testid="content-hash">{version.content_hash}<' in html
    assert 'data-testid="version-number">1<' in html
    assert 'data-testid="changes"' not in html


def test_detail_lists_changes_from_the_previous_version(client, shop):
    dataset = shop["streets"]
    DatasetVersionFactory(dataset=dataset, photos=4, keep=10)
    html = client.get(reverse("catalog:detail", args=[dataset.slug])).content.decode()
    assert 'data-testid="version-number">2<' in html
    assert "Since version 1: 4 photos added, 2 removed." in html
    assert re.findall(r"<tr(?: aria-current=\"true\")?><td>(\d+)", section(html, "version-history")) == ["2", "1"]


def test_detail_speaks_the_active_language_and_falls_back_to_the_other(client, shop):
    Dataset.objects.filter(pk=shop["rice"].pk).update(description_ja="")
    url = reverse("catalog:detail", args=["rice-fields"])
    ja = client.get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert '<h1 data-testid="dataset-heading">夏の田んぼ</h1>' in ja
    assert "Paddies in Niigata and Akita in July." in ja  # no Japanese description: the English one
    en = client.get(url).content.decode()
    assert '<h1 data-testid="dataset-heading">Rice fields in summer</h1>' in en


def test_anonymous_visitor_is_asked_to_log_in_to_buy(client, shop):
    html = client.get(reverse("catalog:detail", args=["japanese-faces-masks"])).content.decode()
    cart = section(html, "add-to-cart")
    assert f'action="{reverse("account_login")}"' in cart
    assert 'data-testid="login-to-buy"' in cart
    assert re.findall(r'name="edition" value="(\w+)"', cart) == ["unedited", "annotated"]


@pytest.mark.parametrize("slug", ["draft-masks", "retired-masks", "no-version-masks", "no-such-dataset"])
def test_a_dataset_not_on_sale_is_not_found(client, shop, slug):
    assert client.get(reverse("catalog:detail", args=[slug])).status_code == 404
    response = APIClient().get(reverse("api:catalogue-detail", args=[slug]))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- Query counts ----------------------------------------------------------------------------


def _count_queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("photos", [10, 1000])
def test_detail_page_runs_a_fixed_small_number_of_queries(client, django_assert_max_num_queries, photos):
    dataset = DatasetFactory(version__photos=photos, version__annotated=True)
    assert dataset.latest_version.photo_count == photos
    url = reverse("catalog:detail", args=[dataset.slug])
    with django_assert_max_num_queries(6):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(1):  # the page now comes from the cache
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(5):
        APIClient().get(reverse("api:catalogue-detail", args=[dataset.slug]))


def test_detail_query_count_does_not_grow_with_the_dataset(client):
    small = DatasetFactory(version__photos=10)
    large = DatasetFactory(version__photos=1000)
    counts = [_count_queries(lambda d=d: client.get(reverse("catalog:detail", args=[d.slug]))) for d in (small, large)]
    assert counts[0] == counts[1]


@pytest.mark.parametrize("datasets", [3, 30])
def test_list_page_runs_a_fixed_small_number_of_queries(client, django_assert_max_num_queries, datasets):
    for _ in range(datasets):
        DatasetFactory(version__photos=2)
    params = {"scope": "publication", "masked": "on", "sort": "price_asc"}
    with django_assert_max_num_queries(4):
        assert client.get(LIST_URL, params).status_code == 200
    with django_assert_max_num_queries(1):  # the page now comes from the cache
        assert client.get(LIST_URL, params).status_code == 200
    with django_assert_max_num_queries(3):
        APIClient().get(API_LIST_URL, {"scope": "publication"})


def test_list_query_count_does_not_grow_with_the_number_of_datasets(client):
    for _ in range(3):
        DatasetFactory(version__photos=2)
    few = _count_queries(lambda: client.get(LIST_URL))
    for _ in range(27):
        DatasetFactory(version__photos=2)
    assert _count_queries(lambda: client.get(LIST_URL)) == few


# --- Cached bodies are never stale ---------------------------------------------------------------


def test_a_saved_price_shows_at_once_on_the_list_and_the_dataset_page(client, shop):
    detail = reverse("catalog:detail", args=["tokyo-streets"])

    def price_from_on_list() -> list[str]:
        return re.findall(r'data-testid="price-from">([^<]+)<', client.get(LIST_URL).content.decode())

    assert re.search(r'data-testid="price">¥50,000<', client.get(detail).content.decode())
    assert price_from_on_list() == ["¥120,000", "¥50,000", "¥99,000"]
    streets = Dataset.objects.get(slug="tokyo-streets")
    streets.price_unedited = 77_000
    streets.save()
    assert re.search(r'data-testid="price">¥77,000<', client.get(detail).content.decode())
    assert price_from_on_list() == ["¥120,000", "¥77,000", "¥99,000"]


def test_a_new_version_and_a_newly_published_dataset_show_at_once(client, shop):
    detail = reverse("catalog:detail", args=["rice-fields"])
    assert 'data-testid="version-number">1<' in client.get(detail).content.decode()
    assert slugs(client.get(LIST_URL)) == ["rice-fields", "tokyo-streets", "japanese-faces-masks"]
    DatasetVersionFactory(dataset=Dataset.objects.get(slug="rice-fields"), photos=3, people=False)
    from catalog.curation.services import dataset_publish

    dataset_publish(dataset=Dataset.objects.get(slug="draft-masks"))
    assert 'data-testid="version-number">2<' in client.get(detail).content.decode()
    assert slugs(client.get(LIST_URL))[0] == "draft-masks"


def test_cached_pages_keep_each_language_apart(client, shop):
    url = reverse("catalog:detail", args=["rice-fields"])
    assert "夏の田んぼ</h1>" in client.get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "Rice fields in summer</h1>" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">夏の田んぼ<" in client.get(LIST_URL, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert ">Rice fields in summer<" in client.get(LIST_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()


# --- The public API --------------------------------------------------------------------------


def test_api_list_shape(shop):
    response = APIClient().get(API_LIST_URL, {"q": "マスク"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["next"] is None and body["previous"] is None
    (entry,) = body["results"]
    version = shop["masks"].latest_version
    assert entry == {
        "slug": "japanese-faces-masks",
        "url": "http://testserver/api/v1/datasets/japanese-faces-masks/",
        "web_url": "http://testserver/datasets/japanese-faces-masks/",
        "title": "Japanese faces with masks",
        "title_en": "Japanese faces with masks",
        "title_ja": "マスクを着けた日本人の顔",
        "category": "faces",
        "required_scopes": ["publication", "ai_training", "biometric"],
        "price_from": 99000,
        "editions": [
            {"edition": "unedited", "name": "Unedited", "price": 99000, "tax": 9000, "price_excluding_tax": 90000},
            {
                "edition": "annotated",
                "name": "Edited for machine learning (annotated)",
                "price": 165000,
                "tax": 15000,
                "price_excluding_tax": 150000,
            },
        ],
        "version": {
            "number": 1,
            "frozen_at": entry["version"]["frozen_at"],
            "photo_count": 30,
            "subject_count": version.subject_count,
            "box_count": version.box_count,
            "annotated": True,
            "content_hash": version.content_hash,
        },
        "cover_url": shop["masks"].cover.preview.url,
        "published_at": entry["published_at"],
    }


def test_api_list_title_follows_the_request_language(shop):
    body = APIClient().get(API_LIST_URL, {"q": "mask"}, HTTP_ACCEPT_LANGUAGE="ja").json()
    assert body["results"][0]["title"] == "マスクを着けた日本人の顔"


def test_api_list_refuses_a_bad_filter_in_the_error_format(shop):
    response = APIClient().get(API_LIST_URL, {"max_price": "cheap", "scope": "telepathy"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"max_price", "scope"}


def test_api_detail_shape(shop):
    dataset = shop["masks"]
    version = dataset.latest_version
    response = APIClient().get(reverse("api:catalogue-detail", args=[dataset.slug]))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "slug",
        "url",
        "web_url",
        "title",
        "title_en",
        "title_ja",
        "category",
        "required_scopes",
        "price_from",
        "editions",
        "version",
        "cover_url",
        "published_at",
        "description",
        "description_en",
        "description_ja",
        "licence_summary",
        "consent_scopes",
        "statistics",
        "samples",
        "photos_on_sale",
        "photos_withdrawn",
        "versions",
    }
    assert (body["photos_on_sale"], body["photos_withdrawn"]) == (version.photo_count, 0)
    assert body["statistics"] == version.statistics
    assert [(e["edition"], e["price"], e["tax"]) for e in body["editions"]] == [
        ("unedited", 99000, 9000),
        ("annotated", 165000, 15000),
    ]
    assert body["required_scopes"] == ["publication", "ai_training", "biometric"]
    assert [s["code"] for s in body["consent_scopes"]] == ["publication", "ai_training", "biometric"]
    assert body["consent_scopes"][2]["name"] == "Biometric processing (face data for machine learning)"
    assert body["version"]["number"] == 1 and body["version"]["content_hash"] == version.content_hash
    assert body["version"]["changes"] == {"previous": None, "added": [], "removed": []}
    items = list(version.items.select_related("photo").order_by("position")[:8])
    assert body["samples"] == [
        {
            "position": i.position,
            "file_name": i.file_name,
            "width": i.width,
            "height": i.height,
            "preview_url": i.photo.preview.url,
        }
        for i in items
    ]
    assert [v["number"] for v in body["versions"]] == [1]
    assert body["description"] == "Adults in Japan wearing surgical masks, indoors and outdoors."


def test_api_detail_without_annotation_offers_the_unedited_edition_only(shop):
    body = APIClient().get(reverse("api:catalogue-detail", args=["tokyo-streets"])).json()
    assert body["editions"] == [
        {"edition": "unedited", "name": "Unedited", "price": 50000, "tax": 4545, "price_excluding_tax": 45455}
    ]
    assert body["price_from"] == 50000


def test_api_schema_documents_the_catalogue(client):
    response = client.get(reverse("schema"), {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/datasets/" in paths and "/api/v1/datasets/{slug}/" in paths
    names = {p["name"] for p in paths["/api/v1/datasets/"]["get"]["parameters"]}
    assert {"q", "category", "size", "max_price", "scope", "masked", "annotated", "sort", "page"} <= names


def test_a_cached_page_carries_each_anonymous_visitors_own_csrf_token(shop):
    from django.test import Client

    from catalog.storefront.views import CSRF_MARKER

    for path in (LIST_URL, reverse("catalog:detail", args=["tokyo-streets"])):
        for visitor in (Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)):
            html = visitor.get(path).content.decode()
            assert CSRF_MARKER not in html
            token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)  # what htmx sends with every request
            response = visitor.post("/i18n/setlang/", {"language": "ja", "next": path, "csrfmiddlewaretoken": token})
            assert response.status_code == 302  # the language switch works: the token is this visitor's


def test_a_logged_in_buyer_gets_their_own_header_on_cached_pages(client, shop):
    from stockdata.accounts.tests.factories import PASSWORD, BuyerFactory

    detail = reverse("catalog:detail", args=["tokyo-streets"])
    for path in (LIST_URL, detail):
        assert 'data-testid="login-link"' in client.get(path).content.decode()  # cached for anonymous visitors
    buyer = BuyerFactory(full_name="Hanako Sato")
    assert client.post(reverse("account_login"), {"login": buyer.email, "password": PASSWORD}).status_code == 302
    for path in (LIST_URL, detail):
        html = client.get(path).content.decode()
        assert 'data-testid="login-link"' not in html
        assert 'data-testid="account-link">Hanako Sato<' in html
    assert 'data-testid="add-to-cart-button"' in client.get(detail).content.decode()

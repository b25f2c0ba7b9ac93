"""Catalogue search finds word forms: "japanese" finds "Japan", "masked" finds "mask", "マスクを着けた"
finds "マスク着用" — full-text search (english) on PostgreSQL, a root substring elsewhere."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.storefront.search import english_root, japanese_stems
from catalog.storefront.selectors import dataset_catalogue
from catalog.tests.factories import DatasetFactory
from conftest import requires


def found(q: str) -> list[str]:
    return sorted(dataset_catalogue(q=q).values_list("slug", flat=True))


@pytest.fixture
def shelf(db):
    DatasetFactory(
        slug="japan-streets",
        title_en="Street portraits in Japan",
        title_ja="日本の街角ポートレート",
        description_en="People walking in the city at night.",
        description_ja="夜の街を歩く人々。",
        version__masked=0.0,
        version__tags=["street", "街角"],
    )
    DatasetFactory(
        slug="masks",
        title_en="Faces with a mask",
        title_ja="マスク着用の顔",
        description_en="Adults wearing a surgical mask, frontal.",
        description_ja="サージカルマスクを着用した成人の正面写真。",
        version__masked=0.8,
        version__tags=["surgical", "サージカル"],
    )
    DatasetFactory(
        slug="korea-glasses",
        title_en="Glasses, Korea",
        title_ja="眼鏡（韓国）",
        description_en="One study of a city's commuters wearing glasses.",
        description_ja="通勤者の眼鏡。",
        version__masked=0.0,
        version__tags=["commuter", "通勤"],
    )


def test_search_forms_english_roots():
    assert [english_root(w) for w in ("japanese", "korean", "masked", "faces", "glasses", "walkers", "mask")] == [
        "japan",
        "kore",
        "mask",
        "face",
        "glass",
        "walk",
        "mask",
    ]
    assert english_root("used") == "used" and english_root("eyes") == "eyes"  # too short to cut


def test_search_forms_japanese_stems_drop_kana_endings_and_particles():
    assert japanese_stems("マスクを着けた") == ["マスク", "着"]
    assert japanese_stems("歩いている人") == ["歩", "人"]
    assert japanese_stems("マスク") == [] and japanese_stems("東京") == []  # no ending: the word itself


@pytest.mark.parametrize(
    "query, expected",
    [
        ("japanese", ["japan-streets"]),
        ("Japanese street", ["japan-streets"]),
        ("korean", ["korea-glasses"]),
        ("masked", ["masks"]),
        ("masks", ["masks"]),
        ("faces", ["masks"]),
        ("glasses", ["korea-glasses"]),
        ("walkers", ["japan-streets"]),
        ("マスクを着けた", ["masks"]),
        ("着用した", ["masks"]),
        ("歩いている", ["japan-streets"]),
        ("マスク", ["masks"]),
        ("japanese masked", []),  # every word must match
        ("submarine", []),
        ("submarines", []),
    ],
)
def test_search_forms_find_other_forms_of_a_word(shelf, query, expected):
    assert found(query) == expected


def test_search_forms_the_page_and_the_api_search_the_same_way(client, shelf):
    page = client.get("/datasets/", {"q": "japanese"}).content.decode()
    assert 'data-slug="japan-streets"' in page and 'data-slug="masks"' not in page
    api = client.get("/api/v1/datasets/", {"q": "japanese"}).json()
    assert [d["slug"] for d in api["results"]] == ["japan-streets"]


@requires("postgresql")
def test_search_forms_on_postgresql_use_english_full_text_search(shelf):
    assert connection.vendor == "postgresql"
    with CaptureQueriesContext(connection) as queries:
        assert found("cities") == ["japan-streets", "korea-glasses"]  # stemmed: "cities" = "city"
    # The stored vector (migration catalog.0008), not to_tsvector on every row.
    assert '"search_vector" @@ to_tsquery(' in queries[-1]["sql"] and "to_tsvector" not in queries[-1]["sql"]
    assert found("studies") == ["korea-glasses"]
    assert found("walking") == ["japan-streets"]
    assert found("japanese") == ["japan-streets"]
    # to_tsquery's operators in a search are text, not syntax.
    assert found("mask & !face") == []
    assert found("japan:* | mask") == []

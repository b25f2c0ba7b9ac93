"""Reads for the storefront: the catalogue of published datasets, its search, filters and sorting."""

from __future__ import annotations

import unicodedata

from django.db import connection
from django.db.models import BooleanField, Case, Count, F, Q, QuerySet, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Least, Lower
from django.utils.translation import gettext_lazy as _

from catalog.models import Dataset
from catalog.storefront.search import english_root, is_english_word, japanese_stems
from stockdata.i18n import is_japanese

MAX_SEARCH_WORDS = 10

# Photo-count ranges a buyer picks from: code -> (label, lowest, highest); None is open-ended.
SIZE_RANGES = {
    "under_500": (_("Under 500 photos"), None, 499),
    "500_1999": (_("500–1,999 photos"), 500, 1999),
    "2000_9999": (_("2,000–9,999 photos"), 2000, 9999),
    "10000_plus": (_("10,000 photos or more"), 10000, None),
}


class Sort:
    NEWEST = "newest"
    PRICE_LOW = "price_asc"
    PRICE_HIGH = "price_desc"
    SIZE = "size"
    TITLE = "title"

    choices = [
        (NEWEST, _("Newest first")),
        (PRICE_LOW, _("Price: low to high")),
        (PRICE_HIGH, _("Price: high to low")),
        (SIZE, _("Most photos first")),
        (TITLE, _("Title (A–Z)")),
    ]


def normalise_search(text: str) -> list[str]:
    """The words of a search, compared the way ``Dataset.search_text`` is stored: NFKC, lower case."""
    return unicodedata.normalize("NFKC", text or "").lower().split()[:MAX_SEARCH_WORDS]


def search_filter(datasets: QuerySet[Dataset], q: str) -> QuerySet[Dataset]:
    """Datasets whose search text matches every word of ``q``, in any of its forms
    (``catalog.storefront.search``): full-text search in English on PostgreSQL (the stored
    ``search_vector`` column, migration ``catalog.0008``), the word's root as a substring
    elsewhere, and Japanese words by their kanji and katakana runs."""
    postgres = connection.vendor == "postgresql"
    for index, word in enumerate(normalise_search(q)):
        match = Q(search_text__contains=word)
        if is_english_word(word):
            root = english_root(word)
            if postgres:
                # Both only [a-z0-9]: safe in to_tsquery's syntax. The stemmed word or the root as a prefix.
                terms = " | ".join(dict.fromkeys(f"{term}:*" for term in (word, root)))
                hit = RawSQL(
                    f'"{Dataset._meta.db_table}"."search_vector" @@ to_tsquery(%s::regconfig, %s)',
                    ("english", terms),
                    output_field=BooleanField(),
                )
                datasets = datasets.alias(**{f"search_hit_{index}": hit})
                match |= Q(**{f"search_hit_{index}": True})
            elif root != word:
                match |= Q(search_text__contains=root)
        else:
            stems = japanese_stems(word)
            if stems:
                every_stem = Q()
                for stem in stems:
                    every_stem &= Q(search_text__contains=stem)
                match |= every_stem
        datasets = datasets.filter(match)
    return datasets


def published_datasets() -> QuerySet[Dataset]:
    """What the storefront sells: published datasets with a frozen version."""
    return Dataset.objects.filter(status=Dataset.Status.PUBLISHED, latest_version__isnull=False)


def _requires_scope(code: str) -> Q:
    if connection.features.supports_json_field_contains:
        return Q(required_scopes__contains=[code])
    # SQLite has no JSON containment; the list holds at most a handful of scope codes.
    condition = Q()
    for index in range(16):
        condition |= Q(**{f"required_scopes__{index}": code})
    return condition


def dataset_catalogue(
    *,
    q: str = "",
    category: str = "",
    size: str = "",
    max_price: int | None = None,
    scope: list[str] | None = None,
    masked: bool = False,
    annotated: bool = False,
    sort: str = Sort.NEWEST,
) -> QuerySet[Dataset]:
    """Published datasets matching every filter, each annotated with ``price_from`` (the cheapest
    edition on sale), with their version and cover, in one query however many there are.

    Every search word must occur in the search text (titles and descriptions in both languages
    and the version's tags), so "マスク" and "mask" both find a mask dataset.
    """
    datasets = published_datasets().annotate(
        price_from=Case(
            When(latest_version__annotated=True, then=Least("price_unedited", "price_annotated")),
            default=F("price_unedited"),
        )
    )
    datasets = search_filter(datasets, q)
    if category:
        datasets = datasets.filter(category=category)
    if size in SIZE_RANGES:
        _label, lowest, highest = SIZE_RANGES[size]
        if lowest is not None:
            datasets = datasets.filter(latest_version__photo_count__gte=lowest)
        if highest is not None:
            datasets = datasets.filter(latest_version__photo_count__lte=highest)
    if max_price is not None:
        datasets = datasets.filter(price_from__lte=max_price)
    for code in scope or []:
        datasets = datasets.filter(_requires_scope(code))
    if masked:
        datasets = datasets.filter(latest_version__statistics__mask__mask__gt=0)
    if annotated:
        datasets = datasets.filter(latest_version__annotated=True)

    title = "title_ja" if is_japanese() else "title_en"
    order = {
        Sort.PRICE_LOW: ["price_from", "-published_at", "-id"],
        Sort.PRICE_HIGH: ["-price_from", "-published_at", "-id"],
        Sort.SIZE: ["-latest_version__photo_count", "-published_at", "-id"],
        Sort.TITLE: [Lower(title), "id"],
    }.get(sort, ["-published_at", "-id"])
    return (
        datasets.select_related("latest_version", "cover")
        # The list never shows these; a version's statistics and changes can be large.
        .defer(
            "licence_summary_en",
            "licence_summary_ja",
            "search_text",
            "curation_query",
            "latest_version__statistics",
            "latest_version__changes",
            "latest_version__query",
            "latest_version__notes",
        )
        .order_by(*order)
    )


def items_on_show(
    version, *, required_scopes, scopes: dict, limit: int, fields: tuple[str, ...] = (), public: bool = False
) -> list:
    """The first ``limit`` items of a version (by position) that may still be shown or handed out:
    their photo holds every scope the dataset requires *now* and any scope at all (the stored consent
    mask, kept by the consent services), so a person who withdrew leaves the samples and the
    evaluation pack at once, as they leave the bundles. ``public``: shown to anyone (samples), so
    also its previews are public (everyone in it consents to publication)."""
    needed = 0
    for code in required_scopes or ():
        needed |= scopes[code].mask if code in scopes else 1 << 63  # an unknown scope is held by nobody
    chosen: list = []
    start, chunk = 0, max(limit * 4, 50)
    base = version.items.select_related("photo").only(
        "version",
        "position",
        "file_name",
        "width",
        "height",
        "photo__uuid",
        "photo__preview",
        "photo__scope_mask",
        "photo__derived_public",
        *fields,
    )
    while len(chosen) < limit:
        rows = list(base.order_by("position")[start : start + chunk])
        if not rows:
            break
        chosen += [
            r
            for r in rows
            if r.photo.scope_mask and r.photo.scope_mask & needed == needed and (r.photo.derived_public or not public)
        ]
        start += chunk
    return chosen[:limit]


def version_consent_now(version, *, required_scopes, scopes: dict) -> dict:
    """What a frozen version still offers, by the photos' consent now (one query over the few distinct
    masks): ``on_sale`` photos still holding every required scope (and any at all), ``withdrawn`` the
    rest, and ``held`` the scope codes every photo on sale holds."""
    needed = 0
    for code in required_scopes or ():
        needed |= scopes[code].mask if code in scopes else 1 << 63
    on_sale = withdrawn = 0
    held_mask: int | None = None
    rows = version.items.order_by().values_list("photo__scope_mask").annotate(n=Count("id"))
    for mask, count in rows:
        if mask and mask & needed == needed:
            on_sale += count
            held_mask = mask if held_mask is None else held_mask & mask
        else:
            withdrawn += count
    held = [code for code, scope in scopes.items() if held_mask is not None and held_mask & scope.mask]
    return {"on_sale": on_sale, "withdrawn": withdrawn, "held": held}

"""The storefront: the dataset catalogue and a dataset's page. Public, no login.

Both pages run a fixed number of queries whatever the size of a dataset: what a version
holds is summarised in ``DatasetVersion.statistics`` when it is frozen, and only the first
few items are read, for the sample previews.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from catalog.forms import PAGE_SIZE, CatalogueForm
from catalog.models import AgeBand, Angle, BoxLabel, Dataset, DatasetVersion, Edition, Gender, Lighting
from catalog.selectors import SIZE_RANGES, Sort, dataset_catalogue, published_datasets
from catalog.services.datasets import SIZE_BUCKETS
from stockdata.money import format_yen, net_of_tax, tax_included

SAMPLE_COUNT = 8
MAX_PRICE_OPTIONS = [50_000, 99_000, 165_000, 300_000]

# Badges need a word, not the release form's full sentence; the full name is the badge's title.
SCOPE_SHORT_NAMES = {
    "publication": _("Publication"),
    "ai_training": _("AI training"),
    "biometric": _("Biometric"),
    "unique_identification": _("Identification"),
}
NOT_STATED = _("Not stated")


def _is_japanese() -> bool:
    return (get_language() or "").startswith("ja")


def localised(obj, name: str) -> str:
    """``obj.<name>_ja`` in Japanese, ``<name>_en`` otherwise; the other language when that one is empty."""
    first, second = ("ja", "en") if _is_japanese() else ("en", "ja")
    return getattr(obj, f"{name}_{first}") or getattr(obj, f"{name}_{second}")


def consent_scopes() -> dict:
    """Every consent scope by code, in the release form's order (one query)."""
    from licensing.models import ConsentScope

    return {s.code: s for s in ConsentScope.objects.order_by("position", "code")}


def scope_badges(codes, scopes: dict) -> list[dict]:
    ordered = sorted(codes, key=lambda c: (scopes[c].position, c) if c in scopes else (10_000, c))
    return [
        {
            "code": code,
            "label": SCOPE_SHORT_NAMES.get(code) or (scopes[code].name if code in scopes else code),
            "title": scopes[code].name if code in scopes else code,
            "description": scopes[code].description if code in scopes else "",
        }
        for code in ordered
    ]


def preview_url(photo) -> str:
    return photo.preview.url if photo is not None and photo.preview else ""


# --- Editions and prices ----------------------------------------------------------------


@dataclass
class EditionOffer:
    code: str
    name: str
    price: int
    tax: int
    net: int
    summary: str

    @property
    def price_label(self) -> str:
        return format_yen(self.price)

    @property
    def tax_label(self) -> str:
        return format_yen(self.tax)


def edition_offers(dataset: Dataset, version: DatasetVersion) -> list[EditionOffer]:
    """The editions on sale: unedited always, annotated only when every box of the version was confirmed."""
    offers = [
        EditionOffer(
            Edition.UNEDITED,
            str(Edition.UNEDITED.label),
            dataset.price_unedited,
            tax_included(dataset.price_unedited),
            net_of_tax(dataset.price_unedited),
            str(_("The original images with a per-image metadata table and Croissant metadata.")),
        )
    ]
    if version.annotated:
        offers.append(
            EditionOffer(
                Edition.ANNOTATED,
                str(Edition.ANNOTATED.label),
                dataset.price_annotated,
                tax_included(dataset.price_annotated),
                net_of_tax(dataset.price_annotated),
                str(
                    _(
                        "Everything in the unedited edition, plus every face marked with a box: COCO JSON, YOLO and Pascal VOC."
                    )
                ),
            )
        )
    return offers


# --- Charts -----------------------------------------------------------------------------


@dataclass
class Bar:
    key: str
    label: str
    count: int
    percent: str  # "42.5", also the bar's width in %


@dataclass
class Chart:
    key: str
    title: str
    unit: str
    total: int
    bars: list[Bar] = field(default_factory=list)


def _chart(key: str, title, unit, counts: dict, labels: list[tuple[str, str]]) -> Chart:
    """Bars in the given order (known values, zeros included), then any other value; "unknown" last."""
    counts = {k: int(v) for k, v in (counts or {}).items()}
    total = sum(counts.values())
    order = [(k, str(label)) for k, label in labels]
    known = {k for k, _label in order}
    order += [(k, k) for k in sorted(counts) if k not in known and k != "unknown"]
    if counts.get("unknown"):
        order.append(("unknown", str(NOT_STATED)))
    bars = [
        Bar(k, label, counts.get(k, 0), f"{(100 * counts.get(k, 0) / total) if total else 0:.1f}") for k, label in order
    ]
    return Chart(key, str(title), str(unit), total, bars)


def version_charts(statistics: dict) -> list[Chart]:
    """What is inside a version, from its stored statistics: who is in it and what the images are."""
    people, photos = _("people"), _("photos")
    charts = [
        _chart("age_band", _("Age band"), people, statistics.get("age_band"), AgeBand.choices),
        _chart("gender", _("Gender"), people, statistics.get("gender"), Gender.choices),
        _chart("mask", _("Mask"), people, statistics.get("mask"), [("mask", _("Mask")), ("no_mask", _("No mask"))]),
        _chart("angle", _("Face angle"), people, statistics.get("angle"), Angle.choices),
        _chart("lighting", _("Lighting"), photos, statistics.get("lighting"), Lighting.choices),
        _chart(
            "image_sizes",
            _("Image size"),
            photos,
            statistics.get("image_sizes"),
            [(name, name) for _floor, name in SIZE_BUCKETS],
        ),
    ]
    if statistics.get("boxes"):
        charts.append(_chart("boxes", _("Annotation boxes"), _("boxes"), statistics["boxes"], BoxLabel.choices))
    return [c for c in charts if c.total]


# --- Pages ------------------------------------------------------------------------------


def _without(params: dict, name: str, value=None) -> str:
    """The query string with one filter (or one value of a multi-value filter) removed."""
    rest = []
    for key, values in params.items():
        for v in values:
            if key == "page" or (key == name and (value is None or v == value)):
                continue
            rest.append((key, v))
    return urlencode(rest)


def _active_filters(form: CatalogueForm, filters: dict, params: dict, scopes: dict) -> list[dict]:
    chips = []
    if filters.get("q"):
        chips.append({"label": f"“{filters['q']}”", "url": _without(params, "q")})
    if filters.get("category"):
        chips.append({"label": Dataset.Category(filters["category"]).label, "url": _without(params, "category")})
    if filters.get("size"):
        chips.append({"label": SIZE_RANGES[filters["size"]][0], "url": _without(params, "size")})
    if "max_price" in filters:
        chips.append(
            {
                "label": _("Up to %(label)s") % {"label": format_yen(filters["max_price"])},
                "url": _without(params, "max_price"),
            }
        )
    for badge in scope_badges(filters.get("scope", []), scopes):
        chips.append({"label": badge["label"], "url": _without(params, "scope", badge["code"])})
    if filters.get("masked"):
        chips.append({"label": form.fields["masked"].label, "url": _without(params, "masked")})
    if filters.get("annotated"):
        chips.append({"label": form.fields["annotated"].label, "url": _without(params, "annotated")})
    return chips


def decorate_cards(datasets, scopes: dict) -> None:
    """What a card (and an API list entry) shows, on each dataset of a page; no query."""
    for dataset in datasets:
        dataset.display_title = localised(dataset, "title")
        dataset.display_description = localised(dataset, "description")
        dataset.price_from_label = format_yen(dataset.price_from)
        dataset.scope_badges = scope_badges(dataset.required_scopes, scopes)
        dataset.cover_url = preview_url(dataset.cover)
        dataset.offers = edition_offers(dataset, dataset.latest_version)


# The pages' bodies are cached, keyed by what they show, so a busy catalogue renders each
# once: the list by the catalogue's state (datasets' count and last change) and its query
# string, a dataset's page by its last change and version. A save of a dataset changes
# ``updated_at`` and so the key; what a key cannot see (a consent scope renamed, a cover's
# preview rebuilt) shows within CACHE_SECONDS. Bump CACHE_VERSION when the templates change.
CACHE_SECONDS = 300
CACHE_VERSION = "1"


def _cache_key(*parts) -> str:
    raw = "|".join(str(p) for p in (CACHE_VERSION, "ja" if _is_japanese() else "en", *parts))
    return "catalogue:" + hashlib.sha1(raw.encode()).hexdigest()


# The two reads every cached page makes, in SQL written once: building them with the ORM
# costs more than running them (~0.5 ms a request, a tenth of a cached page).
_STAMP_SQL = f"SELECT COUNT(*), MAX(updated_at) FROM {Dataset._meta.db_table}"
_ON_SALE_SQL = (
    f"SELECT id, updated_at, latest_version_id FROM {Dataset._meta.db_table} "
    "WHERE slug = %s AND status = %s AND latest_version_id IS NOT NULL"
)


def catalogue_stamp() -> str:
    """Changes whenever a dataset is added, saved (published, priced, a version frozen) or deleted."""
    with connection.cursor() as cursor:
        cursor.execute(_STAMP_SQL)
        count, changed = cursor.fetchone()
    return f"{count}:{changed}"  # a datetime (PostgreSQL) or its text (SQLite): either keys the cache


def _on_sale(slug: str) -> tuple | None:
    """(id, updated_at, latest_version_id) of the published dataset with this slug and a version, or None."""
    with connection.cursor() as cursor:
        cursor.execute(_ON_SALE_SQL, [slug, Dataset.Status.PUBLISHED.value])
        return cursor.fetchone()


def _list_context(request) -> dict:
    scopes = consent_scopes()
    form = CatalogueForm(request.GET or None, scopes=scopes.values())
    filters = form.filters()
    page = Paginator(dataset_catalogue(**filters), PAGE_SIZE).get_page(request.GET.get("page"))
    decorate_cards(page.object_list, scopes)
    params = {k: request.GET.getlist(k) for k in request.GET}
    max_price = filters.get("max_price")
    price_options = sorted(set(MAX_PRICE_OPTIONS) | ({max_price} if max_price is not None else set()))
    return {
        "form": form,
        "page_obj": page,
        "datasets": page.object_list,
        "active_filters": _active_filters(form, filters, params, scopes),
        "page_query": _without(params, "page"),
        "sort": filters.get("sort", Sort.NEWEST),
        "max_price_options": [(value, format_yen(value)) for value in price_options],
        "selected_scopes": filters.get("scope", []),
    }


# Anonymous visitors with no session all get the same page but for the CSRF token (in the
# header's language switch): such a page is cached whole with this marker in the token's place,
# and each response gets the visitor's own token. Anyone with a session (logged in, or with
# messages waiting) gets a page rendered for them from the cached body.
CSRF_MARKER = "csrf-token-marker-0f6a1c5e"


def _shared_page_key(request, *parts) -> str | None:
    if (
        request.user.is_authenticated
        or settings.SESSION_COOKIE_NAME in request.COOKIES
        or CookieStorage.cookie_name in request.COOKIES
    ):
        return None
    return _cache_key("page", request.get_full_path(), *parts)


def _shared_response(request, html: str) -> HttpResponse:
    return HttpResponse(html.replace(CSRF_MARKER, get_token(request)))


def _render_page(request, template: str, context: dict, page_key: str | None) -> HttpResponse:
    if page_key is None:
        return render(request, template, context)
    html = render_to_string(template, {**context, "csrf_token": CSRF_MARKER}, request=request)
    cache.set(page_key, html, CACHE_SECONDS)
    return _shared_response(request, html)


def dataset_list(request):
    """The catalogue: search, filter and sort the datasets on sale."""
    stamp = catalogue_stamp()
    page_key = _shared_page_key(request, "list", stamp)
    if page_key is not None and (html := cache.get(page_key)) is not None:
        return _shared_response(request, html)
    query = urlencode(sorted((k, v) for k in request.GET for v in request.GET.getlist(k)))
    key = _cache_key("list", stamp, query)
    body = cache.get(key)
    if body is None:
        body = render_to_string("catalog/_catalogue.html", _list_context(request))
        cache.set(key, body, CACHE_SECONDS)
    return _render_page(request, "catalog/dataset_list.html", {"catalogue_html": body}, page_key)


def dataset_page_details(dataset: Dataset) -> Dataset:
    """Load what a dataset's page shows beyond the dataset and its version, in four queries
    whatever the size of the version."""
    version = dataset.latest_version
    samples = list(
        version.items.select_related("photo")
        .only("version", "position", "file_name", "width", "height", "photo__uuid", "photo__preview")
        .order_by("position")[:SAMPLE_COUNT]
    )
    for item in samples:
        item.preview_url = preview_url(item.photo)
        item.display_height = round(600 * item.height / item.width) if item.width else 400
    # The scopes every photo of the version holds: the intersection of the items' snapshots,
    # read as the few distinct lists there are.
    held: set[str] | None = None
    for codes in version.items.order_by().values_list("scopes", flat=True).distinct():
        held = set(codes) if held is None else held & set(codes)
    scopes = consent_scopes()

    dataset.samples = samples
    dataset.held_scopes = [{**b, "name": b["title"]} for b in scope_badges(held or (), scopes)]
    dataset.history = list(dataset.versions.order_by("-number").defer("statistics", "changes", "query", "notes")[:10])
    dataset.display_title = localised(dataset, "title")
    dataset.display_description = localised(dataset, "description")
    dataset.display_licence_summary = localised(dataset, "licence_summary")
    dataset.offers = edition_offers(dataset, version)
    dataset.price_from = min(o.price for o in dataset.offers)
    return dataset


def dataset_page(slug: str) -> Dataset:
    """A published dataset with everything its page shows, in five queries whatever its size
    (404 for a draft, a retired dataset or one without a version)."""
    dataset = get_object_or_404(
        published_datasets().select_related("latest_version", "cover").defer("search_text", "curation_query"),
        slug=slug,
    )
    dataset_page_details(dataset)
    dataset.cover_url = preview_url(dataset.cover)
    return dataset


def _detail_fragments(dataset: Dataset) -> dict:
    dataset_page_details(dataset)
    version = dataset.latest_version
    statistics = version.statistics or {}
    changes = version.changes or {}
    context = {
        "dataset": dataset,
        "version": version,
        "title": dataset.display_title,
        "other_title": dataset.title_en if _is_japanese() else dataset.title_ja,
        "other_language": "en" if _is_japanese() else "ja",
        "description": dataset.display_description,
        "licence_summary": dataset.display_licence_summary,
        "samples": dataset.samples,
        "charts": version_charts(statistics),
        "statistics": statistics,
        "top_tags": list((statistics.get("tags") or {}).items())[:24],
        "held_scopes": dataset.held_scopes,
        "history": dataset.history,
        "changes": changes,
        "added_count": len(changes.get("added") or []),
        "removed_count": len(changes.get("removed") or []),
        "category_label": dataset.get_category_display(),
    }
    context["offers"] = dataset.offers
    return {
        "title": dataset.display_title,
        "description": dataset.display_description,
        "dataset_slug": dataset.slug,
        "version_number": version.number,
        "offers": dataset.offers,
        "head_html": render_to_string("catalog/_detail_head.html", context),
        "main_html": render_to_string("catalog/_detail_main.html", context),
        "editions_html": render_to_string("catalog/_detail_editions.html", context),
        "facts_html": render_to_string("catalog/_detail_facts.html", context),
    }


def dataset_detail(request, slug: str):
    """A dataset's page: what is in it (samples and charts), its consent and licence, editions and prices.

    A cached page costs one small query (is it on sale, and which state is it in); building it
    costs five more, whatever the size of the dataset.
    """
    row = _on_sale(slug)
    if row is None:
        raise Http404
    pk, updated_at, version_id = row
    page_key = _shared_page_key(request, "detail", pk, updated_at, version_id)
    if page_key is not None and (html := cache.get(page_key)) is not None:
        return _shared_response(request, html)
    key = _cache_key("detail", pk, updated_at, version_id)
    page = cache.get(key)
    if page is None:
        dataset = Dataset.objects.select_related("latest_version").defer("search_text", "curation_query").get(pk=pk)
        page = _detail_fragments(dataset)
        cache.set(key, page, CACHE_SECONDS)
    chosen = request.GET.get("edition")
    if chosen not in {o.code for o in page["offers"]}:
        chosen = page["offers"][-1].code
    context = {
        **page,
        # What the add_to_cart block (the checkout issue's) needs: slug, version, editions and the choice.
        "chosen_edition": chosen,
    }
    return _render_page(request, "catalog/dataset_detail.html", context, page_key)

"""The storefront: the dataset catalogue and a dataset's page. Public, no login.

Both pages run a fixed number of queries whatever the size of a dataset: what a version
holds is summarised in ``DatasetVersion.statistics`` when it is frozen, and only the first
few items are read, for the sample previews.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.translation import gettext_lazy as _

from catalog.models import Dataset
from catalog.storefront.forms import PAGE_SIZE, CatalogueForm
from catalog.storefront.pages import (
    annotation_facts,
    consent_scopes,
    dataset_page_details,
    decorate_cards,
    scope_badges,
    version_charts,
)
from catalog.storefront.selectors import SIZE_RANGES, Sort, dataset_catalogue
from licensing.consent.models import ConsentWithdrawal, ContributorOptOut
from stockdata.i18n import is_japanese
from stockdata.money import format_yen

MAX_PRICE_OPTIONS = [50_000, 99_000, 165_000, 300_000]


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


CACHE_SECONDS = 300
CACHE_VERSION = "2"


def _cache_key(*parts) -> str:
    # The script prefix too: under /ja/ the cached links keep it (stockdata.middleware.LanguagePrefixMiddleware).
    raw = "|".join(str(p) for p in (CACHE_VERSION, "ja" if is_japanese() else "en", get_script_prefix(), *parts))
    return "catalogue:" + hashlib.sha1(raw.encode()).hexdigest()


# The two reads every cached page makes, in SQL written once: building them with the ORM
# costs more than running them (~0.5 ms a request, a tenth of a cached page).
_STAMP_SQL = f"SELECT COUNT(*), MAX(updated_at) FROM {Dataset._meta.db_table}"
# The page shows samples only of photos still consented: any withdrawal or opt-out changes its key.
_ON_SALE_SQL = (
    f"SELECT id, updated_at, latest_version_id, "
    f"(SELECT COALESCE(MAX(id), 0) FROM {ConsentWithdrawal._meta.db_table}), "
    f"(SELECT COALESCE(MAX(id), 0) + COUNT(*) FROM {ContributorOptOut._meta.db_table}) "
    f"FROM {Dataset._meta.db_table} WHERE slug = %s AND status = %s AND latest_version_id IS NOT NULL"
)


def catalogue_stamp() -> str:
    """Changes whenever a dataset is added, saved (published, priced, a version frozen) or deleted."""
    with connection.cursor() as cursor:
        cursor.execute(_STAMP_SQL)
        count, changed = cursor.fetchone()
    return f"{count}:{changed}"  # a datetime (PostgreSQL) or its text (SQLite): either keys the cache


def _on_sale(slug: str) -> tuple | None:
    """(id, updated_at, latest_version_id, consent stamps) of the published dataset with this slug and a
    version, or None."""
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


def _detail_fragments(dataset: Dataset) -> dict:
    dataset_page_details(dataset)
    version = dataset.latest_version
    statistics = version.statistics or {}
    changes = version.changes or {}
    context = {
        "dataset": dataset,
        "version": version,
        "title": dataset.display_title,
        "other_title": dataset.title_en if is_japanese() else dataset.title_ja,
        "other_language": "en" if is_japanese() else "ja",
        "description": dataset.display_description,
        "licence_summary": dataset.display_licence_summary,
        "samples": dataset.samples,
        "viewer": dataset.viewer,
        "metadata_rows": dataset.metadata_rows,
        "datasheet": dataset.datasheet,
        "charts": version_charts(statistics),
        "annotation_facts": annotation_facts(version),
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
    pk, updated_at, version_id, withdrawals, opt_outs = row
    page_key = _shared_page_key(request, "detail", pk, updated_at, version_id, withdrawals, opt_outs)
    if page_key is not None and (html := cache.get(page_key)) is not None:
        return _shared_response(request, html)
    key = _cache_key("detail", pk, updated_at, version_id, withdrawals, opt_outs)
    page = cache.get(key)
    if page is None:
        dataset = (
            Dataset.objects.select_related("latest_version", "licence")
            .defer("search_text", "curation_query")
            .get(pk=pk)
        )
        page = _detail_fragments(dataset)
        cache.set(key, page, CACHE_SECONDS)
    chosen = request.GET.get("edition")
    if chosen not in {o.code for o in page["offers"]}:
        chosen = page["offers"][-1].code
    context = {
        **page,
        # What the add_to_cart block needs: slug, version, editions and the choice.
        "chosen_edition": chosen,
    }
    return _render_page(request, "catalog/dataset_detail.html", context, page_key)

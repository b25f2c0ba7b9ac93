"""A visitor finds a dataset in the catalogue, in Japanese, and studies its page."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from catalog.models import Dataset
from catalog.tests.factories import DatasetFactory, ensure_consent_scopes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def make_shop() -> Dataset:
    ensure_consent_scopes()
    now = timezone.now()
    masks = DatasetFactory(
        slug="japanese-faces-masks",
        title_en="Japanese faces with masks",
        title_ja="マスクを着けた日本人の顔",
        description_en="Adults in Japan wearing surgical masks, indoors and outdoors, frontal and three-quarter.\n\n"
        "Every face is marked with a box in the annotated edition.",
        description_ja="屋内と屋外で不織布マスクを着けた日本の成人。正面と斜め。\n\n注釈付きエディションでは全ての顔に矩形を付けています。",
        required_scopes=["publication", "ai_training", "biometric"],
        published_at=now - timedelta(days=3),
        version__photos=120,
        version__masked=0.7,
        version__annotated=True,
        version__contributors=7,
        version__with_images=True,
        version__seed=11,
    )
    DatasetFactory(
        slug="tokyo-streets",
        title_en="People on Tokyo streets",
        title_ja="東京の街の人々",
        description_en="Pedestrians photographed in central Tokyo, without masks.",
        description_ja="東京都心で撮影した、マスクを着けていない歩行者。",
        category=Dataset.Category.PEOPLE,
        published_at=now - timedelta(days=2),
        version__photos=60,
        version__masked=0.0,
        version__with_images=True,
        version__seed=12,
    )
    DatasetFactory(
        slug="rice-fields",
        title_en="Rice fields in summer",
        title_ja="夏の田んぼ",
        description_en="Paddies in Niigata and Akita in July.",
        description_ja="7月の新潟と秋田の水田。",
        category=Dataset.Category.AGRICULTURE,
        required_scopes=["publication"],
        price_unedited=120_000,
        published_at=now - timedelta(days=1),
        version__photos=40,
        version__people=False,
        version__tags=["rice field", "田んぼ", "summer", "夏"],
        version__with_images=True,
        version__seed=13,
    )
    return masks


def test_visitor_searches_in_japanese_filters_and_reads_the_charts(page, live_server, screenshot):
    masks = make_shop()
    stats = masks.latest_version.statistics

    page.goto(live_server.url + "/")
    page.get_by_test_id("lang-ja").click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    page.get_by_test_id("main-nav").get_by_role("link").first.click()
    expect(page.get_by_test_id("dataset-card")).to_have_count(3)
    screenshot(page, "catalogue-ja")

    # 日本人 is a keyword of both people datasets; the rice fields have none.
    page.get_by_test_id("catalogue-search").fill("日本人")
    page.get_by_test_id("catalogue-search").press("Enter")
    expect(page.get_by_test_id("dataset-card")).to_have_count(2)
    expect(page.get_by_test_id("result-count")).to_contain_text("2")

    page.locator("input[name=masked]").check()
    page.get_by_test_id("apply-filters").click()
    cards = page.get_by_test_id("dataset-card")
    expect(cards).to_have_count(1)
    expect(cards.first.get_by_test_id("dataset-title")).to_have_text("マスクを着けた日本人の顔")
    expect(cards.first.get_by_test_id("price-from")).to_have_text("¥99,000")
    expect(page.get_by_test_id("active-filters").locator("a")).to_have_count(2)
    screenshot(page, "catalogue-ja-search-masked")

    cards.first.get_by_test_id("dataset-title").click()
    expect(page.get_by_test_id("dataset-heading")).to_have_text("マスクを着けた日本人の顔")
    mask_chart = page.get_by_test_id("chart-mask")
    expect(mask_chart.locator("tr[data-key=mask] [data-testid=bar-count]")).to_have_text(str(stats["mask"]["mask"]))
    expect(mask_chart.locator("tr[data-key=no_mask] [data-testid=bar-count]")).to_have_text(
        str(stats["mask"]["no_mask"])
    )
    bar = mask_chart.locator("tr[data-key=mask] .bar")
    share = 100 * stats["mask"]["mask"] / masks.latest_version.subject_count
    width = bar.evaluate("el => el.getBoundingClientRect().width / el.parentElement.getBoundingClientRect().width")
    assert abs(width * 100 - share) < 1.0
    for key, count in stats["age_band"].items():
        expect(
            page.get_by_test_id("chart-age_band").locator(f"tr[data-key='{key}'] [data-testid=bar-count]")
        ).to_have_text(str(count))
    expect(page.get_by_test_id("fact-contributors")).to_have_text(str(stats["contributors"]))
    expect(page.get_by_test_id("samples").locator("img")).to_have_count(8)
    expect(page.get_by_test_id("edition-annotated").get_by_test_id("price")).to_have_text("¥165,000")
    expect(page.get_by_test_id("edition-annotated").get_by_test_id("tax")).to_contain_text("¥15,000")
    expect(page.get_by_test_id("edition-unedited").get_by_test_id("tax")).to_contain_text("¥9,000")
    page.get_by_test_id("samples").scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=samples] img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "dataset-ja")

    page.get_by_test_id("lang-en").click()
    expect(page.get_by_test_id("dataset-heading")).to_have_text("Japanese faces with masks")
    page.wait_for_function("() => [...document.querySelectorAll('img')].every(i => i.complete)")
    screenshot(page, "dataset-en")
    expect(page.get_by_test_id("login-to-buy")).to_be_visible()

    # The samples open in a viewer with the annotated edition's boxes; the arrow keys move, Esc closes.
    items = list(masks.latest_version.items.order_by("position")[:2])
    page.get_by_test_id("sample-open").first.click()
    viewer = page.get_by_test_id("sample-viewer")
    expect(viewer).to_be_visible()
    expect(page.get_by_test_id("viewer-position")).to_have_text("1 / 8")
    expect(page.get_by_test_id("viewer-name")).to_have_text(items[0].file_name)
    expect(viewer.get_by_test_id("viewer-box")).to_have_count(len(items[0].boxes))
    expect(viewer.locator("[data-testid=viewer-box][data-label=face]")).to_have_count(
        sum(1 for b in items[0].boxes if b["label"] == "face")
    )
    screenshot(page, "sample-viewer")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("viewer-position")).to_have_text("2 / 8")
    expect(page.get_by_test_id("viewer-name")).to_have_text(items[1].file_name)
    expect(viewer.get_by_test_id("viewer-box")).to_have_count(len(items[1].boxes))
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_test_id("viewer-position")).to_have_text("1 / 8")
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(page.get_by_test_id("metadata-rows").locator("tbody tr")).to_have_count(5)
    expect(page.get_by_test_id("datasheet-composition")).to_contain_text(f"{masks.latest_version.photo_count} photos")

"""Phones: every page a buyer or a contributor can reach works at 390×844 with no horizontal
scrolling, in English and Japanese; the dataset page keeps a buy bar in view; the
catalogue's filters fold into a drawer so the first screen shows datasets.

The pages are the access table's (``stockdata/tests/access_table.py``): every GET URL whose
row says "ok" for buyer A or contributor A, with the fixture world's objects, so a new page
is checked as soon as it has a row. Downloads (PDF, CSV, JSON) and log-out are left out.
"""

from __future__ import annotations

import pytest
from django.test import Client
from playwright.sync_api import expect

from stockdata.demo import DEMO_PASSWORD
from stockdata.tests.access_table import URL_ROWS
from stockdata.tests.access_world import EMAILS, build_world
from stockdata.tests.test_access_matrix import row_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def html_pages(world, role: str) -> list[str]:
    client = Client()
    client.force_login(world.users[role])
    pages = []
    for key, row in URL_ROWS.items():
        if row.method != "GET" or row.expect.get(role) != "ok" or key == "account_logout":
            continue
        url = row_url(world, key, row)
        response = client.get(url)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            pages.append(url)
    return pages


def log_in(page, base: str, email: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    expect(page.get_by_test_id("account-link")).to_be_visible()


def test_phone_layout_every_buyer_and_contributor_page_fits_390_px(browser, live_server, screenshot):
    world = build_world()
    too_wide = []
    checked = 0
    for role in ("buyer_a", "contributor_a"):
        pages = html_pages(world, role)
        assert len(pages) >= 15, pages  # the table's pages for this role, not a handful
        for language in ("en-US", "ja-JP"):
            context = browser.new_context(viewport=PHONE, locale=language)
            page = context.new_page()
            log_in(page, live_server.url, EMAILS[role])
            for url in pages:
                page.goto(live_server.url + url)
                page.wait_for_load_state("networkidle")
                width = page.evaluate("document.documentElement.scrollWidth")
                checked += 1
                if width > PHONE["width"]:
                    too_wide.append(f"{role} {language} {url}: {width} px")
                    screenshot(page, f"phone-too-wide-{role}-{language}-{url.strip('/').replace('/', '-')}")
            context.close()
    assert too_wide == [], too_wide
    assert checked >= 60


def test_phone_layout_buy_bar_stays_in_view_and_filters_fold_into_a_drawer(browser, live_server, screenshot):
    world = build_world()
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    log_in(page, live_server.url, EMAILS["buyer_a"])

    page.goto(live_server.url + "/datasets/")
    drawer = page.get_by_test_id("filter-drawer")
    expect(drawer).not_to_have_attribute("open", "")
    first_card = page.locator(".dataset-card").first
    expect(first_card).to_be_visible()
    assert first_card.bounding_box()["y"] < PHONE["height"]  # a dataset on the first screen
    drawer.locator("summary").click()
    expect(drawer).to_have_attribute("open", "")
    screenshot(page, "phone-catalogue-filters-open")

    dataset = world.objects["dataset"]
    page.goto(f"{live_server.url}/datasets/{dataset.slug}/")
    bar = page.get_by_test_id("buy-bar")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text(f"From ¥{dataset.price_unedited:,}")
    page.mouse.wheel(0, 3000)
    box = bar.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"]  # still on screen after scrolling
    page.get_by_test_id("buy-bar-link").click()
    expect(page.get_by_test_id("add-to-cart-button")).to_be_in_viewport()
    screenshot(page, "phone-dataset-buy")
    context.close()

    wide = browser.new_context(viewport={"width": 1366, "height": 900})
    page = wide.new_page()
    page.goto(f"{live_server.url}/datasets/{dataset.slug}/")
    expect(page.get_by_test_id("buy-bar")).to_be_hidden()
    page.goto(live_server.url + "/datasets/")
    expect(page.get_by_test_id("filter-drawer")).to_have_attribute("open", "")
    wide.close()

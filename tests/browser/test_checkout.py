"""A buyer adds two editions, checks out under the licence with the demo card, sees the order
paid and downloads the invoice PDF."""

import pytest
from playwright.sync_api import expect

from catalog.tests.factories import DatasetFactory, ensure_consent_scopes
from stockdata.accounts.tests.factories import PASSWORD, BuyerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_buyer_buys_the_annotated_edition_with_the_demo_card_and_downloads_the_invoice(
    page, live_server, screenshot, settings
):
    settings.STOCKDATA_DEMO_PAYMENTS = True
    ensure_consent_scopes()
    dataset = DatasetFactory(
        slug="japanese-faces-masks",
        title_en="Japanese faces with masks",
        title_ja="マスクを着けた日本人の顔",
        version__photos=6,
        version__annotated=True,
        version__with_images=True,
        version__seed=21,
    )
    buyer = BuyerFactory(email="ml@corp.example")

    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=login]", buyer.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    expect(page.get_by_test_id("main-nav")).to_contain_text("Cart")

    page.goto(f"{live_server.url}/datasets/{dataset.slug}/")
    for edition in ("unedited", "annotated"):
        page.get_by_test_id(f"choose-{edition}").check()
        page.get_by_test_id("add-to-cart-button").click()
    page.get_by_test_id("main-nav").get_by_role("link", name="Cart").click()
    # The annotated edition includes the unedited one: the cart keeps only the annotated one.
    expect(page.get_by_test_id("cart-line")).to_have_count(1)
    expect(page.get_by_test_id("cart-total")).to_have_text("¥165,000")
    expect(page.get_by_test_id("cart-tax")).to_have_text("¥15,000")
    screenshot(page, "cart")

    page.get_by_test_id("checkout").click()
    expect(page.get_by_test_id("licence-text")).not_to_be_empty()
    page.select_option("select[name=intended_use]", "product_development")
    page.fill("textarea[name=intended_use_detail]", "Training a mask-robust face detector for our cameras.")
    page.check("input[name=payment_method][value=demo_card]")
    page.check("input[name=accept_licence]")
    screenshot(page, "checkout")
    page.get_by_test_id("place-order").click()

    page.fill("input[name=card_number]", "4242 4242 4242 4242")
    screenshot(page, "demo-card")
    page.get_by_test_id("demo-pay").click()
    expect(page.get_by_test_id("order-status")).to_have_attribute("data-status", "paid")
    expect(page.get_by_test_id("order-line")).to_have_count(1)
    expect(page.get_by_test_id("order-total")).to_have_text("¥165,000")
    screenshot(page, "order-paid")

    with page.expect_download() as download_info:
        page.get_by_test_id("invoice-pdf").click()
    download = download_info.value
    assert download.suggested_filename.startswith("INV-") and download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"

"""A contributor sees, the same day, which sale earned them how much, on a chart and in the table."""

import pytest
from playwright.sync_api import expect

from contributors.services import royalties_record_sale
from contributors.tests.factories import ContributorFactory, paid_line, version_with_photos
from stockdata.accounts.tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_after_a_sale_the_dashboard_shows_the_new_earning_and_the_chart(page, live_server, screenshot):
    aiko = ContributorFactory(email="aiko@example.com")
    version = version_with_photos({aiko: 3, ContributorFactory(): 1})
    page.goto(f"{live_server.url}/accounts/login/?next=/portal/earnings/")
    page.fill("input[name=login]", aiko.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    expect(page).to_have_url(live_server.url + "/portal/earnings/")
    expect(page.get_by_test_id("balance")).to_have_text("¥0")
    expect(page.get_by_test_id("bank-missing")).to_be_visible()

    # A buyer pays for the annotated edition: 165,000 incl. tax -> net 150,000 -> pool 60,000 -> 3/4 to Aiko.
    royalties_record_sale(line=paid_line(version, price=165_000))

    page.get_by_role("link", name="Earnings").first.click()
    expect(page.get_by_test_id("balance")).to_have_text("¥45,000")
    ledger = page.get_by_test_id("ledger")
    expect(ledger.locator("tbody tr")).to_have_count(1)
    expect(ledger.locator("tbody tr").first).to_contain_text(f"{version.dataset.title_en} v1")
    expect(ledger.locator("tbody tr").first).to_contain_text("Annotated")
    expect(ledger.locator("tbody tr").first).to_contain_text("¥45,000")
    bars = page.get_by_test_id("earnings-bar")
    expect(bars).to_have_count(12)
    last = bars.last
    expect(last).to_have_attribute("data-amount", "45000")
    assert float(last.locator("rect").get_attribute("height")) > 100
    screenshot(page, "earnings-after-sale")

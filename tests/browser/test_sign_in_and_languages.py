"""Sign-in pages in the site's style at 390 px in both languages; the language in the address;
card covers of one height."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from catalog.tests.factories import DatasetFactory
from stockdata.accounts.tests.factories import PASSWORD, BuyerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
WIDEST = """() => {
  const widths = [...document.querySelectorAll('main input:not([type=checkbox]):not([type=hidden]), main button')]
    .map(e => e.getBoundingClientRect().width);
  return {page: document.documentElement.scrollWidth, widest: Math.max(...widths)};
}"""


def test_sign_in_pages_fit_390_px_in_both_languages_and_log_in(browser, live_server, screenshot):
    BuyerFactory(email="mika@example.jp", full_name="Mika Sato")
    context = browser.new_context(viewport=PHONE, locale="en-US")
    page = context.new_page()
    headings = {
        "/en/accounts/login/": "Log in",
        "/ja/accounts/login/": "ログイン",
        "/en/accounts/password/reset/": "Reset your password",
        "/ja/accounts/signup/buyer/": "購入者として登録",
        "/en/accounts/signup/contributor/": "Sign up as a contributor",
    }
    for path, heading in headings.items():
        page.goto(live_server.url + path)
        expect(page.locator("main h1")).to_have_text(heading)
        sizes = page.evaluate(WIDEST)
        assert sizes["page"] <= 390 and sizes["widest"] <= 390 - 2 * 16, (path, sizes)
        screenshot(page, "sign-in-phone-" + path.strip("/").replace("/", "-"))
    page.goto(live_server.url + "/en/accounts/login/")
    html = page.content()
    assert "Remember Me" not in html and "Sign In" not in html
    expect(page.locator("label[for=id_login]")).to_have_text(re.compile(r"^E-mail address"))
    expect(page.locator("input[name=login]")).to_have_attribute("autocomplete", "email")
    expect(page.locator("input[name=password]")).to_have_attribute("autocomplete", "current-password")
    page.fill("input[name=login]", "mika@example.jp")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("account-link")).to_have_text("Mika Sato")
    assert "/en/" in page.url
    context.close()

    wide = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()
    wide.goto(live_server.url + "/accounts/login/")
    assert wide.evaluate(WIDEST)["widest"] <= 560
    screenshot(wide, "sign-in-desktop")
    wide.context.close()


def test_i18n_url_switcher_keeps_the_page_and_covers_have_one_height(page, live_server, screenshot):
    for index, (title, seed) in enumerate((("Street portraits", 3), ("Faces with masks", 4), ("Rice fields", 5))):
        DatasetFactory(slug=f"set-{index}", title_en=title, version__photos=3, version__seed=seed)
    page.goto(live_server.url + "/datasets/?sort=title")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_test_id("lang-ja").click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    assert page.url == live_server.url + "/ja/datasets/?sort=title"
    # Every link on the page keeps the language; a shared address opens in Japanese anywhere.
    hrefs = page.eval_on_selector_all("main a[href^='/']", "els => els.map(e => e.getAttribute('href'))")
    assert hrefs and all(h.startswith("/ja/") for h in hrefs), hrefs
    heights = page.eval_on_selector_all(".dataset-cover", "els => els.map(e => e.getBoundingClientRect().height)")
    assert len(heights) == 3 and max(heights) - min(heights) < 1, heights
    screenshot(page, "catalogue-ja-prefix")
    page.get_by_test_id("lang-en").click()
    assert page.url == live_server.url + "/en/datasets/?sort=title"
    expect(page.locator("html")).to_have_attribute("lang", "en")

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from stockdata.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_switches_to_japanese_and_back_and_a_demo_buyer_logs_in(page, live_server, screenshot):
    call_command("seed_demo", stdout=io.StringIO())
    page.goto(live_server.url + "/")
    expect(page.locator("h1")).to_have_text("Photo datasets for AI, with consent you can prove")
    page.get_by_test_id("lang-ja").click()
    expect(page.locator("h1")).to_have_text("同意を証明できる、AIのための写真データセット")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    screenshot(page, "home-ja")
    page.get_by_test_id("lang-en").click()
    expect(page.locator("h1")).to_have_text("Photo datasets for AI, with consent you can prove")

    page.get_by_test_id("login-link").click()
    page.fill("input[name=login]", "buyer@demo.stockdata.jp")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    expect(page.get_by_test_id("account-link")).to_have_text("Taro Tanaka")
    expect(page.get_by_test_id("main-nav")).to_contain_text("Organisation")
    expect(page.get_by_test_id("main-nav")).not_to_contain_text("Portal")
    screenshot(page, "buyer-logged-in")

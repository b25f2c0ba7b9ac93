"""``/ja/…`` and ``/en/…``: every page in that language at an address one can share; unprefixed
addresses keep the language of the cookie or ``Accept-Language``."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from licensing.commerce.tests.test_payments import card_order, session_event, signed
from licensing.models import Order
from stockdata.accounts.models import User
from stockdata.accounts.tests.factories import PASSWORD, BuyerFactory, ContributorFactory
from stockdata.dates import format_date, format_datetime
from stockdata.redaction import redact

pytestmark = pytest.mark.django_db


def test_i18n_url_prefix_shows_the_page_in_that_language_whatever_the_browser_asks(client):
    response = client.get("/ja/datasets/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200 and response["Content-Language"] == "ja"
    assert '<html lang="ja">' in html
    # Every link built by reverse() keeps the prefix ...
    assert f'href="/ja{reverse("core:terms")}"' in html and 'href="/ja/accounts/login/"' in html
    assert 'href="/legal/terms/"' not in html
    # ... but static files are where they always are.
    assert re.search(r'href="/static/css/site\.css"', html) and "/ja/static/" not in html
    # The switcher keeps the page (and its query); hreflang alternates name both languages.
    response = client.get("/ja/datasets/?q=street", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert 'href="/en/datasets/?q=street" hreflang="en"' in html
    assert '<link rel="alternate" hreflang="ja" href="http://testserver/ja/datasets/?q=street">' in html
    assert '<link rel="alternate" hreflang="x-default" href="http://testserver/datasets/?q=street">' in html
    # The next request (and the test) do not inherit the prefix.
    assert reverse("catalog:list") == "/datasets/"


def test_i18n_url_unprefixed_pages_keep_the_cookie_or_browser_language(client):
    assert client.get("/datasets/", HTTP_ACCEPT_LANGUAGE="ja")["Content-Language"] == "ja"
    assert client.get("/datasets/", HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "en"
    english = client.get("/datasets/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/legal/terms/"' in english and 'href="/ja/datasets/" hreflang="ja"' in english
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    assert client.get("/datasets/", HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "ja"


def test_i18n_url_prefix_is_remembered_for_the_next_unprefixed_page_and_the_users_emails(client):
    user = ContributorFactory(language="en")
    client.force_login(user)
    response = client.get("/ja/portal/")
    assert response.status_code == 200
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ja"
    assert User.objects.get(pk=user.pk).language == "ja"
    assert client.get("/portal/", HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "ja"
    # The old switcher form does the same.
    response = client.post(reverse("set_language"), {"language": "en", "next": "/portal/"})
    assert response.status_code == 302
    assert User.objects.get(pk=user.pk).language == "en"


def test_i18n_url_bare_prefix_redirects_to_the_home_page_in_that_language(client):
    response = client.get("/ja?x=1")
    assert response.status_code == 301 and response["Location"] == "/ja/?x=1"
    home = client.get("/ja/")
    assert home.status_code == 200 and home["Content-Language"] == "ja"
    assert client.get("/jap/").status_code == 404  # only the site's own languages are prefixes


def test_i18n_url_login_with_csrf_under_a_prefix_lands_under_the_prefix():
    user = BuyerFactory(email="kana@example.jp")
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/ja/accounts/login/")
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    refused = browser.post("/ja/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert refused.status_code == 403
    response = browser.post(
        "/ja/accounts/login/", {"login": user.email, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302 and response["Location"].startswith("/ja/")
    assert browser.get(response["Location"], follow=True).status_code == 200
    assert int(browser.session["_auth_user_id"]) == user.pk


def test_i18n_url_api_answers_under_a_prefix_with_errors_in_that_language(client):
    listing = client.get("/ja/api/v1/datasets/")
    assert listing.status_code == 200 and listing["Content-Type"].startswith("application/json")
    refused = client.get("/ja/api/v1/me/")
    assert refused.status_code in (401, 403)
    body = refused.json()["error"]
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", body["message"]), body  # Japanese
    english = client.get("/en/api/v1/me/").json()["error"]
    assert english["code"] == body["code"] and english["message"] != body["message"]
    assert client.get("/ja/api/schema/").status_code == 200


def test_i18n_url_stripe_webhook_under_a_prefix_is_the_same_webhook(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
    settings.STOCKDATA_DEMO_PAYMENTS = True
    order = card_order()
    body, header = signed(session_event(order))
    unsigned = client.generic("POST", "/ja/payments/stripe/webhook/", body, content_type="application/json")
    assert unsigned.status_code == 400
    response = client.generic(
        "POST", "/ja/payments/stripe/webhook/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_i18n_url_secret_links_under_a_prefix_are_redacted_from_logs():
    assert redact("GET /ja/consent/abc123.s3cr3t/ 200") == "GET /ja/consent/abc123.[redacted]/ 200"
    assert redact("https://x.example/en/downloads/9f.tok/") == "https://x.example/en/downloads/9f.[redacted]/"
    assert redact("/api/v1/photos/1/consent/") == "/api/v1/photos/1/consent/"


def test_i18n_url_one_date_format_per_language():
    import datetime

    from django.utils import translation

    day = datetime.date(2026, 12, 7)
    moment = datetime.datetime(2026, 12, 7, 4, 5, tzinfo=datetime.UTC)  # 13:05 in Tokyo
    with translation.override("en"):
        assert (format_date(day), format_datetime(moment)) == ("7 Dec 2026", "7 Dec 2026, 13:05")
    with translation.override("ja"):
        assert (format_date(day), format_datetime(moment)) == ("2026年12月7日", "2026年12月7日 13:05")
        assert format_date(None) == "" and format_date(moment) == "2026年12月7日"

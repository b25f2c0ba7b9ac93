"""The legal pages, the contact form and the terms of use: in both languages, with the company's
details from the settings, messages stored and floods refused, new terms asked for at sign-in."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from catalog.tests.factories import DatasetFactory
from licensing.commerce.selectors import default_licence
from stockdata.accounts import services as account_services
from stockdata.accounts.models import TermsAcceptance, TermsVersion, User
from stockdata.accounts.tests.factories import PASSWORD, BuyerFactory, StaffFactory
from stockdata.core.models import ContactMessage
from stockdata.tests.production_env import COMPANY

pytestmark = pytest.mark.django_db

PAGES = ["core:terms", "core:privacy", "core:commerce", "core:company"]


@pytest.fixture(autouse=True)
def _language_back():
    """A request in Japanese leaves Japanese active in this thread; the next test starts afresh."""
    yield
    translation.deactivate()


def get(client, name: str, language: str, **kwargs):
    return client.get(reverse(name, kwargs=kwargs or None), HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("language", ["ja", "en"])
def test_legal_page_renders_in_both_languages_with_the_company_from_settings(client, settings, name, language):
    settings.STOCKDATA_COMPANY = COMPANY
    page = get(client, name, language)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'lang="{language}"' in html
    assert (COMPANY["name_ja"] if language == "ja" else COMPANY["name_en"]) in html
    assert f'data-testid="company-registration-number">{COMPANY["registration_number"]}<' in html
    assert "株式会社ストックデータ（デモ）" not in html and "T0000000000000" not in html
    for link in ("core:terms", "core:privacy", "core:commerce", "core:company", "core:contact"):
        assert f'href="{reverse(link)}"' in html  # the footer (and the legal pages' own links)


def test_legal_page_follows_a_change_of_the_company_settings(client, settings):
    settings.STOCKDATA_COMPANY = COMPANY
    before = get(client, "core:commerce", "ja").content.decode()
    settings.STOCKDATA_COMPANY = {**COMPANY, "name_ja": "株式会社べつの会社", "registration_number": "T1111222233334"}
    after = get(client, "core:commerce", "ja").content.decode()
    assert COMPANY["name_ja"] in before and "株式会社べつの会社" not in before
    assert "株式会社べつの会社" in after and COMPANY["name_ja"] not in after
    assert 'data-testid="company-registration-number">T1111222233334<' in after


def test_legal_page_privacy_covers_what_appi_asks(client):
    for language, headings in {
        "ja": [
            "利用目的",
            "第三者提供と記録",
            "外国にある第三者への提供",
            "保存期間",
            "開示等の請求",
            "お問い合わせ窓口",
        ],
        "en": [
            "Purposes of use",
            "Provision to third parties, and its records",
            "Transfers to third parties abroad",
            "How long we keep it",
            "Disclosure and other requests",
            "Contact",
        ],
    }.items():
        html = get(client, "core:privacy", language).content.decode()
        for heading in headings:
            assert heading in html, (language, heading)
    # The retention stated is the one the provision records use.
    from licensing.consent.services.provision import RETENTION_YEARS

    assert (
        f"for {RETENTION_YEARS} years from the date of provision" in get(client, "core:privacy", "en").content.decode()
    )


def test_legal_page_commerce_states_the_payment_terms_the_code_applies(client, settings):
    from licensing.commerce.services import PAYMENT_DAYS, QUOTATION_VALID_DAYS

    settings.STOCKDATA_DEMO_PAYMENTS = False
    settings.STRIPE_SECRET_KEY = ""
    html = get(client, "core:commerce", "en").content.decode()
    assert f"within {PAYMENT_DAYS} days of the order" in html
    assert f"valid for {QUOTATION_VALID_DAYS} days" in html
    assert "Bank transfer (invoice)" in html and "Card (Stripe)" not in html


def test_legal_page_licence_is_readable_and_downloadable_signed_out_and_linked_from_the_dataset_page(client):
    licence = default_licence()
    for language, title in (("ja", licence.title_ja), ("en", licence.title_en)):
        page = get(client, "licensing:licence", language, code=licence.code).content.decode()
        assert title in page
        body = licence.body_ja if language == "ja" else licence.body_en
        assert body.splitlines()[-1].strip() in page  # the whole text, to its last line
    pdf = client.get(reverse("licensing:licence_pdf", args=[licence.code]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(reverse("licensing:licence", args=["no-such-licence"])).status_code == 404
    dataset = DatasetFactory(version__photos=1)
    page = client.get(reverse("catalog:detail", args=[dataset.slug])).content.decode()
    assert f'href="{reverse("licensing:licence_current")}"' in page
    assert client.get(reverse("licensing:licence_current")).url == reverse("licensing:licence", args=[licence.code])


def test_legal_page_checkout_shows_the_licence_in_full_and_records_its_version(client):
    from catalog.models import Edition
    from licensing.commerce import services as commerce_services
    from licensing.commerce.tests.test_orders import checkout_post
    from licensing.models import Order

    buyer = BuyerFactory()
    commerce_services.cart_add(user=buyer, dataset=DatasetFactory(version__photos=1), edition=Edition.UNEDITED)
    client.force_login(buyer)
    licence = default_licence()
    html = client.get(reverse("licensing:checkout"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "scroll-box" not in html
    assert licence.body_en.splitlines()[-1].strip() in html
    assert f'name="licence_code" value="{licence.code}"' in html
    # A licence shown that is no longer the one in force is refused with the reason.
    stale = client.post(reverse("licensing:checkout"), checkout_post(buyer, "k-stale", licence_code="sd-old-0.9"))
    assert stale.status_code == 400
    assert f"The licence changed while this page was open: {licence.code} now applies." in stale.content.decode()
    client.post(reverse("licensing:checkout"), checkout_post(buyer, "k-1", licence_code=licence.code))
    order = Order.objects.get()
    assert (order.licence, order.licence_accepted_ip) == (licence, "127.0.0.1")


# --- contact -------------------------------------------------------------------------------------


def contact_data(**overrides) -> dict:
    data = {
        "topic": ContactMessage.Topic.PERSONAL_DATA,
        "name": "Sato Hanako",
        "email": "hanako@example.jp",
        "organisation": "",
        "body": "I would like to see the records of provision about me.",
    }
    data.update(overrides)
    return data


def test_legal_page_contact_form_stores_the_message_and_staff_answer_it(client, django_capture_on_commit_callbacks):
    response = client.post(reverse("core:contact"), contact_data(), REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 302 and response.url == reverse("core:contact") + "?sent=1"
    message = ContactMessage.objects.get()
    assert (message.email, message.ip, message.status, message.user) == (
        "hanako@example.jp",
        "198.51.100.7",
        ContactMessage.Status.NEW,
        None,
    )
    assert "your message was received" in client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    staff = StaffFactory()
    staff_client = Client()
    staff_client.force_login(staff)
    listing = staff_client.get(reverse("core:contact_messages")).content.decode()
    assert "hanako@example.jp" in listing
    refused = staff_client.post(reverse("core:contact_message", args=[message.pk]), {"answer": "  "})
    assert refused.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        answered = staff_client.post(
            reverse("core:contact_message", args=[message.pk]), {"answer": "Here are your records."}
        )
    assert answered.status_code == 302
    message.refresh_from_db()
    assert (message.status, message.answer, message.answered_by) == (
        ContactMessage.Status.ANSWERED,
        "Here are your records.",
        staff,
    )
    assert [m.to for m in mail.outbox] == [["hanako@example.jp"]]
    # The answer first (under the base template's greeting), then what they wrote.
    assert "Here are your records.\n\n---\nYour message:" in mail.outbox[0].body
    # Nobody else reads the messages.
    client.force_login(BuyerFactory())
    assert client.get(reverse("core:contact_messages")).status_code == 404
    assert client.get(reverse("core:contact_message", args=[message.pk])).status_code == 404


def test_legal_page_contact_form_refuses_a_flood_and_keeps_what_was_typed(client, settings):
    settings.STOCKDATA_CONTACT_RATE_LIMIT = 3
    for index in range(3):
        assert (
            client.post(
                reverse("core:contact"), contact_data(body=f"Message {index}"), REMOTE_ADDR="203.0.113.9"
            ).status_code
            == 302
        )
    flood = client.post(
        reverse("core:contact"), contact_data(body="Message four"), REMOTE_ADDR="203.0.113.9", HTTP_ACCEPT_LANGUAGE="en"
    )
    html = flood.content.decode()
    assert flood.status_code == 429
    assert "You have sent 3 messages in the last 60 minutes, the most we accept." in html
    assert "Message four</textarea>" in html  # nothing typed is lost
    assert ContactMessage.objects.count() == 3
    # Another client is not held back by the first one's flood.
    assert client.post(reverse("core:contact"), contact_data(), REMOTE_ADDR="203.0.113.10").status_code == 302
    assert ContactMessage.objects.count() == 4


def test_legal_page_contact_form_says_what_is_wrong(client):
    response = client.post(
        reverse("core:contact"), contact_data(email="not-an-address", body=""), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid email address." in html and "This field is required." in html
    assert ContactMessage.objects.count() == 0


# --- terms of use ------------------------------------------------------------------------------


def test_legal_page_sign_up_records_acceptance_of_the_current_terms(client):
    version = account_services.terms_current()
    assert version is not None and version.code == "2026-12"
    data = {
        "email": "new@photo.example",
        "full_name": "Mori Aiko",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    refused = client.post("/accounts/signup/contributor/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code in (200, 400)
    assert "Accept the terms of use to create an account." in refused.content.decode()
    assert not User.objects.filter(email="new@photo.example").exists()
    client.post("/accounts/signup/contributor/", {**data, "accept_terms": "on"}, REMOTE_ADDR="192.0.2.44")
    acceptance = TermsAcceptance.objects.get(user__email="new@photo.example")
    assert (acceptance.version, acceptance.ip) == (version, "192.0.2.44")
    assert timezone.now() - acceptance.accepted_at < timedelta(minutes=1)


def test_legal_page_a_new_terms_version_is_asked_for_at_the_next_sign_in(client):
    buyer = BuyerFactory()  # accepted the version in force
    old = account_services.terms_current()
    response = client.post("/accounts/login/?next=/orders/", {"login": buyer.email, "password": PASSWORD})
    assert response.url == "/orders/"
    client.logout()

    new = TermsVersion.objects.create(code="2027-01", effective_from=timezone.localdate())
    response = client.post("/accounts/login/?next=/orders/", {"login": buyer.email, "password": PASSWORD})
    assert response.url == reverse("core:terms_accept") + "?next=%2Forders%2F"
    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The terms of use 2027-01 are in force from" in page
    assert f"You accepted version {old.code} on" in page
    refused = client.post(reverse("core:terms_accept"), {"next": "/orders/"}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400 and "Accept the terms of use to go on using the site." in refused.content.decode()
    accepted = client.post(reverse("core:terms_accept"), {"next": "/orders/", "accept_terms": "on"})
    assert accepted.url == "/orders/"
    assert list(buyer.terms_acceptances.values_list("version__code", flat=True)) == ["2027-01", old.code]
    # Accepted: the next sign-in goes straight on, and the accept page only passes through.
    client.logout()
    response = client.post("/accounts/login/?next=/orders/", {"login": buyer.email, "password": PASSWORD})
    assert response.url == "/orders/"
    assert client.get(reverse("core:terms_accept") + "?next=https://evil.example/").url == reverse("home")
    assert new == account_services.terms_current()


def test_legal_page_a_version_in_the_future_is_not_asked_for_yet(client):
    buyer = BuyerFactory()
    TermsVersion.objects.create(code="2099-01", effective_from=date(2099, 1, 1))
    response = client.post("/accounts/login/?next=/orders/", {"login": buyer.email, "password": PASSWORD})
    assert response.url == "/orders/"

"""Every text a person can enter that some page shows back is shown escaped: the raw
``<script>`` never reaches the HTML, its escaped form does (so the test also proves the
field is on the page)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from catalog.models import Photo
from catalog.tests.factories import DatasetFactory, PhotoFactory, PhotoSubjectFactory, ensure_consent_scopes
from licensing.consent.tests.factories import make_release
from licensing.models import Order
from stockdata.accounts.tests.factories import BuyerFactory, ContributorFactory, StaffFactory

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
PAYLOADS = pytest.mark.parametrize("payload", [SCRIPT, ATTRIBUTE], ids=["script", "attribute"])


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def shown_escaped(html: str, payload: str, *, times: int = 1) -> None:
    assert payload not in html
    assert "<img src=x" not in html
    assert html.count(escape(payload)) >= times, f"{escape(payload)!r} not shown {times}x"


@PAYLOADS
def test_a_photos_title_description_keywords_and_people_are_escaped_on_the_portal(payload):
    contributor = ContributorFactory()
    photo = PhotoFactory(
        contributor=contributor,
        status=Photo.Status.DRAFT,
        title=payload,
        description=payload,
        prefecture=payload[:50],
        tags=[payload.lower()],
    )
    PhotoSubjectFactory(photo=photo, position=1, ethnicity=payload[:50])
    client = logged_in(contributor)
    shown_escaped(page(client, "/portal/photos/"), payload)
    detail = page(client, f"/portal/photos/{photo.uuid}/")
    shown_escaped(detail, payload, times=2)  # the title and the description, at least
    shown_escaped(detail, payload.lower())  # the keyword


@PAYLOADS
def test_a_reviewers_note_on_a_rejected_photo_is_escaped_for_the_contributor(payload):
    contributor = ContributorFactory()
    photo = PhotoFactory(
        contributor=contributor, status=Photo.Status.REJECTED, rejection_reason="other", rejection_note=payload
    )
    shown_escaped(page(logged_in(contributor), f"/portal/photos/{photo.uuid}/"), payload)


@PAYLOADS
def test_a_submitted_photos_text_is_escaped_on_the_staff_review_page(payload):
    photo = PhotoFactory(
        status=Photo.Status.SUBMITTED, reviewed_at=None, title=payload, description=payload, tags=[payload.lower()]
    )
    shown_escaped(page(logged_in(StaffFactory()), f"/review/photos/{photo.uuid}/"), payload)


@PAYLOADS
def test_a_dataset_title_and_description_are_escaped_on_the_storefront_and_staff_pages(payload):
    ensure_consent_scopes()
    dataset = DatasetFactory(
        slug="faces", title_en=payload, description_en=payload, licence_summary_en=payload, version__photos=3
    )
    shown_escaped(page(Client(), "/datasets/"), payload)
    shown_escaped(page(Client(), f"/datasets/{dataset.slug}/"), payload, times=2)
    staff = logged_in(StaffFactory())
    shown_escaped(page(staff, "/staff/datasets/"), payload)
    shown_escaped(page(staff, f"/staff/datasets/{dataset.slug}/edit/"), payload, times=2)


@PAYLOADS
def test_a_search_is_escaped_where_the_catalogue_shows_it_back(payload):
    shown_escaped(
        page(
            Client(),
            "/datasets/?q="
            + payload.replace("<", "%3C").replace(">", "%3E").replace('"', "%22").replace(" ", "+").replace("=", "%3D"),
        ),
        payload,
    )


@PAYLOADS
def test_names_and_billing_details_are_escaped_on_the_account_pages(payload):
    buyer = BuyerFactory(
        full_name=payload,
        organisation__name=payload,
        organisation__billing_name=payload,
        organisation__billing_address=payload,
    )
    client = logged_in(buyer)
    shown_escaped(page(client, "/accounts/profile/"), payload)
    shown_escaped(page(client, "/accounts/organisation/"), payload, times=3)


@PAYLOADS
def test_a_releases_reference_place_and_photographer_are_escaped_for_contributor_and_staff(payload):
    ensure_consent_scopes()
    contributor = ContributorFactory()
    release = make_release(contributor, reference=payload, shoot_place=payload, photographer_name=payload)
    client = logged_in(contributor)
    shown_escaped(page(client, "/portal/releases/"), payload)
    shown_escaped(page(client, f"/portal/releases/{release.uuid}/"), payload, times=2)
    shown_escaped(page(logged_in(StaffFactory()), f"/review/releases/{release.uuid}/"), payload, times=2)


@PAYLOADS
def test_billing_name_and_intended_use_of_an_order_are_escaped_for_buyer_and_staff(payload):
    buyer = BuyerFactory()
    DatasetFactory(slug="faces", version__photos=3)
    client = logged_in(buyer)
    assert client.post("/cart/add/", {"dataset": "faces", "edition": "unedited"}).status_code == 302
    response = client.post(
        "/checkout/",
        {
            "idempotency_key": "key-1",
            "billing_name": payload,
            "billing_address": payload,
            "billing_country": "JP",
            "billing_registration_number": "",
            "intended_use": "research",
            "intended_use_detail": payload,
            "payment_method": "bank_transfer",
            "accept_licence": "on",
        },
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    order = Order.objects.get()
    assert (order.billing_name, order.intended_use_detail) == (payload, payload)
    shown_escaped(page(client, f"/orders/{order.uuid}/"), payload)
    shown_escaped(page(logged_in(StaffFactory()), f"/review/orders/{order.uuid}/"), payload, times=2)
    invoice = order.invoices.first()
    if invoice is not None:
        shown_escaped(page(client, f"/invoices/{invoice.number}/"), payload)


@PAYLOADS
def test_a_contributors_display_name_is_escaped_on_their_portal(payload):
    contributor = ContributorFactory(profile__display_name=payload)
    shown_escaped(page(logged_in(contributor), "/portal/"), payload)


def test_the_api_returns_hostile_text_as_json_data_never_as_html():
    from rest_framework.test import APIClient

    contributor = ContributorFactory()
    photo = PhotoFactory(contributor=contributor, status=Photo.Status.DRAFT, title=SCRIPT, reviewed_at=timezone.now())
    api = APIClient()
    api.force_authenticate(contributor)
    response = api.get(f"/api/v1/photos/{photo.uuid}/")
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.json()["title"] == SCRIPT


@PAYLOADS
def test_an_unmatched_bank_statement_reference_is_escaped_on_the_import_report(payload):
    from django.core.files.uploadedfile import SimpleUploadedFile

    reference = payload.replace('"', '""')
    data = f'date,amount,reference\n2026-01-05,99000,"{reference}"\n'.encode()
    response = logged_in(StaffFactory()).post(
        "/review/orders/statement/", {"statement": SimpleUploadedFile("s.csv", data)}
    )
    assert response.status_code == 200
    shown_escaped(response.content.decode(), payload)

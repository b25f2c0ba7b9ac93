"""A buyer's ordinary day: landing after sign-in, the cart in the header, the order list, paying."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse

from catalog.tests.factories import DatasetFactory
from licensing.commerce import services as commerce_services
from licensing.consent.tests.factories import make_release
from licensing.models import Bundle, ConsentWithdrawal, Order, WithdrawalNotice
from stockdata.accounts.tests.factories import PASSWORD, BuyerFactory, ContributorFactory, StaffFactory

pytestmark = pytest.mark.django_db


def _place(buyer, *datasets, method=Order.PaymentMethod.DEMO_CARD) -> Order:
    for dataset in datasets:
        commerce_services.cart_add(user=buyer, dataset=dataset, edition="unedited")
    order, _created = commerce_services.order_place(
        user=buyer,
        idempotency_key=f"k-{buyer.pk}-{Order.objects.count()}",
        billing_name=buyer.organisation.billing_name,
        billing_address=buyer.organisation.billing_address,
        intended_use="research",
        intended_use_detail="Training a mask-robust face detector.",
        licence_accepted=True,
        ip="192.0.2.10",
        payment_method=method,
    )
    return order


# --- Where each role lands ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "factory, landing",
    [
        (BuyerFactory, "licensing:order_list"),
        (ContributorFactory, "contributors:dashboard"),
        (StaffFactory, "core:staff_dashboard"),
    ],
)
def test_daily_flow_each_role_lands_on_its_work_after_sign_in(client, factory, landing):
    user = factory()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse(landing)


def test_daily_flow_sign_in_with_a_next_page_still_goes_there(client):
    buyer = BuyerFactory()
    dataset = DatasetFactory(version__photos=2)
    target = reverse("catalog:detail", args=[dataset.slug])
    response = client.post(
        reverse("account_login") + f"?next={target}", {"login": buyer.email, "password": PASSWORD, "next": target}
    )
    assert response["Location"] == target


# --- The cart in the header --------------------------------------------------------------------


def test_daily_flow_header_shows_how_many_editions_are_in_the_cart(client):
    buyer = BuyerFactory()
    client.force_login(buyer)
    first, second = DatasetFactory(version__photos=2), DatasetFactory(version__photos=2)
    html = client.get(reverse("catalog:list")).content.decode()
    assert 'data-testid="nav-count"' not in html
    client.post(reverse("licensing:cart_add"), {"dataset": first.slug, "edition": "unedited"})
    response = client.post(reverse("licensing:cart_add"), {"dataset": second.slug, "edition": "unedited"}, follow=True)
    html = response.content.decode()
    assert (
        'data-testid="nav-count"><span aria-hidden="true">2</span><span class="visually-hidden">2 items</span>' in html
    )
    assert "Added to your cart." in html


# --- The order list ----------------------------------------------------------------------------


def test_daily_flow_order_list_shows_datasets_status_downloads_and_notice_flags(client, django_assert_max_num_queries):
    buyer = BuyerFactory()
    first, second = DatasetFactory(version__photos=2), DatasetFactory(version__photos=2)
    paid = _place(buyer, first, second)
    commerce_services.order_mark_paid(
        order=paid, provider=paid.payment_method, amount=paid.total, reference="t", by=buyer
    )
    line_ready, line_building = paid.lines.order_by("id")
    # The worker's outcome, written as it leaves it: one bundle ready, one still building.
    Bundle.objects.update_or_create(
        order_line=line_ready, defaults={"status": Bundle.Status.READY, "files_total": 3, "byte_size": 10}
    )
    Bundle.objects.update_or_create(order_line=line_building, defaults={"status": Bundle.Status.BUILDING})
    release = make_release(ContributorFactory())
    withdrawal = ConsentWithdrawal.objects.create(
        release=release, entire=True, channel=ConsentWithdrawal.Channel.PAPER, received_on=date.today()
    )
    WithdrawalNotice.objects.create(order_line=line_ready, withdrawal=withdrawal, file_names=["images/a.jpg"])
    waiting = _place(buyer, DatasetFactory(version__photos=2), method=Order.PaymentMethod.BANK_TRANSFER)
    _place(BuyerFactory(), first)  # another organisation's order: never listed

    client.force_login(buyer)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("licensing:order_list"))
    html = response.content.decode()
    assert [o.number for o in response.context["orders"]] == [waiting.number, paid.number]
    assert line_ready.title in html and line_building.title in html
    download = reverse("licensing:bundle_download", args=[paid.uuid, line_ready.pk])
    assert html.count('data-testid="order-line-download"') == 1
    assert f'action="{download}"' in html
    assert html.count('data-testid="order-notice-flag"') == 1
    assert "1 withdrawal notice" in html
    assert re.findall(r'data-testid="order-status">([^<]+)<', html) == ["Awaiting payment", "Paid"]


# --- The demo card form ------------------------------------------------------------------------


@pytest.fixture
def demo_order(client, settings):
    settings.STOCKDATA_DEMO_PAYMENTS = True
    buyer = BuyerFactory()
    order = _place(buyer, DatasetFactory(version__photos=2))
    client.force_login(buyer)
    return order


def test_daily_flow_demo_card_form_has_card_inputs_and_the_amount_on_the_button(client, demo_order):
    html = client.get(reverse("licensing:order_pay_demo", args=[demo_order.uuid])).content.decode()
    assert re.search(
        r'<input type="text" name="card_number"[^>]*autocomplete="cc-number"[^>]*inputmode="numeric"', html
    )
    assert re.search(r'name="expiry"[^>]*autocomplete="cc-exp"', html)
    assert re.search(r'name="cvc"[^>]*autocomplete="cc-csc"[^>]*inputmode="numeric"', html)
    assert 'data-testid="demo-pay">Pay ¥99,000</button>' in html


def test_daily_flow_demo_card_form_reports_every_error_at_once_and_charges_nothing(client, demo_order):
    response = client.post(
        reverse("licensing:order_pay_demo", args=[demo_order.uuid]),
        {"card_number": "4242 4242 4242 4241", "expiry": "13/30", "cvc": "12a"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "That card number is not valid; check it and try again." in html
    assert "Enter the expiry as MM/YY, for example 04/29." in html
    assert "The CVC is the 3 or 4 digits on the back of the card." in html
    assert "Correct the 3 fields below." in html
    demo_order.refresh_from_db()
    assert demo_order.status == Order.Status.AWAITING_PAYMENT


def test_daily_flow_demo_card_refuses_an_expired_card(client, demo_order):
    response = client.post(
        reverse("licensing:order_pay_demo", args=[demo_order.uuid]),
        {"card_number": "4242 4242 4242 4242", "expiry": "01/20", "cvc": "123"},
    )
    assert response.status_code == 400
    assert "This card has expired." in response.content.decode()


def test_daily_flow_demo_card_pays_with_a_valid_card(client, demo_order):
    response = client.post(
        reverse("licensing:order_pay_demo", args=[demo_order.uuid]),
        {"card_number": "4242 4242 4242 4242", "expiry": "12/39", "cvc": "123"},
    )
    assert response.status_code == 302
    demo_order.refresh_from_db()
    assert demo_order.status == Order.Status.PAID

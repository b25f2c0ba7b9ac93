"""Cart, checkout, approval and order pages: the rules a buyer meets."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from catalog.models import Edition
from catalog.tests.factories import DatasetFactory, DatasetVersionFactory
from licensing.commerce import selectors as commerce_selectors
from licensing.commerce import services as commerce_services
from licensing.models import CartLine, IntendedUse, NumberSequence, Order, OrderEvent
from stockdata.accounts.tests.factories import BuyerFactory, ContributorFactory, StaffFactory
from stockdata.company import DEMO_COMPANY
from stockdata.dates import format_date
from stockdata.errors import ApplicationError
from stockdata.money import invoice_tax, tax_included
from stockdata.tests.production_env import COMPANY

pytestmark = pytest.mark.django_db


def place(user, key: str | None = None, **overrides) -> Order:
    org = user.organisation
    fields = dict(
        user=user,
        idempotency_key=key or uuid.uuid4().hex,
        billing_name=org.billing_name,
        billing_address=org.billing_address,
        intended_use=IntendedUse.RESEARCH,
        intended_use_detail="Training a mask-robust face detector for our lab.",
        licence_accepted=True,
        ip="192.0.2.10",
        payment_method=Order.PaymentMethod.BANK_TRANSFER,
    )
    fields.update(overrides)
    order, _created = commerce_services.order_place(**fields)
    return order


def buy(user, *datasets, edition=Edition.UNEDITED, **overrides) -> Order:
    for dataset in datasets:
        commerce_services.cart_add(user=user, dataset=dataset, edition=edition)
    return place(user, **overrides)


def checkout_post(buyer, key: str, **overrides) -> dict:
    data = {
        "idempotency_key": key,
        "billing_name": buyer.organisation.billing_name,
        "billing_address": buyer.organisation.billing_address,
        "billing_country": "JP",
        "billing_registration_number": "",
        "intended_use": IntendedUse.PRODUCT_DEVELOPMENT,
        "intended_use_detail": "Evaluating face detection on masked faces.",
        "payment_method": Order.PaymentMethod.BANK_TRANSFER,
        "accept_licence": "on",
    }
    data.update(overrides)
    return data


# --- tax ---------------------------------------------------------------------------------


def test_tax_in_an_annotated_edition_is_15000():
    assert tax_included(165_000) == 15_000


def test_order_tax_is_computed_once_on_the_total_not_per_line():
    buyer = BuyerFactory()
    unedited = DatasetFactory(version__photos=2)
    commerce_services.cart_add(user=buyer, dataset=unedited, edition=Edition.UNEDITED)
    for _ in range(11):
        commerce_services.cart_add(
            user=buyer, dataset=DatasetFactory(version__photos=2, version__annotated=True), edition=Edition.ANNOTATED
        )
    summary = commerce_selectors.cart_summary(commerce_services.cart_for(buyer))
    assert (summary.total, summary.tax) == (1_914_000, 174_000)
    order = place(buyer)
    assert (order.total, order.tax) == (1_914_000, 174_000)
    assert sum(line.price for line in order.lines.all()) == 1_914_000


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=2_000_000), min_size=1, max_size=30))
def test_line_totals_add_up_to_the_order_total_and_tax_is_at_most_a_eleventh(prices):
    breakdown = invoice_tax(prices)[0]
    assert breakdown.total_incl_tax == sum(prices)
    assert breakdown.tax * 11 <= breakdown.total_incl_tax
    assert breakdown.tax + breakdown.net == breakdown.total_incl_tax


# --- cart --------------------------------------------------------------------------------


def test_the_annotated_edition_of_an_unannotated_version_cannot_be_added():
    buyer = BuyerFactory()
    with pytest.raises(ApplicationError, match="no annotated edition"):
        commerce_services.cart_add(user=buyer, dataset=DatasetFactory(version__photos=2), edition=Edition.ANNOTATED)


@pytest.mark.parametrize("factory", [ContributorFactory, StaffFactory])
def test_a_contributor_or_staff_account_cannot_buy(client, factory):
    user = factory()
    dataset = DatasetFactory(version__photos=2)
    with pytest.raises(ApplicationError, match="Only buyer accounts can buy datasets"):
        commerce_services.cart_add(user=user, dataset=dataset, edition=Edition.UNEDITED)
    client.force_login(user)
    response = client.post(reverse("licensing:cart_add"), {"dataset": dataset.slug, "edition": "unedited"})
    assert response.status_code == 403
    assert "Only buyer accounts can buy datasets" in response.content.decode()
    assert not CartLine.objects.exists()


def test_the_cart_keeps_the_version_added_and_offers_the_newer_one(client):
    buyer = BuyerFactory()
    dataset = DatasetFactory(version__photos=2)
    line = commerce_services.cart_add(user=buyer, dataset=dataset, edition=Edition.UNEDITED).line
    DatasetVersionFactory(dataset=dataset, photos=2)
    dataset.refresh_from_db()
    client.force_login(buyer)
    page = client.get(reverse("licensing:cart")).content.decode()
    assert "Version 2 is now available." in page
    client.post(reverse("licensing:cart_line", args=[line.pk]), {"action": "update"})
    line.refresh_from_db()
    assert line.version.number == 2


def test_cart_page_shows_tax_inclusive_total_and_its_tax(client):
    buyer = BuyerFactory()
    buy_set = DatasetFactory(version__photos=2, version__annotated=True)
    other_set = DatasetFactory(version__photos=2)
    commerce_services.cart_add(user=buyer, dataset=buy_set, edition=Edition.ANNOTATED)
    commerce_services.cart_add(user=buyer, dataset=other_set, edition=Edition.UNEDITED)
    client.force_login(buyer)
    page = client.get(reverse("licensing:cart")).content.decode()
    assert 'data-testid="cart-total">¥264,000<' in page
    assert 'data-testid="cart-tax">¥24,000<' in page


def test_cart_lines_show_their_share_of_the_tax_which_adds_up_to_the_total_tax(client):
    buyer = BuyerFactory()
    for _ in range(2):
        commerce_services.cart_add(
            user=buyer, dataset=DatasetFactory(version__photos=1, price_unedited=100_000), edition=Edition.UNEDITED
        )
    client.force_login(buyer)
    page = client.get(reverse("licensing:cart")).content.decode()
    assert 'data-testid="cart-tax">¥18,181<' in page
    assert page.index("incl. tax ¥9,091") < page.index("incl. tax ¥9,090")


def test_the_tax_rate_on_the_pages_comes_from_stockdata_money(client, monkeypatch):
    buyer = BuyerFactory()
    commerce_services.cart_add(user=buyer, dataset=DatasetFactory(version__photos=1), edition=Edition.UNEDITED)
    client.force_login(buyer)
    assert "of which consumption tax (10%)" in client.get(reverse("licensing:cart")).content.decode()
    page = client.get(reverse("licensing:cart"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "うち消費税（10%）" in page
    monkeypatch.setattr("stockdata.core.context_processors.CONSUMPTION_TAX_RATE_PERCENT", 8)
    assert "of which consumption tax (8%)" in client.get(reverse("licensing:cart")).content.decode()


def test_the_dataset_page_has_an_add_to_cart_form_for_buyers(client):
    buyer = BuyerFactory()
    dataset = DatasetFactory(version__photos=2)
    client.force_login(buyer)
    page = client.get(reverse("catalog:detail", args=[dataset.slug])).content.decode()
    assert reverse("licensing:cart_add") in page
    response = client.post(reverse("licensing:cart_add"), {"dataset": dataset.slug, "edition": "unedited"})
    assert response.status_code == 302
    assert CartLine.objects.filter(cart__user=buyer, dataset=dataset).count() == 1


# --- checkout ----------------------------------------------------------------------------


def test_checkout_records_the_licence_acceptance_and_numbers_the_order(client):
    buyer = BuyerFactory()
    commerce_services.cart_add(user=buyer, dataset=DatasetFactory(version__photos=2), edition=Edition.UNEDITED)
    client.force_login(buyer)
    page = client.get(reverse("licensing:checkout")).content.decode()
    assert buyer.organisation.billing_address in page
    assert 'name="idempotency_key"' in page
    response = client.post(reverse("licensing:checkout"), checkout_post(buyer, "key-1"), REMOTE_ADDR="198.51.100.7")
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("licensing:order_detail", args=[order.uuid])
    assert order.number.startswith("SD-") and order.number.endswith("-000001")
    assert order.licence_accepted_ip == "198.51.100.7"
    assert order.licence_id is not None and order.licence_accepted_at is not None
    assert order.status == Order.Status.AWAITING_PAYMENT and order.payment_due is not None
    assert not CartLine.objects.filter(cart__user=buyer).exists()


def test_checkout_refuses_without_the_licence_accepted_or_the_use_described(client):
    buyer = BuyerFactory()
    commerce_services.cart_add(user=buyer, dataset=DatasetFactory(version__photos=2), edition=Edition.UNEDITED)
    client.force_login(buyer)
    data = checkout_post(buyer, "k")
    del data["accept_licence"]
    data["intended_use_detail"] = ""
    response = client.post(reverse("licensing:checkout"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Accept the licence terms to place the order." in page
    assert not Order.objects.exists()


def test_the_same_checkout_submitted_twice_makes_one_order(client):
    buyer = BuyerFactory()
    commerce_services.cart_add(user=buyer, dataset=DatasetFactory(version__photos=2), edition=Edition.UNEDITED)
    client.force_login(buyer)
    first = client.post(reverse("licensing:checkout"), checkout_post(buyer, "same-key"))
    second = client.post(reverse("licensing:checkout"), checkout_post(buyer, "same-key"))
    assert Order.objects.count() == 1
    assert first["Location"] == second["Location"]
    # The counter did not move for the second submit: numbers stay gapless.
    assert NumberSequence.objects.get(kind="order").last == 1


def test_the_service_is_idempotent_per_key_and_the_integrity_race_returns_the_winner(monkeypatch):
    buyer = BuyerFactory()
    commerce_services.cart_add(user=buyer, dataset=DatasetFactory(version__photos=2), edition=Edition.UNEDITED)
    first = place(buyer, key="k1")
    again, created = commerce_services.order_place(
        user=buyer,
        idempotency_key="k1",
        billing_name="x",
        billing_address="y",
        intended_use="research",
        intended_use_detail="z",
        licence_accepted=True,
    )
    assert (again.pk, created) == (first.pk, False)


def test_the_api_places_one_order_per_idempotency_key(client):
    buyer = BuyerFactory()
    dataset = DatasetFactory(version__photos=2)
    client.force_login(buyer)
    assert (
        client.post(
            "/api/v1/cart/", {"dataset": dataset.slug, "edition": "unedited"}, content_type="application/json"
        ).status_code
        == 201
    )
    body = {"intended_use": "research", "intended_use_detail": "Benchmarking.", "accept_licence": True}
    first = client.post("/api/v1/orders/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="abc")
    second = client.post("/api/v1/orders/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="abc")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["number"] == second.json()["number"]
    assert first.json()["total"] == 99_000 and first.json()["tax"] == 9_000
    assert Order.objects.count() == 1
    missing = client.post("/api/v1/orders/", body, content_type="application/json")
    assert missing.status_code == 400


def test_order_numbers_are_gapless_across_orders():
    buyer = BuyerFactory()
    numbers = [buy(buyer, DatasetFactory(version__photos=1)).number for _ in range(3)]
    assert [n[-6:] for n in numbers] == ["000001", "000002", "000003"]


# --- restricted datasets -----------------------------------------------------------------


def test_a_restricted_dataset_waits_for_approval_then_can_be_paid(client):
    buyer = BuyerFactory()
    staff = StaffFactory()
    order = buy(buyer, DatasetFactory(version__photos=2, restricted=True))
    assert order.status == Order.Status.AWAITING_APPROVAL
    with pytest.raises(ApplicationError, match="cannot be paid"):
        commerce_services.order_mark_paid(order=order, provider="bank_transfer", amount=order.total)
    client.force_login(staff)
    page = client.get(reverse("licensing:staff_orders")).content.decode()
    assert order.number in page and buyer.organisation.name in page and "Training a mask-robust" in page
    client.post(reverse("licensing:staff_order_detail", args=[order.uuid]), {"action": "approve", "note": "OK"})
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert list(OrderEvent.objects.filter(order=order).values_list("to_status", flat=True)) == [
        "awaiting_approval",
        "awaiting_payment",
    ]


def test_declining_needs_a_reason_and_tells_the_buyer(django_capture_on_commit_callbacks):
    buyer = BuyerFactory()
    order = buy(buyer, DatasetFactory(version__photos=2, restricted=True))
    with pytest.raises(ApplicationError, match="reason"):
        commerce_services.order_decline(order=order, by=StaffFactory(), reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        commerce_services.order_decline(
            order=order, by=StaffFactory(), reason="Declared use is identification of the public."
        )
    order.refresh_from_db()
    assert order.status == Order.Status.DECLINED
    assert mail.outbox[-1].to == [buyer.email]
    assert "Declared use is identification of the public." in mail.outbox[-1].body


# --- who sees what -----------------------------------------------------------------------


def test_every_member_of_the_organisation_sees_its_orders_and_nobody_else(client):
    alice = BuyerFactory()
    colleague = BuyerFactory(organisation=alice.organisation)
    order = buy(alice, DatasetFactory(version__photos=2))
    url = reverse("licensing:order_detail", args=[order.uuid])
    client.force_login(colleague)
    assert client.get(url).status_code == 200
    assert order.number in client.get(reverse("licensing:order_list")).content.decode()
    for outsider in (BuyerFactory(), ContributorFactory()):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        assert client.get(reverse("licensing:order_licence", args=[order.uuid])).status_code == 404
    client.force_login(BuyerFactory())
    assert order.number not in client.get(reverse("licensing:order_list")).content.decode()
    assert client.get(f"/api/v1/orders/{order.uuid}/").status_code == 404
    assert client.get("/api/v1/orders/").json() == []


def test_the_order_page_shows_bank_details_reference_and_deadline(client):
    buyer = BuyerFactory()
    order = buy(buyer, DatasetFactory(version__photos=2))
    client.force_login(buyer)
    page = client.get(reverse("licensing:order_detail", args=[order.uuid])).content.decode()
    assert 'data-testid="bank-details"' in page
    assert f"<strong>{order.number}</strong>" in page
    assert format_date(order.payment_due) in page
    assert 'data-testid="order-total">¥99,000<' in page


def test_bank_transfer_instructions_name_the_company_account_from_the_settings(client, settings):
    settings.STOCKDATA_COMPANY = COMPANY
    buyer = BuyerFactory()
    order = buy(buyer, DatasetFactory(version__photos=1))
    client.force_login(buyer)
    page = client.get(reverse("licensing:order_detail", args=[order.uuid])).content.decode()
    for shown in (
        "<dd>みずほ銀行 (0001)</dd>",
        "<dd>東京営業部 (001)</dd>",
        "<dd>Current 7654321</dd>",
        "<dd>カ）テストシャシンデータ</dd>",
        "billing@photodata.example, 03-9999-1234",
    ):
        assert shown in page
    assert 'data-testid="bank-details-demo"' not in page

    # The embedded default says plainly that its account is fictitious, and in Japanese too.
    settings.STOCKDATA_COMPANY = DEMO_COMPANY
    page = client.get(reverse("licensing:order_detail", args=[order.uuid]), HTTP_ACCEPT_LANGUAGE="ja").content
    page = page.decode()
    assert "<dd>普通 0000001</dd>" in page and "<dd>カ）ストックデータデモ</dd>" in page
    assert 'data-testid="bank-details-demo"' in page


def test_order_list_query_count_is_flat(client, django_assert_max_num_queries):
    buyer = BuyerFactory()
    for _ in range(4):
        buy(buyer, DatasetFactory(version__photos=1))
    client.force_login(buyer)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("licensing:order_list")).status_code == 200


def test_demo_orders_seed_is_idempotent():
    from stockdata.demo.orders import BUYER_EMAIL, seed_orders

    lines: list[str] = []
    seed_orders(lines.append)
    assert lines == ["  no demo buyer or no published datasets yet: no orders"]
    buyer = BuyerFactory(email=BUYER_EMAIL)
    DatasetFactory(version__photos=2, version__annotated=True)
    DatasetFactory(version__photos=2)
    DatasetFactory(version__photos=2, restricted=True)
    seed_orders(lines.append)
    seed_orders(lines.append)
    statuses = sorted(Order.objects.filter(placed_by=buyer).values_list("status", flat=True))
    assert statuses == ["awaiting_approval", "awaiting_payment", "paid"]
    # One line: the annotated edition includes the unedited one.
    assert Order.objects.get(idempotency_key="demo-paid").total == 165_000


def test_order_detail_query_count_does_not_grow_with_lines(client, django_assert_max_num_queries):
    buyer = BuyerFactory()
    order = buy(buyer, *[DatasetFactory(version__photos=1) for _ in range(5)])
    commerce_services.order_mark_paid(order=order, provider="bank_transfer", amount=order.total)
    client.force_login(buyer)
    with django_assert_max_num_queries(16):
        assert client.get(reverse("licensing:order_detail", args=[order.uuid])).status_code == 200

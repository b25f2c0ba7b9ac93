"""Editions that make sense: the annotated edition includes the unedited one, an owned edition
is not sold twice, the annotated edition of an owned unedited version is an upgrade for the
difference, and the dataset page says what the organisation owns."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from catalog.models import Edition
from catalog.tests.factories import DatasetFactory, DatasetVersionFactory
from contributors.models import RoyaltyEntry
from licensing.commerce import selectors
from licensing.commerce import services as commerce
from licensing.models import CartLine, IntendedUse, Order
from stockdata.accounts.tests.factories import BuyerFactory
from stockdata.errors import ApplicationError
from stockdata.money import invoice_tax

pytestmark = pytest.mark.django_db


def place(user) -> Order:
    org = user.organisation
    order, _created = commerce.order_place(
        user=user,
        idempotency_key=uuid.uuid4().hex,
        billing_name=org.billing_name,
        billing_address=org.billing_address,
        intended_use=IntendedUse.RESEARCH,
        intended_use_detail="Face detection research.",
        licence_accepted=True,
        payment_method=Order.PaymentMethod.BANK_TRANSFER,
    )
    return order


def pay(order: Order) -> Order:
    commerce.order_mark_paid(order=order, provider="bank_transfer", amount=order.total, reference=order.number)
    order.refresh_from_db()
    return order


def buy(user, dataset, edition) -> Order:
    commerce.cart_add(user=user, dataset=dataset, edition=edition)
    return pay(place(user))


def cart_editions(user) -> list[str]:
    return list(CartLine.objects.filter(cart__user=user).values_list("edition", flat=True))


def test_edition_upgrade_the_cart_never_holds_both_editions_and_keeps_the_annotated_one():
    buyer = BuyerFactory()
    dataset = DatasetFactory(version__photos=2, version__annotated=True)
    first = commerce.cart_add(user=buyer, dataset=dataset, edition=Edition.UNEDITED)
    assert first.note == ""
    replaced = commerce.cart_add(user=buyer, dataset=dataset, edition=Edition.ANNOTATED)
    assert cart_editions(buyer) == ["annotated"]
    assert "replaced the unedited edition" in replaced.note
    kept = commerce.cart_add(user=buyer, dataset=dataset, edition=Edition.UNEDITED)
    assert cart_editions(buyer) == ["annotated"] and kept.line.pk == replaced.line.pk
    assert kept.note == "Your cart keeps the annotated edition: it includes the unedited one."
    assert selectors.cart_summary(commerce.cart_for(buyer)).total == 165_000


def test_edition_upgrade_the_web_form_says_why(client):
    buyer = BuyerFactory()
    dataset = DatasetFactory(version__photos=2, version__annotated=True)
    client.force_login(buyer)
    for edition in ("annotated", "unedited"):
        client.post(reverse("licensing:cart_add"), {"dataset": dataset.slug, "edition": edition})
    page = client.get(reverse("licensing:cart")).content.decode()
    assert page.count('data-testid="cart-line"') == 1
    assert "Your cart keeps the annotated edition: it includes the unedited one." in page


def test_edition_upgrade_an_owned_unedited_edition_upgrades_for_the_difference(client):
    buyer = BuyerFactory()
    colleague = BuyerFactory(organisation=buyer.organisation)
    dataset = DatasetFactory(version__photos=2, version__annotated=True)
    unedited = buy(buyer, dataset, Edition.UNEDITED)
    assert unedited.total == 99_000

    # A colleague of the same organisation sees the upgrade, at the difference.
    added = commerce.cart_add(user=colleague, dataset=dataset, edition=Edition.ANNOTATED)
    assert added.line.upgrade_from == unedited.lines.get()
    summary = selectors.cart_summary(commerce.cart_for(colleague))
    assert (summary.total, summary.tax) == (66_000, 6_000)
    client.force_login(colleague)
    cart = client.get(reverse("licensing:cart")).content.decode()
    assert f"you own the unedited edition (order {unedited.number}, ¥99,000)" in cart

    upgrade = pay(place(colleague))
    line = upgrade.lines.get()
    assert (upgrade.total, upgrade.tax) == (66_000, invoice_tax([66_000])[0].tax) == (66_000, 6_000)
    assert line.edition == "annotated" and line.upgrade_from == unedited.lines.get()
    assert "upgrade from the unedited edition" in line.title
    # Royalties follow the net the invoice states: 40 % of ¥60,000.
    assert sum(RoyaltyEntry.objects.filter(order_line=line).values_list("amount", flat=True)) == 24_000
    # Now the organisation owns the annotated edition: neither edition is sold again.
    for edition, order in ((Edition.ANNOTATED, upgrade), (Edition.UNEDITED, unedited)):
        with pytest.raises(ApplicationError) as refused:
            commerce.cart_add(user=buyer, dataset=dataset, edition=edition)
        assert refused.value.code == "edition_owned"
        assert refused.value.message == (
            f"Your organisation already owns this edition of version 1 (order {order.number})."
        )


def test_edition_upgrade_owning_the_annotated_edition_answers_for_the_unedited_one():
    buyer = BuyerFactory()
    dataset = DatasetFactory(version__photos=2, version__annotated=True)
    order = buy(buyer, dataset, Edition.ANNOTATED)
    with pytest.raises(ApplicationError) as refused:
        commerce.cart_add(user=buyer, dataset=dataset, edition=Edition.UNEDITED)
    assert refused.value.message == (
        f"Your organisation owns the annotated edition of version 1 (order {order.number}), "
        "which includes the unedited one."
    )


def test_edition_upgrade_an_owned_edition_is_refused_and_a_newer_version_is_sold_in_full():
    buyer = BuyerFactory()
    dataset = DatasetFactory(version__photos=2)
    order = buy(buyer, dataset, Edition.UNEDITED)
    with pytest.raises(ApplicationError) as refused:
        commerce.cart_add(user=buyer, dataset=dataset, edition=Edition.UNEDITED)
    assert refused.value.message == (
        f"Your organisation already owns this edition of version 1 (order {order.number})."
    )
    DatasetVersionFactory(dataset=dataset, photos=2, annotated=True)
    dataset.refresh_from_db()
    added = commerce.cart_add(user=buyer, dataset=dataset, edition=Edition.ANNOTATED)
    assert added.line.upgrade_from is None and added.line.version.number == 2
    assert selectors.cart_summary(commerce.cart_for(buyer)).total == 165_000


def test_edition_upgrade_is_priced_on_what_is_true_at_checkout():
    """The unedited line is refunded between adding the upgrade and checking out: the order
    charges the full annotated price, not the difference."""
    buyer = BuyerFactory()
    dataset = DatasetFactory(version__photos=2, version__annotated=True)
    unedited = buy(buyer, dataset, Edition.UNEDITED)
    commerce.cart_add(user=buyer, dataset=dataset, edition=Edition.ANNOTATED)
    commerce.order_line_refund(line=unedited.lines.get())
    order = place(buyer)
    assert order.total == 165_000 and order.lines.get().upgrade_from is None


def test_edition_upgrade_the_dataset_page_shows_what_is_owned_and_the_upgrade(client):
    buyer = BuyerFactory()
    dataset = DatasetFactory(version__photos=2, version__annotated=True)
    order = buy(buyer, dataset, Edition.UNEDITED)
    client.force_login(buyer)
    page = client.get(reverse("catalog:detail", args=[dataset.slug])).content.decode()
    fragment_url = reverse("licensing:dataset_ownership", args=[dataset.slug])
    assert f'hx-get="{fragment_url}"' in page
    owned = client.get(fragment_url).content.decode()
    assert "You own this: version 1, Unedited." in owned
    assert reverse("licensing:order_detail", args=[order.uuid]) in owned
    assert "Upgrade to the annotated edition of version 1 for the difference: ¥66,000" in owned
    assert 'data-testid="newer-offer"' not in owned

    DatasetVersionFactory(dataset=dataset, photos=2, annotated=True)
    owned = client.get(fragment_url).content.decode()
    assert "Version 2 is newer than yours" in owned
    assert 'data-testid="upgrade-offer"' not in owned  # the upgrade is of the version owned

    other = BuyerFactory()  # another organisation owns nothing
    client.force_login(other)
    assert "You own this" not in client.get(fragment_url).content.decode()

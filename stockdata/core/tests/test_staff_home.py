"""The staff home: each queue's live count, computed as its own page lists it."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse

from catalog.models import Photo
from catalog.tests.factories import DatasetFactory
from licensing.commerce import services as commerce_services
from licensing.consent import services as consent_services
from licensing.consent.tests.factories import PhotoFactory, make_release, photo_with_people
from licensing.models import Bundle, ConsentWithdrawal, Order
from stockdata.accounts.tests.factories import BuyerFactory, ContributorFactory, StaffFactory
from stockdata.core.models import ContactMessage

pytestmark = pytest.mark.django_db


def _counts(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-testid="count-([a-z_]+)">([^<]*)<', html))


def _order(buyer, dataset, method=Order.PaymentMethod.BANK_TRANSFER) -> Order:
    commerce_services.cart_add(user=buyer, dataset=dataset, edition="unedited")
    order, _created = commerce_services.order_place(
        user=buyer,
        idempotency_key=f"key-{Order.objects.count()}",
        billing_name="Tokyo Vision Labs K.K.",
        billing_address="Tokyo",
        intended_use="research",
        intended_use_detail="Training a mask-robust face detector.",
        licence_accepted=True,
        ip="192.0.2.10",
        payment_method=method,
    )
    return order


@pytest.fixture
def busy_day():
    """Work in every queue: 2 photos + 1 lone release to review, 1 order to approve, 2 bank
    transfers to match (and a demo card order that is not one), 1 withdrawal, 1 failed upload and
    1 failed bundle, 1 new contact message."""
    contributor = ContributorFactory()
    reviewer = StaffFactory()
    photo_with_people(contributor, status=Photo.Status.SUBMITTED)
    PhotoFactory(contributor=contributor, status=Photo.Status.SUBMITTED, no_people=True)
    make_release(contributor)  # pending, in no submitted photo: an item of its own
    PhotoFactory(contributor=contributor, processing=Photo.Processing.FAILED, processing_error="Not a JPEG")

    restricted = DatasetFactory(restricted=True, version__photos=2)
    open_dataset = DatasetFactory(version__photos=2)
    buyer = BuyerFactory()
    assert _order(buyer, restricted).status == Order.Status.AWAITING_APPROVAL
    _order(BuyerFactory(), open_dataset)
    _order(BuyerFactory(), open_dataset)
    demo = _order(BuyerFactory(), open_dataset, method=Order.PaymentMethod.DEMO_CARD)
    assert demo.status == Order.Status.AWAITING_PAYMENT
    Bundle.objects.create(order_line=demo.lines.get(), status=Bundle.Status.FAILED, error="disk full", attempts=5)

    approved = make_release(contributor, approve_by=reviewer)
    consent_services.consent_withdraw(
        release=approved,
        channel=ConsentWithdrawal.Channel.PAPER,
        recorded_by=reviewer,
        received_on=date.today(),
        note="Letter",
    )
    ContactMessage.objects.create(topic="other", name="Sato", email="sato@example.jp", body="Hello")
    return reviewer


def test_staff_home_counts_every_queue_from_the_selector_its_page_lists(client, busy_day):
    client.force_login(busy_day)
    html = client.get(reverse("core:staff_dashboard")).content.decode()
    assert _counts(html) == {
        "review": "3",
        "approval": "1",
        "bank": "2",
        "withdrawals": "1",
        "deletion_overdue": "0",
        "failed": "2",
        "contact": "1",
    }

    # Each count is the number of rows its page shows.
    queue = client.get(reverse("licensing:review_queue"))
    assert queue.context["total"] == 3
    orders = client.get(reverse("licensing:staff_orders"))
    assert len(orders.context["awaiting"]) == 1
    assert len(orders.context["to_match"]) == 2
    assert "Bank transfers to match" in orders.content.decode()
    assert 'id="bank-statement-import"' in orders.content.decode()
    withdrawals = client.get(reverse("core:staff_withdrawals"))
    assert len(withdrawals.context["rows"]) == 1
    failed = client.get(reverse("core:staff_failed_jobs"))
    assert len(failed.context["photos"]) == 1 and len(failed.context["bundles"]) == 1
    assert "Not a JPEG" in failed.content.decode() and "disk full" in failed.content.decode()
    contact = client.get(reverse("core:contact_messages"))
    assert len(contact.context["rows"]) == 1
    overdue = client.get(reverse("licensing:withdrawal_notices_overdue"))
    assert len(overdue.context["overdue"]) == 0


def test_staff_home_counts_fall_as_the_work_is_done(client, busy_day):
    client.force_login(busy_day)
    for order in Order.objects.filter(status=Order.Status.AWAITING_APPROVAL):
        commerce_services.order_approve(order=order, by=busy_day, note="ok")
    Photo.objects.filter(processing=Photo.Processing.FAILED).delete()
    html = client.get(reverse("core:staff_dashboard")).content.decode()
    counts = _counts(html)
    assert counts["approval"] == "0"
    # The approved order now waits for its bank transfer.
    assert counts["bank"] == "3"
    assert counts["failed"] == "1"


def test_staff_home_links_every_queue_to_its_page(client, busy_day):
    client.force_login(busy_day)
    html = client.get(reverse("core:staff_dashboard")).content.decode()
    for name, url in (
        ("review", reverse("licensing:review_queue")),
        ("approval", reverse("licensing:staff_orders") + "#awaiting-approval"),
        ("bank", reverse("licensing:staff_orders") + "#bank-transfers"),
        ("withdrawals", reverse("core:staff_withdrawals")),
        ("failed", reverse("core:staff_failed_jobs")),
        ("contact", reverse("core:contact_messages")),
        ("deletion_overdue", reverse("licensing:withdrawal_notices_overdue")),
    ):
        assert f'<a href="{url}" data-testid="queue-{name}">' in html


def test_staff_home_is_for_staff_only(client):
    client.force_login(ContributorFactory())
    assert client.get(reverse("core:staff_dashboard")).status_code == 404
    client.force_login(BuyerFactory())
    assert client.get(reverse("core:staff_failed_jobs")).status_code == 404

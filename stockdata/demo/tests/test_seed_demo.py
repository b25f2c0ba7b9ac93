import io

import pytest
from django.apps import apps
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label in {"accounts", "catalog", "licensing", "contributors", "account"}
    }


def test_seed_demo_twice_leaves_the_same_counts():
    call_command("seed_demo", stdout=io.StringIO())
    first = counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == first
    assert first["accounts.User"] == 10  # with the demo annotator and Tokyo Vision Labs' three colleagues
    assert first["accounts.Organisation"] == 2
    # Every demo photo's stored consent mask was kept by the services that made it.
    from catalog.models import Photo
    from licensing.consent.services import photos_scope_masks_refresh

    assert photos_scope_masks_refresh() == 0
    assert Photo.objects.exclude(scope_mask=0).count() > 0


def test_seed_demo_shows_a_quotation_and_a_card_receipt_pdf_naming_the_brand():
    from licensing.models import Order, Payment, Quotation, Receipt
    from stockdata.money import invoice_tax

    call_command("seed_demo", stdout=io.StringIO())
    quotation = Quotation.objects.get(organisation__name="Kansai Institute of Technology")
    assert quotation.tax == sum(b.tax for b in invoice_tax([line["amount"] for line in quotation.lines]))
    assert not quotation.orders.exists()
    order = Order.objects.get(placed_by__email="buyer@demo.stockdata.jp", idempotency_key="demo-paid")
    receipt = Receipt.objects.get(order=order)
    payment = Payment.objects.get(order=order)
    assert (receipt.amount, receipt.payment) == (order.total, payment)
    assert (payment.card_brand, payment.card_last4) == ("visa", "4242")
    assert receipt.payment_description == "デモカード / Demo card (test payment) (Visa **** 4242)"


def test_seed_demo_shows_org_roles_a_dataset_request_in_each_state_and_a_mission_with_progress():
    from licensing.commerce.models import DatasetRequest
    from licensing.commerce.selectors import mission_progress
    from stockdata.accounts.models import User
    from stockdata.accounts.permissions import has_org_role

    call_command("seed_demo", stdout=io.StringIO())
    members = User.objects.filter(organisation__name="Tokyo Vision Labs K.K.").order_by("email")
    assert {m.email: m.organisation_role for m in members} == {
        "buyer@demo.stockdata.jp": "owner",
        "compliance@demo.stockdata.jp": "compliance",
        "downloader@demo.stockdata.jp": "downloader",
        "purchaser@demo.stockdata.jp": "purchaser",
    }
    assert all(has_org_role(m, m.organisation, m.organisation_role) for m in members)
    requests = DatasetRequest.objects.filter(organisation__name="Tokyo Vision Labs K.K.")
    assert sorted(requests.values_list("status", flat=True)) == ["accepted", "declined", "offered", "submitted"]
    assert requests.get(status="accepted").quotation.total == 990_000
    mission = requests.get(status="offered")
    progress = mission_progress(mission)
    # The demo's progress is what the records say: some entered photos count, not all of the 200.
    assert 0 < progress.counted <= progress.entered and progress.remaining == 200 - progress.counted

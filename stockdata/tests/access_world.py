"""The fixture world of the access-control matrix and the API fuzzing: seven roles and their objects.

``seed_demo`` builds the demo through the site's own services (two contributors with photos
and releases, two buyers of different organisations, a reviewer and an admin); this adds what the
demo leaves out so every object-level page has an owner and a stranger: buyer B's own order,
invoice and cart line, and an exported payout run with a payout (and statement) for contributor A.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

# Buyer A is the owner of organisation A; purchaser A, downloader A and compliance A are its other
# members, one in each of the other organisation roles (``OrgRole``).
ROLES = (
    "anonymous",
    "contributor_a",
    "contributor_b",
    "buyer_a",
    "buyer_b",
    "reviewer",
    "admin",
    "purchaser_a",
    "downloader_a",
    "compliance_a",
)

EMAILS = {
    "contributor_a": "contributor@demo.stockdata.jp",
    "contributor_b": "contributor2@demo.stockdata.jp",
    "buyer_a": "buyer@demo.stockdata.jp",
    "buyer_b": "buyer2@demo.stockdata.jp",
    "reviewer": "reviewer@demo.stockdata.jp",
    "admin": "admin@demo.stockdata.jp",
    "purchaser_a": "purchaser@demo.stockdata.jp",
    "downloader_a": "downloader@demo.stockdata.jp",
    "compliance_a": "compliance@demo.stockdata.jp",
}


@dataclass
class World:
    users: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)

    def get(self, path: str):
        """``"order_a.uuid"`` → the attribute of a named object."""
        name, _, attr = path.partition(".")
        value = self.objects[name]
        for part in attr.split(".") if attr else ():
            value = getattr(value, part)
        return value


def _order_for(buyer, dataset, key: str):
    from catalog.models import Edition
    from licensing.commerce import services
    from licensing.models import IntendedUse, Order

    services.cart_for(buyer).lines.all().delete()
    services.cart_add(user=buyer, dataset=dataset, edition=Edition.UNEDITED)
    org = buyer.organisation
    order, _ = services.order_place(
        user=buyer,
        idempotency_key=key,
        billing_name=org.billing_name or org.name,
        billing_address=org.billing_address,
        billing_country=org.country,
        billing_registration_number=org.invoice_registration_number,
        intended_use=IntendedUse.PRODUCT_DEVELOPMENT,
        intended_use_detail="Access matrix fixture order.",
        licence_accepted=True,
        ip="127.0.0.1",
        payment_method=Order.PaymentMethod.BANK_TRANSFER,
    )
    services.order_mark_paid(
        order=order, provider=order.payment_method, amount=order.total, reference=f"access:{order.number}"
    )
    order.refresh_from_db()
    return order


def _cart_line_for(buyer, datasets) -> None:
    from licensing.commerce import services
    from stockdata.errors import ApplicationError

    for dataset in datasets:
        for edition in ("unedited", "annotated"):
            try:
                services.cart_add(user=buyer, dataset=dataset, edition=edition)
            except ApplicationError:
                continue
            return
    raise AssertionError(f"{buyer.email} can buy nothing on sale")


def build_world() -> World:
    from catalog.models import Dataset, Photo
    from contributors import services as payout_services
    from contributors.models import Payout, PayoutRun
    from licensing.commerce import selectors, services
    from licensing.models import DatasetRequest, Invoice, ModelRelease, Order, OrderLine, Quotation
    from stockdata.accounts.models import User
    from stockdata.accounts.tokens import api_token_issue
    from stockdata.core.models import ContactMessage

    call_command("seed_demo", stdout=io.StringIO())
    world = World()
    world.users = {role: User.objects.get(email=email) for role, email in EMAILS.items()}
    u = world.users
    on_sale = Dataset.objects.filter(status=Dataset.Status.PUBLISHED, restricted=False).order_by("pk")
    dataset = on_sale.first()
    # The demo's buyers own editions of the first dataset; orders and carts here use one that
    # neither organisation owns yet (an owned edition cannot be bought again).
    owned = OrderLine.objects.filter(
        order__organisation__in=[u["buyer_a"].organisation_id, u["buyer_b"].organisation_id],
        order__paid_at__isnull=False,
    ).values("dataset_id")
    to_buy = on_sale.exclude(pk__in=owned).first()
    # Buyer B gets an order of its own (paid, so with an invoice and a bundle request).
    _order_for(u["buyer_b"], to_buy, "access-b")
    # Each buyer keeps one line in the cart: the first edition their organisation may still buy.
    for role in ("buyer_a", "buyer_b"):
        services.cart_for(u[role]).lines.all().delete()
        _cart_line_for(u[role], on_sale)
    # Buyer A asks for a quotation of its cart (buyer B's organisation has the demo's).
    services.quotation_issue(user=u["buyer_a"])
    # An exported payout run of the current month (the demo's royalties are from today).
    period = timezone.localtime().strftime("%Y-%m")
    run = PayoutRun.objects.filter(period=period).first() or payout_services.payout_run_start(period=period)
    if run.status == PayoutRun.Status.PREPARED:
        run = payout_services.payout_run_export(run=run)

    o = world.objects
    for suffix, role in (("a", "contributor_a"), ("b", "contributor_b")):
        user = u[role]
        o[f"photo_{suffix}"] = Photo.objects.filter(contributor=user).order_by("pk").first()
        o[f"draft_photo_{suffix}"] = (
            Photo.objects.filter(contributor=user, status=Photo.Status.DRAFT).order_by("pk").first()
            or o[f"photo_{suffix}"]
        )
        # A paper release (one the subject signed on the site is never editable by its contributor).
        o[f"release_{suffix}"] = ModelRelease.objects.filter(contributor=user, origin="paper").order_by("pk").first()
        o[f"payout_{suffix}"] = Payout.objects.filter(contributor=user).order_by("pk").first()
    for suffix, role in (("a", "buyer_a"), ("b", "buyer_b")):
        user = u[role]
        order = Order.objects.filter(organisation=user.organisation, paid_at__isnull=False).order_by("pk").first()
        o[f"order_{suffix}"] = order
        o[f"line_{suffix}"] = OrderLine.objects.filter(order=order).order_by("pk").first()
        o[f"invoice_{suffix}"] = Invoice.objects.filter(order=order).order_by("pk").first()
        o[f"cart_line_{suffix}"] = services.cart_for(user).lines.order_by("pk").first()
        o[f"quotation_{suffix}"] = Quotation.objects.filter(organisation=user.organisation).order_by("pk").first()
    from licensing.models import WithdrawalNotice

    o["notice_a"] = (
        WithdrawalNotice.objects.filter(order_line__order__organisation=u["buyer_a"].organisation)
        .order_by("pk")
        .first()
    )
    o["api_token_a"] = api_token_issue(user=u["contributor_a"], name="access matrix")[0]
    o["member_a"] = u["downloader_a"]
    # Organisation A's request that staff offered on (the demo's): a mission on the portal.
    o["dataset_request_a"] = DatasetRequest.objects.filter(
        organisation=u["buyer_a"].organisation, status=DatasetRequest.Status.OFFERED
    ).first()
    o["dataset"] = dataset
    o["licence"] = selectors.checkout_licence()
    o["contact_message"] = ContactMessage.objects.order_by("pk").first()
    o["draft_dataset"] = Dataset.objects.exclude(status=Dataset.Status.PUBLISHED).order_by("pk").first() or dataset
    o["payout_run"] = run
    missing = [name for name, value in o.items() if value is None]
    assert not missing, f"the fixture world lacks {missing}"
    return world


@pytest.fixture(scope="module", name="world")
def world_fixture(django_db_setup, django_db_blocker):
    """The world, built once for a test module inside a transaction rolled back when the module ends
    (tests marked ``django_db`` run in savepoints inside it, like ``TestCase.setUpTestData``)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)

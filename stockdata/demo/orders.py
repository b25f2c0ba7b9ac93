"""Demo orders: a paid one (demo card, with its receipt), one awaiting a bank transfer and a
restricted one awaiting approval, for the demo buyer; for the second buyer (a university) a
paid unedited edition, its annotated upgrade waiting in the cart and a quotation of that cart.
Idempotent: each order is placed with a fixed key, the quotation issued once."""

from __future__ import annotations

from django.conf import settings

from catalog.models import Dataset, Edition
from licensing.commerce import payments, selectors, services
from licensing.commerce.models import IntendedUse, Order, Quotation
from licensing.consent.models import ConsentWithdrawal, ProvisionRecord
from licensing.consent.services import consent_withdraw
from licensing.delivery.evaluation import evaluation_pack_issue
from licensing.delivery.models import EvaluationPack
from stockdata.accounts.models import User
from stockdata.core.models import ContactMessage
from stockdata.core.services import contact_submit

BUYER_EMAIL = "buyer@demo.stockdata.jp"
# The university owns the unedited edition of the first dataset and has the annotated one in
# its cart as an upgrade, priced at the difference.
UPGRADE_BUYER_EMAIL = "buyer2@demo.stockdata.jp"
#: The demo card the paid order is paid with (a Visa test number), so its receipt names the brand.
DEMO_CARD_NUMBER = "4242 4242 4242 4242"


def _place(buyer, key: str, lines, *, method: str, detail: str) -> tuple[Order, bool]:
    existing = Order.objects.filter(placed_by=buyer, idempotency_key=key).first()
    if existing is not None:
        return existing, False
    services.cart_for(buyer).lines.all().delete()
    for dataset, edition in lines:
        services.cart_add(user=buyer, dataset=dataset, edition=edition)
    org = buyer.organisation
    return services.order_place(
        user=buyer,
        idempotency_key=key,
        billing_name=org.billing_name or org.name,
        billing_address=org.billing_address,
        billing_country=org.country,
        billing_registration_number=org.invoice_registration_number,
        intended_use=IntendedUse.PRODUCT_DEVELOPMENT,
        intended_use_detail=detail,
        licence_accepted=True,
        ip="127.0.0.1",
        payment_method=method,
    )


def seed_orders(out) -> None:
    buyer = User.objects.filter(email=BUYER_EMAIL).select_related("organisation").first()
    on_sale = list(
        Dataset.objects.filter(status=Dataset.Status.PUBLISHED, latest_version__isnull=False)
        .select_related("latest_version")
        .order_by("pk")
    )
    if buyer is None or buyer.organisation_id is None or not on_sale:
        out("  no demo buyer or no published datasets yet: no orders")
        return
    open_sets = [d for d in on_sale if not d.restricted]
    restricted = [d for d in on_sale if d.restricted]
    if open_sets:
        first = open_sets[0]
        # The annotated edition includes the unedited one, so an order holds one of them.
        lines = [(first, Edition.ANNOTATED if first.latest_version.annotated else Edition.UNEDITED)]
        method = (
            Order.PaymentMethod.DEMO_CARD if settings.STOCKDATA_DEMO_PAYMENTS else Order.PaymentMethod.BANK_TRANSFER
        )
        order, created = _place(
            buyer,
            "demo-paid",
            lines,
            method=method,
            detail="Training a mask-robust face detector for our security cameras.",
        )
        if order.status == Order.Status.AWAITING_PAYMENT and order.payment_method == Order.PaymentMethod.DEMO_CARD:
            payments.DemoCard().pay(order, card_number=DEMO_CARD_NUMBER, by=buyer)
        elif order.status == Order.Status.AWAITING_PAYMENT:
            services.order_mark_paid(
                order=order, provider=order.payment_method, amount=order.total, reference=f"demo:{order.number}"
            )
        order.refresh_from_db()
        receipt = services.receipt_issue(order=order)
        out(f"  {'created' if created else 'kept'} paid order {order.number}, receipt {receipt.number}")
        second = open_sets[1] if len(open_sets) > 1 else first
        order, created = _place(
            buyer,
            "demo-bank-transfer",
            [(second, Edition.UNEDITED)],
            method=Order.PaymentMethod.BANK_TRANSFER,
            detail="Evaluating detection accuracy on Japanese faces.",
        )
        out(f"  {'created' if created else 'kept'} order {order.number} awaiting a bank transfer")
    if restricted:
        order, created = _place(
            buyer,
            "demo-restricted",
            [(restricted[0], Edition.UNEDITED)],
            method=Order.PaymentMethod.BANK_TRANSFER,
            detail="Research on identification robustness under masks, internal use only.",
        )
        out(f"  {'created' if created else 'kept'} restricted order {order.number} awaiting approval")
    services.cart_for(buyer).lines.all().delete()
    annotated = [d for d in on_sale if d.latest_version.annotated]
    if annotated:
        seed_upgrade(out, annotated[0])


def seed_upgrade(out, dataset: Dataset) -> None:
    buyer = User.objects.filter(email=UPGRADE_BUYER_EMAIL).select_related("organisation").first()
    staff = User.objects.filter(is_staff=True).order_by("pk").first()
    if buyer is None or buyer.organisation_id is None or staff is None:
        out("  no second demo buyer or no staff: no upgrade")
        return
    order, created = _place(
        buyer,
        "demo-unedited",
        [(dataset, Edition.UNEDITED)],
        method=Order.PaymentMethod.BANK_TRANSFER,
        detail="Benchmarking face detectors for a course on computer vision.",
    )
    if order.status == Order.Status.AWAITING_APPROVAL:  # a restricted dataset: staff approve first
        order = services.order_approve(order=order, by=staff, note="Demo: university research use approved.")
    if order.status == Order.Status.AWAITING_PAYMENT:
        services.order_mark_paid(
            order=order, provider=order.payment_method, amount=order.total, reference=f"demo:{order.number}"
        )
    out(f"  {'created' if created else 'kept'} paid unedited order {order.number} for {UPGRADE_BUYER_EMAIL}")
    services.cart_for(buyer).lines.all().delete()
    added = services.cart_add(user=buyer, dataset=dataset, edition=Edition.ANNOTATED)
    price = selectors.cart_summary(services.cart_for(buyer)).total
    out(f"  {UPGRADE_BUYER_EMAIL}'s cart holds the annotated upgrade at ¥{price:,} ({added.note})")


def seed_contact_message(out) -> None:
    """The university buyer wrote through the contact page; it waits in the staff's list."""
    buyer = User.objects.filter(email=UPGRADE_BUYER_EMAIL).select_related("organisation").first()
    if buyer is None:
        return
    if ContactMessage.objects.filter(email=buyer.email).exists():
        out("  kept the contact message")
        return
    contact_submit(
        topic=ContactMessage.Topic.BUYING,
        name=buyer.full_name,
        email=buyer.email,
        organisation=buyer.organisation.name if buyer.organisation else "",
        body=(
            "見積書を研究科の事務に回しました。請求書の宛名を「関西工業大学 情報学研究科」にできますか。\n"
            "Our procurement office has the quotation; can the invoice be addressed to the graduate school?"
        ),
        user=buyer,
        ip=None,
    )
    out("  a contact message from the university buyer awaits an answer")


def seed_withdrawal(out) -> None:
    """A person in the paid demo order withdraws their consent through their link, so the demo
    shows what follows: the buyer's notice naming the files to delete, the subject's page, the
    curator's selection marking the photo "left out at freeze", and bundles built from now on
    without it. Idempotent: once there is a withdrawal, nothing more is withdrawn."""
    if ConsentWithdrawal.objects.exists():
        out("  kept the existing consent withdrawal")
        return
    order = Order.objects.filter(placed_by__email=BUYER_EMAIL, idempotency_key="demo-paid").first()
    if order is None or order.status != Order.Status.PAID:
        out("  no paid demo order yet: no withdrawal")
        return
    record = (
        ProvisionRecord.objects.filter(order_line__order=order, release__isnull=False)
        .select_related("release")
        .order_by("subject_id")
        .first()
    )
    if record is None:
        out("  the paid demo order has no people: no withdrawal")
        return
    consent_withdraw(release=record.release, note="Demo: the subject withdrew from their link.")
    out(f"  subject {record.subject_id} withdrew consent; the buyer of order {order.number} was told which files")


def seed_evaluation_pack(out) -> None:
    """The second buyer tries the flagship before buying: one evaluation pack, its licence and provision records."""
    buyer = User.objects.filter(email="buyer2@demo.stockdata.jp").first()
    dataset = Dataset.objects.filter(slug="japanese-faces-with-masks", status=Dataset.Status.PUBLISHED).first()
    if buyer is None or dataset is None:
        out("  no demo buyer or flagship yet: no evaluation pack")
        return
    if EvaluationPack.objects.filter(buyer=buyer, dataset=dataset).exists():
        out("  kept the existing evaluation pack")
        return
    pack, data = evaluation_pack_issue(dataset=dataset, user=buyer, accepted=True, ip="127.0.0.1")
    out(
        f"  {buyer.email} downloaded evaluation pack {pack.reference} of {dataset.slug}: "
        f"{len(pack.file_names)} samples, {pack.provision_records.count()} provision records, {len(data):,} bytes"
    )


def seed_quotation(out) -> None:
    """The university asked for a quotation (見積書) of its cart (the annotated upgrade) for its
    procurement office and has not ordered yet; the cart page lists it."""
    buyer = User.objects.filter(email=UPGRADE_BUYER_EMAIL).select_related("organisation").first()
    if buyer is None or buyer.organisation_id is None:
        out("  no university buyer: no quotation")
        return
    existing = Quotation.objects.filter(organisation=buyer.organisation).first()
    if existing is not None:
        out(f"  kept quotation {existing.number}")
        return
    if not services.cart_for(buyer).lines.exists():
        out("  the university's cart is empty: no quotation")
        return
    quotation = services.quotation_issue(user=buyer)
    out(
        f"  quotation {quotation.number} for {buyer.organisation.name} (¥{quotation.total:,}, valid until {quotation.valid_until})"
    )

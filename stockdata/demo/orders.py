"""Demo orders: a paid one (demo card, with its receipt), one awaiting a bank transfer and a
restricted one awaiting approval, for the demo buyer; for the second buyer (a university) a
paid unedited edition, its annotated upgrade waiting in the cart and a quotation of that cart.
Idempotent: each order is placed with a fixed key, the quotation issued once."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from catalog.models import Dataset, Edition
from licensing.commerce import payments, selectors, services
from licensing.commerce.models import IntendedUse, Order, Quotation
from licensing.consent.models import ConsentWithdrawal, ModelRelease, ProvisionRecord
from licensing.consent.services import consent_withdraw
from licensing.delivery.evaluation import evaluation_pack_issue
from licensing.delivery.models import DELETION_DAYS, Bundle, EvaluationPack, WithdrawalNotice
from licensing.delivery.services import deletion_confirm, notices_remind
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


def _deliver_demo_bundles(out) -> None:
    """Build the paid demo orders' bundles now (a worker would, after payment): delivery is what writes
    the provision records a withdrawal's notices are sent against."""
    from licensing.delivery import services as delivery

    for bundle in Bundle.objects.exclude(status=Bundle.Status.READY).filter(revoked_at__isnull=True).order_by("pk"):
        try:
            delivery.bundle_build(bundle_id=bundle.pk)
        except Exception as exc:  # noqa: BLE001 (the demo goes on; the worker retries it on `make run`)
            out(f"  bundle {bundle.pk} not built now ({type(exc).__name__}); the worker will build it")
        else:
            out(f"  delivered the bundle of order line {bundle.order_line_id}")


def seed_withdrawal(out) -> None:
    """Consent withdrawn after delivery, and what follows for every recipient. A subject who was in both
    demo buyers' bundles withdrew 31 days ago: the university confirmed the deletion (named person,
    role, date), the demo buyer did not and is overdue (on the staff page, reported to staff). Another
    subject withdrew today: the demo buyer is notified (tombstone, 30 days to confirm). Their pages,
    the buyers' order pages and the subjects' pages show it. Idempotent: once there is a withdrawal,
    nothing more is withdrawn."""
    _deliver_demo_bundles(out)
    if ConsentWithdrawal.objects.exists():
        out("  kept the existing consent withdrawals")
        return
    paid = Order.objects.filter(placed_by__email=BUYER_EMAIL, idempotency_key="demo-paid").first()
    university = Order.objects.filter(placed_by__email=UPGRADE_BUYER_EMAIL, idempotency_key="demo-unedited").first()
    if paid is None or paid.status != Order.Status.PAID:
        out("  no paid demo order yet: no withdrawal")
        return
    received = dict(
        ProvisionRecord.objects.filter(order_line__order=paid, release__isnull=False).values_list(
            "release_id", "subject_id"
        )
    )
    both = (
        set(
            ProvisionRecord.objects.filter(order_line__order=university, release_id__in=list(received)).values_list(
                "release_id", flat=True
            )
        )
        if university is not None
        else set()
    )
    if not received:
        out("  the paid demo order was not delivered, or has no people: no withdrawal")
        return
    earlier_id = min(both) if both else min(received)
    later_ids = sorted(set(received) - {earlier_id})
    now = timezone.now()
    month_ago = now - dt.timedelta(days=31)

    earlier = consent_withdraw(
        release=ModelRelease.objects.get(pk=earlier_id), note="Demo: the subject withdrew from their link."
    )
    # Demo data stands for a withdrawal made 31 days ago (its notices' deadline has passed).
    ConsentWithdrawal.objects.filter(pk=earlier.pk).update(created_at=month_ago, received_on=month_ago.date())
    WithdrawalNotice.objects.filter(withdrawal=earlier).update(
        created_at=month_ago, due_on=month_ago.date() + dt.timedelta(days=DELETION_DAYS)
    )
    for notice in WithdrawalNotice.objects.filter(withdrawal=earlier, order_line__order=university):
        buyer = User.objects.get(email=UPGRADE_BUYER_EMAIL)
        deletion_confirm(
            notice=notice,
            user=buyer,
            name="高橋 美咲 / Takahashi Misaki",
            role="情報セキュリティ担当 / Information security officer",
            deleted_on=month_ago.date() + dt.timedelta(days=9),
            statement=True,
            ip="127.0.0.1",
        )
        out(f"  {UPGRADE_BUYER_EMAIL} confirmed deleting the files of subject {received[earlier_id]}")
    notices_remind(now=now)
    out(f"  subject {received[earlier_id]} withdrew 31 days ago; order {paid.number}'s deletion is overdue")
    if later_ids:
        consent_withdraw(
            release=ModelRelease.objects.get(pk=later_ids[0]), note="Demo: the subject withdrew from their link."
        )
        out(f"  subject {received[later_ids[0]]} withdrew today; the buyer of order {paid.number} was notified")


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

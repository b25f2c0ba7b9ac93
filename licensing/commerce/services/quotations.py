"""Quotations (見積書) from the cart, and receipts (領収書) for paid orders."""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Dataset, DatasetVersion
from licensing.commerce import documents
from licensing.commerce.models import Invoice, Order, OrderLine, Payment, Quotation, Receipt
from licensing.commerce.selectors import line_price, order_line_taxes
from licensing.commerce.services.cart import buyer_check, cart_for, edition_ownership_check
from licensing.commerce.services.invoices import _totals, line_title
from licensing.commerce.services.numbers import number_next
from stockdata.company import company
from stockdata.dates import format_date
from stockdata.errors import ApplicationError, ErrorCode
from stockdata.money import invoice_line_taxes
from stockdata.storage import private_storage

#: Days a quotation's prices hold.
QUOTATION_VALID_DAYS = 30

#: Card brands a receipt names, by the provider's code (Stripe's ``card.brand`` values).
CARD_BRANDS = {
    "visa": "Visa",
    "mastercard": "Mastercard",
    "amex": "American Express",
    "jcb": "JCB",
    "diners": "Diners Club",
    "discover": "Discover",
    "unionpay": "UnionPay",
}


@transaction.atomic
def quotation_issue(*, user) -> Quotation:
    """A quotation of the buyer's cart as it is now: each line's version, edition and price,
    the tax computed once per rate (``stockdata.money``, as the invoice will), valid for
    ``QUOTATION_VALID_DAYS`` days; numbered without gaps and stored with its PDF."""
    buyer_check(user)
    cart_lines = list(cart_for(user).lines.select_related("dataset", "version").order_by("added_at", "id"))
    if not cart_lines:
        raise ApplicationError(_("Your cart is empty."), code=ErrorCode.CART_EMPTY)
    for line in cart_lines:
        if line.dataset.status != Dataset.Status.PUBLISHED:
            raise ApplicationError(
                _("“%(title)s” is no longer on sale; remove it from the cart.") % {"title": line.dataset.title_en},
                code=ErrorCode.NOT_ON_SALE,
            )
    # The same ownership rule, prices, order and tax rule the order and its invoice will use:
    # an owned edition is refused, the annotated edition of an owned unedited one is an upgrade.
    sources = [
        edition_ownership_check(
            organisation_id=user.organisation_id, dataset=line.dataset, version=line.version, edition=line.edition
        )
        for line in cart_lines
    ]
    prices = [line_price(line.dataset, line.edition, source) for line, source in zip(cart_lines, sources, strict=True)]
    shares = invoice_line_taxes(prices)
    lines = [
        {
            "dataset_id": line.dataset_id,
            "version_id": line.version_id,
            "dataset": line.dataset.slug,
            "version": line.version.number,
            "edition": line.edition,
            "upgrade_from_id": source.pk if source is not None else None,
            "title": line_title(line.dataset, line.version, line.edition, upgrade=source is not None),
            "rate": share.rate_percent,
            "amount": share.amount,
            "tax": share.tax,
            "net": share.net,
        }
        for line, source, share in zip(cart_lines, sources, shares, strict=True)
    ]
    return quotation_store(organisation=user.organisation, user=user, lines=lines)


def quotation_store(*, organisation, user, lines: list[dict]) -> Quotation:
    """Number, total and store (with its PDF) a quotation of ``lines`` for ``organisation``: the one
    way a quotation is made, from the cart or from an accepted dataset request."""
    totals = _totals(lines)
    issuer = company()
    org = organisation
    now = timezone.now()
    quotation = Quotation(
        number=number_next(kind="quotation", prefix="QT"),
        organisation=org,
        requested_by=user,
        requested_by_email=user.email,
        issued_at=now,
        valid_until=timezone.localdate(now) + timedelta(days=QUOTATION_VALID_DAYS),
        issuer_registration_number=issuer.registration_number,
        issuer=issuer.issuer_snapshot(),
        buyer_name=org.billing_name or org.name,
        buyer_address=org.billing_address,
        buyer_registration_number=org.invoice_registration_number,
        lines=lines,
        totals=totals,
        total=sum(t["total"] for t in totals.values()),
        tax=sum(t["tax"] for t in totals.values()),
    )
    quotation.pdf.name = private_storage().save(
        f"quotations/{now.year}/{quotation.number}.pdf", ContentFile(documents.quotation_pdf(quotation))
    )
    quotation.save()
    return quotation


class QuotedItem(NamedTuple):
    """One line an order buys: what, at which price, and the unedited line it upgrades."""

    dataset: Dataset
    version: DatasetVersion
    edition: str
    price: int
    upgrade_from: OrderLine | None


def quotation_check(*, user, quotation: Quotation) -> list[QuotedItem]:
    """What an order placed from *quotation* buys, refused with the reason when it cannot be:
    another organisation's quotation, an expired one, one already ordered, a dataset no longer
    on sale, or an edition now owned (or an upgrade no longer one). Returns each line as a
    :class:`QuotedItem`, in the quotation's order, at the quoted price."""
    if quotation.organisation_id != user.organisation_id:
        raise ApplicationError(
            _("This quotation was not issued to your organisation."), code=ErrorCode.QUOTATION_UNKNOWN
        )
    if quotation.valid_until < timezone.localdate():
        raise ApplicationError(
            _(
                "Quotation %(number)s expired on %(date)s; its prices no longer hold. "
                "Request a new quotation from your cart."
            )
            % {"number": quotation.number, "date": format_date(quotation.valid_until)},
            code=ErrorCode.QUOTATION_EXPIRED,
        )
    ordered = Order.objects.filter(quotation=quotation).exclude(status=Order.Status.DECLINED)
    if ordered.exists():
        raise ApplicationError(
            _("Quotation %(number)s was already ordered (order %(order)s).")
            % {"number": quotation.number, "order": ordered.first().number},
            code=ErrorCode.QUOTATION_USED,
        )
    if any(line.get("request") for line in quotation.lines):
        raise ApplicationError(
            _("Quotation %(number)s is for a made-to-order dataset; you can order it when we deliver the dataset.")
            % {"number": quotation.number},
            code=ErrorCode.NOT_ON_SALE,
        )
    datasets = Dataset.objects.in_bulk([line["dataset_id"] for line in quotation.lines])
    versions = DatasetVersion.objects.in_bulk([line["version_id"] for line in quotation.lines])
    result = []
    for line in quotation.lines:
        dataset = datasets.get(line["dataset_id"])
        if dataset is None or dataset.status != Dataset.Status.PUBLISHED:
            raise ApplicationError(
                _("“%(title)s” is no longer on sale, so this quotation cannot be ordered.") % {"title": line["title"]},
                code=ErrorCode.NOT_ON_SALE,
            )
        version = versions[line["version_id"]]
        source = edition_ownership_check(
            organisation_id=user.organisation_id, dataset=dataset, version=version, edition=line["edition"]
        )
        if (source.pk if source is not None else None) != line.get("upgrade_from_id"):
            raise ApplicationError(
                _(
                    "The editions your organisation owns changed since quotation %(number)s was issued, "
                    "so its prices no longer apply. Request a new quotation from your cart."
                )
                % {"number": quotation.number},
                code=ErrorCode.QUOTATION_STALE,
            )
        result.append(QuotedItem(dataset, version, line["edition"], line["amount"], source))
    return result


def _payment_description(payment: Payment) -> str:
    if payment.provider == Order.PaymentMethod.BANK_TRANSFER:
        return "銀行振込 / Bank transfer"
    brand = CARD_BRANDS.get(payment.card_brand, payment.card_brand.title() if payment.card_brand else "")
    label = "クレジットカード / Card"
    if payment.provider == Order.PaymentMethod.DEMO_CARD:
        label = "デモカード / Demo card (test payment)"
    digits = f" **** {payment.card_last4}" if payment.card_last4 else ""
    return f"{label} ({brand}{digits})" if brand else f"{label}{digits}"


def receipt_issue(*, order: Order) -> Receipt:
    """The paid order's receipt, issued once (gapless RCP number, PDF stored): the amount
    received, when, and how -- a card payment names the card's brand. A second call returns
    the stored one; an order not paid gets none."""
    existing = Receipt.objects.filter(order=order).first()
    if existing is not None:
        return existing
    payment = order.payments.filter(status=Payment.Status.SUCCEEDED).order_by("completed_at", "id").last()
    if order.paid_at is None or payment is None:
        raise ApplicationError(_("A receipt is issued once the order is paid."), code=ErrorCode.NOT_PAID, status=409)
    try:
        with transaction.atomic():
            return _receipt_create(order=order, payment=payment)
    except IntegrityError:  # issued at the same moment by another request
        return Receipt.objects.get(order=order)


def _receipt_create(*, order: Order, payment: Payment) -> Receipt:
    lines = order.lines.select_related("dataset", "version").order_by("id")
    shares = order_line_taxes(order_id=order.pk)
    doc_lines = [
        {
            "title": line.title,
            "rate": shares[line.pk].rate_percent,
            "amount": shares[line.pk].amount,
            "tax": shares[line.pk].tax,
            "net": shares[line.pk].net,
        }
        for line in lines
    ]
    totals = _totals(doc_lines)
    issuer = company()
    invoice = order.invoices.filter(kind=Invoice.Kind.INVOICE).first()
    now = timezone.now()
    receipt = Receipt(
        number=number_next(kind="receipt", prefix="RCP"),
        order=order,
        payment=payment,
        issued_at=now,
        received_at=payment.completed_at or order.paid_at,
        issuer_registration_number=issuer.registration_number,
        issuer=issuer.issuer_snapshot(),
        buyer_name=order.billing_name,
        invoice_number=invoice.number if invoice else "",
        payment_description=_payment_description(payment),
        lines=doc_lines,
        totals=totals,
        amount=payment.amount,
        tax=sum(t["tax"] for t in totals.values()),
    )
    receipt.pdf.name = private_storage().save(
        f"receipts/{now.year}/{receipt.number}.pdf", ContentFile(documents.receipt_pdf(receipt))
    )
    receipt.save()
    return receipt

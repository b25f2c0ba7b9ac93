"""Orders: placing one from the cart, approval, payment and refunds.

Every write on an order goes through a function here; views, the API, the payment
providers, the bank-statement import and the demo seed all call them.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Dataset
from licensing.commerce.models import (
    IntendedUse,
    Invoice,
    LicenceTerms,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    Quotation,
)
from licensing.commerce.selectors import checkout_licence, line_price, payment_methods_available
from licensing.commerce.services.cart import buyer_check, cart_for, edition_ownership_check
from licensing.commerce.services.invoices import credit_note_issue, invoice_issue
from licensing.commerce.services.invoices import line_title as _line_title
from licensing.commerce.services.numbers import number_next
from licensing.commerce.services.quotations import QuotedItem, quotation_check
from licensing.commerce.signals import line_paid, line_refunded
from licensing.commerce.states import order_transition, transition_allowed
from stockdata.errors import ApplicationError, Conflict, ErrorCode
from stockdata.i18n import language_of
from stockdata.mail.services import email_send_template, site_url
from stockdata.money import invoice_tax

logger = logging.getLogger(__name__)

#: Days a buyer has to pay by bank transfer.
PAYMENT_DAYS = 14


def order_place(
    *,
    user,
    idempotency_key: str,
    billing_name: str,
    billing_address: str,
    billing_country: str = "JP",
    billing_registration_number: str = "",
    intended_use: str,
    intended_use_detail: str,
    licence_accepted: bool,
    licence: LicenceTerms | None = None,
    ip: str | None = None,
    payment_method: str = Order.PaymentMethod.BANK_TRANSFER,
    quotation: Quotation | None = None,
) -> tuple[Order, bool]:
    """Turn the buyer's cart into one order under the licence they accepted.

    Idempotent per (buyer, key): a second submit with the same key returns the order the
    first one created (``created`` False) and changes nothing. Restricted datasets make the
    order wait for staff approval before it can be paid.
    With a *quotation* the order buys exactly its lines at its
    prices (``quotation_check``) instead of the cart's.
    """
    key = (idempotency_key or "").strip()
    if not key or len(key) > 100:
        raise ApplicationError(
            _("The checkout form expired; reload the page and submit again."), code=ErrorCode.IDEMPOTENCY_KEY
        )
    existing = Order.objects.filter(placed_by=user, idempotency_key=key).first()
    if existing is not None:
        return existing, False
    buyer_check(user)
    if not licence_accepted:
        raise ApplicationError(
            _("Accept the licence terms to place the order."), code=ErrorCode.LICENCE, field="accept_licence"
        )
    if intended_use not in IntendedUse.values:
        raise ApplicationError(_("Choose the intended use."), code=ErrorCode.INTENDED_USE, field="intended_use")
    if not (intended_use_detail or "").strip():
        raise ApplicationError(
            _("Describe the intended use in your own words."),
            code=ErrorCode.INTENDED_USE_DETAIL,
            field="intended_use_detail",
        )
    if payment_method not in dict(payment_methods_available()):
        raise ApplicationError(
            _("Choose an available payment method."), code=ErrorCode.PAYMENT_METHOD, field="payment_method"
        )
    if not (billing_name or "").strip() or not (billing_address or "").strip():
        raise ApplicationError(_("Enter the billing name and address."), code=ErrorCode.BILLING, field="billing_name")
    try:
        with transaction.atomic():
            order = _order_create(
                user=user,
                key=key,
                billing_name=billing_name.strip(),
                billing_address=billing_address.strip(),
                billing_country=(billing_country or "JP").upper()[:2],
                billing_registration_number=(billing_registration_number or "").strip(),
                intended_use=intended_use,
                intended_use_detail=intended_use_detail.strip(),
                licence=licence,
                ip=ip,
                payment_method=payment_method,
                quotation=quotation,
            )
    except IntegrityError:
        # Two submits raced with the same key: the other one won; return its order.
        existing = Order.objects.filter(placed_by=user, idempotency_key=key).first()
        if existing is None:
            raise
        return existing, False
    return order, True


def _order_create(*, user, key, licence, ip, payment_method, quotation=None, **details) -> Order:
    cart = cart_for(user)
    if quotation is not None:
        # The quotation's lines at its prices (refused if expired, used, no longer on sale, or
        # if what the organisation owns changed since it was quoted).
        items = quotation_check(user=user, quotation=quotation)
        licence = licence or checkout_licence(datasets=[item.dataset for item in items])
    else:
        cart_lines = list(cart.lines.select_related("dataset", "version").order_by("added_at", "id"))
        if not cart_lines:
            raise ApplicationError(_("Your cart is empty."), code=ErrorCode.CART_EMPTY)
        for line in cart_lines:
            if line.dataset.status != Dataset.Status.PUBLISHED:
                raise ApplicationError(
                    _("“%(title)s” is no longer on sale; remove it from the cart.") % {"title": line.dataset.title_en},
                    code=ErrorCode.NOT_ON_SALE,
                )
        # Ownership may have changed since the lines were added (a colleague bought an edition,
        # an unedited line was refunded): check again and price each upgrade on what is true now.
        items = []
        for line in cart_lines:
            upgrade_from = edition_ownership_check(
                organisation_id=user.organisation_id, dataset=line.dataset, version=line.version, edition=line.edition
            )
            price = line_price(line.dataset, line.edition, upgrade_from)
            items.append(QuotedItem(line.dataset, line.version, line.edition, price, upgrade_from))
        licence = licence or checkout_licence(cart)
    prices = [item.price for item in items]
    breakdown = invoice_tax(prices)
    restricted = any(item.dataset.restricted for item in items)
    status = Order.Status.AWAITING_APPROVAL if restricted else Order.Status.AWAITING_PAYMENT
    now = timezone.now()
    order = Order(
        number=number_next(kind="order", prefix="SD"),
        organisation_id=user.organisation_id,
        placed_by=user,
        idempotency_key=key,
        payment_method=payment_method,
        licence=licence,
        licence_accepted_at=now,
        licence_accepted_ip=ip or None,
        total=sum(b.total_incl_tax for b in breakdown),
        tax=sum(b.tax for b in breakdown),
        payment_due=None if restricted else timezone.localdate() + timedelta(days=PAYMENT_DAYS),
        quotation=quotation,
        **details,
    )
    order_transition(order, status, by=user)
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                dataset=item.dataset,
                version=item.version,
                edition=item.edition,
                title=_line_title(item.dataset, item.version, item.edition, upgrade=item.upgrade_from is not None),
                price=item.price,
                restricted=item.dataset.restricted,
                upgrade_from=item.upgrade_from,
            )
            for item in items
        ]
    )
    if quotation is not None:  # what was ordered leaves the cart; anything else stays
        for item in items:
            cart.lines.filter(dataset=item.dataset, edition=item.edition).delete()
    else:
        cart.lines.all().delete()
    if restricted:
        transaction.on_commit(lambda: _notify_staff_of_approval(order.pk))
    return order


def _email(order: Order, event: str, **context) -> None:
    """Tell the buyer who placed the order, in their language (``templates/mail/order_<event>_*.txt``);
    ``event`` makes the e-mail's key (one per order and event)."""
    buyer = order.placed_by
    language = language_of(buyer)
    email_send_template(
        key=f"order-{event}:{order.pk}",
        to=[buyer.email],
        template=f"mail/order_{event}",
        context={
            "number": order.number,
            "url": site_url(reverse("licensing:order_detail", args=[order.uuid]), language=language),
            "recipient_name": buyer.full_name,
            **context,
        },
        language=language,
    )


def _notify_staff_of_approval(order_id: int) -> None:
    logger.info("order %s awaits approval", order_id)


def _locked(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


@transaction.atomic
def order_approve(*, order: Order, by, note: str = "") -> Order:
    """Staff approve a restricted order for this buyer and declared use; then it can be paid."""
    order = _locked(order)
    if not transition_allowed(order.status, Order.Status.AWAITING_PAYMENT):
        raise Conflict(_("Only an order awaiting approval can be approved."), code=ErrorCode.NOT_AWAITING_APPROVAL)
    order.decision_note = note
    order.payment_due = timezone.localdate() + timedelta(days=PAYMENT_DAYS)
    order_transition(order, Order.Status.AWAITING_PAYMENT, by=by, note=note, fields=("decision_note", "payment_due"))
    _email(order, "approved")
    return order


@transaction.atomic
def order_decline(*, order: Order, by, reason: str) -> Order:
    """Staff decline a restricted order, with a reason the buyer is told."""
    if not (reason or "").strip():
        raise ApplicationError(_("Give the reason for declining."), code=ErrorCode.REASON_REQUIRED, field="reason")
    order = _locked(order)
    if not transition_allowed(order.status, Order.Status.DECLINED):
        raise Conflict(_("Only an order awaiting approval can be declined."), code=ErrorCode.NOT_AWAITING_APPROVAL)
    order.decision_note = reason.strip()
    order_transition(order, Order.Status.DECLINED, by=by, note=reason, fields=("decision_note",))
    _email(order, "declined", reason=reason.strip())
    return order


# --- Payment ---------------------------------------------------------------------------


@transaction.atomic
def order_mark_paid(
    *,
    order: Order,
    provider: str,
    amount: int,
    reference: str = "",
    by=None,
    card_brand: str = "",
    card_last4: str = "",
) -> bool:
    """The one way an order becomes paid, whatever the provider: under a row lock, once.

    Returns False (and changes nothing) when it is already paid. The amount must be the
    order total. Each line then gets its provision records, royalties and bundle, the
    invoice is issued and the buyer told.
    """
    order = _locked(order)
    if order.status in (Order.Status.PAID, Order.Status.REFUNDED):
        return False
    if not transition_allowed(order.status, Order.Status.PAID):
        raise Conflict(
            _("Order %(number)s cannot be paid while it is “%(status)s”.")
            % {"number": order.number, "status": order.get_status_display()},
            code=ErrorCode.NOT_PAYABLE,
        )
    if amount != order.total:
        raise ApplicationError(
            _("The amount %(amount)s does not match the order total %(total)s.")
            % {"amount": f"¥{amount:,}", "total": f"¥{order.total:,}"},
            code=ErrorCode.AMOUNT_MISMATCH,
        )
    now = timezone.now()
    Payment.objects.create(
        order=order,
        provider=provider,
        reference=reference,
        amount=amount,
        status=Payment.Status.SUCCEEDED,
        recorded_by=by,
        completed_at=now,
        card_brand=card_brand[:20],
        card_last4=card_last4[-4:],
    )
    order.paid_at = now
    order_transition(order, Order.Status.PAID, by=by, fields=("paid_at",))
    for line in order.lines.filter(status=OrderLine.Status.ACTIVE).select_related("dataset", "version"):
        line_paid.send(sender=OrderLine, line=line)
    invoice_issue(order=order)
    _email(order, "paid")
    return True


@transaction.atomic
def order_line_refund(*, line: OrderLine, by=None, reference: str = "") -> Invoice | None:
    """Refund one paid line: royalties reversed, bundle revoked, a credit note issued.
    Refunding a line twice does nothing the second time."""
    order = _locked(line.order)
    line = OrderLine.objects.select_for_update().get(pk=line.pk)
    if line.status == OrderLine.Status.REFUNDED:
        return None
    if not transition_allowed(order.status, Order.Status.REFUNDED):
        raise Conflict(_("Only a paid order can be refunded."), code=ErrorCode.NOT_PAID)
    line.status = OrderLine.Status.REFUNDED
    line.refunded_at = timezone.now()
    line.save(update_fields=["status", "refunded_at"])
    line_refunded.send(sender=OrderLine, line=line)
    invoice = order.invoices.filter(kind=Invoice.Kind.INVOICE).first()
    note = credit_note_issue(invoice=invoice, lines=[line]) if invoice else None
    if not order.lines.filter(status=OrderLine.Status.ACTIVE).exists():
        order_transition(order, Order.Status.REFUNDED, by=by, note=reference)
    else:
        OrderEvent.objects.create(
            order=order,
            from_status=order.status,
            to_status=order.status,
            by=by,
            note=(_("Refunded: %(title)s") % {"title": line.title})[:500],
        )
    return note

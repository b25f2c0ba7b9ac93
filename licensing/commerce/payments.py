"""Payment providers behind one small interface.

``start(order, request)`` returns where the buyer goes next (a URL) or the instructions to
show; every provider ends in ``services.order_mark_paid``, so an order is paid once
whatever the path. Only Stripe talks to the outside world, and never in tests.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from licensing.commerce.models import Order, OrderLine, Payment, WebhookEvent
from licensing.commerce.services import order_line_refund, order_mark_paid
from stockdata.company import company
from stockdata.errors import ApplicationError, ErrorCode

logger = logging.getLogger(__name__)


#: The only characters a card number's digits may be (``str.isdigit`` accepts "²" and "１").
ASCII_DIGITS = frozenset("0123456789")


@dataclass
class PaymentStart:
    redirect_url: str = ""
    instructions: dict | None = None


class PaymentProvider(Protocol):
    method: str

    def start(self, order: Order, *, request=None) -> PaymentStart: ...


def bank_details() -> dict:
    """The company's account buyers pay into (stockdata.company), as the order page shows it."""
    account = company()
    return {
        "bank": f"{account.bank_name} ({account.bank_code})",
        "branch": f"{account.branch_name} ({account.branch_code})",
        "kind": account.account_type_label,
        "number": account.account_number,
        "holder": account.account_holder_kana,
        "email": account.email,
        "phone": account.phone,
        "demo": account.is_demo,
    }


class BankTransfer:
    method = Order.PaymentMethod.BANK_TRANSFER

    def start(self, order: Order, *, request=None) -> PaymentStart:
        return PaymentStart(
            instructions={**bank_details(), "reference": order.number, "amount": order.total, "due": order.payment_due}
        )


def card_brand_of(digits: str) -> str:
    """The card's brand from its issuer prefix (IIN), in Stripe's codes ("" when unknown)."""
    if digits.startswith("4"):
        return "visa"
    if digits[:2] in {"34", "37"}:
        return "amex"
    if digits[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(digits[:4] or 0) <= 2720:
        return "mastercard"
    if 3528 <= int(digits[:4] or 0) <= 3589:
        return "jcb"
    if digits[:2] in {"36", "38", "39"} or digits[:3] in {"300", "301", "302", "303", "304", "305"}:
        return "diners"
    if digits.startswith(("6011", "65")):
        return "discover"
    if digits.startswith("62"):
        return "unionpay"
    return ""


class DemoCard:
    """Test payments: any card number passing the Luhn check pays through ``order_mark_paid``."""

    method = Order.PaymentMethod.DEMO_CARD

    def start(self, order: Order, *, request=None) -> PaymentStart:
        return PaymentStart(redirect_url=reverse("licensing:order_pay_demo", args=[order.uuid]))

    @staticmethod
    def luhn_ok(number: str) -> bool:
        # ASCII digits only: "²" or "１" pass str.isdigit() but are no card digit (int("²") raises).
        if any(c not in ASCII_DIGITS and c not in " -" for c in number):
            return False
        digits = [int(c) for c in number if c in ASCII_DIGITS]
        if len(digits) < 12:
            return False
        total = 0
        for index, digit in enumerate(reversed(digits)):
            if index % 2:
                digit *= 2
                if digit > 9:
                    digit -= 9
            total += digit
        return total % 10 == 0

    def pay(self, order: Order, *, card_number: str, by) -> bool:
        if not settings.STOCKDATA_DEMO_PAYMENTS:
            raise ApplicationError(_("Demo payments are switched off."), code=ErrorCode.DEMO_OFF, status=403)
        if not self.luhn_ok(card_number):
            raise ApplicationError(
                _("That card number is not valid; check it and try again."),
                code=ErrorCode.CARD_INVALID,
                field="card_number",
            )
        digits = "".join(c for c in card_number if c in ASCII_DIGITS)
        return order_mark_paid(
            order=order,
            provider=self.method,
            amount=order.total,
            reference=f"demo:{order.number}:{digits[-4:]}",
            by=by,
            card_brand=card_brand_of(digits),
            card_last4=digits[-4:],
        )


class StripeCard:
    """Stripe Checkout: a hosted page; the webhook says when it is paid."""

    method = Order.PaymentMethod.CARD

    def start(self, order: Order, *, request=None) -> PaymentStart:
        import stripe

        stripe.api_key = settings.STRIPE_SECRET_KEY
        detail = reverse("licensing:order_detail", args=[order.uuid])
        base = request.build_absolute_uri("/").rstrip("/") if request else settings.SITE_URL.rstrip("/")
        session = stripe.checkout.Session.create(
            mode="payment",
            client_reference_id=order.number,
            metadata={"order": order.number},
            customer_email=order.placed_by.email,
            line_items=[
                {
                    "price_data": {
                        "currency": "jpy",
                        "product_data": {"name": line.title[:250]},
                        "unit_amount": line.price,
                    },
                    "quantity": 1,
                }
                for line in order.lines.all()
            ],
            payment_intent_data={"metadata": {"order": order.number}},
            success_url=f"{base}{detail}?paid=1",
            cancel_url=f"{base}{detail}",
        )
        return PaymentStart(redirect_url=session.url)


PROVIDERS: dict[str, PaymentProvider] = {
    Order.PaymentMethod.BANK_TRANSFER: BankTransfer(),
    Order.PaymentMethod.DEMO_CARD: DemoCard(),
    Order.PaymentMethod.CARD: StripeCard(),
}


def provider_for(order: Order) -> PaymentProvider:
    return PROVIDERS[order.payment_method]


# --- Stripe webhook ----------------------------------------------------------------------


class WebhookRefused(Exception):
    pass


def stripe_event_verify(payload: bytes, signature: str) -> dict:
    """The event, if the signature is Stripe's (``Stripe-Signature: t=...,v1=...``)."""
    import stripe

    secret = getattr(settings, "STRIPE_WEBHOOK_SECRET", "")
    if not secret:
        raise WebhookRefused("no webhook secret configured")
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret)
    except (ValueError, stripe.SignatureVerificationError) as exc:
        raise WebhookRefused(str(exc)) from exc
    return event.to_dict() if hasattr(event, "to_dict") else json.loads(payload)


def stripe_event_process(event: dict) -> str:
    """Handle a verified event once by its id; returns what was done (for logs and tests)."""
    kind = event.get("type", "")
    obj = (event.get("data") or {}).get("object") or {}
    try:
        with transaction.atomic():
            WebhookEvent.objects.create(provider="stripe", event_id=event["id"], kind=kind)
            if kind == "checkout.session.completed":
                return _session_completed(obj)
            if kind == "charge.refunded":
                return _charge_refunded(obj)
            return "ignored"
    except IntegrityError:
        return "duplicate"


def _order_from(obj: dict) -> Order | None:
    number = (obj.get("metadata") or {}).get("order") or obj.get("client_reference_id")
    return Order.objects.filter(number=number).first() if number else None


def _session_completed(obj: dict) -> str:
    order = _order_from(obj)
    if order is None:
        logger.warning("stripe session %s names no known order", obj.get("id"))
        return "unknown_order"
    if obj.get("payment_status") not in (None, "paid"):
        return "not_paid"
    amount = obj.get("amount_total")
    if (obj.get("currency") or "jpy").lower() != "jpy" or amount != order.total:
        logger.error(
            "stripe session %s for %s: amount %s %s does not match %s JPY",
            obj.get("id"),
            order.number,
            amount,
            obj.get("currency"),
            order.total,
        )
        return "amount_mismatch"
    brand, last4 = stripe_card_of(obj)
    try:
        paid = order_mark_paid(
            order=order,
            provider=Order.PaymentMethod.CARD,
            amount=amount,
            reference=str(obj.get("payment_intent") or obj.get("id")),
            card_brand=brand,
            card_last4=last4,
        )
    except ApplicationError as exc:
        logger.error("stripe session %s for %s refused: %s", obj.get("id"), order.number, exc.message)
        return "refused"
    return "paid" if paid else "already_paid"


def stripe_card_of(session: dict) -> tuple[str, str]:
    """The card's brand and last four digits of a completed Checkout session, from its payment
    intent's charge (Stripe does not put them on the session). ("", "") when Stripe cannot say:
    the payment is recorded all the same, and its receipt then names no brand."""
    intent = session.get("payment_intent")
    if not intent:
        return "", ""
    try:
        import stripe

        stripe.api_key = settings.STRIPE_SECRET_KEY
        if isinstance(intent, str):
            intent = stripe.PaymentIntent.retrieve(intent, expand=["latest_charge"])
        charge = intent["latest_charge"]
        card = charge["payment_method_details"]["card"]
        return str(card.get("brand") or ""), str(card.get("last4") or "")
    except Exception:  # the outside world: never lose the payment over its card's name
        logger.warning("stripe session %s: card brand not available", session.get("id"), exc_info=True)
        return "", ""


def _charge_refunded(obj: dict) -> str:
    order = _order_from(obj)
    if order is None:
        payment = Payment.objects.filter(
            provider=Order.PaymentMethod.CARD, reference=str(obj.get("payment_intent") or "")
        ).first()
        order = payment.order if payment else None
    if order is None:
        return "unknown_order"
    refunded = obj.get("amount_refunded") or 0
    # Refund whole lines, in order, up to the refunded amount (partial amounts below a line are logged).
    already = sum(line.price for line in order.lines.filter(status=OrderLine.Status.REFUNDED))
    to_refund = refunded - already
    done = 0
    for line in order.lines.filter(status=OrderLine.Status.ACTIVE).order_by("id"):
        if line.price > to_refund:
            break
        order_line_refund(line=line, reference=str(obj.get("id", "")))
        to_refund -= line.price
        done += 1
    if to_refund:
        logger.warning("stripe refund on %s leaves %s yen not matching whole lines", order.number, to_refund)
    return f"refunded:{done}"

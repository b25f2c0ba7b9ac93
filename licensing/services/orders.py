"""Cart, checkout, approval, payment, refunds, invoices and provision records.

Every write on an order goes through a function here; views, the API, the payment
providers, the bank-statement import and the demo seed all call them.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Dataset, DatasetVersion, DatasetVersionItem, Edition
from licensing.models import (
    Cart,
    CartLine,
    IntendedUse,
    Invoice,
    LicenceTerms,
    NumberSequence,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    ProvisionRecord,
)
from stockdata.accounts.models import Role
from stockdata.accounts.permissions import user_has_role
from stockdata.errors import ApplicationError, Conflict
from stockdata.money import invoice_tax
from stockdata.storage import private_storage

logger = logging.getLogger(__name__)

__all__ = [
    "PAYMENT_DAYS",
    "RETENTION_YEARS",
    "CartSummary",
    "StatementReport",
    "bank_statement_import",
    "buyer_check",
    "cart_add",
    "cart_for",
    "cart_line_update_version",
    "cart_remove",
    "cart_summary",
    "checkout_licence",
    "credit_note_issue",
    "invoice_issue",
    "number_next",
    "order_approve",
    "order_decline",
    "order_line_refund",
    "order_mark_paid",
    "order_place",
    "payment_methods_available",
    "provision_records_create",
    "retain_until_for",
]

#: Days a buyer has to pay by bank transfer.
PAYMENT_DAYS = 14
#: APPI: provision records are kept at least three years.
RETENTION_YEARS = 3


# --- Numbers ---------------------------------------------------------------------------


def number_next(*, kind: str, prefix: str, year: int | None = None) -> str:
    """The next gapless number of a kind for a year, e.g. ``SD-2026-000001``.

    Taken under a row lock in the caller's transaction: if that rolls back, so does the
    counter, so no number is ever skipped.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("number_next must run inside the transaction that uses the number")
    year = year or timezone.localdate().year
    NumberSequence.objects.get_or_create(kind=kind, year=year)
    seq = NumberSequence.objects.select_for_update().get(kind=kind, year=year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"{prefix}-{year}-{seq.last:06d}"


# --- Cart ------------------------------------------------------------------------------


def buyer_check(user) -> None:
    """Only a buyer account with an organisation can buy: contributors and staff cannot."""
    if not user_has_role(user, Role.BUYER):
        raise ApplicationError(
            _("Only buyer accounts can buy datasets. Sign in with (or create) a buyer account for your organisation."),
            code="not_a_buyer",
            status=403,
        )
    if getattr(user, "organisation_id", None) is None:
        raise ApplicationError(
            _("Your account has no organisation. Add your organisation's details before buying."),
            code="no_organisation",
            status=403,
        )


def cart_for(user) -> Cart:
    cart, _created = Cart.objects.get_or_create(user=user)
    return cart


@transaction.atomic
def cart_add(*, user, dataset: Dataset, edition: str) -> CartLine:
    """Add an edition of a published dataset at its current version; the annotated edition
    only exists when that version is annotated. Adding it again keeps one line."""
    buyer_check(user)
    if edition not in Edition.values:
        raise ApplicationError(_("Choose an edition."), code="edition_invalid", field="edition")
    version = dataset.latest_version
    if dataset.status != Dataset.Status.PUBLISHED or version is None:
        raise ApplicationError(_("This dataset is not on sale."), code="not_on_sale")
    if edition == Edition.ANNOTATED and not version.annotated:
        raise ApplicationError(
            _("This version has no annotated edition; choose the unedited edition."),
            code="edition_unavailable",
            field="edition",
        )
    cart = cart_for(user)
    line, _created = CartLine.objects.get_or_create(
        cart=cart, dataset=dataset, edition=edition, defaults={"version": version}
    )
    cart.save(update_fields=["updated_at"])
    return line


@transaction.atomic
def cart_remove(*, user, line_id: int) -> None:
    CartLine.objects.filter(cart__user=user, pk=line_id).delete()


@transaction.atomic
def cart_line_update_version(*, user, line_id: int) -> CartLine:
    """Move a cart line to the dataset's newest version (the buyer chose to)."""
    line = CartLine.objects.select_related("dataset__latest_version").get(cart__user=user, pk=line_id)
    latest = line.dataset.latest_version
    if latest is None:
        raise ApplicationError(_("This dataset is not on sale."), code="not_on_sale")
    if line.edition == Edition.ANNOTATED and not latest.annotated:
        raise ApplicationError(_("The newest version has no annotated edition."), code="edition_unavailable")
    line.version = latest
    line.save(update_fields=["version"])
    return line


@dataclass
class CartSummaryLine:
    line: CartLine
    title: str
    price: int
    tax: int
    newer_version: DatasetVersion | None
    restricted: bool


@dataclass
class CartSummary:
    lines: list[CartSummaryLine] = field(default_factory=list)
    total: int = 0
    tax: int = 0

    @property
    def net(self) -> int:
        return self.total - self.tax

    @property
    def restricted(self) -> bool:
        return any(line.restricted for line in self.lines)


def _line_title(dataset: Dataset, version: DatasetVersion, edition: str) -> str:
    return f"{dataset.title_ja} / {dataset.title_en} v{version.number} ({Edition(edition).label})"


def cart_summary(cart: Cart) -> CartSummary:
    """Lines with their tax-inclusive prices; the tax is computed once on the total."""
    lines = list(cart.lines.select_related("dataset__latest_version", "version"))
    summary = CartSummary()
    for line in lines:
        price = line.dataset.price_for(line.edition)
        latest = line.dataset.latest_version
        newer = latest if latest is not None and latest.number > line.version.number else None
        summary.lines.append(
            CartSummaryLine(
                line=line,
                title=line.dataset.title_ja if _ja() else line.dataset.title_en,
                price=price,
                tax=invoice_tax([price])[0].tax,
                newer_version=newer,
                restricted=line.dataset.restricted,
            )
        )
    breakdown = invoice_tax([entry.price for entry in summary.lines])
    summary.total = sum(b.total_incl_tax for b in breakdown)
    summary.tax = sum(b.tax for b in breakdown)
    return summary


def _ja() -> bool:
    from django.utils import translation

    return (translation.get_language() or "").startswith("ja")


# --- Checkout --------------------------------------------------------------------------


def payment_methods_available() -> list[tuple[str, str]]:
    methods = [(Order.PaymentMethod.BANK_TRANSFER, Order.PaymentMethod.BANK_TRANSFER.label)]
    if getattr(settings, "STRIPE_SECRET_KEY", ""):
        methods.append((Order.PaymentMethod.CARD, Order.PaymentMethod.CARD.label))
    if getattr(settings, "STOCKDATA_DEMO_PAYMENTS", False):
        methods.append((Order.PaymentMethod.DEMO_CARD, Order.PaymentMethod.DEMO_CARD.label))
    return methods


def checkout_licence(cart: Cart | None = None) -> LicenceTerms:
    """The licence an order is placed under: the datasets' own licence when they share one,
    otherwise the platform's current licence."""
    from licensing.selectors import default_licence

    if cart is not None:
        ids = {lid for lid in cart.lines.values_list("dataset__licence_id", flat=True)}
        if len(ids) == 1 and None not in ids:
            return LicenceTerms.objects.get(pk=ids.pop())
    return default_licence()


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
) -> tuple[Order, bool]:
    """Turn the buyer's cart into one order under the licence they accepted.

    Idempotent per (buyer, key): a second submit with the same key returns the order the
    first one created (``created`` False) and changes nothing. Restricted datasets make the
    order wait for staff approval before it can be paid.
    """
    key = (idempotency_key or "").strip()
    if not key or len(key) > 100:
        raise ApplicationError(
            _("The checkout form expired; reload the page and submit again."), code="idempotency_key"
        )
    existing = Order.objects.filter(placed_by=user, idempotency_key=key).first()
    if existing is not None:
        return existing, False
    buyer_check(user)
    if not licence_accepted:
        raise ApplicationError(
            _("Accept the licence terms to place the order."), code="licence", field="accept_licence"
        )
    if intended_use not in IntendedUse.values:
        raise ApplicationError(_("Choose the intended use."), code="intended_use", field="intended_use")
    if not (intended_use_detail or "").strip():
        raise ApplicationError(
            _("Describe the intended use in your own words."), code="intended_use_detail", field="intended_use_detail"
        )
    if payment_method not in dict(payment_methods_available()):
        raise ApplicationError(_("Choose an available payment method."), code="payment_method", field="payment_method")
    if not (billing_name or "").strip() or not (billing_address or "").strip():
        raise ApplicationError(_("Enter the billing name and address."), code="billing", field="billing_name")
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
            )
    except IntegrityError:
        # Two submits raced with the same key: the other one won; return its order.
        existing = Order.objects.filter(placed_by=user, idempotency_key=key).first()
        if existing is None:
            raise
        return existing, False
    return order, True


def _order_create(*, user, key, licence, ip, payment_method, **details) -> Order:
    cart = cart_for(user)
    cart_lines = list(cart.lines.select_related("dataset", "version").order_by("added_at", "id"))
    if not cart_lines:
        raise ApplicationError(_("Your cart is empty."), code="cart_empty")
    for line in cart_lines:
        if line.dataset.status != Dataset.Status.PUBLISHED:
            raise ApplicationError(
                _("“%(title)s” is no longer on sale; remove it from the cart.") % {"title": line.dataset.title_en},
                code="not_on_sale",
            )
    licence = licence or checkout_licence(cart)
    prices = [line.dataset.price_for(line.edition) for line in cart_lines]
    breakdown = invoice_tax(prices)
    restricted = any(line.dataset.restricted for line in cart_lines)
    status = Order.Status.AWAITING_APPROVAL if restricted else Order.Status.AWAITING_PAYMENT
    now = timezone.now()
    order = Order.objects.create(
        number=number_next(kind="order", prefix="SD"),
        organisation_id=user.organisation_id,
        placed_by=user,
        status=status,
        idempotency_key=key,
        payment_method=payment_method,
        licence=licence,
        licence_accepted_at=now,
        licence_accepted_ip=ip or None,
        total=sum(b.total_incl_tax for b in breakdown),
        tax=sum(b.tax for b in breakdown),
        payment_due=None if restricted else timezone.localdate() + timedelta(days=PAYMENT_DAYS),
        **details,
    )
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                dataset=line.dataset,
                version=line.version,
                edition=line.edition,
                title=_line_title(line.dataset, line.version, line.edition),
                price=price,
                restricted=line.dataset.restricted,
            )
            for line, price in zip(cart_lines, prices, strict=False)
        ]
    )
    OrderEvent.objects.create(order=order, from_status="", to_status=status, by=user)
    cart.lines.all().delete()
    if restricted:
        transaction.on_commit(lambda: _notify_staff_of_approval(order.pk))
    return order


def _order_url(order: Order) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("licensing:order_detail", args=[order.uuid])


def _email(order_id: int, subject: str, body: str) -> None:
    order = Order.objects.select_related("placed_by").get(pk=order_id)
    send_mail(subject, body, None, [order.placed_by.email], fail_silently=True)


def _notify_staff_of_approval(order_id: int) -> None:
    logger.info("order %s awaits approval", order_id)


def _transition(order: Order, to: str, *, by=None, note: str = "") -> None:
    OrderEvent.objects.create(order=order, from_status=order.status, to_status=to, by=by, note=note[:500])
    order.status = to


def _locked(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


@transaction.atomic
def order_approve(*, order: Order, by, note: str = "") -> Order:
    """Staff approve a restricted order for this buyer and declared use; then it can be paid."""
    order = _locked(order)
    if order.status != Order.Status.AWAITING_APPROVAL:
        raise Conflict(_("Only an order awaiting approval can be approved."), code="not_awaiting_approval")
    _transition(order, Order.Status.AWAITING_PAYMENT, by=by, note=note)
    order.decision_note = note
    order.payment_due = timezone.localdate() + timedelta(days=PAYMENT_DAYS)
    order.save(update_fields=["status", "decision_note", "payment_due"])
    subject = _("Order %(number)s approved") % {"number": order.number}
    body = _("Your order %(number)s was approved. You can now pay it: %(url)s") % {
        "number": order.number,
        "url": _order_url(order),
    }
    transaction.on_commit(lambda: _email(order.pk, subject, body))
    return order


@transaction.atomic
def order_decline(*, order: Order, by, reason: str) -> Order:
    """Staff decline a restricted order, with a reason the buyer is told."""
    if not (reason or "").strip():
        raise ApplicationError(_("Give the reason for declining."), code="reason_required", field="reason")
    order = _locked(order)
    if order.status != Order.Status.AWAITING_APPROVAL:
        raise Conflict(_("Only an order awaiting approval can be declined."), code="not_awaiting_approval")
    _transition(order, Order.Status.DECLINED, by=by, note=reason)
    order.decision_note = reason.strip()
    order.save(update_fields=["status", "decision_note"])
    subject = _("Order %(number)s declined") % {"number": order.number}
    body = _("We could not approve your order %(number)s. Reason: %(reason)s") % {
        "number": order.number,
        "reason": reason.strip(),
    }
    transaction.on_commit(lambda: _email(order.pk, subject, body))
    return order


# --- Payment ---------------------------------------------------------------------------


@transaction.atomic
def order_mark_paid(*, order: Order, provider: str, amount: int, reference: str = "", by=None) -> bool:
    """The one way an order becomes paid, whatever the provider: under a row lock, once.

    Returns False (and changes nothing) when it is already paid. The amount must be the
    order total. Each line then gets its provision records, royalties and bundle, the
    invoice is issued and the buyer told.
    """
    order = _locked(order)
    if order.status in (Order.Status.PAID, Order.Status.FULFILLED, Order.Status.REFUNDED):
        return False
    if order.status != Order.Status.AWAITING_PAYMENT:
        raise Conflict(
            _("Order %(number)s cannot be paid while it is “%(status)s”.")
            % {"number": order.number, "status": order.get_status_display()},
            code="not_payable",
        )
    if amount != order.total:
        raise ApplicationError(
            _("The amount %(amount)s does not match the order total %(total)s.")
            % {"amount": f"¥{amount:,}", "total": f"¥{order.total:,}"},
            code="amount_mismatch",
        )
    from licensing import fulfilment

    now = timezone.now()
    Payment.objects.create(
        order=order,
        provider=provider,
        reference=reference,
        amount=amount,
        status=Payment.Status.SUCCEEDED,
        recorded_by=by,
        completed_at=now,
    )
    _transition(order, Order.Status.PAID, by=by)
    order.paid_at = now
    order.save(update_fields=["status", "paid_at"])
    for line in order.lines.filter(status=OrderLine.Status.ACTIVE).select_related("dataset", "version"):
        fulfilment.on_line_paid(line=line)
    invoice_issue(order=order)
    subject = _("Order %(number)s paid — thank you") % {"number": order.number}
    body = _("We received your payment for order %(number)s. Your invoice and downloads: %(url)s") % {
        "number": order.number,
        "url": _order_url(order),
    }
    transaction.on_commit(lambda: _email(order.pk, subject, body))
    return True


@transaction.atomic
def order_line_refund(*, line: OrderLine, by=None, reference: str = "") -> Invoice | None:
    """Refund one paid line: royalties reversed, bundle revoked, a credit note issued.
    Refunding a line twice does nothing the second time."""
    order = _locked(line.order)
    line = OrderLine.objects.select_for_update().get(pk=line.pk)
    if line.status == OrderLine.Status.REFUNDED:
        return None
    if order.status not in (Order.Status.PAID, Order.Status.FULFILLED):
        raise Conflict(_("Only a paid order can be refunded."), code="not_paid")
    from licensing import fulfilment

    line.status = OrderLine.Status.REFUNDED
    line.refunded_at = timezone.now()
    line.save(update_fields=["status", "refunded_at"])
    fulfilment.on_line_refunded(line=line)
    invoice = order.invoices.filter(kind=Invoice.Kind.INVOICE).first()
    note = credit_note_issue(invoice=invoice, lines=[line]) if invoice else None
    if not order.lines.filter(status=OrderLine.Status.ACTIVE).exists():
        _transition(order, Order.Status.REFUNDED, by=by, note=reference)
        order.save(update_fields=["status"])
    else:
        OrderEvent.objects.create(
            order=order,
            from_status=order.status,
            to_status=order.status,
            by=by,
            note=(_("Refunded: %(title)s") % {"title": line.title})[:500],
        )
    return note


@dataclass
class StatementReport:
    matched: list[dict] = field(default_factory=list)
    unmatched: list[dict] = field(default_factory=list)
    mismatched: list[dict] = field(default_factory=list)
    already_paid: list[dict] = field(default_factory=list)


def bank_statement_import(*, data: bytes | str, by) -> StatementReport:
    """Match a bank statement CSV (columns date, amount, reference) on order number and amount.

    A line whose reference names an order awaiting payment with exactly that amount marks it
    paid (through ``order_mark_paid``); the others are reported, never guessed at.
    """
    import re

    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    reader = csv.DictReader(io.StringIO(text))
    report = StatementReport()
    for number, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        entry = {
            "row": number,
            "date": row.get("date", ""),
            "amount": row.get("amount", ""),
            "reference": row.get("reference", ""),
        }
        match = re.search(r"SD-\d{4}-\d{6}", entry["reference"].upper())
        try:
            amount = int(entry["amount"].replace(",", "").replace("¥", ""))
        except ValueError:
            amount = None
        order = Order.objects.filter(number=match.group(0)).first() if match else None
        if order is None or amount is None:
            report.unmatched.append(entry)
            continue
        entry["order"] = order.number
        if order.status in (Order.Status.PAID, Order.Status.FULFILLED):
            report.already_paid.append(entry)
            continue
        if amount != order.total or order.status != Order.Status.AWAITING_PAYMENT:
            entry["expected"] = order.total
            report.mismatched.append(entry)
            continue
        reference = f"statement:{entry['date']}:{order.number}:{amount}"
        order_mark_paid(
            order=order, provider=Order.PaymentMethod.BANK_TRANSFER, amount=amount, reference=reference, by=by
        )
        report.matched.append(entry)
    return report


# --- Invoices --------------------------------------------------------------------------


def _invoice_lines(lines) -> list[dict]:
    out = []
    for line in lines:
        out.append(
            {
                "title": line.title,
                "dataset": line.dataset.slug,
                "version": line.version.number,
                "edition": line.edition,
                "rate": 10,
                "amount": line.price,
            }
        )
    return out


def _totals(lines: list[dict]) -> dict:
    return {
        str(b.rate_percent): {"total": b.total_incl_tax, "tax": b.tax, "net": b.net}
        for b in invoice_tax([(line["amount"], line["rate"]) for line in lines])
    }


def _invoice_create(*, order: Order, kind: str, lines: list[dict], credits: Invoice | None = None) -> Invoice:
    from licensing import invoices as rendering

    totals = _totals(lines)
    prefix = "INV" if kind == Invoice.Kind.INVOICE else "CN"
    invoice = Invoice.objects.create(
        number=number_next(kind=kind, prefix=prefix),
        kind=kind,
        order=order,
        issued_at=timezone.now(),
        issuer_registration_number=settings.STOCKDATA_INVOICE_REGISTRATION_NUMBER,
        buyer_name=order.billing_name,
        buyer_address=order.billing_address,
        buyer_registration_number=order.billing_registration_number,
        lines=lines,
        totals=totals,
        total=sum(t["total"] for t in totals.values()),
        tax=sum(t["tax"] for t in totals.values()),
        credits=credits,
    )
    pdf = rendering.invoice_pdf(invoice)
    name = private_storage().save(f"invoices/{invoice.issued_at.year}/{invoice.number}.pdf", ContentFile(pdf))
    invoice.pdf.name = name
    invoice.save(update_fields=["pdf"])
    return invoice


def invoice_issue(*, order: Order) -> Invoice:
    """Issue the order's qualified invoice once (gapless INV number, PDF stored); a second
    call returns the stored one unchanged."""
    existing = order.invoices.filter(kind=Invoice.Kind.INVOICE).first()
    if existing is not None:
        return existing
    lines = order.lines.select_related("dataset", "version").order_by("id")
    return _invoice_create(order=order, kind=Invoice.Kind.INVOICE, lines=_invoice_lines(lines))


def credit_note_issue(*, invoice: Invoice, lines) -> Invoice:
    """A credit note for refunded lines: negative amounts, referencing the invoice."""
    credit_lines = [{**entry, "amount": -entry["amount"]} for entry in _invoice_lines(lines)]
    return _invoice_create(order=invoice.order, kind=Invoice.Kind.CREDIT_NOTE, lines=credit_lines, credits=invoice)


# --- Provision records -----------------------------------------------------------------


def retain_until_for(provided_on: date) -> date:
    try:
        return provided_on.replace(year=provided_on.year + RETENTION_YEARS)
    except ValueError:  # 29 February
        return provided_on.replace(year=provided_on.year + RETENTION_YEARS, day=28)


PROVIDED_FIELDS = ["image", "file_name", "width", "height", "tags", "attributes", "subjects", "boxes"]


def _subject_key(item: DatasetVersionItem, subject: dict) -> str:
    # Versions frozen from real releases carry the pseudonymous subject id; a subject
    # without one is identified by photo and position (still pseudonymous).
    return subject.get("subject_id") or f"{item.photo_id}-{subject.get('position', 0)}"


def provision_records_create(*, line: OrderLine) -> int:
    """APPI third-party provision record: one row per subject of the version sold on this
    line, naming the recipient, the files and data provided and the consent basis.
    Idempotent: a line's records are created once."""
    if ProvisionRecord.objects.filter(order_line=line).exists():
        return 0
    order = line.order
    today = timezone.localdate()
    per_subject: dict[str, dict] = {}
    items = (
        DatasetVersionItem.objects.filter(version_id=line.version_id)
        .only("id", "photo_id", "file_name", "subjects", "position")
        .order_by("position")
    )
    for item in items:
        for subject in item.subjects or []:
            key = _subject_key(item, subject)
            entry = per_subject.setdefault(key, {"files": [], "release_id": subject.get("release_id"), "scopes": set()})
            entry["files"].append(item.file_name)
            entry["scopes"].update(subject.get("scopes") or [])
            if entry["release_id"] is None:
                entry["release_id"] = subject.get("release_id")
    from licensing.models import ModelRelease

    release_ids = {e["release_id"] for e in per_subject.values() if e["release_id"]}
    releases = {r.pk: r for r in ModelRelease.objects.filter(pk__in=release_ids).only("id", "uuid")}
    records = []
    for key, entry in sorted(per_subject.items()):
        release = releases.get(entry["release_id"])
        records.append(
            ProvisionRecord(
                order_line=line,
                release=release,
                subject_id=key[:20],
                provided_on=today,
                recipient_name=order.billing_name,
                recipient_address=order.billing_address,
                dataset_title=line.dataset.title_en[:200],
                dataset_version=line.version.number,
                items={
                    "files": entry["files"],
                    "fields": PROVIDED_FIELDS,
                    "edition": line.edition,
                    "order": order.number,
                },
                consent_basis={
                    "release_id": entry["release_id"],
                    "release_uuid": str(release.uuid) if release else None,
                    "scopes": sorted(entry["scopes"]),
                },
                retain_until=retain_until_for(today),
            )
        )
    ProvisionRecord.objects.bulk_create(records, batch_size=500)
    return len(records)

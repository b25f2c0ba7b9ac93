"""Qualified invoices and credit notes: numbered without gaps, rendered once, stored privately."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.utils import timezone

from licensing.commerce import documents
from licensing.commerce.models import Invoice, Order
from licensing.commerce.services.numbers import number_next
from stockdata.company import company
from stockdata.money import invoice_tax
from stockdata.storage import private_storage


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
    totals = _totals(lines)
    issuer = company()
    prefix = "INV" if kind == Invoice.Kind.INVOICE else "CN"
    invoice = Invoice.objects.create(
        number=number_next(kind=kind, prefix=prefix),
        kind=kind,
        order=order,
        issued_at=timezone.now(),
        issuer_registration_number=issuer.registration_number,
        issuer=issuer.issuer_snapshot(),
        buyer_name=order.billing_name,
        buyer_address=order.billing_address,
        buyer_registration_number=order.billing_registration_number,
        lines=lines,
        totals=totals,
        total=sum(t["total"] for t in totals.values()),
        tax=sum(t["tax"] for t in totals.values()),
        credits=credits,
    )
    pdf = documents.invoice_pdf(invoice)
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

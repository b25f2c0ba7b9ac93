"""Qualified invoices and credit notes: numbered without gaps, rendered once, stored privately."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Dataset, Edition
from licensing.commerce import documents
from licensing.commerce.models import Invoice, Order
from licensing.commerce.selectors import order_line_taxes
from licensing.commerce.services.numbers import number_next
from stockdata.company import company
from stockdata.money import LineTax, tax_breakdown_of
from stockdata.storage import private_storage


def line_title(dataset: Dataset, version, edition: str, *, upgrade: bool = False) -> str:
    """An order line's item name, as the quotation, the invoice and the receipt print it."""
    label = Edition(edition).label
    if upgrade:
        label = _("%(edition)s, upgrade from the unedited edition") % {"edition": label}
    return f"{dataset.title_ja} / {dataset.title_en} v{version.number} ({label})"


def _invoice_lines(lines, shares: dict[int, LineTax]) -> list[dict]:
    """The document's lines: each order line with its share of the tax (``order_line_taxes``)."""
    return [
        {
            "title": line.title,
            "dataset": line.dataset.slug,
            "version": line.version.number,
            "edition": line.edition,
            "rate": shares[line.pk].rate_percent,
            "amount": shares[line.pk].amount,
            "tax": shares[line.pk].tax,
            "net": shares[line.pk].net,
        }
        for line in lines
    ]


def _totals(lines: list[dict]) -> dict:
    """Per rate, the sums of the lines' amounts and tax shares: on an invoice that is the tax
    computed once on the rate's total; on a credit note, exactly what the refunded lines carried."""
    shares = [LineTax(amount=e["amount"], rate_percent=e["rate"], tax=e["tax"], net=e["net"]) for e in lines]
    return {
        str(b.rate_percent): {"total": b.total_incl_tax, "tax": b.tax, "net": b.net} for b in tax_breakdown_of(shares)
    }


def _invoice_create(*, order: Order, kind: str, lines: list[dict], credits: Invoice | None = None) -> Invoice:
    """Number the document, draw its PDF from the unsaved row, store the PDF, then write the row
    complete: an invoice is never saved twice."""
    totals = _totals(lines)
    issuer = company()
    prefix = "INV" if kind == Invoice.Kind.INVOICE else "CN"
    invoice = Invoice(
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
    invoice.pdf.name = private_storage().save(
        f"invoices/{invoice.issued_at.year}/{invoice.number}.pdf", ContentFile(pdf)
    )
    invoice.save()
    return invoice


def invoice_issue(*, order: Order) -> Invoice:
    """Issue the order's qualified invoice once (gapless INV number, PDF stored): its tax is
    computed once per rate and each line states its share; a second call returns the stored
    one unchanged."""
    existing = order.invoices.filter(kind=Invoice.Kind.INVOICE).first()
    if existing is not None:
        return existing
    lines = order.lines.select_related("dataset", "version").order_by("id")
    shares = order_line_taxes(order_id=order.pk)
    return _invoice_create(order=order, kind=Invoice.Kind.INVOICE, lines=_invoice_lines(lines, shares))


def credit_note_issue(*, invoice: Invoice, lines) -> Invoice:
    """A credit note for refunded lines, referencing the invoice: each line as the invoice stated
    it (amount, tax share, net), negated and not rounded again (``stockdata.money``)."""
    shares = {pk: share.reversed() for pk, share in order_line_taxes(order_id=invoice.order_id).items()}
    credit_lines = _invoice_lines(lines, shares)
    return _invoice_create(order=invoice.order, kind=Invoice.Kind.CREDIT_NOTE, lines=credit_lines, credits=invoice)

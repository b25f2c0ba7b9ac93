"""Rendering of qualified invoices and credit notes (適格請求書): HTML context and PDF.

The PDF is drawn once, when the invoice is issued, from the invoice row's snapshot
(never from the live order) and stored in private storage; downloads serve that file.
Japanese and English side by side, with reportlab's built-in CID font, so no font files
are needed.
"""

from __future__ import annotations

import io

from licensing.commerce.models import Invoice
from stockdata.money import format_yen

FONT = "HeiseiKakuGo-W5"


def invoice_issuer(invoice: Invoice) -> dict:
    """The issuer as the invoice recorded it at issue: one bilingual name, address lines, contact."""
    issuer = invoice.issuer
    contact = " / ".join(value for value in (issuer.get("email"), issuer.get("phone")) if value)
    return {
        "name": f"{issuer['name_ja']} / {issuer['name_en']}",
        "address_lines": [issuer["address_ja"], issuer["address_en"]],
        "contact": contact,
    }


def invoice_context(invoice: Invoice) -> dict:
    """What both the HTML twin and the PDF show, from the stored snapshot only."""
    credit = invoice.kind == Invoice.Kind.CREDIT_NOTE
    return {
        "invoice": invoice,
        "credit": credit,
        "title_ja": "適格返還請求書（返品・値引き）" if credit else "適格請求書",
        "title_en": "Credit note" if credit else "Invoice",
        "issuer": invoice_issuer(invoice),
        "lines": [{**line, "amount_display": format_yen(line["amount"])} for line in invoice.lines],
        "totals": [
            {"rate": rate, "total": format_yen(v["total"]), "tax": format_yen(v["tax"]), "net": format_yen(v["net"])}
            for rate, v in sorted(invoice.totals.items())
        ],
        "total_display": format_yen(invoice.total),
        "tax_display": format_yen(invoice.tax),
    }


def invoice_pdf(invoice: Invoice) -> bytes:
    """An A4 PDF of the invoice (one page for up to ~30 lines, more pages beyond)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    ctx = invoice_context(invoice)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)  # invariant: same content, same bytes
    pdf.setTitle(f"{ctx['title_en']} {invoice.number}")
    width, height = A4
    left, right = 20 * mm, width - 20 * mm
    y = height - 25 * mm

    def text(x, value, size=10, align="left"):
        pdf.setFont(FONT, size)
        if align == "right":
            pdf.drawRightString(x, y, value)
        else:
            pdf.drawString(x, y, value)

    text(left, f"{ctx['title_ja']} / {ctx['title_en']}", 16)
    y -= 10 * mm
    text(left, f"番号 / No.: {invoice.number}")
    text(right, f"発行日 / Date: {invoice.issued_at:%Y-%m-%d}", align="right")
    y -= 6 * mm
    text(left, f"注文番号 / Order: {invoice.order.number}")
    if invoice.credits_id:
        text(right, f"対象請求書 / Credits invoice: {invoice.credits.number}", align="right")
    y -= 10 * mm
    text(left, f"{invoice.buyer_name} 御中", 12)
    y -= 6 * mm
    for part in invoice.buyer_address.splitlines()[:3]:
        text(left, part, 9)
        y -= 5 * mm
    if invoice.buyer_registration_number:
        text(left, f"登録番号 / Registration No.: {invoice.buyer_registration_number}", 9)
        y -= 5 * mm
    y -= 4 * mm
    text(left, f"発行者 / Issuer: {ctx['issuer']['name']}", 9)
    y -= 5 * mm
    for part in ctx["issuer"]["address_lines"]:
        text(left, part, 9)
        y -= 5 * mm
    if ctx["issuer"]["contact"]:
        text(left, ctx["issuer"]["contact"], 9)
        y -= 5 * mm
    text(left, f"登録番号 / Registration No.: {invoice.issuer_registration_number}", 10)
    y -= 10 * mm
    text(left, "品目 / Item", 9)
    text(right - 30 * mm, "税率 / Rate", 9, align="right")
    text(right, "金額（税込）/ Amount (tax incl.)", 9, align="right")
    y -= 3 * mm
    pdf.line(left, y, right, y)
    y -= 6 * mm
    for line in ctx["lines"]:
        if y < 40 * mm:
            pdf.showPage()
            y = height - 25 * mm
        text(left, line["title"][:70], 8)
        text(right - 30 * mm, f"{line['rate']}%", 9, align="right")
        text(right, line["amount_display"], 9, align="right")
        y -= 6 * mm
    pdf.line(left, y + 3 * mm, right, y + 3 * mm)
    y -= 4 * mm
    for row in ctx["totals"]:
        text(left, f"{row['rate']}%対象 / Subject to {row['rate']}%: {row['total']}", 10)
        y -= 6 * mm
        text(left, f"（うち消費税 / of which consumption tax {row['rate']}%: {row['tax']}）", 10)
        y -= 6 * mm
    y -= 2 * mm
    text(left, f"合計（税込）/ Total (tax included): {ctx['total_display']}", 12)
    y -= 7 * mm
    text(left, f"消費税額合計 / Consumption tax: {ctx['tax_display']}", 10)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()

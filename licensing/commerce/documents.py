"""Rendering of the buyer's documents: qualified invoices and credit notes (適格請求書),
quotations (見積書) and receipts (領収書) -- HTML context and PDF.

Each PDF is drawn once, when the document is issued, from the row's snapshot (never from
the live order or cart) and stored in private storage; downloads serve that file.
Japanese and English side by side, with reportlab's built-in CID font, so no font files
are needed. The layout is reportlab's platypus: the items are a table whose cells wrap
(an item name is never cut), whose header repeats on every page, and which flows onto as
many pages as it needs; the totals follow the last item and are kept together, so they are
always on the last page.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from licensing.commerce.models import Invoice, LicenceTerms, Quotation, Receipt
from stockdata.money import format_yen

FONT = "HeiseiKakuGo-W5"

#: The items table's columns (points): rate, tax share and amount on the right, the item's
#: name in what is left of the A4 width between 20 mm margins.
MARGIN = 20 * 72 / 25.4
RATE_WIDTH, TAX_WIDTH, AMOUNT_WIDTH = (w * 72 / 25.4 for w in (18, 28, 32))
A4_WIDTH = 595.2755905511812
ITEM_COLUMN = (MARGIN, A4_WIDTH - MARGIN - RATE_WIDTH - TAX_WIDTH - AMOUNT_WIDTH)


def invoice_issuer(invoice: Invoice | Quotation | Receipt) -> dict:
    """The issuer as the document recorded it at issue: one bilingual name, address lines, contact."""
    issuer = invoice.issuer
    contact = " / ".join(value for value in (issuer.get("email"), issuer.get("phone")) if value)
    return {
        "name": f"{issuer['name_ja']} / {issuer['name_en']}",
        "address_lines": [issuer["address_ja"], issuer["address_en"]],
        "contact": contact,
    }


def _lines(lines: list[dict]) -> list[dict]:
    return [{**line, "amount_display": format_yen(line["amount"])} for line in lines]


def _totals(totals: dict) -> list[dict]:
    return [
        {"rate": rate, "total": format_yen(v["total"]), "tax": format_yen(v["tax"]), "net": format_yen(v["net"])}
        for rate, v in sorted(totals.items(), key=lambda item: int(item[0]))
    ]


def invoice_context(invoice: Invoice) -> dict:
    """What both the HTML twin and the PDF show, from the stored snapshot only."""
    credit = invoice.kind == Invoice.Kind.CREDIT_NOTE
    return {
        "invoice": invoice,
        "credit": credit,
        "title_ja": "適格返還請求書（返品・値引き）" if credit else "適格請求書",
        "title_en": "Credit note" if credit else "Invoice",
        "issuer": invoice_issuer(invoice),
        "lines": _lines(invoice.lines),
        "totals": _totals(invoice.totals),
        "total_display": format_yen(invoice.total),
        "tax_display": format_yen(invoice.tax),
    }


def quotation_context(quotation: Quotation) -> dict:
    return {
        "quotation": quotation,
        "title_ja": "御見積書",
        "title_en": "Quotation",
        "issuer": invoice_issuer(quotation),
        "lines": _lines(quotation.lines),
        "totals": _totals(quotation.totals),
        "total_display": format_yen(quotation.total),
        "tax_display": format_yen(quotation.tax),
    }


def receipt_context(receipt: Receipt) -> dict:
    return {
        "receipt": receipt,
        "title_ja": "領収書",
        "title_en": "Receipt",
        "issuer": invoice_issuer(receipt),
        "lines": _lines(receipt.lines),
        "totals": _totals(receipt.totals),
        "total_display": format_yen(receipt.amount),
        "tax_display": format_yen(receipt.tax),
    }


# --- PDF -----------------------------------------------------------------------------------


@dataclass
class Layout:
    """One document as the PDF lays it out: a title, facts, two parties, items and totals."""

    title: str
    number: str
    facts: list[tuple[str, str]]  # (label, value) pairs under the title, e.g. 番号 / No.
    addressee: str
    addressee_lines: list[str]
    issuer: dict
    issuer_registration_number: str
    lines: list[dict]
    totals: list[dict]
    total_label: str
    total_display: str
    tax_display: str
    lead: list[str] = field(default_factory=list)  # big statements above the items (receipt's amount)
    notes: list[str] = field(default_factory=list)  # after the totals


def _font():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def layout_pdf(layout: Layout) -> bytes:
    """An A4 PDF of *layout*: the items table wraps names, repeats its header on each page and
    flows onto further pages; the totals come after the last item, kept together."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _font()
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=12, wordWrap="CJK")
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=10.5)
    right = ParagraphStyle("right", parent=base, alignment=TA_RIGHT)
    head = ParagraphStyle("head", parent=small, textColor=colors.HexColor("#333333"))
    head_right = ParagraphStyle("head_right", parent=head, alignment=TA_RIGHT)
    title = ParagraphStyle("title", parent=base, fontSize=16, leading=20, spaceAfter=6)
    big = ParagraphStyle("big", parent=base, fontSize=13, leading=18)
    addressee = ParagraphStyle("addressee", parent=base, fontSize=12, leading=16)

    def p(text: str, style=base) -> Paragraph:
        return Paragraph(escape(text), style)

    width = A4[0] - 40 * mm
    story = [p(layout.title, title)]
    facts = [[p(label, small), p(value, small)] for label, value in layout.facts]
    if facts:
        table = Table(facts, colWidths=[45 * mm, width - 45 * mm])
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        story += [table, Spacer(1, 4 * mm)]
    story.append(p(layout.addressee, addressee))
    story += [p(line, small) for line in layout.addressee_lines]
    story.append(Spacer(1, 4 * mm))
    story += [p(text, big if index == 0 else base) for index, text in enumerate(layout.lead)]
    if layout.lead:
        story.append(Spacer(1, 3 * mm))
    issuer = layout.issuer
    story.append(p(f"発行者 / Issuer: {issuer['name']}", small))
    story += [p(line, small) for line in issuer["address_lines"]]
    if issuer["contact"]:
        story.append(p(issuer["contact"], small))
    story.append(p(f"登録番号 / Registration No.: {layout.issuer_registration_number}", base))
    story.append(Spacer(1, 5 * mm))

    rate_w, tax_w, amount_w = RATE_WIDTH, TAX_WIDTH, AMOUNT_WIDTH
    rows = [
        [
            p("品目 / Item", head),
            Paragraph("税率<br/>Rate", head_right),
            Paragraph("うち消費税<br/>Tax included", head_right),
            Paragraph("金額（税込）<br/>Amount (tax incl.)", head_right),
        ]
    ]
    for line in layout.lines:
        rows.append(
            [
                p(line["title"], small),
                p(f"{line['rate']}%", right),
                p(format_yen(line["tax"]), right),
                p(line["amount_display"], right),
            ]
        )
    items = Table(rows, colWidths=[width - rate_w - tax_w - amount_w, rate_w, tax_w, amount_w], repeatRows=1)
    items.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#999999")),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    story += [items, Spacer(1, 4 * mm)]

    totals = []
    for row in layout.totals:
        totals.append(p(f"{row['rate']}%対象 / Subject to {row['rate']}%: {row['total']}", base))
        totals.append(p(f"（うち消費税 / of which consumption tax {row['rate']}%: {row['tax']}）", base))
    totals.append(Spacer(1, 2 * mm))
    totals.append(p(f"{layout.total_label}: {layout.total_display}", big))
    totals.append(p(f"消費税額合計 / Consumption tax: {layout.tax_display}", base))
    if layout.notes:
        totals.append(Spacer(1, 3 * mm))
        totals += [p(note, small) for note in layout.notes]
    story.append(KeepTogether(totals))

    def later_page(canvas, doc):
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawString(20 * mm, A4[1] - 12 * mm, f"{layout.number} — {doc.page}ページ / page {doc.page}")
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=layout.title,
        invariant=1,  # same content, same bytes
    )
    doc.build(story, onLaterPages=later_page)
    return buffer.getvalue()


def invoice_pdf(invoice: Invoice) -> bytes:
    """An A4 PDF of the invoice or credit note, as many pages as its lines need."""
    ctx = invoice_context(invoice)
    facts = [
        ("番号 / No.", invoice.number),
        ("発行日 / Date", f"{invoice.issued_at:%Y-%m-%d}"),
        ("注文番号 / Order", invoice.order.number),
    ]
    if invoice.credits_id:
        facts.append(("対象請求書 / Credits invoice", invoice.credits.number))
    buyer_lines = invoice.buyer_address.splitlines()
    if invoice.buyer_registration_number:
        buyer_lines.append(f"登録番号 / Registration No.: {invoice.buyer_registration_number}")
    return layout_pdf(
        Layout(
            title=f"{ctx['title_ja']} / {ctx['title_en']}",
            number=invoice.number,
            facts=facts,
            addressee=f"{invoice.buyer_name} 御中",
            addressee_lines=buyer_lines,
            issuer=ctx["issuer"],
            issuer_registration_number=invoice.issuer_registration_number,
            lines=ctx["lines"],
            totals=ctx["totals"],
            total_label="合計（税込）/ Total (tax included)",
            total_display=ctx["total_display"],
            tax_display=ctx["tax_display"],
        )
    )


def quotation_pdf(quotation: Quotation) -> bytes:
    """An A4 PDF of the quotation: its number, validity, issuer with registration number, items, tax per rate."""
    ctx = quotation_context(quotation)
    buyer_lines = quotation.buyer_address.splitlines()
    if quotation.buyer_registration_number:
        buyer_lines.append(f"登録番号 / Registration No.: {quotation.buyer_registration_number}")
    return layout_pdf(
        Layout(
            title=f"{ctx['title_ja']} / {ctx['title_en']}",
            number=quotation.number,
            facts=[
                ("見積番号 / No.", quotation.number),
                ("発行日 / Date", f"{quotation.issued_at:%Y-%m-%d}"),
                ("有効期限 / Valid until", f"{quotation.valid_until:%Y-%m-%d}"),
                ("依頼者 / Requested by", quotation.requested_by_email),
            ],
            addressee=f"{quotation.buyer_name} 御中",
            addressee_lines=buyer_lines,
            issuer=ctx["issuer"],
            issuer_registration_number=quotation.issuer_registration_number,
            lines=ctx["lines"],
            totals=ctx["totals"],
            total_label="御見積金額（税込）/ Quoted total (tax included)",
            total_display=ctx["total_display"],
            tax_display=ctx["tax_display"],
            notes=[
                "下記のとおり御見積申し上げます。有効期限内にこの見積番号でご注文いただくと、同じ価格でお受けします。",
                "Orders placed with this quotation number before it expires are accepted at these prices.",
            ],
        )
    )


def receipt_pdf(receipt: Receipt) -> bytes:
    """An A4 PDF of the receipt: the amount received, when and how (a card's brand), for which order."""
    ctx = receipt_context(receipt)
    return layout_pdf(
        Layout(
            title=f"{ctx['title_ja']} / {ctx['title_en']}",
            number=receipt.number,
            facts=[
                ("番号 / No.", receipt.number),
                ("発行日 / Date", f"{receipt.issued_at:%Y-%m-%d}"),
                ("受領日 / Received on", f"{receipt.received_at:%Y-%m-%d}"),
                ("注文番号 / Order", receipt.order.number),
                ("請求書 / Invoice", receipt.invoice_number or "—"),
                ("お支払方法 / Paid by", receipt.payment_description),
            ],
            addressee=f"{receipt.buyer_name} 様",
            addressee_lines=[],
            issuer=ctx["issuer"],
            issuer_registration_number=receipt.issuer_registration_number,
            lead=[
                f"金額 / Amount: {ctx['total_display']}（税込 / tax included）",
                "但し、データセット利用許諾料として上記正に領収いたしました。",
                "Received with thanks, for the dataset licences listed below.",
            ],
            lines=ctx["lines"],
            totals=ctx["totals"],
            total_label="領収金額（税込）/ Amount received (tax included)",
            total_display=ctx["total_display"],
            tax_display=ctx["tax_display"],
        )
    )


def licence_pdf(licence: LicenceTerms) -> bytes:
    """A licence version as an A4 PDF: its code and date, then the Japanese and the English text
    in full (the text of a version never changes, so neither does its PDF)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    _font()
    body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=14, wordWrap="CJK", spaceAfter=4)
    heading = ParagraphStyle("heading", parent=body, fontSize=14, leading=19, spaceAfter=6)
    meta = ParagraphStyle("meta", parent=body, fontSize=8.5, leading=12)

    def paragraphs(text: str) -> list:
        return [Paragraph(escape(part).replace("\n", "<br/>"), body) for part in text.split("\n\n") if part.strip()]

    facts = f"{licence.code} — 施行日 / In force from {licence.effective_from:%Y-%m-%d}"
    story = [Paragraph(escape(licence.title_ja), heading), Paragraph(escape(facts), meta), Spacer(1, 4 * mm)]
    story += paragraphs(licence.body_ja)
    story += [PageBreak(), Paragraph(escape(licence.title_en), heading), Paragraph(escape(facts), meta)]
    story += [Spacer(1, 4 * mm), *paragraphs(licence.body_en)]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=f"{licence.title_en} ({licence.code})",
        invariant=1,
    )
    doc.build(story)
    return buffer.getvalue()

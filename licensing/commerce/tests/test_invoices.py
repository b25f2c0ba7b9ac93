"""Qualified invoices: gapless numbers, per-rate totals and tax, stored once, Japanese and English."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from catalog.models import Edition
from catalog.tests.factories import DatasetFactory
from licensing.commerce import services
from licensing.commerce.tests.test_orders import buy
from licensing.models import Invoice
from stockdata.accounts.tests.factories import BuyerFactory, ContributorFactory
from stockdata.company import DEMO_COMPANY
from stockdata.storage import private_storage
from stockdata.tests.production_env import COMPANY

pytestmark = pytest.mark.django_db


def paid(order):
    services.order_mark_paid(order=order, provider="bank_transfer", amount=order.total)
    return order.invoices.get(kind=Invoice.Kind.INVOICE)


def big_order(buyer):
    services.cart_add(user=buyer, dataset=DatasetFactory(version__photos=1), edition=Edition.UNEDITED)
    for _ in range(11):
        services.cart_add(
            user=buyer, dataset=DatasetFactory(version__photos=1, version__annotated=True), edition=Edition.ANNOTATED
        )
    from licensing.commerce.tests.test_orders import place

    return place(buyer)


def pdf_text(invoice) -> tuple[str, int]:
    with private_storage().open(invoice.pdf.name, "rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


def test_invoice_numbers_are_gapless(settings):
    buyer = BuyerFactory()
    numbers = [paid(buy(buyer, DatasetFactory(version__photos=1))).number for _ in range(3)]
    assert [n.split("-")[0] for n in numbers] == ["INV"] * 3
    assert [n[-6:] for n in numbers] == ["000001", "000002", "000003"]


def test_invoice_totals_tax_once_per_rate_and_the_pdf_shows_them(settings):
    settings.STOCKDATA_COMPANY = COMPANY
    invoice = paid(big_order(BuyerFactory()))
    assert invoice.totals == {"10": {"total": 1_914_000, "tax": 174_000, "net": 1_740_000}}
    assert (invoice.total, invoice.tax) == (1_914_000, 174_000)
    text, pages = pdf_text(invoice)
    assert pages == 1
    assert "T9876543210987" in text
    assert "¥1,914,000" in text and "¥174,000" in text
    assert invoice.number in text and "10%" in text


def test_invoice_html_twin_has_the_exact_numbers(client):
    buyer = BuyerFactory()
    invoice = paid(buy(buyer, DatasetFactory(version__photos=1, version__annotated=True), edition=Edition.ANNOTATED))
    client.force_login(buyer)
    page = client.get(reverse("licensing:invoice", args=[invoice.number])).content.decode()
    assert 'data-testid="invoice-total">¥165,000<' in page
    assert 'data-testid="invoice-tax">¥15,000<' in page
    assert "適格請求書" in page and "Invoice" in page
    assert f'data-testid="registration-number">{invoice.issuer_registration_number}<' in page


def test_an_invoice_is_issued_once_and_served_from_storage(client):
    buyer = BuyerFactory()
    order = buy(buyer, DatasetFactory(version__photos=1))
    invoice = paid(order)
    assert services.invoice_issue(order=order).pk == invoice.pk
    with private_storage().open(invoice.pdf.name, "rb") as handle:
        stored = handle.read()
    client.force_login(buyer)
    response = client.get(reverse("licensing:invoice_pdf", args=[invoice.number]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == stored
    assert Invoice.objects.count() == 1


def test_another_buyer_cannot_see_an_invoice(client):
    invoice = paid(buy(BuyerFactory(), DatasetFactory(version__photos=1)))
    for outsider in (BuyerFactory(), ContributorFactory()):
        client.force_login(outsider)
        assert client.get(reverse("licensing:invoice", args=[invoice.number])).status_code == 404
        assert client.get(reverse("licensing:invoice_pdf", args=[invoice.number])).status_code == 404
    client.force_login(BuyerFactory())
    assert client.get(f"/api/v1/invoices/{invoice.number}/").status_code == 404


def test_the_api_returns_the_organisations_invoice(client, settings):
    settings.STOCKDATA_COMPANY = DEMO_COMPANY
    buyer = BuyerFactory()
    invoice = paid(buy(buyer, DatasetFactory(version__photos=1)))
    client.force_login(buyer)
    body = client.get(f"/api/v1/invoices/{invoice.number}/").json()
    assert (body["total"], body["tax"], body["totals"]) == (
        99_000,
        9_000,
        {"10": {"total": 99_000, "tax": 9_000, "net": 90_000}},
    )
    assert body["issuer"]["name_ja"] == "株式会社ストックデータ（デモ）"
    assert body["issuer_registration_number"] == "T0000000000000"
    assert [(line["amount"], line["tax"], line["net"]) for line in body["lines"]] == [(99_000, 9_000, 90_000)]


def test_a_refund_issues_a_credit_note_with_negative_amounts():
    buyer = BuyerFactory()
    order = buy(buyer, DatasetFactory(version__photos=1), DatasetFactory(version__photos=1))
    invoice = paid(order)
    note = services.order_line_refund(line=order.lines.first())
    assert note.kind == Invoice.Kind.CREDIT_NOTE and note.credits == invoice
    assert (note.total, note.tax) == (-99_000, -9_000)
    assert note.number.startswith("CN-")
    text, _pages = pdf_text(note)
    assert invoice.number in text and "-¥99,000" in text
    assert services.order_line_refund(line=order.lines.first()) is None  # refunded once


def test_the_invoice_issuer_and_registration_number_come_from_the_company_settings(settings, client):
    settings.STOCKDATA_COMPANY = COMPANY
    buyer = BuyerFactory()
    invoice = paid(buy(buyer, DatasetFactory(version__photos=1)))
    assert invoice.issuer_registration_number == "T9876543210987"
    assert invoice.issuer == {
        "name_ja": "株式会社テスト写真データ",
        "name_en": "Test Photo Data K.K.",
        "address_ja": "〒150-0002 東京都渋谷区渋谷9-9-9",
        "address_en": "9-9-9 Shibuya, Shibuya-ku, Tokyo 150-0002, Japan",
        "email": "billing@photodata.example",
        "phone": "03-9999-1234",
    }
    text, _pages = pdf_text(invoice)
    for value in (
        "発行者 / Issuer: 株式会社テスト写真データ / Test Photo Data K.K.",
        "〒150-0002 東京都渋谷区渋谷9-9-9",
        "9-9-9 Shibuya, Shibuya-ku, Tokyo 150-0002, Japan",
        "billing@photodata.example / 03-9999-1234",
        "登録番号 / Registration No.: T9876543210987",
    ):
        assert value in text
    assert "デモ" not in text and "T0000000000000" not in text

    # The company moves: the issued invoice, page and PDF alike, still shows it as it was.
    settings.STOCKDATA_COMPANY = DEMO_COMPANY
    client.force_login(buyer)
    page = client.get(reverse("licensing:invoice", args=[invoice.number])).content.decode()
    assert (
        'data-testid="issuer">株式会社テスト写真データ / Test Photo Data K.K.<br>〒150-0002 東京都渋谷区渋谷9-9-9'
        "<br>9-9-9 Shibuya, Shibuya-ku, Tokyo 150-0002, Japan<br>billing@photodata.example / 03-9999-1234</dd>"
    ) in page
    assert 'data-testid="registration-number">T9876543210987<' in page
    # ...and the next one is issued by whoever the settings name now.
    later = paid(buy(buyer, DatasetFactory(version__photos=1)))
    assert later.issuer_registration_number == "T0000000000000"
    assert later.issuer["name_ja"] == "株式会社ストックデータ（デモ）"

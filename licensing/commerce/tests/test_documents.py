"""Quotations, invoices and receipts as PDFs a buyer can hand to their accounts department:
read back with the position of every character (pdfplumber), so overlapping text, a cut item
name or totals on the wrong page fail the test."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pdfplumber
import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Dataset, Edition
from catalog.tests.factories import DatasetFactory
from licensing.commerce import documents, payments
from licensing.commerce import services as commerce_services
from licensing.commerce.tests.test_orders import checkout_post, place
from licensing.models import Invoice, Order, Payment, Quotation, Receipt
from stockdata.accounts.tests.factories import BuyerFactory
from stockdata.dates import format_date
from stockdata.errors import ApplicationError
from stockdata.money import format_yen, invoice_tax
from stockdata.storage import private_storage
from stockdata.tests.production_env import COMPANY

pytestmark = pytest.mark.django_db

LONG_EN = (
    "Pedestrians in Tokyo street scenes at dusk, masked and unmasked (Edited for machine learning research) no. {n}"
)
LONG_JA = "夕暮れの東京の街頭を歩く人々、マスクあり・なし（機械学習研究用に編集済み）第{n}集"


# --- reading PDFs back -------------------------------------------------------------------------


def read_pdf(data: bytes) -> list[dict]:
    """Each page's characters (with their boxes), its text, and the text found wholly inside
    the item column below the header (an item name that runs out of its column is not)."""
    pages = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            chars = [c for c in page.chars if c["text"].strip()]
            items = ""
            rate = next(
                (a for a, b in zip(page.chars, page.chars[1:], strict=False) if a["text"] + b["text"] == "税率"), None
            )
            if rate is not None:
                column = (0, rate["bottom"], documents.ITEM_COLUMN[1], page.height)
                items = page.within_bbox(column).extract_text() or ""
            pages.append({"chars": chars, "text": page.extract_text() or "", "items": items})
    return pages


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def overlapping_chars(chars: list[dict], tolerance: float = 0.5) -> list[tuple[str, str]]:
    """Pairs of characters whose boxes overlap by more than *tolerance* points both ways: two
    pieces of text printed on top of each other (neighbours in a word only touch)."""
    found = []
    ordered = sorted(chars, key=lambda c: c["x0"])
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if b["x0"] >= a["x1"] - tolerance:
                break
            vertical = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
            if vertical > tolerance:
                found.append((a["text"], b["text"]))
    return found


def assert_clean(pages: list[dict], titles: list[str], total: int, tax: int) -> None:
    """No text on top of other text, every item name complete, the totals on the last page only."""
    for number, page in enumerate(pages, start=1):
        assert overlapping_chars(page["chars"]) == [], f"overlapping text on page {number}"
    everything = squeeze("".join(page["items"] for page in pages))
    for title in titles:
        assert squeeze(title) in everything, f"item name cut or missing: {title}"
    last = squeeze(pages[-1]["text"])
    assert squeeze(f"{format_yen(total)}") in last
    assert squeeze(f"消費税額合計 / Consumption tax: {format_yen(tax)}") in last
    for page in pages[:-1]:
        assert "消費税額合計" not in page["text"], "totals before the last page"


def stored(document) -> bytes:
    with private_storage().open(document.pdf.name, "rb") as handle:
        return handle.read()


def long_named(n: int, **kwargs) -> Dataset:
    return DatasetFactory(title_en=LONG_EN.format(n=n), title_ja=LONG_JA.format(n=n), version__photos=1, **kwargs)


def twelve_in_cart(buyer) -> list[Dataset]:
    datasets = [long_named(n, version__annotated=True) for n in range(1, 13)]
    for index, dataset in enumerate(datasets):
        edition = Edition.ANNOTATED if index % 3 else Edition.UNEDITED
        commerce_services.cart_add(user=buyer, dataset=dataset, edition=edition)
    return datasets


def paid(order: Order, **kwargs) -> Order:
    commerce_services.order_mark_paid(order=order, provider="bank_transfer", amount=order.total, **kwargs)
    order.refresh_from_db()
    return order


# --- invoice layout ----------------------------------------------------------------------------


def test_invoice_layout_twelve_long_lines_no_overlap_names_whole_totals_last(settings):
    settings.STOCKDATA_COMPANY = COMPANY
    buyer = BuyerFactory()
    twelve_in_cart(buyer)
    order = paid(place(buyer))
    invoice = order.invoices.get(kind=Invoice.Kind.INVOICE)
    pages = read_pdf(stored(invoice))
    titles = list(order.lines.order_by("id").values_list("title", flat=True))
    assert len(titles) == 12 and all(len(title) > 150 for title in titles)
    breakdown = invoice_tax(list(order.lines.values_list("price", flat=True)))
    assert invoice.tax == sum(b.tax for b in breakdown) == order.tax
    assert_clean(pages, titles, invoice.total, invoice.tax)
    first = pages[0]["text"]
    assert "税率" in first and "Rate" in first and "金額（税込）" in first
    assert COMPANY["registration_number"] in first


def test_invoice_layout_headers_do_not_overlap_the_way_they_did():
    """The header row alone: 税率 / Rate and 金額（税込）/ Amount sit in their own columns."""
    buyer = BuyerFactory()
    order = paid(_one_line_order(buyer))
    pages = read_pdf(stored(order.invoices.get()))
    header = [c for c in pages[0]["chars"] if c["text"] in "税率金額込"]
    assert {c["text"] for c in header} >= {"税", "率", "金", "額", "込"}
    assert overlapping_chars(pages[0]["chars"]) == []


def _one_line_order(buyer) -> Order:
    commerce_services.cart_add(user=buyer, dataset=long_named(1), edition=Edition.UNEDITED)
    return place(buyer)


def test_invoice_layout_paginates_forty_lines_with_the_header_on_every_page_and_totals_last():
    buyer = BuyerFactory()
    order = _one_line_order(buyer)
    lines = [
        {
            "title": f"{LONG_JA.format(n=n)} / {LONG_EN.format(n=n)} v1 (Annotated)",
            "rate": 10,
            "amount": 165_000,
            "tax": 15_000,
            "net": 150_000,
        }
        for n in range(1, 41)
    ]
    invoice = Invoice(
        number="INV-2026-999999",
        order=order,
        issued_at=timezone.now(),
        issuer_registration_number="T0000000000000",
        issuer={"name_ja": "株式会社テスト", "name_en": "Test K.K.", "address_ja": "東京", "address_en": "Tokyo"},
        buyer_name="Kansai Institute of Technology",
        buyer_address="1-1 Campus, Osaka",
        lines=lines,
        totals={"10": {"total": 6_600_000, "tax": 600_000, "net": 6_000_000}},
        total=6_600_000,
        tax=600_000,
    )
    pages = read_pdf(documents.invoice_pdf(invoice))
    assert len(pages) >= 3
    for page in pages:
        assert "品目 / Item" in page["text"]
    assert_clean(pages, [line["title"] for line in lines], 6_600_000, 600_000)
    for page in pages[1:]:
        assert "INV-2026-999999" in page["text"]


# --- quotation ---------------------------------------------------------------------------------


def test_quotation_from_the_cart_numbered_valid_30_days_tax_by_the_invoice_rule(settings, client):
    settings.STOCKDATA_COMPANY = COMPANY
    buyer = BuyerFactory()
    twelve_in_cart(buyer)
    client.force_login(buyer)
    response = client.post(reverse("licensing:quotation_create"))
    quotation = Quotation.objects.get()
    assert response.status_code == 302 and response.url == reverse("licensing:quotation", args=[quotation.number])
    assert re.fullmatch(r"QT-\d{4}-000001", quotation.number)
    assert quotation.valid_until == timezone.localdate() + timedelta(days=30)
    assert quotation.issuer_registration_number == COMPANY["registration_number"]
    prices = [line["amount"] for line in quotation.lines]
    breakdown = invoice_tax(prices)
    assert (quotation.total, quotation.tax) == (sum(prices), sum(b.tax for b in breakdown))
    assert sum(line["tax"] for line in quotation.lines) == quotation.tax
    assert Order.objects.count() == 0  # nothing ordered
    assert buyer.cart.lines.count() == 12  # the cart is untouched

    pdf = client.get(reverse("licensing:quotation_pdf", args=[quotation.number]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    pages = read_pdf(b"".join(pdf.streaming_content))
    assert_clean(pages, [line["title"] for line in quotation.lines], quotation.total, quotation.tax)
    text = squeeze(pages[0]["text"])
    for expected in ("御見積書", quotation.number, COMPANY["registration_number"], COMPANY["name_ja"]):
        assert squeeze(expected) in text
    assert squeeze(f"有効期限 / Valid until {quotation.valid_until:%Y-%m-%d}") in text

    page = client.get(reverse("licensing:quotation", args=[quotation.number])).content.decode()
    assert f'data-testid="quotation-total">{format_yen(quotation.total)}<' in page
    assert "?quotation=" + quotation.number in page


def test_quotation_of_another_organisation_is_not_found(client):
    buyer, other = BuyerFactory(), BuyerFactory()
    commerce_services.cart_add(user=buyer, dataset=long_named(1), edition=Edition.UNEDITED)
    quotation = commerce_services.quotation_issue(user=buyer)
    client.force_login(other)
    for name in ("licensing:quotation", "licensing:quotation_pdf"):
        assert client.get(reverse(name, args=[quotation.number])).status_code == 404
    assert client.get(reverse("licensing:checkout") + f"?quotation={quotation.number}").status_code == 404


def test_quotation_of_an_empty_cart_is_refused_with_a_message(client):
    buyer = BuyerFactory()
    client.force_login(buyer)
    response = client.post(reverse("licensing:quotation_create"), follow=True)
    assert Quotation.objects.count() == 0
    assert "Your cart is empty." in response.content.decode()


def test_order_from_quotation_keeps_its_prices_and_lines_even_after_a_price_change(client):
    buyer = BuyerFactory()
    quoted = long_named(1, version__annotated=True)
    commerce_services.cart_add(user=buyer, dataset=quoted, edition=Edition.ANNOTATED)
    quotation = commerce_services.quotation_issue(user=buyer)
    Dataset.objects.filter(pk=quoted.pk).update(price_annotated=200_000)  # the list price goes up
    other = long_named(2)
    commerce_services.cart_add(user=buyer, dataset=other, edition=Edition.UNEDITED)  # not in the quotation
    client.force_login(buyer)
    page = client.get(reverse("licensing:checkout") + f"?quotation={quotation.number}")
    assert page.status_code == 200
    assert f'data-testid="checkout-total">{format_yen(165_000)}<' in page.content.decode()
    response = client.post(reverse("licensing:checkout"), checkout_post(buyer, "q-1", quotation=quotation.number))
    order = Order.objects.get()
    assert response.status_code == 302
    assert order.quotation_id == quotation.pk
    assert [(line.dataset_id, line.edition, line.price) for line in order.lines.all()] == [
        (quoted.pk, Edition.ANNOTATED, 165_000)
    ]
    assert (order.total, order.tax) == (quotation.total, quotation.tax) == (165_000, 15_000)
    detail = client.get(reverse("licensing:order_detail", args=[order.uuid])).content.decode()
    assert f'href="{reverse("licensing:quotation", args=[quotation.number])}"' in detail
    assert list(buyer.cart.lines.values_list("dataset_id", flat=True)) == [other.pk]  # the rest stays
    with pytest.raises(ApplicationError) as refused:
        commerce_services.quotation_check(user=buyer, quotation=quotation)
    assert refused.value.code == "quotation_used"


def test_an_expired_quotation_is_refused_with_a_clear_message(client):
    buyer = BuyerFactory()
    commerce_services.cart_add(user=buyer, dataset=long_named(1), edition=Edition.UNEDITED)
    quotation = commerce_services.quotation_issue(user=buyer)
    expired_on = quotation.valid_until
    client.force_login(buyer)
    day_after = quotation.valid_until + timedelta(days=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "localdate", lambda *a, **k: day_after)
        with pytest.raises(ApplicationError) as refused:
            place(buyer, quotation=quotation)
        response = client.post(reverse("licensing:checkout"), checkout_post(buyer, "q-2", quotation=quotation.number))
    message = f"Quotation {quotation.number} expired on {format_date(expired_on)}; its prices no longer hold."
    assert refused.value.code == "quotation_expired" and message in refused.value.message
    assert response.status_code == 400 and message in response.content.decode()
    assert Order.objects.count() == 0


# --- receipt -----------------------------------------------------------------------------------


def test_receipt_pdf_for_a_bank_transfer_names_amount_date_and_method(settings, client):
    settings.STOCKDATA_COMPANY = COMPANY
    buyer = BuyerFactory()
    twelve_in_cart(buyer)
    order = paid(place(buyer))
    client.force_login(buyer)
    response = client.get(reverse("licensing:receipt_pdf", args=[order.uuid]))
    assert response.status_code == 200
    receipt = Receipt.objects.get(order=order)
    assert re.fullmatch(r"RCP-\d{4}-000001", receipt.number)
    assert (receipt.amount, receipt.tax) == (order.total, order.tax)
    pages = read_pdf(b"".join(response.streaming_content))
    assert_clean(pages, list(order.lines.values_list("title", flat=True)), order.total, order.tax)
    text = squeeze(pages[0]["text"])
    for expected in (
        "領収書",
        receipt.number,
        order.number,
        "銀行振込 / Bank transfer",
        COMPANY["registration_number"],
    ):
        assert squeeze(expected) in text
    assert squeeze(f"金額 / Amount: {format_yen(order.total)}") in text
    # Issued once: a second download serves the same receipt.
    client.get(reverse("licensing:receipt_pdf", args=[order.uuid]))
    assert Receipt.objects.count() == 1


def test_receipt_pdf_of_a_card_payment_names_the_card_brand(settings, client):
    settings.STOCKDATA_DEMO_PAYMENTS = True
    buyer = BuyerFactory()
    commerce_services.cart_add(user=buyer, dataset=long_named(1), edition=Edition.UNEDITED)
    order = place(buyer, payment_method=Order.PaymentMethod.DEMO_CARD)
    payments.DemoCard().pay(order, card_number="3530 1113 3330 0000", by=buyer)
    payment = Payment.objects.get(order=order)
    assert (payment.card_brand, payment.card_last4) == ("jcb", "0000")
    client.force_login(buyer)
    pages = read_pdf(b"".join(client.get(reverse("licensing:receipt_pdf", args=[order.uuid])).streaming_content))
    assert squeeze("デモカード / Demo card (test payment) (JCB **** 0000)") in squeeze(pages[0]["text"])


def test_receipt_pdf_of_a_stripe_payment_takes_the_brand_from_the_charge(monkeypatch):
    import stripe

    buyer = BuyerFactory()
    commerce_services.cart_add(user=buyer, dataset=long_named(1), edition=Edition.UNEDITED)
    order = place(buyer)
    asked = []

    def retrieve(intent_id, **kwargs):  # Stripe's API: the outside world
        asked.append((intent_id, kwargs))
        return {"latest_charge": {"payment_method_details": {"card": {"brand": "visa", "last4": "4242"}}}}

    monkeypatch.setattr(stripe.PaymentIntent, "retrieve", staticmethod(retrieve))
    session = {
        "id": "cs_1",
        "metadata": {"order": order.number},
        "amount_total": order.total,
        "currency": "jpy",
        "payment_status": "paid",
        "payment_intent": "pi_1",
    }
    assert (
        payments.stripe_event_process(
            {"id": "evt_b", "type": "checkout.session.completed", "data": {"object": session}}
        )
        == "paid"
    )
    assert asked == [("pi_1", {"expand": ["latest_charge"]})]
    order.refresh_from_db()
    receipt = commerce_services.receipt_issue(order=order)
    assert receipt.payment_description == "クレジットカード / Card (Visa **** 4242)"
    assert squeeze("(Visa **** 4242)") in squeeze(read_pdf(stored(receipt))[0]["text"])


def test_receipt_pdf_is_refused_for_an_unpaid_order(client):
    buyer = BuyerFactory()
    order = _one_line_order(buyer)
    client.force_login(buyer)
    response = client.get(reverse("licensing:receipt_pdf", args=[order.uuid]), follow=True)
    assert "A receipt is issued once the order is paid." in response.content.decode()
    assert Receipt.objects.count() == 0
    other = BuyerFactory()
    client.force_login(other)
    assert client.get(reverse("licensing:receipt_pdf", args=[paid(order).uuid])).status_code == 404


def test_quotation_of_an_upgrade_prices_the_difference_and_is_refused_once_ownership_changed(client):
    buyer = BuyerFactory()
    dataset = long_named(1, version__annotated=True)
    commerce_services.cart_add(user=buyer, dataset=dataset, edition=Edition.UNEDITED)
    unedited = paid(place(buyer))
    commerce_services.cart_add(user=buyer, dataset=dataset, edition=Edition.ANNOTATED)
    quotation = commerce_services.quotation_issue(user=buyer)
    [line] = quotation.lines
    assert (line["amount"], line["tax"], line["upgrade_from_id"]) == (66_000, 6_000, unedited.lines.get().pk)
    assert "upgrade from the unedited edition" in line["title"]
    # The unedited line is refunded: the quoted upgrade price no longer applies.
    commerce_services.order_line_refund(line=unedited.lines.get())
    with pytest.raises(ApplicationError) as refused:
        place(buyer, quotation=quotation)
    assert refused.value.code == "quotation_stale"
    assert f"changed since quotation {quotation.number} was issued" in refused.value.message
    assert Order.objects.filter(quotation=quotation).count() == 0

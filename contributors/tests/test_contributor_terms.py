"""Contributors are told the terms the ledger pays on: the share, the schedule, the minimum,
the fee and the withholding, from the same settings; one next payout date; statements that
list each sale they pay."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from contributors.models import Payout, RoyaltyEntry
from contributors.services import (
    TOKYO,
    next_payout_date,
    payout_run_start,
    royalties_record_sale,
    transfer_date_for,
)
from contributors.tests.factories import contributor_with_bank, credit, paid_line, version_with_photos
from stockdata.dates import format_date
from stockdata.money import net_of_tax, share_of

TERMS = {
    "STOCKDATA_CONTRIBUTOR_SHARE_BP": 3550,
    "STOCKDATA_PAYOUT_MINIMUM": 8000,
    "STOCKDATA_PAYOUT_TRANSFER_FEE": 250,
    "STOCKDATA_PAYOUT_TRANSFER_DAY": 15,
    "STOCKDATA_NON_RESIDENT_WITHHOLDING_BP": 1500,
}


def period_of(moment) -> str:
    local = timezone.localtime(moment, TOKYO)
    return f"{local.year:04d}-{local.month:02d}"


def shown_terms(html: str) -> None:
    assert "35.5 % of its net price" in html
    assert "on day 15 of the following month" in html
    assert "Balances of at least ¥8,000 are paid" in html
    assert "A bank fee of ¥250 is deducted from each transfer." in html
    assert "10.21 % of the part up to ¥1,000,000 and 20.42 % of the part above; for non-residents 15 %" in html


@pytest.mark.django_db
def test_contributor_terms_at_sign_up_and_on_earnings_are_the_ledgers_own(client, settings):
    for name, value in TERMS.items():
        setattr(settings, name, value)
    shown_terms(client.get("/accounts/signup/contributor/").content.decode())

    alice = contributor_with_bank()
    line = paid_line(version_with_photos({alice: 1}), price=99_000)
    royalties_record_sale(line=line)
    client.force_login(alice)
    earnings = client.get("/portal/earnings/").content.decode()
    shown_terms(earnings)
    # The ledger paid exactly the share the pages state: 35.5 % of the line's net.
    entry = RoyaltyEntry.objects.get(contributor=alice, kind="sale")
    assert entry.share_bp == 3550
    assert entry.amount == share_of(net_of_tax(99_000), percent_bp=3550) == 31_950
    # And the payout uses the same fee and transfer day.
    run = payout_run_start(period=period_of(timezone.now()))
    payout = Payout.objects.get(run=run, contributor=alice)
    assert payout.fee == 250 and run.transfer_date.day == 15


@pytest.mark.django_db
def test_contributor_terms_one_next_payout_date_the_one_the_run_carries(client):
    now = datetime(2026, 12, 7, 12, tzinfo=TOKYO)
    alice, bob = contributor_with_bank(), contributor_with_bank()
    credit(alice, 9_000, at=datetime(2026, 11, 20, tzinfo=TOKYO))  # earned in November
    credit(bob, 9_000, at=datetime(2026, 12, 2, tzinfo=TOKYO))  # earned in December
    # November's run has not been made: it pays Alice on 10 December; Bob's earnings are
    # December's, paid by December's run on 10 January.
    assert next_payout_date(now, contributor_id=alice.pk) == transfer_date_for("2026-11") == date(2026, 12, 10)
    assert next_payout_date(now, contributor_id=bob.pk) == transfer_date_for("2026-12") == date(2027, 1, 10)
    run = payout_run_start(period="2026-11", now=now)
    assert run.transfer_date == date(2026, 12, 10)
    assert Payout.objects.get(run=run).contributor == alice
    # Once it exists, the next payout is December's for everyone.
    assert next_payout_date(now) == next_payout_date(now, contributor_id=alice.pk) == date(2027, 1, 10)
    # The page and the API (real clock) name the date the function gives for that contributor.
    client.force_login(bob)
    expected = next_payout_date(contributor_id=bob.pk)
    assert f'data-testid="next-payout">{format_date(expected)}<' in client.get("/portal/earnings/").content.decode()
    assert client.get("/api/v1/earnings/balance/").json()["next_payout_date"] == expected.isoformat()


@pytest.mark.django_db
def test_contributor_terms_statement_lists_each_sale_it_pays(client):
    alice = contributor_with_bank()
    now = timezone.now()
    two_months_ago, last_month = now - timedelta(days=62), now - timedelta(days=31)
    small = version_with_photos({alice: 2})
    big = version_with_photos({alice: 3})
    credit(alice, 3_000, at=two_months_ago)  # under the minimum: carried over
    first_run = payout_run_start(period=period_of(two_months_ago), now=last_month)
    assert not Payout.objects.filter(run=first_run, contributor=alice).exists()
    royalties_record_sale(line=paid_line(small, price=99_000, edition="unedited"), at=last_month)
    royalties_record_sale(line=paid_line(big, price=165_000), at=last_month)
    run = payout_run_start(period=period_of(last_month), now=now)
    credit(alice, 2_000)  # after the cut-off: the next statement's
    payout = Payout.objects.get(run=run, contributor=alice)

    client.force_login(alice)
    html = client.get(f"/portal/earnings/payouts/{payout.pk}/").content.decode()
    assert html.count("<tr data-kind=") == 3
    for version in (small, big):
        assert f"{version.dataset.title_en} v{version.number}" in html
    assert "Unedited" in html and "Annotated" in html

    lines = client.get(f"/portal/earnings/payouts/{payout.pk}/csv/").content.decode("utf-8-sig").splitlines()
    assert lines[2] == ""
    assert lines[3] == "date,kind,dataset,version,edition,your_photos,amount"
    sales = [row.split(",") for row in lines[4:]]
    assert len(sales) == 3
    assert sum(int(row[-1]) for row in sales) == payout.gross == 3_000 + 36_000 + 60_000
    assert [(row[4], row[5]) for row in sales][1:] == [("unedited", "2"), ("annotated", "3")]

    pdf = client.get(f"/portal/earnings/payouts/{payout.pk}/pdf/").content
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert big.dataset.title_en in text and small.dataset.title_en in text

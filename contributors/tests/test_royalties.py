"""Royalties: the split adds up to the yen, refunds reverse exactly, the ledger is append-only."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.tests.factories import DatasetFactory
from contributors.models import RoyaltyEntry, SaleSplit
from contributors.selectors import royalty_balance
from contributors.services import royalties_record_sale, royalties_reverse_sale
from contributors.tests.factories import ContributorFactory, paid_line, version_with_photos
from stockdata.append_only import AppendOnlyError
from stockdata.money import net_of_tax, share_of, split_largest_remainder, tax_included

# --- The arithmetic, for any amounts ----------------------------------------------------------


@given(
    price=st.integers(min_value=1, max_value=10**12),
    share_bp=st.integers(min_value=0, max_value=10_000),
    counts=st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=60),
)
@settings(max_examples=400, deadline=None)
def test_split_of_any_sale_is_non_negative_exact_and_within_a_yen(price, share_bp, counts):
    net = net_of_tax(price)
    pool = share_of(net, percent_bp=share_bp)
    platform = net - pool
    weights = {f"c{i}": n for i, n in enumerate(counts)}
    parts = split_largest_remainder(pool, weights)
    assert pool + platform == net
    assert platform >= 0 and pool >= 0
    assert sum(parts.values()) == pool
    total_photos = sum(counts)
    for key, part in parts.items():
        assert part >= 0
        exact = Fraction(pool * weights[key], total_photos)
        assert abs(part - exact) < 1


# --- Through the service --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_paid_line_is_split_by_photo_count_and_the_books_balance():
    alice, bob, carol = ContributorFactory(), ContributorFactory(), ContributorFactory()
    version = version_with_photos({alice: 2, bob: 1, carol: 4})
    line = paid_line(version, price=165_000)

    split = royalties_record_sale(line=line)

    # 165,000 incl. tax -> net 150,000 -> pool 40 % = 60,000 -> 2:1:4 of 60,000.
    assert (split.price, split.tax, split.net, split.pool, split.platform) == (165_000, 15_000, 150_000, 60_000, 90_000)
    entries = {e.contributor_id: e for e in RoyaltyEntry.objects.filter(order_line=line)}
    assert {uid: e.amount for uid, e in entries.items()} == {alice.pk: 17_143, bob.pk: 8_571, carol.pk: 34_286}
    assert sum(e.amount for e in entries.values()) == split.pool
    assert {e.share_bp for e in entries.values()} == {4000}
    assert entries[carol.pk].photo_count == 4 and entries[carol.pk].net_revenue == 150_000
    assert royalty_balance(contributor_id=carol.pk) == 34_286


@pytest.mark.django_db
def test_a_line_is_recorded_once_and_reversed_once():
    alice = ContributorFactory()
    line = paid_line(version_with_photos({alice: 3}), price=99_000)
    royalties_record_sale(line=line)
    royalties_record_sale(line=line)
    assert royalty_balance(contributor_id=alice.pk) == 36_000
    royalties_reverse_sale(line=line)
    royalties_reverse_sale(line=line)
    assert RoyaltyEntry.objects.filter(order_line=line).count() == 2
    assert royalty_balance(contributor_id=alice.pk) == 0
    refund = SaleSplit.objects.get(order_line=line, kind="refund")
    assert (refund.net, refund.pool, refund.platform) == (-90_000, -36_000, -54_000)


@pytest.mark.django_db
def test_the_share_is_stored_on_each_entry_so_a_later_change_never_rewrites_history(settings):
    alice = ContributorFactory()
    settings.STOCKDATA_CONTRIBUTOR_SHARE_BP = 5000
    line = paid_line(version_with_photos({alice: 1}), price=110)
    royalties_record_sale(line=line)
    settings.STOCKDATA_CONTRIBUTOR_SHARE_BP = 4000
    royalties_reverse_sale(line=line)
    amounts = sorted(RoyaltyEntry.objects.filter(order_line=line).values_list("share_bp", "amount"))
    assert amounts == [(5000, -50), (5000, 50)]


@pytest.mark.django_db
def test_ledger_entries_cannot_be_edited_or_deleted():
    alice = ContributorFactory()
    line = paid_line(version_with_photos({alice: 1}))
    royalties_record_sale(line=line)
    entry = RoyaltyEntry.objects.get(contributor=alice)
    entry.amount = 1_000_000
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        RoyaltyEntry.objects.filter(pk=entry.pk).update(amount=1)
    with pytest.raises(AppendOnlyError):
        RoyaltyEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(AppendOnlyError):
        SaleSplit.objects.all().delete()
    assert RoyaltyEntry.objects.get(pk=entry.pk).amount == 60_000


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    price=st.integers(min_value=1, max_value=50_000_000), counts=st.lists(st.integers(1, 30), min_size=1, max_size=5)
)
def test_any_sale_through_the_service_adds_up_and_a_refund_cancels_it(price, counts):
    users = [ContributorFactory() for _ in counts]
    line = paid_line(version_with_photos(dict(zip(users, counts, strict=False))), price=price)
    split = royalties_record_sale(line=line)
    parts = list(RoyaltyEntry.objects.filter(order_line=line).values_list("amount", flat=True))
    assert split.pool + split.platform == split.net == price - split.tax
    assert sum(parts) == split.pool and min(parts) >= 0
    royalties_reverse_sale(line=line)
    assert sum(RoyaltyEntry.objects.filter(order_line=line).values_list("amount", flat=True)) == 0


# --- The revenue report agrees with the invoices ----------------------------------------------------


@pytest.mark.django_db
def test_the_monthly_revenue_reports_tax_equals_the_invoices_tax_for_orders_of_several_lines():
    """Prices not divisible by 11, several lines per order: the invoice rounds its tax once, each
    line's royalties use its share of it, so the report and the invoices agree to the yen, also
    after a line is refunded (the credit note gives back that line's share)."""
    from contributors.selectors import platform_revenue_by_month
    from licensing.commerce import services as commerce
    from licensing.commerce.tests.test_orders import buy
    from licensing.models import Invoice
    from stockdata.accounts.tests.factories import BuyerFactory

    baskets = [[100_000, 100_000], [1_000, 1_000, 1_000], [99_997, 12_345, 54_321, 7_778]]
    assert all(price % 11 for prices in baskets for price in prices)
    orders = []
    for prices in baskets:
        datasets = [DatasetFactory(version__photos=3, price_unedited=price) for price in prices]
        order = buy(BuyerFactory(), *datasets)
        commerce.order_mark_paid(order=order, provider="bank_transfer", amount=order.total)
        orders.append(order)

    def books() -> tuple[int, int]:
        [month] = platform_revenue_by_month()
        invoices = Invoice.objects.all()
        assert month["gross"] == sum(i.total for i in invoices)
        assert month["net"] == sum(i.total - i.tax for i in invoices)
        return month["tax"], sum(i.tax for i in invoices)

    report_tax, invoice_tax_total = books()
    # Invoice tax once per order: 18,181 + 272 + 15,858; taxed line by line it would be 18,180 + 270 + 15,857.
    assert [o.invoices.get().tax for o in orders] == [18_181, 272, 15_858]
    assert sum(tax_included(p) for prices in baskets for p in prices) == 18_180 + 270 + 15_857
    assert report_tax == invoice_tax_total == 18_181 + 272 + 15_858
    first = orders[0].lines.order_by("id").first()
    assert [s.tax for s in SaleSplit.objects.filter(order_line__order=orders[0]).order_by("order_line_id")] == [
        9_091,
        9_090,
    ]
    assert [(line["tax"], line["net"]) for line in orders[0].invoices.get().lines] == [(9_091, 90_909), (9_090, 90_910)]

    commerce.order_line_refund(line=first)
    note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert (note.total, note.tax) == (-100_000, -9_091)
    assert note.lines[0] | {"title": ""} == {
        "title": "",
        "dataset": first.dataset.slug,
        "version": first.version.number,
        "edition": "unedited",
        "rate": 10,
        "amount": -100_000,
        "tax": -9_091,
        "net": -90_909,
    }
    report_tax, invoice_tax_total = books()
    assert report_tax == invoice_tax_total == 9_090 + 272 + 15_858
    # The contributors' royalties on the refunded line came back to the yen.
    assert sum(RoyaltyEntry.objects.filter(order_line=first).values_list("amount", flat=True)) == 0

"""Royalties: the split adds up to the yen, refunds reverse exactly, the ledger is append-only."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contributors.models import AppendOnlyError, RoyaltyEntry, SaleSplit
from contributors.selectors import royalty_balance
from contributors.services import royalties_record_sale, royalties_reverse_sale
from contributors.tests.factories import ContributorFactory, paid_line, version_with_photos
from stockdata.money import net_of_tax, share_of, split_largest_remainder

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

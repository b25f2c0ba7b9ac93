"""Mission bonuses: their own kind of ledger entry, paid when the requesting organisation's line of
the delivered dataset is paid, withheld on at payout, on the statement and in the revenue report,
adding up to the yen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import DatasetVersion, DatasetVersionItem
from contributors.models import Payout, RoyaltyEntry
from contributors.selectors import payout_statement_entries, platform_revenue_by_month, royalty_balance
from contributors.services import payout_run_start
from contributors.tests.factories import contributor_with_bank, paid_line
from licensing.commerce import services
from licensing.commerce.models import DatasetRequest
from licensing.commerce.signals import line_paid
from licensing.commerce.tests.test_dataset_requests import photo_of
from licensing.consent import services as consent_services
from licensing.models import OrderLine
from stockdata.accounts.tests.factories import BuyerFactory, StaffFactory
from stockdata.money import withholding_tax

pytestmark = pytest.mark.django_db


def accepted_request(buyer, *, photo_count: int, bonus: int) -> DatasetRequest:
    request = services.dataset_request_submit(
        user=buyer,
        title="People over 60 wearing masks",
        photo_count=photo_count,
        deadline=timezone.localdate() + timedelta(days=30),
        budget=500_000,
        required_scopes=["ai_training", "biometric"],
        age_bands=["60plus"],
        mask="yes",
    )
    request = services.dataset_request_offer(
        request=request,
        staff=StaffFactory(),
        price=330_000,
        delivery_on=timezone.localdate() + timedelta(days=40),
        bonus_per_photo=bonus,
    )
    services.dataset_request_accept(request=request, user=buyer)
    return DatasetRequest.objects.get(pk=request.pk)


def frozen(dataset, photos) -> DatasetVersion:
    """The version staff froze from the mission's photos (rows, as the royalty factories make them)."""
    version = DatasetVersion.objects.create(
        dataset=dataset, number=1, photo_count=len(photos), content_hash="0" * 64, frozen_by=StaffFactory()
    )
    DatasetVersionItem.objects.bulk_create(
        DatasetVersionItem(
            version=version,
            photo=photo,
            contributor=photo.contributor,
            position=i,
            file_name=f"sd_{i:06d}.jpg",
            sha256=photo.sha256,
            width=photo.width,
            height=photo.height,
        )
        for i, photo in enumerate(photos, start=1)
    )
    dataset.latest_version = version
    dataset.save(update_fields=["latest_version"])
    return version


def pay(line: OrderLine) -> None:
    """What ``order_mark_paid`` tells the layers above for each paid line."""
    line_paid.send(sender=OrderLine, line=line)


def test_mission_bonuses_are_paid_with_the_order_capped_at_the_count_and_add_up_to_the_yen():
    from catalog.tests.factories import DatasetFactory

    buyer = BuyerFactory()
    request = accepted_request(buyer, photo_count=3, bonus=700)
    alice, bob = contributor_with_bank(), contributor_with_bank()
    a1, a2 = photo_of(alice)[0], photo_of(alice)[0]
    b1 = photo_of(bob)[0]
    withdrawn, (release,) = photo_of(bob)
    b2 = photo_of(bob)[0]
    for contributor, photos in ((alice, [a1, a2]), (bob, [b1, withdrawn, b2])):
        services.mission_photos_add(request=request, contributor=contributor, photo_uuids=[p.uuid for p in photos])
    consent_services.consent_withdraw(release=release)  # this person left: their photo no longer counts
    dataset = DatasetFactory(version=False)
    version = frozen(dataset, [a1, a2, b1, withdrawn, b2])
    services.dataset_request_deliver(request=request, dataset=dataset)

    # Another organisation buying the same dataset pays no bonus.
    pay(paid_line(version, price=165_000))
    assert not RoyaltyEntry.objects.filter(kind=RoyaltyEntry.Kind.MISSION_BONUS).exists()

    line = paid_line(version, price=330_000, buyer=buyer)
    pay(line)
    pay(line)  # told twice: paid once
    bonuses = RoyaltyEntry.objects.filter(kind=RoyaltyEntry.Kind.MISSION_BONUS).order_by("contributor_id")
    # Three photos asked for, four count (a1, a2, b1, b2), first entered first: a1, a2, b1.
    assert [(e.contributor, e.photo_count, e.amount, e.order_line, e.dataset_request) for e in bonuses] == [
        (alice, 2, 1_400, line, request),
        (bob, 1, 700, line, request),
    ]
    assert sum(e.amount for e in bonuses) == 3 * 700

    # The balance holds the sale's royalties and the bonus; the payout withholds on all of it, and the
    # statement's lines add up to the payout's gross.
    run = payout_run_start(period=timezone.localtime().strftime("%Y-%m"))
    for contributor, bonus in ((alice, 1_400), (bob, 700)):
        payout = Payout.objects.get(run=run, contributor=contributor)
        entries = list(payout_statement_entries(payout=payout))
        assert sum(e.amount for e in entries) == payout.gross
        assert [e.amount for e in entries if e.kind == RoyaltyEntry.Kind.MISSION_BONUS] == [bonus]
        sales = sum(e.amount for e in entries if e.kind == RoyaltyEntry.Kind.SALE)
        assert payout.gross == sales + bonus
        assert payout.withholding == withholding_tax(payout.gross, kind=payout.withholding_kind)
        assert royalty_balance(contributor_id=contributor.pk) == 0

    # The revenue report shows the bonuses, out of the platform's share.
    (month,) = platform_revenue_by_month()
    assert month["bonuses"] == 2_100
    assert month["pool"] + month["platform"] + month["bonuses"] == month["net"]


def test_mission_bonus_entries_are_append_only():
    from stockdata.append_only import AppendOnlyError

    buyer = BuyerFactory()
    request = accepted_request(buyer, photo_count=1, bonus=500)
    contributor = contributor_with_bank()
    photo = photo_of(contributor)[0]
    services.mission_photos_add(request=request, contributor=contributor, photo_uuids=[photo.uuid])
    from catalog.tests.factories import DatasetFactory

    dataset = DatasetFactory(version=False)
    services.dataset_request_deliver(request=request, dataset=dataset)
    pay(paid_line(frozen(dataset, [photo]), buyer=buyer))
    entry = RoyaltyEntry.objects.get(kind=RoyaltyEntry.Kind.MISSION_BONUS)
    assert entry.amount == 500
    entry.amount = 1
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        RoyaltyEntry.objects.filter(pk=entry.pk).update(amount=1)

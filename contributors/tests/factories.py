"""Factories for royalties and payouts: versions with known contributors, paid order lines.

Orders are made as rows here (not through the checkout services), so these tests depend
only on the models::

    version = version_with_photos({alice: 3, bob: 1})
    line = paid_line(version, price=165_000)
    royalties_record_sale(line=line)
"""

from __future__ import annotations

import hashlib
import itertools
import uuid as uuid_lib
from datetime import date

from django.utils import timezone

from catalog.models import Dataset, DatasetVersion, DatasetVersionItem, Photo
from licensing.models import LicenceTerms, Order, OrderLine
from stockdata.accounts.tests.factories import BuyerFactory, ContributorFactory, StaffFactory

_seq = itertools.count(1)

# A real branch (みずほ 東京営業部) so validate_bank_account accepts it.
BANK = {"bank_code": "0001", "branch_code": "001", "account_type": "1", "holder_name": "ヤマダ ハナコ"}


def licence() -> LicenceTerms:
    terms = LicenceTerms.objects.order_by("id").first()
    if terms is None:
        terms = LicenceTerms.objects.create(
            code="sd-test-1.0",
            title_en="Test licence",
            title_ja="テスト許諾",
            body_en="Terms.",
            body_ja="条項。",
            effective_from=date(2026, 1, 1),
        )
    return terms


def version_with_photos(counts: dict, *, dataset: Dataset | None = None, staff=None) -> DatasetVersion:
    """A frozen version whose items belong to the given contributors: {user: photos}."""
    n = next(_seq)
    if dataset is None:
        dataset = Dataset.objects.create(
            slug=f"royalty-set-{n}-{uuid_lib.uuid4().hex[:6]}",
            title_en=f"Royalty set {n}",
            title_ja=f"ロイヤリティ {n}",
            status=Dataset.Status.PUBLISHED,
            published_at=timezone.now(),
        )
    staff = staff or StaffFactory()
    number = (dataset.versions.count() or 0) + 1
    version = DatasetVersion.objects.create(
        dataset=dataset,
        number=number,
        photo_count=sum(counts.values()),
        content_hash="0" * 64,
        frozen_by=staff,
    )
    photos, owners = [], []
    now = timezone.now()
    for user, count in counts.items():
        for _ in range(count):
            uid = uuid_lib.uuid4()
            photos.append(
                Photo(
                    uuid=uid,
                    contributor=user,
                    status=Photo.Status.APPROVED,
                    processing=Photo.Processing.READY,
                    original=f"originals/{uid}.jpg",
                    original_filename=f"{uid.hex[:8]}.jpg",
                    format=Photo.Format.JPEG,
                    width=4000,
                    height=3000,
                    byte_size=1000,
                    sha256=hashlib.sha256(uid.bytes).hexdigest(),
                    title="Portrait",
                    submitted_at=now,
                    reviewed_at=now,
                )
            )
            owners.append(user)
    Photo.objects.bulk_create(photos, batch_size=1000)
    DatasetVersionItem.objects.bulk_create(
        [
            DatasetVersionItem(
                version=version,
                photo=p,
                contributor=p.contributor,
                position=i,
                file_name=f"sd_{i:06d}.jpg",
                sha256=p.sha256,
                width=p.width,
                height=p.height,
            )
            for i, p in enumerate(photos, start=1)
        ],
        batch_size=1000,
    )
    if dataset.latest_version_id is None or dataset.latest_version.number < number:
        dataset.latest_version = version
        dataset.save(update_fields=["latest_version"])
    return version


def paid_line(version: DatasetVersion, *, price: int = 165_000, edition: str = "annotated", buyer=None) -> OrderLine:
    """A paid order with one line for ``version`` (rows only; the caller records the royalties)."""
    from stockdata.money import tax_included

    buyer = buyer or BuyerFactory()
    n = next(_seq)
    order = Order.objects.create(
        number=f"T-{n:06d}-{uuid_lib.uuid4().hex[:6]}",
        organisation=buyer.organisation,
        placed_by=buyer,
        status=Order.Status.PAID,
        idempotency_key=uuid_lib.uuid4().hex,
        payment_method=Order.PaymentMethod.BANK_TRANSFER,
        billing_name="Tokyo Vision Labs K.K.",
        billing_address="東京都港区1-2-3",
        billing_country="JP",
        intended_use="research",
        intended_use_detail="Face detection research.",
        licence=licence(),
        licence_accepted_at=timezone.now(),
        total=price,
        tax=tax_included(price),
        paid_at=timezone.now(),
    )
    return OrderLine.objects.create(
        order=order,
        dataset=version.dataset,
        version=version,
        edition=edition,
        title=f"{version.dataset.title_en} v{version.number} ({edition})",
        price=price,
    )


def contributor_with_bank(
    *, entity_type: str = "individual", tax_residency: str = "jp", account_number: str | None = None, **kwargs
):
    """A contributor whose payout account and tax status are filled in (through the service)."""
    from contributors.services import contributor_payout_details_set

    user = ContributorFactory(**kwargs)
    contributor_payout_details_set(
        profile=user.contributor_profile,
        entity_type=entity_type,
        tax_residency=tax_residency,
        account_number=account_number or f"{next(_seq) % 9_999_999 or 1:07d}",
        **BANK,
    )
    return user


def price_for_royalty(amount: int, *, share_bp: int = 4000) -> int:
    """The smallest tax-inclusive price whose contributor pool is exactly ``amount`` yen."""
    from stockdata.money import net_of_tax, share_of

    net = -(-amount * 10_000 // share_bp)
    price = net * 11 // 10 - 2
    while not (net_of_tax(price) >= net and share_of(net_of_tax(price), percent_bp=share_bp) >= amount):
        price += 1
    assert share_of(net_of_tax(price), percent_bp=share_bp) == amount, amount
    return price


def credit(user, amount: int, *, at=None):
    """Put ``amount`` yen on a contributor's ledger through a real sale: a one-photo version
    of theirs sold at the price whose pool is ``amount``."""
    from contributors.services import royalties_record_sale

    line = paid_line(version_with_photos({user: 1}), price=price_for_royalty(amount))
    royalties_record_sale(line=line, at=at)
    return line


__all__ = [
    "BANK",
    "BuyerFactory",
    "ContributorFactory",
    "StaffFactory",
    "contributor_with_bank",
    "credit",
    "paid_line",
    "price_for_royalty",
    "version_with_photos",
]

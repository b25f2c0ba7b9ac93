"""Demo data for royalties and payouts (``seed_payouts``): safe to run twice, through the services.

* the demo contributors get a bank account (みずほ 東京営業部) and a tax status;
* every paid order line whose royalties are not on the ledger yet is recorded (the
  service is idempotent), so the earnings page shows the demo orders' sales;
* the month just ended is run, exported and marked paid when the ledger has entries
  from before it ended, so the payout history and a statement exist.
"""

from __future__ import annotations

from contributors import services
from contributors.models import ContributorProfile, PayoutRun, RoyaltyEntry
from licensing.commerce.models import OrderLine

DEMO_BANK = {
    "contributor@demo.stockdata.jp": {
        "entity_type": "individual",
        "tax_residency": "jp",
        "account_number": "1234567",
        "holder_name": "ヤマダ ハナコ",
    },
    "contributor2@demo.stockdata.jp": {
        "entity_type": "individual",
        "tax_residency": "jp",
        "account_number": "7654321",
        "holder_name": "タカハシ ケンジ",
    },
}


def seed_payouts(out) -> None:
    for email, details in DEMO_BANK.items():
        profile = ContributorProfile.objects.filter(user__email=email).first()
        if profile is None:
            continue
        if profile.has_bank_account:
            out(f"  exists  bank account for {email}")
            continue
        services.contributor_payout_details_set(
            profile=profile, bank_code="0001", branch_code="001", account_type="1", **details
        )
        out(f"  created bank account for {email}")

    recorded = 0
    lines = OrderLine.objects.filter(order__paid_at__isnull=False, status=OrderLine.Status.ACTIVE).exclude(
        royalty_splits__kind="sale"
    )
    for line in lines.iterator(chunk_size=200):
        services.royalties_record_sale(line=line)
        recorded += 1
    out(f"  recorded royalties for {recorded} paid order lines")

    period = services.previous_period()
    _start, end = services.period_bounds(period)
    if PayoutRun.objects.filter(period=period).exists():
        out(f"  exists  payout run {period}")
        return
    if not RoyaltyEntry.objects.filter(created_at__lt=end).exists():
        out(f"  skipped payout run {period}: no earnings before it ended")
        return
    run = services.payout_run_start(period=period)
    if run.payouts.exists():
        run = services.payout_run_export(run=run)
        services.payout_run_mark_paid(run=run)
    out(f"  created payout run {period} ({run.payouts.count()} payouts)")

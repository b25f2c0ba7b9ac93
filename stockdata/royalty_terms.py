"""The terms contributors are paid on: one source for the ledger, the payout runs and the pages.

``contributors.services`` computes shares, withholding, fees and transfer dates from
:func:`royalty_terms`; the contributor sign-up page and the earnings page show the same
object, so what a contributor is told is what the ledger does.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from stockdata.money import (
    WITHHOLDING_RATE_BP_ABOVE_THRESHOLD,
    WITHHOLDING_RATE_BP_UP_TO_THRESHOLD,
    WITHHOLDING_THRESHOLD,
)

# A transfer is dated at most on the 28th, so every month has the day.
LAST_TRANSFER_DAY = 28


def _percent(bp: int) -> str:
    """Basis points as a percentage for people: 4000 -> "40", 1021 -> "10.21"."""
    whole, rest = divmod(bp, 100)
    return f"{whole}" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0")


@dataclass(frozen=True)
class RoyaltyTerms:
    share_bp: int  # contributors' pool: this share of each sale's net (tax-exclusive) revenue
    minimum: int  # yen; smaller balances carry over to the next month
    transfer_fee: int  # yen deducted from each transfer; 0 when the platform bears it
    transfer_day: int  # a month's sales are paid on this day of the following month
    non_resident_bp: int  # flat withholding for non-residents
    resident_bp: int = WITHHOLDING_RATE_BP_UP_TO_THRESHOLD
    resident_above_bp: int = WITHHOLDING_RATE_BP_ABOVE_THRESHOLD
    resident_threshold: int = WITHHOLDING_THRESHOLD

    @property
    def share_percent(self) -> str:
        return _percent(self.share_bp)

    @property
    def non_resident_percent(self) -> str:
        return _percent(self.non_resident_bp)

    @property
    def resident_percent(self) -> str:
        return _percent(self.resident_bp)

    @property
    def resident_above_percent(self) -> str:
        return _percent(self.resident_above_bp)


def royalty_terms() -> RoyaltyTerms:
    """Read now (not at import), so a changed setting applies to the next sale and page."""
    return RoyaltyTerms(
        share_bp=int(settings.STOCKDATA_CONTRIBUTOR_SHARE_BP),
        minimum=int(settings.STOCKDATA_PAYOUT_MINIMUM),
        transfer_fee=int(settings.STOCKDATA_PAYOUT_TRANSFER_FEE),
        transfer_day=min(int(settings.STOCKDATA_PAYOUT_TRANSFER_DAY), LAST_TRANSFER_DAY),
        non_resident_bp=int(settings.STOCKDATA_NON_RESIDENT_WITHHOLDING_BP),
    )

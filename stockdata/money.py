"""Integer-yen money arithmetic for Stockdata.

Every amount handled here is an ``int`` number of Japanese yen.  No function in
this module accepts or produces a ``float``; all rounding is done with integer
floor division (``//``) / ``divmod``, and the rounding rule
is spelled out in each docstring.  ``bool`` is rejected even though it is an
``int`` subclass, so ``True`` can never sneak in as "1 yen".

Domain rules (Japan):

* List prices INCLUDE consumption tax (standard rate 10 %).
* The tax contained in a tax-inclusive total ``T`` at rate ``r`` % is
  ``floor(T * r / (100 + r))`` -- for 10 %: ``floor(T * 10 / 110)``.
* Under the qualified invoice system (適格請求書等保存方式) the tax is computed
  ONCE per invoice per tax rate, on the sum of the tax-inclusive line totals
  for that rate -- never per line.  See :func:`invoice_tax`.

Negative amounts (refunds, credit notes, reversals) are supported by the tax,
share and split helpers and are rounded *symmetrically*: ``f(-x) == -f(x)``,
i.e. the magnitude is rounded down (toward zero).  That way a reversal always
cancels the original entry to the yen.  Withholding tax is only defined for
non-negative payouts.

This module imports nothing from Django.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

__all__ = [
    "BASIS_POINTS",
    "CONSUMPTION_TAX_RATE_PERCENT",
    "NON_RESIDENT_WITHHOLDING_RATE_BP",
    "WITHHOLDING_KINDS",
    "WITHHOLDING_RATE_BP_ABOVE_THRESHOLD",
    "WITHHOLDING_RATE_BP_UP_TO_THRESHOLD",
    "WITHHOLDING_THRESHOLD",
    "TaxBreakdown",
    "format_yen",
    "invoice_tax",
    "net_of_tax",
    "share_of",
    "split_largest_remainder",
    "tax_included",
    "withholding_tax",
]

K = TypeVar("K", bound=Hashable)

#: Standard Japanese consumption tax rate (国税 7.8 % + 地方消費税 2.2 %).
CONSUMPTION_TAX_RATE_PERCENT = 10

#: 100 % expressed in basis points (1 bp = 0.01 %).
BASIS_POINTS = 10_000

#: Withholding on payments to resident individuals changes rate above this
#: amount per payment (所得税法 第204条, incl. 復興特別所得税).
WITHHOLDING_THRESHOLD = 1_000_000
#: 10.21 % in basis points (10 % income tax + 2.1 % reconstruction surtax of it).
WITHHOLDING_RATE_BP_UP_TO_THRESHOLD = 1021
#: 20.42 % in basis points.
WITHHOLDING_RATE_BP_ABOVE_THRESHOLD = 2042
#: Default rate for non-residents (20.42 %); treaties may lower it.
NON_RESIDENT_WITHHOLDING_RATE_BP = 2042

WITHHOLDING_KINDS = ("individual_resident", "corporation", "non_resident")


# ---------------------------------------------------------------------------
# validation helpers
# ---------------------------------------------------------------------------


def _require_int(value: object, name: str) -> int:
    """Return *value* if it is a real ``int`` (not bool/float/Decimal)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int number of yen, got {type(value).__name__}: {value!r}")
    return value


def _require_rate(rate_percent: object) -> int:
    rate = _require_int(rate_percent, "rate_percent")
    if rate < 0:
        raise ValueError(f"rate_percent must be >= 0, got {rate}")
    return rate


def _sign(value: int) -> int:
    return -1 if value < 0 else 1


# ---------------------------------------------------------------------------
# consumption tax
# ---------------------------------------------------------------------------


def tax_included(total_incl_tax: int, *, rate_percent: int = CONSUMPTION_TAX_RATE_PERCENT) -> int:
    """Consumption tax contained in a tax-inclusive amount.

    Rule: ``floor(T * r / (100 + r))`` for a tax-inclusive total ``T`` at rate
    ``r`` percent, computed in integers.  For 10 %: ``floor(T * 10 / 110)``.
    Negative totals (refunds) are rounded symmetrically:
    ``tax_included(-T) == -tax_included(T)``.

    >>> tax_included(165_000)
    15000
    >>> tax_included(99_000)
    9000
    >>> tax_included(1_000)
    90
    """
    total = _require_int(total_incl_tax, "total_incl_tax")
    rate = _require_rate(rate_percent)
    return _sign(total) * (abs(total) * rate // (100 + rate))


def net_of_tax(total_incl_tax: int, *, rate_percent: int = CONSUMPTION_TAX_RATE_PERCENT) -> int:
    """Amount excluding tax: ``T - tax_included(T)``.

    The tax is rounded down, so the net is the remainder and
    ``net_of_tax(T) + tax_included(T) == T`` always holds exactly.

    >>> net_of_tax(165_000)
    150000
    """
    return total_incl_tax - tax_included(total_incl_tax, rate_percent=rate_percent)


@dataclass(frozen=True)
class TaxBreakdown:
    """Tax for one rate on one invoice (``total_incl_tax == tax + net``)."""

    rate_percent: int
    total_incl_tax: int
    tax: int
    net: int


def invoice_tax(
    line_totals_incl_tax: Iterable[int] | Iterable[tuple[int, int]],
    *,
    rate_percent: int = CONSUMPTION_TAX_RATE_PERCENT,
) -> list[TaxBreakdown]:
    """Per-rate tax breakdown of an invoice (qualified-invoice rule).

    Each item is either a tax-inclusive line total (``int``, taxed at
    *rate_percent*) or a ``(line_total_incl_tax, rate_percent)`` tuple; both
    forms may be mixed.  Lines are grouped by rate, the tax-inclusive totals of
    each group are summed, and the tax is computed ONCE per rate on that sum
    with :func:`tax_included` -- never per line and then added up, which can
    differ (3 lines of 1,000 yen: per line 90 x 3 = 270, once on 3,000 = 272).

    Returns one :class:`TaxBreakdown` per rate that occurs, sorted by
    ascending rate; an empty invoice returns ``[]``.
    """
    default_rate = _require_rate(rate_percent)
    totals: dict[int, int] = {}
    for item in line_totals_incl_tax:
        if isinstance(item, tuple):
            if len(item) != 2:
                raise ValueError(f"expected (line_total_incl_tax, rate_percent), got {item!r}")
            amount = _require_int(item[0], "line_total_incl_tax")
            rate = _require_rate(item[1])
        else:
            amount = _require_int(item, "line_total_incl_tax")
            rate = default_rate
        totals[rate] = totals.get(rate, 0) + amount
    result = []
    for rate in sorted(totals):
        total = totals[rate]
        tax = tax_included(total, rate_percent=rate)
        result.append(TaxBreakdown(rate_percent=rate, total_incl_tax=total, tax=tax, net=total - tax))
    return result


# ---------------------------------------------------------------------------
# allocation
# ---------------------------------------------------------------------------


def split_largest_remainder(total: int, weights: Mapping[K, int]) -> dict[K, int]:
    """Split *total* yen in proportion to integer *weights* (Hamilton method).

    Each key first gets ``floor(|total| * w / W)`` (``W`` = sum of weights);
    the remaining yen (fewer than the number of keys) are then handed out one
    by one to the keys with the largest remainders ``(|total| * w) mod W``.
    Ties are broken deterministically by the key order of *weights* as given
    (iteration order; earlier key wins).  Guarantees:

    * the parts sum exactly to *total*;
    * every part is within 1 yen of its exact share ``total * w / W``
      (strictly: ``|part - exact| < 1``);
    * a key with weight 0 gets exactly 0;
    * the result has the same keys, in the same order, as *weights*.

    A negative *total* (refund/reversal) is split as ``abs(total)`` and every
    part negated, so a reversal exactly mirrors the original split.

    Raises ``ValueError`` for empty weights, negative weights or all-zero
    weights; ``TypeError`` for non-int total or weights.
    """
    amount = _require_int(total, "total")
    if not weights:
        raise ValueError("weights must not be empty")
    ws: dict[K, int] = {}
    for key, weight in weights.items():
        w = _require_int(weight, f"weight for {key!r}")
        if w < 0:
            raise ValueError(f"weight for {key!r} must be >= 0, got {w}")
        ws[key] = w
    weight_sum = sum(ws.values())
    if weight_sum == 0:
        raise ValueError("at least one weight must be positive")

    sign = _sign(amount)
    magnitude = abs(amount)
    parts: dict[K, int] = {}
    remainders: list[tuple[int, int, K]] = []
    for index, (key, w) in enumerate(ws.items()):
        quotient, remainder = divmod(magnitude * w, weight_sum)
        parts[key] = quotient
        remainders.append((remainder, index, key))
    leftover = magnitude - sum(parts.values())
    # Largest remainder first; equal remainders -> earlier key first.
    remainders.sort(key=lambda item: (-item[0], item[1]))
    for remainder, _index, key in remainders[:leftover]:
        # leftover < number of keys with a non-zero remainder, so zero-weight
        # keys (remainder 0) can never receive a yen.
        assert remainder > 0
        parts[key] += 1
    return {key: sign * value for key, value in parts.items()}


def share_of(amount: int, *, percent_bp: int) -> int:
    """A percentage share of *amount*, with the percentage in basis points.

    Rule: ``floor(amount * percent_bp / 10000)`` (so 40 % is ``percent_bp=4000``,
    12.5 % is ``1250``).  Used e.g. for the contributor pool; the platform part
    is then ``amount - share_of(amount, ...)`` so the two always add up.
    Negative amounts are rounded symmetrically (toward zero).
    ``percent_bp`` must be within 0..10000.

    >>> share_of(150_000, percent_bp=4000)
    60000
    """
    value = _require_int(amount, "amount")
    bp = _require_int(percent_bp, "percent_bp")
    if not 0 <= bp <= BASIS_POINTS:
        raise ValueError(f"percent_bp must be within 0..{BASIS_POINTS}, got {bp}")
    return _sign(value) * (abs(value) * bp // BASIS_POINTS)


# ---------------------------------------------------------------------------
# withholding income tax on payouts (源泉徴収)
# ---------------------------------------------------------------------------


def withholding_tax(
    gross: int,
    *,
    kind: str,
    rate_bp: int = NON_RESIDENT_WITHHOLDING_RATE_BP,
) -> int:
    """Income tax (incl. reconstruction surtax) to withhold from a payout.

    * ``"individual_resident"``: 10.21 % of the part up to 1,000,000 yen plus
      20.42 % of the part above, applied to the whole and fractions of a yen
      dropped once: ``(part1 * 1021 + part2 * 2042) // 10000``.
      100,000 -> 10,210; 1,000,000 -> 102,100; 1,500,000 -> 204,200.
    * ``"corporation"``: 0 (no withholding on these payments to companies).
    * ``"non_resident"``: ``floor(gross * rate_bp / 10000)``, *rate_bp*
      defaulting to 2042 (20.42 %); pass a treaty rate if applicable.
      *rate_bp* is ignored for the other kinds.

    *gross* must be a non-negative int; unknown *kind* raises ``ValueError``.
    """
    amount = _require_int(gross, "gross")
    if amount < 0:
        raise ValueError(f"gross must be >= 0, got {amount}")
    if kind == "individual_resident":
        part1 = min(amount, WITHHOLDING_THRESHOLD)
        part2 = max(amount - WITHHOLDING_THRESHOLD, 0)
        return (
            part1 * WITHHOLDING_RATE_BP_UP_TO_THRESHOLD + part2 * WITHHOLDING_RATE_BP_ABOVE_THRESHOLD
        ) // BASIS_POINTS
    if kind == "corporation":
        return 0
    if kind == "non_resident":
        bp = _require_int(rate_bp, "rate_bp")
        if not 0 <= bp <= BASIS_POINTS:
            raise ValueError(f"rate_bp must be within 0..{BASIS_POINTS}, got {bp}")
        return amount * bp // BASIS_POINTS
    raise ValueError(f"unknown withholding kind {kind!r}; expected one of {WITHHOLDING_KINDS}")


# ---------------------------------------------------------------------------
# formatting
# ---------------------------------------------------------------------------


def format_yen(amount: int) -> str:
    """Format yen for display: ``"¥165,000"``; negative ``"-¥1,000"``.

    >>> format_yen(165000)
    '¥165,000'
    >>> format_yen(-1000)
    '-¥1,000'
    """
    value = _require_int(amount, "amount")
    return f"{'-' if value < 0 else ''}¥{abs(value):,}"

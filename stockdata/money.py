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
* A line's net (what royalties are shared from) is its amount minus its share
  of that invoice tax, the shares split so that they add up to the invoice's
  tax exactly -- not ``net_of_tax(line)``, which can differ by a yen per line.
  See :func:`invoice_line_taxes`.
* A refund returns lines exactly as the invoice stated them: the credit note
  (適格返還請求書) carries each refunded line's amount, tax share and net,
  negated, and its tax per rate is the sum of those shares, not rounded again
  (:meth:`LineTax.reversed`, :func:`tax_breakdown_of`).  The rounding happened
  once, on the invoice; the credit note gives back parts of it.  So at every
  moment the invoice's tax plus its credit notes' tax equals the tax shares of
  the lines still sold -- which is what the royalty ledger records, since a
  refunded sale is reversed entry by entry -- and a fully refunded invoice
  nets to zero tax.  (A single refunded line's stated tax is its share, within
  a yen of ``tax_included`` of its amount; whether that or a fresh rounding is
  stated is a choice the qualified-invoice rules leave to the issuer, and this
  one keeps the books equal to the yen.)

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
    "LineTax",
    "TaxBreakdown",
    "format_yen",
    "invoice_line_taxes",
    "invoice_tax",
    "net_of_tax",
    "share_of",
    "split_largest_remainder",
    "tax_breakdown_of",
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


def _lines_with_rates(
    line_totals_incl_tax: Iterable[int] | Iterable[tuple[int, int]], default_rate: int
) -> list[tuple[int, int]]:
    lines = []
    for item in line_totals_incl_tax:
        if isinstance(item, tuple):
            if len(item) != 2:
                raise ValueError(f"expected (line_total_incl_tax, rate_percent), got {item!r}")
            lines.append((_require_int(item[0], "line_total_incl_tax"), _require_rate(item[1])))
        else:
            lines.append((_require_int(item, "line_total_incl_tax"), default_rate))
    return lines


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
    totals: dict[int, int] = {}
    for amount, rate in _lines_with_rates(line_totals_incl_tax, _require_rate(rate_percent)):
        totals[rate] = totals.get(rate, 0) + amount
    result = []
    for rate in sorted(totals):
        total = totals[rate]
        tax = tax_included(total, rate_percent=rate)
        result.append(TaxBreakdown(rate_percent=rate, total_incl_tax=total, tax=tax, net=total - tax))
    return result


@dataclass(frozen=True)
class LineTax:
    """One invoice line: its tax-inclusive amount, its share of the invoice's tax, and its net.

    ``amount == tax + net`` always.
    """

    amount: int
    rate_percent: int
    tax: int
    net: int

    def reversed(self) -> LineTax:
        """The same line given back on a credit note: every amount negated, nothing re-rounded."""
        return LineTax(amount=-self.amount, rate_percent=self.rate_percent, tax=-self.tax, net=-self.net)


def invoice_line_taxes(
    line_totals_incl_tax: Iterable[int] | Iterable[tuple[int, int]],
    *,
    rate_percent: int = CONSUMPTION_TAX_RATE_PERCENT,
) -> list[LineTax]:
    """Each line's share of the tax the invoice states, so that the shares add up to it exactly.

    The invoice's tax per rate is computed once, as :func:`invoice_tax` does; it is then
    split among that rate's lines in proportion to their tax-inclusive amounts with
    :func:`split_largest_remainder` (each line first gets the floor of its exact share, the
    yen left over go to the largest remainders, and equal remainders to the EARLIER line).
    A line's net is its amount minus its share.  Guarantees, per rate:

    * the shares add up to ``invoice_tax(...)``'s tax for that rate, so the nets add up to
      its net, to the yen;
    * every share is within 1 yen of its exact share ``tax * amount / total``;
    * a line of 0 yen has a share of 0; a single line's share is ``tax_included(amount)``;
    * ``amount == tax + net`` on every line; the result is in the order of the input.

    Items are line totals (at *rate_percent*) or ``(line_total, rate_percent)`` tuples, as
    for :func:`invoice_tax`.  The lines of one rate must not mix signs (a credit note's
    lines are all negative; build it with :meth:`LineTax.reversed` instead of recomputing).

    Worked example: two lines of 100,000 yen.  The invoice's tax is
    ``floor(200,000 * 10 / 110) = 18,181``; taxing each line on its own would give
    ``9,090 + 9,090 = 18,180``, a yen short.  The exact shares are 9,090.5 each: both get
    9,090, and the one yen left goes to the first line (equal remainders, earlier wins).

    >>> [(line.tax, line.net) for line in invoice_line_taxes([100_000, 100_000])]
    [(9091, 90909), (9090, 90910)]
    >>> [line.tax for line in invoice_line_taxes([1_000, 1_000, 1_000])]  # invoice tax 272
    [91, 91, 90]
    """
    lines = _lines_with_rates(line_totals_incl_tax, _require_rate(rate_percent))
    by_rate: dict[int, dict[int, int]] = {}
    for index, (amount, rate) in enumerate(lines):
        by_rate.setdefault(rate, {})[index] = amount
    taxes: dict[int, int] = {}
    for rate, amounts in by_rate.items():
        if any(a < 0 for a in amounts.values()) and any(a > 0 for a in amounts.values()):
            raise ValueError(f"the lines at {rate} % mix charges and refunds; give each its own document")
        total = sum(amounts.values())
        if total == 0:
            taxes.update(dict.fromkeys(amounts, 0))
            continue
        weights = {index: abs(amount) for index, amount in amounts.items()}
        taxes.update(split_largest_remainder(tax_included(total, rate_percent=rate), weights))
    return [
        LineTax(amount=amount, rate_percent=rate, tax=taxes[index], net=amount - taxes[index])
        for index, (amount, rate) in enumerate(lines)
    ]


def tax_breakdown_of(lines: Iterable[LineTax]) -> list[TaxBreakdown]:
    """Per-rate totals of lines whose tax is already decided (added up, never rounded again).

    For an invoice's lines from :func:`invoice_line_taxes` this equals :func:`invoice_tax`;
    for a credit note's reversed lines it is exactly the negation of what they were on the
    invoice.  Sorted by ascending rate.
    """
    totals: dict[int, list[int]] = {}
    for line in lines:
        total, tax = totals.setdefault(line.rate_percent, [0, 0])
        totals[line.rate_percent] = [total + line.amount, tax + line.tax]
    return [
        TaxBreakdown(rate_percent=rate, total_incl_tax=total, tax=tax, net=total - tax)
        for rate, (total, tax) in sorted(totals.items())
    ]


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

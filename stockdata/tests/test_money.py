"""Tests for stockdata.money -- pure Python, no database, no Django settings."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockdata import money
from stockdata.money import (
    CONSUMPTION_TAX_RATE_PERCENT,
    LineTax,
    TaxBreakdown,
    format_yen,
    invoice_line_taxes,
    invoice_tax,
    net_of_tax,
    share_of,
    split_largest_remainder,
    tax_breakdown_of,
    tax_included,
    withholding_tax,
)

yen = st.integers(min_value=0, max_value=10**12)
signed_yen = st.integers(min_value=-(10**12), max_value=10**12)


# --------------------------------------------------------------------------
# consumption tax
# --------------------------------------------------------------------------


def test_rate_constant():
    assert CONSUMPTION_TAX_RATE_PERCENT == 10


@pytest.mark.parametrize(
    ("total", "tax"),
    [(165_000, 15_000), (99_000, 9_000), (1_000, 90), (110, 10), (109, 9), (0, 0), (1, 0), (11, 1)],
)
def test_tax_included_examples(total, tax):
    assert tax_included(total) == tax


def test_net_of_tax_example():
    assert net_of_tax(165_000) == 150_000
    assert net_of_tax(99_000) == 90_000


def test_reduced_rate():
    # 8 % reduced rate: floor(1080 * 8 / 108) = 80
    assert tax_included(1_080, rate_percent=8) == 80
    assert tax_included(1_000, rate_percent=0) == 0


@pytest.mark.parametrize("bad", [1000.0, "1000", None, True])
def test_tax_rejects_non_int(bad):
    with pytest.raises(TypeError):
        tax_included(bad)


def test_negative_rate_rejected():
    with pytest.raises(ValueError):
        tax_included(1000, rate_percent=-1)


@given(yen)
def test_tax_is_floor_of_exact_share(total):
    tax = tax_included(total)
    assert tax == total * 10 // 110
    assert Fraction(tax) <= Fraction(total, 11) < tax + 1
    assert tax * 11 <= total
    assert tax + net_of_tax(total) == total


@given(signed_yen)
def test_tax_symmetric_for_refunds(total):
    assert tax_included(-total) == -tax_included(total)
    assert net_of_tax(-total) == -net_of_tax(total)


# --------------------------------------------------------------------------
# invoice (qualified invoice: tax once per rate)
# --------------------------------------------------------------------------


def test_invoice_tax_once_on_total():
    lines = [99_000] + [165_000] * 11
    (breakdown,) = invoice_tax(lines)
    assert breakdown == TaxBreakdown(rate_percent=10, total_incl_tax=1_914_000, tax=174_000, net=1_740_000)


def test_invoice_tax_differs_from_per_line_rounding():
    lines = [1_000, 1_000, 1_000]
    per_line = sum(tax_included(x) for x in lines)
    assert per_line == 270
    (breakdown,) = invoice_tax(lines)
    assert breakdown.tax == 272 != per_line
    assert breakdown.net == 2_728


def test_invoice_tax_groups_by_rate():
    result = invoice_tax([(1_080, 8), 1_100, (2_200, 10), (540, 8)])
    assert result == [
        TaxBreakdown(rate_percent=8, total_incl_tax=1_620, tax=120, net=1_500),
        TaxBreakdown(rate_percent=10, total_incl_tax=3_300, tax=300, net=3_000),
    ]


def test_invoice_tax_empty():
    assert invoice_tax([]) == []


def test_invoice_tax_rejects_floats():
    with pytest.raises(TypeError):
        invoice_tax([1000, 99.5])


@given(st.lists(st.integers(min_value=0, max_value=10**9), max_size=40))
def test_invoice_tax_properties(lines):
    result = invoice_tax(lines)
    if not lines:
        assert result == []
        return
    (b,) = result
    total = sum(lines)
    assert b.total_incl_tax == total  # line totals add up
    assert b.tax + b.net == total
    assert b.tax == total * 10 // 110
    assert 11 * b.tax <= total  # tax <= total / 11
    # Rounding once is never less than rounding per line (floor is superadditive).
    assert b.tax >= sum(tax_included(x) for x in lines)


@given(st.lists(st.tuples(st.integers(0, 10**8), st.sampled_from([8, 10])), max_size=30))
def test_invoice_tax_mixed_rates_properties(lines):
    result = invoice_tax(lines)
    assert [b.rate_percent for b in result] == sorted({r for _, r in lines})
    assert sum(b.total_incl_tax for b in result) == sum(a for a, _ in lines)
    for b in result:
        assert b.tax == b.total_incl_tax * b.rate_percent // (100 + b.rate_percent)
        assert b.tax + b.net == b.total_incl_tax


# --------------------------------------------------------------------------
# each line's share of the invoice's tax
# --------------------------------------------------------------------------

lines_st = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40)
rated_lines_st = st.lists(st.tuples(st.integers(1, 10**8), st.sampled_from([8, 10])), min_size=1, max_size=30)


def test_two_lines_of_100000_share_the_invoice_tax_of_18181():
    lines = invoice_line_taxes([100_000, 100_000])
    assert lines == [
        LineTax(amount=100_000, rate_percent=10, tax=9_091, net=90_909),
        LineTax(amount=100_000, rate_percent=10, tax=9_090, net=90_910),
    ]
    assert sum(line.tax for line in lines) == invoice_tax([100_000, 100_000])[0].tax == 18_181
    # Taxing each line on its own would lose that yen.
    assert 2 * tax_included(100_000) == 18_180


def test_line_taxes_examples():
    assert [line.tax for line in invoice_line_taxes([1_000, 1_000, 1_000])] == [91, 91, 90]
    # Largest remainder first, not the first line: 272 on 1,000 + 2,000 -> exact 90.67 and 181.33.
    assert [line.tax for line in invoice_line_taxes([1_000, 2_000])] == [91, 181]
    assert [line.tax for line in invoice_line_taxes([165_000, 99_000])] == [15_000, 9_000]
    assert invoice_line_taxes([]) == []
    assert invoice_line_taxes([0, 0]) == [LineTax(0, 10, 0, 0), LineTax(0, 10, 0, 0)]


def test_line_taxes_reject_floats_and_mixed_signs():
    with pytest.raises(TypeError):
        invoice_line_taxes([100.0])
    with pytest.raises(ValueError, match="mix charges and refunds"):
        invoice_line_taxes([1_000, -500])


@given(lines_st)
def test_line_taxes_add_up_to_the_invoice_tax_and_each_is_within_a_yen_of_its_share(amounts):
    lines = invoice_line_taxes(amounts)
    [breakdown] = invoice_tax(amounts)
    assert [line.amount for line in lines] == amounts
    assert sum(line.tax for line in lines) == breakdown.tax
    assert sum(line.net for line in lines) == breakdown.net
    assert tax_breakdown_of(lines) == [breakdown]
    for line in lines:
        assert line.amount == line.tax + line.net
        assert line.tax >= 0 and line.net >= 0
        if breakdown.total_incl_tax:
            exact = Fraction(breakdown.tax * line.amount, breakdown.total_incl_tax)
            assert abs(line.tax - exact) < 1
        # ...and so within a yen of the tax the line would carry alone.
        assert abs(line.tax - tax_included(line.amount)) <= 1
        if line.amount == 0:
            assert line.tax == 0


@given(rated_lines_st)
def test_line_taxes_add_up_per_rate(items):
    lines = invoice_line_taxes(items)
    assert [(line.amount, line.rate_percent) for line in lines] == items
    assert tax_breakdown_of(lines) == invoice_tax(items)


@given(st.integers(min_value=0, max_value=10**12))
def test_a_single_line_carries_the_whole_tax(amount):
    [line] = invoice_line_taxes([amount])
    assert (line.tax, line.net) == (tax_included(amount), net_of_tax(amount))


@given(st.integers(min_value=1, max_value=10**9), st.integers(min_value=2, max_value=30))
def test_equal_lines_give_the_leftover_yen_to_the_earliest(amount, count):
    taxes = [line.tax for line in invoice_line_taxes([amount] * count)]
    assert taxes == sorted(taxes, reverse=True)
    assert max(taxes) - min(taxes) <= 1


@given(lines_st)
def test_line_taxes_of_a_refund_mirror_the_sale(amounts):
    sale = invoice_line_taxes(amounts)
    assert invoice_line_taxes([-a for a in amounts]) == [line.reversed() for line in sale]


@given(lines_st, st.data())
def test_credit_notes_return_the_lines_as_invoiced_so_tax_adds_up_to_the_lines_still_sold(amounts, data):
    invoice = invoice_line_taxes(amounts)
    refunded = data.draw(st.sets(st.sampled_from(range(len(amounts)))), label="refunded lines")
    # One credit note per refunded line, as refunding one line at a time issues them.
    notes = [tax_breakdown_of([invoice[i].reversed()]) for i in sorted(refunded)]
    stated_tax = sum(b.tax for b in tax_breakdown_of(invoice)) + sum(b.tax for note in notes for b in note)
    stated_total = sum(amounts) + sum(b.total_incl_tax for note in notes for b in note)
    kept = [invoice[i] for i in range(len(amounts)) if i not in refunded]
    assert stated_tax == sum(line.tax for line in kept)
    assert stated_total == sum(line.amount for line in kept)
    if not kept:
        assert stated_tax == stated_total == 0


# --------------------------------------------------------------------------
# largest remainder split
# --------------------------------------------------------------------------


def test_split_basic():
    assert split_largest_remainder(100, {"a": 1, "b": 1, "c": 1}) == {"a": 34, "b": 33, "c": 33}
    # Tie broken by key order as given.
    assert split_largest_remainder(100, {"c": 1, "b": 1, "a": 1}) == {"c": 34, "b": 33, "a": 33}
    assert split_largest_remainder(10, {"x": 0, "y": 3, "z": 7}) == {"x": 0, "y": 3, "z": 7}
    assert split_largest_remainder(0, {"x": 5}) == {"x": 0}


def test_split_largest_remainder_wins():
    # exact shares 1.6 / 1.4 / 2.0  -> floors 1,1,2, one yen left -> largest remainder (a)
    assert split_largest_remainder(5, {"a": 8, "b": 7, "c": 10}) == {"a": 2, "b": 1, "c": 2}


def test_split_negative_total_mirrors():
    assert split_largest_remainder(-100, {"a": 1, "b": 1, "c": 1}) == {"a": -34, "b": -33, "c": -33}


@pytest.mark.parametrize("weights", [{}, {"a": 0, "b": 0}, {"a": -1, "b": 2}])
def test_split_invalid_weights(weights):
    with pytest.raises(ValueError):
        split_largest_remainder(100, weights)


def test_split_rejects_float():
    with pytest.raises(TypeError):
        split_largest_remainder(100.0, {"a": 1})
    with pytest.raises(TypeError):
        split_largest_remainder(100, {"a": 0.5})


weights_st = st.dictionaries(
    st.text(min_size=1, max_size=4), st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12
).filter(lambda d: any(v > 0 for v in d.values()))


@given(yen, weights_st)
def test_split_properties(total, weights):
    parts = split_largest_remainder(total, weights)
    assert list(parts) == list(weights)
    assert sum(parts.values()) == total
    weight_sum = sum(weights.values())
    for key, part in parts.items():
        assert part >= 0
        exact = Fraction(total * weights[key], weight_sum)
        assert abs(part - exact) < 1
        if weights[key] == 0:
            assert part == 0


@given(yen, weights_st)
def test_split_negative_is_mirror(total, weights):
    assert split_largest_remainder(-total, weights) == {
        k: -v for k, v in split_largest_remainder(total, weights).items()
    }


# --------------------------------------------------------------------------
# shares
# --------------------------------------------------------------------------


def test_share_of_examples():
    assert share_of(150_000, percent_bp=4000) == 60_000
    assert share_of(999, percent_bp=4000) == 399  # 399.6 floored
    assert share_of(1_000, percent_bp=10_000) == 1_000
    assert share_of(1_000, percent_bp=0) == 0
    with pytest.raises(ValueError):
        share_of(1_000, percent_bp=10_001)
    with pytest.raises(TypeError):
        share_of(1_000, percent_bp=40.0)


@given(yen, st.integers(min_value=0, max_value=10_000))
def test_pool_plus_platform_is_net(total, bp):
    net = net_of_tax(total)
    pool = share_of(net, percent_bp=bp)
    platform = net - pool
    assert pool + platform == net
    assert 0 <= pool <= net
    assert pool == net * bp // 10_000
    assert Fraction(pool) <= Fraction(net * bp, 10_000) < pool + 1


@given(signed_yen, st.integers(min_value=0, max_value=10_000))
def test_share_symmetric(amount, bp):
    assert share_of(-amount, percent_bp=bp) == -share_of(amount, percent_bp=bp)


# --------------------------------------------------------------------------
# withholding
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gross", "expected"),
    [
        (0, 0),
        (100_000, 10_210),
        (1_000_000, 102_100),
        (1_500_000, 204_200),
        (10_000, 1_021),
        (99, 10),  # 10.1079 -> 10
        (1_000_001, 102_100),  # 102,100.2042 -> 102,100
        (1_000_005, 102_101),  # 102,101.021 -> 102,101
    ],
)
def test_withholding_individual_examples(gross, expected):
    assert withholding_tax(gross, kind="individual_resident") == expected


def test_withholding_other_kinds():
    assert withholding_tax(1_500_000, kind="corporation") == 0
    assert withholding_tax(100_000, kind="non_resident") == 20_420
    assert withholding_tax(100_000, kind="non_resident", rate_bp=1000) == 10_000
    with pytest.raises(ValueError):
        withholding_tax(100_000, kind="alien")
    with pytest.raises(ValueError):
        withholding_tax(-1, kind="individual_resident")
    with pytest.raises(TypeError):
        withholding_tax(100_000.0, kind="individual_resident")


@given(yen, yen)
def test_withholding_monotonic(a, b):
    lo, hi = sorted((a, b))
    for kind in money.WITHHOLDING_KINDS:
        assert withholding_tax(lo, kind=kind) <= withholding_tax(hi, kind=kind)


@given(yen)
def test_withholding_matches_exact_rule(gross):
    exact = Fraction(min(gross, 1_000_000) * 1021, 10_000) + Fraction(max(gross - 1_000_000, 0) * 2042, 10_000)
    tax = withholding_tax(gross, kind="individual_resident")
    assert tax <= exact < tax + 1
    assert 0 <= tax <= gross


# --------------------------------------------------------------------------
# formatting
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "text"),
    [(165_000, "¥165,000"), (-1_000, "-¥1,000"), (0, "¥0"), (999, "¥999"), (1_234_567, "¥1,234,567")],
)
def test_format_yen(amount, text):
    assert format_yen(amount) == text


def test_module_imports_no_django_and_uses_no_float():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(money))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
        # no float literals and no float() calls anywhere
        assert not (isinstance(node, ast.Constant) and isinstance(node.value, float))
        assert not (isinstance(node, ast.Name) and node.id == "float")
    assert not any(name.split(".")[0] == "django" for name in imported)


def test_the_worked_examples_in_the_docstrings_hold():
    import doctest

    result = doctest.testmod(money)
    assert result.attempted >= 9 and result.failed == 0

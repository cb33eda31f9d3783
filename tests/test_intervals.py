"""The contract's interval semantics: which true values each reported figure allows."""

import math
import random

import pytest

from auditor.intervals import Interval, figure_interval, relative_difference, relative_gap, same_value

nan = math.nan


def test_exact_figure_is_a_point():
    assert figure_interval(15, 15, 15, "exact") == Interval(15, 15)


def test_approximate_figure_allows_five_percent_either_side():
    iv = figure_interval(130, 130, 130, "approximate")
    assert iv.low == pytest.approx(123.5) and iv.high == pytest.approx(136.5)
    assert iv.overlaps(figure_interval(136, 136, 136, "exact"))
    assert not iv.overlaps(figure_interval(137, 137, 137, "exact"))


@pytest.mark.parametrize("qualifier", ["at_least", "more_than"])
def test_lower_bound_is_open_above(qualifier):
    iv = figure_interval(50, 50, nan, qualifier)
    assert iv.low == 50 and math.isinf(iv.high)
    assert iv.overlaps(figure_interval(6000, 6000, 6000, "exact"))
    assert not iv.overlaps(figure_interval(49, 49, 49, "exact"))


@pytest.mark.parametrize("qualifier", ["at_most", "less_than"])
def test_upper_bound_starts_at_zero(qualifier):
    iv = figure_interval(200000, nan, 200000, qualifier)
    assert iv == Interval(0, 200000)
    assert iv.overlaps(figure_interval(1, 1, 1, "exact"))
    assert not iv.overlaps(figure_interval(250000, 250000, 250000, "exact"))


def test_range_uses_both_bounds():
    iv = figure_interval(nan, 60000, 140000, "range")
    assert iv == Interval(60000, 140000)
    assert not iv.overlaps(figure_interval(150000, 150000, 150000, "approximate"))


def test_vague_amount_uses_table_bounds_and_may_be_unbounded():
    assert figure_interval(nan, 24, 99, "vague") == Interval(24, 99)
    open_ended = figure_interval(nan, 2000, nan, "vague")
    assert open_ended.low == 2000 and math.isinf(open_ended.high)


def test_figure_without_any_number_has_no_interval():
    assert figure_interval(nan, nan, nan, "exact") is None
    assert figure_interval(None, None, None, "at_least") is None


def test_implicit_tolerance_widens_plain_numbers():
    strict = figure_interval(200, 200, 200, "exact")
    loose = figure_interval(200, 200, 200, "exact", implicit_tolerance=0.05)
    exact_miles = figure_interval(125 * 1.609344, None, None, "exact")
    assert not strict.overlaps(exact_miles)
    assert loose.overlaps(exact_miles)


def test_relative_difference_is_gap_over_the_larger():
    fifteen, thirty = Interval(15, 15), Interval(30, 30)
    assert relative_difference(fifteen, thirty) == pytest.approx(0.5)
    assert relative_difference(thirty, fifteen) == pytest.approx(0.5)
    assert relative_difference(Interval(10, 20), Interval(15, 40)) == 0.0
    assert relative_difference(Interval(0, 10), Interval(20, math.inf)) == pytest.approx(0.5)


def test_relative_gap_of_bounds_is_symmetric_and_zero_only_when_they_overlap():
    rng = random.Random(5)
    for _ in range(2000):
        a_low, b_low = rng.choice([0.0, 1.0, 12.0, 40.0, 300.0]), rng.choice([0.0, 5.0, 12.0, 90.0])
        a = Interval(a_low, rng.choice([a_low, a_low * 2, math.inf]))
        b = Interval(b_low, rng.choice([b_low, b_low + 3, math.inf]))
        gap = relative_gap(a.low, a.high, b.low, b.high)
        assert gap == relative_gap(b.low, b.high, a.low, a.high) == relative_difference(a, b)
        lower, upper = sorted((a, b), key=lambda iv: iv.low)
        if a.overlaps(b) or upper.low == 0:
            assert gap == 0.0
        else:
            assert 0.0 < gap <= 1.0 and gap == (upper.low - lower.high) / upper.low


def test_same_value_tolerates_unit_conversion_rounding():
    miles = figure_interval(155 * 1.609344, None, None, "exact")
    assert same_value(miles, Interval(250, 250))
    assert not same_value(Interval(15, 15), Interval(16, 16))
    assert same_value(Interval(2000, math.inf), Interval(2000, math.inf))

"""What interval of true values each reported figure allows (the contract's interval semantics).

exact N -> [N, N]; approximate N -> N +- 5 %; at least / more than N -> [N, inf);
at most / less than N -> [0, N]; between A and B -> [A, B]; vague amounts -> the bounds the
extractor took from ``auditor/data/vague.yaml``.  Two figures conflict when their intervals
do not overlap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

APPROXIMATE_TOLERANCE = 0.05


@dataclass(frozen=True)
class Interval:
    """A closed interval of true values; ``high`` may be ``inf`` (unbounded above)."""

    low: float
    high: float

    def overlaps(self, other: Interval) -> bool:
        """True when some value lies in both intervals."""
        return self.low <= other.high and other.low <= self.high

    @property
    def bounded(self) -> bool:
        return math.isfinite(self.high)


def _num(x: object) -> float:
    """``x`` as a float, NaN for missing values."""
    if x is None:
        return math.nan
    try:
        return float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _first(*values: float) -> float:
    for v in values:
        if not math.isnan(v):
            return v
    return math.nan


def figure_interval(
    value: object,
    low: object,
    high: object,
    qualifier: str,
    *,
    approximate_tolerance: float = APPROXIMATE_TOLERANCE,
    implicit_tolerance: float = 0.0,
) -> Interval | None:
    """The interval a figure allows, or ``None`` when it states no number at all.

    Parameters
    ----------
    value, low, high
        The figure's point value and stated bounds in the canonical unit (NaN/None = missing;
        a missing ``high`` is unbounded, a missing ``low`` of an upper bound is 0).
    qualifier
        One of the contract's qualifiers; anything else is read as ``exact``.
    approximate_tolerance
        Relative slack of an approximate figure (the contract's 5 %).
    implicit_tolerance
        Relative slack for figures written as plain numbers whose kind is never exact
        (a distance "130 km north of" is a rounded road distance).
    """
    v, lo, hi = _num(value), _num(low), _num(high)
    if qualifier in ("at_least", "more_than"):
        bound = _first(lo, v)
        if math.isnan(bound):
            return None
        top = hi if not math.isnan(hi) and hi >= bound else math.inf
        return Interval(bound * (1 - implicit_tolerance), top)
    if qualifier in ("at_most", "less_than"):
        bound = _first(hi, v)
        if math.isnan(bound):
            return None
        return Interval(0.0 if math.isnan(lo) or lo > bound else lo, bound * (1 + implicit_tolerance))
    if qualifier in ("range", "vague"):
        lo = _first(lo, v)
        hi = _first(hi, v) if qualifier == "range" else hi
        if math.isnan(lo) and math.isnan(hi):
            return None
        lo = 0.0 if math.isnan(lo) else lo
        hi = math.inf if math.isnan(hi) else hi
        slack = implicit_tolerance
        return Interval(lo * (1 - slack), hi * (1 + slack))
    # exact / approximate: a point, or a stated range written approximately ("about 20-30").
    lo, hi = _first(lo, v, hi), _first(hi, v, lo)
    if math.isnan(lo):
        return None
    slack = approximate_tolerance if qualifier == "approximate" else 0.0
    slack = max(slack, implicit_tolerance)
    return Interval(min(lo, hi) * (1 - slack), max(lo, hi) * (1 + slack))


def relative_difference(a: Interval, b: Interval) -> float:
    """How far apart two intervals are at their nearest points, relative to the larger one.

    0 when they overlap; 0.5 for exactly 15 against exactly 30; approaches 1 as one
    dwarfs the other.
    """
    return relative_gap(a.low, a.high, b.low, b.high)


def relative_gap(low_a: float, high_a: float, low_b: float, high_b: float) -> float:
    """:func:`relative_difference` of ``[low_a, high_a]`` and ``[low_b, high_b]`` given as bounds (the
    claim stages' loops make no :class:`Interval` per pair)."""
    if low_a <= high_b and low_b <= high_a:  # they overlap
        return 0.0
    lower_high, upper_low = (high_a, low_b) if high_a < low_b else (high_b, low_a)
    if upper_low <= 0:
        return 0.0
    return (upper_low - lower_high) / upper_low


def same_value(a: Interval, b: Interval, tolerance: float = 0.02) -> bool:
    """True when two intervals state the same figure, up to rounding (``tolerance`` relative)."""

    def close(x: float, y: float) -> bool:
        if math.isinf(x) or math.isinf(y):
            return x == y
        return abs(x - y) <= tolerance * max(abs(x), abs(y), 1e-12)

    return close(a.low, b.low) and close(a.high, b.high)


__all__ = ["APPROXIMATE_TOLERANCE", "Interval", "figure_interval", "relative_difference", "relative_gap", "same_value"]

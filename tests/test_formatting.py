"""Readable values: what the dashboard, report and MIME view show for a figure (CSV stays raw)."""

from __future__ import annotations

import doctest
import math

import pandas as pd
import pytest

import auditor.formatting as fmt
from auditor.formatting import interval_text, number, review_state, value_text


def test_module_examples_hold() -> None:
    assert doctest.testmod(fmt).failed == 0


@pytest.mark.parametrize(("x", "shown"), [
    (249.44832000000002, "249"),
    (1234, "1,234"),
    (2.5, "2.5"),
    (5_000_000, "5 million"),
    (1_250_000, "1.25 million"),
    (float("nan"), ""),
    (None, ""),
    ("", ""),
    (float("inf"), "∞"),
])
def test_numbers_read_as_people_write_them(x: object, shown: str) -> None:
    assert number(x) == shown


@pytest.mark.parametrize(("row", "shown"), [
    # "at least 40 people were killed in Khartoum" (Sudan)
    ((40, 40, math.inf, "at_least", "count"), "≥ 40"),
    ((None, 40, None, "more_than", "count"), "> 40"),
    # "between 40 and 72 civilians" (Myanmar)
    ((None, 40, 72, "range", "count"), "40–72"),
    # "dozens were wounded" (Gaza), the contract's vague table
    ((None, 24, 99, "vague", "count"), "24–99"),
    ((130.2, 123.7, 136.7, "approximate", "km"), "about 130 km"),
    ((3, 3, 3, "exact", "day"), "3 days"),
    ((1, 1, 1, "exact", "day"), "1 day"),
    ((None, None, 300, "at_most", "household"), "≤ 300 households"),
    ((None, None, 12, "less_than", "count"), "< 12"),
    ((0.3, 0.3, 0.3, "exact", "fraction"), "30 %"),
    ((5e6, 4.75e6, 5.25e6, "approximate", "USD"), "about $5 million"),
    ((float("nan"), float("nan"), float("nan"), "exact", "count"), ""),
])
def test_report_values_in_plain_words(row: tuple, shown: str) -> None:
    assert value_text(*row) == shown


def test_conversions_show_what_was_written_and_a_rounded_conversion() -> None:
    # "the convoy travelled 155 miles from Kherson" (Ukraine), stored in km
    assert value_text(249.44832, 249.44832, 249.44832, "exact", "km", 155, "mile") == "155 miles (about 249 km)"
    assert value_text(96.56, 91.7, 101.4, "approximate", "km", 60, "mile") == "about 60 miles (about 96.6 km)"
    # same unit written and stored: no conversion shown
    assert value_text(12, 12, 12, "exact", "km", 12, "km") == "12 km"


def test_group_spread() -> None:
    assert interval_text(40, 72) == "40–72"
    assert interval_text(40, 40) == "40"
    assert interval_text(40, float("nan")) == "≥ 40"
    assert interval_text(float("nan"), float("nan")) == ""


def test_frame_formatting_never_shows_nan() -> None:
    frame = pd.DataFrame({"value": [float("nan"), 45.0], "low": [30.0, 45.0], "high": [float("nan"), 45.0],
                          "qualifier": ["at_least", "exact"], "unit": ["count", "count"]})
    shown = fmt.frame_value_text(frame)
    assert shown == ["≥ 30", "45"]
    assert not any("nan" in s.lower() for s in shown)


def test_review_state_of_a_group() -> None:
    assert review_state([], 0) == "nothing to review"
    assert review_state(["", ""], 2) == "to review"
    assert review_state(["dismissed", ""], 2) == "partly reviewed"
    assert review_state(["dismissed", "dismissed"], 2) == "dismissed"
    assert review_state(["dismissed", "confirmed"], 2) == "reviewed"


def test_qualifiers_and_statuses_are_plain_language() -> None:
    assert fmt.qualifier_text("at_least") == "at least"
    assert fmt.qualifier_text("some_new_one") == "some new one"
    assert fmt.status_text("single") == "one report"
    assert fmt.relation_text("part_of") == "part of a total"


def test_view_columns_are_declared_once() -> None:
    keys = [key for key, _ in fmt.GROUP_VIEW_COLUMNS]
    assert keys[0] == "label" and "status" in keys and "review" in keys
    assert [k for k, _ in fmt.FACETS] == ["category", "place", "outlets", "status", "review"]
    assert fmt.STATUS_ORDER[0] == "conflict"


def test_group_spreads_is_the_one_rule_behind_every_views_reported_span():
    import pandas as pd

    from auditor import formatting

    groups = pd.Series(["open", "open", "closed", "closed", "vague"])
    low = pd.Series([12, 50, 40, 45, 24])
    high = pd.Series([12, None, None, 45, 99])
    value = pd.Series([12, 50, 40, 45, None])
    spans = formatting.group_spreads(groups, low, high, value)
    shown = {g: formatting.spread_text(r.low, r.high, "count", r.open_high) for g, r in spans.iterrows()}
    # "at least 50" reaches past "12": open above; "at least 40" is within "45": closed.
    assert shown == {"open": "12 to ≥ 50", "closed": "40–45", "vague": "24–99"}

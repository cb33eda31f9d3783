"""The extractor on the hand-coded extraction table (tests/data/extraction/*.yaml, 16 conflicts + general news).

Every row is run; each field must reach the accuracy the extractor reaches today, so a change that fixes one
phrasing and breaks others fails here with the rows it broke. Per-conflict and per-category figures:
``benchmarks/bench_extraction.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.scoring import load_table, score_table

TABLE = Path(__file__).parent / "data" / "extraction"

# field -> lowest accuracy accepted (measured, minus a small margin for rows still being added)
THRESHOLDS = {
    "found": 0.97,  # a figure overlaps the coded number (recall)
    "value": 0.99,  # of found figures: value, or both bounds for ranges and vague amounts
    "qualifier": 0.99,
    "unit": 0.99,
    "category": 0.93,
    "part_of": 0.98,  # the part points at the coded total (or at nothing when none is coded)
    "total": 0.98,  # event_total set (to the coded sum) exactly on the coded total's parts
}


@pytest.fixture(scope="module")
def result():
    rows = load_table(TABLE)
    assert len(rows) >= 400, f"the table holds {len(rows)} rows"
    return score_table(rows)


@pytest.mark.parametrize("field", list(THRESHOLDS))
def test_field_accuracy(result, field):
    accuracy, n = result.accuracy(field)["all"]
    failures = "\n".join(result.failures(field))
    assert accuracy >= THRESHOLDS[field], f"{field}: {accuracy} on {n} figures; failing rows:\n{failures}"


def test_precision_and_not_figures(result):
    assert result.precision() >= 0.99, "figures no coder recorded:\n" + "\n".join(result.extra)
    assert len(result.not_figure_hits) <= 4, "\n".join(result.not_figure_hits)


def test_every_conflict_reads_most_categories_right(result):
    weak = {k: v for k, v in result.accuracy("category", "conflict").items() if v[0] < 0.85}
    assert weak == {}, weak

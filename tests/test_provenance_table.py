"""Provenance on the tables of tests/data/provenance/: source, place, scope and date per conflict.

Each row is read as an article (its publication date and outlet); the thresholds are the accuracy the
rules reach today on all rows together, so a change that loses ground fails with the rows it broke.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_provenance import accuracy, load_tables, score_tables  # noqa: E402

# field -> lowest accuracy accepted over all tables (measured: see benchmarks/bench_provenance.py)
THRESHOLDS = {
    "found": 0.97,
    "source": 0.92,
    "source_type": 0.90,
    "location": 0.86,
    "country": 0.91,
    "scope": 0.89,
    "event_date": 0.93,
    "subject": 0.83,
    "admin1": 0.85,
}


@pytest.fixture(scope="module")
def checks():
    tables = load_tables()
    if sum(len(rows) for rows in tables.values()) < 100:
        pytest.skip("the provenance tables are not there yet")
    return score_tables(tables)


def test_the_tables_cover_many_conflicts():
    tables = load_tables()
    assert len(tables) >= 6, sorted(tables)
    ids = [row["id"] for rows in tables.values() for row in rows]
    assert len(ids) == len(set(ids)), "row ids must be unique across tables"


@pytest.mark.parametrize("field", sorted(THRESHOLDS))
def test_field_accuracy(checks, field):
    value, n = accuracy(checks, field)
    assert n > 0
    failing = [f"{c.row} {c.number!r}: want {c.expected!r}, got {c.predicted!r}" for c in checks
               if c.field == field and not c.ok]
    assert value >= THRESHOLDS[field], f"{field} accuracy {value:.3f} over {n}; failing rows:\n" + "\n".join(failing)


def test_told_names_the_outlet_spoken_to(checks):
    told = [c for c in checks if c.field == "told" and c.expected]
    assert told and all(c.ok for c in told), [(c.row, c.expected, c.predicted) for c in told if not c.ok]

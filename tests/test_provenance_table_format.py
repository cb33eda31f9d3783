"""Well-formedness of the provenance tables in tests/data/provenance/ (format: TABLES.md, "Provenance table").

These tests check the table itself, not the extractor: every file parses, every row has the fields the
provenance tests read, every ``number`` lies in its ``text``, enums and dates are valid, ids are unique.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

TABLE_DIR = Path(__file__).parent / "data" / "provenance"
FILES = sorted(TABLE_DIR.glob("*.yaml"))

SOURCE_TYPES = {"person", "organisation", "outlet", "unattributed"}
SCOPES = {"incident", "cumulative", "historical"}
CATEGORIES = {
    "killed", "wounded", "casualties", "missing", "captured", "displaced", "trapped", "fighters", "groups",
    "airstrikes", "attacks", "distance", "territory", "duration", "money", "other",
}
ROW_KEYS = {"id", "published", "outlet", "text", "figures", "note"}
FIGURE_KEYS = {
    "number", "occurrence", "category", "source", "source_type", "told", "subject", "location", "admin1",
    "country", "scope", "event_date",
}
REQUIRED_FIGURE_KEYS = {"number", "source", "source_type", "location", "country", "scope", "event_date"}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _load(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _nth_index(text: str, sub: str, n: int) -> int:
    start = -1
    for _ in range(n):
        start = text.find(sub, start + 1)
        if start < 0:
            break
    return start


def _is_date(value: object) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def test_tables_exist() -> None:
    assert len(FILES) >= 10, "at least ten conflicts"
    rows = sum(len(_load(p)["rows"]) for p in FILES)
    assert rows >= 300


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_table_is_well_formed(path: Path) -> None:
    table = _load(path)
    assert table["conflict"] == path.stem
    rows = table["rows"]
    assert 30 <= len(rows) <= 45, f"{path.name}: {len(rows)} rows"
    for row in rows:
        where = f"{path.name}:{row.get('id')}"
        assert set(row) <= ROW_KEYS, f"{where}: unknown keys {set(row) - ROW_KEYS}"
        assert isinstance(row["id"], str) and row["id"]
        text = row["text"]
        assert isinstance(text, str) and text.strip(), where
        published = row.get("published")
        assert published is None or _is_date(published), f"{where}: published must be an ISO date"
        figures = row["figures"]
        assert 1 <= len(figures) <= 3, where
        for fig in figures:
            assert set(fig) <= FIGURE_KEYS, f"{where}: unknown keys {set(fig) - FIGURE_KEYS}"
            assert REQUIRED_FIGURE_KEYS <= set(fig), f"{where}: missing {REQUIRED_FIGURE_KEYS - set(fig)}"
            number = fig["number"]
            assert isinstance(number, str), f"{where}: number {number!r} must be a string"
            start = _nth_index(text, number, fig.get("occurrence", 1))
            assert start >= 0, f"{where}: {number!r} not in text"
            before, after = text[max(0, start - 2):start], text[start + len(number):start + len(number) + 2]
            assert not re.search(r"(\w|\d[.,])$", before), f"{where}: {number!r} starts inside a longer word or number"
            assert not re.match(r"\w|[.,]\d", after), f"{where}: {number!r} ends inside a longer word or number"
            if "category" in fig:
                assert fig["category"] in CATEGORIES, f"{where}: category {fig['category']!r}"
            assert fig["source_type"] in SOURCE_TYPES, f"{where}: source_type {fig['source_type']!r}"
            assert (fig["source"] is None) == (fig["source_type"] == "unattributed"), \
                f"{where}: an unattributed figure has no source, an attributed one has a source"
            if fig["source"] is not None:
                source = fig["source"]
                assert isinstance(source, str) and source.strip(), where
                assert source.lower() not in WEEKDAYS, f"{where}: a weekday is never a source"
            if fig.get("told") is not None:
                assert isinstance(fig["told"], str) and fig["told"] in text, f"{where}: told {fig['told']!r}"
            location, country = fig["location"], fig["country"]
            if location is None:
                assert country is None and fig.get("admin1") is None, f"{where}: no place, no country/admin1"
            else:
                assert isinstance(location, str) and location.strip(), where
                assert isinstance(country, str) and re.fullmatch(r"[A-Z]{2}", country), \
                    f"{where}: country {country!r} must be ISO 3166 alpha-2"
            assert fig["scope"] in SCOPES, f"{where}: scope {fig['scope']!r}"
            event_date = fig["event_date"]
            assert event_date is None or _is_date(event_date), f"{where}: event_date {event_date!r}"
            if event_date is not None and published is not None:
                assert event_date <= published, f"{where}: event after publication"
            if event_date is not None and fig["scope"] == "incident" and published is not None:
                named = [d for i, d in enumerate(WEEKDAYS) if re.search(rf"\b{d}\b", text, re.I)]
                if named and (published - event_date).days <= 6:
                    assert WEEKDAYS[event_date.weekday()] in named, f"{where}: {event_date} is no weekday named"


def test_ids_are_unique_across_files() -> None:
    seen: dict[str, str] = {}
    for path in FILES:
        for row in _load(path)["rows"]:
            assert row["id"] not in seen, f"{row['id']} in {path.name} and {seen.get(row['id'])}"
            seen[row["id"]] = path.name

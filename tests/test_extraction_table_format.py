"""The extraction test table (tests/data/extraction/*.yaml) is well-formed.

These tests check the hand-written table itself against the format and conventions of
/work/notes/TABLES.md and the contract (bounds per qualifier, canonical units, vague amounts,
parts and totals); they do not run the extractor.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

TABLE_DIR = Path(__file__).parent / "data" / "extraction"
FILES = sorted(TABLE_DIR.glob("*.yaml"))
GENERAL = "general_news"

QUALIFIERS = {"exact", "approximate", "at_least", "more_than", "at_most", "less_than", "range", "vague"}
CATEGORIES = {"killed", "wounded", "casualties", "missing", "captured", "displaced", "trapped", "fighters",
              "groups", "airstrikes", "attacks", "distance", "territory", "duration", "money", "other"}
PEOPLE = {"killed", "wounded", "casualties", "missing", "captured", "displaced", "trapped", "fighters"}
# Units other than the contract's canonical ones that the table uses (quantulum3 unit names).
OTHER_UNITS = {"square kilometre", "tonne", "hectare", "horsepower", "kilometre per hour", "mile per hour",
               "barrel", "inch", "megawatt", "terabyte", "degree Celsius"}
# The contract's vague amounts, longest phrase first.
VAGUE = [("hundreds of thousands", 200000, 999999), ("tens of thousands", 20000, 99999),
         ("millions", 2000000, 9999999), ("thousands", 2000, 9999), ("hundreds", 200, 999),
         ("dozens", 24, 99), ("scores", 40, 199), ("several", 3, 9), ("a few", 2, 5),
         ("a handful", 2, 5)]
ROW_KEYS = {"id", "text", "figures", "total", "not_figures"}
FIGURE_KEYS = {"number", "occurrence", "value", "low", "high", "qualifier", "unit", "category", "counted", "part_of"}
REQUIRED_FIGURE_KEYS = {"number", "value", "low", "high", "qualifier", "unit", "category"}


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _span(text: str, number: str, occurrence: int = 1) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence):
        start = text.find(number, start + 1)
        assert start >= 0, f"{number!r} (occurrence {occurrence}) not in {text!r}"
    return start, start + len(number)


def test_table_covers_enough_conflicts_and_sentences():
    conflicts = [f for f in FILES if f.stem != GENERAL]
    assert len(conflicts) >= 10
    assert sum(len(_load(f)["rows"]) for f in conflicts) >= 440
    assert (TABLE_DIR / f"{GENERAL}.yaml").exists()
    assert len(_load(TABLE_DIR / f"{GENERAL}.yaml")["rows"]) >= 40


def test_ids_are_unique_across_files():
    ids = [row["id"] for f in FILES for row in _load(f)["rows"]]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_file_follows_the_table_format(path: Path):
    doc = _load(path)
    assert set(doc) == {"conflict", "rows"}
    assert doc["conflict"] == path.stem
    rows = doc["rows"]
    if path.stem != GENERAL:
        assert 35 <= len(rows) <= 60, f"{path.name}: {len(rows)} rows"
    for row in rows:
        where = f"{path.name} {row.get('id')}"
        assert set(row) <= ROW_KEYS and {"id", "text", "figures"} <= set(row), where
        text = row["text"]
        assert isinstance(text, str) and text.strip(), where
        spans = []
        numbers = [f["number"] for f in row["figures"]]
        for fig in row["figures"]:
            _check_figure(fig, text, where)
            spans.append(_span(text, fig["number"], fig.get("occurrence", 1)))
        assert spans == sorted(spans), f"{where}: figures not in reading order"
        by_number = {f["number"]: f for f in row["figures"]}
        for fig in row["figures"]:
            if fig.get("part_of") is not None:
                _check_part(fig, by_number, where)
        if row.get("total") is not None:
            _check_total(row["total"], by_number, numbers, where)
        for nf in row.get("not_figures") or []:
            assert nf in text, f"{where}: not_figure {nf!r} not in text"
            a = text.find(nf)
            for s, e in spans:
                assert not (a < e and s < a + len(nf)), f"{where}: not_figure {nf!r} inside a figure"


def _check_figure(fig: dict, text: str, where: str) -> None:
    assert REQUIRED_FIGURE_KEYS <= set(fig) <= FIGURE_KEYS, f"{where}: keys {sorted(fig)}"
    number, q, unit, cat = fig["number"], fig["qualifier"], fig["unit"], fig["category"]
    where = f"{where} {number!r}"
    start, end = _span(text, number, fig.get("occurrence", 1))
    # the span is whole words: "12" must not be read inside "127"
    assert not (number[0].isalnum() and start > 0 and text[start - 1].isalnum()), where
    assert not (number[-1].isalnum() and end < len(text) and text[end].isalnum()), where
    assert q in QUALIFIERS and cat in CATEGORIES, where
    value, low, high = fig["value"], fig["low"], fig["high"]
    if q in ("exact", "approximate"):
        assert value is not None and low == high == value, where
    elif q in ("at_least", "more_than"):
        assert value is not None and low == value and high is None, where
    elif q in ("at_most", "less_than"):
        assert value is not None and low is None and high == value, where
    elif q == "range":
        assert value is None and low is not None and high is not None and low < high, where
    else:  # vague
        assert value is None and low is not None and (high is None or high >= low), where
        phrase = number.lower()
        known = [(a, b) for key, a, b in VAGUE if key in phrase and not re.search(r"(several|a few) (dozen|hundred|thousand)", phrase)]
        if known:
            assert (low, high) == known[0], f"{where}: vague bounds differ from the contract's table"
    assert unit in {"count", "household", "km", "day", "fraction"} | OTHER_UNITS or re.fullmatch(r"[A-Z]{3}", unit), where
    if cat == "money":
        assert re.fullmatch(r"[A-Z]{3}", unit), where
    if cat == "distance":
        assert unit == "km", where
    if cat == "duration":
        assert unit == "day", where
    if cat in PEOPLE:
        assert unit in ("count", "household", "fraction"), where
    if unit == "fraction":
        assert all(abs(x) <= 1 for x in (value, low, high) if x is not None), where
    if unit in ("count", "household") and q != "vague":
        assert all(x >= 0 for x in (value, low, high) if x is not None), where


def _check_part(fig: dict, by_number: dict, where: str) -> None:
    total = by_number.get(fig["part_of"])
    assert total is not None and total is not fig, f"{where}: part_of {fig['part_of']!r} is not a figure of the row"
    # a part takes its total's category, except the killed/wounded split of a casualty count
    split = total["category"] == "casualties" and fig["category"] in ("killed", "wounded")
    assert fig["category"] == total["category"] or split, f"{where}: a part takes its total's category"
    if fig["unit"] == total["unit"] and total["high"] is not None:
        part_low = fig["low"] if fig["low"] is not None else 0
        assert part_low <= total["high"], f"{where}: part {fig['number']!r} exceeds its total"


def _check_total(total: dict, by_number: dict, numbers: list[str], where: str) -> None:
    assert set(total) == {"value", "category", "parts"}, where
    assert len(total["parts"]) >= 2, where
    parts = [by_number.get(p) for p in total["parts"]]
    assert all(p is not None for p in parts), f"{where}: total parts {total['parts']} not all figures"
    assert all(p["category"] == total["category"] for p in parts), where
    assert all(p.get("part_of") is None for p in parts), f"{where}: a stated total makes no summed total"
    assert total["value"] == sum(p["value"] for p in parts), f"{where}: total is not the sum of its parts"

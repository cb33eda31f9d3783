"""Provenance accuracy on the provenance tables (tests/data/provenance/<conflict>.yaml).

    .venv/bin/python benchmarks/bench_provenance.py [--failures] [--conflict NAME] [--field FIELD]

Every row's text is read as an article (its `published` date and `outlet`), every expected figure is
matched to the extracted figure whose span overlaps its `number`, and each provenance field is
compared loosely (names through the actor and place tables, case, containment). Prints accuracy per
conflict and per field; `--failures` lists the rows that miss. tests/test_provenance_table.py uses
:func:`score_tables` for its thresholds.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "tests" / "data" / "provenance"
FIELDS = ("found", "source", "source_type", "told", "subject", "location", "admin1", "country", "scope",
          "event_date")


@dataclass
class Check:
    """One field of one expected figure: expected, predicted, and whether they agree."""

    conflict: str
    row: str
    number: str
    field: str
    expected: Any
    predicted: Any
    ok: bool


def load_tables(folder: Path = TABLES) -> dict[str, list[dict[str, Any]]]:
    """conflict -> rows, for every table in ``folder``."""
    tables = {}
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        tables[str(data.get("conflict") or path.stem)] = list(data.get("rows") or [])
    return tables


def _norm(text: Any) -> str:
    from auditor._names import fold

    return re.sub(r"\s+", " ", fold(str(text or "")).lower().replace("’", "'")).strip(" .'\"")


def _same_name(expected: Any, predicted: str, kind: str) -> bool:
    """Loose equality of two names: aliases (actor or place table), case, diacritics, containment."""
    if expected is None or expected == "":
        return not predicted
    if not predicted:
        return False
    e, p = _norm(expected), _norm(predicted)
    for prefix in ("the ", "a ", "an "):
        e = e[len(prefix):] if e.startswith(prefix) else e
        p = p[len(prefix):] if p.startswith(prefix) else p
    if e == p or (len(e) >= 3 and e in p) or (len(p) >= 3 and p in e):
        return True
    if kind == "place":
        from auditor.gazetteer import default_gazetteer

        return default_gazetteer().same_place(str(expected), predicted)
    from auditor.actors import default_actors

    actors = default_actors()
    a, b = actors.actor(str(expected)), actors.actor(predicted)
    return a is not None and a == b


def _figure_for(figures: list[Any], text: str, expected: dict[str, Any]) -> Any:
    number = str(expected["number"])
    start = -1
    for _ in range(int(expected.get("occurrence") or 1)):
        start = text.find(number, start + 1)
    if start < 0:
        return None
    end = start + len(number)
    hits = [f for f in figures if f.start < end and start < f.end]
    if expected.get("category"):
        hits = sorted(hits, key=lambda f: f.category != expected["category"])
    return hits[0] if hits else None


def check_row(conflict: str, row: dict[str, Any]) -> list[Check]:
    """Every field check of one table row."""
    from auditor import extract_figures
    from auditor.model import Article

    text = str(row["text"])
    article = Article(article_id=str(row["id"]), path="", text=text, outlet=str(row.get("outlet") or ""),
                      published=str(row.get("published") or ""))
    figures = extract_figures(article)
    checks: list[Check] = []
    for expected in row.get("figures") or []:
        number = str(expected["number"])
        figure = _figure_for(figures, text, expected)

        def add(field: str, want: Any, got: Any, ok: bool) -> None:
            checks.append(Check(conflict, str(row["id"]), number, field, want, got, ok))

        add("found", number, figure.surface if figure else None, figure is not None)
        if figure is None:
            continue
        if "source" in expected:
            add("source", expected["source"], figure.source, _same_name(expected["source"], figure.source, "actor"))
        if "source_type" in expected:
            want = expected["source_type"] or "unattributed"
            add("source_type", want, figure.source_type, want == figure.source_type)
        if "told" in expected:
            add("told", expected["told"], figure.told, _same_name(expected["told"], figure.told, "actor"))
        if expected.get("subject"):
            add("subject", expected["subject"], figure.subject,
                _same_name(expected["subject"], figure.subject, "actor"))
        if "location" in expected:
            add("location", expected["location"], figure.location,
                _same_name(expected["location"], figure.location, "place"))
        if expected.get("admin1"):
            add("admin1", expected["admin1"], figure.admin1, _same_name(expected["admin1"], figure.admin1, "place"))
        if "country" in expected:
            want = expected["country"] or ""
            add("country", want, figure.country, want == figure.country)
        if "scope" in expected:
            add("scope", expected["scope"], figure.scope, expected["scope"] == figure.scope)
        if "event_date" in expected:
            want = str(expected["event_date"]) if expected["event_date"] else ""
            add("event_date", want, figure.event_date, want == figure.event_date)
    return checks


def score_tables(tables: dict[str, list[dict[str, Any]]] | None = None) -> list[Check]:
    """Every check of every row of every table."""
    tables = load_tables() if tables is None else tables
    return [c for conflict, rows in tables.items() for row in rows for c in check_row(conflict, row)]


def accuracy(checks: Iterable[Check], field: str, conflict: str | None = None) -> tuple[float, int]:
    """(share of agreeing checks, number of checks) for one field (and conflict)."""
    chosen = [c for c in checks if c.field == field and (conflict is None or c.conflict == conflict)]
    return (sum(c.ok for c in chosen) / len(chosen) if chosen else float("nan")), len(chosen)


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--failures", action="store_true", help="list the checks that fail")
    options.add_argument("--conflict", default=None, help="only this conflict's table")
    options.add_argument("--field", default=None, help="only list failures of this field")
    args = options.parse_args()
    tables = load_tables()
    if args.conflict:
        tables = {args.conflict: tables[args.conflict]}
    started = time.perf_counter()
    from auditor.extract import warm_up

    warm_up()
    checks = score_tables(tables)
    seconds = time.perf_counter() - started
    rows = sum(len(r) for r in tables.values())
    print(f"{rows} rows, {sum(c.field == 'found' for c in checks)} figures, {len(tables)} conflicts "
          f"in {seconds:.1f} s")
    fields = [f for f in FIELDS if any(c.field == f for c in checks)]
    print(f"{'conflict':<12}" + "".join(f"{f[:11]:>12}" for f in fields))
    for conflict in [*tables, None]:
        cells = []
        for field in fields:
            value, n = accuracy(checks, field, conflict)
            cells.append(f"{value:8.2f} {n:3d}" if n else f"{'-':>12}")
        print(f"{conflict or 'ALL':<12}" + "".join(f"{c:>12}" for c in cells))
    if args.failures:
        for c in checks:
            if not c.ok and (args.field is None or c.field == args.field):
                print(f"  {c.row:<12} {c.number!r:<22} {c.field:<11} want {c.expected!r:<32} got {c.predicted!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

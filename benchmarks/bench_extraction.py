"""Accuracy and speed of the extractor on the extraction table (tests/data/extraction/*.yaml).

    .venv/bin/python benchmarks/bench_extraction.py [--failures FIELD] [--table DIR]

Prints accuracy per field overall, per conflict, per coded category and per rule id (the rules in
figures' ``evidence``), precision (figures no coder recorded), not-figure hits and sentences/second.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditor.scoring import TABLE_FIELDS, load_table, score_table  # noqa: E402

FIELDS = [f for f in TABLE_FIELDS if f != "found"]


def _table(result, key: str, title: str) -> None:
    groups = sorted({g for o in result.outcomes for g in (o[key] if isinstance(o[key], list) else [o[key]])})
    print(f"\n{title:<22}{'n':>5}{'found':>8}" + "".join(f"{f:>10}" for f in FIELDS))
    found = result.accuracy("found", key)
    fields = {f: result.accuracy(f, key) for f in FIELDS}
    for g in groups:
        acc, n = found.get(g, (0.0, 0))
        cells = "".join(f"{fields[f].get(g, ('-', 0))[0]:>10}" for f in FIELDS)
        print(f"{str(g):<22}{n:>5}{acc:>8}{cells}")


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--table", type=Path, default=ROOT / "tests" / "data" / "extraction")
    options.add_argument("--failures", default="", help="list the failing rows of this field (e.g. category)")
    args = options.parse_args()
    rows = load_table(args.table)
    from auditor.extract import extract_figures

    extract_figures("warm up: 3 people were killed.")
    started = time.perf_counter()
    result = score_table(rows)
    elapsed = time.perf_counter() - started
    print(f"rows: {len(rows)}  coded figures: {len(result.outcomes)}  ({len(rows) / elapsed:,.0f} rows/s, scoring "
          "included)")
    print("overall:", "  ".join(f"{f} {result.accuracy(f)['all'][0]}" for f in TABLE_FIELDS))
    print(f"precision {result.precision()}  extra figures {len(result.extra)}  "
          f"not-figure hits {len(result.not_figure_hits)}")
    _table(result, "conflict", "conflict")
    _table(result, "gold_category", "coded category")
    _table(result, "rules", "rule id")
    if args.failures:
        print(f"\nfailing rows ({args.failures}):")
        if args.failures == "extra":
            print("\n".join(result.extra + result.not_figure_hits))
        else:
            print("\n".join(result.failures(args.failures)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

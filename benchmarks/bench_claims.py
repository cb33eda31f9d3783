"""Speed of claim grouping and conflict finding (build_claims) on synthetic figure tables.

Run: .venv/bin/python benchmarks/bench_claims.py [N ...]

Builds N figures (default 2,000, 20,000 and 100,000) spread over 40 places, 8 actors, 8
categories and a year of dates, with wire reprints (shared long sentences), and prints the
time of build_claims and the sizes of its outputs.  A worst case follows: 2,000 reports of one
claim on one day (every pair compared).
"""

from __future__ import annotations

import random
import sys
import time

import pandas as pd

from auditor.claims import build_claims
from auditor.model import FIGURE_COLUMNS

PLACES = ["Baiji", "Tikrit", "Mosul", "Ramadi", "Fallujah", "Kirkuk", "Baghdad", "Samarra", "Haditha", "Hit",
          "Aleppo", "Raqqa", "Homs", "Palmyra", "Deir ez-Zor", "Idlib", "Hama", "Daraa", "Kobani", "Manbij"] * 2
ACTORS = ["ISIS", "Hashd al-Shaabi", "Iraqi forces", "civilians", "coalition", "Kurdish forces", "Syrian army", ""]
CATEGORIES = ["killed", "wounded", "displaced", "trapped", "airstrikes", "fighters", "distance", "territory"]
OUTLETS = ["Reuters", "AP", "AFP", "BBC", "Al Jazeera", "Rudaw", "CNN", "Yahoo News", "Gulf Times", ""]


def synthetic(n: int, seed: int = 7) -> pd.DataFrame:
    rng = random.Random(seed)
    wires = [f"{rng.choice(ACTORS)} fighters clashed near {rng.choice(PLACES)} on {d}, officials and witnesses "
             f"told reporters, as the offensive entered its {d}th day" for d in range(200)]
    rows = []
    for i in range(n):
        category = rng.choice(CATEGORIES)
        value = float(rng.choice([5, 8, 12, 15, 20, 30, 45, 100, 250, 1000]))
        qualifier = rng.choice(["exact", "exact", "approximate", "at_least", "vague"])
        low, high = value, value
        if qualifier == "at_least":
            high = float("nan")
        if qualifier == "vague":
            value, low, high = float("nan"), 24.0, 99.0
        rows.append({
            "figure_id": f"f{i:07d}", "article_id": f"a{i // 4:06d}", "path": "", "start": i, "end": i + 2,
            "surface": "x", "sentence": rng.choice(wires) if rng.random() < 0.3 else f"Sentence number {i}.",
            "category": category, "value": value, "low": low, "high": high, "qualifier": qualifier,
            "unit": "km" if category == "distance" else "count", "reported_value": value, "reported_unit": "",
            "counted": "", "subject": "" if category == "distance" else rng.choice(ACTORS),
            "location": rng.choice(PLACES), "source": "", "source_type": "unattributed",
            "published": "" if rng.random() < 0.1 else f"2015-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "outlet": rng.choice(OUTLETS), "group_id": "",
            "reference_place": rng.choice(PLACES) if category == "distance" else "",
            "sentence_start": 0, "sentence_end": 0, "supersedes": "",
        })
    return pd.DataFrame(rows, columns=list(FIGURE_COLUMNS))


def one_claim(n: int) -> pd.DataFrame:
    frame = synthetic(n)
    frame["category"], frame["subject"], frame["location"] = "killed", "ISIS", "Baiji"
    frame["unit"], frame["reference_place"], frame["published"] = "count", "", "2015-10-20"
    return frame


def run(label: str, figures: pd.DataFrame) -> None:
    t0 = time.perf_counter()
    _, groups, conflicts = build_claims(figures, pd.DataFrame())
    elapsed = time.perf_counter() - t0
    print(f"{label:>28}: {elapsed:7.2f} s  ({len(figures) / elapsed:,.0f} figures/s)  "
          f"{len(groups):,} groups, {len(conflicts):,} conflicts")


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [2_000, 20_000, 100_000]
    build_claims(synthetic(50), pd.DataFrame())  # warm up: gazetteer and actor tables
    for n in sizes:
        run(f"{n:,} figures", synthetic(n))
    run("2,000 reports of one claim", one_claim(2_000))


if __name__ == "__main__":
    main()

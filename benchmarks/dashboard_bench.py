"""How fast the notebook dashboard builds and redraws at 5,000 and 50,000 figures.

    .venv/bin/python benchmarks/dashboard_bench.py [--sizes 5000 50000] [--repeat 3]

The audit is synthetic (made directly as DataFrames, so extraction speed does not count):
claim groups of about five reports from different articles, one group in five in conflict.
Printed per size: the dashboard's build time and the size of the group list it sends to the
browser once, the kernel's time to answer a group selection and a group review, and the time and
size of report.html. Filter -> redraw happens in the browser: benchmarks/browser_bench.py.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from auditor.audit import AuditResult
from auditor.claims import CONFLICT_COLUMNS, GROUP_COLUMNS
from auditor.model import ARTICLE_COLUMNS, CATEGORIES, ERROR_COLUMNS, FIGURE_COLUMNS

PLACES = ("Baiji", "Ramadi", "Fallujah", "Tikrit", "Mosul", "Kirkuk", "Samarra", "Haditha", "Sinjar", "Palmyra",
          "Raqqa", "Kobani", "Aleppo", "Homs", "Erbil", "Baghdad")
SUBJECTS = ("ISIS", "civilians", "Iraqi forces", "Hashd al-Shaabi", "Peshmerga", "coalition")
OUTLETS = ("Reuters", "AP", "AFP", "Al Jazeera", "Rudaw", "BBC", "Anadolu", "Kurdistan24", "CNN", "NYT", "Xinhua",
           "TASS")


def synthetic_result(n_figures: int, out_dir: Path, seed: int = 0) -> AuditResult:
    """An audit of ``n_figures`` figures in groups of ~5 with real spans into generated texts."""
    rng = np.random.default_rng(seed)
    n_articles = max(1, n_figures // 6)
    n_groups = max(1, n_figures // 5)
    article_ids = np.array([f"a{i:06d}" for i in range(n_articles)])
    outlets = rng.choice(OUTLETS, n_articles)
    days = pd.Timestamp(date(2015, 1, 1)) + pd.to_timedelta(rng.integers(0, 730, n_articles), unit="D")
    published = days.strftime("%Y-%m-%d").to_numpy()

    group_of = rng.integers(0, n_groups, n_figures)
    article_of = rng.integers(0, n_articles, n_figures)
    group_category = rng.choice(CATEGORIES[:12], n_groups)
    group_place = rng.choice(PLACES, n_groups)
    group_subject = rng.choice(SUBJECTS, n_groups)
    true_value = rng.integers(1, 5_000, n_groups).astype(float)
    conflicted = rng.random(n_figures) < 0.1
    value = true_value[group_of] * np.where(conflicted, 3.0, 1.0)
    qualifier = rng.choice(["exact", "at_least", "approximate", "range"], n_figures, p=[0.55, 0.2, 0.15, 0.1])
    low = np.where(qualifier == "approximate", value * 0.95, np.where(qualifier == "range", value * 0.8, value))
    high = np.where(qualifier == "approximate", value * 1.05, np.where(qualifier == "range", value * 1.2, value))
    high = np.where(qualifier == "at_least", np.nan, high)
    value = np.where(qualifier == "range", np.nan, value)

    texts: dict[str, list[str]] = {a: [] for a in article_ids}
    lengths = dict.fromkeys(article_ids, 0)
    rows = []
    for i in range(n_figures):
        article = article_ids[article_of[i]]
        surface = f"{int(true_value[group_of[i]] * (3 if conflicted[i] else 1)):,}"
        sentence = (f"Officials said {surface} people were {group_category[group_of[i]]} in "
                    f"{group_place[group_of[i]]} <b>today</b>. ")
        start = lengths[article] + len("Officials said ")
        sentence_start = lengths[article]
        texts[article].append(sentence)
        lengths[article] += len(sentence)
        rows.append((f"f{i:07d}", article, f"/corpus/{article}.txt", start, start + len(surface), surface,
                     sentence.strip(), sentence_start, sentence_start + len(sentence) - 1))
    figures = pd.DataFrame(rows, columns=["figure_id", "article_id", "path", "start", "end", "surface", "sentence",
                                          "sentence_start", "sentence_end"])
    article_index = article_of
    figures = figures.assign(
        category=group_category[group_of], value=value, low=low, high=high, qualifier=qualifier, unit="count",
        reported_value=value, reported_unit="", counted="people", subject=group_subject[group_of],
        location=group_place[group_of], source="Officials", source_type="unattributed",
        published=published[article_index], outlet=outlets[article_index], group_id=[f"g{g:06d}" for g in group_of],
        reference_place="", supersedes="",
    ).reindex(columns=list(FIGURE_COLUMNS), fill_value="")

    groups = figures.groupby("group_id").agg(
        category=("category", "first"), subject=("subject", "first"), location=("location", "first"),
        n_figures=("figure_id", "size"), n_articles=("article_id", "nunique"), low=("low", "min"),
        high=("high", "max"),
    ).reset_index()
    groups["reference_place"] = ""
    groups["unit"] = "count"
    groups["label"] = groups["category"] + " · " + groups["subject"] + " · " + groups["location"]
    figures["conflicted"] = conflicted
    pairs = []
    for group_id, members in figures.groupby("group_id"):
        bad, good = members[members["conflicted"]], members[~members["conflicted"]]
        for a, b in zip(bad["figure_id"], good["figure_id"]):
            pairs.append((group_id, a, b))
    figures = figures.drop(columns="conflicted")
    by_id = figures.set_index("figure_id")["article_id"]
    conflicts = pd.DataFrame(
        [(f"c{i:07d}", g, a, b, by_id[a], by_id[b], "", 2.0, "high", "3x apart") for i, (g, a, b) in enumerate(pairs)],
        columns=list(CONFLICT_COLUMNS),
    )
    in_conflict = set(conflicts["group_id"])
    groups["status"] = np.where(groups["group_id"].isin(in_conflict), "conflict", "consistent")
    groups = groups.reindex(columns=list(GROUP_COLUMNS), fill_value="")
    text_of = {a: "".join(parts) for a, parts in texts.items()}
    articles = pd.DataFrame({
        "article_id": article_ids, "path": [f"/corpus/{a}.txt" for a in article_ids],
        "title": [f"Report {a}" for a in article_ids], "outlet": outlets, "published": published, "url": "",
        "chars": [len(text_of[a]) for a in article_ids], "sha256": "",
    })[list(ARTICLE_COLUMNS)]
    return AuditResult(articles=articles, figures=figures, groups=groups, conflicts=conflicts,
                       errors=pd.DataFrame(columns=list(ERROR_COLUMNS)), texts=text_of, out_dir=out_dir)


def shipped_kb(*values: object) -> float:
    """Kilobytes of JSON the values make when synced to the browser."""
    return sum(len(json.dumps(v, default=str)) for v in values) / 1024


def timed(action: Callable[[], None], repeat: int) -> float:
    """Median wall time of ``action`` in milliseconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def bench(n_figures: int, repeat: int) -> None:
    from auditor.dashboard import Dashboard
    from auditor.report import render_report

    with tempfile.TemporaryDirectory() as tmp:
        result = synthetic_result(n_figures, Path(tmp))
        started = time.perf_counter()
        dashboard = Dashboard(result)
        build = time.perf_counter() - started
        print(f"\n{n_figures:,} figures, {len(result.groups):,} claim groups, {len(result.conflicts):,} conflicts, "
              f"{len(result.articles):,} articles")
        print(f"  build Dashboard(result)            {build * 1000:8.0f} ms   (group list: "
              f"{shipped_kb(dashboard.view.rows):7.1f} kB to the browser, once)")
        # Filtering, search and sorting run in the browser (benchmarks/browser_bench.py); the kernel
        # answers selections and reviews.
        groups = itertools.cycle(dashboard.rows["id"][1:3])
        ms = timed(lambda: dashboard.select(next(groups)), repeat)
        print(f"  select a claim group (kernel side) {ms:8.0f} ms   ({shipped_kb(dashboard.view.detail):7.1f} kB)")
        conflicted = [g for g, s in zip(dashboard.rows["id"], dashboard.rows["status"]) if s == "conflict"]
        cycle = itertools.cycle(conflicted[:repeat])
        ms = timed(lambda: dashboard.review_group(next(cycle), "dismissed", "bench"), repeat)
        print(f"  review a group (saved to SQLite)   {ms:8.0f} ms")
        started = time.perf_counter()
        page = render_report(result)
        print(f"  render report.html                 {(time.perf_counter() - started) * 1000:8.0f} ms   "
              f"({len(page.encode()) / 1024:7.1f} kB)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 50_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    for n in args.sizes:
        bench(n, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

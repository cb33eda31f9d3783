"""How fast the notebook dashboard builds and redraws at 5,000 and 50,000 figures.

    .venv/bin/python benchmarks/dashboard_bench.py [--sizes 5000 50000] [--repeat 3]

The audit is synthetic (made directly as DataFrames, so extraction speed does not count):
claim groups of about five reports from different articles, one group in five in conflict.
Printed per size: the dashboard's build time, the time from a filter change to the redrawn
views (category, text search, conflicts only, a date range, the next page, a group selection),
and how many kilobytes of chart and table data each redraw sends to the browser.
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
    )[list(FIGURE_COLUMNS)]

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
    groups = groups[list(GROUP_COLUMNS)]
    text_of = {a: "".join(parts) for a, parts in texts.items()}
    articles = pd.DataFrame({
        "article_id": article_ids, "path": [f"/corpus/{a}.txt" for a in article_ids],
        "title": [f"Report {a}" for a in article_ids], "outlet": outlets, "published": published, "url": "",
        "chars": [len(text_of[a]) for a in article_ids], "sha256": "",
    })[list(ARTICLE_COLUMNS)]
    return AuditResult(articles=articles, figures=figures, groups=groups, conflicts=conflicts,
                       errors=pd.DataFrame(columns=list(ERROR_COLUMNS)), texts=text_of, out_dir=out_dir)


def shipped_kb(dashboard) -> float:
    """Kilobytes of chart specs and table data the views hold (what a redraw sends)."""
    size = sum(len(json.dumps(chart.spec, default=str)) for chart in (dashboard.chart, dashboard.timeline,
                                                                          dashboard.map))
    size += len(json.dumps(dashboard.table._dt_args, default=str))
    return size / 1024


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

    with tempfile.TemporaryDirectory() as tmp:
        result = synthetic_result(n_figures, Path(tmp))
        started = time.perf_counter()
        dashboard = Dashboard(result)
        build = time.perf_counter() - started
        print(f"\n{n_figures:,} figures, {len(result.groups):,} claim groups, {len(result.conflicts):,} conflicts, "
              f"{len(result.articles):,} articles")
        print(f"  build Dashboard(result)            {build * 1000:8.0f} ms   ({shipped_kb(dashboard):6.1f} kB to the "
              f"browser)")
        filters = dashboard.filters
        # Alternate between two groups so that every timed selection changes the group.
        groups = itertools.cycle([str(g) for g in dashboard._matching.index[1:3]])
        steps: list[tuple[str, Callable[[], None]]] = [
            ("filter category = killed", lambda: filters.set(category="killed")),
            ("filter text search 'mosul'", lambda: filters.set(category="", text="mosul")),
            ("filter conflicts only", lambda: filters.set(text="", status=True)),
            ("filter date range (one quarter)", lambda: filters.set(status=False, date_from=date(2015, 4, 1),
                                                                    date_to=date(2015, 6, 30))),
            ("clear filters", filters.clear),
            ("next page of groups", lambda: dashboard.show_page(1)),
            ("select a claim group", lambda: dashboard.select(group_id=next(groups))),
        ]
        for name, action in steps:
            ms = timed(action, repeat)
            print(f"  {name:<34} {ms:8.0f} ms   ({shipped_kb(dashboard):6.1f} kB to the browser)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 50_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    import altair as alt

    started = time.perf_counter()
    alt.JupyterChart.enable_offline()
    print(f"one-off per kernel: bundle the Vega JavaScript offline  {(time.perf_counter() - started) * 1000:.0f} ms")
    for n in args.sizes:
        bench(n, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Claim groups and conflicts across articles.

A claim group is the set of figures that report the same thing: same category, compatible
subject, same place (and reference place for distances), same unit and, for quantities that
change, published close enough in time (``auditor/data/claims.yaml``).  Inside a group, two
figures from different articles whose intervals (``auditor/intervals.py``) do not overlap
cannot both be right: that pair is a conflict.  Distance claims are also checked against the
great-circle distance between their two places.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ._claim_rules import (
    find_conflicts,
    group_figures,
    load_config,
    prepare,
    summarise_groups,
)

GROUP_COLUMNS: tuple[str, ...] = (
    "group_id", "category", "subject", "location", "reference_place", "unit", "n_figures",
    "n_articles", "low", "high", "status", "label",
)
# Ours, after the contract's: independent sources (outlets, reprints counted once), dates, notes.
GROUP_EXTRA_COLUMNS: tuple[str, ...] = ("n_sources", "outlets", "first_published", "last_published", "note")
CONFLICT_COLUMNS: tuple[str, ...] = (
    "conflict_id", "group_id", "figure_a", "figure_b", "article_a", "article_b", "category",
    "relative_difference", "severity", "explanation",
)
# Ours: what kind of check flagged it (`pair` or `geography`), the two outlets, then the review.
CONFLICT_EXTRA_COLUMNS: tuple[str, ...] = ("kind", "outlet_a", "outlet_b", "decision", "note", "decided_at")


def build_claims(
    figures: pd.DataFrame, articles: pd.DataFrame, store_dir: Path | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Group figures into claims and find the pairs that cannot both be right.

    Parameters
    ----------
    figures
        One row per figure with the contract's ``FIGURE_COLUMNS``.
    articles
        The articles read (fills a figure's missing outlet or date).
    store_dir
        Folder of ``review.sqlite``; its decisions are merged into the conflicts.

    Returns
    -------
    tuple
        ``(figures with group_id, groups, conflicts)``.
    """
    config = load_config()
    figures = _fill_from_articles(figures.copy(), articles)
    prepared = prepare(figures, config)
    group_ids = group_figures(prepared, config)
    figures["group_id"] = group_ids
    conflicts = find_conflicts(prepared, config)
    conflicts = pd.DataFrame(conflicts, columns=list(CONFLICT_COLUMNS + CONFLICT_EXTRA_COLUMNS[:3]))
    groups = summarise_groups(prepared, conflicts, config)
    groups = pd.DataFrame(groups, columns=list(GROUP_COLUMNS + GROUP_EXTRA_COLUMNS))
    if store_dir is not None:
        from .review import ReviewStore

        conflicts = ReviewStore(store_dir).merge(conflicts)
    else:
        for column in CONFLICT_EXTRA_COLUMNS[3:]:
            conflicts[column] = ""
    for column in ("low", "high"):
        groups[column] = pd.to_numeric(groups[column], errors="coerce").astype("float64")
    for column in ("n_figures", "n_articles", "n_sources"):
        groups[column] = groups[column].astype("int64")
    conflicts["relative_difference"] = conflicts["relative_difference"].astype("float64")
    return figures, _sorted_groups(groups), _sorted_conflicts(conflicts)


def _sorted_groups(groups: pd.DataFrame) -> pd.DataFrame:
    """Conflicts first, then corroborated, consistent and single claims; most reported first."""
    rank = groups["status"].map({"conflict": 0, "corroborated": 1, "consistent": 2, "single": 3})
    order = groups.assign(_rank=rank, _sources=-groups["n_sources"], _figures=-groups["n_figures"])
    order = order.sort_values(["_rank", "_sources", "_figures", "label", "group_id"], kind="stable")
    return groups.loc[order.index].reset_index(drop=True)


def _sorted_conflicts(conflicts: pd.DataFrame) -> pd.DataFrame:
    """Most severe first (then the largest gap), ties by id so the order is the same on every run."""
    rank = conflicts["severity"].map({"high": 0, "medium": 1, "low": 2})
    order = conflicts.assign(_rank=rank, _gap=-conflicts["relative_difference"])
    order = order.sort_values(["_rank", "_gap", "conflict_id"], kind="stable")
    return conflicts.loc[order.index].reset_index(drop=True)


def _fill_from_articles(figures: pd.DataFrame, articles: pd.DataFrame) -> pd.DataFrame:
    """Give figures their article's outlet and date when the extractor left them empty."""
    if articles is None or articles.empty or figures.empty:
        return figures
    meta = articles.drop_duplicates("article_id").set_index("article_id")
    for column in ("outlet", "published"):
        if column not in meta:
            continue
        current = figures[column].fillna("").astype(str)
        fallback = figures["article_id"].map(meta[column]).fillna("").astype(str)
        figures[column] = current.where(current != "", fallback)
    return figures


__all__ = ["CONFLICT_COLUMNS", "GROUP_COLUMNS", "build_claims"]

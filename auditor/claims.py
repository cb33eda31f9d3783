"""Claim groups and conflicts across articles (issue 3 fills this stage in)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

GROUP_COLUMNS: tuple[str, ...] = (
    "group_id", "category", "subject", "location", "reference_place", "unit", "n_figures",
    "n_articles", "low", "high", "status", "label",
)
CONFLICT_COLUMNS: tuple[str, ...] = (
    "conflict_id", "group_id", "figure_a", "figure_b", "article_a", "article_b", "category",
    "relative_difference", "severity", "explanation",
)


def build_claims(
    figures: pd.DataFrame, articles: pd.DataFrame, store_dir: Path | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return ``(figures with group_id, groups, conflicts)``.

    Until claim grouping lands, figures keep an empty ``group_id`` and no groups or
    conflicts are reported.
    """
    groups = pd.DataFrame(columns=list(GROUP_COLUMNS))
    conflicts = pd.DataFrame(columns=list(CONFLICT_COLUMNS))
    return figures, groups, conflicts

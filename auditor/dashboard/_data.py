"""The dashboard's data: an audit's frames prepared once, then filtered and cut down per view.

Every view gets a small frame (a page of groups, daily aggregates, one row per place), never
every figure, so a redraw stays cheap with tens of thousands of figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

# Columns searched by the text filter, besides the article title.
_SEARCH_COLUMNS = ("surface", "sentence", "source", "counted", "subject", "location", "outlet", "article_id")
# Beyond this many (date, category) points the timeline aggregates by week.
_TIMELINE_MAX_POINTS = 2_000
_OTHER_OUTLETS = "other outlets"


@dataclass(frozen=True)
class Filters:
    """What the user narrowed the audit down to; empty strings and ``None`` mean "any"."""

    category: str = ""
    subject: str = ""
    place: str = ""
    outlet: str = ""
    article: str = ""
    date_from: date | None = None
    date_to: date | None = None
    conflicts_only: bool = False
    text: str = ""


def _text(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str)


def _matches(column: pd.Series, wanted: str, exact_values: set[str]) -> np.ndarray:
    """Exact match when ``wanted`` is one of the column's values, else a case-insensitive substring."""
    if wanted in exact_values:
        return (column == wanted).to_numpy()
    return column.str.contains(wanted, case=False, regex=False).to_numpy()


def shown_value(frame: pd.DataFrame) -> pd.Series:
    """One number per figure for plotting: the value, else the stated bound(s)' middle, else a bound."""
    low, high = frame["low"], frame["high"]
    middle = (low + high) / 2
    return frame["value"].fillna(middle).fillna(low).fillna(high)


class DashboardData:
    """An :class:`~auditor.audit.AuditResult` prepared for fast filtering.

    Figures without a claim group become a group of their own, so an audit whose
    grouping stage found nothing still shows every figure.
    """

    def __init__(self, result: Any, max_outlet_colours: int = 9) -> None:
        self.result = result
        figures = result.figures.copy()
        articles = result.articles.set_index("article_id", drop=False) if len(result.articles) else None
        for column in ("group_id", "outlet", "published", "subject", "location", "category", "source",
                       "qualifier", "unit", "surface", "sentence", "counted", "article_id", "reference_place"):
            if column not in figures:
                figures[column] = ""
            figures[column] = _text(figures[column])
        for column in ("value", "low", "high"):
            figures[column] = pd.to_numeric(figures[column], errors="coerce").astype("float64")
        figures["group_id"] = figures["group_id"].where(figures["group_id"] != "", "solo:" + figures["figure_id"])
        titles = articles["title"] if articles is not None else pd.Series(dtype=str)
        figures["title"] = _text(figures["article_id"].map(titles))
        figures["date"] = pd.to_datetime(figures["published"], errors="coerce", format="mixed")
        figures["shown"] = shown_value(figures)
        haystack = figures["title"]
        for column in _SEARCH_COLUMNS:
            haystack = haystack + "\n" + figures[column]
        figures["search"] = haystack.str.lower()

        conflicts = result.conflicts
        in_conflict: set[str] = set()
        if len(conflicts):
            in_conflict = set(_text(conflicts["figure_a"])) | set(_text(conflicts["figure_b"]))
        figures["in_conflict"] = figures["figure_id"].isin(in_conflict)

        outlets = figures["outlet"].where(figures["outlet"] != "", "(no outlet)")
        top = outlets.value_counts().index[:max_outlet_colours]
        figures["outlet_colour"] = outlets.where(outlets.isin(top), _OTHER_OUTLETS)

        self.figures = figures.set_index("figure_id", drop=False)
        self.groups = self._group_table(figures, result.groups, conflicts)
        self.conflicts = conflicts
        self.values = {
            name: sorted(v for v in figures[name].unique() if v)
            for name in ("category", "subject", "location", "outlet", "article_id")
        }
        self._value_sets = {name: set(v) for name, v in self.values.items()}
        dates = figures["date"].dropna()
        self.date_span: tuple[date | None, date | None] = (
            (dates.min().date(), dates.max().date()) if len(dates) else (None, None)
        )

    @staticmethod
    def _group_table(figures: pd.DataFrame, groups: pd.DataFrame, conflicts: pd.DataFrame) -> pd.DataFrame:
        """One row per group (the audit's, plus one per ungrouped figure) with display columns."""
        per_group = figures.groupby("group_id", sort=False).agg(
            category=("category", "first"), subject=("subject", "first"), location=("location", "first"),
            reference_place=("reference_place", "first"), unit=("unit", "first"),
            n_figures=("figure_id", "size"), n_articles=("article_id", "nunique"),
        )
        per_group["status"] = "single"
        per_group["label"] = ""
        if len(groups):
            known = groups.set_index("group_id")
            shared = per_group.index.intersection(known.index)
            for column in ("status", "label"):
                if column in known:
                    per_group.loc[shared, column] = _text(known.loc[shared, column])
        n_conflicts = conflicts.groupby("group_id").size() if len(conflicts) else pd.Series(dtype=int)
        per_group["n_conflicts"] = n_conflicts.reindex(per_group.index).fillna(0).astype(int)
        per_group.loc[per_group["n_conflicts"] > 0, "status"] = "conflict"
        missing = per_group["label"] == ""
        parts = per_group[["category", "subject", "location", "reference_place"]]
        per_group.loc[missing, "label"] = parts[missing].apply(
            lambda row: " · ".join(p for p in row if p), axis=1
        ) if missing.any() else per_group.loc[missing, "label"]
        per_group["label"] = per_group["label"].str.slice(0, 70)
        # Vega puts rows with the same label on one line: make labels unique.
        dup_rank = per_group.groupby("label").cumcount()
        per_group.loc[dup_rank > 0, "label"] = per_group["label"] + " (" + (dup_rank + 1).astype(str) + ")"
        per_group["conflict_first"] = (per_group["n_conflicts"] == 0).astype(int)
        per_group = per_group.sort_values(
            ["conflict_first", "n_conflicts", "n_articles", "n_figures", "label"],
            ascending=[True, False, False, False, True],
        )
        per_group.index.name = "group_id"
        return per_group.drop(columns="conflict_first")

    # -- filtering -------------------------------------------------------------------------

    def figure_mask(self, filters: Filters) -> np.ndarray:
        """Which figures pass ``filters`` (the status filter applies to groups, not here)."""
        fig = self.figures
        mask = np.ones(len(fig), dtype=bool)
        for value, column, values in (
            (filters.category, "category", "category"),
            (filters.subject, "subject", "subject"),
            (filters.place, "location", "location"),
            (filters.outlet, "outlet", "outlet"),
            (filters.article, "article_id", "article_id"),
        ):
            if value:
                mask &= _matches(fig[column], value, self._value_sets[values])
        if filters.date_from is not None:
            mask &= (fig["date"] >= pd.Timestamp(filters.date_from)).to_numpy()
        if filters.date_to is not None:
            mask &= (fig["date"] < pd.Timestamp(filters.date_to) + pd.Timedelta(days=1)).to_numpy()
        if filters.text.strip():
            mask &= fig["search"].str.contains(filters.text.strip().lower(), regex=False).to_numpy()
        return mask

    def matching_groups(self, mask: np.ndarray, conflicts_only: bool) -> pd.DataFrame:
        """Groups with at least one figure in ``mask``, conflicts first."""
        wanted = pd.Index(self.figures["group_id"].to_numpy()[mask]).unique()
        groups = self.groups[self.groups.index.isin(wanted)]
        if conflicts_only:
            groups = groups[groups["n_conflicts"] > 0]
        return groups

    # -- per-view frames -------------------------------------------------------------------

    def reports(self, group_id: str) -> pd.DataFrame:
        """Every figure of one group, oldest first."""
        fig = self.figures
        rows = fig[fig["group_id"] == group_id]
        return rows.sort_values(["date", "outlet", "start"], na_position="last")

    def chart_rows(self, group_ids: list[str], max_reports: int = 12) -> pd.DataFrame:
        """The reports drawn for a page of groups: at most ``max_reports`` per group.

        Adds ``x_lo``/``x_hi`` (the interval drawn), ``point`` (the marker, if the report
        states one value), ``open_low``/``open_high`` (unbounded sides) and ``slot``.
        """
        fig = self.figures
        rows = fig[fig["group_id"].isin(group_ids)].copy()
        rows = rows.sort_values(["group_id", "in_conflict", "date"], ascending=[True, False, True])
        rows["slot"] = rows.groupby("group_id").cumcount()
        rows = rows[rows["slot"] < max_reports]
        labels = self.groups["label"]
        rows["label"] = rows["group_id"].map(labels)
        rows["status"] = rows["group_id"].map(self.groups["status"])
        finite_top = pd.concat([rows["value"], rows["low"], rows["high"]], axis=1).max(axis=1)
        row_top = finite_top.groupby(rows["group_id"]).transform("max").fillna(1.0)
        rows["open_low"] = rows["low"].isna() & rows["high"].notna() & rows["value"].isna()
        rows["open_high"] = rows["high"].isna() & rows["low"].notna()
        rows["x_lo"] = rows["low"].where(rows["low"].notna(), np.where(rows["open_low"], 0.0, np.nan))
        rows["x_lo"] = rows["x_lo"].fillna(rows["value"])
        open_end = np.maximum(row_top * 1.5, rows["low"].fillna(0) * 1.5)
        rows["x_hi"] = rows["high"].where(rows["high"].notna(), np.where(rows["open_high"], open_end, np.nan))
        rows["x_hi"] = rows["x_hi"].fillna(rows["value"])
        exact = rows["qualifier"].isin(["exact", "approximate"]) | (rows["low"] == rows["high"])
        rows["point"] = rows["value"].where(rows["value"].notna() & exact)
        rows["bounds"] = [_bounds_text(lo, hi, q) for lo, hi, q in zip(rows["low"], rows["high"], rows["qualifier"])]
        rows["published"] = rows["published"].where(rows["published"] != "", "undated")
        columns = ["figure_id", "group_id", "label", "status", "slot", "outlet", "outlet_colour", "published",
                   "surface", "qualifier", "unit", "value", "bounds", "source", "in_conflict",
                   "x_lo", "x_hi", "point", "open_low", "open_high"]
        return rows[columns].reset_index(drop=True)

    def timeline_rows(self, mask: np.ndarray) -> pd.DataFrame:
        """Dated figures per day (or week, when that is too many points) and category."""
        fig = self.figures[mask]
        fig = fig[fig["date"].notna() & fig["shown"].notna()]
        if fig.empty:
            return pd.DataFrame(columns=["date", "category", "reports", "largest", "conflicts"])
        period = fig["date"].dt.floor("D")
        if period.nunique() * fig["category"].nunique() > _TIMELINE_MAX_POINTS:
            period = fig["date"].dt.to_period("W").dt.start_time
        rows = fig.groupby([period.rename("date"), "category"]).agg(
            reports=("figure_id", "size"), largest=("shown", "max"), conflicts=("in_conflict", "sum"),
        ).reset_index()
        rows["date"] = rows["date"].dt.strftime("%Y-%m-%d")
        return rows

    def place_rows(self, mask: np.ndarray, coordinates: pd.DataFrame) -> pd.DataFrame:
        """Counted figures (people, events) per place with coordinates, largest figure first."""
        fig = self.figures[mask]
        fig = fig[(fig["location"] != "") & (fig["unit"] == "count") & fig["shown"].notna()]
        if fig.empty:
            return pd.DataFrame(columns=["location", "lat", "lon", "reports", "largest", "conflicts"])
        rows = fig.groupby("location").agg(
            reports=("figure_id", "size"), largest=("shown", "max"), conflicts=("in_conflict", "sum"),
        ).reset_index()
        rows = rows.merge(coordinates, on="location", how="inner")
        return rows.sort_values("largest", ascending=False).reset_index(drop=True)


def _number(x: float) -> str:
    if x.is_integer():
        return f"{int(x):,}"
    return f"{x:,.4g}"


def _bounds_text(low: float, high: float, qualifier: str) -> str:
    """``[24, 99]``, ``≥ 50`` or ``≤ 365``: the interval a report stands for."""
    has_low, has_high = not math.isnan(low), not math.isnan(high)
    if has_low and has_high:
        return _number(low) if low == high else f"{_number(low)}–{_number(high)}"
    if has_low:
        return f"> {_number(low)}" if qualifier == "more_than" else f"≥ {_number(low)}"
    if has_high:
        return f"< {_number(high)}" if qualifier == "less_than" else f"≤ {_number(high)}"
    return "unknown"

"""The workbench's data: an audit prepared once into a list of claim groups and per-group details.

The list (one row per claim group or incident, with display strings and facet values) goes to
the browser once, as columns; filtering, sorting, searching and facet counts happen there, so a
filter redraws without a round trip to the kernel. The reports of one group (sentences,
sources, links) are sent only when the group is selected — or, for the standalone report,
embedded for every group.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import formatting as fmt

_TEXT_COLUMNS = (
    "group_id", "outlet", "published", "subject", "location", "admin1", "country", "category", "source",
    "qualifier", "unit", "surface", "sentence", "counted", "article_id", "path", "reference_place",
    "reported_unit", "incident_id",
)
_NUMBER_COLUMNS = ("value", "low", "high", "reported_value", "start", "end", "sentence_start", "sentence_end")
# The group-list columns shipped to the browser (GROUP_VIEW_COLUMNS plus what filters and sorts use).
LIST_FIELDS: tuple[str, ...] = tuple(key for key, _ in fmt.GROUP_VIEW_COLUMNS) + (
    "id", "incident", "category", "place", "outlets", "first", "spread_sort", "n_conflicts", "search",
)
# The figure columns the group list is built from (an opened audit reads only these of every figure).
LIST_COLUMNS: tuple[str, ...] = (
    "figure_id", "group_id", "category", "subject", "location", "admin1", "country", "reference_place", "unit",
    "published", "incident_id", "outlet", "surface", "source", "low", "high", "value",
)
# The figure columns a group's reports are built from (``detail``, ``details``): a view reads only these.
DETAIL_COLUMNS: tuple[str, ...] = ("figure_id", *_TEXT_COLUMNS, *_NUMBER_COLUMNS, "evidence")
MAX_SENTENCE_CHARS = 600  # longer sentences keep a window around the figure
# Figures prepared at once when a view goes over every figure (the group list): what it holds at any corpus size.
CHUNK_ROWS = 32_768


def _text(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.StringDtype):  # already text: only the missing cells change
        return series.fillna("")
    return series.astype(object).where(series.notna(), "").astype(str)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``frame.to_dict("records")`` through one ``tolist`` per column (10x faster on Arrow-backed text)."""
    names = list(frame.columns)
    return [dict(zip(names, row)) for row in zip(*(frame[name].tolist() for name in names))]


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series([""] * len(frame), index=frame.index, dtype=object)


class WorkbenchData:
    """An :class:`~auditor.audit.AuditResult` (or an :class:`~auditor.opened.OpenedAudit`) prepared for the
    workbench views.

    Figures without a claim group become a group of their own, so every figure can be found. An
    opened audit is never held whole: the list is built from a few columns of every figure, read
    once, and a group's reports are read from disk when it is selected.
    """

    def __init__(self, result: Any) -> None:
        from ..opened import OpenedAudit, release_memory

        self.result = result
        self.groups = result.groups.set_index("group_id", drop=False) if len(result.groups) else None
        # Rows of ``result.groups`` / ``result.conflicts`` made into dicts only for the groups shown (at
        # 80k conflicts, a dict for every row is 150 MB); their positions and review decisions at once.
        group_ids = _text(result.groups["group_id"]).tolist() if len(result.groups) else []
        self._group_at = {g: i for i, g in enumerate(group_ids)}
        self._group_decision = dict(zip(group_ids, _text(_column(result.groups, "decision")).tolist()))
        self._group_records: dict[str, dict[str, Any]] = {}
        self.refresh_conflicts()
        # The list is built a part of the figure table at a time (LIST_COLUMNS only): no view holds every figure.
        self._rows = self._group_list(figure_chunks(result, LIST_COLUMNS))
        if isinstance(result, OpenedAudit) or getattr(result, "figures_spilled", False):
            release_memory()
        self._group_ids = set(self._rows["id"])

    def has_group(self, group_id: str) -> bool:
        """Whether the audit has claim group ``group_id`` (``solo:<figure_id>`` for a figure without one)."""
        return group_id in self._group_ids

    def figures_of(self, group_id: str) -> pd.DataFrame:
        """The prepared figures of one group, in the order of the figures table."""
        return prepare_figures(self.result.figures_of(group_id, DETAIL_COLUMNS))

    # -- conflicts and review state -----------------------------------------------------------

    def refresh_conflicts(self) -> None:
        """Re-read ``result.conflicts`` (after a review) into per-group lookups."""
        conflicts = self.result.conflicts
        self._conflict_records: dict[str, list[dict[str, Any]]] = {}
        self._conflict_at: dict[str, list[int]] = defaultdict(list)
        self._conflict_decision: list[str] = []
        in_conflict = set()
        if len(conflicts):
            for i, g in enumerate(_text(conflicts["group_id"]).tolist()):
                self._conflict_at[g].append(i)
            self._conflict_decision = _text(_column(conflicts, "decision")).tolist()
            in_conflict = set(_text(conflicts["figure_a"]).tolist()) | set(_text(conflicts["figure_b"]).tolist())
        self.in_conflict = in_conflict

    def conflicts_of(self, group_id: str) -> list[dict[str, Any]]:
        """The rows of ``result.conflicts`` in one group, as dicts (made when first asked for)."""
        if group_id not in self._conflict_records:
            at = self._conflict_at.get(group_id, [])
            self._conflict_records[group_id] = _records(self.result.conflicts.iloc[at]) if at else []
        return self._conflict_records[group_id]

    def group_record(self, group_id: str) -> dict[str, Any]:
        """The row of ``result.groups`` of one group, as a dict (empty for a figure without a group)."""
        if group_id not in self._group_records:
            at = self._group_at.get(group_id)
            self._group_records[group_id] = {} if at is None else _records(self.result.groups.iloc[[at]])[0]
        return self._group_records[group_id]

    def refresh_group(self, group_id: str) -> None:
        """Re-read one group's conflicts from ``result.conflicts`` (after its review)."""
        self._conflict_records[group_id] = _records(self.conflict_frame(group_id))
        groups = self.result.groups
        if len(groups) and "decision" in groups:
            rows = groups[groups["group_id"].astype(str) == group_id]
            if len(rows):
                self._group_records[group_id] = rows.iloc[0].to_dict()
                self._group_decision[group_id] = fmt.text(self._group_records[group_id].get("decision"))

    def conflict_frame(self, group_id: str) -> pd.DataFrame:
        """The rows of ``result.conflicts`` in one group."""
        conflicts = self.result.conflicts
        if conflicts.empty:
            return conflicts
        return conflicts[conflicts["group_id"].astype(str).to_numpy() == group_id]

    def review_of(self, group_id: str) -> str:
        """The group's review state (``formatting.review_state``), group-level decisions first."""
        if group_id in self._conflict_records:  # reviewed here: its rows were read again
            decisions = [fmt.text(c.get("decision")) for c in self._conflict_records[group_id]]
        else:
            decisions = [self._conflict_decision[i] for i in self._conflict_at.get(group_id, ())]
        decided = self._group_decision.get(group_id, "")
        if decided and decisions:
            return decided
        return fmt.review_state(decisions, len(decisions))

    # -- the list -----------------------------------------------------------------------------

    def group_list(self) -> dict[str, list]:
        """Every claim group as columns (``LIST_FIELDS``), conflicts first, most outlets first."""
        return self._rows

    def _group_list(self, chunks: Iterable[pd.DataFrame]) -> dict[str, list]:
        """The list from the figure table read in parts (each prepared, aggregated per group, then let go)."""
        parts, bounds = [], []
        # Plain dicts: a pandas lambda per group is seconds at 50k figures.
        words: dict[str, tuple[dict, dict, dict]] = defaultdict(lambda: ({}, {}, {}))
        for chunk in chunks:
            fig = prepare_figures(chunk, full=False)
            del chunk
            if fig.empty:
                continue
            parts.append(fig.groupby("group_id", sort=False).agg(
                category=("category", "first"), subject=("subject", "first"), place=("place", "first"),
                reference_place=("reference_place", "first"), unit=("unit", "first"),
                n_figures=("figure_id", "size"), first=("date", "min"),
                incident_id=("incident_id", "first"),
            ))
            bounds.append(fmt.spread_parts(fig["group_id"], fig["low"], fig["high"], fig["value"]))
            for g, outlet, surface, source in zip(*(fig[c].tolist()
                                                    for c in ("group_id", "outlet", "surface", "source"))):
                bag = words[g]
                if outlet:
                    bag[0][outlet] = None
                bag[1][surface] = None
                if source:
                    bag[2][source] = None
            del fig
        if not parts:
            return {name: [] for name in LIST_FIELDS}
        # A group's first text is its first part's; its count a sum, its first date the earliest.
        per = pd.concat(parts).groupby(level=0, sort=False).agg(
            {"category": "first", "subject": "first", "place": "first", "reference_place": "first", "unit": "first",
             "n_figures": "sum", "first": "min", "incident_id": "first"})
        per.index.name = "group_id"
        outlets = pd.Series({g: sorted(words[g][0]) for g in per.index}, dtype=object)
        surfaces = pd.Series({g: " ".join(words[g][1]) for g in per.index}, dtype=object)
        sources = pd.Series({g: " ".join(words[g][2]) for g in per.index}, dtype=object)
        del words
        per["outlets"] = outlets
        per["n_outlets"] = outlets.map(len).where(outlets.map(len) > 0, 1)
        spans = fmt.spreads_of(pd.concat(bounds).groupby(level=0, sort=False).agg(fmt.SPREAD_PARTS)).reindex(per.index)
        low, high = spans["low"], spans["high"]
        per["open_high"] = spans["open_high"].fillna(False).astype(bool)
        per["spread"] = [fmt.spread_text(lo, hi, unit, is_open) for lo, hi, unit, is_open
                         in zip(low, high, per["unit"], per["open_high"])]
        per["spread_sort"] = np.where((low > 0) & high.notna(), high / low.where(low > 0), 1.0)
        per["spread_sort"] = per["spread_sort"].fillna(1.0).round(3)

        status = pd.Series("single", index=per.index)
        label = pd.Series("", index=per.index)
        incident = pd.Series("", index=per.index)
        if self.groups is not None:
            known = self.groups.index.intersection(per.index)
            status.loc[known] = _text(self.groups.loc[known, "status"]).replace("", "single")
            label.loc[known] = _text(self.groups.loc[known, "label"])
            if "incident_label" in self.groups:
                incident.loc[known] = _text(self.groups.loc[known, "incident_label"])
        n_conflicts = pd.Series({g: len(rows) for g, rows in self._conflict_at.items()}, dtype="int64")
        per["n_conflicts"] = n_conflicts.reindex(per.index).fillna(0).astype(int)
        status[per["n_conflicts"] > 0] = "conflict"
        per["status"] = status
        missing = label == ""
        if missing.any():
            parts = per.loc[missing, ["category", "subject", "place", "reference_place"]]
            label[missing] = [" · ".join(p for p in row if p) for row in parts.itertuples(index=False)]
        per["label"] = label
        per["incident"] = incident
        per["review"] = [self.review_of(g) for g in per.index]
        per["id"] = per.index.astype(str)
        per["first"] = per["first"].dt.strftime("%Y-%m-%d").fillna("")
        per["search"] = (per["label"] + " " + per["incident"] + " " + per["place"] + " " + per["category"] + " "
                         + per["subject"] + " " + per["outlets"].map(" ".join) + " " + sources + " "
                         + surfaces).str.lower()
        rank = fmt.order_key(fmt.STATUS_ORDER)(per["status"])
        # The group id last: the same order whatever the order of the figures (an opened Parquet file is
        # sorted by group, an audit is not).
        order = per.assign(_rank=rank, _outlets=-per["n_outlets"].astype(int), _reports=-per["n_figures"].astype(int),
                           _id=per.index)
        per = per.loc[order.sort_values(["_rank", "_outlets", "_reports", "label", "_id"], kind="stable").index]
        per["n_outlets"] = per["n_outlets"].astype(int)
        per["n_figures"] = per["n_figures"].astype(int)
        return {name: per[name].tolist() for name in LIST_FIELDS}

    # -- one group ----------------------------------------------------------------------------

    def detail(self, group_id: str) -> dict[str, Any]:
        """Everything shown for one selected group: its reports side by side, conflicts, chart data."""
        rows = self.figures_of(group_id)
        if rows.empty:
            raise KeyError(f"no claim group {group_id!r} in this audit")
        rows = rows.sort_values(["date", "outlet", "start"], na_position="last", kind="stable")
        return self._assemble(group_id, self._reports(rows), rows.iloc[0])

    def details(self) -> dict[str, dict[str, Any]]:
        """:meth:`detail` of every group (one pass over the figures), for the standalone report."""
        fig = prepare_figures(self.result.read_figures(DETAIL_COLUMNS))
        if fig.empty:
            return {}
        ordered = fig.sort_values(["group_id", "date", "outlet", "start"], na_position="last", kind="stable")
        del fig
        reports = self._reports(ordered)
        firsts = ordered.drop_duplicates("group_id")
        bounds = np.flatnonzero(np.r_[True, ordered["group_id"].to_numpy()[1:] != ordered["group_id"].to_numpy()[:-1]])
        ends = np.r_[bounds[1:], len(ordered)]
        # Every group's and conflict's row made a dict in one pass (group by group costs a frame slice each).
        if len(self.result.groups):
            self._group_records.update(zip(_text(self.result.groups["group_id"]).tolist(), _records(self.result.groups)))
        if len(self.result.conflicts):
            records = _records(self.result.conflicts)
            for g, at in self._conflict_at.items():
                self._conflict_records.setdefault(g, [records[i] for i in at])
        return {
            str(first["group_id"]): self._assemble(str(first["group_id"]), reports[a:b], first)
            for (_, first), a, b in zip(firsts.iterrows(), bounds, ends)
        }

    def _reports(self, rows: pd.DataFrame) -> list[dict[str, Any]]:
        """One dict per figure of ``rows`` (in order): what a report card and a chart mark show."""
        from ..lab import source_link

        columns = ["figure_id", "outlet", "published", "value_text", "surface", "qualifier", "source", "sentence",
                   "article_id", "path", "start", "end", "sentence_start", "value", "low", "high"]
        # The rule ids that decided each figure ("why is this a death toll?"), when the audit has them.
        columns += [c for c in ("evidence",) if c in rows.columns]
        reports = []
        for f in rows[columns].to_dict("records"):
            before, surface, after = _sentence_parts(f)
            start, end = f["start"], f["end"]
            link = ""
            if f["path"] and not np.isnan(start) and not np.isnan(end):
                link = source_link(f["path"], int(start), int(end), f["surface"])
            lo, hi, point = _chart_interval(f)
            reports.append({
                "id": f["figure_id"], "outlet": f["outlet"] or "(no outlet)", "published": f["published"],
                "value_text": f["value_text"] or f["surface"], "qualifier": fmt.qualifier_text(f["qualifier"]),
                "source": f["source"] or "unattributed", "evidence": f["evidence"] if isinstance(f.get("evidence"), str) else "", "before": before, "surface": surface, "after": after,
                "article": f["article_id"], "link": link, "outlier": False,
                "in_conflict": f["figure_id"] in self.in_conflict, "lo": lo, "hi": hi, "point": point,
            })
        return reports

    def _assemble(self, group_id: str, reports: list[dict[str, Any]], first: pd.Series) -> dict[str, Any]:
        conflict_count: dict[str, int] = defaultdict(int)
        conflict_rows = []
        for c in self.conflicts_of(group_id):
            for side in ("figure_a", "figure_b"):
                if c.get(side):
                    conflict_count[str(c[side])] += 1
            conflict_rows.append({
                "id": fmt.text(c.get("conflict_id")), "a": fmt.text(c.get("figure_a")),
                "b": fmt.text(c.get("figure_b")), "explanation": fmt.text(c.get("explanation")),
                "severity": fmt.text(c.get("severity")), "relation": fmt.relation_text(c.get("relation")),
                "difference": fmt.percent(c.get("relative_difference")),
                "decision": fmt.text(c.get("decision")), "note": fmt.text(c.get("note")),
            })
        group = self.group_record(group_id)
        outliers = self._outliers(group, conflict_count, len(reports))
        reports = [dict(r, outlier=True) if r["id"] in outliers else r for r in reports]
        consensus = ""
        if "consensus_low" in group:
            consensus = fmt.interval_text(group.get("consensus_low"), group.get("consensus_high"), first["unit"])
        return {
            "id": group_id, "reports": reports, "conflicts": conflict_rows, "note": fmt.text(group.get("note")),
            "consensus": consensus, "review": self.review_of(group_id),
            "unit": _axis_title(first["category"], first["counted"], first["unit"]),
            "decision_note": fmt.text(group.get("decision_note")),
        }

    @staticmethod
    def _outliers(group: dict[str, Any], conflict_count: dict[str, int], n_reports: int) -> set[str]:
        """The audit's outliers when it names them; else the report(s) in the most conflicts (≥ 2)."""
        named = fmt.text(group.get("outliers")).split()
        if named:
            return set(named)
        if not conflict_count or n_reports < 3:
            return set()
        most = max(conflict_count.values())
        return {f for f, n in conflict_count.items() if n == most and most >= 2}


def figure_chunks(result: Any, columns: Sequence[str], size: int | None = None) -> Iterator[pd.DataFrame]:
    """``columns`` of every figure of an audit (in memory, spilled to a file, or opened from a folder), in
    table order, about ``size`` (:data:`CHUNK_ROWS`) rows at a time (index: row positions)."""
    size = size or CHUNK_ROWS
    chunks = getattr(result, "figure_chunks", None)
    if chunks is not None:  # an opened audit: a few row groups or CSV batches at a time
        yield from chunks(columns, size)
        return
    n = result.n_figures
    in_memory = None if result.figures_spilled else result.figures
    for start in range(0, n, size):
        if in_memory is not None:  # a slice of the rows, then the columns: only these are copied
            frame = in_memory.iloc[start:start + size][[c for c in in_memory.columns if c in columns]]
        else:
            frame = result._figures_at(np.arange(start, min(start + size, n)), columns)
        frame.index = pd.RangeIndex(start, min(start + size, n))
        yield frame


def prepare_figures(figures: pd.DataFrame, full: bool = True) -> pd.DataFrame:
    """Figures as the views read them: text columns as ``str`` (missing = ""), numbers as floats, a
    group for every figure (``solo:<figure_id>``), ``date``, ``place`` and (``full``) ``value_text``.

    ``full=False`` prepares only :data:`LIST_COLUMNS` (what the group list needs).
    """
    figures = figures.copy()
    for column in _TEXT_COLUMNS:
        if full or column in LIST_COLUMNS:
            figures[column] = _text(_column(figures, column))
    for column in _NUMBER_COLUMNS:
        if full or column in LIST_COLUMNS:
            figures[column] = pd.to_numeric(_column(figures, column), errors="coerce").astype("float64")
    figures["group_id"] = figures["group_id"].where(figures["group_id"] != "", "solo:" + figures["figure_id"])
    figures["date"] = pd.to_datetime(figures["published"], errors="coerce", format="mixed")
    if full:
        figures["value_text"] = fmt.frame_value_text(figures)
    figures["place"] = figures["location"].where(figures["location"] != "", figures["admin1"])
    figures["place"] = figures["place"].where(figures["place"] != "", figures["country"])
    return figures


def _axis_title(category: str, counted: str, unit: str) -> str:
    """The value axis of a group's chart: ``killed (people)``, ``distance (km)``."""
    word = fmt.unit_word(unit, 2)
    return f"{category} ({word})" if word else f"{category} ({counted or 'count'})"


def _sentence_parts(f: dict[str, Any]) -> tuple[str, str, str]:
    """The figure's sentence split around the figure (text before, the figure, text after)."""
    sentence, surface = f["sentence"], f["surface"]
    offset = -1
    if not (np.isnan(f["start"]) or np.isnan(f["sentence_start"])):
        offset = int(f["start"] - f["sentence_start"])
    if not (0 <= offset and sentence[offset:offset + len(surface)] == surface):
        offset = sentence.find(surface) if surface else -1
    if offset < 0:
        return sentence[:MAX_SENTENCE_CHARS], "", ""
    before, after = sentence[:offset], sentence[offset + len(surface):]
    window = MAX_SENTENCE_CHARS // 2
    if len(before) > window:
        before = "…" + before[-window:]
    if len(after) > window:
        after = after[:window] + "…"
    return before, surface, after


def _chart_interval(f: dict[str, Any]) -> tuple[float | None, float | None, float | None]:
    """What a report's mark spans on the value axis: (low, high or None if open, the point if one)."""
    def num(x: float) -> float | None:
        return None if x is None or np.isnan(x) else float(x)

    value, low, high = num(f["value"]), num(f["low"]), num(f["high"])
    if f["qualifier"] in ("at_most", "less_than") and low is None:
        low = 0.0
    low = low if low is not None else value
    high = high if high is not None or f["qualifier"] in ("at_least", "more_than") else value
    point = value if f["qualifier"] in ("exact", "approximate") or (low is not None and low == high) else None
    return low, high, point

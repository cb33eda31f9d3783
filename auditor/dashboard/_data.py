"""The workbench's data: an audit prepared once into a list of claim groups and per-group details.

The list (one row per claim group or incident, with display strings and facet values) goes to
the browser once, as columns; filtering, sorting, searching and facet counts happen there, so a
filter redraws without a round trip to the kernel. The reports of one group (sentences,
sources, links) are sent only when the group is selected — or, for the standalone report,
embedded for every group.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import formatting as fmt

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

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
# The figure columns the list's order and counts are decided from (:func:`list_head`).
HEAD_COLUMNS: tuple[str, ...] = (
    "figure_id", "group_id", "outlet", "category", "subject", "location", "admin1", "country", "reference_place",
)
# The figure columns a group's reports are built from (``detail``, ``details``): a view reads only these.
DETAIL_COLUMNS: tuple[str, ...] = ("figure_id", *_TEXT_COLUMNS, *_NUMBER_COLUMNS, "evidence")
MAX_SENTENCE_CHARS = 600  # longer sentences keep a window around the figure
# Figures prepared at once when a view goes over every figure (the group list): what it holds at any corpus size.
CHUNK_ROWS = 32_768
# Rows of a claim-group or conflict table read at once when a view goes over all of it: a conflict holds its
# explanation, and a table a local run keeps in files holds a batch of each of its files besides (at 50 MB of
# text, 32,768 conflicts at a time peaked 95 MB above the start, 4,096 at a time 29 MB).
TABLE_ROWS = 4_096
# Reports of report.html's groups made into dicts at once (WorkbenchData.details): a batch is encoded, then let go.
DETAIL_BATCH = 512


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


def list_groups(figures: pd.DataFrame) -> pd.Series:
    """Each figure's group in the lists: its ``group_id``, or ``solo:<figure_id>`` for a figure without one."""
    group = _text(figures["group_id"])
    return group.where(group != "", "solo:" + _text(figures["figure_id"]))


def text_set(values: Iterable[str] | pd.Series) -> pa.Array:
    """Distinct texts as one Arrow array, for :func:`is_in` (a set of ids held as Arrow, not Python strings)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = pa.array(_text(values) if isinstance(values, pd.Series) else list(values), type=pa.large_string())
    return pc.unique(array)


def is_in(values: pd.Series, value_set: pa.Array) -> np.ndarray:
    """Whether each text of ``values`` is in ``value_set`` (:func:`text_set`), as a numpy bool array: Arrow's
    hash lookup (``Series.isin(set)`` is ~100x slower on Arrow text, a Python set holds an object per id)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found = pc.is_in(pa.array(_text(values), type=pa.large_string()), value_set=value_set)
    return found.to_numpy(zero_copy_only=False).astype(bool, copy=False)


@dataclass(frozen=True)
class ListHead:
    """The first claim groups of the workbench's list, in its order, and counts over the whole list."""

    ids: list[str]  # the first groups (``solo:<figure_id>`` for a figure without one)
    n_figures: list[int]  # their number of reports
    n_groups: int  # groups in the whole list
    n_conflict: int  # of which in conflict
    n_to_review: int  # of which "to review" or "partly reviewed"


def list_head(result: Any, limit: int) -> ListHead:
    """The first ``limit`` groups of :meth:`WorkbenchData.group_list` and the list's counts, without the list:
    its order (status, outlets, reports, label, id) and counts come from a few numbers and one label per group,
    found from :data:`HEAD_COLUMNS` of the figures read a part at a time (no search text, no set of every
    report's words, no Python object per conflict)."""
    sizes = labels = pairs = None
    for chunk in figure_chunks(result, HEAD_COLUMNS):
        text = {c: _text(_column(chunk, c)) for c in ("outlet", "category", "subject", "location", "admin1",
                                                     "country", "reference_place")}
        place = text["location"].where(text["location"] != "", text["admin1"])
        frame = pd.DataFrame({"group": list_groups(chunk), "outlet": text["outlet"], "category": text["category"],
                              "subject": text["subject"], "place": place.where(place != "", text["country"]),
                              "reference_place": text["reference_place"]})
        del chunk, text, place
        n = frame.groupby("group", sort=False).size()
        sizes = n if sizes is None else pd.concat([sizes, n]).groupby(level=0, sort=False).sum()
        # A group's label without one in the groups table: its first report's, as the list makes it.
        firsts = frame.drop_duplicates("group")
        firsts = pd.Series([" · ".join(p for p in row if p) for row in zip(
            *(firsts[c].tolist() for c in ("category", "subject", "place", "reference_place")))],
            index=firsts["group"].to_numpy(), dtype="str")
        labels = firsts if labels is None else pd.concat([labels, firsts])
        labels = labels[~labels.index.duplicated()]
        seen = frame.loc[frame["outlet"] != "", ["group", "outlet"]].drop_duplicates()
        pairs = seen if pairs is None else pd.concat([pairs, seen]).drop_duplicates()
        del frame
    if sizes is None:
        return ListHead([], [], 0, 0, 0)
    index = sizes.index
    n_outlets = pairs.groupby("group", sort=False).size().reindex(index, fill_value=0)
    keys = pd.DataFrame({"n_figures": sizes.astype("int64"), "n_outlets": n_outlets.where(n_outlets > 0, 1),
                         "label": labels.reindex(index)}, index=index)
    status = pd.Series("single", index=index, dtype="str")
    decision = pd.Series("", index=index, dtype="str")
    # Three text columns of the groups table and two of the conflicts, read a part at a time.
    parts = [pd.DataFrame({"status": _text(part["status"]).replace("", "single").to_numpy(),
                           "label": _text(part["label"]).to_numpy(),
                           "decision": _text(_column(part, "decision")).to_numpy()},
                          index=_text(part["group_id"]).to_numpy())
             for part in table_chunks(result, "groups", ("group_id", "status", "label", "decision"))]
    if parts:
        named = pd.concat(parts).reindex(index)
        known = named["status"].notna().to_numpy()
        status[known] = named["status"][known]
        decision[known] = named["decision"][known]
        keys.loc[known & (named["label"] != "").to_numpy(), "label"] = named["label"]
        del named
    del parts
    counted = None
    for part in table_chunks(result, "conflicts", ("group_id", "decision")):
        per = pd.DataFrame({"group": _text(part["group_id"]).to_numpy(),
                            "decided": (_text(_column(part, "decision")) != "").to_numpy()})
        part_counts = per.groupby("group", sort=False)["decided"].agg(["size", "sum"])
        counted = part_counts if counted is None else pd.concat([counted, part_counts]).groupby(level=0).sum()
    counted = (counted if counted is not None else pd.DataFrame({"size": [], "sum": []})).reindex(index, fill_value=0)
    n_conflicts, n_decided = counted["size"].astype("int64"), counted["sum"].astype("int64")
    status[n_conflicts > 0] = "conflict"
    # WorkbenchData.review_of, counted: a group decision stands for its conflicts; else any undecided conflict.
    undecided = ("to review", "partly reviewed")
    review_open = (n_conflicts > 0) & np.where(decision != "", decision.isin(undecided), n_decided < n_conflicts)
    rank = fmt.order_key(fmt.STATUS_ORDER)(status)
    keys = keys.assign(_rank=rank, _outlets=-keys["n_outlets"].astype(int), _reports=-keys["n_figures"].astype(int),
                       _id=index)
    first = keys.sort_values(["_rank", "_outlets", "_reports", "label", "_id"], kind="stable").iloc[:limit]
    return ListHead(ids=[str(g) for g in first.index], n_figures=first["n_figures"].astype(int).tolist(),
                    n_groups=len(keys), n_conflict=int((status == "conflict").sum()),
                    n_to_review=int(review_open.sum()))


class WorkbenchData:
    """An :class:`~auditor.audit.AuditResult` (or an :class:`~auditor.opened.OpenedAudit`) prepared for the
    workbench views.

    Figures without a claim group become a group of their own, so every figure can be found. An
    opened audit is never held whole: the list is built from a few columns of every figure, read
    once, and a group's reports are read from disk when it is selected.
    """

    def __init__(self, result: Any, only: Collection[str] | None = None) -> None:
        from ..opened import OpenedAudit, release_memory

        self.result = result
        # ``only``: the list and lookups of these groups alone (report.html's listed groups, see list_head).
        self._only = None if only is None else text_set(list(only))
        if self._only is None:
            groups = result.groups
            at = np.arange(len(groups))
        else:  # read a part at a time: a table a local run keeps in files is not loaded
            groups = rows_of_groups(result, "groups", self._only)
            at = groups.index.to_numpy()
        self.groups = groups.set_index("group_id", drop=False) if len(groups) else None
        # Rows of ``result.groups`` / ``result.conflicts`` made into dicts only for the groups shown (at
        # 80k conflicts, a dict for every row is 150 MB); their positions and review decisions at once.
        group_ids = _text(groups["group_id"]).tolist() if len(groups) else []
        self._group_at = dict(zip(group_ids, at.tolist()))
        self._group_decision = dict(zip(group_ids, _text(_column(groups, "decision")).tolist()))
        self._group_records: dict[str, dict[str, Any]] = {}
        self.refresh_conflicts()
        # The list is built a part of the figure table at a time (LIST_COLUMNS only): no view holds every figure.
        self._rows = self._group_list(self._listed(figure_chunks(result, LIST_COLUMNS)))
        if isinstance(result, OpenedAudit) or getattr(result, "figures_spilled", False):
            release_memory()
        self._group_ids = set(self._rows["id"])

    def _listed(self, chunks: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        """The figures of the groups listed (all, or ``only``'s), a part at a time."""
        for chunk in chunks:
            yield chunk if self._only is None else chunk[is_in(list_groups(chunk), self._only)]

    def has_group(self, group_id: str) -> bool:
        """Whether the audit has claim group ``group_id`` (``solo:<figure_id>`` for a figure without one)."""
        return group_id in self._group_ids

    def figures_of(self, group_id: str) -> pd.DataFrame:
        """The prepared figures of one group, in the order of the figures table."""
        return prepare_figures(self.result.figures_of(group_id, DETAIL_COLUMNS))

    # -- conflicts and review state -----------------------------------------------------------

    def refresh_conflicts(self) -> None:
        """Re-read ``result.conflicts`` (after a review) into per-group lookups (of ``only``'s groups: then
        ``in_conflict`` holds the figures of those groups' conflicts only)."""
        self._conflict_records: dict[str, list[dict[str, Any]]] = {}
        self._conflict_at: dict[str, list[int]] = defaultdict(list)
        self._conflict_decision: dict[int, str] = {}
        in_conflict = set()
        if self._only is None:
            conflicts = self.result.conflicts
            at = np.arange(len(conflicts))
        else:  # the columns used, of these groups' rows
            conflicts = rows_of_groups(self.result, "conflicts", self._only,
                                       ("group_id", "decision", "figure_a", "figure_b"))
            at = conflicts.index.to_numpy()
        if len(conflicts):
            positions = at.tolist()
            for i, g in zip(positions, _text(conflicts["group_id"]).tolist()):
                self._conflict_at[g].append(i)
            decisions = _text(_column(conflicts, "decision"))
            decided = (decisions != "").to_numpy()  # most conflicts are undecided: only decisions are kept
            self._conflict_decision = dict(zip(at[decided].tolist(), decisions[decided].tolist()))
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
            decisions = [self._conflict_decision.get(i, "") for i in self._conflict_at.get(group_id, ())]
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
        return self._assemble(group_id, self._reports(rows), rows.iloc[0], self.conflicts_of(group_id),
                              self.group_record(group_id))

    def details(self, order: Sequence[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(group_id, detail)`` of the groups ``order`` lists that have figures, in that order, as :meth:`detail`
        makes each (one pass over the figures), for the standalone report. Made a batch of groups at a time
        (about :data:`DETAIL_BATCH` reports): the page encodes each detail and lets it go."""
        fig = prepare_figures(self.result.read_figures(DETAIL_COLUMNS))
        fig["_rank"] = pd.Index(list(order)).get_indexer(fig["group_id"])
        fig = fig[fig["_rank"].to_numpy() >= 0]
        if fig.empty:
            return
        ordered = fig.sort_values(["_rank", "date", "outlet", "start"], na_position="last", kind="stable")
        del fig
        ranks = ordered["_rank"].to_numpy()
        bounds = np.flatnonzero(np.r_[True, ranks[1:] != ranks[:-1]])
        ends = np.r_[bounds[1:], len(ordered)]
        del ranks
        groups, conflicts = self.result.groups, self.result.conflicts
        for k, j in _batches(bounds, ends, DETAIL_BATCH):
            # The batch's reports, group rows and conflict rows made into dicts in one pass each (group by
            # group costs a frame slice each).
            first, last = int(bounds[k]), int(ends[j - 1])
            reports = self._reports(ordered.iloc[first:last])
            firsts = _records(ordered[["group_id", "category", "counted", "unit"]].iloc[bounds[k:j]])
            names = [str(f["group_id"]) for f in firsts]
            known = [g for g in names if g in self._group_at]
            records = dict(zip(known, _records(groups.iloc[[self._group_at[g] for g in known]]))) if known else {}
            at = [self._conflict_at.get(g, []) for g in names]
            rows = _records(conflicts.iloc[[i for positions in at for i in positions]]) if any(at) else []
            taken = 0
            for i, g in enumerate(names):
                a, b = int(bounds[k + i]) - first, int(ends[k + i]) - first
                pairs = rows[taken:taken + len(at[i])]
                taken += len(at[i])
                yield g, self._assemble(g, reports[a:b], firsts[i], pairs, records.get(g, {}))

    def _reports(self, rows: pd.DataFrame) -> list[dict[str, Any]]:
        """One dict per figure of ``rows`` (in order): what a report card and a chart mark show."""
        from ..lab import source_link

        columns = ["figure_id", "outlet", "published", "value_text", "surface", "qualifier", "source", "sentence",
                   "article_id", "path", "start", "end", "sentence_start", "value", "low", "high"]
        # The rule ids that decided each figure ("why is this a death toll?"), when the audit has them.
        columns += [c for c in ("evidence",) if c in rows.columns]
        reports = []
        for f in _records(rows[columns]):
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

    def _assemble(self, group_id: str, reports: list[dict[str, Any]], first: pd.Series | dict[str, Any],
                  conflicts: list[dict[str, Any]], group: dict[str, Any]) -> dict[str, Any]:
        """One group's detail from its reports, first report (its category, counted, unit), conflicts' rows
        and group row (as dicts)."""
        conflict_count: dict[str, int] = defaultdict(int)
        conflict_rows = []
        for c in conflicts:
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


def _batches(bounds: np.ndarray, ends: np.ndarray, size: int) -> Iterator[tuple[int, int]]:
    """Runs ``k:j`` of consecutive groups (``bounds``/``ends``: their rows) of about ``size`` rows each."""
    k = 0
    while k < len(bounds):
        j = max(int(np.searchsorted(ends, bounds[k] + size, side="right")), k + 1)
        yield k, j
        k = j


def held_table(result: Any, name: str) -> Any:
    """``result.<name>`` as held: a DataFrame, or a table a local run keeps in files (``_spill.SpilledTable``:
    ``len()`` and ``chunks(size)``), not loaded."""
    held = vars(result).get(name)
    return getattr(result, name) if held is None else held


def n_rows(result: Any, name: str) -> int:
    """Rows of ``result.<name>`` (``"groups"``, ``"conflicts"``) without loading a table kept in files."""
    return len(held_table(result, name))


def table_chunks(result: Any, name: str, columns: Sequence[str] | None = None,
                 size: int | None = None) -> Iterator[pd.DataFrame]:
    """``columns`` (all when ``None``) of ``result.<name>`` (``"groups"``, ``"conflicts"``) in table order,
    about ``size`` (:data:`TABLE_ROWS`) rows at a time (index: row positions); a table a local run keeps in
    files is read from them a part at a time, not loaded whole."""
    size = size or TABLE_ROWS
    table = held_table(result, name)
    if isinstance(table, pd.DataFrame):
        parts: Iterable[pd.DataFrame] = (
            table.iloc[start:start + size].set_axis(pd.RangeIndex(start, min(start + size, len(table))), axis=0)
            for start in range(0, len(table), size))
    else:
        parts = table.chunks(size)
    for part in parts:
        yield part if columns is None else part[[c for c in part.columns if c in columns]]


def rows_of_groups(result: Any, name: str, groups: pa.Array, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The rows of ``result.<name>`` whose ``group_id`` is in ``groups`` (:func:`text_set`), in table order
    (index: row positions), read a part at a time."""
    table = held_table(result, name)
    if isinstance(table, pd.DataFrame):  # one lookup over the column, one copy of the rows
        at = np.flatnonzero(is_in(table["group_id"], groups)) if len(table) else np.zeros(0, np.int64)
        rows = table.iloc[at].set_axis(pd.Index(at), axis=0)
        return rows if columns is None else rows[[c for c in rows.columns if c in columns]]
    parts = [part[is_in(part["group_id"], groups)] for part in table_chunks(result, name, columns)]
    return pd.concat(parts) if parts else pd.DataFrame(columns=list(columns or ()))


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

"""``report.html``: one standalone page (no network) to read an audit and share it.

A summary comes first (counts, the most severe conflicts); then the conflicts-first list of claim
groups with search as you type, facet filters and sortable columns, each group collapsed until
clicked, showing its reports side by side with a chart over time. It is the notebook workbench's
own JavaScript (``auditor/dashboard/_workbench.js``) running on data embedded in the page.

Article text is untrusted: the embedded JSON escapes ``<``, ``>``, ``&`` (no article text can close
the ``<script>``), the script puts text in the page only as text, and the few server-rendered
parts go through :func:`html.escape`.

The page stays a few megabytes at any corpus size: it lists at most :data:`MAX_GROUPS` claim groups
(conflicts first, then the most outlets: the workbench's own order) and embeds at most
:data:`MAX_REPORTS` reports and :data:`MAX_CONFLICTS` conflicting pairs of each, :data:`MAX_EMBEDDED_REPORTS`
in all; the counts at the top cover the whole audit, and the page says what it left to the CSVs.
"""

from __future__ import annotations

import html
import json
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

from . import formatting as fmt
from .dashboard._data import _text

# The summary lists at most this many of the most severe conflicts.
SUMMARY_CONFLICTS = 5
# Caps on what the page embeds (the CSVs hold everything): claim groups listed, reports and conflicting
# pairs shown per group, reports in all, rows of the unreadable-files and orphaned-decisions tables.
MAX_GROUPS = 2_000
MAX_REPORTS = 20
MAX_CONFLICTS = 20
MAX_EMBEDDED_REPORTS = 10_000
MAX_TABLE_ROWS = 1_000

_PAGE_STYLE = """
body { margin: 20px auto; max-width: 1400px; padding: 0 16px; color: #222;
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
h1 { font-size: 22px; margin: 0 0 2px; } h2 { font-size: 17px; margin-top: 26px; border-bottom: 1px solid #ddd; }
.meta { color: #666; } .fa-summary { display: flex; flex-wrap: wrap; gap: 4px 22px; margin: 10px 0; }
.fa-summary b { font-size: 19px; } .fa-summary .red b { color: #c0392b; }
.fa-top li { margin-bottom: 4px; } .fa-top .sev { color: #8e1b10; font-weight: 600; }
table.plain { border-collapse: collapse; width: 100%; } table.plain td, table.plain th { border-bottom: 1px solid #e4e4e4;
  padding: 4px 8px; text-align: left; vertical-align: top; }
noscript p { background: #fff3bf; padding: 6px; }
"""


def _e(value: Any) -> str:
    """``value`` as escaped HTML text (``''`` for missing values, numbers formatted)."""
    return html.escape(fmt.text(value), quote=True)


def _script_json(data: Any) -> str:
    """JSON safe inside a ``<script>`` element: no ``</script>``, comment or entity can form."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, default=str, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


def _summary(result: Any, head: Any, first: pd.DataFrame, rows: dict[str, list]) -> str:
    """Counts of the whole audit (``head``: :func:`~auditor.dashboard._data.list_head`) and one line per claim
    group of the conflicts ``first`` (:attr:`_PageConflicts.first`); ``rows``: the list's rows of those groups
    (and maybe others)."""
    from .dashboard._data import n_rows

    counts = [
        (len(result.articles), "articles", ""), (result.n_figures, "figures", ""),
        (head.n_groups, "claim groups", ""), (head.n_conflict, "claim groups in conflict", "red"),
        (n_rows(result, "conflicts"), "conflicting pairs", ""), (head.n_to_review, "to review", ""),
        (len(result.errors), "unreadable files", ""),
    ]
    items = "".join(f"<span class='{c}'><b>{n:,}</b> {_e(name)}</span>" for n, name, c in counts)
    top = ""
    if len(first):
        # One line per claim group in conflict (its most severe pair), not every pair.
        where = {g: i for i, g in enumerate(rows["id"])}
        lines = []
        for c in first.to_dict("records"):
            i = where.get(str(c.get("group_id")))
            label = rows["label"][i] if i is not None else c.get("category")
            spread = f" — reported {rows['spread'][i]} by {rows['n_outlets'][i]} outlets" if i is not None else ""
            lines.append(f"<li><span class='sev'>{_e(c.get('severity'))}</span> · <b>{_e(label)}</b>{_e(spread)}"
                         f"<div class='meta'>{_e(c.get('explanation'))}</div></li>")
        top = f"<h2>Claims in conflict</h2><ul class='fa-top'>{''.join(lines)}</ul>"
    return f"<div class='fa-summary'>{items}</div>{top}"


@dataclass
class _PageConflicts:
    """What the page needs of the conflicts table, from one pass over it a part at a time."""

    sides: Any  # the figure ids on either side of any conflict (an Arrow array: _data.text_set)
    first: pd.DataFrame  # the first conflict of each of the first SUMMARY_CONFLICTS groups in the table
    listed: pd.DataFrame  # the first MAX_CONFLICTS conflicts of each listed group (most severe first, as sorted)
    totals: dict[str, int]  # each listed group's number of conflicts


def _page_conflicts(result: Any, listed: list[str]) -> _PageConflicts:
    """:class:`_PageConflicts` of the groups ``listed``; a table a local run keeps in files is not loaded."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .dashboard._data import is_in, table_chunks, text_set

    wanted = text_set(listed)
    sides, first, kept = [], [], []
    seen: set[str] = set()
    totals: dict[str, int] = defaultdict(int)
    for part in table_chunks(result, "conflicts"):
        sides.append(text_set(pd.concat([part["figure_a"], part["figure_b"]])))
        group = _text(part["group_id"])
        if len(seen) < SUMMARY_CONFLICTS:
            new = ~group.duplicated().to_numpy() & ~group.isin(seen).to_numpy()
            at = np.flatnonzero(new)[:SUMMARY_CONFLICTS - len(seen)]
            seen.update(group.iloc[at].tolist())
            first.append(part.iloc[at])
        mine = is_in(group, wanted)
        if mine.any():
            rows, group = part[mine], group[mine]
            # Each group's number in the table so far: its conflicts past MAX_CONFLICTS are counted, not kept.
            done = np.array([totals[g] for g in group.tolist()], dtype=np.int64) + group.groupby(group).cumcount()
            for g, n in group.value_counts().items():
                totals[g] += int(n)
            kept.append(rows[done.to_numpy() < MAX_CONFLICTS])
        del part, group
    return _PageConflicts(
        sides=pc.unique(pa.chunked_array(sides, type=pa.large_string())) if sides else text_set([]),
        first=pd.concat(first) if first else pd.DataFrame(),
        listed=pd.concat(kept) if kept else pd.DataFrame(columns=["group_id"]),
        totals=dict(totals))


def _more(total: int, shown: int, where: str) -> str:
    """The line under a table cut at ``shown`` rows."""
    if total <= shown:
        return ""
    return f"<p class='meta'>… and {total - shown:,} more: {_e(where)} lists them all.</p>"


def _errors_section(result: Any) -> str:
    if result.errors.empty:
        return ""
    rows = "".join(f"<tr><td>{_e(r.get('path'))}</td><td>{_e(r.get('error'))}</td></tr>"
                   for r in result.errors.head(MAX_TABLE_ROWS).to_dict("records"))
    return ("<h2>Files that could not be read</h2><table class='plain'><thead><tr><th>file</th><th>why</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>{_more(len(result.errors), MAX_TABLE_ROWS, 'errors.csv')}")


def _orphans_section(result: Any) -> str:
    """Decisions kept in the review store whose conflict no longer appears (an article changed)."""
    out_dir = getattr(result, "out_dir", None)
    if out_dir is None:
        return ""
    from .review import ReviewStore

    decisions = ReviewStore(out_dir).decisions()
    orphans = decisions[decisions["orphaned"].astype(int) == 1] if len(decisions) else decisions
    if orphans.empty:
        return ""
    rows = "".join(
        f"<tr><td>{_e(r['conflict_id'])}</td><td>{_e(r['decision'])}</td><td>{_e(r['note'])}</td>"
        f"<td>{_e(r['decided_at'])}</td><td>{_e(r['explanation'])}</td></tr>"
        for r in orphans.head(MAX_TABLE_ROWS).to_dict("records")
    )
    return (
        "<h2>Review decisions on conflicts no longer found</h2><p class='meta'>Kept in review.sqlite: "
        "their articles changed or were left out of this run.</p><table class='plain'><thead><tr><th>conflict</th>"
        f"<th>decision</th><th>note</th><th>decided</th><th>what it was about</th></tr></thead><tbody>{rows}"
        f"</tbody></table>{_more(len(orphans), MAX_TABLE_ROWS, 'decisions.csv')}"
    )


def _n_listed(n_figures: list[int]) -> int:
    """How many of the list's first groups (``n_figures``: their reports) the page embeds: at most MAX_GROUPS,
    MAX_EMBEDDED_REPORTS reports."""
    shown = np.minimum(np.asarray(n_figures, dtype=np.int64), MAX_REPORTS)
    fits = int((np.cumsum(shown) <= MAX_EMBEDDED_REPORTS).sum())  # a prefix: the sums only grow
    return min(max(fits, min(1, len(shown))), MAX_GROUPS)


def _shown_figures(result: Any, keep: set[str], sides: Any) -> np.ndarray:
    """Positions in the figures table of the reports the page shows: the listed groups', at most
    MAX_REPORTS a group (those in a conflict first, the others spread evenly over time). Reads three
    columns of the figures a part at a time (a spilled table is not loaded whole) and keeps, of each
    listed group's figures, four numbers (no Python string)."""
    from .dashboard._data import figure_chunks, is_in, list_groups

    # ``sides``: the figures on either side of any conflict (a part_of pair's total may be in another group).
    listed = pd.Index(sorted(keep))
    parts = []
    for fig in figure_chunks(result, ["figure_id", "group_id", "published"]):
        code = listed.get_indexer(list_groups(fig))
        at = np.flatnonzero(code >= 0)
        published = fig["published"].iloc[at]
        parts.append(pd.DataFrame({
            "group": code[at], "position": fig.index.to_numpy()[at],
            "date": pd.to_datetime(published.where(published.notna(), ""), errors="coerce", format="mixed").to_numpy(),
            "in_conflict": is_in(fig["figure_id"].iloc[at], sides),
        }))
        del fig
    members = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        {"group": np.zeros(0, np.int64), "position": np.zeros(0, np.int64)})
    positions = members["position"].to_numpy(dtype=np.int64)
    sizes = np.bincount(members["group"].to_numpy(dtype=np.int64), minlength=len(listed))
    in_big = sizes[members["group"].to_numpy(dtype=np.int64)] > MAX_REPORTS
    if not in_big.any():
        return positions
    chosen = [positions[~in_big]]
    ordered = members[in_big].sort_values("date", na_position="last", kind="stable")
    for _, group in ordered.groupby("group", sort=False):
        disputed = group["position"].to_numpy()[group["in_conflict"].to_numpy()][:MAX_REPORTS]
        others = group["position"].to_numpy()[~group["in_conflict"].to_numpy()]
        room = MAX_REPORTS - len(disputed)
        if room > 0 and len(others):
            others = others[np.unique(np.linspace(0, len(others) - 1, room).round().astype(np.int64))]
        chosen += [disputed, others[:max(room, 0)]]
    return np.sort(np.concatenate(chosen))


def _embedded_details(result: Any, rows: dict[str, list], n: int,
                      conflicts: _PageConflicts) -> Iterator[tuple[str, dict[str, Any]]]:
    """The reports and conflicting pairs of the first ``n`` listed groups, capped, with notes saying so, a
    group at a time in list order. Only the rows of the reports shown are read whole."""
    from .audit import AuditResult
    from .dashboard._data import DETAIL_COLUMNS, WorkbenchData, rows_of_groups, text_set

    ids = rows["id"][:n]
    # Without a path no editor link is made: a saved page cannot open JupyterLab's editor.
    figures = result._figures_at(_shown_figures(result, set(ids), conflicts.sides), DETAIL_COLUMNS).assign(path="")
    total_pairs = conflicts.totals
    # The listed groups only: details are built for what the page shows.
    part = AuditResult(articles=result.articles, figures=figures, groups=rows_of_groups(result, "groups", text_set(ids)),
                       conflicts=conflicts.listed, errors=result.errors)
    position = {g: i for i, g in enumerate(ids)}
    for group_id, detail in WorkbenchData(part).details(ids):
        i = position[group_id]
        detail["review"] = rows["review"][i]  # of all its pairs, not only those shown
        for report in detail["reports"]:
            report.pop("link", None)
        notes = [detail["note"]] if detail["note"] else []
        if len(detail["reports"]) < rows["n_figures"][i]:
            notes.append(f"This page shows {len(detail['reports'])} of its {rows['n_figures'][i]:,} reports (those "
                         f"in a conflict first, the others spread over time); figures.csv has them all "
                         f"(group_id {group_id}).")
        if len(detail["conflicts"]) < total_pairs.get(group_id, 0):
            notes.append(f"{len(detail['conflicts'])} of its {total_pairs[group_id]:,} conflicting pairs are shown "
                         "(the most severe); conflicts.csv has them all.")
        detail["note"] = " ".join(notes)
        yield group_id, detail


def _data_json(rows: dict[str, list], details: Iterable[tuple[str, dict[str, Any]]],
               summary: dict[str, Any]) -> Iterator[str]:
    """:func:`_script_json` of ``{"rows": rows, "details": dict(details), "summary": summary}`` in pieces, each
    detail encoded as it comes (the text is the same as the dict's, which is never held whole)."""
    yield '{"rows":' + _script_json(rows) + ',"details":{'
    for k, (group_id, detail) in enumerate(details):
        yield ("," if k else "") + _script_json(group_id) + ":" + _script_json(detail)
    yield '},"summary":' + _script_json(summary) + "}"


def _listed_notice(total: int, n: int) -> str:
    if n >= total:
        return ""
    return (f"<p class='meta fa-capped'>This page lists {n:,} of the {total:,} claim groups: those in conflict "
            "first, then those reported by the most outlets. groups.csv, figures.csv and conflicts.csv hold the "
            "whole audit.</p>")


_BOOT = """
(function () {
  var data = JSON.parse(document.getElementById('fa-data').textContent);
  figureAuditWorkbench(document.getElementById('fa-workbench'), {
    mode: 'static',
    rows: function () { return data.rows; },
    summary: function () { return data.summary; },
    selected: function () { return ''; },
    detailOf: function (id) { return data.details[id]; }
  });
})();
"""


def render_report(result: Any) -> str:
    """The whole report page for an :class:`~auditor.audit.AuditResult` (or an opened audit), as HTML text."""
    return "".join(_page(result))


def write_report(result: Any, path: str | os.PathLike[str]) -> None:
    """Write :func:`render_report`'s page into ``path`` (UTF-8, synced to disk) a piece at a time, as it is
    made: the page (megabytes) is never held whole, as text or as bytes."""
    with open(path, "wb") as handle:
        handle.writelines(piece.encode("utf-8") for piece in _page(result))
        handle.flush()
        os.fsync(handle.fileno())


def _page(result: Any) -> Iterator[str]:
    """The page's text in order, in pieces: the embedded data a claim group at a time."""
    from .dashboard._assets import workbench_script, workbench_style
    from .dashboard._data import WorkbenchData, list_head

    # The list's order and counts from a few numbers per group; its rows made for the groups shown only
    # (and those of the summary's lines), not for every group of the audit.
    head = list_head(result, MAX_GROUPS)
    n = _n_listed(head.n_figures)
    conflicts = _page_conflicts(result, head.ids[:n])
    summary_groups = _text(conflicts.first["group_id"]).tolist() if len(conflicts.first) else []
    made = WorkbenchData(result, only=[*head.ids[:n], *summary_groups]).group_list()
    at = {g: i for i, g in enumerate(made["id"])}
    rows = {name: [values[at[g]] for g in head.ids[:n]] for name, values in made.items()}
    page_summary = {
        "articles": len(result.articles), "figures": result.n_figures, "errors": len(result.errors),
        "can_review": False, "columns": [list(c) for c in fmt.GROUP_VIEW_COLUMNS],
        "facets": [list(c) for c in fmt.FACETS],
        "orders": {"status": list(fmt.STATUS_ORDER), "review": list(fmt.REVIEW_ORDER)},
        "status_text": fmt.STATUS_TEXT,
    }
    summary = _summary(result, head, conflicts.first, made)
    del made
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    yield (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='generator' content='figure-audit'>"  # the reader skips reports it wrote
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Figure audit</title><style>{_PAGE_STYLE}{workbench_style()}</style></head><body>"
        f"<h1>Figure audit</h1><p class='meta'>Generated {stamp} by Figure Auditor. Works offline; "
        "click a claim to see its reports side by side.</p>"
        f"{summary}"
        "<h2>Claim groups, conflicts first</h2>"
        f"{_listed_notice(head.n_groups, n)}"
        "<noscript><p>Search, filters and the reports of each claim need JavaScript; groups.csv and "
        "conflicts.csv hold the same data.</p></noscript>"
        "<div id='fa-workbench'></div>"
        "<script type='application/json' id='fa-data'>"
    )
    yield from _data_json(rows, _embedded_details(result, rows, n, conflicts) if n else (), page_summary)
    del rows, conflicts
    yield (
        "</script>"
        f"<script>{workbench_script()}\n{_BOOT}</script>"
        f"{_orphans_section(result)}"
        f"{_errors_section(result)}"
        "</body></html>"
    )


__all__ = ["render_report", "write_report"]

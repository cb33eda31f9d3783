"""Rich display of an :class:`~auditor.audit.AuditResult` in notebooks.

``application/vnd.figure-audit+json`` is drawn by the Figure Auditor JupyterLab extension;
``text/html`` (every article string escaped) serves other front ends, ``text/plain`` the rest.
The JSON is capped so a large corpus does not bloat the notebook: the most severe conflicts
and the groups in conflict come first, and ``omitted`` says how much was left out.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import formatting

if TYPE_CHECKING:  # pragma: no cover
    from .audit import AuditResult

MIME_TYPE = "application/vnd.figure-audit+json"
MIME_VERSION = 1

# Caps keep a displayed audit under about 1 MB of notebook JSON (benchmarks/mime_bench.py);
# the dashboard and the CSVs have everything.
MAX_CONFLICTS = 100
MAX_GROUPS = 100
MAX_REPORTS_PER_GROUP = 20
MAX_ERRORS = 50
MAX_SENTENCE_CHARS = 300  # longer sentences keep a window around the figure
MAX_HTML_ROWS = 50

_STATUS_ORDER = {name: i for i, name in enumerate(formatting.STATUS_ORDER)}
_SEVERITY_ORDER = {name: i for i, name in enumerate(formatting.SEVERITY_ORDER)}

_FIGURE_FIELDS = (
    "figure_id", "article_id", "category", "start", "end", "surface", "value", "low", "high",
    "qualifier", "unit", "reported_value", "reported_unit", "counted", "subject", "location",
    "reference_place", "source", "source_type", "published", "outlet", "group_id",
)
_GROUP_FIELDS = (
    "group_id", "category", "subject", "location", "reference_place", "unit", "n_figures",
    "n_articles", "low", "high", "status", "label",
)
_CONFLICT_FIELDS = (
    "conflict_id", "group_id", "figure_a", "figure_b", "article_a", "article_b", "category",
    "relative_difference", "severity", "explanation", "kind", "relation", "outlet_a", "outlet_b", "decision", "note",
)
_ARTICLE_FIELDS = ("article_id", "path", "title", "outlet", "published", "url")
# Fields the payload adds to the raw columns, each text made by auditor/formatting.py: the
# extension shows them as they are, so every view reads a figure the same way.
_FIGURE_EXTRA = ("sentence", "sentence_start", "value_text")
_GROUP_EXTRA = ("figures", "omitted_figures", "spread_text", "status_text", "unit_text")
_CONFLICT_EXTRA = ("relation_text",)
_ARTICLE_EXTRA = ("abs_path",)


def mimebundle(result: Any) -> dict[str, Any]:
    """The display bundle of an audit (an :class:`~auditor.audit.AuditResult` or an opened one): extension
    JSON, escaped HTML and plain text. Only the figures it shows are read (:func:`shown_part`)."""
    from .dashboard._data import n_rows

    payload = audit_payload(shown_part(result))
    # The part holds the groups and conflicts shown: the counts are the whole audit's.
    summary, omitted = payload["summary"], payload["omitted"]
    summary["figures"] = result.n_figures
    for name in ("groups", "conflicts"):
        summary[name] = n_rows(result, name)
        omitted[name] = summary[name] - len(payload[name])
    return {
        MIME_TYPE: payload,
        "text/html": _html(payload),
        "text/plain": _plain(result, payload),
    }


def audit_payload(result: AuditResult) -> dict[str, Any]:
    """The compact JSON drawn by the JupyterLab renderer (see ``extension/src/model.ts``)."""
    figures = result.figures.set_index("figure_id", drop=False) if len(result.figures) else None
    kept_conflicts = _sorted_conflicts(result.conflicts, MAX_CONFLICTS)
    # Groups that hold a shown conflict are always shown, whatever the cap.
    conflict_groups = set(kept_conflicts["group_id"].astype(str)) if len(kept_conflicts) else set()
    kept_groups = _shown_groups(result.groups, conflict_groups)

    members_of = _group_members(result.figures)
    spreads = _group_spreads(result.figures)
    wanted: set[str] = set()
    group_rows = []
    for row in kept_groups.to_dict("records"):
        group = _pick(row, _GROUP_FIELDS)
        group.update(_group_texts(row, spreads.get(str(row["group_id"]))))
        members = members_of.get(str(row["group_id"]), [])
        group["figures"] = members[:MAX_REPORTS_PER_GROUP]
        group["omitted_figures"] = max(len(members) - MAX_REPORTS_PER_GROUP, 0)
        wanted.update(group["figures"])
        group_rows.append(group)
    conflict_rows = []
    for row in kept_conflicts.to_dict("records"):
        conflict = _pick(row, _CONFLICT_FIELDS)
        conflict["relation_text"] = formatting.relation_text(row.get("relation"))
        conflict_rows.append(conflict)
        wanted.update(_text(row.get(side)) for side in ("figure_a", "figure_b"))

    figure_rows: dict[str, dict[str, Any]] = {}
    if figures is not None:
        for figure_id in sorted(wanted):
            if figure_id in figures.index:
                record = figures.loc[figure_id]
                if isinstance(record, pd.DataFrame):  # duplicated id: take the first
                    record = record.iloc[0]
                figure_rows[figure_id] = _figure(record.to_dict())

    used_articles = {f["article_id"] for f in figure_rows.values()}
    articles = {}
    shown_articles = result.articles
    if len(shown_articles):  # a dict made only for the articles shown (every article's is tens of MB)
        shown_articles = shown_articles[shown_articles["article_id"].astype(str).isin(used_articles).to_numpy()]
    for row in shown_articles.to_dict("records"):
        article_id = str(row["article_id"])
        if article_id in used_articles:
            articles[article_id] = _article(row)

    errors = [_pick(row, ("path", "error")) for row in result.errors.head(MAX_ERRORS).to_dict("records")]
    return {
        "version": MIME_VERSION,
        "summary": {
            "articles": len(result.articles),
            "figures": len(result.figures),
            "groups": len(result.groups),
            "conflicts": len(result.conflicts),
            "errors": len(result.errors),
        },
        "articles": articles,
        "figures": figure_rows,
        "groups": group_rows,
        "conflicts": conflict_rows,
        "errors": errors,
        "omitted": {
            "groups": len(result.groups) - len(group_rows),
            "conflicts": len(result.conflicts) - len(conflict_rows),
            "errors": len(result.errors) - len(errors),
        },
    }


def shown_part(result: Any) -> AuditResult:
    """The audit with only what its display can show: the conflicts and claim groups it lists (the caps
    below) and the figures of those groups and both sides of each listed conflict. The groups and conflicts
    tables are read a part at a time and a figure table spilled to a file, or an opened audit's, for these
    rows only; the payload of the part is the payload of the whole (its counts aside: :func:`mimebundle`)."""
    from .audit import AuditResult

    conflicts = _first_rows(result, "conflicts", MAX_CONFLICTS, _conflict_order)
    shown = set(conflicts["group_id"].astype(str)) if len(conflicts) else set()
    groups = _first_rows(result, "groups", max(MAX_GROUPS, len(shown)), lambda part: _group_order(part, shown))
    shown |= set(groups["group_id"].astype(str)) if len(groups) else set()
    figures = result.figures_in(shown)
    sides = set(conflicts["figure_a"].astype(str)) | set(conflicts["figure_b"].astype(str)) if len(conflicts) \
        else set()
    missing = sides - set(figures["figure_id"].astype(str))
    if missing:  # a part_of pair whose total is in another group
        figures = pd.concat([figures, result._figures_with_ids(missing)])
    return AuditResult(articles=result.articles, figures=figures, groups=groups, conflicts=conflicts,
                       errors=result.errors, out_dir=result.out_dir)


def _first_rows(result: Any, name: str, n: int, order: Any) -> pd.DataFrame:
    """The first ``n`` rows of ``result.<name>`` by ``order`` (a part -> its sort keys, a frame; ties in table
    order), in table order: the table read a part at a time, the best ``n`` so far kept."""
    from .dashboard._data import table_chunks

    best = None
    for part in table_chunks(result, name):
        keys = order(part)
        keyed = pd.concat([part, keys.set_axis([f"_key{i}" for i in range(keys.shape[1])], axis=1)], axis=1)
        best = keyed if best is None else pd.concat([best, keyed])  # earlier rows first: ties stay in table order
        best = best.sort_values([f"_key{i}" for i in range(keys.shape[1])], kind="stable").iloc[:n]
    if best is None:  # an empty table, with its columns
        table = vars(result).get(name)
        return pd.DataFrame(columns=list(table.columns)) if table is not None else getattr(result, name)
    return best.sort_index().drop(columns=[c for c in best.columns if c.startswith("_key")])


def _conflict_order(conflicts: pd.DataFrame) -> pd.DataFrame:
    """Most severe first, then the largest difference (:func:`_sorted_conflicts`)."""
    rank = conflicts["severity"].map(_SEVERITY_ORDER).fillna(len(_SEVERITY_ORDER))
    difference = pd.to_numeric(conflicts["relative_difference"], errors="coerce").fillna(0)
    return pd.DataFrame({"rank": rank.to_numpy(), "difference": -difference.to_numpy()}, index=conflicts.index)


def _group_order(groups: pd.DataFrame, conflict_groups: set[str]) -> pd.DataFrame:
    """Those of ``conflict_groups`` first, then by status, then most figures (:func:`_shown_groups`)."""
    rank = groups["status"].map(_STATUS_ORDER).fillna(len(_STATUS_ORDER))
    size = pd.to_numeric(groups["n_figures"], errors="coerce").fillna(0)
    in_conflict = groups["group_id"].astype(str).isin(conflict_groups).to_numpy()
    return pd.DataFrame({"other": ~in_conflict, "rank": rank.to_numpy(), "size": -size.to_numpy()},
                        index=groups.index)


def _sorted_conflicts(conflicts: pd.DataFrame, n: int | None = None) -> pd.DataFrame:
    """The conflicts, most severe first (only the first ``n``: the table is not copied whole)."""
    if not len(conflicts):
        return conflicts
    order = _conflict_order(conflicts).reset_index(drop=True).sort_values(["rank", "difference"], kind="stable").index
    return conflicts.iloc[order[:n]]


def _shown_groups(groups: pd.DataFrame, conflict_groups: set[str]) -> pd.DataFrame:
    """The groups the display lists: those of ``conflict_groups``, then the first others (status, then most
    figures) up to :data:`MAX_GROUPS` in all; only these rows are copied."""
    if not len(groups):
        return groups
    order = _group_order(groups, conflict_groups).reset_index(drop=True).sort_values(
        ["other", "rank", "size"], kind="stable").index[:max(MAX_GROUPS, len(conflict_groups))]
    return groups.iloc[order]


def _group_members(figures: pd.DataFrame) -> dict[str, list[str]]:
    """group_id -> its figure ids, in the order of the figures table."""
    if not len(figures) or "group_id" not in figures:
        return {}
    ids = figures["figure_id"].astype(str)
    return {str(group): list(members) for group, members in ids.groupby(figures["group_id"].astype(str), sort=False)}


def _figure(row: dict[str, Any]) -> dict[str, Any]:
    figure = _pick(row, _FIGURE_FIELDS)
    sentence = _text(row.get("sentence"))
    sentence_start = _int(row.get("sentence_start"))
    start, end = _int(row.get("start")), _int(row.get("end"))
    if sentence_start is None or start is None or end is None:
        sentence_start = None
    elif len(sentence) > MAX_SENTENCE_CHARS:
        # Keep a window centred on the figure; its offsets still index the article text.
        centre = (start + end) // 2 - sentence_start
        cut = min(max(centre - MAX_SENTENCE_CHARS // 2, 0), len(sentence) - MAX_SENTENCE_CHARS)
        sentence = sentence[cut : cut + MAX_SENTENCE_CHARS]
        sentence_start += cut
    figure["sentence"] = sentence
    figure["sentence_start"] = sentence_start
    figure["value_text"] = formatting.value_text(*(row.get(name) for name in (
        "value", "low", "high", "qualifier", "unit", "reported_value", "reported_unit")))
    return figure


def _group_spreads(figures: pd.DataFrame) -> dict[str, tuple[float, float, bool]]:
    """group_id -> (lowest, highest, open above) of its reports (``formatting.group_spreads``)."""
    if not len(figures) or not {"group_id", "low", "high", "value"} <= set(figures.columns):
        return {}
    spans = formatting.group_spreads(figures["group_id"], figures["low"], figures["high"], figures["value"])
    return {g: (lo, hi, bool(is_open)) for g, lo, hi, is_open
            in zip(spans.index, spans["low"], spans["high"], spans["open_high"])}


def _group_texts(row: dict[str, Any], spread: tuple[float, float, bool] | None) -> dict[str, str]:
    """What a group's reports span ("12–120", "≥ 50"), its status and unit, in words."""
    low, high, open_high = spread if spread else (row.get("low"), row.get("high"), False)
    return {
        "spread_text": formatting.spread_text(low, high, row.get("unit"), open_high=open_high),
        "status_text": formatting.status_text(row.get("status")),
        "unit_text": formatting.unit_word(row.get("unit")),
    }


def extension_columns() -> dict[str, Any]:
    """Field lists of the payload, view columns and orderings, and the corpus rules, as the
    extension reads them (``extension/src/columns.json``, checked by tests/test_extension_mime.py)."""
    from .lab import corpus_rules

    def fields(raw: tuple[str, ...], extra: tuple[str, ...]) -> list[str]:
        return list(raw) + [name for name in extra if name not in raw]

    return {
        "_comment": "Generated from auditor/_mime.py, auditor/formatting.py and auditor/lab.py by "
                    "`python -m auditor._mime`; do not edit.",
        "mime_type": MIME_TYPE,
        "fields": {
            "figure": fields(_FIGURE_FIELDS, _FIGURE_EXTRA),
            "group": fields(_GROUP_FIELDS, _GROUP_EXTRA),
            "conflict": fields(_CONFLICT_FIELDS, _CONFLICT_EXTRA),
            "article": fields(_ARTICLE_FIELDS, _ARTICLE_EXTRA),
        },
        "columns": {
            "conflicts": [list(c) for c in formatting.CONFLICT_VIEW_COLUMNS],
            "reports": [list(c) for c in formatting.REPORT_VIEW_COLUMNS],
        },
        "order": {"status": list(formatting.STATUS_ORDER), "severity": list(formatting.SEVERITY_ORDER)},
        "corpus": corpus_rules(),
    }


def _article(row: dict[str, Any]) -> dict[str, Any]:
    article = _pick(row, _ARTICLE_FIELDS)
    path = _text(row.get("path"))
    # The renderer maps this to the server's file tree, whatever folder the kernel runs in.
    article["abs_path"] = str(Path(path).resolve()) if path else ""
    return article


def _pick(row: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: _json_value(row[name]) for name in names if name in row}


def _json_value(value: Any) -> Any:
    """A JSON-safe scalar: NaN/NA/inf become null, numpy numbers become Python numbers."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, str)):
        return value
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _int(value: Any) -> int | None:
    value = _json_value(value)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str:
    value = _json_value(value)
    return "" if value is None else str(value)


def _html(payload: dict[str, Any]) -> str:
    """A static, fully escaped summary for front ends without the extension."""
    esc = html.escape
    summary = payload["summary"]
    parts = [
        '<div class="figure-audit-fallback">',
        "<p><strong>Figure audit</strong>: "
        + ", ".join(f"{summary[key]:,} {key}" for key in ("articles", "figures", "groups", "conflicts", "errors"))
        + "</p>",
    ]
    figures, articles = payload["figures"], payload["articles"]

    def side(figure_id: str) -> str:
        figure = figures.get(figure_id, {})
        article = articles.get(figure.get("article_id"), {})
        label = article.get("outlet") or article.get("title") or figure.get("article_id") or ""
        value = _text(figure.get("value_text"))
        return (
            f"<b>{esc(_text(figure.get('surface')))}</b>{' = ' + esc(value) if value else ''} ({esc(_text(label))})<br>"
            f"<small>{esc(_text(figure.get('sentence')))}</small>"
        )

    if payload["conflicts"]:
        parts.append("<table><thead><tr><th>severity</th><th>category</th><th>A</th><th>B</th>"
                     "<th>explanation</th></tr></thead><tbody>")
        for conflict in payload["conflicts"][:MAX_HTML_ROWS]:
            parts.append(
                f"<tr><td>{esc(_text(conflict.get('severity')))}</td><td>{esc(_text(conflict.get('category')))}</td>"
                f"<td>{side(_text(conflict.get('figure_a')))}</td><td>{side(_text(conflict.get('figure_b')))}</td>"
                f"<td>{esc(_text(conflict.get('explanation')))}</td></tr>"
            )
        parts.append("</tbody></table>")
    if payload["groups"]:
        parts.append("<table><thead><tr><th>status</th><th>claim</th><th>reported</th>"
                     "<th>reports</th></tr></thead><tbody>")
        for group in payload["groups"][:MAX_HTML_ROWS]:
            parts.append(
                f"<tr><td>{esc(_text(group.get('status_text')))}</td><td>{esc(_text(group.get('label')))}</td>"
                f"<td>{esc(_text(group.get('spread_text')))}</td>"
                f"<td>{esc(_text(group.get('n_figures')))}</td></tr>"
            )
        parts.append("</tbody></table>")
    if payload["errors"]:
        parts.append("<p>Not read:</p><ul>")
        parts.extend(f"<li>{esc(_text(e.get('path')))}: {esc(_text(e.get('error')))}</li>" for e in payload["errors"])
        parts.append("</ul>")
    parts.append("</div>")
    return "".join(parts)


def _plain(result: AuditResult, payload: dict[str, Any]) -> str:
    lines = [repr(result)]
    figures = payload["figures"]
    for conflict in payload["conflicts"][:10]:
        a = figures.get(_text(conflict.get("figure_a")), {})
        b = figures.get(_text(conflict.get("figure_b")), {})
        lines.append(
            f"  conflict {conflict.get('category')}: {a.get('surface', '?')!r} ({a.get('outlet') or a.get('article_id')})"
            f" vs {b.get('surface', '?')!r} ({b.get('outlet') or b.get('article_id')})"
        )
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - writes extension/src/columns.json
    import json
    import sys

    target = Path(__file__).resolve().parent.parent / "extension" / "src" / "columns.json"
    target.write_text(json.dumps(extension_columns(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {target}", file=sys.stderr)

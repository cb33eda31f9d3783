"""``report.html``: a standalone page (no network) with the claim-group chart and the conflicts.

Every piece of article text is HTML-escaped; chart specs are embedded as JSON with ``<``,
``>`` and ``&`` escaped, so no article text can close a ``<script>``.  The Vega JavaScript
comes from ``vl-convert-python``'s bundled copy, never from a CDN.
"""

from __future__ import annotations

import html
import json
import math
from datetime import datetime, timezone
from functools import cache
from typing import Any

# At most this many claim groups in the chart (conflicts first), and rows in the groups table.
MAX_CHART_GROUPS = 40
MAX_TABLE_GROUPS = 2000
MAX_TABLE_CONFLICTS = 1000
_STATUS_ORDER = {"conflict": 0, "corroborated": 1, "consistent": 2, "single": 3}
_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}

_STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1200px;
       color: #222; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; }
.meta { color: #666; }
.counts span { display: inline-block; margin-right: 18px; } .counts b { font-size: 18px; }
table { border-collapse: collapse; width: 100%; margin-top: 8px; }
th, td { border-bottom: 1px solid #e4e4e4; padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #f6f6f6; position: sticky; top: 0; }
tr.conflict td:first-child, .sev-high { border-left: 4px solid #b2182b; }
.sev-medium { border-left: 4px solid #ef8a62; } .sev-low { border-left: 4px solid #fddbc7; }
.status-conflict { color: #b2182b; font-weight: 600; } .status-corroborated { color: #1a7837; }
mark { background: #ffe08a; padding: 0 1px; }
.quote { font-size: 13px; color: #333; } .who { font-weight: 600; } .small { font-size: 12px; color: #666; }
.note { color: #8a5a00; font-size: 12px; }
"""


def _e(value: Any) -> str:
    """``value`` as escaped HTML text ('' for missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def _script_json(spec: dict[str, Any]) -> str:
    """JSON safe inside a ``<script>`` element: no ``</script>``, comment or entity can form."""
    text = json.dumps(spec, ensure_ascii=False, allow_nan=False, default=str)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


@cache
def _vega_bundle() -> str | None:
    """The vega + vega-lite + vega-embed JavaScript shipped inside vl-convert-python."""
    try:
        import vl_convert
        from altair.utils._importers import vl_version_for_vl_convert

        return vl_convert.javascript_bundle(vl_version=vl_version_for_vl_convert())
    except Exception:  # noqa: BLE001 - no bundle: the report is written without charts
        return None


def _number(value: Any) -> str:
    if value is None or (isinstance(value, float) and (math.isnan(value))):
        return ""
    value = float(value)
    if math.isinf(value):
        return "∞"
    if value.is_integer():
        return f"{int(value):,}"
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.1f}"


def _range(low: Any, high: Any, unit: str) -> str:
    lo, hi = _number(low), _number(high)
    unit = "" if unit == "count" else f" {unit}"
    if lo and not hi:
        return f"{lo} or more{unit}"
    if lo == hi:
        return f"{lo}{unit}"
    return f"{lo}–{hi}{unit}"


def _quote(figure: dict[str, Any] | None) -> str:
    """A report's sentence with its figure marked, and who said it."""
    if figure is None:
        return ""
    sentence = str(figure.get("sentence") or "")
    surface = str(figure.get("surface") or "")
    try:
        offset = int(figure["start"]) - int(figure["sentence_start"])
    except (KeyError, TypeError, ValueError):
        offset = -1
    if not (0 <= offset and sentence[offset: offset + len(surface)] == surface):
        offset = sentence.find(surface) if surface else -1
    if offset >= 0 and surface:
        body = (_e(sentence[:offset]) + "<mark>" + _e(surface) + "</mark>"
                + _e(sentence[offset + len(surface):]))
    else:
        body = _e(sentence) or f"<mark>{_e(surface)}</mark>"
    who = " · ".join(_e(x) for x in (figure.get("outlet") or "(no outlet)", figure.get("published") or "undated"))
    source = _e(figure.get("source"))
    return (
        f'<div class="who">{who}</div><div class="quote">“{body}”</div>'
        f'<div class="small">{"source: " + source + " · " if source else ""}article {_e(figure.get("article_id"))}</div>'
    )


def _chart_section(result: Any) -> str:
    bundle = _vega_bundle()
    if bundle is None:
        return "<p class='meta'>Charts need the vl-convert-python package, which is not installed.</p>"
    if result.figures.empty or result.groups.empty:
        return "<p class='meta'>No claim groups to chart.</p>"
    from .dashboard._charts import claim_groups_chart
    from .dashboard._data import DashboardData

    data = DashboardData(result)
    groups = data.groups[data.groups["n_figures"] >= 2]
    if groups.empty:
        return "<p class='meta'>Every claim is reported once: nothing to compare in a chart.</p>"
    shown = groups.head(MAX_CHART_GROUPS)
    rows = data.chart_rows(list(shown.index))
    chart = claim_groups_chart(rows, list(shown["label"]), list(shown["status"]))
    spec = chart.to_dict()
    more = ""
    if len(groups) > len(shown):
        more = f"<p class='meta'>Showing {len(shown)} of {len(groups)} claim groups with two or more reports.</p>"
    return (
        "<p class='meta'>Each row is a claim group; each report is a point (one value) or a bar (an interval, "
        "with an arrow for an open end). Shaded rows and outlined marks are in conflict.</p>"
        f'<div id="claim-chart"></div>{more}'
        f"<script>{bundle}</script>"
        f"<script>vegaEmbed('#claim-chart', {_script_json(spec)}, {{actions: false}}).catch(console.error);</script>"
    )


def _conflicts_section(result: Any) -> str:
    conflicts = result.conflicts
    if conflicts.empty:
        return "<p>No conflicts: every claim group's reports can all be right at once.</p>"
    figures = {r["figure_id"]: r for r in result.figures.to_dict("records")}
    labels = dict(zip(result.groups["group_id"], result.groups["label"])) if len(result.groups) else {}
    ordered = sorted(
        conflicts.to_dict("records"),
        key=lambda r: (_SEVERITY_ORDER.get(r.get("severity"), 9), -float(r.get("relative_difference") or 0)),
    )
    rows = []
    for c in ordered[:MAX_TABLE_CONFLICTS]:
        second = _quote(figures.get(c.get("figure_b")))
        if not c.get("figure_b"):
            second = "<div class='who'>Gazetteer</div><div class='small'>straight-line distance check</div>"
        decision = _e(c.get("decision"))
        if c.get("note"):
            decision += f"<div class='small'>{_e(c.get('note'))}</div>"
        rows.append(
            f"<tr><td class='sev-{_e(c.get('severity'))}'>{_e(c.get('severity'))}"
            f"<div class='small'>{_number(round(float(c.get('relative_difference') or 0) * 100))} %</div></td>"
            f"<td>{_e(labels.get(c.get('group_id'), c.get('category')))}"
            f"<div class='small'>{_e(c.get('conflict_id'))}</div></td>"
            f"<td>{_quote(figures.get(c.get('figure_a')))}</td><td>{second}</td>"
            f"<td>{_e(c.get('explanation'))}</td><td>{decision}</td></tr>"
        )
    more = ""
    if len(ordered) > MAX_TABLE_CONFLICTS:
        more = (f"<p class='meta'>The {MAX_TABLE_CONFLICTS} most severe of {len(ordered)} conflicts; "
                "conflicts.csv has all.</p>")
    return (
        "<table><thead><tr><th>severity</th><th>claim</th><th>report A</th><th>report B</th>"
        "<th>why they cannot both be right</th><th>review</th></tr></thead><tbody>"
        + "".join(rows) + "</tbody></table>" + more
    )


def _groups_section(result: Any) -> str:
    groups = result.groups
    if groups.empty:
        return "<p>No claim groups.</p>"
    records = sorted(
        groups.to_dict("records"),
        key=lambda g: (_STATUS_ORDER.get(g.get("status"), 9), -int(g.get("n_figures") or 0), str(g.get("label"))),
    )
    rows = []
    for g in records[:MAX_TABLE_GROUPS]:
        status = _e(g.get("status"))
        note = f"<div class='note'>{_e(g.get('note'))}</div>" if g.get("note") else ""
        rows.append(
            f"<tr class='{status}'><td>{_e(g.get('label'))}{note}</td><td class='status-{status}'>{status}</td>"
            f"<td>{_e(g.get('n_figures'))}</td><td>{_e(g.get('n_sources', ''))}</td>"
            f"<td>{_e(_range(g.get('low'), g.get('high'), str(g.get('unit') or '')))}</td>"
            f"<td>{_e(g.get('outlets', ''))}</td></tr>"
        )
    more = ""
    if len(records) > MAX_TABLE_GROUPS:
        more = f"<p class='meta'>The first {MAX_TABLE_GROUPS} of {len(records)} groups; groups.csv has all.</p>"
    return (
        "<table><thead><tr><th>claim</th><th>status</th><th>reports</th><th>independent sources</th>"
        "<th>range reported</th><th>outlets</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>" + more
    )


def _errors_section(result: Any) -> str:
    if result.errors.empty:
        return ""
    rows = "".join(f"<tr><td>{_e(r.get('path'))}</td><td>{_e(r.get('error'))}</td></tr>"
                   for r in result.errors.to_dict("records"))
    return ("<h2>Files that could not be read</h2><table><thead><tr><th>file</th><th>why</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


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
        for r in orphans.to_dict("records")
    )
    return (
        "<h2>Review decisions on conflicts no longer found</h2><p class='meta'>Kept in review.sqlite: "
        "their articles changed or were left out of this run.</p><table><thead><tr><th>conflict</th>"
        f"<th>decision</th><th>note</th><th>decided</th><th>what it was about</th></tr></thead><tbody>{rows}"
        "</tbody></table>"
    )


def render_report(result: Any) -> str:
    """The whole report page for an :class:`~auditor.audit.AuditResult`, as HTML text."""
    counts = {
        "articles": len(result.articles), "figures": len(result.figures), "claim groups": len(result.groups),
        "conflicts": len(result.conflicts), "unreadable files": len(result.errors),
    }
    count_html = "".join(f"<span><b>{n:,}</b> {_e(name)}</span>" for name, n in counts.items())
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Figure audit</title><style>{_STYLE}</style></head><body>"
        f"<h1>Figure audit</h1><p class='meta'>Generated {stamp} by Figure Auditor.</p>"
        f"<div class='counts'>{count_html}</div>"
        f"<h2>Claim groups</h2>{_chart_section(result)}"
        f"<h2>Conflicts</h2>{_conflicts_section(result)}"
        f"<h2>All claim groups</h2>{_groups_section(result)}"
        f"{_orphans_section(result)}"
        f"{_errors_section(result)}"
        "</body></html>"
    )


__all__ = ["render_report"]

"""The dashboard's Altair charts, built from the small frames of :mod:`._data`."""

from __future__ import annotations

import altair as alt
import pandas as pd

# Names of the chart selections, read back from ``JupyterChart.selections``.
GROUP_SELECTION = "group"
REPORT_SELECTION = "report"
PLACE_SELECTION = "place"

_CONFLICT_FILL = "#fbd5d1"
_ROW_FILL = "#f4f4f4"
_CONFLICT_MARK = "#b2182b"
_REPORT_TOOLTIP = [
    alt.Tooltip("outlet:N", title="outlet"),
    alt.Tooltip("published:N", title="published"),
    alt.Tooltip("surface:N", title="as written"),
    alt.Tooltip("bounds:N", title="interval"),
    alt.Tooltip("unit:N", title="unit"),
    alt.Tooltip("qualifier:N", title="qualifier"),
    alt.Tooltip("source:N", title="source"),
]
_SYMLOG = alt.Scale(type="symlog", zero=True, nice=False)
# Symlog axes place their own ticks badly: label the powers of ten.
_DECADES = [0] + [10**k for k in range(0, 13)]
_SYMLOG_AXIS = alt.Axis(
    values=_DECADES,
    labelExpr="datum.value >= 1e9 ? format(datum.value / 1e9, '~g') + 'G' : datum.value >= 1e6 ? "
    "format(datum.value / 1e6, '~g') + 'M' : datum.value >= 1e3 ? format(datum.value / 1e3, '~g') + 'k' : "
    "format(datum.value, '~g')",
)


def _empty(message: str) -> alt.Chart:
    """A chart that says why it is empty."""
    return (
        alt.Chart(pd.DataFrame({"message": [message]}))
        .mark_text(size=13, color="#555")
        .encode(text="message:N")
        .properties(width=560, height=60)
    )


def claim_groups_chart(rows: pd.DataFrame, labels: list[str], statuses: list[str]) -> alt.TopLevelMixin:
    """One row per claim group; each report a point, a bar (an interval) or a bar with an open end.

    Parameters
    ----------
    rows
        :meth:`DashboardData.chart_rows` of the groups shown.
    labels, statuses
        The groups' labels in display order and their statuses (``conflict`` rows are shaded).
    """
    if rows.empty:
        return _empty("No claim group matches the filters.")
    y_axis = alt.Axis(labelLimit=360, labelFontSize=11, title=None)
    y = alt.Y("label:N", sort=labels, axis=y_axis)
    slots = int(rows["slot"].max()) + 1
    step = max(22, 10 * slots + 10)
    group_pick = alt.selection_point(name=GROUP_SELECTION, fields=["group_id"], on="click", empty=False)
    report_pick = alt.selection_point(name=REPORT_SELECTION, fields=["figure_id"], on="click", empty=False)

    group_rows = rows.drop_duplicates("group_id")[["group_id", "label", "status"]]
    background = (
        alt.Chart(group_rows)
        .mark_rect()
        .encode(
            y=y,
            color=alt.condition("datum.status == 'conflict'", alt.value(_CONFLICT_FILL), alt.value(_ROW_FILL)),
            stroke=alt.condition(group_pick, alt.value("#333"), alt.value(None)),
            tooltip=[alt.Tooltip("label:N", title="claim"), alt.Tooltip("status:N", title="status")],
        )
        .add_params(group_pick)
    )
    outlet = alt.Color("outlet_colour:N", title="outlet", scale=alt.Scale(scheme="tableau10"))
    offset = alt.YOffset("slot:O", scale=alt.Scale(domain=list(range(slots))))
    base = alt.Chart(rows).encode(y=y, yOffset=offset, tooltip=_REPORT_TOOLTIP)
    x_title = "reported figure (log scale; unit in the tooltip)"
    top = float(pd.concat([rows["x_hi"], rows["point"]]).max(skipna=True))
    x_scale = alt.Scale(type="symlog", domain=[0, top * 1.3 if top > 0 else 1], nice=False)
    intervals = (
        base.transform_filter("isValid(datum.x_lo) && isValid(datum.x_hi) && datum.x_lo != datum.x_hi")
        .mark_rule(strokeCap="round")
        .encode(
            x=alt.X("x_lo:Q", scale=x_scale, axis=_SYMLOG_AXIS, title=x_title),
            x2="x_hi:Q",
            color=outlet,
            strokeWidth=alt.condition("datum.in_conflict", alt.value(6), alt.value(3)),
        )
    )
    points = (
        base.transform_filter("isValid(datum.point)")
        .mark_point(filled=True)
        .encode(
            x=alt.X("point:Q", scale=x_scale, axis=_SYMLOG_AXIS, title=x_title),
            color=outlet,
            size=alt.condition(report_pick, alt.value(220), alt.value(70)),
            stroke=alt.condition("datum.in_conflict", alt.value(_CONFLICT_MARK), alt.value("white")),
            strokeWidth=alt.value(1.5),
        )
        .add_params(report_pick)
    )
    open_high = (
        base.transform_filter("datum.open_high")
        .mark_point(shape="triangle-right", filled=True, size=90)
        .encode(x=alt.X("x_hi:Q", scale=x_scale, axis=_SYMLOG_AXIS, title=x_title), color=outlet)
    )
    open_low = (
        base.transform_filter("datum.open_low")
        .mark_point(shape="triangle-left", filled=True, size=90)
        .encode(x=alt.X("x_lo:Q", scale=x_scale, axis=_SYMLOG_AXIS, title=x_title), color=outlet)
    )
    # Bars are selectable too: an invisible, wider copy catches the click.
    interval_hits = (
        base.transform_filter("isValid(datum.x_lo) && isValid(datum.x_hi)")
        .mark_rule(strokeWidth=10, opacity=0.001)
        .encode(x=alt.X("x_lo:Q", scale=x_scale, axis=_SYMLOG_AXIS, title=x_title), x2="x_hi:Q")
    )
    chart = alt.layer(background, intervals, interval_hits, open_high, open_low, points)
    height = step * len(group_rows)
    return chart.properties(width=560, height=height, title="Claim groups (click a report or a row)")


def timeline_chart(rows: pd.DataFrame, selected: pd.DataFrame | None = None) -> alt.TopLevelMixin:
    """Figures over publication date per category: the largest each day (or week), sized by reports."""
    if rows.empty:
        return _empty("No dated figure matches the filters.")
    tooltip = [alt.Tooltip("date:T"), "category:N", alt.Tooltip("reports:Q", title="reports"),
               alt.Tooltip("largest:Q", title="largest figure", format=",.4~g"),
               alt.Tooltip("conflicts:Q", title="in conflicts")]
    chart = (
        alt.Chart(rows)
        .mark_circle(opacity=0.75)
        .encode(
            x=alt.X("date:T", title="published", axis=alt.Axis(format="%d %b %Y", labelAngle=-30)),
            y=alt.Y("largest:Q", scale=_SYMLOG, axis=_SYMLOG_AXIS, title="largest figure reported (log scale)"),
            color=alt.Color("category:N", scale=alt.Scale(scheme="category20")),
            size=alt.Size("reports:Q", title="reports", scale=alt.Scale(range=[30, 400])),
            tooltip=tooltip,
        )
    )
    if selected is not None and not selected.empty:
        marks = (
            alt.Chart(selected)
            .mark_point(shape="diamond", size=160, filled=False, color="black", strokeWidth=2)
            .encode(x="date:T", y=alt.Y("shown:Q", scale=_SYMLOG), tooltip=["outlet:N", "surface:N", "date:T"])
        )
        chart = alt.layer(chart, marks)
    return chart.properties(width=620, height=300, title="Figures over time (◇ the selected claim group)")


def place_map(rows: pd.DataFrame) -> alt.TopLevelMixin:
    """Places at their gazetteer coordinates, sized by the largest count reported there."""
    if rows.empty:
        return _empty("No place with known coordinates matches the filters.")
    pick = alt.selection_point(name=PLACE_SELECTION, fields=["location"], on="click", empty=False)
    tooltip = ["location:N", alt.Tooltip("reports:Q", title="reports"),
               alt.Tooltip("largest:Q", title="largest count", format=",.4~g"),
               alt.Tooltip("conflicts:Q", title="in conflicts")]
    base = alt.Chart(rows).encode(longitude="lon:Q", latitude="lat:Q", tooltip=tooltip)
    circles = base.mark_circle(opacity=0.7, stroke="white").encode(
        size=alt.Size("largest:Q", title="largest count", scale=alt.Scale(type="sqrt", range=[40, 1600])),
        color=alt.condition("datum.conflicts > 0", alt.value(_CONFLICT_MARK), alt.value("#3b6ea8")),
        strokeWidth=alt.condition(pick, alt.value(3), alt.value(0.5)),
    ).add_params(pick)
    names = base.mark_text(dy=-12, fontSize=10, color="#333").encode(text="location:N")
    return (
        alt.layer(circles, names)
        .project(type="equirectangular")
        .properties(width=560, height=380, title="Places (red: figures in conflict; click to filter)")
    )

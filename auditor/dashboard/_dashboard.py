"""The dashboard widget: filters, claim-group chart, timeline, map, comparison table, source, review, export."""

from __future__ import annotations

import html
import math
from typing import Any

import altair as alt
import ipywidgets as widgets
import pandas as pd
from itables.widget import ITable

from ._charts import GROUP_SELECTION, PLACE_SELECTION, REPORT_SELECTION, claim_groups_chart, place_map, timeline_chart
from ._data import DashboardData, Filters
from ._export import ExportPanel
from ._filters import FilterBar
from ._places import place_coordinates
from ._review import ReviewPanel
from ._source import render_source

# The comparison table: (column shown, figures column).
TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("outlet", "outlet"), ("published", "published"), ("as written", "surface"), ("value", "value"),
    ("low", "low"), ("high", "high"), ("unit", "unit"), ("qualifier", "qualifier"), ("source", "source"),
    ("in conflict", "in_conflict"), ("sentence", "sentence"), ("article", "article_id"), ("figure", "figure_id"),
)


def _table_frame(reports: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame({shown: reports[column].to_numpy() for shown, column in TABLE_COLUMNS})
    frame["in conflict"] = frame["in conflict"].map({True: "yes", False: ""})
    return frame


class Dashboard:
    """Explore an audit in JupyterLab: pick a claim group, compare its reports, read the sources, review.

    Parameters
    ----------
    result
        An :class:`~auditor.audit.AuditResult`. Review decisions are saved in its ``out_dir``.
    page_size
        Claim groups per page of the chart.
    max_reports
        Reports drawn per group in the chart (the table lists them all).

    Examples
    --------
    >>> result = auditor.audit("seeds/", out_dir="audit-out")    # doctest: +SKIP
    >>> auditor.Dashboard(result)                                 # doctest: +SKIP
    """

    def __init__(self, result: Any, *, page_size: int = 20, max_reports: int = 12) -> None:
        alt.JupyterChart.enable_offline()  # the Vega bundle comes from vl-convert, never a CDN
        self.result = result
        self.page_size = page_size
        self.max_reports = max_reports
        self._data = DashboardData(result)
        self._coordinates = place_coordinates(self._data.values["location"])
        self._page = 0
        self._matching = self._data.groups
        self._mask = self._data.figure_mask(Filters())
        self.selected_group: str | None = None
        self.selected_figure: str | None = None
        self._reports = self._data.figures.iloc[0:0]

        self.review = ReviewPanel(result, self._data.figures)
        self.export = ExportPanel(result)
        self.filters = FilterBar(self._data, self._apply)
        self.header = widgets.HTML()
        # SVG: a page of marks is small, and SVG marks can be found and clicked (tests, assistive tech).
        embed = {"renderer": "svg", "actions": False}
        self.chart = alt.JupyterChart(claim_groups_chart(self._data.chart_rows([]), [], []), embed_options=embed)
        self.timeline = alt.JupyterChart(timeline_chart(self._data.timeline_rows(self._mask)), embed_options=embed)
        self.map = alt.JupyterChart(place_map(self._data.place_rows(self._mask, self._coordinates)),
                                    embed_options=embed)
        self.table = ITable(_table_frame(self._reports), select={"style": "single"}, selected_rows=[],
                            showIndex=False, pageLength=10, classes="display compact nowrap", scrollX=True)
        self.table.observe(self._on_table_selection, names="selected_rows")
        self.source_view = widgets.HTML(render_source(None, None, None))
        self._table_title = widgets.HTML("<b>Reports of the selected claim group</b>")
        self._previous = widgets.Button(icon="chevron-left", tooltip="previous page", layout=widgets.Layout(width="40px"))
        self._next = widgets.Button(icon="chevron-right", tooltip="next page", layout=widgets.Layout(width="40px"))
        self._page_label = widgets.Label()
        self._previous.on_click(lambda _: self.show_page(self._page - 1))
        self._next.on_click(lambda _: self.show_page(self._page + 1))

        tabs = widgets.Tab(children=[
            widgets.VBox([widgets.HBox([self._previous, self._page_label, self._next]), self.chart]),
            self.timeline, self.map, widgets.HTML(self._errors_html()),
        ])
        for i, title in enumerate(["Claim groups", "Over time", "Map", f"Unreadable files ({len(result.errors)})"]):
            tabs.set_title(i, title)
        self.widget = widgets.VBox([
            self.header, self.filters.widget, tabs, self._table_title, self.table,
            widgets.HBox([
                widgets.Box([self.source_view], layout=widgets.Layout(flex="3 1 0", min_width="300px")),
                widgets.Box([self.review.widget], layout=widgets.Layout(flex="2 1 0", min_width="260px")),
            ]),
            widgets.HTML("<b>Export</b>"), self.export.widget,
        ])
        self._apply(self.filters.value)
        if len(self._matching):
            self.select(group_id=str(self._matching.index[0]))

    # -- display --------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        return self.widget._repr_mimebundle_(**kwargs)

    def _errors_html(self) -> str:
        errors = self.result.errors
        if not len(errors):
            return "<em>Every file was read.</em>"
        items = "".join(
            f"<li><code>{html.escape(str(row['path']))}</code>: {html.escape(str(row['error']))}</li>"
            for _, row in errors.head(500).iterrows()
        )
        more = f"<p>… and {len(errors) - 500:,} more in errors.csv</p>" if len(errors) > 500 else ""
        return f"<ul>{items}</ul>{more}"

    def _update_header(self) -> None:
        r = self.result
        n_conflicts = len(r.conflicts)
        reviewed = int((r.conflicts["decision"].fillna("") != "").sum()) if "decision" in r.conflicts else 0
        shown = len(self._matching)
        self.header.value = (
            f"<b>{len(r.articles):,}</b> articles · <b>{len(r.figures):,}</b> figures · "
            f"<b>{len(self._data.groups):,}</b> claim groups · "
            f"<b style='color:#b2182b'>{n_conflicts:,}</b> conflicts ({reviewed:,} reviewed) · "
            f"<b>{len(r.errors):,}</b> unreadable files"
            f"<br><span style='color:#555'>{shown:,} claim groups and {int(self._mask.sum()):,} figures "
            f"match the filters</span>"
        )

    # -- filtering and paging -------------------------------------------------------------

    def _apply(self, filters: Filters) -> None:
        """Redraw every view for ``filters`` (only aggregates and one page go to the browser)."""
        self._mask = self._data.figure_mask(filters)
        self._matching = self._data.matching_groups(self._mask, filters.conflicts_only)
        self.show_page(0)
        self._draw_timeline()
        self.map.chart = place_map(self._data.place_rows(self._mask, self._coordinates))
        self.map.selections.observe(self._on_map_selection, names=[PLACE_SELECTION])
        self._update_header()

    def show_page(self, page: int) -> None:
        """Show page ``page`` (from 0) of the matching claim groups in the chart."""
        pages = max(1, math.ceil(len(self._matching) / self.page_size))
        self._page = min(max(page, 0), pages - 1)
        shown = self._matching.iloc[self._page * self.page_size:(self._page + 1) * self.page_size]
        rows = self._data.chart_rows(list(shown.index), max_reports=self.max_reports)
        self.chart.chart = claim_groups_chart(rows, list(shown["label"]), list(shown["status"]))
        # A new chart brings new selection traits: observe them again.
        self.chart.selections.observe(self._on_chart_selection, names=[GROUP_SELECTION, REPORT_SELECTION])
        first = self._page * self.page_size + 1 if len(self._matching) else 0
        last = min((self._page + 1) * self.page_size, len(self._matching))
        self._page_label.value = f"groups {first:,}–{last:,} of {len(self._matching):,} (page {self._page + 1} of {pages})"
        self._previous.disabled = self._page == 0
        self._next.disabled = self._page >= pages - 1

    def _draw_timeline(self) -> None:
        selected = self._reports[self._reports["date"].notna() & self._reports["shown"].notna()]
        selected = selected[["figure_id", "date", "shown", "outlet", "surface"]].assign(
            date=selected["date"].dt.strftime("%Y-%m-%d"))
        self.timeline.chart = timeline_chart(self._data.timeline_rows(self._mask), selected)

    # -- selection ------------------------------------------------------------------------

    def _on_chart_selection(self, change: dict) -> None:
        picked = change["new"].value
        if change["name"] == REPORT_SELECTION:
            for item in picked:
                figure_id = item.get("figure_id")
                if figure_id in self._data.figures.index:
                    self.select(figure_id=figure_id)
                    return
        elif change["name"] == GROUP_SELECTION:
            for item in picked:
                group_id = item.get("group_id")
                if group_id in self._data.groups.index and group_id != self.selected_group:
                    self.select(group_id=group_id)
                    return

    def _on_map_selection(self, change: dict) -> None:
        places = [item.get("location") for item in change["new"].value if item.get("location")]
        if places:
            self.filters.set(place=places[0])

    def _on_table_selection(self, change: dict) -> None:
        rows = change["new"]
        if rows and 0 <= rows[0] < len(self._reports):
            self._show_figure(str(self._reports.index[rows[0]]))

    def select(self, *, group_id: str | None = None, figure_id: str | None = None) -> None:
        """Select a claim group (its first report) or one report (and its group).

        The table lists the group's reports, the source view shows the report, the review
        panel the group's conflicts — as a click in the chart does.
        """
        figures = self._data.figures
        if figure_id is not None:
            if figure_id not in figures.index:
                raise KeyError(f"no figure {figure_id!r} in this audit")
            group_id = str(figures.at[figure_id, "group_id"])
        if group_id is None or group_id not in self._data.groups.index:
            raise KeyError(f"no claim group {group_id!r} in this audit")
        if group_id != self.selected_group:
            self.selected_group = group_id
            self._reports = self._data.reports(group_id)
            label = self._data.groups.at[group_id, "label"]
            self._table_title.value = f"<b>Reports of the claim group</b> {html.escape(str(label))}"
            self.table.update(_table_frame(self._reports), selected_rows=[])
            self.review.show_group(group_id)
            self._draw_timeline()
        if figure_id is None:
            figure_id = str(self._reports.index[0])
        position = self._reports.index.get_loc(figure_id)
        self.table.selected_rows = [int(position)]
        self._show_figure(figure_id)

    def _show_figure(self, figure_id: str) -> None:
        self.selected_figure = figure_id
        figure = self._data.figures.loc[figure_id]
        article_id = figure["article_id"]
        articles = self.result.articles
        match = articles[articles["article_id"] == article_id]
        article = match.iloc[0].to_dict() if len(match) else None
        self.source_view.value = render_source(figure.to_dict(), article, self.result.texts.get(article_id))

"""The notebook dashboard, driven from Python as the browser would drive it."""

from __future__ import annotations

import json
import re

import altair as alt
import pandas as pd
import pytest

from auditor.dashboard import Dashboard
from auditor.review import ReviewStore


def click_report(dashboard: Dashboard, figure_id: str) -> None:
    """What the chart's JavaScript sends when a report's mark is clicked."""
    dashboard.chart._vl_selections = {
        "report": {"value": {"figure_id": [figure_id], "vlPoint": {"or": [{"figure_id": figure_id}]}}, "store": []},
        "group": {"value": None, "store": []},
    }


def click_group(dashboard: Dashboard, group_id: str) -> None:
    """What the chart's JavaScript sends when a claim group's row is clicked (off any report)."""
    dashboard.chart._vl_selections = {
        "report": {"value": {"figure_id": [None], "vlPoint": {"or": [{}]}}, "store": []},
        "group": {"value": {"group_id": [group_id], "vlPoint": {"or": [{"group_id": group_id}]}}, "store": []},
    }


def chart_values(chart: alt.JupyterChart, column: str) -> set:
    """Every value of ``column`` in the data the chart ships to the browser."""
    found = set()
    for rows in (chart.spec or {}).get("datasets", {}).values():
        found.update(row[column] for row in rows if column in row)
    return found


def test_clicking_a_report_fills_the_table_and_source_view(dashboard_result):
    dashboard = Dashboard(dashboard_result)
    click_report(dashboard, "fig4")
    assert dashboard.selected_group == "g-distance"
    assert list(dashboard.table.df["figure"]) == ["fig3", "fig4"]
    assert dashboard.table.selected_rows == [1]
    assert "<mark>about 250 km</mark>" in dashboard.source_view.value
    assert "/corpus/wire-b.txt" in dashboard.source_view.value


def test_clicking_a_group_row_shows_its_reports(dashboard_result):
    dashboard = Dashboard(dashboard_result)
    click_group(dashboard, "g-distance")
    assert dashboard.selected_group == "g-distance"
    assert set(dashboard.table.df["figure"]) == {"fig3", "fig4"}
    assert "<mark>155 miles</mark>" in dashboard.source_view.value
    click_group(dashboard, "g-killed")
    table = dashboard.table.df
    assert list(table["outlet"]) == ["Reuters", "AP", "Rudaw"]
    assert list(table["as written"]) == ["dozens", "at least 50", "12"]
    assert list(table["in conflict"]) == ["yes", "yes", "yes"]


def test_selecting_a_table_row_drives_the_source_view(dashboard_result):
    dashboard = Dashboard(dashboard_result)
    dashboard.select(group_id="g-killed")
    dashboard.table.selected_rows = [1]
    assert dashboard.selected_figure == "fig1"
    assert "<mark>at least 50</mark>" in dashboard.source_view.value
    assert "the army" in dashboard.source_view.value


def test_article_text_stays_escaped_in_the_source_view(dashboard_result):
    dashboard = Dashboard(dashboard_result)
    click_report(dashboard, "fig2")
    view = dashboard.source_view.value
    assert "<mark>12</mark>" in view
    assert "<script>" not in view and "<b>Baiji</b>" not in view
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in view
    assert "&lt;b&gt;Baiji&lt;/b&gt;" in view


def test_a_review_is_saved_at_once_and_there_after_a_rebuild(dashboard_result, tmp_path):
    from conftest import make_dashboard_result

    dashboard = Dashboard(dashboard_result)
    dashboard.select(group_id="g-killed")
    dashboard.review.select("c-2")
    dashboard.review.note.value = "AP counts militants across the whole province"
    dashboard.review.dismiss.click()
    stored = ReviewStore(tmp_path / "audit").decisions().set_index("conflict_id")
    assert stored.loc["c-2", "decision"] == "dismissed"
    assert stored.loc["c-2", "note"] == "AP counts militants across the whole province"

    # A new session: a fresh result of the same audit, a new dashboard.
    again = Dashboard(make_dashboard_result(out_dir=tmp_path / "audit"))
    again.select(group_id="g-killed")
    again.review.select("c-2")
    assert again.review.note.value == "AP counts militants across the whole province"
    assert "dismissed" in again.review.explanation.value
    assert dict(again.review.conflict.options)["[dismissed] at least 50 (AP) vs 12 (Rudaw)"] == "c-2"
    assert "1 reviewed" in again.header.value


def test_export_writes_the_csvs_with_review_columns_where_the_user_says(dashboard_result, tmp_path):
    dashboard = Dashboard(dashboard_result)
    dashboard.select(group_id="g-killed")
    dashboard.review.select("c-1")
    dashboard.review.confirm.click()
    dashboard.export.folder.value = str(tmp_path / "picked")
    dashboard.export.button.click()
    conflicts = pd.read_csv(tmp_path / "picked" / "conflicts.csv").set_index("conflict_id")
    assert conflicts.loc["c-1", "decision"] == "confirmed"
    assert pd.isna(conflicts.loc["c-2", "decision"])
    for name in ("articles", "figures", "groups", "conflicts", "errors"):
        assert str((tmp_path / "picked" / f"{name}.csv").resolve()) in dashboard.export.message.value


def test_without_a_review_store_the_panel_says_how_to_get_one(dashboard_result):
    dashboard_result.out_dir = None
    dashboard = Dashboard(dashboard_result)
    dashboard.select(group_id="g-killed")
    assert dashboard.review.confirm.disabled
    assert "out_dir=" in dashboard.review.message.value
    with pytest.raises(RuntimeError, match="no review store"):
        dashboard.review.record("confirmed")


@pytest.mark.parametrize(
    ("filters", "groups"),
    [
        ({"status": True}, {"g-killed"}),
        ({"category": "distance"}, {"g-distance"}),
        ({"outlet": "Rudaw"}, {"g-killed", "solo:fig5"}),
        ({"text": "hashd"}, {"solo:fig5"}),
        ({"place": "tikr"}, {"solo:fig5"}),
        ({"article": "wire-b"}, {"g-killed", "g-distance"}),
        ({"date_from": pd.Timestamp("2015-10-19").date(), "date_to": pd.Timestamp("2015-10-20").date()},
         {"g-killed", "g-distance"}),
        ({"date_from": pd.Timestamp("2015-10-20").date()}, {"g-killed", "solo:fig5"}),
    ],
)
def test_filters_choose_the_groups_drawn(dashboard_result, filters, groups):
    dashboard = Dashboard(dashboard_result)
    dashboard.filters.set(**filters)
    assert chart_values(dashboard.chart, "group_id") == groups
    dashboard.filters.clear()
    assert chart_values(dashboard.chart, "group_id") == {"g-killed", "g-distance", "solo:fig5"}


def test_conflict_groups_come_first_and_are_marked(dashboard_result):
    dashboard = Dashboard(dashboard_result)
    rows = dashboard.chart.spec["datasets"]
    statuses = {row["group_id"]: row["status"] for data in rows.values() for row in data if "status" in row}
    assert statuses["g-killed"] == "conflict"
    assert statuses["g-distance"] != "conflict"
    assert dashboard.selected_group == "g-killed"  # the first group shown is selected


def test_open_bounds_and_ranges_are_drawn_as_intervals(dashboard_result):
    dashboard = Dashboard(dashboard_result)
    reports = {row["figure_id"]: row for data in dashboard.chart.spec["datasets"].values() for row in data
               if "figure_id" in row and "x_lo" in row}
    assert reports["fig1"]["open_high"] and reports["fig1"]["x_hi"] > 50  # at least 50: open to the right
    assert (reports["fig0"]["x_lo"], reports["fig0"]["x_hi"]) == (24, 99)  # dozens: a bar
    assert reports["fig0"]["point"] is None
    assert reports["fig2"]["point"] == 12  # exact: a point


def test_only_a_page_of_groups_and_capped_reports_reach_the_browser(dashboard_result):
    dashboard = Dashboard(dashboard_result, page_size=1, max_reports=2)
    assert chart_values(dashboard.chart, "group_id") == {"g-killed"}
    assert len(chart_values(dashboard.chart, "figure_id")) == 2
    dashboard.show_page(1)
    assert chart_values(dashboard.chart, "group_id") == {"g-distance"}
    assert "page 2 of 3" in dashboard._page_label.value
    # The table still lists every report of the selected group.
    dashboard.select(group_id="g-killed")
    assert len(dashboard.table.df) == 3


def test_the_chart_javascript_loads_nothing_from_the_network(dashboard_result):
    Dashboard(dashboard_result)
    assert alt.JupyterChart._is_offline
    imports = re.findall(r"""(?:import|from)\s*\(?\s*["'](https?:[^"']+)""", alt.JupyterChart._esm)
    assert imports == []
    assert "cdn.jsdelivr" not in alt.JupyterChart._esm


def test_dashboard_displays_as_a_widget(dashboard_result):
    bundle = Dashboard(dashboard_result)._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_unreadable_files_are_listed_escaped(dashboard_result):
    dashboard_result.errors = pd.DataFrame([{"path": "/corpus/<img src=x>.txt", "error": "not UTF-8"}])
    dashboard = Dashboard(dashboard_result)
    tab = dashboard.widget.children[2]
    listing = tab.children[3].value
    assert "&lt;img src=x&gt;" in listing and "<img" not in listing


def test_the_map_places_counted_figures_at_gazetteer_coordinates(dashboard_result):
    from auditor.gazetteer import default_gazetteer

    dashboard = Dashboard(dashboard_result)
    places = {row["location"]: row for data in dashboard.map.spec["datasets"].values() for row in data}
    assert set(places) == {"Baiji", "Tikrit"}  # distances (km) are not counts: no extra weight for Baiji
    baiji = default_gazetteer().lookup("Baiji")
    assert (places["Baiji"]["lat"], places["Baiji"]["lon"]) == pytest.approx((baiji.lat, baiji.lon))
    assert places["Tikrit"]["largest"] == 30000
    assert places["Baiji"]["conflicts"] == 3 and places["Tikrit"]["conflicts"] == 0


def test_clicking_a_place_on_the_map_filters_to_it(dashboard_result):
    dashboard = Dashboard(dashboard_result)
    dashboard.map._vl_selections = {
        "place": {"value": {"location": ["Tikrit"], "vlPoint": {"or": [{"location": "Tikrit"}]}}, "store": []},
    }
    assert dashboard.filters.place.value == "Tikrit"
    assert chart_values(dashboard.chart, "group_id") == {"solo:fig5"}


def test_the_timeline_marks_the_selected_groups_reports(dashboard_result):
    dashboard = Dashboard(dashboard_result)
    dashboard.select(group_id="g-distance")
    rows = [row for data in dashboard.timeline.spec["datasets"].values() for row in data]
    per_day = {(row["date"], row["category"]): row["reports"] for row in rows if "reports" in row}
    assert per_day[("2015-10-18", "killed")] == 1 and per_day[("2015-10-25", "fighters")] == 1
    marked = {row["figure_id"] for row in rows if "figure_id" in row}
    assert marked == {"fig3", "fig4"}


def test_audit_with_progress_shows_a_bar_that_ends_full(tmp_path, monkeypatch):
    from pathlib import Path

    from auditor.dashboard import _export, audit_with_progress

    shown = []
    monkeypatch.setattr(_export, "display", shown.append)
    result = audit_with_progress(Path(__file__).parents[1] / "seeds", out_dir=tmp_path, jobs=1)
    bar, label = shown[0].children
    assert len(result.articles) == 5
    assert (bar.value, bar.max, bar.bar_style) == (5, 5, "success")
    assert label.value == repr(result)


def test_an_audit_with_no_figures_still_opens(dashboard_result):
    dashboard_result.figures = dashboard_result.figures.iloc[0:0]
    dashboard_result.groups = dashboard_result.groups.iloc[0:0]
    dashboard_result.conflicts = dashboard_result.conflicts.iloc[0:0]
    dashboard = Dashboard(dashboard_result)
    assert dashboard.selected_group is None
    assert "No claim group matches" in json.dumps(dashboard.chart.spec)
    dashboard.filters.set(text="anything", status=True)
    assert "0 claim groups" in dashboard.header.value

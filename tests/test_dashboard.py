"""The notebook workbench, driven from Python as the browser drives it (selection, review messages).

Filtering, sorting and search run in the browser: tests/test_dashboard_browser.py covers them in
JupyterLab + Chromium, tests/test_report.py in the standalone report.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from auditor.dashboard import Dashboard
from auditor.review import ReviewStore


def row_of(dashboard: Dashboard, group_id: str) -> dict:
    rows = dashboard.rows
    i = rows["id"].index(group_id)
    return {key: values[i] for key, values in rows.items()}


def browser_review(dashboard: Dashboard, **message) -> None:
    """What the browser sends when a review button is clicked."""
    dashboard._on_message(dashboard.view, {"type": "review", **message}, [])


def test_opens_on_the_conflict_with_every_report_side_by_side(dashboard_result):
    dashboard = Dashboard(dashboard_result)
    assert dashboard.rows["id"][0] == "g-killed" and dashboard.selected_group == "g-killed"
    detail = dashboard.view.detail
    assert detail["id"] == "g-killed"
    reports = detail["reports"]
    assert [r["outlet"] for r in reports] == ["Reuters", "AP", "Rudaw"]  # oldest first
    assert [r["value_text"] for r in reports] == ["24–99", "≥ 50", "12"]
    assert [r["surface"] for r in reports] == ["dozens", "at least 50", "12"]
    rudaw = reports[2]
    assert rudaw["before"] + rudaw["surface"] + rudaw["after"] == dashboard_result.figures.iloc[2]["sentence"]
    assert rudaw["outlier"] and not reports[0]["outlier"]  # 12 is in both conflicts
    assert rudaw["link"].startswith("figure-audit:open?path=%2Fcorpus%2Fwire-c.txt&start=")
    # Chart data: an interval, an open-ended bar and a point.
    assert (reports[0]["lo"], reports[0]["hi"], reports[0]["point"]) == (24, 99, None)
    assert (reports[1]["lo"], reports[1]["hi"]) == (50, None)
    assert rudaw["point"] == 12
    assert [c["id"] for c in detail["conflicts"]] == ["c-1", "c-2"]
    assert detail["conflicts"][1]["explanation"] == "at least 50 vs 12"


def test_the_list_counts_outlets_and_reads_plainly(dashboard_result):
    dashboard = Dashboard(dashboard_result)
    killed = row_of(dashboard, "g-killed")
    assert (killed["n_outlets"], killed["n_figures"], killed["status"], killed["review"]) == (3, 3, "conflict", "to review")
    assert killed["spread"] == "12–99"
    assert killed["outlets"] == ["AP", "Reuters", "Rudaw"] and killed["place"] == "Baiji"
    assert row_of(dashboard, "g-distance")["spread"] == "238–262 km"
    solo = row_of(dashboard, "solo:fig5")  # an ungrouped figure is a group of its own, findable
    assert solo["status"] == "single" and solo["review"] == "nothing to review"
    text = json.dumps(dashboard.rows)
    assert not re.search(r"\bnan\b|NaN|at_least|\d\.\d{5,}", text)


def test_selecting_a_group_shows_its_reports_and_nothing_else(dashboard_result):
    dashboard = Dashboard(dashboard_result)
    dashboard.select("g-distance")
    detail = dashboard.view.detail
    assert detail["id"] == "g-distance" and {r["id"] for r in detail["reports"]} == {"fig3", "fig4"}
    assert detail["conflicts"] == []
    assert "km" in detail["unit"]
    dashboard.select(None)  # what the browser does when a filter hides the selection
    assert dashboard.selected_group is None and dashboard.view.detail == {}
    with pytest.raises(KeyError):
        dashboard.select("g-nope")


def test_the_browser_selecting_a_group_fills_the_detail(dashboard_result):
    dashboard = Dashboard(dashboard_result)
    dashboard.view.selected = "g-distance"  # a click in the list
    assert dashboard.view.detail["id"] == "g-distance"


def test_a_group_review_is_saved_at_once_and_there_after_a_rebuild(dashboard_result):
    dashboard = Dashboard(dashboard_result)
    browser_review(dashboard, group="g-killed", conflict="", decision="dismissed", note="different days, <b>scope</b>")
    store = ReviewStore(dashboard_result.out_dir)
    (decision,) = store.group_decisions().to_dict("records")
    assert (decision["group_id"], decision["decision"], decision["note"]) == (
        "g-killed", "dismissed", "different days, <b>scope</b>")
    assert set(decision["figures"].split()) == {"fig0", "fig1", "fig2"}  # follows its figures across re-runs
    assert dashboard.view.reviews == {"g-killed": "dismissed"}
    assert row_of(dashboard, "g-killed")["review"] == "dismissed"
    # Shown on every pair of the group at once, as the next run will show it.
    assert [c["decision"] for c in dashboard.view.detail["conflicts"]] == ["dismissed", "dismissed"]
    assert set(dashboard_result.conflicts["decision"]) == {"dismissed"}
    assert dashboard_result.groups.set_index("group_id").at["g-killed", "decision"] == "dismissed"

    again = Dashboard(dashboard_result)  # a new view of the same result
    assert row_of(again, "g-killed")["review"] == "dismissed"


def test_a_pair_decision_is_kept_beside_a_group_decision(dashboard_result):
    dashboard = Dashboard(dashboard_result)
    dashboard.review_group("g-killed", "confirmed", "12 is a different day", conflict_id="c-1")
    dashboard.review_group("g-killed", "dismissed", "the rest agree")
    by_id = dashboard_result.conflicts.set_index("conflict_id")
    assert by_id.at["c-1", "decision"] == "confirmed" and by_id.at["c-2", "decision"] == "dismissed"
    assert by_id.at["c-2", "note"] == "(group decision) the rest agree"


def test_reviewing_one_pair_leaves_the_group_partly_reviewed(dashboard_result):
    dashboard = Dashboard(dashboard_result)
    dashboard.review_group("g-killed", "confirmed", "real disagreement", conflict_id="c-2")
    assert row_of(dashboard, "g-killed")["review"] == "partly reviewed"
    decisions = ReviewStore(dashboard_result.out_dir).decisions()
    assert list(decisions["conflict_id"]) == ["c-2"]


def test_a_bad_review_message_is_answered_not_raised(dashboard_result):
    dashboard = Dashboard(dashboard_result)
    sent = []
    dashboard.view.send = sent.append
    browser_review(dashboard, group="g-distance", conflict="", decision="confirmed", note="")
    browser_review(dashboard, group="g-killed", conflict="", decision="maybe", note="")
    assert [m["type"] for m in sent] == ["error", "error"]
    assert "no conflict" in sent[0]["message"] and "decision must be" in sent[1]["message"]


def test_without_a_review_store_the_view_says_so(dashboard_result):
    dashboard_result.out_dir = None
    dashboard = Dashboard(dashboard_result)
    assert dashboard.view.summary["can_review"] is False
    with pytest.raises(RuntimeError, match="no review store"):
        dashboard.review_group("g-killed", "confirmed")


def test_export_writes_the_csvs_with_review_columns_where_the_user_says(dashboard_result, tmp_path):
    dashboard = Dashboard(dashboard_result)
    dashboard.review_group("g-killed", "confirmed", conflict_id="c-1")
    dashboard.export.folder.value = str(tmp_path / "picked")
    dashboard.export.button.click()
    conflicts = pd.read_csv(tmp_path / "picked" / "conflicts.csv").set_index("conflict_id")
    assert conflicts.loc["c-1", "decision"] == "confirmed"
    assert pd.isna(conflicts.loc["c-2", "decision"])
    for name in ("articles", "figures", "groups", "conflicts", "errors"):
        assert str((tmp_path / "picked" / f"{name}.csv").resolve()) in dashboard.export.message.value


def test_the_view_is_one_widget_with_offline_code(dashboard_result):
    dashboard = Dashboard(dashboard_result)
    bundle = dashboard._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", dashboard.view._esm)
    # The list's columns and facets come from auditor/formatting.py.
    from auditor import formatting

    assert dashboard.view.summary["columns"] == [list(c) for c in formatting.GROUP_VIEW_COLUMNS]
    assert dashboard.view.summary["facets"] == [list(c) for c in formatting.FACETS]


def test_unreadable_files_are_listed_escaped(dashboard_result):
    dashboard_result.errors = pd.DataFrame([{"path": "/corpus/<img src=x>.txt", "error": "not UTF-8"}])
    dashboard = Dashboard(dashboard_result)
    import ipywidgets

    (box,) = [w for w in dashboard.widget.children if isinstance(w, ipywidgets.Accordion)]
    listing = box.children[0].value
    assert "&lt;img src=x&gt;" in listing and "<img" not in listing


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
    assert dashboard.rows["id"] == [] and dashboard.view.detail == {}


def test_re_auditing_with_a_conflict_profile_keeps_the_reviews(tmp_path):
    from pathlib import Path

    from auditor import audit

    demo = Path(__file__).parents[1] / "examples" / "demo"
    result = audit(demo, out_dir=tmp_path, jobs=1)
    dashboard = Dashboard(result)
    assert dashboard.profile is not None and "sudan" in dashboard.profile.menu.options
    first = dashboard.rows["id"][0]
    dashboard.review_group(first, "confirmed", "checked")
    dashboard.profile.menu.value = "sudan"
    dashboard.profile.button.click()
    assert dashboard.result is not result and len(dashboard.result.articles) == len(result.articles)
    assert "sudan" in dashboard.profile.message.value
    assert dashboard.view.detail["id"] == dashboard.rows["id"][0]
    assert dashboard.export._result is dashboard.result
    # The decision came back with the new result (it follows the group's figures).
    assert "confirmed" in set(dashboard.rows["review"])


def test_a_store_that_cannot_be_written_is_reported_to_the_browser(dashboard_result, monkeypatch):
    import auditor.review

    dashboard = Dashboard(dashboard_result)
    sent = []
    dashboard.view.send = sent.append

    def locked(*_args, **_kwargs):
        raise OSError("database is locked")

    monkeypatch.setattr(auditor.review.ReviewStore, "record_group", locked)
    browser_review(dashboard, group="g-killed", conflict="", decision="confirmed", note="")
    assert sent == [{"type": "error", "message": "database is locked"}]
    assert row_of(dashboard, "g-killed")["review"] == "to review"  # nothing shown as saved


def test_each_report_card_names_the_rules_that_decided_it(tmp_path):
    """Why is this a death toll? The source view lists the extraction rule ids of every report."""
    from pathlib import Path

    import auditor

    demo = Path(__file__).resolve().parents[1] / "examples" / "demo"
    result = auditor.audit([demo], out_dir=tmp_path / "out", jobs=1)
    dashboard = Dashboard(result)
    reports = dashboard.view.detail["reports"]
    by_id = result.figures.set_index("figure_id")["evidence"]
    assert reports and all(r["evidence"] for r in reports)
    assert all(r["evidence"] == by_id[r["id"]] for r in reports)

"""``auditor.open_audit(DIR)``: a written audit opened for the workbench without loading every figure.

The opened audit must show what the in-memory one shows (same group list, same reports of a group), read
a group's figures from its Parquet row groups only, work from CSVs when there is no Parquet, and keep
every review decision taken from it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import auditor
from auditor import export
from auditor.dashboard._data import WorkbenchData
from auditor.export import write_outputs
from auditor.review import ReviewStore

REPO = Path(__file__).resolve().parents[1]
ROW_GROUP = 4  # tiny row groups so that the demo's 28 figures span seven


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The demo corpus audited with a review store, written as CSV and Parquet (row groups of 4 rows)."""
    root = tmp_path_factory.mktemp("opened")
    shutil.copytree(REPO / "examples" / "demo", root / "demo")
    out = root / "out"
    result = auditor.audit([root / "demo"], out_dir=out, jobs=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(export, "PARQUET_ROW_GROUP", ROW_GROUP)
        write_outputs(result, out, formats=("csv", "parquet"))
    return root, out, result


def _fresh_copy(written, tmp_path, formats=("csv", "parquet")) -> Path:
    """The written folder copied (review store included), keeping only ``formats``."""
    _root, out, _result = written
    copy = tmp_path / "copy"
    shutil.copytree(out, copy, symlinks=True)
    for name in copy.iterdir():
        if name.suffix.lstrip(".") in export.FORMATS and name.suffix.lstrip(".") not in formats:
            (copy / ".figure-audit" / "current" / name.name).unlink()
            name.unlink()
    return copy


@pytest.mark.parametrize("formats", [("parquet",), ("csv",)])
def test_the_opened_audit_shows_the_same_groups_and_reports_as_the_fresh_one(written, tmp_path, formats):
    _root, _out, result = written
    opened = auditor.open_audit(_fresh_copy(written, tmp_path, formats))
    assert opened.format == formats[0]
    assert opened.n_figures == len(result.figures) and len(opened.groups) == len(result.groups)
    fresh, reopened = WorkbenchData(result), WorkbenchData(opened)
    assert reopened.group_list() == fresh.group_list()
    ids = fresh.group_list()["id"]
    assert len(ids) >= 10 and "conflict" in fresh.group_list()["status"]
    for group_id in ids:
        assert reopened.detail(group_id) == fresh.detail(group_id), group_id


def test_a_groups_figures_are_read_from_its_row_groups_only(written):
    _root, out, result = written
    opened = auditor.open_audit(out)
    assert opened._figures.file.metadata.num_row_groups == -(-len(result.figures) // ROW_GROUP)
    for group_id, n in zip(result.groups["group_id"], result.groups["n_figures"]):
        before = opened.rows_read
        figures = opened.figures_of(group_id)
        read = opened.rows_read - before
        # The group's rows and the rest of the (at most two) row groups it starts and ends in.
        assert n <= read <= n + 2 * (ROW_GROUP - 1) and read < len(result.figures) / 2, group_id
        expected = result.figures[result.figures["group_id"] == group_id]
        assert sorted(figures["figure_id"]) == sorted(expected["figure_id"])
    row = figures.set_index("figure_id").loc[expected["figure_id"].iloc[0]]
    for column in ("sentence", "surface", "start", "end", "value", "outlet", "source"):
        assert row[column] == expected.iloc[0][column] or (pd.isna(row[column]) and pd.isna(expected.iloc[0][column]))


def test_the_dashboard_opens_on_a_written_audit_and_shows_a_group(written, tmp_path):
    _root, _out, result = written
    opened = auditor.open_audit(_fresh_copy(written, tmp_path, ("parquet",)))
    read_at_open = opened.rows_read
    dashboard = auditor.Dashboard(opened)
    fresh = auditor.Dashboard(result)
    assert dashboard.rows == fresh.rows
    assert dashboard.view.summary == fresh.view.summary
    # It opens on the first conflict, like the fresh one, with that group's reports.
    assert dashboard.selected_group == fresh.selected_group and dashboard.view.detail == fresh.view.detail
    other = dashboard.rows["id"][3]
    before = opened.rows_read
    dashboard.select(other)
    assert dashboard.view.detail["id"] == other and dashboard.view.detail["reports"]
    assert opened.rows_read - before < opened.n_figures  # one group's row groups, not every figure
    assert read_at_open <= 2 * opened.n_figures  # opening: the list's columns (and the review members) once
    with pytest.raises(KeyError):
        dashboard.select("no-such-group")


def test_review_decisions_taken_on_an_opened_audit_are_stored_and_come_back(written, tmp_path):
    root, _out, _result = written
    folder = _fresh_copy(written, tmp_path, ("parquet",))
    opened = auditor.open_audit(folder)
    conflicted = opened.conflicts["group_id"].value_counts().index
    group_id, pair_group = str(conflicted[0]), str(conflicted[1])
    dashboard = auditor.Dashboard(opened)
    dashboard.review_group(group_id, "dismissed", note="early toll, superseded by the ministry's count")
    pair = str(opened.conflicts.loc[opened.conflicts["group_id"] == pair_group, "conflict_id"].iloc[0])
    dashboard.review_group(pair_group, "confirmed", note="two different counts", conflict_id=pair)
    assert dashboard.rows["review"][dashboard.rows["id"].index(group_id)] != "open"

    store = ReviewStore(folder)
    assert store.group_decisions().set_index("group_id").loc[group_id, "decision"] == "dismissed"
    assert sorted(store.group_decisions().set_index("group_id").loc[group_id, "figures"].split()) == sorted(
        opened.figures_of(group_id)["figure_id"])
    assert store.decisions().set_index("conflict_id").loc[pair, "note"] == "two different counts"

    # Opened again: both decisions are shown, as a fresh run of the same corpus shows them.
    again = auditor.open_audit(folder)
    assert again.groups.set_index("group_id").loc[group_id, "decision"] == "dismissed"
    assert again.conflicts.set_index("conflict_id").loc[pair, "decision"] == "confirmed"
    rerun = auditor.audit([root / "demo"], out_dir=folder, jobs=1)
    assert rerun.groups.set_index("group_id").loc[group_id, "decision_note"] == (
        "early toll, superseded by the ministry's count")
    assert rerun.conflicts.set_index("conflict_id").loc[pair, "decision"] == "confirmed"
    assert WorkbenchData(again).group_list() == WorkbenchData(rerun).group_list()


@pytest.mark.parametrize("formats", [("parquet",), ("csv",)])
def test_an_opened_audit_stays_readable_when_a_new_run_replaces_the_folder(written, tmp_path, formats):
    _root, _out, result = written
    folder = _fresh_copy(written, tmp_path, formats)
    opened = auditor.open_audit(folder)
    old_set = opened.tables
    changed = result.figures.copy()
    changed["surface"] = changed["surface"] + " (new run)"
    replaced = type(result)(articles=result.articles, figures=changed, groups=result.groups,
                            conflicts=result.conflicts, errors=result.errors, out_dir=folder)
    write_outputs(replaced, folder, formats=formats)
    assert not old_set.exists()  # the new run removed the set this audit was opened on
    group_id = str(result.groups["group_id"].iloc[0])
    assert not any(s.endswith("(new run)") for s in opened.figures_of(group_id)["surface"])  # still the old set
    assert all(s.endswith("(new run)") for s in auditor.open_audit(folder).figures_of(group_id)["surface"])


def test_an_older_folder_of_plain_files_with_unsorted_figures_opens_the_same(written, tmp_path):
    _root, out, result = written
    plain = tmp_path / "plain"
    plain.mkdir()
    for table in ("articles", "groups", "conflicts", "errors"):
        shutil.copyfile(out / f"{table}.parquet", plain / f"{table}.parquet")
    result.figures.to_parquet(plain / "figures.parquet", index=False)  # as written before: audit order, one row group
    opened = auditor.open_audit(plain)
    assert opened.tables == plain and opened._figures.file.metadata.num_row_groups == 1
    assert WorkbenchData(opened).group_list() == WorkbenchData(result).group_list()
    group_id = str(result.groups["group_id"].iloc[0])
    assert WorkbenchData(opened).detail(group_id) == WorkbenchData(result).detail(group_id)


def test_an_ungrouped_figure_and_a_formula_like_sentence_read_back_from_csv_as_written(tmp_path):
    from conftest import make_dashboard_result

    result = make_dashboard_result(out_dir=tmp_path / "out")
    result.figures.loc[0, "sentence"] = "=HYPERLINK(\"http://x\") " + result.figures.loc[0, "sentence"]
    write_outputs(result, tmp_path / "out", formats=("csv",))
    opened = auditor.open_audit(tmp_path / "out")
    assert opened.format == "csv" and opened.n_figures == len(result.figures)
    solo = "solo:" + result.figures.loc[result.figures["group_id"] == "", "figure_id"].iloc[0]
    assert opened.figures_of(solo)["surface"].tolist() == ["30,000"]
    assert opened.figures_of("g-killed")["sentence"].iloc[0].startswith("=HYPERLINK(")  # not "'=HYPERLINK("
    assert WorkbenchData(opened).detail(solo) == WorkbenchData(result).detail(solo)


def test_exporting_an_opened_audit_keeps_its_formats_and_everything_in_it(written, tmp_path):
    _root, _out, result = written
    opened = auditor.open_audit(_fresh_copy(written, tmp_path, ("parquet",)))
    written_now = opened.write(tmp_path / "export", html=True)
    assert "figures.parquet" in written_now and "figures" not in written_now and "report" in written_now
    again = auditor.open_audit(tmp_path / "export")
    assert WorkbenchData(again).group_list() == WorkbenchData(opened).group_list()
    assert sorted(again.read_figures(["figure_id"])["figure_id"]) == sorted(result.figures["figure_id"])


def test_a_cell_ending_with_an_opened_audit_renders_it(written):
    _root, out, result = written
    bundle = auditor.open_audit(out)._repr_mimebundle_()
    fresh = result._repr_mimebundle_()
    payload = bundle["application/vnd.figure-audit+json"]
    assert payload == fresh["application/vnd.figure-audit+json"]
    assert bundle["text/plain"].startswith("OpenedAudit(")


@pytest.mark.parametrize("formats", [("parquet",), ("csv",)])
def test_a_reopened_audit_shows_both_sides_of_a_part_that_exceeds_a_total_in_another_group(
        tmp_path, monkeypatch, formats):
    """A "68 children killed" that names a total of 26 is a conflict of the part's claim group; its other side,
    the total, sits in another group. When only the part's group is listed, the reopened display still
    shows the total (read by its id, whatever its group), as the fresh one does."""
    from auditor import _mime
    from auditor.audit import AuditResult
    from auditor.claims import build_claims
    from auditor.model import ARTICLE_COLUMNS, ERROR_COLUMNS
    from conftest import make_figure_row, make_figures_frame

    def toll(figure_id, value, **fields):
        return make_figure_row(figure_id, figure_id.upper(), value, outlet="Dabanga", location="El Geneina",
                               country="SD", published="2023-06-16", event_date="2023-06-15", **fields)

    figures, groups, conflicts = build_claims(make_figures_frame([
        toll("total", 26), toll("children", 68, part_of="total", counted="children")]), pd.DataFrame())
    assert conflicts["relation"].tolist() == ["part_of"] and groups["group_id"].nunique() == 2
    result = AuditResult(articles=pd.DataFrame(columns=list(ARTICLE_COLUMNS)), figures=figures, groups=groups,
                         conflicts=conflicts, errors=pd.DataFrame(columns=list(ERROR_COLUMNS)))
    write_outputs(result, tmp_path / "out", formats=formats)
    monkeypatch.setattr(_mime, "MAX_GROUPS", 0)  # only the group of the conflict is listed
    fresh = result._repr_mimebundle_()["application/vnd.figure-audit+json"]
    reopened = auditor.open_audit(tmp_path / "out")._repr_mimebundle_()["application/vnd.figure-audit+json"]
    assert [g["group_id"] for g in reopened["groups"]] == conflicts["group_id"].tolist()
    assert sorted(reopened["figures"]) == sorted(fresh["figures"]) == ["children", "total"]
    assert reopened["figures"]["total"]["value"] == 26
    assert reopened == fresh


def test_a_folder_without_an_audit_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such folder"):
        auditor.open_audit(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="holds no audit"):
        auditor.open_audit(tmp_path / "empty")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "figures.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(ValueError, match="figures.parquet"):
        auditor.open_audit(tmp_path / "bad")


def test_figure_audit_lab_on_an_output_folder_writes_a_notebook_that_opens_it(written, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    from auditor import lab

    folder = _fresh_copy(written, tmp_path, ("parquet",))
    assert lab.is_output_folder(folder) and not lab.is_output_folder(written[0] / "demo")
    notebook = lab.opened_notebook(folder, tmp_path)
    assert notebook.name == "figure-audit-open-copy.ipynb"
    assert lab.opened_notebook(folder, tmp_path) == notebook  # reused, not duplicated
    nb = nbformat.read(notebook, as_version=4)
    assert "auditor.open_audit(OUT_DIR)" in nb.cells[1].source and 'OUT_DIR = "copy"' in nb.cells[1].source
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert not nb.cells[1].outputs  # one view per notebook: the workbench
    assert "application/vnd.jupyter.widget-view+json" in nb.cells[2].outputs[0]["data"]


def test_two_readers_of_an_opened_csv_audit_do_not_move_each_other(written, tmp_path, monkeypatch):
    """A second reader of figures.csv (another view, another cell) started while the first is half-way through
    leaves the first one's place in the file alone: each reads every figure once, in order."""
    from auditor import opened as opened_module

    _root, _out, result = written
    copies = [result.figures.assign(figure_id=result.figures["figure_id"] + f"-{k}") for k in range(60)]
    many = type(result)(articles=result.articles, figures=pd.concat(copies, ignore_index=True), groups=result.groups,
                        conflicts=result.conflicts, errors=result.errors)
    write_outputs(many, tmp_path / "many", formats=("csv",))
    monkeypatch.setattr(opened_module._CsvFigures, "BLOCK", 16 << 10)  # ~1 MB of CSV: dozens of blocks
    opened = auditor.open_audit(tmp_path / "many")
    columns = ["figure_id", "group_id", "sentence"]
    whole = pd.concat(list(opened.figure_chunks(columns, size=100)))
    assert len(whole) == opened.n_figures == 60 * len(result.figures)
    first = opened.figure_chunks(columns, size=100)
    begun = [next(first), next(first)]  # the first reader stops part-way
    second = pd.concat(list(opened.figure_chunks(columns, size=100)))  # another reads it all meanwhile
    group = str(result.groups["group_id"].iloc[0])
    one = opened.figures_of(group, columns)  # and a third reads one group
    pd.testing.assert_frame_equal(pd.concat([*begun, *first]), whole)
    pd.testing.assert_frame_equal(second, whole)
    assert len(one) == 60 * int((result.figures["group_id"] == group).sum())


@pytest.mark.parametrize("formats", [("parquet",), ("csv",)])
def test_the_report_of_an_opened_audit_is_the_report_of_the_run(written, tmp_path, formats):
    """report.html made from an opened folder (nothing audited, no figure table in memory) is the run's page;
    of the Parquet file only the row groups holding a report shown are read whole."""
    import re

    from auditor import report

    _root, _out, result = written
    opened = auditor.open_audit(_fresh_copy(written, tmp_path, formats))

    def page(audit):
        return re.sub(r"Generated [^<]* UTC", "", report.render_report(audit))

    assert page(opened) == page(result)
    shown = opened._figures_at([1, 2, 9], ["figure_id", "sentence"])
    assert shown["figure_id"].tolist() == opened.read_figures(["figure_id"])["figure_id"].iloc[[1, 2, 9]].tolist()
    assert shown.index.tolist() == [1, 2, 9]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_figures_file_that_is_not_an_audit_is_a_clear_error_and_left_closed(tmp_path, fmt):
    """A figures table without the audit's columns: the error names the file, which is not held open (the
    error, kept by a notebook as its last traceback, would keep it open for the session)."""
    import os

    folder = tmp_path / "other"
    folder.mkdir()
    path = folder / f"figures.{fmt}"
    table = pd.DataFrame({"name": ["Goma", "Juba"], "count": [3, 12]})
    table.to_csv(path, index=False) if fmt == "csv" else table.to_parquet(path)
    with pytest.raises(ValueError, match=f"figures.{fmt}: no group_id / figure_id column") as raised:
        auditor.open_audit(folder)
    opened = {os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")}
    assert str(path.resolve()) not in opened
    del raised

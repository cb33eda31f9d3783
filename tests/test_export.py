"""CSV exports: spreadsheet formulas neutralised, atomic writes, the contract's files and review columns."""

import csv
import os

import pandas as pd
import pytest

from auditor.audit import AuditResult
from auditor.claims import CONFLICT_COLUMNS, GROUP_COLUMNS, build_claims
from auditor.export import atomic_write_text, neutralise_cell, write_csv, write_outputs
from auditor.model import ARTICLE_COLUMNS, ERROR_COLUMNS, FIGURE_COLUMNS
from auditor.review import ReviewStore
from conftest import make_figure_row as fig
from conftest import make_figures_frame


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_formula_cells_are_neutralised(cell, tmp_path):
    assert neutralise_cell(cell) == "'" + cell
    path = write_csv(tmp_path / "x.csv", [{"text": cell}], ["text"])
    assert read_rows(path)[1] == ["'" + cell]


def test_numbers_and_plain_text_are_left_alone(tmp_path):
    path = write_csv(tmp_path / "x.csv", [{"a": -5.0, "b": "Baiji", "c": 249.45, "d": float("nan")}], ["a", "b", "c", "d"])
    assert read_rows(path)[1] == ["-5", "Baiji", "249.45", ""]


def test_a_failed_write_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    target = tmp_path / "conflicts.csv"
    atomic_write_text(target, "old,complete\n")

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        atomic_write_text(target, "new," * 100000)
    assert target.read_text() == "old,complete\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conflicts.csv"]  # no temporary file left behind


def _result(tmp_path):
    rows = [
        fig("fa", "art-a", 15, subject="ISIS", location="Baiji", outlet="=cmd|' /C calc'!A0",
            published="2015-10-18", sentence="=1+1 said 15 fighters were killed."),
        fig("fb", "art-b", 30, subject="ISIS", location="Baiji", outlet="Reuters", published="2015-10-18"),
    ]
    figures, groups, conflicts = build_claims(make_figures_frame(rows), pd.DataFrame(), store_dir=tmp_path)
    ReviewStore(tmp_path).record(conflicts.iloc[0]["conflict_id"], "confirmed", "-checked by phone")
    figures, groups, conflicts = build_claims(make_figures_frame(rows), pd.DataFrame(), store_dir=tmp_path)
    articles = pd.DataFrame(columns=list(ARTICLE_COLUMNS))
    errors = pd.DataFrame([{"path": "@bad.txt", "error": "not UTF-8"}], columns=list(ERROR_COLUMNS))
    return AuditResult(articles=articles, figures=figures, groups=groups, conflicts=conflicts, errors=errors,
                       out_dir=tmp_path)


def test_outputs_have_contract_columns_and_review_decisions(tmp_path):
    written = write_outputs(_result(tmp_path), tmp_path)
    assert set(written) == {"articles", "figures", "groups", "conflicts", "errors", "decisions"}
    headers = {name: read_rows(path)[0] for name, path in written.items()}
    assert headers["articles"] == list(ARTICLE_COLUMNS)
    assert headers["figures"][: len(FIGURE_COLUMNS)] == list(FIGURE_COLUMNS)
    assert headers["groups"][: len(GROUP_COLUMNS)] == list(GROUP_COLUMNS)
    assert headers["conflicts"][: len(CONFLICT_COLUMNS)] == list(CONFLICT_COLUMNS)
    conflict = dict(zip(headers["conflicts"], read_rows(written["conflicts"])[1]))
    assert conflict["decision"] == "confirmed" and conflict["note"] == "'-checked by phone"
    figures = [dict(zip(headers["figures"], r)) for r in read_rows(written["figures"])[1:]]
    assert {f["group_id"] for f in figures} == {conflict["group_id"]}
    assert figures[0]["outlet"].startswith("'=") and figures[0]["sentence"].startswith("'=")
    assert read_rows(written["errors"])[1][0] == "'@bad.txt"


def test_html_flag_writes_the_report(tmp_path, monkeypatch):
    monkeypatch.setattr("auditor.report._vega_bundle", lambda: None)  # speed: the chart is tested elsewhere
    written = write_outputs(_result(tmp_path), tmp_path / "out", html=True)
    page = written["report"].read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<h2>Conflicts</h2>" in page
    assert "-checked by phone" in page


def test_written_files_are_readable_like_any_new_file(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    path = atomic_write_text(tmp_path / "groups.csv", "a\n")
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    path.chmod(0o640)
    atomic_write_text(path, "b\n")  # rewriting keeps the permissions the user chose
    assert path.stat().st_mode & 0o777 == 0o640

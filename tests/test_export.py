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


def test_html_flag_writes_the_report(tmp_path):
    written = write_outputs(_result(tmp_path), tmp_path / "out", html=True)
    page = written["report"].read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")  # its content is tested in test_report.py
    assert "-checked by phone" in page


def test_written_files_are_readable_like_any_new_file(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    path = atomic_write_text(tmp_path / "groups.csv", "a\n")
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    path.chmod(0o640)
    atomic_write_text(path, "b\n")  # rewriting keeps the permissions the user chose
    assert path.stat().st_mode & 0o777 == 0o640


# --- the output folder: sets switched as one unit, Parquet (issue 11) -----------------------------------------


def test_a_new_set_replaces_the_old_one_whole_and_stale_files_go(tmp_path):
    from auditor.export import META_DIR

    out = tmp_path / "out"
    first = write_outputs(_result(tmp_path / "store"), out, html=True)
    assert (out / "report.html").is_file() and first["report"] == out / "report.html"
    before = (out / "figures.csv").read_bytes()
    result = _result(tmp_path / "store")
    result.figures = result.figures.iloc[:1]
    second = write_outputs(result, out)  # no --html this time
    assert "report" not in second and not os.path.lexists(out / "report.html")
    assert (out / "figures.csv").read_bytes() != before
    assert len(read_rows(out / "figures.csv")) == 2
    assert len(list((out / META_DIR / "sets").iterdir())) == 1  # the replaced set is removed
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [META_DIR, "articles.csv", "figures.csv", "groups.csv", "conflicts.csv", "errors.csv", "decisions.csv"])


def test_parquet_holds_the_same_tables_with_values_as_read(tmp_path):
    written = write_outputs(_result(tmp_path), tmp_path / "out", formats=("csv", "parquet"))
    for table in ("articles", "figures", "groups", "conflicts", "errors", "decisions"):
        frame = pd.read_parquet(written[f"{table}.parquet"])
        header, *body = read_rows(written[table])
        assert list(frame.columns) == header and len(frame) == len(body)
    figures = pd.read_parquet(written["figures.parquet"])
    assert figures["sentence"].iloc[0].startswith("=1+1")  # not neutralised: Parquet is no spreadsheet
    assert figures["value"].dtype == "float64"
    only = write_outputs(_result(tmp_path), tmp_path / "pq", formats=("parquet",))
    assert set(only) == {f"{t}.parquet" for t in ("articles", "figures", "groups", "conflicts", "errors",
                                                   "decisions")}
    assert not (tmp_path / "pq" / "figures.csv").exists()


def test_decisions_are_exported_with_every_set(tmp_path):
    result = _result(tmp_path)
    written = write_outputs(result, tmp_path)
    (decision,) = [dict(zip(read_rows(written["decisions"])[0], r)) for r in read_rows(written["decisions"])[1:]]
    assert (decision["decision"], decision["note"]) == ("confirmed", "'-checked by phone")


def test_nested_writers_in_one_process_share_the_lock(tmp_path):
    from auditor.export import OutputFolder

    with OutputFolder(tmp_path / "out") as outer:
        assert write_outputs(_result(tmp_path / "store"), tmp_path / "out")  # result.write() inside a run
        assert outer.has_outputs()

"""The views of a big audit hold a bounded part of its figure table: the workbench's group list and
report.html's choice of reports read the figures a part at a time (``_data.CHUNK_ROWS`` rows), for an
audit in memory, spilled to a file, or opened from a folder, and show exactly what a single pass shows."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

import auditor
from auditor import _spill, export, report
from auditor.dashboard import _data
from auditor.dashboard._data import WorkbenchData
from auditor.export import write_outputs
from auditor.opened import OpenedAudit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from make_corpus import write_corpus  # noqa: E402

PART = 97  # rows: an odd size, so that parts cut claim groups in two


@pytest.fixture(scope="module")
def spilled(tmp_path_factory):
    """A generated corpus (many claim groups, conflicts) audited on two workers: figures in a spill file."""
    root = tmp_path_factory.mktemp("views-memory")
    write_corpus(300, root / "corpus", seed=11)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_spill.SpillWriter, "CHUNK", 300)  # several record batches
        result = auditor.audit(root / "corpus", jobs=2, out_dir=root / "out", cache=False)
    assert result.figures_spilled and result.n_figures > 4 * PART and len(result.conflicts)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(export, "PARQUET_ROW_GROUP", 40)  # parts of an opened audit are whole row groups
        write_outputs(result, root / "parquet", formats=("parquet",))
    write_outputs(result, root / "csv", formats=("csv",))
    return root, result


@pytest.fixture
def counted_parts(monkeypatch):
    """The largest number of figures the views prepared at once (parts of ``PART`` rows)."""
    seen = []
    prepare = _data.prepare_figures

    def counting(figures, full=True):
        seen.append(len(figures))
        return prepare(figures, full)

    monkeypatch.setattr(_data, "prepare_figures", counting)
    monkeypatch.setattr(_data, "CHUNK_ROWS", PART)
    return seen


def _no_whole_table(monkeypatch):
    def loaded_whole(*_args, **_kwargs):
        raise AssertionError("a view loaded the whole figure table")

    monkeypatch.setattr(_spill.SpilledFigures, "frame", loaded_whole)
    monkeypatch.setattr(OpenedAudit, "read_figures", loaded_whole)


def test_the_group_list_built_a_part_at_a_time_is_the_list_of_the_whole_table(spilled, counted_parts, monkeypatch):
    root, result = spilled
    with monkeypatch.context() as patch:
        patch.setattr(_data, "CHUNK_ROWS", 10**9)
        whole = WorkbenchData(result).group_list()
    assert max(counted_parts) == result.n_figures  # one part: the whole table at once
    counted_parts.clear()
    _no_whole_table(monkeypatch)
    for audit in (result, auditor.open_audit(root / "parquet"), auditor.open_audit(root / "csv")):
        counted_parts.clear()
        data = WorkbenchData(audit)
        assert data.group_list() == whole
        # A group cut by the parts is whole in the list: its count, spread and reporters are all of it.
        assert sum(data.group_list()["n_figures"]) == result.n_figures
        if getattr(audit, "format", "") != "csv":  # a CSV is read in batches of megabytes: one batch here
            assert max(counted_parts) <= PART + 40 and len(counted_parts) >= result.n_figures // (PART + 40)
    assert "conflict" in whole["status"] and max(whole["n_figures"]) > 1


def test_the_page_built_from_parts_is_the_page_of_the_whole_table(spilled, counted_parts, monkeypatch):
    """report.html, of the spilled audit and of the same audit in memory, reads parts of the figures and
    embeds the page a single pass over them embeds."""
    from auditor.audit import AuditResult

    _root, result = spilled
    in_memory = AuditResult(articles=result.articles, figures=result.read_figures(), groups=result.groups,
                            conflicts=result.conflicts, errors=result.errors)
    for name, value in (("MAX_GROUPS", 40), ("MAX_REPORTS", 3), ("MAX_EMBEDDED_REPORTS", 60)):
        monkeypatch.setattr(report, name, value)

    def page(audit):
        return re.sub(r"Generated [^<]* UTC", "", report.render_report(audit))

    with monkeypatch.context() as patch:
        patch.setattr(_data, "CHUNK_ROWS", 10**9)
        whole = page(result)
    assert "This page shows 3 of its" in whole and "fa-capped" in whole
    for audit in (result, in_memory):
        counted_parts.clear()
        assert page(audit) == whole
        assert max(counted_parts) <= PART  # the parts of the list, then the (fewer) reports embedded


def test_an_opened_audit_reads_its_figures_part_by_part_as_they_are_taken(spilled):
    """The first part of an opened Parquet audit's figures comes before the other row groups are read."""
    root, result = spilled
    opened = auditor.open_audit(root / "parquet")
    before = opened._figures.rows_read
    parts = opened.figure_chunks(["figure_id", "group_id"], size=PART)
    first = next(parts)
    assert len(first) >= PART and list(first.index[:2]) == [0, 1]
    # row groups of 40 rows: the first few read, not the whole table
    assert opened._figures.rows_read - before < PART + 40 < result.n_figures
    parts.close()


def test_the_notebook_display_reads_the_tables_of_a_run_in_parts_and_shows_what_the_whole_shows(
        spilled_run, monkeypatch, refuse_whole_tables):
    """The display of a run whose claim groups and conflicts stay in files reads them a part at a time (the
    most severe conflicts and the first groups kept as it goes) and is the display of the same audit in memory:
    the same conflicts, groups and reports, and counts of the whole audit."""
    import json

    from conftest import in_memory

    from auditor import _mime

    monkeypatch.setattr(_data, "TABLE_ROWS", 7)
    monkeypatch.setattr(_mime, "MAX_CONFLICTS", 12)
    monkeypatch.setattr(_mime, "MAX_GROUPS", 15)

    with refuse_whole_tables():
        shown = _mime.mimebundle(spilled_run)
    whole = in_memory(spilled_run)
    expected = _mime.mimebundle(whole)
    payload = shown[_mime.MIME_TYPE]
    assert json.dumps(payload, sort_keys=True) == json.dumps(expected[_mime.MIME_TYPE], sort_keys=True)
    assert shown["text/html"] == expected["text/html"]
    assert payload["summary"]["conflicts"] == len(whole.conflicts) > len(payload["conflicts"]) == 12
    assert payload["omitted"]["groups"] == len(whole.groups) - len(payload["groups"]) > 0
    severity = [c["severity"] for c in payload["conflicts"]]
    assert severity == sorted(severity, key=_mime._SEVERITY_ORDER.get)

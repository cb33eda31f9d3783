"""Writing a set on several processes: big CSV tables in ranges of rows on forked workers, every file
the bytes one process writes; a worker that fails or dies leaves the previous set in force."""

from __future__ import annotations

import math
import os
import re
import sys
import threading
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from auditor import _parallel, export
from auditor.audit import AuditResult, audit
from auditor.export import OutputError, write_outputs
from auditor.model import ARTICLE_COLUMNS, ERROR_COLUMNS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from make_corpus import write_corpus  # noqa: E402

HOSTILE = ["=HYPERLINK(\"http://evil\")", "+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", "Kharkiv, Ukraine",
           'the "official" toll', "two\nlines", "Mogadishu — الصومال ∞", "", None, "Goma", "-"]


@pytest.fixture
def small_parts(monkeypatch):
    """Thresholds low enough that a table of a few rows is cut into many parts (inherited by the forked
    writers), and a count of the pieces sent to the writers."""
    monkeypatch.setattr(export, "CSV_CHUNK_ROWS", 3)
    monkeypatch.setattr(export, "SPLIT_MIN_ROWS", 4)
    monkeypatch.setattr(export, "PART_MIN_ROWS", 2)
    monkeypatch.setattr(export, "PARALLEL_MIN_ROWS", 1)
    sent: list[export._Piece] = []
    real = _parallel.WorkerPool.submit

    def submit(self, function, *args):
        if function is export._write_piece:
            sent.append(args[1])
        return real(self, function, *args)

    monkeypatch.setattr(_parallel.WorkerPool, "submit", submit)
    return sent


def _hostile_result(rows: int) -> AuditResult:
    """A result whose figures hold formula cells, quotes, line breaks, Arabic, empty and missing cells,
    mixed-type and float columns; ``rows`` figures, one article, no groups or conflicts."""
    figures = pd.DataFrame({
        "figure_id": [f"f{i}" for i in range(rows)],
        "article_id": ["=a"] * rows,
        "surface": pd.Series([HOSTILE[i % len(HOSTILE)] for i in range(rows)], dtype=object),
        "sentence": pd.Series([HOSTILE[(i * 5) % len(HOSTILE)] for i in range(rows)], dtype="str"),
        "value": [[-5.0, 2.675, math.nan, 1e15, 0.1 + 0.2][i % 5] for i in range(rows)],
        "start": pd.Series(range(-3, rows - 3), dtype="int64"),
        "subject": pd.Series([["=x", 1.0, None, True, "ok"][i % 5] for i in range(rows)], dtype=object),
    })
    articles = pd.DataFrame([("=a", "a.txt", "@title", "", "", "", 10, "x")], columns=list(ARTICLE_COLUMNS))
    return AuditResult(articles=articles, figures=figures, groups=pd.DataFrame(), conflicts=pd.DataFrame(),
                       errors=pd.DataFrame(columns=list(ERROR_COLUMNS)))


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / ".figure-audit" / "current").iterdir())
            if p.name != export.MANIFEST_NAME}


def _same_parquet(one: Path, two: Path) -> None:
    for name in (n for n in os.listdir(one) if n.endswith(".parquet")):
        first, second = pq.read_table(one / name), pq.read_table(two / name)
        assert first.schema == second.schema and first.equals(second), name


@pytest.mark.parametrize("rows", [0, 1, 7, 40])
def test_files_written_in_parts_are_the_bytes_one_process_writes(tmp_path, small_parts, rows):
    result = _hostile_result(rows)
    write_outputs(result, tmp_path / "one", formats=("csv", "parquet"))
    assert not small_parts
    write_outputs(result, tmp_path / "two", formats=("csv", "parquet"), jobs=2)
    figures_parts = [p for p in small_parts if p.name == "figures.csv"]
    assert len(figures_parts) == (1 if rows < 4 else min(8, rows // 2))  # 4 per worker, 2 rows or more each
    assert _files(tmp_path / "two") == _files(tmp_path / "one")
    _same_parquet(tmp_path / "one" / ".figure-audit" / "current", tmp_path / "two" / ".figure-audit" / "current")
    assert not [n for n in os.listdir(tmp_path / "two" / ".figure-audit" / "current") if ".part" in n]
    if rows == 40:
        lines = (tmp_path / "two" / "figures.csv").read_bytes().decode("utf-8")
        assert "'=HYPERLINK" in lines and '"two\nlines"' in lines and "الصومال" in lines


@pytest.fixture(scope="module")
def spilled_run(tmp_path_factory):
    """A local audit on two workers of 400 generated articles: its figure table stays spilled to a file."""
    folder = tmp_path_factory.mktemp("wire") / "corpus"
    write_corpus(400, folder, seed=7)
    result = audit(folder, jobs=2)
    assert result.figures_spilled
    return result


def test_a_spilled_figure_table_is_read_in_ranges_of_rows(spilled_run):
    spilled = spilled_run.__dict__["figures"]
    whole = pd.concat(list(spilled.chunks(500)))
    for start, stop in [(0, 1), (3, 1700), (len(spilled) - 5, len(spilled) + 10), (10, 10)]:
        part = list(spilled.chunks(64, start, stop))
        assert all(len(chunk) <= 64 for chunk in part)
        got = pd.concat(part) if part else whole.iloc[0:0]
        pd.testing.assert_frame_equal(got, whole.iloc[start:stop])


def test_a_spilled_figure_table_written_in_parts_is_the_same_bytes(tmp_path, spilled_run, monkeypatch):
    monkeypatch.setattr(export, "SPLIT_MIN_ROWS", 100)  # the generated corpus has a few thousand figures
    monkeypatch.setattr(export, "PART_MIN_ROWS", 100)
    monkeypatch.setattr(export, "PARALLEL_MIN_ROWS", 100)
    write_outputs(spilled_run, tmp_path / "one", formats=("csv", "parquet"))
    write_outputs(spilled_run, tmp_path / "two", formats=("csv", "parquet"), jobs=2)
    assert spilled_run.figures_spilled  # streamed from the file by the writers, never loaded here
    assert _files(tmp_path / "two") == _files(tmp_path / "one")
    _same_parquet(tmp_path / "one" / ".figure-audit" / "current", tmp_path / "two" / ".figure-audit" / "current")


def _dies_on(monkeypatch, start: int, how) -> None:
    """The forked writer of the CSV part from row ``start`` on ends with ``how()`` (this process is untouched)."""
    parent = os.getpid()
    real = export._csv_bytes

    def rows(frame, columns, span=None):
        if span is not None and span.start == start and os.getpid() != parent:
            how()
        return real(frame, columns, span)

    monkeypatch.setattr(export, "_csv_bytes", rows)  # inherited by the forked writers


def _previous_set_kept(out: Path, before: dict[str, bytes]) -> None:
    assert _files(out) == before
    assert {n: (out / n).read_bytes() for n in before if (out / n).exists()} == before
    assert len(os.listdir(out / ".figure-audit" / "sets")) == 1  # the failed set was removed


def test_a_writer_killed_mid_write_leaves_the_previous_set_and_says_so(tmp_path, small_parts, monkeypatch):
    out = tmp_path / "out"
    write_outputs(_hostile_result(5), out)
    before = _files(out)
    _dies_on(monkeypatch, 10, lambda: os._exit(3))  # figures.csv's third part of 8, as if killed
    with pytest.raises(OutputError, match="a worker process writing the outputs ended abruptly"):
        write_outputs(_hostile_result(40), out, jobs=2)
    _previous_set_kept(out, before)


def test_a_writer_that_fails_raises_its_error_and_leaves_the_previous_set(tmp_path, small_parts, monkeypatch):
    out = tmp_path / "out"
    write_outputs(_hostile_result(5), out)
    before = _files(out)

    def full():
        raise OSError(28, "No space left on device")

    _dies_on(monkeypatch, 5, full)  # figures.csv's second part of 8
    with pytest.raises(OSError, match="No space left"):
        write_outputs(_hostile_result(40), out, jobs=2)
    _previous_set_kept(out, before)


def test_with_other_threads_running_the_writers_are_still_forked(tmp_path, small_parts):
    """A notebook's kernel (or a Dask client) always runs other threads: the set is written on several
    processes all the same, the bytes one process writes, whether or not the tests before left threads."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        write_outputs(_hostile_result(40), tmp_path / "threads", jobs=2)
    finally:
        stop.set()
        other.join()
    assert len([p for p in small_parts if p.name == "figures.csv"]) == 8
    write_outputs(_hostile_result(40), tmp_path / "one")
    assert _files(tmp_path / "threads") == _files(tmp_path / "one")


def test_a_result_is_written_on_several_processes_when_asked(tmp_path, small_parts):
    result = _hostile_result(40)
    result.write(tmp_path / "one")
    assert not small_parts
    result.write(tmp_path / "two", jobs=2)
    assert small_parts
    assert _files(tmp_path / "two") == _files(tmp_path / "one")


def test_the_command_line_says_a_writer_died_and_keeps_the_previous_audit(tmp_path):
    """End to end: `figure-audit run --jobs 2` whose writer is killed mid-write exits 1 with one line
    naming what happened, and the folder still holds the previous audit, byte for byte."""
    import subprocess

    if _parallel.default_jobs(2) < 2:
        pytest.skip("one core: the outputs are written by one process")

    corpus = tmp_path / "corpus"
    write_corpus(40, corpus, seed=3)
    out = tmp_path / "out"
    first = subprocess.run([sys.executable, "-m", "auditor.cli", "run", str(corpus), "--out", str(out), "--quiet",
                            "--no-cache"], capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    before = _files(out)
    (corpus / "extra.txt").write_text("Police said 11 people were killed in Mogadishu.\n", encoding="utf-8")
    code = ("import os, sys\n"
            "from auditor import export\n"
            "export.SPLIT_MIN_ROWS = export.PART_MIN_ROWS = export.PARALLEL_MIN_ROWS = 2\n"
            "real, parent = export._csv_bytes, os.getpid()\n"
            "def rows(frame, columns, span=None):\n"
            "    if span is not None and span.start > 0 and os.getpid() != parent:\n"
            "        os._exit(9)\n"
            "    return real(frame, columns, span)\n"
            "export._csv_bytes = rows\n"
            "from auditor.cli import main\n"
            "sys.exit(main(sys.argv[1:]))\n")
    run = subprocess.run([sys.executable, "-c", code, "run", str(corpus), "--out", str(out), "--no-cache",
                          "--jobs", "2"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 1
    (line,) = run.stderr.strip().splitlines()
    assert re.fullmatch(rf"figure-audit: cannot write the audit to {re.escape(str(out))} \(a worker process writing "
                        r"the outputs ended abruptly \(out of memory, or killed\) before \w+\.csv was written\); "
                        rf"the previous audit in {re.escape(str(out))} is kept", line), line
    _previous_set_kept(out, before)

"""An audit opened from its output folder (``auditor.open_audit``) and written again: with no decision
since the run, every file (CSV and Parquet, every table) is the run's byte for byte; with review decisions
made in the opened audit, only the decided columns and ``decisions.csv`` differ, and the files are those a
new run of the same corpus writes with these decisions."""

from __future__ import annotations

import csv
import io
import shutil
import sys
from pathlib import Path

import pytest

import auditor
from auditor.export import META_DIR, write_outputs

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("articles", "figures", "groups", "conflicts", "errors", "decisions")
FORMATS = {"csv": ("csv",), "parquet": ("parquet",), "both": ("csv", "parquet")}
DECIDED = {"conflicts": {"decision", "note", "decided_at"}, "groups": {"decision", "decision_note", "decided_at"}}


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    """The demo corpus (audited in this process) and a generated one big enough for two workers (its tables
    spilled to files, figures.parquet sorted through them)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from make_corpus import write_corpus

    generated = tmp_path_factory.mktemp("reexport") / "corpus"
    write_corpus(300, generated, seed=21)
    return {"demo": (ROOT / "examples" / "demo", 1), "generated": (generated, 2)}


def _run(corpus: Path, jobs: int, out: Path, formats: tuple[str, ...]) -> dict[str, bytes]:
    result = auditor.audit(corpus, jobs=jobs, out_dir=out, cache=False)
    assert jobs == 1 or result.figures_spilled
    write_outputs(result, out, formats=formats, jobs=jobs)
    result.close()
    return _files(out)


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())
            if path.is_file() and path.suffix in (".csv", ".parquet")}


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.mark.parametrize("fmt", ["both", "csv", "parquet"])
@pytest.mark.parametrize("name", ["demo", "generated"])
def test_an_opened_audit_written_again_is_the_run_byte_for_byte(corpora, tmp_path, name, fmt):
    corpus, jobs = corpora[name]
    ran = _run(corpus, jobs, tmp_path / "out", FORMATS[fmt])
    assert set(ran) == {f"{t}.{f}" for t in TABLES for f in FORMATS[fmt]}
    opened = auditor.open_audit(tmp_path / "out")
    written = opened.write(tmp_path / "again")
    assert set(written) <= {*TABLES, *(f"{t}.parquet" for t in TABLES)}
    again = _files(tmp_path / "again")
    assert sorted(again) == sorted(ran)
    assert [n for n in ran if again[n] != ran[n]] == []  # figures in the run's order, empty cells as written


def test_an_opened_audit_in_place_keeps_its_bytes_when_written_over_itself(corpora, tmp_path):
    corpus, jobs = corpora["generated"]
    ran = _run(corpus, jobs, tmp_path / "out", FORMATS["both"])
    auditor.open_audit(tmp_path / "out").write(tmp_path / "out")  # the workbench's export panel's default
    assert _files(tmp_path / "out") == ran


@pytest.mark.parametrize("fmt", ["both", "csv"])
def test_decisions_made_in_an_opened_audit_change_only_the_decided_columns(corpora, tmp_path, fmt):
    corpus, jobs = corpora["generated"]
    out = tmp_path / "out"
    ran = _run(corpus, jobs, out, FORMATS[fmt])
    opened = auditor.open_audit(out)
    conflicts, groups = opened.conflicts, opened.groups
    assert len(conflicts) > 10
    opened.review(conflicts["conflict_id"].iloc[0], "dismissed", "a reprint of the same wire story")
    opened.review(conflicts["conflict_id"].iloc[-1], "confirmed", "=checked with OCHA's flash update")
    quiet = groups.loc[groups["status"] != "conflict", "group_id"].iloc[0]
    opened.review_group(quiet, "confirmed", "the ministry's toll, superseded later")
    opened.write(tmp_path / "again")
    again = _files(tmp_path / "again")

    changed = sorted(n for n in ran if again[n] != ran[n])
    assert changed == sorted(f"{t}.{f}" for t in ("conflicts", "decisions", "groups") for f in FORMATS[fmt])
    for table, decided in DECIDED.items():
        before, after = _rows(ran[f"{table}.csv"]), _rows(again[f"{table}.csv"])
        assert len(before) == len(after) and list(before[0]) == list(after[0])
        differing = {column for old, new in zip(before, after) for column in old if old[column] != new[column]}
        assert differing and differing <= decided, table
    notes = {row["note"] for row in _rows(again["conflicts.csv"])}
    assert {"a reprint of the same wire story", "'=checked with OCHA's flash update"} <= notes
    assert len(_rows(again["decisions.csv"])) == 2  # the opened audit's store's, wherever it is written

    # What a new run of the corpus writes with these decisions in its store.
    rerun = tmp_path / "rerun"
    shutil.copytree(out, rerun, ignore=shutil.ignore_patterns(META_DIR, "*.csv", "*.parquet"))
    assert _run(corpus, jobs, rerun, FORMATS[fmt]) == again

"""Claim groups and conflicts of a spilled run left in the claims tasks' files (sorted runs merged,
``_spill.SpilledRuns``): read whole, in chunks or in ranges, with review decisions, written as CSV and
Parquet, they are the tables the in-memory ``build_claims`` makes; tasks are sent largest first."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import generated_unclaimed

from auditor import _key_cut, claims, export
from auditor._spill import SpilledRuns, SpillWriter, figure_batch
from auditor.audit import AuditResult
from auditor.claims import build_claims, build_claims_by_blocks, run_here
from auditor.export import write_outputs
from auditor.model import FIGURE_COLUMNS
from auditor.review import ReviewStore


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    return generated_unclaimed(tmp_path_factory, seed=13)


def _spilled(figures: pd.DataFrame, folder: Path):
    writer = SpillWriter(folder)
    writer.CHUNK = 512
    rows = list(figures[list(FIGURE_COLUMNS)].itertuples(index=False, name=None))
    for start in range(0, len(rows), 101):
        writer.extend(figure_batch(rows[start:start + 101]))
    return writer.finish()


def _by_blocks(figures, articles, folder, monkeypatch, store_dir=None, submit=run_here):
    monkeypatch.setattr(claims, "_CLAIM_ROWS_PER_TASK", len(figures) // 9)  # many runs to merge
    spilled = _spilled(figures, folder)
    return spilled, build_claims_by_blocks(spilled, articles, submit, 2, store_dir=store_dir, shared_folder=folder)


def test_spilled_groups_and_conflicts_read_whole_in_chunks_or_ranges_equal_the_in_memory_build(
        audited, tmp_path, monkeypatch):
    figures, articles = audited
    spilled, (found, groups, conflicts) = _by_blocks(figures, articles, tmp_path, monkeypatch)
    expected_figures, expected_groups, expected_conflicts = build_claims(figures, articles)
    try:
        assert isinstance(groups, SpilledRuns) and isinstance(conflicts, SpilledRuns)
        assert len(conflicts.paths) > 3 and len(conflicts) == len(expected_conflicts) > 50
        for table, expected in ((groups, expected_groups), (conflicts, expected_conflicts)):
            assert table.columns == list(expected.columns)
            pd.testing.assert_frame_equal(table.frame(), expected)  # values, order and dtypes
            for size in (1, 7, 1000):
                joined = pd.concat(list(table.chunks(size)))
                pd.testing.assert_frame_equal(joined, expected)
            n = len(expected)
            for start, stop in ((0, n // 3), (n // 3, n // 2 + 5), (n - 4, n), (n // 2, n // 2)):
                part = list(table.chunks(11, start, stop))
                got = pd.concat(part) if part else expected.iloc[:0]
                pd.testing.assert_frame_equal(got, expected.iloc[start:stop], check_index_type=False)
        for column in ("outlet", "published", "group_id", "incident_id"):
            assert found.filled[column].tolist() == expected_figures[column].tolist(), column
    finally:
        for table in (spilled, groups, conflicts):
            table.remove()
    assert not list(tmp_path.glob(f"{claims._SHARED_PREFIX}*"))  # the batch files are removed


def test_review_decisions_on_spilled_claims_are_those_of_the_in_memory_build(audited, tmp_path, monkeypatch):
    figures, articles = audited
    built_figures, built_groups, built_conflicts = build_claims(figures, articles)
    store = ReviewStore(tmp_path / "out")
    first, second = built_conflicts.iloc[0], built_conflicts.iloc[5]
    store.record(first["conflict_id"], "confirmed", "checked with the ministry", first.to_dict())
    # a pair decision whose conflict is gone: shown on the row that now holds one of its figures
    gone = dict(second.to_dict(), conflict_id="c000000000000")
    store.record("c000000000000", "dismissed", "reprint", gone)
    decided_group = built_groups[built_groups["status"].eq("conflict")].iloc[-1]["group_id"]
    members = built_figures.loc[built_figures["group_id"].eq(decided_group), "figure_id"].tolist()
    store.record_group(decided_group, "dismissed", "early toll, superseded", members, "label")

    expected_figures, expected_groups, expected_conflicts = build_claims(figures, articles, store_dir=tmp_path / "out")
    spilled, (found, groups, conflicts) = _by_blocks(figures, articles, tmp_path, monkeypatch,
                                                     store_dir=tmp_path / "out")
    try:
        assert conflicts.filled is not None and groups.filled is not None  # decisions kept beside the runs
        assert conflicts.frame()["decision"].ne("").sum() >= 3  # its own, the moved one, the group's
        pd.testing.assert_frame_equal(groups.frame(), expected_groups)
        pd.testing.assert_frame_equal(conflicts.frame(), expected_conflicts)
        pd.testing.assert_frame_equal(pd.concat(list(conflicts.chunks(13))), expected_conflicts)
    finally:
        for table in (spilled, groups, conflicts):
            table.remove()


def test_a_run_with_spilled_claims_writes_the_files_of_one_without(audited, tmp_path, monkeypatch):
    figures, articles = audited
    spilled, (found, groups, conflicts) = _by_blocks(figures, articles, tmp_path, monkeypatch)
    empty_errors = pd.DataFrame(columns=["path", "error"])
    kept = AuditResult(articles=articles, figures=found, groups=groups, conflicts=conflicts, errors=empty_errors)
    expected_figures, expected_groups, expected_conflicts = build_claims(figures, articles)
    in_memory = AuditResult(articles=articles, figures=expected_figures, groups=expected_groups,
                            conflicts=expected_conflicts, errors=empty_errors)
    assert kept.n_conflicts == len(expected_conflicts) and kept.n_groups == len(expected_groups)
    formats = ("csv", "parquet")
    expected = write_outputs(in_memory, tmp_path / "memory", formats=formats)
    for name, value in (("SPLIT_MIN_ROWS", 40), ("PART_MIN_ROWS", 17), ("PARALLEL_MIN_ROWS", 1)):
        monkeypatch.setattr(export, name, value)  # the CSVs cut into ranges of rows, written on 2 workers
    for jobs in (1, 2):
        written = write_outputs(kept, tmp_path / f"spilled-{jobs}", formats=formats, jobs=jobs)
        assert isinstance(vars(kept)["conflicts"], SpilledRuns)  # streamed, not loaded
        for table in ("groups", "conflicts", "figures"):
            assert written[table].read_bytes() == expected[table].read_bytes(), (table, jobs)
            assert pq.read_table(written[f"{table}.parquet"]).equals(pq.read_table(expected[f"{table}.parquet"]))
    # read on first access (its files removed), then a frame like any
    folder = conflicts.folder
    pd.testing.assert_frame_equal(kept.conflicts, expected_conflicts)
    assert not folder.exists() and isinstance(vars(kept)["conflicts"], pd.DataFrame)
    groups_folder = groups.folder
    kept.close()
    assert not groups_folder.exists() and not spilled.folder.exists()


def test_claims_without_conflicts_give_the_empty_table_of_the_in_memory_build(audited, tmp_path, monkeypatch):
    figures, articles = audited
    alone = figures.assign(category="killed", unit="count", value=10.0, low=10.0, high=10.0, qualifier="exact",
                           reported_value=10.0)  # every report of a toll says the same: groups, no conflict
    expected_figures, expected_groups, expected_conflicts = build_claims(alone, articles)
    assert expected_conflicts.empty and len(expected_groups)
    spilled, (found, groups, conflicts) = _by_blocks(alone, articles, tmp_path, monkeypatch)
    try:
        assert isinstance(conflicts, pd.DataFrame)
        pd.testing.assert_frame_equal(conflicts, expected_conflicts)
        pd.testing.assert_frame_equal(groups.frame(), expected_groups)
    finally:
        for table in (spilled, groups):
            table.remove()


def test_claims_tasks_are_sent_largest_first_and_give_the_tables_of_one_task(audited, tmp_path, monkeypatch):
    figures, articles = audited
    sizes = []

    def submit(function, *args):
        if function is claims._claims_task:
            with open(args[0].path, "rb") as handle:  # (parked in a file: claims._Parked)
                sizes.append(len(pickle.load(handle)[0].rows))
        return run_here(function, *args)

    # one batch per blocking key, in the cut's order (by a hash of the key): sizes that differ, the largest not first
    monkeypatch.setattr(_key_cut, "batch_of_block", lambda sizes, n_batches: np.arange(len(sizes)))
    spilled, (found, groups, conflicts) = _by_blocks(figures, articles, tmp_path, monkeypatch, submit=submit)
    try:
        assert len(sizes) > 3 and sizes == sorted(sizes, reverse=True) and sizes[0] > sizes[-1]
        expected_figures, expected_groups, expected_conflicts = build_claims(figures, articles)
        pd.testing.assert_frame_equal(conflicts.frame(), expected_conflicts)
        pd.testing.assert_frame_equal(groups.frame(), expected_groups)
    finally:
        for table in (spilled, groups, conflicts):
            table.remove()


@pytest.mark.parametrize("merge_rows", [1, 7, 4_096])
def test_runs_merged_a_few_rows_of_each_at_a_time_are_in_the_order_of_the_runs_sorted_whole(
        tmp_path, monkeypatch, merge_rows):
    """Conflict runs (sorted as each claims task writes them; ties, missing severities and gaps, one run
    whose keys all come first, an empty run) merged a few record batches of each at a time: every row
    in the place a stable sort of the runs joined gives it (ties by run, then by place in the run)."""
    from auditor._spill import write_run

    monkeypatch.setattr(claims, "_MERGE_ROWS", merge_rows)
    monkeypatch.setattr(claims, "_MERGE_MAX_ROWS", 4 * merge_rows)
    chooser = np.random.default_rng(7)
    paths, joined = [], []
    for number, size in enumerate([300, 0, 1, 57, 300, 120]):
        first = number == 4  # all its keys before every other run's
        frame = pd.DataFrame({
            "conflict_id": pd.array([None if k % 17 == 0 else f"c{k % 40:03d}" for k in chooser.integers(0, 99, size)],
                                    dtype="str"),
            "severity": pd.array(["high"] * size if first else chooser.choice(["high", "medium", "low", None], size),
                                 dtype="str"),
            "relative_difference": np.full(size, 2.0) if first else chooser.choice([0.25, 0.5, np.nan], size),
            "explanation": pd.array(["a long text"] * size, dtype="str"),
        })
        frame = claims._sorted_by(frame, claims._conflict_keys(frame))
        paths.append(write_run(tmp_path / f"{number}.arrow", frame, claims._run_schema(frame.columns), batch_rows=16))
        joined.append(frame.assign(run=number))
    whole = pd.concat(joined, ignore_index=True)
    expected = whole["run"].to_numpy()[claims._sort_positions(claims._conflict_keys(whole))]
    merged = claims._merged_runs(paths, claims._CONFLICT_SORT_KEYS, claims._conflict_keys)
    assert merged.tolist() == expected.tolist()


def test_largest_first_orders_batches_by_size_then_number():
    assert claims._largest_first([3, 10, 3, 7]) == [1, 3, 0, 2]


def test_cached_claims_of_a_spilled_table_stay_in_files_and_equal_the_in_memory_build(audited, tmp_path, monkeypatch):
    """The default run (a figure cache): each task's claims are stored by bucket, then written as runs;
    a re-run writes the stored buckets' runs one bucket at a time; a changed figure rebuilds its buckets."""
    from auditor.cache import ArticleCache

    figures, articles = audited
    monkeypatch.setattr(claims, "_CLAIM_ROWS_PER_TASK", len(figures) // 9)
    store = ArticleCache(tmp_path / "cache")
    changed = figures.copy()
    changed.loc[3, "value"] = changed.loc[3, "value"] + 1000  # one figure: its bucket is built again
    rounds = ((figures, "cold"), (figures, "warm"), (changed, "changed"))
    for k, (table, name) in enumerate(rounds):
        cache = claims.claim_batch_cache(store)
        spilled = _spilled(table, tmp_path)
        found, groups, conflicts = build_claims_by_blocks(spilled, articles, run_here, 2,
                                                          shared_folder=tmp_path, cache=cache)
        expected_figures, expected_groups, expected_conflicts = build_claims(table, articles)
        try:
            assert isinstance(groups, SpilledRuns) and isinstance(conflicts, SpilledRuns), name
            pd.testing.assert_frame_equal(groups.frame(), expected_groups)
            pd.testing.assert_frame_equal(conflicts.frame(), expected_conflicts)
            for column in ("outlet", "published", "group_id", "incident_id"):
                assert found.filled[column].tolist() == expected_figures[column].tolist(), (name, column)
        finally:
            for made in (spilled, groups, conflicts):
                made.remove()
        if name == "cold":
            assert cache.reused == 0 and cache.built > 1
        elif name == "warm":
            assert cache.built == 0 and cache.reused > 1
        else:
            assert 0 < cache.built < cache.reused
    assert not list(tmp_path.glob(f"{claims._SHARED_PREFIX}*"))

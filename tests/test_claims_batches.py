"""Claims on the worker pool: each task reads its own batch of figures, never the whole table."""

from __future__ import annotations

from concurrent.futures import Future

import pandas as pd
import pytest
from conftest import generated_unclaimed

from auditor import claims
from auditor.claims import build_claims, build_claims_by_blocks


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    return generated_unclaimed(tmp_path_factory, seed=6)


def _recording_submit(calls: list):
    """A ``submit`` that runs the task here and records what each task read from the shared folder."""

    def submit(function, *args):
        if function is claims._claims_task and isinstance(args[0], str):
            figures, articles = claims._read_frames(args[0])
            calls.append(("claims", figures, articles))
        elif function is claims._key_parts_task and isinstance(args[0], str):
            calls.append(("keys", claims._read_frames(args[0])[0], None))
        future = Future()
        future.set_result(function(*args))
        return future

    return submit


def test_each_claims_task_reads_only_its_batch(audited, tmp_path, monkeypatch):
    figures, articles = audited
    # Batches capped well below the table: more tasks than the workers' minimum.
    monkeypatch.setattr(claims, "_CLAIM_ROWS_PER_TASK", len(figures) // 20)
    calls: list = []
    built = build_claims_by_blocks(figures, articles, _recording_submit(calls), 2, shared_folder=tmp_path)

    keys_read = [c for c in calls if c[0] == "keys"]
    batches = [c for c in calls if c[0] == "claims"]
    assert len(keys_read) == 2  # one share of the figures per worker
    read_by_keys = pd.concat([share["figure_id"] for _k, share, _a in keys_read])
    assert read_by_keys.is_unique and set(read_by_keys) == set(figures["figure_id"])
    for _k, share, _a in keys_read:  # no long texts read
        assert "sentence" not in share and "surface" not in share
    shares = [set(share["article_id"]) for _k, share, _a in keys_read]
    assert not shares[0] & shares[1]  # an article's figures in one share only
    assert len(batches) >= 20
    largest_key = claims.blocking_keys(figures).value_counts().max()
    for _kind, part, part_articles in batches:
        assert len(part) <= max(len(figures) // 20, largest_key) < len(figures)
        assert set(part_articles["article_id"]) == set(part["article_id"])  # its articles only
    read = pd.concat([part["figure_id"] for _k, part, _a in batches])
    assert read.is_unique and set(read) == set(figures["figure_id"])  # every figure read once

    expected = build_claims(figures, articles)
    for mine, theirs in zip(built, expected):
        pd.testing.assert_frame_equal(mine, theirs)
    assert list(tmp_path.iterdir()) == []  # the batch files are removed


def test_batches_grow_in_number_not_size_with_the_table():
    assert claims._n_batches(1_000, 2) == 2 * claims._CLAIM_TASKS_PER_WORKER  # a small table: tasks for the workers
    assert claims._n_batches(10 * claims._CLAIM_ROWS_PER_TASK + 1, 2) == 11
    assert claims._n_batches(1_000, 1) == 1  # one process: one task unless the table is big
    keys = pd.Categorical(["a"] * 5 + ["b"] * 3 + ["c"] * 3 + ["d"]).codes
    # largest key first, each into the smallest batch: a | b+c | then d joins a
    assert [b.tolist() for b in claims._packed(keys, 2)] == [[0, 1, 2, 3, 4, 11], [5, 6, 7, 8, 9, 10]]


def test_blocking_keys_prepared_in_parts_are_the_keys_of_the_whole_table(audited, monkeypatch):
    from auditor._claim_rules import load_config, prepare
    from auditor.incidents import block_keys

    figures, _articles = audited
    shuffled = figures.sample(frac=1.0, random_state=3)  # an article's figures far apart
    config = load_config()
    whole = block_keys(prepare(shuffled, config), config)
    monkeypatch.setattr(claims, "_KEY_CHUNK_ROWS", 97)
    parts = claims._article_chunks(shuffled, 97)
    assert len(parts) > 5
    for rows in parts:  # every article in one part only
        assert not set(shuffled["article_id"].iloc[rows]) & set(shuffled["article_id"].drop(shuffled.index[rows]))
    keys = claims.blocking_keys(shuffled)
    assert keys.index.equals(shuffled.index) and keys.tolist() == whole
    assert keys.nunique() > 20


def test_batch_folders_left_by_a_killed_run_are_removed_by_the_next(audited, tmp_path):
    """kill -9 skips the clean-up of the batch files; the next run removes a folder whose run is gone
    and leaves alone one whose run still exists (another audit sharing the temp folder)."""
    import os
    import subprocess

    figures, articles = audited
    dead = subprocess.Popen(["true"])
    dead.wait()  # ended and reaped: its id names no running process
    abandoned = tmp_path / f"{claims._SHARED_PREFIX}{dead.pid}-x1"
    in_use = tmp_path / f"{claims._SHARED_PREFIX}{os.getppid()}-x2"
    for folder in (abandoned, in_use):
        folder.mkdir()
        (folder / "batch-0.pickle").write_bytes(b"\0" * 1024)
    build_claims_by_blocks(figures, articles, _recording_submit([]), 2, shared_folder=tmp_path)
    assert not abandoned.exists() and in_use.exists()
    assert [p.name for p in tmp_path.iterdir()] == [in_use.name]  # the run's own folder removed too


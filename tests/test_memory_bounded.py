"""The main process's memory does not grow with the corpus: the figure table is spilled to a file in
the run's temp folder, claims and keys tasks read their rows from it, the writers stream it."""

from __future__ import annotations

import dataclasses
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc
import pytest
from conftest import generated_corpus

from auditor import _parallel, _spill, claims
from auditor.audit import audit


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return generated_corpus(tmp_path_factory, seed=6)


@pytest.fixture(scope="module")
def in_memory(corpus):
    return audit(corpus, jobs=1)


def _here(calls: list):
    """A ``submit`` that runs each task here, recording the function and its first argument."""

    def submit(function, *args):
        calls.append((function, args[0]))
        future = Future()
        future.set_result(function(*args))
        return future

    return submit


def test_keys_from_parts_prepared_on_each_worker_are_the_blocking_keys(in_memory, tmp_path):
    shuffled = in_memory.figures.sample(frac=1.0, random_state=5).reset_index(drop=True)  # articles far apart
    calls: list = []
    keys = claims._keys_on_workers(shuffled, _here(calls), 3, _parallel.settings(), tmp_path)
    assert [c[0] for c in calls] == [claims._key_parts_task] * 3
    shares = [set(claims._read_frames(c[1])[0]["article_id"]) for c in calls]
    assert not (shares[0] & shares[1]) and not (shares[1] & shares[2])  # whole articles per share
    assert keys.tolist() == claims.blocking_keys(shuffled).tolist()
    assert keys.nunique() > 20


def _spill_folders(folder: Path) -> list[Path]:
    import os

    return [p for p in folder.glob(f"{_spill.SPILL_PREFIX}{os.getpid()}-*")]


@pytest.fixture()
def temp_folder(tmp_path, monkeypatch):
    """The temp folder of the run (spill and batch files), empty at the start."""
    import tempfile

    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_figures_of_a_run_on_workers_are_spilled_and_equal_those_of_an_in_memory_audit(corpus, in_memory, temp_folder):
    import gc

    result = audit(corpus, jobs=2)
    for name in ("articles", "figures", "groups", "conflicts"):  # not held in memory after the run
        assert isinstance(result.__dict__[name], _spill.SpilledTable), name
    assert len(_spill_folders(temp_folder)) == 4 and result.n_figures == len(in_memory.figures)
    pd.testing.assert_frame_equal(result.figures, in_memory.figures)  # loaded on first access
    assert len(_spill_folders(temp_folder)) == 3  # the file is removed once loaded
    pd.testing.assert_frame_equal(result.groups, in_memory.groups)
    pd.testing.assert_frame_equal(result.conflicts, in_memory.conflicts)
    pd.testing.assert_frame_equal(result.articles, in_memory.articles)
    # the articles' file stays while the result's texts may read their ids and digests from it
    assert len(_spill_folders(temp_folder)) == 1
    article_id = in_memory.articles["article_id"].iloc[-1]
    assert result.texts[article_id] == in_memory.texts[article_id]
    del result
    gc.collect()
    assert _spill_folders(temp_folder) == []
    again = audit(corpus, jobs=2)
    del again
    gc.collect()
    assert _spill_folders(temp_folder) == []  # removed with the result it belongs to


def test_claims_tasks_read_their_articles_from_the_articles_file_not_from_a_copy_of_the_main_process(
        corpus, in_memory, temp_folder, sent_to_workers):
    """A batch's articles are not read and written again by the main process (a big blocking key's
    articles were its peak): each claims task is sent their rows of the articles' spill file, and how many
    of its figures each has (a local run's figures follow their articles)."""
    result = audit(corpus, jobs=2)
    articles = result.__dict__["articles"]
    tasks = [args for args in sent_to_workers if args[0] is claims._claims_task]
    assert len(tasks) > 1
    # sent in a file each: the pool holds a path while the task runs, not its rows and its articles'
    assert sent_to_workers.parked.count(claims._claims_task) == len(tasks)
    read = []
    for _task, figures, sent, *_rest in tasks:
        part = sent.part
        assert isinstance(part, _spill.SpillPart) and part.path == articles.paths[0]
        assert set(part.columns) == claims._ARTICLE_CLAIM_COLUMNS
        assert len(sent.figures_each) == len(part.rows) and sent.figures_each.sum() == len(figures.rows)
        # each figure's article, as the task finds it, is the article of that id
        ids = _spill.SpillPart(part.path, part.rows, ("article_id",), frozenset()).load()["article_id"]
        figure_ids = dataclasses.replace(figures, columns=("article_id",)).load()["article_id"]
        assert ids.to_numpy()[sent.article_of()].tolist() == figure_ids.tolist()
        read.extend(part.rows.tolist())
    # every figure's article is read by the task of its figures, and only those
    assert sorted(set(read)) == list(range(len(in_memory.articles)))
    assert not list(temp_folder.rglob("articles-*.pickle"))
    pd.testing.assert_frame_equal(result.conflicts, in_memory.conflicts)


def test_articles_and_texts_of_a_run_on_workers_are_read_after_it_is_closed(corpus, in_memory, temp_folder):
    """close() removes the spill files, not the user's access to the articles and their texts (which
    audits held in memory before the articles were spilled)."""
    result = audit(corpus, jobs=2)
    assert isinstance(result.__dict__["articles"], _spill.SpilledTable)
    result.close()
    assert _spill_folders(temp_folder) == []
    pd.testing.assert_frame_equal(result.articles, in_memory.articles)
    article_id = in_memory.articles["article_id"].iloc[-1]
    assert len(result.texts) == len(in_memory.texts)
    assert result.texts[article_id] == in_memory.texts[article_id]


def test_a_run_on_workers_holds_no_text_per_figure_or_article_and_its_views_read_parts(
        corpus, in_memory, temp_folder, tmp_path, refuse_whole_tables):
    """The main process keeps the articles and the columns the claims fill (outlet, published,
    group_id, incident_id) in files, a byte per figure saying which claims task's file holds its row:
    the figures of a group, rows at some positions and a range of rows are read from them, and the
    files written are those of the audit in memory."""
    import numpy as np

    result = audit(corpus, jobs=2)
    figures, articles = result.__dict__["figures"], result.__dict__["articles"]
    assert isinstance(articles, _spill.SpilledTable)
    assert isinstance(figures.filled, _spill.SpilledTable) and list(figures.filled.columns) == list(claims._FILLED)
    assert figures.filled.runs.dtype.itemsize == 1 and len(figures.filled.paths) > 1
    expected = in_memory.figures
    with refuse_whole_tables():
        group_id = in_memory.groups["group_id"].iloc[0]
        pd.testing.assert_frame_equal(result.figures_of(group_id), in_memory.figures_of(group_id))
        positions = np.arange(3, len(expected), 37)
        pd.testing.assert_frame_equal(result._figures_at(positions, None), expected.iloc[positions])
        pd.testing.assert_frame_equal(result._figures_at(positions, ["group_id", "figure_id"]),
                                      expected.iloc[positions][["figure_id", "group_id"]])
        start = len(expected) // 3
        pd.testing.assert_frame_equal(pd.concat(figures.chunks(53, start, start + 200)),
                                      expected.iloc[start:start + 200])
        result.write(tmp_path / "spilled")
    in_memory.write(tmp_path / "held")
    for name in ("articles.csv", "figures.csv", "groups.csv", "conflicts.csv"):
        assert (tmp_path / "spilled" / name).read_bytes() == (tmp_path / "held" / name).read_bytes(), name


def test_rows_sent_as_arrow_by_the_workers_spill_as_the_same_table_as_tuples(corpus, in_memory, temp_folder):
    import pickle

    from auditor.readers import ReadTask, plan_reads

    tasks = [t for t in plan_reads(corpus) if isinstance(t, ReadTask)][:40]
    results = [_parallel.run_task(t, 2**31) for t in tasks]
    shells = pickle.loads(pickle.dumps(_spill.PackedResults(results)))  # as a packing worker sends them
    assert [s.articles for s in shells] == [r.articles for r in results]
    assert [[b.num_rows for b in s.rows] for s in shells] == [[len(rows) for rows in r.rows] for r in results]
    by_tuples, mixed = _spill.SpillWriter(), _spill.SpillWriter()
    by_tuples.CHUNK = mixed.CHUNK = 50  # several record batches, cut inside what one task sent
    for k, (plain, packed) in enumerate(zip(results, shells)):
        for rows in plain.rows:
            by_tuples.extend(rows)
        if k % 3 == 0:
            mixed.extend(packed.rows)  # the whole task's rows at once (no article renamed)
        else:  # each article's, some as tuples (a renamed article, a cache hit) between batch slices
            for j, (rows, batch) in enumerate(zip(plain.rows, packed.rows)):
                mixed.extend(rows if (j + k) % 2 else batch)
    expected, got = by_tuples.finish(), mixed.finish()
    assert got.n == expected.n > 100 and got.empty == expected.empty
    pd.testing.assert_frame_equal(got.frame(), expected.frame())
    with pa.OSFile(str(got.path), "rb") as source:
        reader = ipc.open_file(source)
        sizes = [reader.get_batch(i).num_rows for i in range(reader.num_record_batches)]
    assert sizes == list(got.batch_rows)  # what a range of rows read need not read is known
    assert len(sizes) > 2 and min(sizes[:-1]) >= 50  # record batches of about CHUNK rows
    expected.remove()
    got.remove()


def test_a_pool_started_before_planning_ends_gives_the_audit_of_one_process(corpus, in_memory, temp_folder, monkeypatch):
    started: list[bool] = []
    real_start = _parallel.WorkerPool.start
    monkeypatch.setattr(_parallel.WorkerPool, "start",
                        lambda self, warm=False: started.append(warm) or real_start(self, warm))
    result = audit(corpus, jobs=2)
    assert started[:1] == [True]  # forked while planning, tables loaded at once
    pd.testing.assert_frame_equal(result.figures, in_memory.figures)
    pd.testing.assert_frame_equal(result.articles, in_memory.articles)
    pd.testing.assert_frame_equal(result.conflicts, in_memory.conflicts)


def test_a_failed_run_leaves_no_spill(corpus, temp_folder, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("claims failed")

    monkeypatch.setattr(claims, "build_claims_by_blocks", broken)
    with pytest.raises(RuntimeError, match="claims failed"):
        audit(corpus, jobs=2)
    assert _spill_folders(temp_folder) == []
    assert [p.name for p in temp_folder.iterdir()] == []  # no batch folder either


def test_spill_left_by_a_killed_run_is_removed_by_the_next(corpus, temp_folder):
    import subprocess

    dead = subprocess.Popen(["true"])
    dead.wait()  # its id names no running process
    abandoned = temp_folder / f"{_spill.SPILL_PREFIX}{dead.pid}-x1"
    abandoned.mkdir()
    (abandoned / "figures.arrow").write_bytes(b"\0" * 1024)
    result = audit(corpus, jobs=2)
    assert not abandoned.exists()
    result.close()
    assert _spill_folders(temp_folder) == []


def test_command_line_streams_the_spill_to_csv_and_parquet_without_loading_the_table(
        corpus, in_memory, tmp_path, temp_folder, monkeypatch):
    """The run on workers writes the same figures.csv as the audit in memory, and figures.parquet
    sorted by group_id in the same row groups, reading the spill a chunk at a time: the largest
    frame made of it is a chunk, or one column (article or figure ids), never the table."""
    import pyarrow.parquet as pq

    from auditor import export
    from auditor.cli import main

    chunk = 97
    monkeypatch.setattr(export, "CSV_CHUNK_ROWS", chunk)
    monkeypatch.setattr(export, "PARQUET_ROW_GROUP", 64)
    monkeypatch.setattr(export, "_SORT_BUCKET_ROWS", 4 * 64)  # several buckets: the sort goes through files
    monkeypatch.setattr(_spill.SpillWriter, "CHUNK", 300)
    largest: list[int] = []
    made = _spill._frame

    def recorded(table, empty, index=None):
        largest.append((table.num_rows, table.num_columns))
        return made(table, empty, index)

    def loaded_whole(self):
        raise AssertionError("the command line loaded the whole figure table")

    monkeypatch.setattr(_spill, "_frame", recorded)
    monkeypatch.setattr(_spill.SpilledFigures, "frame", loaded_whole)
    out = tmp_path / "out"
    assert main(["run", str(corpus), "--out", str(out), "--jobs", "2", "--no-cache", "--quiet",
                 "--format", "both"]) == 0
    n = len(in_memory.figures)
    # at most one column of every figure (no id is read to find each figure's article: the counts give it)
    assert n > 4 * 300 and max(rows for rows, _ in largest) <= n
    assert max(rows for rows, columns in largest if columns > 1) <= 300  # the rest a record batch at most
    monkeypatch.undo()
    monkeypatch.setattr(export, "PARQUET_ROW_GROUP", 64)
    expected = tmp_path / "expected"
    export.write_outputs(in_memory, expected, formats=("csv", "parquet"))
    assert (out / "figures.csv").read_bytes() == (expected / "figures.csv").read_bytes()
    written, reference = pq.ParquetFile(out / "figures.parquet"), pq.ParquetFile(expected / "figures.parquet")
    assert written.read().equals(reference.read())
    assert written.read()["group_id"].to_pylist() == sorted(in_memory.figures["group_id"])
    sizes = [written.metadata.row_group(i).num_rows for i in range(written.num_row_groups)]
    assert sizes == [reference.metadata.row_group(i).num_rows for i in range(reference.num_row_groups)]
    assert set(sizes[:-1]) == {64}
    import gc

    gc.collect()
    assert _spill_folders(temp_folder) == []  # the run's spill is gone after the run


def test_review_decisions_are_merged_into_a_spilled_audit_as_into_one_in_memory(corpus, in_memory, tmp_path,
                                                                                  temp_folder):
    from auditor.review import ReviewStore

    conflict = in_memory.conflicts.iloc[0]
    group = in_memory.groups.loc[in_memory.groups["group_id"] != conflict["group_id"]].iloc[0]
    store = ReviewStore(tmp_path / "review")
    store.record(conflict["conflict_id"], "confirmed", "checked with the ministry")
    in_memory.out_dir = tmp_path / "review"
    in_memory.review_group(group["group_id"], "dismissed", "an early wire toll")
    expected = audit(corpus, jobs=1, out_dir=tmp_path / "review")
    spilled = audit(corpus, jobs=2, out_dir=tmp_path / "review")
    assert isinstance(spilled.__dict__["figures"], _spill.SpilledFigures)
    pd.testing.assert_frame_equal(spilled.groups, expected.groups)
    pd.testing.assert_frame_equal(spilled.conflicts, expected.conflicts)
    assert (spilled.conflicts["decision"] == "confirmed").any() and (spilled.groups["decision"] == "dismissed").any()


@pytest.mark.parametrize("pending", [1, 3, 1 << 16])
def test_article_ids_taken_by_hashes_are_renamed_as_a_set_of_the_ids_renames_them(pending, monkeypatch):
    """The main process keeps the ids it has taken as hashes in a temporary SQLite database on disk (the
    last ones taken as strings until there are ``pending``): ids repeated within a task, across tasks, and
    ids that are another's renamed form ("a~2" before or after a second "a") get the names a set of the
    strings gives them."""
    import random

    import importlib

    from auditor.audit import _IdsSeen
    from auditor.readers import _unique_id

    monkeypatch.setattr(importlib.import_module("auditor.audit"), "_PENDING_IDS", pending)

    chooser = random.Random(13)
    names = ["kharkiv-1", "darfur", "darfur~2", "gaza", "gaza~3", "idlib", "ituri"]
    renamed = 0
    for _ in range(200):
        ids = [chooser.choice(names) for _ in range(chooser.randint(0, 40))]
        in_a_set: set[str] = set()
        expected = [_unique_id(i, in_a_set) for i in ids]
        seen, got, start = _IdsSeen(), [], 0
        while start < len(ids):  # tasks of 0 to 5 articles
            task = ids[start:start + chooser.randint(0, 5)]
            start += len(task)
            got += task if seen.take_new(task) else [_unique_id(i, seen) for i in task]
        assert got == expected
        renamed += sum(g != i for g, i in zip(got, ids))
    assert renamed > 100
    seen = _IdsSeen()
    assert all(seen.take_new([f"{n:06d}_afp", f"{n:06d}_reuters"]) for n in range(5000))
    hashed = 0 if seen._db is None else seen._db.execute("SELECT COUNT(*) FROM seen").fetchone()[0]
    assert hashed + len(seen._pending) == 10_000
    assert (hashed == 0) == (pending > 10_000) and len(seen._pending) < max(pending, 2)
    assert not seen.take_new(["004999_afp"]) and "000000_reuters" in seen and "005000_afp" not in seen
    assert not seen.take_new(["000001_afp", "Gaza-2024-001"]) and "Gaza-2024-001" not in seen  # nothing added
    many = [f"{n:06d}_afp" for n in range(1200)]  # more than one query's worth: the last of them seen
    assert not seen.take_new([f"x{n}" for n in range(1200)] + many[-1:])
    seen.close()


def test_figures_of_a_run_on_workers_know_their_articles_rows_without_their_ids(corpus, in_memory, temp_folder,
                                                                               monkeypatch):
    """A run on workers spills the figures in their articles' order and keeps how many each article has
    (4 bytes an article): claims find each figure's article row from that, as the ids give it, and
    build the same tables; an article id repeated across files (renamed ~2, extracted again) keeps the
    counts in step."""
    import shutil

    twice = corpus.parent / "twice"
    if not twice.exists():
        shutil.copytree(corpus, twice / "a")
        shutil.copytree(corpus, twice / "b")
    result = audit(twice, jobs=2)
    figures, articles = result.__dict__["figures"], result.__dict__["articles"]
    assert figures.article_counts is not None and len(figures.article_counts) == len(articles) == 2 * len(
        in_memory.articles)
    assert articles.column("article_id").str.endswith("~2").sum() == len(in_memory.articles)
    by_counts = claims._article_rows_of(figures, articles)
    assert isinstance(by_counts, claims._ArticleOfRow)  # a number per article held, not per figure
    figures.article_counts = None
    by_ids = claims._article_rows_of(figures, articles)
    found = by_counts[np.arange(len(by_ids))]
    assert found.dtype == np.int32 and (found >= 0).all()
    np.testing.assert_array_equal(found, by_ids)
    result.close()


def test_key_shares_of_figures_in_article_order_are_ranges_cut_as_the_article_ids_cut_them():
    """A spilled table's figures come in their articles' order (article rows ascending): its key-parts
    shares are cut as ranges, without the per-figure arrays of the general cut (or, from the articles'
    sizes alone, as Python ranges); the same shares as the general cut of the same articles given by id
    (whole articles each, a new share at the first article starting in each next ``size`` rows;
    figures with no article, -1, first)."""
    rng = np.random.default_rng(13)
    ranges = 0
    for _ in range(500):
        counts = rng.integers(0, 9, rng.integers(1, 40))
        counts[rng.integers(0, len(counts))] = rng.integers(15, 50)  # a long article spans several sizes
        rows = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
        if rng.random() < 0.2:
            rows = np.concatenate([np.full(3, -1, dtype=np.int32), rows])
        size = int(rng.integers(2, 25))
        if len(rows) <= size:
            continue
        shares = claims._article_chunks(pd.DataFrame({"article_id": rows}), size)
        by_ids = claims._article_chunks(pd.DataFrame({"article_id": [f"a{r}" for r in rows]}), size)
        assert [s.tolist() for s in shares] == [s.tolist() for s in by_ids]
        if rows[0] >= 0:  # every figure with an article: the same shares from the articles' sizes, as ranges
            assert [list(r) for r in claims._ArticleOfRow(counts).shares(size)] == [s.tolist() for s in shares]
        assert np.array_equal(np.concatenate(shares), np.arange(len(rows)))
        ranges += len(shares) > 1
    assert ranges > 300


def test_a_batch_s_rows_and_their_articles_found_a_slice_at_a_time_are_those_of_the_whole_table():
    """The main process finds a claims batch's rows and each one's article a slice of rows at a time (no
    64-bit copy of a big key's batch): the same rows, ascending, and the same articles, across slices."""
    from auditor._spill import SLICE_ROWS

    rng = np.random.default_rng(5)
    for n in (0, 7, SLICE_ROWS - 1, 2 * SLICE_ROWS + 11):
        batch_of_row = rng.integers(0, 4, n).astype(np.int8)
        for number in range(5):  # (4: a batch no row is in)
            rows = claims._rows_of_batch(batch_of_row, number)
            assert rows.dtype == np.int32
            np.testing.assert_array_equal(rows, np.flatnonzero(batch_of_row == number))
        counts = rng.integers(0, 6, max(1, n // 3))
        article_of_row = claims._ArticleOfRow(counts)
        total = int(counts.sum())
        rows = np.sort(rng.choice(total, size=min(total, n), replace=False)).astype(np.int32)
        found = article_of_row[rows]
        assert found.dtype == np.int32
        np.testing.assert_array_equal(found, np.repeat(np.arange(len(counts)), counts)[rows])


def test_codes_counted_a_slice_at_a_time_are_np_bincount_s_counts():
    """Each figure's batch, run or bucket counted a slice at a time (np.bincount would first make a 64-bit
    copy of the whole table's): the counts np.bincount gives, across slices, with its minimum length."""
    from auditor._spill import SLICE_ROWS, counts_of

    rng = np.random.default_rng(11)
    for n in (0, 1, SLICE_ROWS, 2 * SLICE_ROWS + 5):
        for dtype, high in ((np.int8, 100), (np.int16, 3000), (np.int32, 9)):
            codes = rng.integers(0, high, n).astype(dtype)
            if n > SLICE_ROWS:
                codes[-1] = high  # the largest code only in the last slice
            for minlength in (0, high + 3):
                np.testing.assert_array_equal(counts_of(codes, minlength), np.bincount(codes, minlength=minlength))

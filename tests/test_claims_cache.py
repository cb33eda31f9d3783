"""Claims cached per bucket of blocking keys: a re-run builds only the buckets whose figures changed."""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from auditor import claims
from auditor.audit import audit
from auditor.cache import CACHE_FILE

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from make_corpus import write_corpus


@pytest.fixture()
def batch_caches(monkeypatch):
    """Every :class:`~auditor.claims.ClaimBatchCache` a run uses (how many buckets it built and reused)."""
    made: list[claims.ClaimBatchCache] = []
    real = claims.claim_batch_cache

    def spy(store):
        cache = real(store)
        if cache is not None:
            made.append(cache)
        return cache

    monkeypatch.setattr(claims, "claim_batch_cache", spy)
    return made


@pytest.fixture()
def corpus(tmp_path):
    folder = tmp_path / "wires"
    write_corpus(120, folder, seed=11)
    return folder


@pytest.fixture()
def on_workers(monkeypatch):
    """Runs of two jobs use their workers for this small corpus too (spilled tables, tasks storing claims)."""
    from auditor import _parallel

    monkeypatch.setattr(_parallel, "PARALLEL_MIN_CHARS", 1)


def _same_audit(a, b) -> None:
    for name in ("figures", "groups", "conflicts"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


def _buckets_of_article(figures: pd.DataFrame, article_id: str) -> set[int]:
    keys = pd.Categorical(claims.blocking_keys(figures))
    buckets = claims._buckets(keys.categories, keys.codes.astype(np.int64), len(figures))
    return set(buckets[(figures["article_id"] == article_id).to_numpy()].tolist())


def _edit(path: Path) -> None:
    """Another toll in one article: its figures (and only its) change."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "\nSeparately, 17 people were wounded in a shelling of the market, police said.\n",
                    encoding="utf-8")


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_changed_article_rebuilds_only_its_buckets_and_gives_the_uncached_audit(corpus, tmp_path, batch_caches,
                                                                                   on_workers, jobs):
    cache = tmp_path / "cache"
    first = audit(corpus, jobs=jobs, cache=cache)
    n_buckets = batch_caches[-1].built
    assert batch_caches[-1].reused == 0 and n_buckets > 10
    _same_audit(first, audit(corpus, jobs=jobs))

    again = audit(corpus, jobs=jobs, cache=cache)
    assert (batch_caches[-1].built, batch_caches[-1].reused) == (0, n_buckets)
    _same_audit(first, again)

    path = sorted(corpus.iterdir())[40]
    article = first.articles.loc[first.articles["path"].str.endswith(path.name), "article_id"].iloc[0]
    _edit(path)
    changed = audit(corpus, jobs=jobs, cache=cache)
    touched = _buckets_of_article(first.figures, article) | _buckets_of_article(changed.figures, article)
    assert len(changed.figures) > len(first.figures)
    # Only the buckets the article's figures were or are in: the rest come from the store.
    assert batch_caches[-1].built == len(touched) < n_buckets
    assert batch_caches[-1].reused == len(set(_all_buckets(changed.figures))) - len(touched)
    _same_audit(changed, audit(corpus, jobs=jobs))


def test_claims_a_parallel_run_stored_serve_a_one_process_run_as_built_there(corpus, tmp_path, batch_caches,
                                                                             on_workers):
    """A --jobs 2 run stores its claims from its tasks' runs (files); a later run in one process (a notebook's)
    reuses every bucket and gets the tables it would build itself: values, order and types."""
    cache = tmp_path / "cache"
    audit(corpus, jobs=2, cache=cache)
    stored = batch_caches[-1].built
    reused = audit(corpus, jobs=1, cache=cache)
    assert stored > 10 and (batch_caches[-1].built, batch_caches[-1].reused) == (0, stored)
    _same_audit(reused, audit(corpus, jobs=1))


def _all_buckets(figures: pd.DataFrame) -> np.ndarray:
    keys = pd.Categorical(claims.blocking_keys(figures))
    return claims._buckets(keys.categories, keys.codes.astype(np.int64), len(figures))


def test_another_version_or_other_claim_thresholds_rebuild_every_bucket(corpus, tmp_path, monkeypatch):
    from auditor.cache import ArticleCache

    result = audit(corpus, jobs=1)
    figures, articles = result.figures.assign(group_id="", incident_id=""), result.articles
    store = ArticleCache(tmp_path / "cache")

    def build(version: str) -> tuple[claims.ClaimBatchCache, tuple]:
        cache = claims.ClaimBatchCache(store, version)
        built = claims.build_claims_by_blocks(figures, articles, claims.run_here, 1, cache=cache)
        return cache, built

    first, whole = build("v1")
    assert first.built > 10
    assert build("v1")[0].built == 0
    assert build("v2")[0].built == first.built  # the code or data changed: nothing reused

    stricter = dataclasses.replace(claims.load_config(), severity_high=0.3)  # claims.yaml edited
    monkeypatch.setattr(claims, "load_config", lambda *a, **k: stricter)
    cache, built = build("v1")
    assert cache.built == first.built
    expected = claims.build_claims(figures, articles)
    for mine, theirs in zip(built, expected):
        pd.testing.assert_frame_equal(mine, theirs)
    if len(whole[2]):  # a lower bar: some conflicts are now high
        assert (built[2]["severity"] == "high").sum() >= (whole[2]["severity"] == "high").sum()
    store.close()


def test_a_damaged_batch_entry_is_built_again_with_a_warning(corpus, tmp_path, batch_caches, caplog):
    cache = tmp_path / "cache"
    first = audit(corpus, jobs=1, cache=cache)
    n_buckets = batch_caches[-1].built
    with sqlite3.connect(cache / CACHE_FILE) as db:
        key = db.execute("SELECT key FROM claim_batches ORDER BY key LIMIT 1").fetchone()[0]
        db.execute("UPDATE claim_batches SET frames = ? WHERE key = ?", (b"not a zlib stream", key))
    with caplog.at_level(logging.WARNING, logger="auditor.cache"):
        again = audit(corpus, jobs=1, cache=cache)
    assert "claims batch could not be read" in caplog.text
    assert (batch_caches[-1].built, batch_caches[-1].reused) == (1, n_buckets - 1)
    _same_audit(first, again)


def test_a_damaged_cache_file_is_ignored_with_a_warning(corpus, tmp_path, caplog):
    cache = tmp_path / "cache"
    first = audit(corpus, jobs=1, cache=cache)
    (cache / CACHE_FILE).write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(str(cache / CACHE_FILE) + suffix).unlink(missing_ok=True)
    with caplog.at_level(logging.WARNING, logger="auditor.cache"):
        again = audit(corpus, jobs=1, cache=cache)
    assert "not used" in caplog.text
    _same_audit(first, again)


def test_review_decisions_survive_cached_reruns_unchanged(corpus, tmp_path):
    cache, out = tmp_path / "cache", tmp_path / "out"
    first = audit(corpus, jobs=1, cache=cache, out_dir=out)
    assert len(first.conflicts), "the generated corpus has conflicting tolls"
    conflict = first.conflicts["conflict_id"].iloc[0]
    first.review(conflict, "confirmed", "two different strikes")
    stored = (out / "review.sqlite").read_bytes()

    _edit(sorted(corpus.iterdir())[7])
    again = audit(corpus, jobs=1, cache=cache, out_dir=out)
    row = again.conflicts.set_index("conflict_id").loc[conflict]
    assert (row["decision"], row["note"]) == ("confirmed", "two different strikes")
    assert (out / "review.sqlite").read_bytes() == stored  # the cache never writes decisions


def test_a_table_that_cannot_be_hashed_is_built_without_the_cache(corpus, tmp_path):
    from auditor.cache import ArticleCache

    result = audit(corpus, jobs=1)
    figures = result.figures.assign(group_id="", incident_id="")
    figures["evidence"] = [[k] for k in range(len(figures))]  # lists: pandas cannot hash them
    store = ArticleCache(tmp_path / "cache")
    cache = claims.ClaimBatchCache(store, "v1")
    built = claims.build_claims_by_blocks(figures, result.articles, claims.run_here, 1, cache=cache)
    assert cache.built == 0 and cache.reused == 0
    for mine, theirs in zip(built, claims.build_claims(figures, result.articles)):
        pd.testing.assert_frame_equal(mine, theirs)
    store.close()


def test_a_later_run_in_another_process_reuses_every_bucket(corpus, tmp_path):
    """Each run is a new process with its own string hash seed: the stored claims must still be found
    (a key that follows the seed, e.g. a frozenset's repr, would rebuild every bucket on every run)."""
    import os
    import subprocess

    def run(out: str, seed: str) -> int:
        subprocess.run([sys.executable, "-m", "auditor.cli", "run", str(corpus), "--out", str(tmp_path / out),
                        "--cache", str(tmp_path / "cache"), "--quiet", "--jobs", "1"],
                       check=True, env={**os.environ, "PYTHONHASHSEED": seed})
        with sqlite3.connect(tmp_path / "cache" / CACHE_FILE) as db:
            return db.execute("SELECT count(*) FROM claim_batches").fetchone()[0]

    stored = run("first", "1")
    assert stored > 10
    assert run("second", "2") == stored  # every bucket found: none stored again under another digest
    for name in ("groups.csv", "conflicts.csv"):
        assert (tmp_path / "second" / name).read_bytes() == (tmp_path / "first" / name).read_bytes()


def test_a_batch_that_cannot_be_stored_leaves_nothing_half_written_and_the_store_in_use(tmp_path):
    """Batches are packed one at a time as SQLite takes them, each compressed as it is pickled (no whole
    pickle held); a value that cannot be packed stops the put, keeps none of its batches, and the store
    goes on working."""
    import threading

    from auditor.cache import ArticleCache

    store = ArticleCache(tmp_path / "cache")
    # big columns too: a pickler hands their buffers over whole (PickleBuffer), not in frames
    frames = (pd.DataFrame({"a": np.arange(300_000)}), pd.DataFrame({"b": pd.array(["x"] * 300_000, dtype="str")}),
              pd.DataFrame())
    with pytest.raises(TypeError):
        store.put_claim_batches([("first", frames), ("second", (threading.Lock(), None, None))])
    assert store.get_claim_batches(["first", "second"]) == {}
    store.put_claim_batches([("third", frames)])
    assert list(store.get_claim_batches(["third"])) == ["third"]
    stored = store.get_claim_batches(["third"])["third"]
    assert all(a.equals(b) for a, b in zip(stored, frames))


def _claim_run_files(cache: Path) -> list[Path]:
    from auditor.cache import CLAIM_RUNS

    return sorted((cache / CLAIM_RUNS).glob("*.arrow"))


def test_a_bucket_a_task_built_alone_is_kept_as_its_run_files_and_reused_from_them(corpus, tmp_path, batch_caches,
                                                                                    on_workers, monkeypatch, caplog):
    """A claims task that holds one bucket (a big blocking key's: streamed, its tables never whole in
    memory) stores it as its three run files, not pickled into SQLite; parallel and one-process re-runs
    reuse them and give the audit built without the cache; a file gone is built again with a warning."""
    monkeypatch.setattr(claims, "_CLAIM_ROWS_PER_TASK", 1)  # a task per bucket, as a big key gets
    cache = tmp_path / "cache"
    first = audit(corpus, jobs=2, cache=cache)
    n_buckets = batch_caches[-1].built
    assert n_buckets > 10
    files = _claim_run_files(cache)
    assert len(files) == 3 * n_buckets
    with sqlite3.connect(cache / CACHE_FILE) as db:
        assert db.execute("SELECT count(*) FROM claim_batches").fetchone()[0] == n_buckets
        # the entries name files: none holds a table
        assert db.execute("SELECT max(length(frames)) FROM claim_batches").fetchone()[0] < 500
    uncached = audit(corpus, jobs=2)
    _same_audit(first, uncached)

    again = audit(corpus, jobs=2, cache=cache)
    assert (batch_caches[-1].built, batch_caches[-1].reused) == (0, n_buckets)
    _same_audit(again, uncached)
    in_one_process = audit(corpus, jobs=1, cache=cache)  # the files read as tables
    assert (batch_caches[-1].built, batch_caches[-1].reused) == (0, n_buckets)
    _same_audit(in_one_process, audit(corpus, jobs=1))

    files[len(files) // 2].unlink()
    with caplog.at_level(logging.WARNING, logger="auditor.cache"):
        rebuilt = audit(corpus, jobs=2, cache=cache)
    assert "files of a stored claims batch are gone" in caplog.text
    assert (batch_caches[-1].built, batch_caches[-1].reused) == (1, n_buckets - 1)
    _same_audit(rebuilt, uncached)
    assert len(_claim_run_files(cache)) == 3 * n_buckets  # stored again

    for jobs in (2, 1):  # copied for a merge, or read as tables
        files[0].write_bytes(b"not an Arrow file")
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            damaged = audit(corpus, jobs=jobs, cache=cache)
        assert "stored claims batch could not be" in caplog.text
        assert batch_caches[-1].built == 1
        _same_audit(damaged, uncached if jobs == 2 else in_one_process)


def test_run_files_no_entry_names_are_removed_once_old(tmp_path):
    """Entries expire and are pruned in SQLite alone: the next opening of the store removes the files
    no entry names (and copies left half-made by a killed run) once they are an hour old, never the
    files of a live entry nor a young file whose entry may still be on its way."""
    import os
    import time

    from auditor._spill import read_run, write_run
    from auditor.cache import CLAIM_RUNS, ArticleCache

    frames = [pd.DataFrame({"value": np.arange(k, k + 5000)}) for k in range(3)]
    sources = [write_run(tmp_path / f"run-{k}.arrow", frame, pa.schema([("value", pa.int64())]))
               for k, frame in enumerate(frames)]
    store = ArticleCache(tmp_path / "cache")
    store.put_claim_runs("live", sources)
    store.put_claim_runs("pruned", sources)
    store.close()
    folder = tmp_path / "cache" / CLAIM_RUNS
    kept = sorted(folder.glob("live.*"))
    assert [read_run(path).equals(frame) for path, frame in zip(kept, frames)] == [True] * 3
    assert sum(p.stat().st_size for p in kept) < sum(Path(p).stat().st_size for p in sources) / 2  # compressed
    with sqlite3.connect(tmp_path / "cache" / CACHE_FILE) as db:
        db.execute("DELETE FROM claim_batches WHERE key = 'pruned'")
    (folder / ".half-made.part").write_bytes(b"x")
    (folder / "young.0.arrow").write_bytes(b"x")
    old = time.time() - 2 * 3600
    for path in folder.iterdir():
        if not path.name.startswith("young"):
            os.utime(path, (old, old))

    ArticleCache(tmp_path / "cache").close()
    assert sorted(p.name for p in folder.iterdir()) == ["live.0.arrow", "live.1.arrow", "live.2.arrow",
                                                        "young.0.arrow"]
    store = ArticleCache(tmp_path / "cache")
    assert list(store.get_claim_batches(["live"])) == ["live"]
    store.close()


@pytest.mark.parametrize("chunk_rows, digest_rows", [(7, 5), (4_096, 65_536)])
def test_a_spilled_tables_row_hashes_are_read_back_from_a_file_with_the_digests_of_the_frame(
        corpus, tmp_path, monkeypatch, chunk_rows, digest_rows):
    """The hashes of a spilled table's rows (two numbers per figure) are not held between hashing and
    digesting; the layout and the buckets' digests are those of the same rows in memory, however
    many rows are hashed and read back at a time."""
    from test_claims_spill import _spilled

    from auditor.cache import ArticleCache

    result = audit(corpus, jobs=1)
    figures, articles = result.figures.assign(group_id="", incident_id=""), result.articles
    store = ArticleCache(tmp_path / "cache")
    buckets = _all_buckets(figures)
    in_memory = claims.ClaimBatchCache(store, "v1")
    assert in_memory.read_rows(figures, articles, claims._article_rows_of(figures, articles)) is None
    expected = in_memory.digests(buckets)
    monkeypatch.setattr(claims, "_HASH_CHUNK_ROWS", chunk_rows)
    monkeypatch.setattr(claims, "_DIGEST_ROWS", digest_rows)
    (tmp_path / "spill").mkdir()
    spilled = _spilled(figures, tmp_path / "spill")
    try:
        cache = claims.ClaimBatchCache(store, "v1")
        cache.read_rows(spilled, articles, claims._article_rows_of(spilled, articles))
        assert not [name for name, value in vars(cache).items()
                    if isinstance(value, np.ndarray) and len(value) >= len(figures)]
        assert cache._layout_key == in_memory._layout_key
        assert cache.digests(buckets) == expected and len(expected) > 10
    finally:
        spilled.remove()
        store.close()


def test_a_spilled_cached_run_packs_the_buckets_to_build_then_gives_each_stored_bucket_a_batch(monkeypatch):
    """Each figure's batch, found from a number per bucket, is the one the in-memory run's batches of rows
    give it: the buckets to build packed (:func:`~auditor.claims._packed`), then one per stored bucket."""
    monkeypatch.setattr(claims, "_CLAIM_ROWS_PER_TASK", 150)  # several batches to pack into
    rng = np.random.default_rng(5)
    for _ in range(60):
        bucket_of_row = rng.integers(0, 70, rng.integers(1, 3_000)).astype(np.int16)
        present = np.unique(bucket_of_row)
        stored = rng.choice(present, rng.integers(0, len(present) + 1), replace=False).tolist()
        got, n_built = claims._batches_of_buckets(bucket_of_row, stored, 2)
        missing = np.flatnonzero(~np.isin(bucket_of_row, stored))
        built = [missing[rows] for rows in claims._packed(bucket_of_row[missing], claims._n_batches(len(missing), 2))
                 ] if len(missing) else []
        held = [np.flatnonzero(bucket_of_row == bucket) for bucket in stored]
        assert n_built == len(built)
        assert got.tolist() == claims._batch_of_row(built + held, len(bucket_of_row)).tolist()

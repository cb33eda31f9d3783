"""The figure cache is bounded: past its size, the entries used least recently are removed."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from auditor.audit import audit
from auditor.cache import CACHE_FILE, CLAIM_RUNS, ArticleCache, StoredRuns
from auditor.cli import main

# Three conflicts, three outlets each: every article's figures are its own entry
_EVENTS = {
    "sudan": ("El Fasher", "civilians were killed", "the health ministry said", "2024-06-02"),
    "ukraine": ("Kharkiv", "people were wounded in a missile strike", "the governor said", "2024-05-12"),
    "haiti": ("Port-au-Prince", "people were displaced by gang attacks", "the IOM said", "2024-03-09"),
}


def _write_corpus(folder: Path, event: str, outlets: int = 3) -> Path:
    place, what, credit, day = _EVENTS[event]
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(outlets):
        text = (f"---\ntitle: {place} {k}\noutlet: Outlet {k}\npublished: {day}\n---\n"
                f"At least {40 + k} {what} in {place} on Saturday, {credit}. "
                f"More than {2000 + 10 * k} families fled {place}, aid groups said.\n")
        (folder / f"{event}-{k}.txt").write_text(text, encoding="utf-8")
    return folder


def _keys(folder: Path, table: str = "figures") -> set[str]:
    with sqlite3.connect(folder / CACHE_FILE) as db:
        return {row[0] for row in db.execute(f"SELECT key FROM {table}")}


def _size(folder: Path) -> int:
    store = ArticleCache(folder, tidy=False)
    try:
        return store.size()
    finally:
        store.close()


def test_a_cache_under_its_size_is_left_as_it_is(tmp_path):
    cache = tmp_path / "cache"
    audit(_write_corpus(tmp_path / "a", "sudan"), jobs=1, cache=cache)
    stored = _keys(cache)
    store = ArticleCache(cache)
    try:
        assert store.keep_within(store.size()) == 0
    finally:
        store.close()
    assert _keys(cache) == stored and len(stored) == 3


def _entries(store: ArticleCache, prefix: str, n: int = 10, used: float | None = None) -> list[str]:
    """``n`` entries of ~30 KB each (random: they do not compress) under keys starting ``prefix``, last
    used at ``used`` (default now)."""
    keys = [f"{prefix}{k:063d}" for k in range(n)]
    store.put_many((key, [(os.urandom(30_000),)]) for key in keys)
    if used is not None:
        store._db.executemany("UPDATE figures SET used = ? WHERE key = ?", [(used, key) for key in keys])
    return keys


def test_the_entries_used_longest_ago_go_first(tmp_path):
    store = ArticleCache(tmp_path)
    try:
        now = time.time()
        oldest = _entries(store, "a", used=now - 3 * 86400)
        stored_later = _entries(store, "b", used=now - 2 * 86400)
        used_again = _entries(store, "c", used=now - 4 * 86400)
        assert len(store.get_many(used_again)) == 10  # used by this run: the most recent now
        assert store.size() > 900_000
        store.keep_within(850_000)  # pruned to 680,000 bytes: room for two of the three
        assert store.get_many(oldest) == {}
        assert len(store.get_many(stored_later)) == 10
        assert len(store.get_many(used_again)) == 10
        assert store.size() <= 0.8 * 850_000
    finally:
        store.close()


def test_a_removed_entry_is_built_again_into_the_same_audit(tmp_path, opened_caches):
    cache = tmp_path / "cache"
    corpus = _write_corpus(tmp_path / "a", "sudan")
    first = audit(corpus, jobs=1, cache=cache)
    store = ArticleCache(cache)
    try:
        store.keep_within(1)  # everything goes
    finally:
        store.close()
    assert _keys(cache) == set() and _keys(cache, "claim_batches") == set()
    opened_caches.clear()
    again = audit(corpus, jobs=1, cache=cache)
    assert (opened_caches[0].hits, opened_caches[0].misses) == (0, 3)
    assert again.figures.equals(first.figures) and again.conflicts.equals(first.conflicts)


def test_a_run_ends_with_the_cache_within_its_size(tmp_path):
    cache = tmp_path / "cache"
    corpus = _write_corpus(tmp_path / "a", "sudan", outlets=12)
    audit(corpus, jobs=1, cache=cache)
    full = _size(cache)
    audit(_write_corpus(tmp_path / "b", "haiti", outlets=12), jobs=1, cache=cache, cache_size=full)
    assert _size(cache) <= 0.8 * full
    # the file itself shrank back (the pages freed are not kept for later entries)
    assert os.path.getsize(cache / CACHE_FILE) <= full


def _stored_runs(store: ArticleCache, key: str, size: int) -> list[Path]:
    """A bucket kept as run files (their bytes do not matter here: only their size)."""
    folder = store.folder / CLAIM_RUNS
    folder.mkdir(exist_ok=True)
    names = tuple(f"{key}.{k}.arrow" for k in range(3))
    for name in names:
        (folder / name).write_bytes(os.urandom(size))
    store.put_claim_batches([(key, StoredRuns(names))])
    return [folder / name for name in names]


def test_a_bucket_kept_as_run_files_counts_them_and_goes_with_them(tmp_path):
    store = ArticleCache(tmp_path)
    try:
        old = _stored_runs(store, "a" * 64, 200_000)
        time.sleep(0.01)
        new = _stored_runs(store, "b" * 64, 200_000)
        assert store.size() > 1_200_000  # the six files
        store.keep_within(1_000_000)
        assert not any(path.exists() for path in old)
        assert all(path.exists() for path in new)
        assert set(store.get_claim_batches(["a" * 64, "b" * 64])) == {"b" * 64}
        assert store.size() <= 800_000
    finally:
        store.close()


def test_a_run_file_being_copied_in_is_never_removed(tmp_path):
    store = ArticleCache(tmp_path)
    try:
        _stored_runs(store, "a" * 64, 100_000)
        arriving = tmp_path / CLAIM_RUNS / ".copy.part"
        arriving.write_bytes(os.urandom(100_000))
        store.keep_within(150_000)
        assert arriving.exists()
        assert store.get_claim_batches(["a" * 64]) == {}
    finally:
        store.close()


def test_a_store_made_before_stores_were_bounded_is_rewritten_once_and_shrinks(tmp_path):
    # An older store: no incremental vacuum (its freed pages stayed in the file)
    with sqlite3.connect(tmp_path / CACHE_FILE) as db:
        db.execute("CREATE TABLE figures (key TEXT PRIMARY KEY, rows BLOB NOT NULL, used REAL NOT NULL)")
        assert db.execute("PRAGMA auto_vacuum").fetchone()[0] == 0
    store = ArticleCache(tmp_path)
    try:
        now = time.time()
        store.put_many((f"{k:064d}", [(os.urandom(30_000).hex(),)]) for k in range(40))
        store._db.execute("UPDATE figures SET used = ? WHERE key < ?", (now - 100, f"{30:064d}"))
        before = store.size()
        assert before > 1_000_000
        store.keep_within(600_000)
        assert store._db.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental from now on
        kept = set(store.get_many([f"{k:064d}" for k in range(40)]))
        assert {f"{k:064d}" for k in range(30, 40)} <= kept  # the last used
        assert len(kept) < 20
    finally:
        store.close()
    assert os.path.getsize(tmp_path / CACHE_FILE) <= 600_000 < before


def test_cli_cache_size_bounds_the_cache_and_rejects_a_size_that_is_none(tmp_path, capsys):
    cache = tmp_path / "cache"
    corpus = _write_corpus(tmp_path / "a", "ukraine", outlets=10)
    assert main(["run", str(corpus), "--out", str(tmp_path / "out"), "--cache", str(cache), "--quiet",
                 "--jobs", "1", "--cache-size", "40KB"]) == 0
    assert _size(cache) <= 40 * 1024
    with pytest.raises(SystemExit) as stopped:
        main(["run", str(corpus), "--out", str(tmp_path / "out"), "--cache-size", "0"])
    assert stopped.value.code == 2
    assert "not a size" in capsys.readouterr().err


@pytest.mark.parametrize("size", [0, -1, 1.5, True])
def test_audit_refuses_a_cache_size_that_is_not_a_positive_number_of_bytes(tmp_path, size):
    with pytest.raises(ValueError, match="cache_size"):
        audit(_write_corpus(tmp_path / "a", "haiti"), jobs=1, cache=tmp_path / "cache", cache_size=size)

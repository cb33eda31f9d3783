"""On a Dask cluster the workers read the files (a shared filesystem), or this process reads them for
workers that cannot see them: either way articles, errors, figures and texts equal a local run's."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

from auditor import readers  # noqa: E402
from auditor._parallel import WorkerPool  # noqa: E402
from auditor.audit import _read_and_extract  # noqa: E402
from auditor.cache import ArticleCache  # noqa: E402
from auditor.cluster import read_and_extract_on_cluster, workers_see_files  # noqa: E402
from auditor.readers import ReadOptions, ReadTask, plan_reads  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from make_corpus import write_corpus, write_jsonl  # noqa: E402


@pytest.fixture(scope="module")
def client():
    """A client of a scheduler and two single-threaded worker processes on 127.0.0.1, all stopped
    after the module. The workers start in this process's working folder."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None, silence_logs=40)
    try:
        with distributed.Client(cluster, set_as_default=False) as connected:
            yield connected
    finally:
        cluster.close()


def _mixed(folder: Path) -> Path:
    """Wire stories as .txt, a JSON Lines file cut into parts (one line broken, one id repeated),
    an empty file and a binary one."""
    write_corpus(30, folder / "wires", seed=21)
    (jsonl,) = write_jsonl(400, folder / "feeds", seed=22)
    lines = jsonl.read_text(encoding="utf-8").splitlines()
    repeated = json.loads(lines[5])["id"]
    lines[250] = json.dumps({**json.loads(lines[250]), "id": repeated})  # same id, in a later part
    lines[120] = '{"id": "broken", "text": "12 killed'  # invalid JSON
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "wires" / f"{json.loads(lines[7])['id']}.txt").write_text(  # a .txt with a feed line's id
        "Sudan clashes\n\nAt least 14 people were killed in El Fasher on Tuesday, medics said.\n", encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blob.txt").write_bytes(bytes(range(256)) * 8)
    return folder


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return _mixed(tmp_path_factory.mktemp("mixed"))


def _local(paths, store=None):
    pool = WorkerPool(1)
    try:
        return _read_and_extract(paths, ReadOptions(), pool, store, None)
    finally:
        pool.close()


def _assert_same(local, remote) -> None:
    for a, b in zip(local[:3], remote[:3]):
        pd.testing.assert_frame_equal(a, b)
    assert dict(local[3]) == dict(remote[3])


@pytest.fixture
def reads_here(monkeypatch):
    """Every file (or part) this process reads through the readers."""
    done: list[str] = []
    read_task, read_file = readers.read_task, readers._read_file
    monkeypatch.setattr(readers, "read_task", lambda task, *a: done.append(str(task.path)) or read_task(task, *a))
    monkeypatch.setattr(readers, "_read_file", lambda path, *a: done.append(str(path)) or read_file(path, *a))
    return done


@pytest.fixture
def submitted(client, monkeypatch):
    """The name and arguments of every task sent to the cluster (the tasks still run)."""
    sent: list[tuple[str, tuple]] = []
    real = type(client).submit

    def spy(self, function, *args, **kwargs):
        sent.append((function.__name__, args))
        return real(self, function, *args, **kwargs)

    monkeypatch.setattr(type(client), "submit", spy)
    return sent


def test_the_workers_read_the_files_and_the_result_equals_a_local_run(client, corpus, reads_here, submitted):
    remote = read_and_extract_on_cluster(corpus, ReadOptions(), None, client)
    assert reads_here == []  # no text read here ...
    local = _local(corpus)
    tasks = [t for t in plan_reads(corpus, ReadOptions(), part_bytes=64_000) if isinstance(t, ReadTask)]
    assert sum(not t.whole for t in tasks) >= 3  # ... though a file was cut into parts
    _assert_same(local, remote)
    articles, errors = remote[0], remote[1]
    assert articles["article_id"].is_unique and articles["article_id"].str.endswith("~2").sum() >= 2
    assert {"empty.txt", "blob.txt"} <= {Path(p).name for p in errors["path"]}
    assert any("line 121" in e for e in errors["error"])
    assert len(remote[2]) > 500
    # without a cache one task per batch reads and extracts: the texts never leave the worker
    assert {name for name, _args in submitted} == {"_read_and_extract", "_renamed_rows"}
    done = client.run(lambda dask_worker: dask_worker.state.executed_count)
    assert all(n > 0 for n in done.values())


def test_the_cache_is_used_here_and_a_rerun_extracts_only_what_changed(client, tmp_path, submitted):
    corpus = _mixed(tmp_path / "corpus")
    folder = tmp_path / "cache"
    store = ArticleCache(folder)
    try:
        first = read_and_extract_on_cluster(corpus, ReadOptions(), store, client)
        extracted = [args[2] for name, args in submitted if name == "_extract_read"]
        renamed = first[0]["article_id"].str.contains("~").sum()
        assert sum(len(i) for todo in extracted for i in todo) == len(first[0])
        assert sum(name == "_renamed_rows" for name, _ in submitted) == renamed > 0
        submitted.clear()
        again = read_and_extract_on_cluster(corpus, ReadOptions(), store, client)
        assert not [name for name, _ in submitted if name == "_extract_read"]  # nothing extracted again
        _assert_same(first, again)
        story = sorted((corpus / "wires").glob("*.txt"))[3]
        story.write_text(story.read_text(encoding="utf-8") + "\nLater, officials said 9 more had died.\n",
                         encoding="utf-8")
        submitted.clear()
        changed = read_and_extract_on_cluster(corpus, ReadOptions(), store, client)
    finally:
        store.close()
    todo = [i for name, args in submitted if name == "_extract_read" for task in args[2] for i in task]
    assert todo == [0]  # the changed story only
    _assert_same(_local(corpus), changed)
    # nothing sent to the workers names the cache: they never open it
    assert not any(isinstance(a, ArticleCache) or str(folder) in str(a) for _name, args in submitted for a in args)


def test_workers_that_cannot_see_the_files_get_the_articles_read_here(client, corpus, tmp_path, monkeypatch,
                                                                      reads_here, caplog):
    # relative paths from another working folder than the workers' own: they do not find the files
    monkeypatch.chdir(corpus.parent)
    given = Path(corpus.name)
    assert not workers_see_files(client, [ReadTask(given / "empty.txt", 0)])
    assert workers_see_files(client, [ReadTask(corpus.resolve() / "empty.txt", 0)])
    with caplog.at_level(logging.WARNING, logger="auditor.cluster"):
        remote = read_and_extract_on_cluster(given, ReadOptions(), None, client)
    assert "do not see the files" in caplog.text
    assert len(reads_here) > 30  # read here ...
    reads_here.clear()
    _assert_same(_local(given), remote)  # ... the same audit, its texts read back from the files


def test_the_fallback_uses_the_cache_here_too(client, tmp_path):
    corpus = _mixed(tmp_path / "corpus")
    store = ArticleCache(tmp_path / "cache")
    try:
        first = read_and_extract_on_cluster(corpus, ReadOptions(), store, client, files_on_workers=False)
        hits = store.hits
        again = read_and_extract_on_cluster(corpus, ReadOptions(), store, client, files_on_workers=False)
        assert store.hits - hits >= len(first[0]) - first[0]["article_id"].str.contains("~").sum()
    finally:
        store.close()
    _assert_same(first, again)
    _assert_same(_local(corpus), again)

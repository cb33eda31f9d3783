"""Extraction across processes: the same figures as one process, in input order, streamed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from auditor import _parallel
from auditor.audit import _figure_rows, extract_all, figures_frame
from auditor.extract import extract_figures
from auditor.model import Article
from auditor.readers import load_articles

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from make_corpus import write_corpus  # noqa: E402


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[Article]:
    folder = tmp_path_factory.mktemp("corpus")
    write_corpus(320, folder, seed=3)
    articles = load_articles(folder).articles
    assert sum(a.chars for a in articles) > _parallel.PARALLEL_MIN_CHARS  # big enough to use the pool
    return articles


def test_two_processes_give_the_same_figures_in_the_same_order(corpus):
    one = figures_frame(_figure_rows(corpus, jobs=1))
    two = figures_frame(_figure_rows(corpus, jobs=2))
    assert len(one) > 1000
    assert one.equals(two)
    # reading order: articles in input order, figures in text order inside each
    order = {a.article_id: i for i, a in enumerate(corpus)}
    ranks = list(zip(two["article_id"].map(order), two["start"]))
    assert ranks == sorted(ranks)


def test_extract_all_returns_the_figures_extract_figures_finds(corpus):
    sample = corpus[:25]
    expected = [f for a in sample for f in extract_figures(a)]
    assert extract_all(sample, jobs=2) == expected


def test_articles_are_read_lazily_a_bounded_window_at_a_time(corpus):
    consumed = 0

    def articles():
        nonlocal consumed
        for article in corpus:
            consumed += 1
            yield article

    stream = _parallel.extract_stream(articles(), jobs=2, chunk_chars=5_000)
    first_article, _rows = next(stream)
    assert first_article is corpus[0]
    per_chunk = 5_000 // min(a.chars for a in corpus) + 1
    # a window of 3 chunks per worker (plus the chunk being cut), never the whole corpus
    assert consumed <= (2 * 3 + 2) * per_chunk < len(corpus)
    rest = list(stream)
    assert [a for a, _ in rest] == corpus[1:]
    assert consumed == len(corpus)


def _damaged(articles, convention=None):
    raise ValueError("rule table damaged")


def test_a_failing_chunk_stops_the_run_with_the_workers_error(monkeypatch, corpus):
    monkeypatch.setattr(_parallel, "extract_rows", _damaged)
    with pytest.raises(ValueError, match="rule table damaged"):
        list(_parallel.extract_stream(corpus, jobs=2))


def test_forking_the_workers_leaves_what_the_host_froze_frozen():
    """A host that froze its objects for its own forks (gc.freeze, as preforking servers do) keeps them
    frozen after the auditor forks its workers."""
    import gc

    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        pool = _parallel.forked_pool(1)
        pool.shutdown()
        assert gc.get_freeze_count() >= frozen > 0
    finally:
        gc.unfreeze()


def test_jobs_are_capped_to_the_cores():
    cores = _parallel.default_jobs(None)
    assert cores >= 1
    assert _parallel.default_jobs(256) == cores
    assert _parallel.default_jobs(1) == 1


def test_workers_end_with_their_parent_even_on_kill_9(tmp_path):
    """An orphaned worker would wait for tasks forever, holding what it inherited (the --out lock)."""
    import os
    import signal
    import subprocess
    import time

    code = ("import os, time\n"
            "from auditor._parallel import WorkerPool\n"
            "pool = WorkerPool(2)\n"
            "pids = {pool.submit(os.getpid).result() for _ in range(20)}\n"
            "print(*pids, flush=True)\n"
            "time.sleep(600)\n")
    run = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        workers = [int(pid) for pid in run.stdout.readline().split()]
    finally:
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=30)
        run.stdout.close()
    assert workers

    def alive(pid):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + 20
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in workers)

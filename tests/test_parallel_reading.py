"""Reading in the workers: big JSON Lines files cut into parts, texts read back on demand, errors named.

A local audit with several workers reads and extracts in the workers; it must give exactly what
reading everything here and extracting in one process gives.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from auditor import _parallel
from auditor.audit import _figure_rows, audit, figures_frame
from auditor.claims import build_claims, build_claims_by_blocks
from auditor.readers import ArticleTexts, ReadTask, TextChanged, load_articles, plan_reads, read_task

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from make_corpus import write_corpus, write_jsonl  # noqa: E402


@pytest.fixture(scope="module")
def wires(tmp_path_factory) -> Path:
    """One JSON Lines file of 400 wire stories with a broken line, a non-object line, a repeated
    id and a record without text spread through it."""
    folder = tmp_path_factory.mktemp("wires")
    (path,) = write_jsonl(400, folder, seed=4)
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[57] = '{"id": "broken", "text": "12 killed'  # not valid JSON
    lines[150] = "[1, 2, 3]"
    lines[233] = json.dumps({**json.loads(lines[233]), "id": json.loads(lines[10])["id"]})
    lines[301] = json.dumps({"id": "no-text", "title": "Sinjar"})
    path.write_text("\n".join(lines), encoding="utf-8")
    return folder


def _expected(folder: Path) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    loaded = load_articles(folder)
    return figures_frame(_figure_rows(loaded.articles, jobs=1)), [(e.path, e.error) for e in loaded.errors]


def test_a_jsonl_file_is_cut_into_parts_that_read_as_the_whole(wires):
    tasks = [t for t in plan_reads(wires, part_bytes=20_000) if isinstance(t, ReadTask)]
    assert len(tasks) > 5 and all(not t.whole for t in tasks)
    assert tasks[0].start == 0 and tasks[-1].end == tasks[-1].path.stat().st_size
    assert all(a.end == b.start for a, b in zip(tasks, tasks[1:]))
    articles, errors = [], []
    for task in tasks:
        found, failed = read_task(task)
        articles += found
        errors += failed
    whole = load_articles(wires)
    assert [a.text for a in articles] == [a.text for a in whole.articles]
    # the same errors with the same line numbers (ids are made unique by the caller)
    assert [(e.path, e.error) for e in errors] == [(e.path, e.error) for e in whole.errors]
    assert any("line 58: not valid JSON" in e.error for e in errors)


def test_a_jsonl_file_split_across_workers_gives_the_same_figures_ids_and_errors(wires, monkeypatch):
    monkeypatch.setattr(_parallel, "TASK_BYTES", 20_000)
    figures, errors = _expected(wires)
    result = audit(wires, jobs=2)
    assert len(figures) > 1000
    pd.testing.assert_frame_equal(result.figures[list(figures.columns)].drop(columns=["group_id", "incident_id"]),
                                  figures.drop(columns=["group_id", "incident_id"]))
    assert list(result.errors.itertuples(index=False, name=None)) == errors
    # the repeated id is renamed, and its figures carry (and hash) the new id
    assert result.articles["article_id"].is_unique
    renamed = result.articles["article_id"][result.articles["article_id"].str.endswith("~2")]
    assert len(renamed) == 1
    assert set(figures.loc[figures["article_id"] == renamed.iloc[0], "figure_id"]) == \
        set(result.figures.loc[result.figures["article_id"] == renamed.iloc[0], "figure_id"])


def test_one_and_two_workers_write_the_same_audit(wires):
    one, two = audit(wires, jobs=1), audit(wires, jobs=2)
    for name in ("articles", "figures", "groups", "conflicts", "errors"):
        pd.testing.assert_frame_equal(getattr(one, name), getattr(two, name))


def test_texts_are_not_held_but_read_back_and_checked(tmp_path):
    folder = tmp_path / "corpus"
    write_corpus(120, folder, seed=8)
    result = audit(folder, jobs=2)
    assert isinstance(result.texts, ArticleTexts)
    assert len(result.texts) == len(result.articles)
    assert not any(isinstance(v, str) for v in vars(result.texts).values())
    for row in result.figures.head(200).itertuples():
        text = result.texts[row.article_id]
        assert text[row.start:row.end] == row.surface
    first = result.articles.iloc[0]
    path = Path(first["path"])
    path.write_text(path.read_text(encoding="utf-8").replace("killed", "slain"), encoding="utf-8")
    kept = result.texts
    fresh = ArticleTexts(kept._tasks, list(kept._where), [kept._digests[i] for i in kept._where],
                         *zip(*kept._where.values()))  # no text kept in memory
    with pytest.raises(TextChanged, match="changed since it was audited"):
        fresh[first["article_id"]]


def test_a_read_error_in_a_worker_names_the_file_and_the_rest_is_audited(tmp_path):
    folder = tmp_path / "corpus"
    write_corpus(200, folder, seed=2)
    (folder / "m_scan.txt").write_bytes(bytes(range(256)) * 64)  # binary, read by a worker
    (folder / "n_empty.jsonl").write_text("\n\n", encoding="utf-8")
    result = audit(folder, jobs=2)
    expected = [(e.path, e.error) for e in load_articles(folder).errors]
    assert list(result.errors.itertuples(index=False, name=None)) == expected
    assert (str(folder / "m_scan.txt"), "not a text file (binary content)") in expected
    assert len(result.articles) == 200


def test_a_code_page_jsonl_file_is_cut_and_read_in_its_encoding(tmp_path):
    folder = tmp_path / "wires"
    folder.mkdir()
    lines = [json.dumps({"id": f"a{i}", "text": f"Au moins {i + 3} civils ont été tués à Goma, a déclaré l'ONU."},
                        ensure_ascii=False) for i in range(3000)]
    (folder / "fr.jsonl").write_bytes("\n".join(lines).encode("cp1252"))
    tasks = [t for t in plan_reads(folder, part_bytes=20_000) if isinstance(t, ReadTask)]
    assert len(tasks) > 3 and {t.encoding for t in tasks} == {tasks[0].encoding} != {"utf-8"}
    parts = [a.text for t in tasks for a in read_task(t)[0]]
    assert parts == [a.text for a in load_articles(folder).articles]
    assert "été tués" in parts[-1]


def test_claims_built_per_batch_of_blocking_keys_on_the_pool_are_the_same(tmp_path):
    folder = tmp_path / "corpus"
    write_corpus(300, folder, seed=6)
    result = audit(folder, jobs=1)
    figures = result.figures.assign(group_id="", incident_id="")
    expected = build_claims(figures, result.articles)
    pool = _parallel.WorkerPool(2)
    try:
        built = build_claims_by_blocks(figures, result.articles, pool.submit, 2, shared_folder=tmp_path)
    finally:
        pool.close()
    assert (expected[1]["status"] == "conflict").any()
    for mine, theirs in zip(built, expected):
        pd.testing.assert_frame_equal(mine, theirs)
    assert [p.name for p in tmp_path.iterdir()] == ["corpus"]  # the shared folder is removed


def test_figures_typed_in_chunks_equal_figures_typed_whole(monkeypatch):
    """A column empty in one chunk and numeric in another (event_total) or with a gap (location)
    gets the type it has when the whole table is typed at once."""
    from auditor.audit import FigureColumns

    loaded = load_articles(Path(__file__).resolve().parent / "data" / "corpora" / "baiji")
    rows = _figure_rows(loaded.articles, jobs=1)
    assert len(rows) > 8
    rows = [r[:-1] + ((9.0 if i == len(rows) - 2 else None),) for i, r in enumerate(rows)]
    rows = [r[:17] + ((None if i == 1 else r[17]),) + r[18:] for i, r in enumerate(rows)]
    monkeypatch.setattr(FigureColumns, "CHUNK", 4)
    columns = FigureColumns()
    for i in range(0, len(rows), 3):
        columns.extend(rows[i:i + 3])
    frame = columns.frame()
    pd.testing.assert_frame_equal(frame, figures_frame(rows))
    assert str(frame["event_total"].dtype) == "float64"


def test_a_cached_rerun_on_several_workers_starts_none_and_reuses_the_claims(tmp_path, opened_caches, sent_to_workers):
    wires = tmp_path / "wires"
    for path in write_jsonl(400, wires, seed=4):  # clean: reads with errors are never kept
        os.utime(path, (time.time() - 60, time.time() - 60))  # not written just now: its read can be trusted
    first = audit(wires, jobs=2, cache=tmp_path / "cache")
    sent_to_workers.clear()  # the first run's tasks
    again = audit(wires, jobs=2, cache=tmp_path / "cache")
    assert sent_to_workers == []  # every part, its figures and the claims came from the cache
    assert (opened_caches[-1].hits, opened_caches[-1].claim_hits) == (len(again.articles), 1)
    assert opened_caches[-1].file_hits > 1  # the parts of the big file, each cached
    for name in ("articles", "figures", "groups", "conflicts", "errors"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(again, name))


def test_a_cached_rerun_with_one_changed_file_midway_gives_the_uncached_audit(tmp_path, monkeypatch, sent_to_workers):
    """Files are looked up in the cache a group at a time: every file but the changed one comes from the
    cache, only the changed one goes to the workers, and the audit is the uncached one."""
    monkeypatch.setattr(_parallel, "_CACHED_GROUP", 64)  # several lookup groups, the change inside one
    corpus = tmp_path / "corpus"
    paths = sorted(write_corpus(320, corpus, seed=12))  # above PARALLEL_MIN_CHARS: workers are used
    for path in paths:
        os.utime(path, (time.time() - 60, time.time() - 60))  # old enough for its cached read to be trusted
    audit(corpus, jobs=2, cache=tmp_path / "cache")
    changed = paths[170]
    changed.write_text(changed.read_text(encoding="utf-8") + "\nThree traders were killed in Goma on Monday.\n",
                       encoding="utf-8")
    sent_to_workers.clear()  # the first run's tasks
    again = audit(corpus, jobs=2, cache=tmp_path / "cache")
    fresh = audit(corpus, jobs=1)
    sent_paths = {task.path for args in sent_to_workers if args[0] is _parallel._run_batch for task in args[1]}
    assert sent_paths == {changed}  # those before and after it taken from the cache
    for name in ("articles", "figures", "groups", "conflicts", "errors"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(fresh, name))


def test_article_metadata_gathered_in_chunks_is_the_table_of_one_process(wires, monkeypatch):
    """The parent keeps each article's metadata as typed column chunks, not a tuple per article: the
    articles table (a repeated id renamed), the errors and the texts read back are those of one process."""
    from auditor._parallel import article_row
    from auditor.audit import TypedColumns
    from auditor.model import ARTICLE_COLUMNS

    monkeypatch.setattr(_parallel, "TASK_BYTES", 20_000)  # several parts, each its own task
    monkeypatch.setattr(TypedColumns, "CHUNK", 37)  # many chunks of articles (and of figures)
    result = audit(wires, jobs=2)
    loaded = load_articles(wires)
    expected = pd.DataFrame.from_records([article_row(a) for a in loaded.articles], columns=list(ARTICLE_COLUMNS))
    assert len(expected) > 10 * 37 and expected["article_id"].str.endswith("~2").sum() == 1
    pd.testing.assert_frame_equal(result.articles, expected)
    assert list(result.errors.itertuples(index=False, name=None)) == [(e.path, e.error) for e in loaded.errors]
    texts = {a.article_id: a.text for a in loaded.articles}
    for article_id in [*result.articles["article_id"].iloc[::53], *expected["article_id"][expected["article_id"].str.endswith("~2")]]:
        assert result.texts[article_id] == texts[article_id]
    assert len(result.texts) == len(expected) and "broken" not in result.texts


def test_the_last_batches_of_a_run_are_smaller_so_workers_finish_together():
    tasks = [ReadTask(Path(f"/corpus/{i:04}.txt"), 1_000) for i in range(400)]
    batches = list(_parallel.guided(tasks, 64_000, 2))
    assert [t for batch in batches for t in batch] == tasks  # every task once, in order
    sizes = [sum(t.size for t in batch) for batch in batches]
    assert sizes[0] == 50_000  # what is left over 4 per worker, at most 64 KB
    assert sizes == sorted(sizes, reverse=True)  # smaller and smaller
    assert sizes[-8:-1] == [8_000] * 7 and sizes[-1] == 2_000  # down to 1/8 of a full batch, the rest last
    # what follows these tasks (sent later) counts: with as much again behind them, the batches are full
    assert {sum(t.size for t in batch) for batch in _parallel.guided(tasks[:100], 64_000, 2, after=10**6)} \
        == {64_000, 36_000}


def test_the_command_line_process_returns_freed_memory_to_the_system(tmp_path):
    """Arrow's system pool and a fixed mmap threshold in the run's process (the parent of a run holds
    every worker's results for a while: with the default allocators it kept what they freed); the
    process's own pool back once the run ends (``main`` may run inside a caller's process)."""
    import subprocess

    write_corpus(240, tmp_path / "corpus", seed=3)
    code = ("import importlib, pyarrow as pa\nfrom auditor.cli import main\na = importlib.import_module('auditor.audit')\n"
            "before, real, during = pa.default_memory_pool().backend_name, a.audit, []\n"
            "a.audit = lambda *args, **kw: during.append(pa.default_memory_pool().backend_name) or real(*args, **kw)\n"
            f"code = main(['run', {str(tmp_path / 'corpus')!r}, '--out', {str(tmp_path / 'out')!r}, '--quiet', "
            "'--no-cache', '--jobs', '2'])\n"
            "print(code, *during, pa.default_memory_pool().backend_name == before)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert done.stdout.split() == ["0", "system", "True"], done.stderr
    assert (tmp_path / "out" / "figures.csv").stat().st_size > 0


def _dies_on(monkeypatch, poison) -> None:
    """The forked workers (not this process) end abruptly when they read ``poison``."""
    read = _parallel.read_digested
    parent = os.getpid()

    def dying(task, *args, **kwargs):
        if task.path == poison and os.getpid() != parent:
            os._exit(3)  # as a process killed mid-task: no exception, no result
        return read(task, *args, **kwargs)

    monkeypatch.setattr(_parallel, "read_digested", dying)  # inherited by the forked workers
    _forked_probe(monkeypatch)


def _forked_probe(monkeypatch) -> list[int]:
    """The probe forked, as a command line's (``_dies_on``'s patch reaches a forked process only), whatever
    threads earlier tests left running (Dask's offload thread): a list of the threads beyond those
    running when the probe starts, once per probe."""
    import multiprocessing
    import threading

    running = threading.active_count()
    started = []

    def context():
        started.append(threading.active_count() - running)
        return multiprocessing.get_context("fork")

    monkeypatch.setattr(_parallel, "_probe_context", context)
    return started


def test_a_worker_that_dies_mid_run_gives_an_error_naming_the_file(tmp_path, monkeypatch):
    """A worker ending abruptly (a crash, or the system killing it for memory) on one file: the run
    stops with an error naming that file (found by reading the tasks in flight again, one at a time)."""
    folder = tmp_path / "corpus"
    paths = sorted(write_corpus(400, folder, seed=5))  # above PARALLEL_MIN_CHARS: read on workers
    poison = paths[250]
    _dies_on(monkeypatch, poison)
    with pytest.raises(_parallel.WorkerDied, match=f"ended abruptly while reading {poison}"):
        audit(folder, jobs=2)


def test_a_pool_found_broken_as_a_batch_is_sent_gives_the_same_error(tmp_path, monkeypatch):
    """The pool may be marked broken before the results in flight show it: the next batch sent then fails
    at once, and the run stops with the same error naming the file."""
    from concurrent.futures.process import BrokenProcessPool

    from auditor import _article_parts

    folder = tmp_path / "corpus"
    paths = sorted(write_corpus(400, folder, seed=5))
    poison = paths[250]
    submit = _article_parts.submit_batch
    sent = []

    def submitted(pool, batch, *args):
        if any(poison in part for part in sent):
            raise BrokenProcessPool("a child process terminated abruptly")  # as the pool says when it knows
        sent.append([task.path for task in batch])
        return submit(pool, batch, *args)

    _dies_on(monkeypatch, poison)
    monkeypatch.setattr(_article_parts, "submit_batch", submitted)
    with pytest.raises(_parallel.WorkerDied, match=f"ended abruptly while reading {poison}"):
        audit(folder, jobs=2)


def test_the_probe_is_forked_only_once_no_other_thread_runs(tmp_path, monkeypatch):
    """The broken pool's threads are joined before the probe starts: a fork while another thread holds a
    lock would leave the lock held for good in the probe. A process running no other thread forks it."""
    import threading

    folder = tmp_path / "corpus"
    paths = sorted(write_corpus(400, folder, seed=6))
    poison = paths[120]
    with monkeypatch.context() as patch:
        patch.setattr(threading, "active_count", lambda: 1)
        assert _parallel._probe_context().get_start_method() == "fork"
    _dies_on(monkeypatch, poison)
    started = _forked_probe(monkeypatch)
    with pytest.raises(_parallel.WorkerDied, match=f"ended abruptly while reading {poison}"):
        audit(folder, jobs=2)
    assert started == [0]  # no thread of the pool's left


def test_with_another_thread_running_the_probe_is_a_fresh_interpreter(tmp_path):
    """A process running other threads (a notebook's kernel) starts the probe as a new interpreter: it
    reads the tasks again with the run's settings; none ends it here, so the files in flight are named."""
    import threading

    from auditor.profiles import set_profile

    folder = tmp_path / "corpus"
    paths = sorted(write_corpus(6, folder, seed=6))
    tasks = [t for t in plan_reads([folder], part_bytes=_parallel.TASK_BYTES) if isinstance(t, ReadTask)]
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    set_profile("sudan")
    try:
        assert _parallel._probe_context().get_start_method() == "spawn"
        told = _parallel._died_reading(tasks, 2**20, None)
    finally:
        set_profile(None)
        stop.set()
        other.join()
    assert told == (f"a worker process ended abruptly (killed from outside, or out of memory) while reading one "
                    f"of 6 file(s) in flight: {paths[0]} ... {paths[-1]}")


def test_a_cached_rerun_looks_up_about_a_budget_of_text_at_a_time(tmp_path, monkeypatch):
    """The figures of the files looked up together wait here as rows until taken: a group is capped in
    bytes of text as well as in files (parts of a big .jsonl are 64 KB each), and the re-run is the same."""
    corpus = tmp_path / "corpus"
    paths = sorted(write_corpus(320, corpus, seed=5))  # above PARALLEL_MIN_CHARS: workers are used
    for path in paths:
        os.utime(path, (time.time() - 60, time.time() - 60))  # old enough for its cached read to be trusted
    first = audit(corpus, jobs=2, cache=tmp_path / "cache")
    budget = 3 * max(path.stat().st_size for path in paths)
    monkeypatch.setattr(_parallel, "_CACHED_GROUP_BYTES", budget)
    groups: list[int] = []
    real = _parallel._cached_tasks
    monkeypatch.setattr(_parallel, "_cached_tasks",
                        lambda tasks, *args: groups.append(sum(t.size for t in tasks)) or real(tasks, *args))
    again = audit(corpus, jobs=2, cache=tmp_path / "cache")
    assert len(groups) > 5 and max(groups) <= budget + max(path.stat().st_size for path in paths)
    for name in ("articles", "figures", "groups", "conflicts", "errors"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(first, name))

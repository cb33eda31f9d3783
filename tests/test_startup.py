"""The command line's start-up: its workers read and extract while it imports pandas and pyarrow.

``figure-audit run --no-cache`` plans the reads and forks its workers before it imports pandas and
pyarrow (half a second); the workers never import them for extraction (their rows come as tuples),
and the claims step forks new workers that inherit them. The outputs are those of one process.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from auditor import _parallel
from auditor.readers import ReadOptions

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from make_corpus import write_corpus  # noqa: E402

# Runs the command line, writing a line per fork of a pool (was pandas imported here then?) and per batch
# a worker extracted (had that worker imported pandas?) into the file named by argv[1].
_DRIVER = textwrap.dedent("""
    import os, sys
    from auditor import _article_parts, _parallel, cli

    log = sys.argv[1]

    def note(line):
        with open(log, "a") as out:
            out.write(line + "\\n")

    real_fork, real_batch = _parallel.forked_pool, _article_parts._run_batch

    def forked_pool(*args, **kwargs):
        note(f"fork pandas={'pandas' in sys.modules}")
        return real_fork(*args, **kwargs)

    def run_batch(*args, **kwargs):
        done = real_batch(*args, **kwargs)
        note(f"batch {os.getpid()} pandas={'pandas' in sys.modules} pyarrow={'pyarrow' in sys.modules}")
        return done

    _parallel.forked_pool, _article_parts._run_batch = forked_pool, run_batch
    sys.exit(cli.main(sys.argv[2:]))
""")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("startup") / "corpus"
    write_corpus(300, folder, seed=13)  # above PARALLEL_MIN_CHARS: read on workers
    return folder


def _run(*args: object, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "auditor.cli", "run", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


def test_workers_extract_without_pandas_and_the_outputs_are_those_of_one_process(corpus, tmp_path):
    log = tmp_path / "forks.log"
    script = tmp_path / "driver.py"
    script.write_text(_DRIVER, encoding="utf-8")
    early = tmp_path / "early"
    done = subprocess.run([sys.executable, str(script), str(log), "run", str(corpus), "--out", str(early),
                           "--no-cache", "--jobs", "2", "--quiet"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = log.read_text(encoding="utf-8").splitlines()
    forks = [line for line in lines if line.startswith("fork")]
    batches = [line for line in lines if line.startswith("batch")]
    # the reading workers forked before pandas was imported here; the claims step's after (inheriting it)
    assert forks[0] == "fork pandas=False"
    assert "fork pandas=True" in forks[1:]
    assert len(batches) > 4 and len({line.split()[1] for line in batches}) == 2  # both workers extracted
    assert all(line.endswith("pandas=False pyarrow=False") for line in batches), batches[:3]
    alone = tmp_path / "alone"
    one = _run(corpus, "--out", alone, "--no-cache", "--jobs", "1", "--quiet")
    assert one.returncode == 0, one.stderr
    for name in ("articles.csv", "figures.csv", "groups.csv", "conflicts.csv", "errors.csv"):
        assert (early / name).read_bytes() == (alone / name).read_bytes(), name


def test_a_bad_out_folder_stops_the_workers_started_early(corpus, tmp_path):
    out = tmp_path / "out.csv"
    out.write_text("not a folder", encoding="utf-8")
    started = time.monotonic()
    done = _run(corpus, "--out", out, "--no-cache", "--jobs", "2", timeout=120)
    assert done.returncode == 2
    assert "is a file, not a folder" in done.stderr and str(out) in done.stderr
    assert out.read_text(encoding="utf-8") == "not a folder"
    assert time.monotonic() - started < 60  # not after the whole corpus was extracted


def test_results_taken_on_a_thread_come_in_order(corpus):
    pool = _parallel.WorkerPool(2)
    try:
        planned = _parallel.plan_reads_on(corpus, ReadOptions(), pool)
        assert pool.started  # forked while planning
        with planned.taken_meanwhile():
            time.sleep(1.0)  # this process busy elsewhere: the thread takes what the workers send
        assert all(t.name != "figure-audit-results" for t in threading.enumerate())  # joined
        got = [(task.path, result.articles) for task, result in planned.results]
    finally:
        pool.close()
    here = [(task.path, _parallel.run_task(task, ReadOptions().max_file_size).articles) for task in planned.tasks]
    assert got == here


def test_a_failure_on_the_thread_is_raised_where_the_results_are_taken():
    def failing():
        yield "first"
        yield "second"
        raise _parallel.WorkerDied("a worker process ended abruptly while reading x.txt")

    pool = _parallel.WorkerPool(2)
    pool.start()
    try:
        planned = _parallel.PlannedReads([], [], 0, failing(), pool)
        with planned.taken_meanwhile():
            time.sleep(0.2)
        results = planned.results
        assert [next(results), next(results)] == ["first", "second"]
        with pytest.raises(_parallel.WorkerDied, match="x.txt"):
            next(results)
    finally:
        pool.close()

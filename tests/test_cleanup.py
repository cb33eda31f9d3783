"""A run on several workers keeps its tables in files of the temp folder (``auditor/_spill.py``, the claims
batch folders): they go when the result is collected, at interpreter exit, on ``close()``, when the audit
fails halfway (an exception, a worker killed), when ``figure-audit run`` is stopped by SIGTERM; a folder
left by a run killed with -9 is removed by the next run. Each case runs in a process of its own whose
``TMPDIR`` is a private folder, looked at while and after the process runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from auditor import claims
from auditor._spill import SPILL_PREFIX

ROOT = Path(__file__).resolve().parents[1]

# Runs in the child: audits CORPUS on two workers (spilled tables), then does what MODE says, printing
# "<label> <entries of the temp folder>" at each step for the test to read. A MODE "<what>:<n>" does it
# at the n-th progress call (worker-killed) or the n-th write of a worker (worker-dies-sending: half of
# it written, as when a worker is killed while sending its result; worker-dies-sending-claims: counted
# from the extraction's last progress call on). The child ends by itself, showing every thread's stack,
# after WITHIN seconds.
_SCRIPT = textwrap.dedent("""
    import faulthandler, gc, multiprocessing, os, signal, sys, tempfile
    from multiprocessing import connection

    corpus, mode, within = sys.argv[1], sys.argv[2], float(sys.argv[3])
    faulthandler.dump_traceback_later(within, exit=True)  # a hang shows where, in the test's failure
    import auditor
    from auditor import _parallel, claims

    mode, _, nth = mode.partition(":")
    temp = tempfile.gettempdir()

    def show(label):
        print(label, len(os.listdir(temp)), flush=True)

    calls = []

    def progress(done, total):
        calls.append(done)
        if len(calls) == 3 and mode == "raise-in-extraction":
            raise RuntimeError("stopped while extracting")
        if mode == "worker-killed" and len(calls) == int(nth):
            os.kill(multiprocessing.active_children()[0].pid, signal.SIGKILL)
        if mode == "worker-dies-sending-claims" and done == total:  # every article read: the claims step next
            open(extracted, "w").close()

    extracted = os.path.join(os.path.dirname(temp), "extracted")  # not in the temp folder: it must end empty
    if mode.startswith("worker-dies-sending"):
        in_worker, writes = [], []
        started, send = _parallel._worker_started, connection.Connection._send

        def worker_started(*args):  # the pool's workers, not the processes this one forks later
            in_worker.append(True)
            started(*args)

        def dies_halfway(self, buf, write=os.write):
            if in_worker and (mode == "worker-dies-sending" or os.path.exists(extracted)):
                writes.append(len(buf))
                if len(writes) == int(nth):
                    write(self._handle, bytes(buf)[:max(1, len(buf) // 2)])
                    os.kill(os.getpid(), signal.SIGKILL)
            return send(self, buf)

        _parallel._worker_started, connection.Connection._send = worker_started, dies_halfway

    if mode == "raise-in-claims":
        def failing(figures, results, *args, **kwargs):  # the tasks' runs written, then the merge fails
            for _ in results:
                pass
            raise RuntimeError("stopped in the claims step")
        claims._from_runs = failing
    try:
        result = auditor.audit(corpus, jobs=2, cache=False, progress=progress)
    except BaseException as exc:
        print("raised", type(exc).__name__, flush=True)
        print("said", str(exc).replace(chr(10), " "), flush=True)
        show("failed")  # the exception's traceback, still alive here, holds the run's frames
        sys.exit(0)
    assert result.figures_spilled
    show("audited")
    if mode in ("dropped", "exit", "close"):
        n_articles = len(result.articles)  # what a notebook reads; it never calls close()
        text = next(iter(result.texts.values()))
        assert n_articles > 50 and text.strip()
        show("read")
    if mode == "dropped":
        assert len(result.figures) and len(result.conflicts)  # still readable while in use
        del result
        gc.collect()
        show("dropped")
    elif mode == "close":
        result.close()
        show("closed")
        assert len(result.articles) == n_articles and next(iter(result.texts.values())) == text
    elif mode == "context":
        with result:
            show("inside")
        show("left")
""")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from make_corpus import write_corpus

    folder = tmp_path_factory.mktemp("cleanup") / "corpus"
    write_corpus(300, folder, seed=5)  # above PARALLEL_MIN_CHARS (200,000 characters): a pool, spilled tables
    return folder


def _env(temp: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FIGURE_AUDIT_PAUSE_AT", "FIGURE_AUDIT_DEBUG")}
    return dict(env, TMPDIR=str(temp), **more)


def _steps(corpus: Path, mode: str, temp: Path, within: float = 240) -> dict[str, int | str]:
    """The child's steps for ``mode``: label -> entries of its temp folder then (``raised`` -> the exception's
    type, ``said`` -> its message); the child fails, showing where it waits, when not done ``within`` seconds."""
    temp.mkdir(exist_ok=True)
    done = subprocess.run([sys.executable, "-c", _SCRIPT, str(corpus), mode, str(within)], capture_output=True,
                          text=True, timeout=within + 60, env=_env(temp))
    assert done.returncode == 0, done.stderr
    steps: dict[str, int | str] = {}
    for line in done.stdout.splitlines():
        label, value = line.split(" ", 1)
        steps[label] = value if label in ("raised", "said") else int(value)
    return steps


@pytest.mark.parametrize("mode, step", [("dropped", "dropped"), ("close", "closed"), ("context", "left")])
def test_spill_files_go_when_the_result_is_dropped_or_closed(corpus, tmp_path, mode, step):
    steps = _steps(corpus, mode, tmp_path / "temp")
    assert steps["audited"] >= 3  # articles, figures, groups, conflicts: in files while the result lives
    if "read" in steps:
        assert steps["read"] >= 1  # the articles read, the texts still read ids from their file
    assert steps[step] == 0
    assert not os.listdir(tmp_path / "temp")


def test_spill_files_go_at_exit_when_the_result_is_never_closed(corpus, tmp_path):
    steps = _steps(corpus, "exit", tmp_path / "temp")
    assert steps["read"] >= 1
    assert not os.listdir(tmp_path / "temp")


@pytest.mark.parametrize("mode, raised", [
    ("raise-in-extraction", "RuntimeError"), ("raise-in-claims", "RuntimeError"), ("worker-killed:3", "WorkerDied")])
def test_spill_files_go_at_once_when_the_audit_fails(corpus, tmp_path, mode, raised):
    steps = _steps(corpus, mode, tmp_path / "temp")
    assert steps["raised"] == raised
    assert steps["failed"] == 0  # not only once the traceback is collected (a notebook keeps the last one)
    assert not os.listdir(tmp_path / "temp")


# Far more than an audit of the corpus takes on a loaded machine (~1-10 s), far less than a hang's 300 s.
_ENDS_WITHIN = 90


@pytest.mark.parametrize("mode", [
    "worker-killed:1", "worker-killed:40", "worker-dies-sending:1", "worker-dies-sending:2", "worker-dies-sending:6"])
def test_an_audit_whose_worker_dies_ends_with_an_error_saying_so(corpus, tmp_path, mode):
    """Killed between two results or while sending one (its pool's reader then waited forever for the rest)."""
    steps = _steps(corpus, mode, tmp_path / "temp", within=_ENDS_WITHIN)
    assert steps["raised"] == "WorkerDied"
    assert "a worker process ended abruptly" in steps["said"]
    assert steps["failed"] == 0
    assert not os.listdir(tmp_path / "temp")


def test_an_audit_whose_worker_dies_sending_a_claims_result_ends(corpus, tmp_path):
    """The claims step runs on the same workers: a death there ends the audit too, saying in which step."""
    steps = _steps(corpus, "worker-dies-sending-claims:1", tmp_path / "temp", within=_ENDS_WITHIN)
    assert steps["raised"] == "WorkerDied"
    assert "a worker process ended abruptly" in steps["said"] and "building incidents" in steps["said"]
    assert steps["failed"] == 0
    assert not os.listdir(tmp_path / "temp")


def test_folders_of_a_killed_run_are_removed_by_the_next_run_and_a_live_runs_kept(corpus, tmp_path):
    temp = tmp_path / "temp"
    temp.mkdir()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait(timeout=30)
    alive = os.getpid()
    left = [temp / f"{SPILL_PREFIX}{gone.pid}-abc", temp / f"{claims._SHARED_PREFIX}{gone.pid}-abc"]
    kept = [temp / f"{SPILL_PREFIX}{alive}-abc", temp / f"{claims._SHARED_PREFIX}{alive}-abc"]
    for folder in left + kept:
        folder.mkdir()
        (folder / "figures.arrow").write_bytes(b"x" * 100)
    other = temp / "someone-elses.txt"
    other.write_text("not ours")
    steps = _steps(corpus, "dropped", temp)
    assert steps["dropped"] == 3  # the live run's two folders and the other file
    assert sorted(os.listdir(temp)) == sorted(p.name for p in kept + [other])


def test_a_run_stopped_by_sigterm_removes_its_files_and_keeps_the_old_outputs(corpus, tmp_path):
    temp, out = tmp_path / "temp", tmp_path / "out"
    temp.mkdir()
    command = [sys.executable, "-m", "auditor.cli", "run", str(corpus), "--out", str(out), "--quiet",
               "--no-cache", "--jobs", "2"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=_env(temp))
    assert done.returncode == 0, done.stderr
    before = (out / "figures.csv").read_bytes()
    run = subprocess.Popen(command, stderr=subprocess.PIPE, text=True,
                           env=_env(temp, FIGURE_AUDIT_PAUSE_AT="audited"))
    try:
        line = run.stderr.readline()
        assert "paused at audited" in line, line + run.stderr.read()
        assert [p for p in os.listdir(temp) if p.startswith(SPILL_PREFIX)]  # the run's tables, in files
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=60) == 128 + signal.SIGTERM
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(timeout=30)
        run.stderr.close()
    assert not os.listdir(temp)
    assert (out / "figures.csv").read_bytes() == before


def test_the_run_record_a_killed_run_was_writing_is_removed_by_the_next_run(tmp_path):
    from auditor._uptodate import RECORD_NAME

    out = tmp_path / "out"
    command = [sys.executable, "-m", "auditor.cli", "run", str(ROOT / "examples" / "demo"), "--out", str(out),
               "--quiet", "--no-cache"]
    assert subprocess.run(command, capture_output=True, timeout=300, env=_env(tmp_path)).returncode == 0
    meta = out / ".figure-audit"
    left = meta / f".{RECORD_NAME}.k1ll3d.tmp"  # what atomic_write_text leaves when killed before its rename
    left.write_text('{"format": 1, "walk": [')
    assert subprocess.run(command, capture_output=True, timeout=300, env=_env(tmp_path)).returncode == 0
    assert not left.exists() and (meta / RECORD_NAME).is_file()


# Runs in the child: audits CORPUS on two workers, closes the result (close() or a with block's end), then
# reads each table; prints "<what> <exception type or ok> <message's first words>" for the test to read.
_CLOSED_SCRIPT = textwrap.dedent("""
    import sys
    import auditor

    corpus, mode, out = sys.argv[1], sys.argv[2], sys.argv[3]
    result = auditor.audit(corpus, jobs=2, cache=False)
    assert result.figures_spilled
    group = None
    if mode == "close":
        result.close()
    else:
        with result:
            pass
    reads = {
        "articles": lambda: len(result.articles),
        "texts": lambda: len(next(iter(result.texts.values()))),
        "figures": lambda: result.figures,
        "groups": lambda: result.groups,
        "conflicts": lambda: result.conflicts,
        "read_figures": lambda: result.read_figures(["figure_id"]),
        "figures_of": lambda: result.figures_of("g1"),
        "write": lambda: result.write(out),
        "repr": lambda: repr(result),
    }
    for what, read in reads.items():
        try:
            read()
            print(what, "ok", flush=True)
        except Exception as exc:
            print(what, type(exc).__name__, str(exc).replace(chr(10), " "), flush=True)
""")


@pytest.mark.parametrize("mode", ["close", "context"])
def test_a_closed_results_spilled_tables_say_so_when_read(corpus, tmp_path, mode):
    temp = tmp_path / "temp"
    temp.mkdir()
    done = subprocess.run([sys.executable, "-c", _CLOSED_SCRIPT, str(corpus), mode, str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300, env=_env(temp))
    assert done.returncode == 0, done.stderr
    said = {line.split(" ")[0]: line.split(" ", 2)[1:] for line in done.stdout.splitlines()}
    for what in ("articles", "texts", "repr"):  # loaded by close(), or never read from the files
        assert said[what] == ["ok"], (what, said[what])
    for what in ("figures", "groups", "conflicts", "read_figures", "figures_of", "write"):
        kind, message = said[what]
        assert kind == "ValueError", (what, said[what])
        assert "closed" in message and "auditor.open_audit" in message and "figure-audit-spill" not in message
    assert not os.listdir(temp)  # nothing recreated in the temp folder by a refused read

"""A claims task sent to a pool's worker runs in a child forked from that worker for the task
(``_parallel.run_apart``): what the task leaves in the heap ends with the child, not under the worker's
next tasks. Its result, or what it raised, comes back to the worker; a child that dies is an error, not
a hang."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pandas as pd
import pytest
from conftest import generated_corpus

from auditor import _parallel, claims
from auditor.audit import audit


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return generated_corpus(tmp_path_factory, seed=8)


def _recording(log: Path):
    """A ``run_apart`` that notes, from each child, the worker that forked it and the child's own ids."""
    original = _parallel.run_apart

    def run_apart(function, *args):
        worker = os.getpid()
        in_worker = _parallel.in_pool_worker()

        def noted(*given):
            with open(log, "a") as out:
                out.write(f"{function.__name__} {worker} {in_worker} {os.getpid()} {os.getppid()} "
                          f"{_parallel.in_pool_worker()}\n")
            return function(*given)

        return original(noted, *args)

    return run_apart


def test_each_claims_task_of_a_run_on_workers_runs_in_a_child_of_its_worker(corpus, tmp_path, monkeypatch):
    """Each claims task, and the key parts' tasks and the keys' cut before them (the worker then forks
    the first claims tasks from its own size, not from what preparing the keys left in its heap)."""
    log = tmp_path / "children.txt"
    monkeypatch.setattr(_parallel, "run_apart", _recording(log))
    monkeypatch.setattr(claims, "_CATEGORY_SLACK", -1.0)  # keys cut, not whole categories: every kind of task
    here = audit(corpus, jobs=1)
    assert not log.exists()  # one process: no worker, nothing forked
    result = audit(corpus, jobs=2)
    lines = [line.split() for line in log.read_text().splitlines()]
    names = [name for name, *_ in lines]
    assert names.count("_cut_task") == 1 and names.count("_claims_task") > 1
    assert names.count("_key_parts_task") >= 2 and len(set(names)) == 3  # a share of the figures each
    for _name, worker, in_worker, child, parent, child_in_worker in lines:
        assert in_worker == "True" and int(worker) != os.getpid()
        assert int(child) != int(worker) and int(parent) == int(worker)
        assert child_in_worker == "False"  # a child does not fork again
    pd.testing.assert_frame_equal(result.conflicts, here.conflicts)
    pd.testing.assert_frame_equal(result.groups, here.groups)
    assert result.figures["incident_id"].tolist() == here.figures["incident_id"].tolist()


def _ids() -> tuple[int, int]:
    return os.getpid(), os.getppid()


def _fails() -> None:
    raise ValueError("no blocking key for this figure")


def _killed() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class _Unpicklable(Exception):
    def __init__(self) -> None:
        super().__init__("holds a lock")
        self.held = lambda: None  # a lambda does not pickle


def _raises_unpicklable() -> None:
    raise _Unpicklable()


def _apart(function_name: str):
    """In a worker: ``run_apart`` of one of this module's functions, and the worker's id."""
    return os.getpid(), _parallel.run_apart(globals()[function_name])


@pytest.fixture(scope="module")
def pool():
    workers = _parallel.WorkerPool(1)
    workers.start()
    yield workers
    workers.close()


def test_the_childs_result_comes_back_to_the_worker(pool):
    worker, (child, parent) = pool.submit(_apart, "_ids").result(timeout=60)
    assert parent == worker and child != worker and worker != os.getpid()


def test_what_a_task_raises_in_its_child_is_raised_in_the_worker_with_the_childs_traceback(pool):
    with pytest.raises(ValueError, match="no blocking key") as raised:
        pool.submit(_apart, "_fails").result(timeout=60)
    assert any("_fails" in note for note in getattr(raised.value, "__notes__", []))


def test_a_child_killed_mid_task_is_an_error_in_the_worker_not_a_hang(pool):
    with pytest.raises(ChildProcessError, match="killed by signal 9"):
        pool.submit(_apart, "_killed").result(timeout=60)
    assert pool.submit(_apart, "_ids").result(timeout=60)  # the worker goes on


def test_an_exception_that_does_not_pickle_comes_back_as_its_text(pool):
    with pytest.raises(RuntimeError, match="_Unpicklable: holds a lock"):
        pool.submit(_apart, "_raises_unpicklable").result(timeout=60)

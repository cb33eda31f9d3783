"""The main process's memory does not grow with the corpus: the figure table is spilled to a file in
the run's temp folder, claims and keys tasks read their rows from it, the writers stream it."""

from __future__ import annotations

import sys
from concurrent.futures import Future
from pathlib import Path

import pandas as pd
import pytest

from auditor import _parallel, claims
from auditor.audit import audit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from make_corpus import write_corpus  # noqa: E402


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    write_corpus(300, folder, seed=6)
    return folder


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

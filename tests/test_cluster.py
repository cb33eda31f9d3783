"""The audit on a real Dask cluster (scheduler + two worker processes on 127.0.0.1) equals a local run."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

from auditor.audit import audit  # noqa: E402
from auditor.cli import main  # noqa: E402
from auditor.cluster import ClusterError  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from make_corpus import write_corpus  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    """A scheduler and two single-threaded worker processes, stopped after the module."""
    local = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None, silence_logs=40,
    )
    try:
        yield local
    finally:
        local.close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    write_corpus(160, folder, seed=11)
    return folder


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_cluster_audit_equals_a_local_audit(cluster, corpus, tmp_path):
    local = audit(corpus, jobs=1, out_dir=tmp_path / "local")
    remote = audit(corpus, cluster=cluster.scheduler_address, out_dir=tmp_path / "remote")
    assert len(local.figures) > 300 and len(local.groups) > 20
    assert (local.groups["status"] == "conflict").any()
    _same(local.figures, remote.figures)
    _same(local.groups, remote.groups)
    _same(local.conflicts, remote.conflicts)
    # both workers did part of it
    with distributed.Client(cluster.scheduler_address) as client:
        done = client.run(lambda dask_worker: len(dask_worker.data) + dask_worker.state.executed_count)
    assert all(n > 0 for n in done.values())


def test_claims_tasks_get_their_tables_as_scattered_data_not_inside_the_task(cluster, corpus, tmp_path,
                                                                            monkeypatch):
    """A claims task's figures and articles travel as data of their own: a task carrying them makes the
    scheduler copy megabytes with the graph (Dask warns "Sending large graph" on a real corpus)."""
    from auditor import claims

    sent: list[list[type]] = []
    original = distributed.Client.submit

    def submit(self, function, *args, **kwargs):
        if function is claims._claims_task:
            sent.append([type(arg) for arg in args])
        return original(self, function, *args, **kwargs)

    monkeypatch.setattr(distributed.Client, "submit", submit)
    remote = audit(corpus, cluster=cluster.scheduler_address, out_dir=tmp_path / "remote")
    assert len(remote.groups) > 20 and sent
    assert all(pd.DataFrame not in types and distributed.Future in types for types in sent)


def test_review_decisions_merge_on_the_cluster_path(cluster, corpus, tmp_path):
    out = tmp_path / "out"
    first = audit(corpus, jobs=1, out_dir=out)
    conflict = first.conflicts["conflict_id"].iloc[0]
    first.review(conflict, "dismissed", "different days")
    remote = audit(corpus, cluster=cluster.scheduler_address, out_dir=out)
    row = remote.conflicts.set_index("conflict_id").loc[conflict]
    assert (row["decision"], row["note"]) == ("dismissed", "different days")


def test_cli_cluster_writes_the_same_csvs(cluster, corpus, tmp_path):
    assert main(["run", str(corpus), "--out", str(tmp_path / "a"), "--jobs", "1", "--no-cache", "--quiet"]) == 0
    assert main(["run", str(corpus), "--out", str(tmp_path / "b"), "--cluster", cluster.scheduler_address,
                 "--no-cache", "--quiet"]) == 0
    for name in ("figures.csv", "groups.csv", "conflicts.csv", "articles.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_an_unreachable_scheduler_is_one_clear_error(corpus, tmp_path, capsys):
    with pytest.raises(ClusterError, match="cannot reach the Dask scheduler"):
        audit(corpus, cluster="tcp://127.0.0.1:1")
    assert main(["run", str(corpus), "--out", str(tmp_path / "o"), "--cluster", "tcp://127.0.0.1:1", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in err
    assert err.count("\n") == 1

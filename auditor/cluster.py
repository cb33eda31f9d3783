"""The same audit on a Dask distributed cluster (``figure-audit run ... --cluster ADDRESS``).

Extraction runs as one Dask task per chunk of articles (:func:`auditor._parallel.extract_rows`),
claims as one task per batch of blocking keys (:func:`auditor.claims.blocking_keys`: no claim
group or incident spans two keys), so no worker needs every figure. Results are identical to a
local run: the parent keeps input order, then merges the review store and sorts with
:func:`auditor.claims.finish_claims`, as :func:`auditor.claims.build_claims` ends.

Workers must run the same version of the package (same code and data files): this is checked
before any work is sent.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ._parallel import ProgressCallback, Rows, extract_rows, extract_stream, settings
from .model import Article

# Larger than the local chunk: a Dask task costs a scheduler round trip.
CLUSTER_CHUNK_CHARS = 128_000


class ClusterError(RuntimeError):
    """The cluster cannot run this audit (unreachable, or workers with another package version)."""


@contextlib.contextmanager
def connect(cluster: Any) -> Iterator[Any]:
    """A ``distributed.Client`` for ``cluster``: an address, a ``Client`` (kept open) or a cluster object."""
    from distributed import Client

    if isinstance(cluster, Client):
        yield cluster
        return
    address = getattr(cluster, "scheduler_address", cluster)
    try:
        client = Client(address, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    try:
        yield client
    finally:
        client.close()


def _worker_versions(client: Any) -> dict[str, str]:
    from .cache import extractor_version

    return client.run(extractor_version)


def check_workers(client: Any) -> int:
    """Number of worker threads; raises :class:`ClusterError` when there are none or their code differs."""
    from ._parallel import warm_up
    from .cache import extractor_version

    threads = sum(client.nthreads().values())
    if threads == 0:
        raise ClusterError(f"the Dask cluster at {client.scheduler.address} has no workers")
    mine = extractor_version()
    other = {w: v for w, v in _worker_versions(client).items() if v != mine}
    if other:
        raise ClusterError(
            f"{len(other)} Dask worker(s) run another version of figure-auditor's code or data "
            f"(e.g. {next(iter(other))}): install the same version on every worker")
    client.run(warm_up)  # tables and indexes loaded on every worker at once, not on the first task
    return threads


def extract_on_cluster(
    articles: Sequence[Article],
    client: Any,
    *,
    cache: Any = None,
    progress: ProgressCallback | None = None,
) -> Iterator[tuple[Article, Rows]]:
    """``(article, figure rows)`` for every article, extracted on the cluster's workers, in input order."""
    threads = check_workers(client)
    chosen = settings()

    def submit(chunk: list[Article]) -> Any:
        return client.submit(extract_rows, chunk, chosen, pure=False)

    yield from extract_stream(articles, cache=cache, progress=progress, total=len(articles),
                              submit=submit, workers=threads, chunk_chars=CLUSTER_CHUNK_CHARS)


def claims_on_cluster(
    figures: pd.DataFrame, articles: pd.DataFrame, client: Any, store_dir: Path | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """:func:`auditor.claims.build_claims`, one task per batch of blocking keys on the cluster."""
    from .claims import blocking_keys, build_claims_by_blocks

    def submit(function: Any, *args: Any) -> Any:
        return client.submit(function, *args, pure=False)

    figures = figures.reset_index(drop=True)
    keys = blocking_keys(figures) if not figures.empty else None  # here: the whole table is not shipped twice
    threads = sum(client.nthreads().values()) or 1
    return build_claims_by_blocks(figures, articles, submit, threads, store_dir=store_dir, keys=keys)


__all__ = ["ClusterError", "claims_on_cluster", "connect", "extract_on_cluster"]

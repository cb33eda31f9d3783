"""The same audit on a Dask distributed cluster (``figure-audit run ... --cluster ADDRESS``).

Reading and extraction run as Dask tasks of ~128 KB of files or articles, claims as one task per
batch of blocking keys (:func:`auditor.claims.blocking_keys`: no claim
group or incident spans two keys), so no worker needs every figure. Results are identical to a
local run: the parent keeps input order, then merges the review store and sorts with
:func:`auditor.claims.finish_claims`, as :func:`auditor.claims.build_claims` ends.

Files are read where they are extracted: :func:`read_and_extract_on_cluster` sends read tasks
(:class:`~auditor.readers.ReadTask`) to workers that see the same files (a shared filesystem) and
gets back each article's metadata and figure rows, never its text; for workers that cannot see the
files, this process reads them and sends the articles, a window at a time.

Workers must run the same version of the package (same code and data files): this is checked
before any work is sent.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ._parallel import (
    ArticleRow, ProgressCallback, Rows, TaskResult, _shared_strings, apply_settings, article_row, chunked,
    extract_rows, extract_stream, merged_rows, settings,
)
from .model import Article, ReadError

if TYPE_CHECKING:
    from .cache import ArticleCache
    from .readers import ReadOptions, ReadTask

log = logging.getLogger(__name__)

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


def _extracted_on(
    client: Any, threads: int, articles: Iterable[Article], *, cache: Any = None,
    progress: ProgressCallback | None = None, total: int | None = None,
) -> Iterator[tuple[Article, Rows]]:
    """``(article, figure rows)`` for every article, extracted on ``threads`` checked workers, in input order."""
    chosen = settings()

    def submit(chunk: list[Article]) -> Any:
        return client.submit(extract_rows, chunk, chosen, pure=False)

    return extract_stream(articles, cache=cache, progress=progress, total=total, submit=submit, workers=threads,
                          chunk_chars=CLUSTER_CHUNK_CHARS)


def claims_on_cluster(
    figures: pd.DataFrame, articles: pd.DataFrame, client: Any, store_dir: Path | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """:func:`auditor.claims.build_claims`, one task per batch of blocking keys on the cluster."""
    from .claims import blocking_keys, build_claims_by_blocks

    def submit(function: Any, *args: Any) -> Any:
        # A batch's tables sent as data of their own (scattered), not inside the task: a task carrying
        # megabytes makes the scheduler copy them with the graph (and Dask warn about a large graph)
        sent = [client.scatter(arg, hash=False) if isinstance(arg, pd.DataFrame) else arg for arg in args]
        return client.submit(function, *sent, pure=False)

    figures = figures.reset_index(drop=True)
    keys = blocking_keys(figures) if not figures.empty else None  # here: the whole table is not shipped twice
    threads = sum(client.nthreads().values()) or 1
    return build_claims_by_blocks(figures, articles, submit, threads, store_dir=store_dir, keys=keys)


# --- reading on the workers ------------------------------------------------------------------------

# Read tasks sent together: about this many bytes of input per Dask task.
CLUSTER_BATCH_BYTES = CLUSTER_CHUNK_CHARS
# Batches in flight per worker thread: keeps workers busy without a backlog of results here.
_WINDOW_PER_THREAD = 3
# Files whose size and modification time a probe compares on every worker.
_PROBED_FILES = 8

RenamedRows = Callable[["ReadTask", int, str], Rows]
TaskResults = Iterator[tuple["ReadTask", TaskResult]]


def read_and_extract_on_cluster(
    paths: str | Path | Iterable[str | Path],
    reading: ReadOptions,
    store: ArticleCache | None,
    client: Any,
    progress: ProgressCallback | None = None,
    *,
    files_on_workers: bool | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, Mapping[str, str]]:
    """Articles, read errors, figure rows and texts (read back on demand), as
    :func:`auditor.audit._read_and_extract` gives them, read and extracted on the cluster.

    Parameters
    ----------
    store
        Per-article figure cache, used here only: workers send the keys of the articles they read,
        and extract those this process does not hold. Workers never open the cache folder.
    client
        A ``distributed.Client`` (see :func:`connect`).
    files_on_workers
        ``True``: the workers read the files (they see the same paths, e.g. a shared filesystem);
        ``False``: this process reads them and sends the articles; ``None`` (default): ``True``
        when every worker sees the files this process sees (:func:`workers_see_files`).
    """
    from ._parallel import TASK_BYTES
    from .audit import FigureColumns, _gathered
    from .readers import ReadTask, plan_reads

    threads = check_workers(client)
    plan = list(plan_reads(paths, reading, part_bytes=TASK_BYTES))
    tasks = [item for item in plan if isinstance(item, ReadTask)]
    if files_on_workers is None:
        files_on_workers = workers_see_files(client, tasks)
        if not files_on_workers:
            log.warning("the Dask workers do not see the files given: they are read here and sent to the workers")
    reads = (_WorkerReads if files_on_workers else _LocalReads)(client, reading.max_file_size, store, threads)
    return _gathered(plan, reads.results(tasks), FigureColumns(), reading, reads.renamed,
                     sum(t.size for t in tasks), progress, tasks)


def workers_see_files(client: Any, tasks: Sequence[ReadTask]) -> bool:
    """Whether every worker finds a sample of the tasks' files (the first, the last and some between)
    under the same path, with the size and modification time they have here."""
    distinct = list(dict.fromkeys(task.path for task in tasks))
    step = max(1, len(distinct) // _PROBED_FILES)
    sample = list(dict.fromkeys([*distinct[::step][:_PROBED_FILES], *distinct[-1:]]))
    here = _file_stats(sample)
    sample = [path for path, stat in zip(sample, here) if stat is not None]  # gone since the walk: no evidence
    if not sample:
        return True
    mine = _file_stats(sample)
    return all(theirs == mine for theirs in client.run(_file_stats, sample).values())


def _file_stats(paths: Sequence[Path]) -> list[tuple[int, int] | None]:
    """Size and modification time (ns) of each path, ``None`` where it cannot be seen (run on each worker)."""
    stats: list[tuple[int, int] | None] = []
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:
            stats.append(None)
        else:
            stats.append((info.st_size, info.st_mtime_ns))
    return stats


@dataclasses.dataclass
class _Batch:
    """Read tasks sent together, and where their results stand."""

    tasks: list[ReadTask]
    read: Any = None  # future of the articles read (their texts stay on the worker); dropped once extracted
    summary: Any = None  # future of the articles' metadata, read errors and cache keys, per task
    rows: Any = None  # future of the figure rows extracted, per task (without a cache: and the summary)
    stored: dict[str, Rows] = dataclasses.field(default_factory=dict)  # from the cache

    def ready(self) -> bool:
        return self.rows is not None and (self.rows is _NOTHING_TO_EXTRACT or self.rows.done())


_NOTHING_TO_EXTRACT = object()


class _WorkerReads:
    """Read tasks run on the workers, a batch per Dask task, and only the articles' metadata, read
    errors and figure rows come back. With a cache, a batch is read first (its texts stay on the
    worker), its summary comes here with the articles' cache keys, and the articles the cache does
    not hold are then extracted where they were read."""

    def __init__(self, client: Any, max_size: int, store: ArticleCache | None, threads: int) -> None:
        from .cache import extractor_version

        self.client = client
        self.max_size = max_size
        self.store = store
        self.window = max(1, threads * _WINDOW_PER_THREAD)
        self.threads = threads
        self.chosen = settings()
        self.version = extractor_version() if store is not None else ""

    def results(self, tasks: Sequence[ReadTask]) -> TaskResults:
        pending: deque[_Batch] = deque()
        for group in chunked(tasks, CLUSTER_BATCH_BYTES, weight=lambda task: task.size):
            pending.append(self._send(group))
            self._advance(pending)
            while len(pending) > self.window or (pending and pending[0].ready()):
                yield from self._take(pending)
        while pending:
            yield from self._take(pending)

    def _send(self, group: list[ReadTask]) -> _Batch:
        if self.store is None:  # everything is extracted: one task reads and extracts
            from ._article_parts import pieces_on_cluster  # a huge article: several tasks, in pieces

            rows = pieces_on_cluster(self.client, group, self.max_size, self.chosen, self.threads)
            if rows is None:
                rows = self.client.submit(_read_and_extract, group, self.max_size, self.chosen, pure=False)
            return _Batch(group, rows=rows)
        read = self.client.submit(_read_batch, group, self.max_size, self.version, pure=False)
        return _Batch(group, read, self.client.submit(_summary, read, pure=False))

    def _advance(self, pending: deque[_Batch]) -> None:
        """Send the extraction of every batch whose summary came back (the cache looked up first)."""
        for batch in pending:
            if batch.rows is None and batch.summary.done():
                keys = [task_keys for _rows, _errors, task_keys in batch.summary.result()]
                batch.stored = self.store.get_many([k for task_keys in keys for k in task_keys])  # type: ignore[union-attr]
                todo = [[i for i, key in enumerate(task_keys) if key not in batch.stored] for task_keys in keys]
                batch.rows = (self.client.submit(_extract_read, batch.read, self.chosen, todo, pure=False)
                              if any(todo) else _NOTHING_TO_EXTRACT)
                batch.read = None

    def _take(self, pending: deque[_Batch]) -> TaskResults:
        from distributed import wait

        head = pending[0]
        while not head.ready():
            waiting = [b.summary for b in pending if b.rows is None]
            if head.rows is not None:
                waiting.append(head.rows)
            with self.client.as_current():  # wait() uses the current client, not the futures'
                wait(waiting, return_when="FIRST_COMPLETED")
            self._advance(pending)
        pending.popleft()
        if self.store is None:
            summary, found = head.rows.result()
        else:
            summary = head.summary.result()
            extracted = [] if head.rows is _NOTHING_TO_EXTRACT else head.rows.result()
            new: list[tuple[str, Rows]] = []
            found = [merged_rows(keys, head.stored, iter(extracted[n] if extracted else ()), new)
                     for n, (_articles, _errors, keys) in enumerate(summary)]
            if new:  # before the results are taken: the caller need not ask past the last one
                self.store.put_many(new)
        for task, (articles, errors, _keys), rows in zip(head.tasks, summary, found):
            yield task, TaskResult(articles, errors, rows)

    def renamed(self, task: ReadTask, k: int, unique: str) -> Rows:
        """Figure rows of article ``k`` of ``task`` under the id ``unique`` (a repeated id), read
        and extracted on a worker."""
        key, rows = self.client.submit(_renamed_rows, task, k, unique, self.max_size, self.chosen, self.version,
                                       pure=False).result()
        if self.store is not None:
            self.store.put_many([(key, rows)])
        return rows


class _LocalReads:
    """For workers that cannot see the files: read here (a window of articles held at a time),
    extracted on the cluster (:func:`_extracted_on`)."""

    def __init__(self, client: Any, max_size: int, store: ArticleCache | None, threads: int) -> None:
        self.client = client
        self.max_size = max_size
        self.store = store
        self.threads = threads

    def _stream(self, articles: Iterable[Article]) -> Iterator[tuple[Article, Rows]]:
        return _extracted_on(self.client, self.threads, articles, cache=self.store)

    def _read(self, task: ReadTask) -> tuple[list[Article], list[ReadError]]:
        from .readers import read_task

        if self.store is None:
            return read_task(task, self.max_size)
        found = self.store.read_file(task.path, self.max_size, lambda _path, size: read_task(task, size),
                                     part=task.key)
        self.store.flush_files()
        return found

    def results(self, tasks: Sequence[ReadTask]) -> TaskResults:
        read: deque[tuple[ReadTask, list[Article], list[ReadError]]] = deque()

        def articles() -> Iterator[Article]:
            for task in tasks:
                found, errors = self._read(task)
                read.append((task, found, errors))
                yield from found

        stream = self._stream(articles())
        ahead: tuple[Article, Rows] | None = None  # taken from the stream to make it read on
        for n in range(len(tasks)):
            while not read:
                ahead = next(stream)
            task, found, errors = read.popleft()
            rows: list[Rows] = []
            for _article in found:
                if ahead is None:
                    ahead = next(stream)
                rows.append(ahead[1])
                ahead = None
            if n == len(tasks) - 1:
                next(stream, None)  # ends the stream (its last rows go to the cache): the caller asks no further
            yield task, TaskResult([article_row(a) for a in found], errors, rows)

    def renamed(self, task: ReadTask, k: int, unique: str) -> Rows:
        from .readers import read_task

        article = read_task(task, self.max_size)[0][k]
        return next(self._stream([dataclasses.replace(article, article_id=unique)]))[1]


# Run on the workers.

_ReadBatch = list[tuple[list[Article], list[ReadError], list[str]]]


def _read_batch(tasks: list[ReadTask], max_size: int, version: str) -> _ReadBatch:
    """Each task's articles, read errors and (given the extractor ``version``) the articles' cache keys."""
    from .cache import article_key
    from .readers import read_task

    batch: _ReadBatch = []
    for task in tasks:
        articles, errors = read_task(task, max_size)
        batch.append((articles, errors, [article_key(a, version) for a in articles] if version else []))
    return batch


def _summary(batch: _ReadBatch) -> list[tuple[list[ArticleRow], list[ReadError], list[str]]]:
    """What this process keeps of a batch read: metadata, errors and keys, not the texts."""
    return [([article_row(a) for a in articles], errors, keys) for articles, errors, keys in batch]


def _extract_read(batch: _ReadBatch, chosen: dict[str, str], todo: list[list[int]] | None) -> list[list[Rows]]:
    """Figure rows of the articles of each task (those at the indexes of ``todo``, else all)."""
    apply_settings(chosen)
    found: list[list[Rows]] = []
    for n, (articles, _errors, _keys) in enumerate(batch):
        chosen_articles = articles if todo is None else [articles[i] for i in todo[n]]
        found.append(_shared_strings(extract_rows(chosen_articles)))
    return found


def _read_and_extract(tasks: list[ReadTask], max_size: int, chosen: dict[str, str]) -> tuple[list, list[list[Rows]]]:
    """The summary and the figure rows of every article of the tasks (no cache: all extracted)."""
    read = _read_batch(tasks, max_size, "")
    return _summary(read), _extract_read(read, chosen, None)


def _renamed_rows(task: ReadTask, k: int, unique: str, max_size: int, chosen: dict[str, str],
                  version: str) -> tuple[str, Rows]:
    """Cache key and figure rows of article ``k`` of ``task`` under the id ``unique``."""
    from .cache import article_key
    from .readers import read_task

    article = dataclasses.replace(read_task(task, max_size)[0][k], article_id=unique)
    return (article_key(article, version) if version else ""), extract_rows([article], chosen)[0]


__all__ = ["ClusterError", "claims_on_cluster", "connect", "read_and_extract_on_cluster",
           "workers_see_files"]

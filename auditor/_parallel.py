"""Extraction over many articles: cached, chunked across processes, streamed in input order.

A local audit sends *read tasks* (:class:`~auditor.readers.ReadTask`: a file, or a part of a big
JSON Lines file; small files ~64 KB at a time) to forked workers that read, decode and extract
them (:func:`run_tasks`) and send back each article's metadata and its figure rows, never its
text; each worker loads the extraction tables on its first article. Articles already read in this
process (the Dask path, :func:`extract_stream`) go to workers in chunks of about ``CHUNK_CHARS``
characters; a local pool there is forked after the tables are loaded, so workers share them.
Rows are plain tuples (one per figure, ``FIGURE_COLUMNS`` order), a fraction of the size of
:class:`~auditor.model.Figure` objects when pickled. At most a few tasks per worker are in flight.
"""

from __future__ import annotations

import multiprocessing
import operator
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from .model import FIGURE_FIELDS, Article, ReadError

if TYPE_CHECKING:
    from .readers import ReadTask

# Enough text per task that pickling and scheduling stay small beside extraction (~0.1 s of work).
CHUNK_CHARS = 64_000
# Files looked up in the cache together on a re-run: at most this many, and about _CACHED_GROUP_BYTES
# of them (their figures are held here as rows until taken: ~1.6 KB a figure, ~10 figures per KB of
# text; 512 parts of a big .jsonl, 32 MB of text, held ~500 MB).
_CACHED_GROUP = 512
_CACHED_GROUP_BYTES = 2 << 20
# Chunks in flight per worker: keeps workers busy without holding the corpus in memory.
_WINDOW_PER_WORKER = 3
# Below this many characters to extract, a process pool costs more than it saves.
PARALLEL_MIN_CHARS = 200_000

Rows = list[tuple]
T = TypeVar("T")
ProgressCallback = Callable[[int, int], None]
_figure_row = operator.attrgetter(*FIGURE_FIELDS)
_task_size = operator.attrgetter("size")


def settings() -> dict[str, str]:
    """The process-wide choices that change what extraction finds (vague convention, conflict profile)."""
    from . import knowledge, profiles

    return {"vague_convention": knowledge._convention, "profile": profiles._active}


def apply_settings(chosen: dict[str, str]) -> None:
    """Make this process extract as the one whose :func:`settings` gave ``chosen``."""
    from .knowledge import set_vague_convention
    from .profiles import set_profile

    if chosen != settings():
        set_vague_convention(chosen["vague_convention"])
        set_profile(chosen["profile"])


def extract_rows(articles: Sequence[Article], chosen: dict[str, str] | None = None) -> list[Rows]:
    """Figure rows of each article (tuples in ``FIGURE_COLUMNS`` order), in order.

    ``chosen`` (from :func:`settings`) is applied first: a remote worker does not inherit the
    parent's settings; a forked one does.
    """
    from .extract import extract_figures

    if chosen is not None:
        apply_settings(chosen)
    return [[_figure_row(f) for f in extract_figures(a)] for a in articles]


def warm_up() -> None:
    """Load every table, index and lazy rule set extraction uses, so forked workers inherit them.

    Extracting one sentence reaches the tables no explicit warm-up lists.
    """
    from .extract import extract_figures
    from .extract import warm_up as load_indexes

    load_indexes()
    extract_figures(Article("warm-up", "", "At least 12 civilians were killed in an airstrike on Aleppo on "
                                           "Monday, the Syrian Observatory for Human Rights said."))


def chunked(items: Iterable[T], size: int = CHUNK_CHARS,
            weight: Callable[[T], int] = operator.attrgetter("chars")) -> Iterator[list[T]]:
    """Consecutive runs of ``items`` weighing about ``size`` each (an item heavier than that alone);
    by default articles, weighed in characters."""
    chunk: list[T] = []
    total = 0
    for item in items:
        chunk.append(item)
        total += weight(item)
        if total >= size:
            yield chunk
            chunk, total = [], 0
    if chunk:
        yield chunk


def extract_stream(
    articles: Iterable[Article],
    *,
    jobs: int = 1,
    cache: object | None = None,
    progress: ProgressCallback | None = None,
    total: int | None = None,
    submit: Callable[[list[Article]], Future] | None = None,
    workers: int | None = None,
    chunk_chars: int = CHUNK_CHARS,
) -> Iterator[tuple[Article, Rows]]:
    """``(article, figure rows)`` for every article, in input order.

    Parameters
    ----------
    articles
        Read lazily: at most a window of chunks is held at once.
    jobs
        Worker processes (1 extracts in this process).
    cache
        An :class:`~auditor.cache.ArticleCache`: articles found there are not extracted again,
        the others are stored once extracted.
    progress
        ``progress(done, total)`` after each chunk.
    submit
        Runs one chunk elsewhere and returns a future of :func:`extract_rows` (the Dask path);
        ``workers`` is then the number of workers to keep busy.
    chunk_chars
        Characters of text per task.
    """
    from .cache import article_key, extractor_version

    version = extractor_version() if cache is not None else ""
    pool: ProcessPoolExecutor | None = None
    if submit is None and jobs > 1:

        def submit(chunk: list[Article]) -> Future:
            nonlocal pool
            if pool is None:  # at the first article not in the cache: a cached re-run starts no workers
                warm_up()  # loaded once here, inherited by every forked worker
                pool = forked_pool(jobs)
            return pool.submit(extract_rows, chunk)

        workers = jobs
    window = max(1, (workers or 1) * _WINDOW_PER_WORKER)
    # Each pending entry: (articles, their keys, cached rows by index, future or None)
    pending: deque[tuple[list[Article], list[str], dict[int, Rows], Future | None]] = deque()
    done = 0

    def settle(entry: tuple[list[Article], list[str], dict[int, Rows], Future | None]) -> Iterator[tuple[Article, Rows]]:
        nonlocal done
        chunk, keys, known, future = entry
        fresh = iter(future.result()) if future is not None else iter(())
        new: list[tuple[str, Rows]] = []
        for i, article in enumerate(chunk):
            rows = known.get(i)
            if rows is None:
                rows = next(fresh)
                if cache is not None:
                    new.append((keys[i], rows))
            yield article, rows
        if new:
            cache.put_many(new)  # type: ignore[union-attr]
        done += len(chunk)
        if progress:
            progress(done, total if total is not None else done)

    try:
        for chunk in chunked(articles, chunk_chars):
            keys = [article_key(a, version) for a in chunk] if cache is not None else []
            stored = cache.get_many(keys) if cache is not None else {}  # type: ignore[union-attr]
            known = {i: stored[k] for i, k in enumerate(keys) if k in stored}
            todo = [a for i, a in enumerate(chunk) if i not in known]
            future: Future | None = None
            if todo and submit is not None:
                future = submit(todo)
            elif todo:
                future = Future()
                future.set_result(extract_rows(todo))
            pending.append((chunk, keys, known, future))
            while len(pending) > window or (pending and _ready(pending[0][3])):
                yield from settle(pending.popleft())
        while pending:
            yield from settle(pending.popleft())
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _ready(future: Future | None) -> bool:
    return future is None or future.done()


# glibc's mallopt parameter: allocations from this size up get their own mapping, unmapped when freed.
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 128 * 1024


def returning_allocators() -> Callable[[], None]:
    """Make this process (and the workers it forks later) give freed memory back to the system; returns
    what sets Arrow's previous pool again (the mmap threshold stays: glibc's own starting value).

    A run's parent takes every worker's results (an Arrow record batch of a few hundred KB each) for
    the length of the run: with Arrow's default pool (mimalloc) and glibc's dynamic mmap threshold,
    the freed blocks stay resident for reuse and the parent grew ~3 MB per MB of text. Arrow's
    system pool and a fixed mmap threshold (large blocks unmapped when freed, the heap's top trimmed)
    keep it near flat, at no measurable cost in CPU. Process-wide: the command line calls it for the
    length of a run (and puts Arrow's pool back after it: ``main`` may run inside a caller's process);
    the library (:func:`auditor.audit`) leaves a caller's process as it is.
    """
    import pyarrow as pa

    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
    except (OSError, AttributeError):  # not glibc: its allocator's own policy
        pass
    return lambda: pa.set_memory_pool(previous)


def default_jobs(jobs: int | None) -> int:
    """``jobs``, or all cores, never more than the cores this process may use."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(jobs or cores, cores))


# --- reading and extraction in the workers (the local path) -------------------------------------

# Bytes of input per task: a part of a big JSON Lines file is cut at about this size.
TASK_BYTES = 64_000
# Metadata of an article kept by the parent (``ARTICLE_COLUMNS`` order): never its text.
ArticleRow = tuple[str, str, str, str, str, str, int, str]
_stores: dict[str, object] = {}  # figure caches opened by this process, by folder


@dataclass
class TaskResult:
    """What one :class:`~auditor.readers.ReadTask` read and found, without the texts."""

    articles: list[ArticleRow]
    errors: list[ReadError]
    rows: list[Rows]  # figure rows of each article, in order
    # the file's digest and status as read whole (not from the cache): the run record's (auditor._uptodate)
    read: dict[str, tuple[str, tuple[int, int, int, int]]] = field(default_factory=dict)


def article_row(article: Article) -> ArticleRow:
    """An article's ``ARTICLE_COLUMNS`` values (its length and digest, not its text)."""
    return (article.article_id, article.path, article.title, article.outlet, article.published, article.url,
            article.chars, article.sha256)


def _store_of(cache: object | None) -> object | None:
    """The figure cache to use here: the object given (in this process) or, given its folder, one
    opened once per worker process (SQLite connections are not shared across a fork)."""
    if cache is None or not isinstance(cache, (str, os.PathLike)):
        return cache
    from .cache import ArticleCache

    folder = os.fspath(cache)
    if folder not in _stores:
        _stores[folder] = ArticleCache(folder)
    return _stores[folder]


def rows_of(articles: Sequence[Article], cache: object | None = None) -> list[Rows]:
    """Figure rows of each article: from ``cache`` (an :class:`~auditor.cache.ArticleCache`) when
    stored there under the article's key, else extracted (and stored)."""
    if cache is None or not articles:
        return extract_rows(articles)
    from .cache import article_key, extractor_version

    version = extractor_version()
    keys = [article_key(a, version) for a in articles]
    stored = cache.get_many(keys)  # type: ignore[attr-defined]
    todo = [a for a, k in zip(articles, keys) if k not in stored]
    new: list[tuple[str, Rows]] = []
    found = merged_rows(keys, stored, iter(extract_rows(todo)), new)
    if new:
        cache.put_many(new)  # type: ignore[attr-defined]
    return found


def merged_rows(keys: Sequence[str], stored: Mapping[str, Rows], fresh: Iterator[Rows],
                new: list[tuple[str, Rows]]) -> list[Rows]:
    """Each key's figure rows: from ``stored`` (the cache), else the next of ``fresh`` (the articles
    not stored, extracted in key order), which is added to ``new`` (to be stored)."""
    found: list[Rows] = []
    for key in keys:
        rows = stored.get(key)
        if rows is None:
            rows = next(fresh)
            new.append((key, rows))
        found.append(rows)
    return found


def run_task(task: ReadTask, max_size: int, cache: object | None = None) -> TaskResult:
    """Read one task's file (or part) and extract its articles' figures (see :func:`rows_of`).

    ``cache``: an :class:`~auditor.cache.ArticleCache` in this process, or its folder in a worker.
    """
    return _run_batch([task], max_size, cache)[0]  # (never in a pool's worker: its results are not packed)


def _task_result(articles: list[Article], errors: list[ReadError], read: Any, found: list[Rows]) -> TaskResult:
    """The result of a task read (:func:`read_digested`) whose articles' figure rows are ``found``."""
    return TaskResult([article_row(a) for a in articles], errors, found if _packing else _shared_strings(found), read)


def read_digested(task: ReadTask, max_size: int, store: Any | None, looked_up: bool = False) -> tuple[list, list, Any]:
    """Read one task's file (through the figure cache ``store`` when there is one), with the digests of
    the bytes read for the run record: ``(articles, errors, digests)``. What was read is stored when the
    caller calls ``store.flush_files()`` (after a batch of reads: one transaction for all).
    ``looked_up``: the store was asked for this file already and did not hold it."""
    from ._uptodate import ReadDigests, digests_kept
    from .readers import read_task

    with digests_kept(ReadDigests()) as read:
        if store is not None:
            articles, errors = store.read_file(task.path, max_size, lambda _path, size: read_task(task, size),
                                               part=task.key, looked_up=looked_up)
        else:
            articles, errors = read_task(task, max_size)
    return articles, errors, read


def _shared_strings(found: list[Rows]) -> list[Rows]:
    """The rows with one object per distinct string (an outlet, a category, a sentence with several
    figures): pickled once per task, so the parent holds one copy of each, not one per figure."""
    seen: dict[str, str] = {}
    share = seen.setdefault
    return [[tuple(share(v, v) if type(v) is str else v for v in row) for row in rows] for rows in found]


# Set in a pool's workers (WorkerPool.packed): read tasks send their figure rows as Arrow, not tuples.
_packing = False
# Set in a pool's workers (by _worker_started): run_apart may fork them (not a Dask worker's threads, nor a
# caller's process: a notebook's kernel)
_pool_worker = False


def in_pool_worker() -> bool:
    """Whether this process is one of a :class:`WorkerPool`'s workers (not a child of one)."""
    return _pool_worker


def run_apart(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a child forked from this pool worker for the call; its result (or what it
    raised) pickled back. What a claims task leaves in the heap when it ends (Python's arenas pinned by a
    few survivors, glibc's holes: ~200 MB after a big key's task at 1 GB) ends with the child, instead of
    staying under the worker's next tasks. The child dies with the worker (``kill -9`` included)."""
    import pickle
    import sys
    import traceback

    worker = os.getpid()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child (its lines run after the fork, out of coverage's sight)
        global _pool_worker
        _pool_worker = False
        code = 1
        try:
            os.close(read)
            _end_with_parent(worker)
            try:
                outcome: tuple[str, Any] = ("returned", function(*args))
            except BaseException as exc:  # noqa: BLE001 - sent to the worker, raised there
                exc.add_note("".join(traceback.format_exception(exc)).rstrip())
                outcome = ("raised", exc)
            try:
                data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001 - an exception (or result) that does not pickle: its text
                error = outcome[1] if outcome[0] == "raised" else None
                text = "".join(traceback.format_exception(error)) if error is not None else "an unpicklable result"
                data = pickle.dumps(("raised", RuntimeError(text)), protocol=pickle.HIGHEST_PROTOCOL)
            with open(write, "wb") as sink:
                sink.write(data)
            code = 0
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(write)
    with open(read, "rb") as source:
        data = source.read()
    _, status = os.waitpid(child, 0)
    if not data:
        ended = (f"killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
                 else f"exit status {os.waitstatus_to_exitcode(status)}")
        raise ChildProcessError(f"a task's process ended without its result ({ended}: out of memory?)")
    kind, value = pickle.loads(data)
    if kind == "raised":
        raise value
    return value


def _worker_started(packed: bool, warm: bool, parent: int | None = None) -> None:
    """A worker's first step: it ends with ``parent`` (:func:`_end_with_parent`), how it sends rows back
    and, ``warm``, the extraction tables loaded now (a failure is left for the first article to raise,
    with its task)."""
    global _packing, _pool_worker
    if parent is not None:
        _end_with_parent(parent)
    _packing = packed
    _pool_worker = True
    if warm:
        try:
            warm_up()
        except Exception:  # noqa: BLE001 - raised again, where it can be reported, by the first article
            pass
        import gc

        gc.freeze()  # the tables, kept for the worker's life: its full collections need not go through them


# Linux's prctl option: the signal this process gets when the thread that forked it ends.
_PR_SET_PDEATHSIG = 1


def _end_with_parent(parent: int) -> None:
    """Have the system kill this forked worker when ``parent`` ends, even by ``kill -9``: an orphan would
    otherwise wait for tasks forever, holding what it inherited (the --out folder's lock among them).
    Linux only; elsewhere the worker ends when it finds its task queue closed."""
    import signal

    try:
        import ctypes

        if ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
            return
    except (OSError, AttributeError):  # not Linux
        return
    if os.getppid() != parent:  # the parent ended before the signal was asked for
        os._exit(1)


def forked_pool(jobs: int, initializer: Callable | None = None, initargs: tuple = ()) -> ProcessPoolExecutor:
    """A pool of ``jobs`` processes forked from this one now, before this function returns.

    The objects this process holds at the fork are frozen for the workers' garbage collector
    (:func:`gc.freeze`, then unfrozen here): a worker's full collections would otherwise go through
    every inherited object (pandas, pyarrow, the tables) and write to their pages, copying them.
    A host that froze its own objects (a preloading server) is left as it was: unfreezing would
    undo its freeze too.
    """
    import gc

    pool = _WatchedPool(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                        initializer=initializer, initargs=initargs)
    ours = not gc.get_freeze_count()
    if ours:
        gc.freeze()
    try:
        pool.submit(int)  # a forking pool starts every worker at its first task: now
    finally:
        if ours:
            gc.unfreeze()
    pool.watch()
    return pool


class _WatchedPool(ProcessPoolExecutor):
    """A forked :class:`ProcessPoolExecutor` that fails (BrokenProcessPool) rather than hangs when a worker
    is killed while it sends a result.

    CPython's pool (3.11.7) reads each result whole in its manager thread: a worker
    killed halfway through writing one leaves that read waiting forever for the rest (this process holds
    the pipe's writing end too, so no end of file comes; the other workers wait for the queue's lock the
    dead one held), so the dead worker is never noticed, no future fails and ``shutdown(wait=True)``
    never returns. Here this process closes its writing end once the workers are forked, and a thread
    (:func:`_watch_workers`) kills the other workers as soon as one ends abnormally: the unfinished read
    then ends (end of file), and the pool breaks as it does when a worker dies between two results.
    The thread is joined by ``shutdown(wait=True)`` (the death probe is forked only after it).
    """

    _watcher: Any = None
    _wake: int = -1

    def watch(self) -> None:
        """Start watching the workers (all forked by now: a forking pool never starts one later)."""
        import threading

        result_queue = getattr(self, "_result_queue", None)
        writer = getattr(result_queue, "_writer", None)
        workers = list((getattr(self, "_processes", None) or {}).values())
        if writer is None or not workers or self._watcher is not None:  # another CPython's internals: as it is
            return
        writer.close()  # only the workers write results: their deaths end a half-written one
        wake, self._wake = os.pipe()
        running = {worker.sentinel: worker for worker in workers}
        self._watcher = threading.Thread(target=_watch_workers, args=(running, wake), daemon=True,
                                         name="figure-audit worker watcher")
        self._watcher.start()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait, cancel_futures=cancel_futures)  # watched meanwhile: a death here ends it too
        if wait and self._watcher is not None:
            try:
                os.write(self._wake, b"x")
            except BrokenPipeError:  # it has ended already
                pass
            self._watcher.join()
            os.close(self._wake)
            self._watcher, self._wake = None, -1


def _watch_workers(running: dict[int, Any], wake: int) -> None:
    """Until ``wake`` is written to or every worker (``running``: by sentinel) has ended: when one ends
    abnormally (killed, or a non-zero exit), kill the others (see :class:`_WatchedPool`). Never reaps a
    worker (the pool does)."""
    import signal
    from multiprocessing.connection import wait

    try:
        while running:
            ready = wait([*running, wake])
            if wake in ready:
                return
            for sentinel in ready:
                if _ended_abnormally(running.pop(sentinel)):
                    for other in [w for s, w in running.items() if s not in ready]:  # not ended: its pid is its own
                        try:
                            os.kill(other.pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                    return
    finally:
        os.close(wake)


def _ended_abnormally(worker: Any) -> bool:
    """Whether ``worker`` (a process whose sentinel is ready) was killed or exited non-zero, read without
    reaping it (its exit code stays for the pool)."""
    try:
        # blocks for the instant between the sentinel's closing and the process's end
        ended = os.waitid(os.P_PID, worker.pid, os.WEXITED | os.WNOWAIT)
    except ChildProcessError:  # reaped already (multiprocessing keeps its code)
        return worker.exitcode != 0
    return ended.si_code != os.CLD_EXITED or ended.si_status != 0


class WorkerPool:
    """Forked worker processes started at the first task sent (or :meth:`start`), closed with the audit.

    Workers load the extraction tables themselves (in parallel): the parent holds no gazetteer or
    rule tables. ``packed``: read tasks (:func:`run_tasks`) send each batch's figure rows as one Arrow
    record batch (:class:`~auditor._spill.PackedResults`; the results' ``rows`` are then record
    batch slices, for a :class:`~auditor._spill.SpillWriter`), not pickled tuples.
    """

    def __init__(self, jobs: int, *, packed: bool = False) -> None:
        self.jobs = jobs
        self.packed = packed
        self._pool: ProcessPoolExecutor | None = None

    @property
    def started(self) -> bool:
        return self._pool is not None

    def start(self, warm: bool = False) -> None:
        """Fork the workers now; ``warm``: each loads the extraction tables at once, while this
        process goes on (planning the reads, importing what it needs next)."""
        if self._pool is None:
            self._pool = forked_pool(self.jobs, _worker_started, (self.packed, warm, os.getpid()))

    def submit(self, function: Callable, *args: object) -> Future:
        self.start()
        return self._pool.submit(function, *args)  # type: ignore[union-attr]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def run_tasks(
    tasks: Sequence[ReadTask],
    max_size: int,
    *,
    pool: WorkerPool | None = None,
    cache: object | None = None,
    batch_bytes: int = TASK_BYTES,
) -> Iterator[tuple[ReadTask, TaskResult]]:
    """``(task, result)`` for every task, in order: on ``pool`` (small files sent together, about
    ``batch_bytes`` per message; a window of batches in flight per worker, so results do not pile
    up) or, without one, here.

    With a ``cache`` (a re-run), tasks are looked up here a group at a time: what the cache holds is
    taken here and only the others go to the workers (one changed article costs one task there, not
    every task after it); once a whole group misses (a new corpus, a new extractor version) the rest
    goes to the workers without looking up."""
    if pool is None:  # in batches, as a worker takes them (see _run_batch)
        for batch in chunked(tasks, batch_bytes, weight=_task_size):
            yield from zip(batch, _run_batch(batch, max_size, cache))
        return
    from ._article_parts import submit_batch  # a huge article goes to several workers in pieces

    folder = getattr(cache, "folder", None) if cache is not None else None
    window = max(1, pool.jobs * _WINDOW_PER_WORKER)
    # In order: (tasks, their results found in the cache) or (tasks, the future of their batch).
    pending: deque[tuple[list[ReadTask], list[TaskResult] | Future]] = deque()
    flying = 0  # futures in ``pending``
    waiting = 0  # cached results in ``pending``, behind an unfinished batch: bounded

    def send(batch: list[ReadTask], after: int) -> Iterator[tuple[ReadTask, TaskResult]]:
        nonlocal flying
        for part in guided(batch, batch_bytes, pool.jobs, after):  # type: ignore[union-attr]
            try:
                future = submit_batch(pool, part, max_size, folder)  # type: ignore[arg-type]
            except BrokenProcessPool:  # found broken as a batch is sent, before a result shows it
                pool.close()  # type: ignore[union-attr] - its threads joined before the probe is started
                raise WorkerDied(_died_reading([*in_flight(), *part], max_size, folder)) from None
            pending.append((part, future))
            flying += 1
            yield from settle()

    def in_flight() -> list[ReadTask]:
        """The tasks of the batches sent and not yet taken."""
        return [t for part, f in pending if isinstance(f, Future) for t in part]

    def settle(wait: bool = False) -> Iterator[tuple[ReadTask, TaskResult]]:
        nonlocal flying, waiting
        while pending and (wait or flying > window or waiting > 2 * _CACHED_GROUP
                           or not isinstance(pending[0][1], Future) or pending[0][1].done()):
            done, got = pending.popleft()
            if isinstance(got, Future):
                flying -= 1
                try:
                    got = got.result()
                except BrokenProcessPool:  # a worker ended abruptly: the tasks in flight, one of them its
                    pool.close()  # type: ignore[union-attr] - its threads joined before the probe is started
                    raise WorkerDied(_died_reading([*done, *in_flight()], max_size, folder)) from None
            else:
                waiting -= len(done)
            yield from zip(done, got)

    tasks = list(tasks)
    looked_up = 0
    left = [0] * (len(tasks) + 1)  # bytes of the tasks from i on
    for i in range(len(tasks) - 1, -1, -1):
        left[i] = left[i + 1] + tasks[i].size
    if cache is not None:
        least = -(-_CACHED_GROUP_BYTES // _CACHED_GROUP)  # a small file weighs this: no group above _CACHED_GROUP
        for group in chunked(tasks, _CACHED_GROUP_BYTES, weight=lambda task: max(task.size, least)):
            found = _cached_tasks(group, max_size, cache)
            cache.flush_files()  # type: ignore[attr-defined]
            looked_up += len(group)
            if not any(found):
                yield from send(group, left[looked_up])
                break
            start = 0
            for i in range(1, len(group) + 1):  # runs of hits and of misses, in order
                if i == len(group) or (found[i] is None) != (found[start] is None):
                    if found[start] is None:
                        yield from send(group[start:i], left[looked_up - len(group) + i])
                    else:
                        pending.append((group[start:i], found[start:i]))  # type: ignore[arg-type]
                        waiting += i - start
                    start = i
            yield from settle()
    yield from send(tasks[looked_up:], 0)
    yield from settle(wait=True)


class WorkerDied(RuntimeError):
    """A worker process ended abruptly (killed by the system, e.g. out of memory, or a crash in a
    library) while reading and extracting: the message names the file when reading it again shows it."""


# Seconds a task read again alone may take (see _died_reading) before the search is given up.
_PROBE_SECONDS = 120


def _died_reading(tasks: Sequence[ReadTask], max_size: int, cache: object | None) -> str:
    """What to tell of a pool whose worker ended abruptly while ``tasks`` were in flight: the file that
    ends a process again when the tasks are read once more, one at a time, in one new process (see
    :func:`_probe_context`); else the files that were in flight (the worker was killed from outside)."""
    from .readers import _shown

    context = _probe_context()
    receiving, sending = context.Pipe(duplex=False)
    probe = context.Process(target=_probe, args=(tasks, max_size, cache, sending, settings()), daemon=True)
    probe.start()
    sending.close()
    reading, ended = None, False
    try:
        while receiving.poll(_PROBE_SECONDS):
            reading = receiving.recv()
    except EOFError:  # the probe ended: well (every task read) or as the worker did
        ended = True
    finally:
        if ended:  # its pipe closed: it is ending (an interpreter's shutdown takes a moment), not killed here
            probe.join(_PROBE_SECONDS)
        if probe.is_alive():  # a task longer than _PROBE_SECONDS: given up
            probe.kill()
        probe.join()
        receiving.close()
    if ended and probe.exitcode != 0 and reading is not None:
        return (f"a worker process ended abruptly while reading {_shown(tasks[reading].path)} (read again alone, it "
                "ends its process too: out of memory, or a crash in a library)")
    names = f"{_shown(tasks[0].path)}" + (f" ... {_shown(tasks[-1].path)}" if len(tasks) > 1 else "")
    return (f"a worker process ended abruptly (killed from outside, or out of memory) while reading one of "
            f"{len(tasks)} file(s) in flight: {names}")


def _probe_context() -> Any:
    """How the probe of :func:`_died_reading` is started: forked when this process runs no other thread
    (the broken pool's are joined first), as the workers were; else a fresh interpreter (a thread may
    hold a lock at the fork, which the child could never take: a notebook's kernel, a Dask client)."""
    import threading

    return multiprocessing.get_context("fork" if threading.active_count() == 1 else "spawn")


def _probe(tasks: Sequence[ReadTask], max_size: int, cache: object | None, sending: Any,
           chosen: dict[str, str]) -> None:
    """Read ``tasks`` in order, saying which one is next before reading it (see :func:`_died_reading`);
    ``chosen``: the run's :func:`settings` (a fresh interpreter does not inherit them)."""
    apply_settings(chosen)
    for i, task in enumerate(tasks):
        sending.send(i)
        run_task(task, max_size, cache)
    sending.close()


# The last batches of a run are cut down to this fraction of a full one (see guided).
_SMALLEST_BATCH = 8


def guided(tasks: Sequence[ReadTask], most: int, workers: int, after: int = 0) -> Iterator[list[ReadTask]]:
    """Consecutive runs of ``tasks`` of about ``most`` bytes each, smaller towards the end: each about
    what is left (``after`` bytes more follow these tasks) over 4 per worker, down to ``most`` / 8, so
    the workers finish their last batches together instead of one waiting on the other's full batch."""
    remaining = after + sum(task.size for task in tasks)
    batch: list[ReadTask] = []
    size = 0
    for task in tasks:
        batch.append(task)
        size += task.size
        if size >= max(most // _SMALLEST_BATCH, min(most, remaining // (4 * workers))):
            yield batch
            remaining -= size
            batch, size = [], 0
    if batch:
        yield batch


def _cached_tasks(tasks: list[ReadTask], max_size: int, cache: object) -> list[TaskResult | None]:
    """The result of each of ``tasks`` whose file read and every article's figures the cache holds,
    ``None`` for the others, looked up together: one query per few hundred files.

    The rows are taken as the cache gives them, strings not shared (:func:`_shared_strings`): that pays
    for pickling a worker's result, and these rows are not pickled; the parent copies them into columns."""
    from .cache import article_key, extractor_version

    reads = cache.stored_reads([(t.path, t.key) for t in tasks], max_size)  # type: ignore[attr-defined]
    version = extractor_version()
    keys = [[article_key(a, version) for a in read[0]] if read is not None else [] for read in reads]
    stored = cache.get_many([k for task_keys in keys for k in task_keys])  # type: ignore[attr-defined]
    results: list[TaskResult | None] = []
    for read, task_keys in zip(reads, keys):
        if read is None or any(k not in stored for k in task_keys):
            results.append(None)
            continue
        articles, errors = read
        results.append(TaskResult([article_row(a) for a in articles], errors, [stored[k] for k in task_keys]))
    return results


def _run_batch(batch: list[ReadTask], max_size: int, cache: object | None) -> list[TaskResult]:
    """Every task of ``batch`` read first, then extracted (a batch is about ``TASK_BYTES`` of text): reading a
    file between two extractions took twice the CPU (its code and data gone from the processor's caches)."""
    store = _store_of(cache)
    # The figure cache looked up and written once for the batch: a query and a transaction, not three per
    # file (on a first run of small files those took more CPU than packing the values stored)
    stored: list[Any] = [None] * len(batch)
    if store is not None:
        stored = store.stored_reads([(task.path, task.key) for task in batch], max_size)  # type: ignore[attr-defined]
    reads = [(*found, {}) if found is not None else read_digested(task, max_size, store, looked_up=True)
             for task, found in zip(batch, stored)]  # (a file taken from the cache: no digest, as _cached_tasks)
    if store is not None:
        store.flush_files()  # type: ignore[attr-defined]
    found = iter(rows_of([article for articles, _errors, _read in reads for article in articles], store))
    results = [_task_result(articles, errors, read, [next(found) for _article in articles])
               for articles, errors, read in reads]
    if _packing:
        from ._spill import PackedResults

        return PackedResults(results)
    return results

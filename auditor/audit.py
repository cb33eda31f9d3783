"""The whole audit: read files, extract figures (in parallel), group claims, export."""

from __future__ import annotations

import contextlib
import dataclasses
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ._spill import (ARTICLE_CHUNK, ARTICLE_SCHEMA, PackedRows, RowColumns, SpilledFigures, SpilledTable, SpillWriter,
                     release_memory)
from .model import ARTICLE_COLUMNS, ERROR_COLUMNS, FIGURE_COLUMNS, FIGURE_FIELDS, Article, Figure, ReadError
from .readers import ReadOptions

if TYPE_CHECKING:
    from ._parallel import WorkerPool
    from .cache import ArticleCache

_figure_row = operator.attrgetter(*FIGURE_FIELDS)

ProgressCallback = Callable[[int, int], None]


@dataclass
class AuditResult:
    """Everything an audit found, as DataFrames with the contract's columns.

    A local run on several workers keeps the articles, the figure table, the claim groups and the
    conflicts in files (:mod:`auditor._spill`), not in memory: each is loaded on first access;
    :meth:`write` streams them.
    """

    articles: pd.DataFrame  # or a SpilledRuns, loaded when read
    figures: pd.DataFrame  # or a SpilledFigures, loaded when read
    groups: pd.DataFrame  # or a SpilledRuns, loaded when read
    conflicts: pd.DataFrame  # or a SpilledRuns, loaded when read
    errors: pd.DataFrame
    # article_id -> text read; after a local audit, read again from the file on demand (sha256-checked)
    texts: Mapping[str, str] = field(default_factory=dict, repr=False)
    out_dir: Path | None = None  # where the review store lives, when the audit was given one

    def write(self, out_dir: str | Path, html: bool = False, jobs: int = 1) -> dict[str, Path]:
        """Write the audit CSVs (and ``report.html`` when ``html``) into ``out_dir``, on ``jobs`` processes."""
        from .export import write_outputs

        return write_outputs(self, Path(out_dir), html=html, jobs=jobs)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:  # noqa: ANN001 - IPython protocol
        """Rich display: JupyterLab's Figure Auditor renderer, with an HTML fallback."""
        from ._mime import mimebundle

        return mimebundle(self)

    def review(self, conflict_id: str, decision: str, note: str = "") -> None:
        """Mark a conflict ``confirmed`` or ``dismissed`` with a note, stored at once in ``out_dir``."""
        from .review import review_conflict

        review_conflict(self, conflict_id, decision, note)

    def review_group(self, group_id: str, decision: str, note: str = "") -> None:
        """Mark a whole claim group ``confirmed`` or ``dismissed`` ("AP's early toll, superseded");
        stored at once in ``out_dir`` and applied to the group's conflicts that have no decision of their own."""
        from .review import review_group

        review_group(self, group_id, decision, note)

    @property
    def n_articles(self) -> int:
        """Number of articles (without loading a spilled table)."""
        return len(self.__dict__["articles"])

    @property
    def n_figures(self) -> int:
        """Number of figures (without loading a spilled table)."""
        return len(self.__dict__["figures"])

    @property
    def n_groups(self) -> int:
        """Number of claim groups (without loading a spilled table)."""
        return len(self.__dict__["groups"])

    @property
    def n_conflicts(self) -> int:
        """Number of conflicts (without loading a spilled table)."""
        return len(self.__dict__["conflicts"])

    @property
    def figures_spilled(self) -> bool:
        """Whether the figure table is still in its spill file (the views then read only what they show)."""
        return isinstance(self.__dict__["figures"], SpilledFigures)

    def read_figures(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Every figure, only ``columns`` (all when ``None``), without loading a spilled table whole."""
        return self._figures_at(None, columns)

    def figures_in(self, group_ids: Iterable[str], columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The figures of some claim groups (``solo:<figure_id>`` for a figure without one), in table order."""
        import numpy as np

        groups, solos = set(), set()
        for g in map(str, group_ids):
            if g.startswith("solo:"):
                solos.add(g[len("solo:"):])
            else:
                groups.add(g)
        group = self._figures_at(None, ["group_id"])["group_id"]
        keep = group.isin(groups).to_numpy(dtype=bool)
        if solos:
            alone = group.isna().to_numpy(dtype=bool) | (group == "").to_numpy(dtype=bool)
            keep = keep | (alone & self._figures_at(None, ["figure_id"])["figure_id"].isin(solos).to_numpy(dtype=bool))
        return self._figures_at(np.flatnonzero(keep), columns)

    def figures_of(self, group_id: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The figures of one claim group (``solo:<figure_id>`` for a figure without one), in table order."""
        return self.figures_in([group_id], columns)

    def _figures_with_ids(self, figure_ids: Iterable[str]) -> pd.DataFrame:
        """The figures whose id is in ``figure_ids``, in table order."""
        import numpy as np

        ids = self._figures_at(None, ["figure_id"])["figure_id"]
        return self._figures_at(np.flatnonzero(ids.isin(set(map(str, figure_ids))).to_numpy(dtype=bool)), None)

    def _figures_at(self, positions: Any, columns: Sequence[str] | None) -> pd.DataFrame:
        """Rows at ``positions`` (ascending; all when ``None``) and ``columns`` of the figure table, typed as
        :attr:`figures` has them (index: the positions); a spilled table reads only these from its file."""
        import numpy as np

        figures = self.__dict__["figures"]
        if not isinstance(figures, SpilledFigures):
            rows = figures if positions is None else figures.iloc[positions]
            return rows if columns is None else rows[[c for c in rows.columns if c in columns]]
        wanted = [c for c in figures.columns if columns is None or c in columns]
        filled_columns = [] if figures.filled is None else list(figures.filled.columns)
        rows = np.arange(len(figures)) if positions is None else np.asarray(positions, dtype=np.int64)
        stored = [c for c in wanted if c not in filled_columns]
        frame = figures.part(rows, stored).load() if stored else pd.DataFrame(index=pd.RangeIndex(len(rows)))
        over = [c for c in wanted if c in filled_columns]
        if over:  # the claims' columns: in memory, or read from the claims tasks' runs (only these rows)
            filled = figures.filled
            if isinstance(filled, SpilledTable):
                filled = pd.DataFrame({c: filled.column(c) for c in over}) if positions is None \
                    else filled.rows(rows, over)
            elif positions is not None:
                filled = filled.iloc[rows]
        for column in over:  # typed as SpilledFigures.frame sets them, no Python string per cell
            values = filled[column]
            frame[column] = values.to_numpy() if values.dtype == object else values.array
        frame = frame[wanted]
        frame.index = pd.RangeIndex(len(rows)) if positions is None else pd.Index(rows)
        return frame

    def close(self) -> None:
        """Remove the spilled tables' files now (they are also removed when this result is collected
        and at exit); a table loaded before stays. The articles (one row each, no text) are loaded
        first and :attr:`texts` can still be read: both were in memory before runs spilled them."""
        articles = self.__dict__["articles"]
        if isinstance(articles, SpilledTable):
            len(self.texts)  # the texts take their ids and digests from the articles' file before it goes
            self.__dict__["articles"] = _table_loaded(articles)
        for name in ("figures", "groups", "conflicts"):
            if isinstance(self.__dict__[name], SpilledTable):
                self.__dict__[name].remove()

    def __enter__(self) -> AuditResult:
        return self

    def __exit__(self, *_: object) -> None:
        """``with auditor.audit(...) as result:`` closes it (:meth:`close`) at the block's end."""
        self.close()

    def __repr__(self) -> str:
        return (
            f"AuditResult({self.n_articles} articles, {self.n_figures} figures, "
            f"{self.n_groups} claim groups, {self.n_conflicts} conflicts, {len(self.errors)} errors)"
        )


def extract_all(
    articles: Sequence[Article],
    jobs: int | None = None,
    progress: ProgressCallback | None = None,
    cache: ArticleCache | None = None,
) -> list[Figure]:
    """Extract figures from every article, on ``jobs`` processes (default: all cores)."""
    return [Figure(*row) for row in _figure_rows(articles, jobs=jobs, progress=progress, cache=cache)]


def _figure_rows(
    articles: Sequence[Article],
    *,
    jobs: int | None = None,
    progress: ProgressCallback | None = None,
    cache: ArticleCache | None = None,
) -> list[tuple]:
    """Figure rows (``FIGURE_COLUMNS`` tuples) of every article, in order: cached, here or on forked workers."""
    from ._parallel import PARALLEL_MIN_CHARS, default_jobs, extract_stream

    jobs = default_jobs(jobs)
    if sum(a.chars for a in articles) < PARALLEL_MIN_CHARS or len(articles) < 2:
        jobs = 1
    stream = extract_stream(articles, jobs=jobs, cache=cache, progress=progress, total=len(articles))
    rows: list[tuple] = []
    for _article, found in stream:
        rows.extend(found)
    return rows


def figures_frame(figures: Iterable[Figure] | Iterable[tuple]) -> pd.DataFrame:
    """The figures (or their rows in ``FIGURE_COLUMNS`` order) as a DataFrame with the contract's columns."""
    rows = [f if isinstance(f, tuple) else _figure_row(f) for f in figures]
    return _typed(pd.DataFrame.from_records(rows, columns=list(FIGURE_COLUMNS)))


class TypedColumns(RowColumns):
    """Rows (tuples in ``columns`` order) gathered column by column and turned into typed arrays every
    ``CHUNK`` rows (pandas' string columns are compact Arrow buffers, not one Python string per cell),
    then joined into exactly the frame ``DataFrame.from_records`` makes of the same rows."""

    def __init__(self, columns: Sequence[str]) -> None:
        super().__init__()
        self.columns = list(columns)
        self._lists = [[] for _ in self.columns]
        self._chunks: list[list[Any]] = [[] for _ in self.columns]

    def _flush(self) -> None:
        for values, chunks in zip(self._lists, self._chunks):
            if values:
                chunks.append(_inferred(values))
                values.clear()

    def joined(self) -> pd.DataFrame:
        """The frame (emptying this): each column typed as ``DataFrame.from_records`` types it."""
        if not self.n:
            return pd.DataFrame.from_records([], columns=self.columns)
        self._flush()
        data = {}
        for name, chunks in zip(self.columns, self._chunks):
            if len(chunks) == 1:
                data[name] = pd.Series(chunks[0])
            elif len({str(c.dtype) for c in chunks}) == 1:
                column = pd.concat([pd.Series(c) for c in chunks], ignore_index=True)
                if hasattr(column.array, "__arrow_array__"):  # one Arrow chunk, as a column typed whole has
                    column = pd.Series(pd.array(column.array.__arrow_array__().combine_chunks(), dtype=column.dtype))
                data[name] = column
            else:  # the chunks were typed differently (a column empty in some): typed again as a whole
                data[name] = pd.Series(_inferred([v for c in chunks for v in pd.Series(c).astype(object)]))
            chunks.clear()
        self.n = 0
        return pd.DataFrame(data, columns=self.columns)


class FigureColumns(TypedColumns):
    """Figure rows gathered as :class:`TypedColumns`, made into exactly the frame :func:`figures_frame`
    makes of the same rows."""

    def __init__(self) -> None:
        super().__init__(FIGURE_COLUMNS)

    def frame(self) -> pd.DataFrame:
        """The frame (emptying this)."""
        if not self.n:
            return figures_frame([])
        frame = _typed(self.joined())
        release_memory()
        return frame


def _inferred(values: list[Any]) -> Any:
    """``values`` as the typed array ``DataFrame.from_records`` makes of a column of them."""
    import numpy as np

    try:  # what from_records calls per column (pandas 2.2-3.1), without building row tuples
        from pandas.core.internals.construction import convert_object_array
    except ImportError:  # a pandas that moved it: the public constructor itself, slower
        return pd.DataFrame.from_records([(v,) for v in values], columns=["v"])["v"].array
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return convert_object_array([array], dtype=None)[0]


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    for column in ("value", "low", "high", "reported_value"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    for column in ("start", "end", "sentence_start", "sentence_end"):
        frame[column] = frame[column].astype("int64")
    return frame


def audit(
    paths: str | Path | Iterable[str | Path],
    *,
    jobs: int | None = None,
    out_dir: str | Path | None = None,
    progress: ProgressCallback | None = None,
    reading: ReadOptions | None = None,
    cache: str | Path | bool | None = None,
    cluster: Any = None,
    profile: str | None = None,
    cache_size: int | None = None,
) -> AuditResult:
    """Audit files and folders (read recursively).

    Parameters
    ----------
    paths
        Files or folders of articles (``.txt .md .html .htm .jsonl .csv``).
    jobs
        Worker processes for extraction; default all cores.
    out_dir
        Folder of the review store (``review.sqlite``); decisions recorded there are
        merged into ``conflicts``. ``None`` audits without a store.
    progress
        Called as ``progress(done, total)`` while articles are processed.
    reading
        Symbolic links, size limit per file, excluded folders (:class:`~auditor.readers.ReadOptions`);
        ``out_dir`` is never read.
    cache
        Folder of the per-article figure cache (``articles.sqlite``): unchanged articles are not
        extracted again. ``True`` uses the user cache folder; ``None``/``False`` (default) none.
    cluster
        Address of a running Dask scheduler (``"tcp://host:8786"``) or a ``distributed.Client``:
        extraction and claim building run there. ``None`` (default) runs locally.
    profile
        Conflict profile (``auditor/data/profiles/<name>.yaml``: actors, generic words, place hints);
        ``None``/``"auto"`` (default) lets each article use its main country's profile.
    cache_size
        Bytes the cache may hold (default ``auditor.cache.DEFAULT_CACHE_SIZE``, 4 GiB): past it, the
        entries used least recently are removed when the audit ends.
    """
    from .profiles import set_profile

    set_profile(profile)  # before any worker forks; ValueError names the known profiles

    reading = reading or ReadOptions()
    if out_dir is not None:
        reading = dataclasses.replace(reading, exclude=(*reading.exclude, Path(out_dir)))
    store_dir = Path(out_dir) if out_dir is not None else None
    with contextlib.ExitStack() as session:
        store = _open_cache(cache)
        if store is not None:
            session.callback(store.close)
            # (before it is closed: callbacks run last first) bounded however the run ends
            session.callback(store.keep_within, _cache_size(cache_size))
        if cluster is not None:  # one client for extraction and claims
            from .cluster import claims_on_cluster, connect, read_and_extract_on_cluster

            cluster = session.enter_context(connect(cluster))
            articles, errors, figures, texts = read_and_extract_on_cluster(paths, reading, store, cluster, progress)
        else:
            from ._parallel import WorkerPool

            pool = WorkerPool(jobs or 0)
            session.callback(pool.close)
            articles, errors, figures, texts = _read_and_extract(paths, reading, pool, store, progress)
        session.push(_removed_on_error(articles, figures))
        # Nothing read: the store is left untouched (its decisions would all be flagged orphaned).
        review_dir = store_dir if len(articles) else None
        if cluster is not None:
            figures, groups, conflicts = claims_on_cluster(figures, articles, cluster, store_dir=review_dir)
        else:
            from concurrent.futures.process import BrokenProcessPool

            from ._parallel import WorkerDied

            try:
                figures, groups, conflicts = _claims(figures, articles, store, review_dir, pool)
            except BrokenProcessPool:  # the pool's own words name neither the step nor a cause
                raise WorkerDied("a worker process ended abruptly (out of memory, or killed from outside) while "
                                 "building incidents, groups and conflicts; nothing was written") from None
    return AuditResult(
        articles=articles,
        figures=figures,
        groups=groups,
        conflicts=conflicts,
        errors=errors,
        texts=texts,
        out_dir=store_dir,
    )


def _removed_on_error(*tables: Any) -> Callable[..., bool]:
    """An exit callback removing the spilled ``tables``' files when the audit fails (else the result
    keeps them): at once, not when the traceback that holds them goes (a notebook keeps the last one)."""

    def exit_(kind: type | None, *_: object) -> bool:
        if kind is not None:
            for table in tables:
                if isinstance(table, SpilledTable):
                    table.remove()
        return False

    return exit_


def _read_and_extract(
    paths: str | Path | Iterable[str | Path],
    reading: ReadOptions,
    pool: WorkerPool,
    store: ArticleCache | None,
    progress: ProgressCallback | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | SpilledFigures, Mapping[str, str]]:
    """Articles, read errors and figure rows, read and extracted task by task on ``pool``'s workers
    (here when the corpus is small): this process never holds the texts, only where to read them again.
    On several workers the figure rows are appended to a spill file as they arrive (this process
    holds none of them); in one process they are gathered here."""
    from ._parallel import PARALLEL_MIN_CHARS, TASK_BYTES, default_jobs, rows_of, run_tasks
    from .readers import ReadTask, plan_reads, read_task

    pool.jobs = default_jobs(pool.jobs or None)
    pool.packed = True  # the workers' rows come as Arrow, for the spill file
    plan: list[ReadTask | ReadError] = []
    total_bytes = pieces = 0  # a huge article is sent in pieces
    for item in plan_reads(paths, reading, part_bytes=TASK_BYTES):
        plan.append(item)
        if isinstance(item, ReadTask):
            total_bytes += item.size
            pieces += item.pieces(pool.jobs)
            if store is None and pool.jobs > 1 and total_bytes >= PARALLEL_MIN_CHARS and pieces >= 2 \
                    and not pool.started:  # a pool it is: its workers load their tables while the rest is planned
                from . import claims  # noqa: F401 - needed here later: imported once, inherited by the claims tasks

                pool.start(warm=True)
    tasks = [item for item in plan if isinstance(item, ReadTask)]
    if total_bytes < PARALLEL_MIN_CHARS or pieces < 2:
        pool.jobs = 1  # a pool costs more than it saves; claims are built here too
    elif store is not None:
        from .cache import extractor_version

        extractor_version()  # the digest of the code and data, taken once here and inherited by the workers
    results = run_tasks(tasks, reading.max_file_size, pool=pool if pool.jobs > 1 else None, cache=store)

    def renamed(task: ReadTask, k: int, unique: str) -> list[tuple]:
        article = read_task(task, reading.max_file_size)[0][k]
        return rows_of([dataclasses.replace(article, article_id=unique)], store)[0]

    rows = SpillWriter() if pool.jobs > 1 else FigureColumns()
    try:
        return _gathered(plan, results, rows, reading, renamed, total_bytes, progress, tasks)
    except BaseException:
        if isinstance(rows, SpillWriter):
            rows.discard()
        raise


class _ColumnOf:
    """A column of a spilled table, read when first iterated (what :class:`~auditor.readers.ArticleTexts`
    keeps of the articles until a text is asked for: nothing in memory)."""

    def __init__(self, table: SpilledTable, name: str) -> None:
        self.table, self.name = table, name

    def __iter__(self) -> Iterator[Any]:
        return iter(self.table.column(self.name).tolist())

    def __len__(self) -> int:
        return len(self.table)


def _gathered(
    plan: list[Any], results: Iterator[Any], rows: FigureColumns | SpillWriter, reading: ReadOptions,
    renamed: Callable[[Any, int, str], list[tuple]], total_bytes: int, progress: ProgressCallback | None,
    tasks: list[Any],
) -> tuple[pd.DataFrame | SpilledTable, pd.DataFrame, pd.DataFrame | SpilledFigures, Mapping[str, str]]:
    """The tasks' results taken in plan order: articles, errors, figure rows into ``rows``.

    ``renamed(task, k, unique)`` gives the figure rows of article ``k`` of ``task`` under the id
    ``unique`` (an id seen before, renamed as :func:`~auditor.readers.load_articles` does): read
    again here locally, on a worker on a cluster (:mod:`auditor.cluster`)."""
    # Per article, compact (this process holds them for the whole run): its columns as typed arrays
    # (in a spill file, as the figures, on several workers), and where it was read (task, place in
    # the task's articles), for ArticleTexts to read it again.
    article_rows: TypedColumns | SpillWriter = SpillWriter(schema=ARTICLE_SCHEMA, chunk=ARTICLE_CHUNK) \
        if isinstance(rows, SpillWriter) else TypedColumns(ARTICLE_COLUMNS)
    try:
        return _taken(plan, results, rows, article_rows, reading, renamed, total_bytes, progress, tasks)
    except BaseException:
        if isinstance(article_rows, SpillWriter):
            article_rows.discard()
        raise


def _taken(
    plan: list[Any], results: Iterator[Any], rows: FigureColumns | SpillWriter, article_rows: TypedColumns | SpillWriter,
    reading: ReadOptions, renamed: Callable[[Any, int, str], list[tuple]], total_bytes: int,
    progress: ProgressCallback | None, tasks: list[Any],
) -> tuple[pd.DataFrame | SpilledTable, pd.DataFrame, pd.DataFrame | SpilledFigures, Mapping[str, str]]:
    """:func:`_gathered`, its articles' rows into ``article_rows``."""
    from array import array

    from ._uptodate import keep_read
    from .readers import NAME_NOTE, ArticleTexts, _shown, _unique_id

    # Per task, how many articles it gave (where each article was read: ArticleTexts), 4 bytes a task;
    # per article, how many figure rows (each spilled figure's article row, for claims), 4 bytes an article
    counts, figure_counts = array("i"), array("i")
    errors: list[ReadError] = []
    taken = _IdsSeen()
    done_bytes, found_in_file = 0, False
    for item in plan:
        if isinstance(item, ReadError):
            errors.append(item)
            continue
        task, result = next(results)
        errors.extend(result.errors)
        keep_read(result.read)  # the files' digests, for the run record
        found_in_file = (found_in_file and task.part > 0) or bool(result.articles) or any(
            e.error != NAME_NOTE for e in result.errors)
        if not task.whole and task.part == task.parts - 1 and not found_in_file:
            errors.append(ReadError(_shown(task.path), "empty file"))  # as a whole file reads
        again: dict[int, list[tuple]] = {}
        rows_read = result.articles
        if not taken.take_new([row[0] for row in rows_read]):  # an id seen before (or twice here): renamed
            for k, row in enumerate(rows_read):
                unique = _unique_id(row[0], taken)
                if unique != row[0]:  # a repeated id: its figure ids hash the new id, so extracted again
                    if rows_read is result.articles:
                        rows_read = list(rows_read)
                    rows_read[k] = (unique, *row[1:])
                    again[k] = renamed(task, k, unique)
        article_rows.extend(rows_read)
        counts.append(len(rows_read))
        if isinstance(result.rows, PackedRows) and not again:
            rows.extend(result.rows)  # a worker's rows of the whole task, at once
            figure_counts.extend(result.rows.counts.tolist())
        else:
            for k, found in enumerate(result.rows):
                rows.extend(again.get(k, found))
                figure_counts.append(len(again.get(k, found)))
        done_bytes += task.size
        if progress:
            progress(article_rows.n, round(article_rows.n * total_bytes / done_bytes) if done_bytes else 0)
    errors_frame = pd.DataFrame([e.to_row() for e in errors], columns=list(ERROR_COLUMNS))
    if isinstance(article_rows, SpillWriter):
        if article_rows.n:
            articles = article_rows.finish_table()
            ids, digests = _ColumnOf(articles, "article_id"), _ColumnOf(articles, "sha256")
        else:  # none: the frame an in-memory run makes
            article_rows.discard()
            articles = TypedColumns(ARTICLE_COLUMNS).joined()
    else:
        articles = article_rows.joined()
    if isinstance(articles, pd.DataFrame):
        ids, digests = articles["article_id"], articles["sha256"]
    taken.close()  # (its database removed)
    del taken
    if isinstance(rows, SpillWriter):
        import numpy as np

        # the figures' rows follow the articles' (each task's in turn, each article's in turn)
        known = len(figure_counts) == article_rows.n and sum(figure_counts) == rows.n
        figures = rows.finish(np.frombuffer(figure_counts, dtype=np.int32).copy() if known else None)
        del figure_counts
        release_memory()  # what the workers' results took as they came in, before the claims step
    else:
        figures = rows.frame()
    in_task, at = _ArticlePlaces(counts, True), _ArticlePlaces(counts, False)
    return articles, errors_frame, figures, ArticleTexts(tasks, ids, digests, in_task, at, reading.max_file_size)


class _IdsSeen:
    """The article ids taken so far (what :func:`~auditor.readers._unique_id` renames a repeated id
    against). The last ids taken are a plain set (``_PENDING_IDS`` at most); older ones are kept as a
    128-bit hash each (BLAKE2b) in a private temporary SQLite database on disk (its pages beyond a small
    cache are the system's, not this process's): the memory held does not grow with the corpus. Sorted
    numpy arrays of the hashes held 16 bytes an article and their merges briefly ~40 more (60 MB at 1.4
    million articles). A task's ids are hashed and looked up there only once any were moved there (a
    corpus of fewer articles never pays for it). ``in`` and ``add`` as a set's."""

    def __init__(self) -> None:
        self._pending: set[str] = set()
        self._db: Any = None  # (opened when the first ids are moved there)

    @staticmethod
    def _hashes(ids: Iterable[str]) -> list[bytes]:
        import hashlib

        return [hashlib.blake2b(i.encode("utf-8", "surrogatepass"), digest_size=16).digest() for i in ids]

    def _found(self, ids: Sequence[str]) -> bool:
        """Whether any of ``ids`` was added."""
        if not self._pending.isdisjoint(ids):
            return True
        if self._db is None:
            return False
        hashes = self._hashes(ids)
        for start in range(0, len(hashes), _IDS_PER_QUERY):
            some = hashes[start:start + _IDS_PER_QUERY]
            query = f"SELECT 1 FROM seen WHERE hash IN ({','.join('?' * len(some))}) LIMIT 1"
            if self._db.execute(query, some).fetchone() is not None:
                return True
        return False

    def _added(self, ids: Iterable[str]) -> None:
        self._pending.update(ids)
        if len(self._pending) < _PENDING_IDS:
            return
        if self._db is None:
            import sqlite3

            # "": a private database on disk, removed when it is closed (or this process ends)
            self._db = sqlite3.connect("")
            for pragma in ("journal_mode = OFF", "synchronous = OFF", f"cache_size = -{_IDS_CACHE_KB}"):
                self._db.execute(f"PRAGMA {pragma}")
            self._db.execute("CREATE TABLE seen (hash BLOB PRIMARY KEY) WITHOUT ROWID")
        hashes = self._hashes(self._pending)
        self._pending = set()
        with self._db:
            self._db.executemany("INSERT OR IGNORE INTO seen VALUES (?)", ((h,) for h in sorted(hashes)))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def take_new(self, ids: Sequence[str]) -> bool:
        """Add ``ids`` when none was added before and none is repeated among them (``True``); else add
        nothing (``False``: :func:`~auditor.readers._unique_id` renames them one at a time)."""
        if not ids:
            return True
        if len(set(ids)) < len(ids) or self._found(ids):
            return False
        self._added(ids)
        return True

    def __contains__(self, article_id: str) -> bool:
        return self._found((article_id,))

    def add(self, article_id: str) -> None:
        self._added((article_id,))


# Ids _IdsSeen keeps as strings before hashing them into its database (~0.4 MB of set at most; at
# 65,536 the set and its hashing took 6 to 9 MB of this process's peak on a 72,000-article corpus)
_PENDING_IDS = 1 << 12
# Its database's page cache (KB), and the ids looked up by one query (SQLite's limit of parameters: 999
# in old builds)
_IDS_CACHE_KB = 2048
_IDS_PER_QUERY = 500


class _ArticlePlaces:
    """Where each article was read, from the number of articles of each task: its task
    (``tasks=True``) or its place in the task's articles, one per article as iterated (what
    :class:`~auditor.readers.ArticleTexts` zips with the ids; not held as one number per article)."""

    def __init__(self, counts: Sequence[int], tasks: bool) -> None:
        self._counts, self._tasks = counts, tasks

    def __iter__(self) -> Iterator[int]:
        for n, count in enumerate(self._counts):
            yield from ((n,) * count) if self._tasks else range(count)

    def __len__(self) -> int:
        return sum(self._counts)


def _claims(
    figures: pd.DataFrame | SpilledFigures, articles: pd.DataFrame, store: ArticleCache | None,
    review_dir: Path | None, pool: WorkerPool | None = None,
) -> tuple[pd.DataFrame | SpilledFigures, pd.DataFrame, pd.DataFrame]:
    """Claims built before review decisions; the decisions are always merged afresh from
    ``review.sqlite``, never cached. With a ``pool`` of several workers, built there per batch of
    blocking keys; with a ``store``, per bucket of blocking keys, only the buckets whose figures or
    articles changed since they were stored (:class:`~auditor.claims.ClaimBatchCache`)."""
    from .claims import build_claims, build_claims_by_blocks, claim_batch_cache, run_here

    if isinstance(figures, SpilledFigures):
        return _spilled_claims(figures, articles, store, review_dir, pool)
    on_pool = pool is not None and pool.jobs > 1
    if store is None and not on_pool:
        built = build_claims(figures, articles, store_dir=review_dir)
    else:
        import tempfile

        built = build_claims_by_blocks(figures, articles, pool.submit if on_pool else run_here,
                                       pool.jobs if on_pool else 1, store_dir=review_dir,
                                       shared_folder=Path(tempfile.gettempdir()) if on_pool else None,
                                       cache=claim_batch_cache(store))
    release_memory()
    return built


def _spilled_claims(
    figures: SpilledFigures, articles: pd.DataFrame, store: ArticleCache | None, review_dir: Path | None,
    pool: WorkerPool | None,
) -> tuple[pd.DataFrame | SpilledFigures, pd.DataFrame | SpilledTable, pd.DataFrame | SpilledTable]:
    """:func:`_claims` of a spilled figure table: built per batch of blocking keys, each task reading
    its rows from the spill file (its batch files in the temporary folder, build_claims_by_blocks's
    default for a spilled table); this process keeps the columns claims fill. Without a cache the
    groups and conflicts stay in the files the tasks wrote (:class:`~auditor._spill.SpilledRuns`)."""
    from .claims import build_claims_by_blocks, claim_batch_cache

    if not len(figures) or pool is None or pool.jobs < 2:
        return _claims(_table_loaded(figures), articles.frame() if isinstance(articles, SpilledTable) else articles,
                       store, review_dir, pool)
    built = build_claims_by_blocks(figures, articles, pool.submit, pool.jobs, store_dir=review_dir,
                                   cache=claim_batch_cache(store))
    release_memory()
    return built


def _table_loaded(table: SpilledTable) -> pd.DataFrame:
    """A spilled table read whole, its files removed."""
    loaded = table.frame()
    table.remove()
    return loaded


def _cache_size(size: int | None) -> int:
    from .cache import DEFAULT_CACHE_SIZE

    if size is None:
        return DEFAULT_CACHE_SIZE
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise ValueError(f"cache_size must be a positive number of bytes, not {size!r}")
    return size


def _open_cache(cache: str | Path | bool | None) -> ArticleCache | None:
    if cache is None or cache is False:
        return None
    from .cache import ArticleCache, default_cache_folder

    return ArticleCache(default_cache_folder() if cache is True else Path(cache))


def _loaded_on_access(name: str, doc: str, keep_files: bool = False) -> property:
    """``result.<name>``: a table spilled to files by a local run (articles, figures, claim groups,
    conflicts) is loaded on first access (and its files removed, unless ``keep_files``: the articles',
    which the result's texts read their ids and digests from, go when no longer referenced); the
    writers stream it without loading it. Set, it is kept where a dataclass field is (the property
    reads it there)."""

    def get(result: AuditResult) -> pd.DataFrame:
        table = result.__dict__[name]
        if isinstance(table, SpilledTable):
            result.__dict__[name] = table = table.frame() if keep_files else _table_loaded(table)
        return table

    def set_(result: AuditResult, table: pd.DataFrame | SpilledTable) -> None:
        result.__dict__[name] = table

    return property(get, set_, doc=doc)


# Properties set after the dataclass is made: ``AuditResult(figures=...)`` stays the constructor.
AuditResult.articles = _loaded_on_access("articles", "One row per article (``ARTICLE_COLUMNS``).",  # type: ignore[assignment]
                                         keep_files=True)
AuditResult.figures = _loaded_on_access("figures", "One row per figure (``FIGURE_COLUMNS``).")  # type: ignore[assignment]
AuditResult.groups = _loaded_on_access("groups", "One row per claim group (``GROUP_COLUMNS`` first).")  # type: ignore[assignment]
AuditResult.conflicts = _loaded_on_access("conflicts", "One row per conflict (``CONFLICT_COLUMNS`` first).")  # type: ignore[assignment]


__all__ = ["AuditResult", "ReadError", "audit", "extract_all", "figures_frame"]

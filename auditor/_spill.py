"""The figure table of a local run, kept in a file instead of the main process's memory.

The workers' figure rows are appended, as they arrive, to an Arrow IPC file (record batches of about
``SpillWriter.CHUNK`` rows) in a folder of the run's own in the temp folder. A pool's workers send them
as Arrow already (:func:`figure_batch`, :class:`PackedResults`): this process copies buffers, it makes no
Python object per figure. The claims and keys tasks
read just their rows from it (:class:`SpillPart`), the CSV and Parquet writers stream it a batch at a
time, and :attr:`auditor.audit.AuditResult.figures` loads it whole only when asked. Every frame made
from it is typed as :func:`auditor.audit.figures_frame` types the whole table (a text column empty in
every row is ``object`` of ``None``; ``event_total`` too), so outputs are the same bytes.

The folder carries the run's process id: a run killed before removing it (kill -9) leaves it, and
the next run removes it (as the claims batch folders, :func:`auditor.claims._remove_abandoned`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import tempfile
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc

from ._processes import running
from .model import ARTICLE_COLUMNS, FIGURE_COLUMNS

SPILL_PREFIX = "figure-audit-spill-"
# Why a table whose files were removed cannot be read (instead of a FileNotFoundError naming a temp file).
CLOSED_MESSAGE = ("this audit was closed (AuditResult.close, or the end of a `with auditor.audit(...) as result:` "
                  "block): its tables kept in temporary files are gone; read them before closing, run auditor.audit "
                  "again, or open a written audit with auditor.open_audit(out_dir)")
_INTEGERS = frozenset({"start", "end", "sentence_start", "sentence_end"})
_NUMBERS = frozenset({"value", "low", "high", "reported_value", "event_total"})
# Typed float64 even when empty in every row (audit._typed); other columns empty everywhere are None.
_ALWAYS_FLOAT = frozenset({"value", "low", "high", "reported_value"})
SCHEMA = pa.schema([
    (c, pa.int64() if c in _INTEGERS else pa.float64() if c in _NUMBERS else pa.large_string())
    for c in FIGURE_COLUMNS
])
# The articles of a local run on several workers, kept in a file as the figures are (SpillWriter(schema=...)).
ARTICLE_SCHEMA = pa.schema([(c, pa.int64() if c == "chars" else pa.large_string()) for c in ARTICLE_COLUMNS])
# Rows of the articles file's record batches: a claims batch's articles are read from most of them, each
# read whole (~300 bytes an article, its paths and digests too): at 8,192 rows a batch of 20,000 articles
# took ~8 MB of the main process's peak to read (one record batch and the rows taken), at 2,048 ~3 MB.
ARTICLE_CHUNK = 2_048


def _arrow_column(values: Sequence[Any], kind: pa.DataType) -> pa.Array:
    """A column of figure rows as Arrow (``None`` and NaN are nulls, as pandas reads them)."""
    try:
        return pa.array(values, type=kind, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not what the extractor makes; kept readable
        if kind == pa.large_string():
            return pa.array([None if v is None or v != v else str(v) for v in values], type=kind)
        return pa.array(pd.to_numeric(pd.Series(values, dtype=object), errors="coerce"), type=kind)


def figure_batch(rows: Sequence[tuple] | list[list[Any]], by_column: bool = False,
                 schema: pa.Schema = SCHEMA) -> pa.RecordBatch:
    """Figure rows (``FIGURE_COLUMNS`` tuples; or, ``by_column``, one list per column) as an Arrow
    record batch of :data:`SCHEMA` (or rows of another table and its ``schema``)."""
    columns = rows if by_column else (list(zip(*rows)) if rows else [[] for _ in schema])
    return pa.RecordBatch.from_arrays([_arrow_column(values, kind) for values, kind in zip(columns, schema.types)],
                                      schema=schema)


class PackedResults(list):
    """A worker's list of :class:`~auditor._parallel.TaskResult`, whose figure rows cross to the parent
    as one Arrow record batch (IPC bytes) instead of pickled tuples; unpickled, it is a plain list of
    results whose ``rows`` are :class:`PackedRows` (record batches, what :class:`SpillWriter` takes)."""

    def __reduce__(self) -> tuple:
        rows = [row for result in self for found in result.rows for row in found]
        counts = [[len(found) for found in result.rows] for result in self]
        shells = [dataclasses.replace(result, rows=[]) for result in self]
        return _unpacked, (shells, counts, figure_batch(rows).serialize().to_pybytes())


def _unpacked(shells: list[Any], counts: list[list[int]], data: bytes) -> list[Any]:
    batch = ipc.read_record_batch(pa.py_buffer(data), SCHEMA)
    start = 0
    for result, sizes in zip(shells, counts):
        result.rows = PackedRows(batch, start, sizes)
        start = result.rows.stop
    return shells


class PackedRows(Sequence):
    """The figure rows of one task's articles: rows ``start:stop`` of a record batch a worker sent
    (``source``), taken whole by :class:`SpillWriter` when no article is renamed; ``[k]`` is article
    ``k``'s rows, a slice."""

    def __init__(self, source: pa.RecordBatch, start: int, counts: list[int]) -> None:
        self.source = source
        self.start = start
        self._bounds = [start]  # article k's rows: _bounds[k]:_bounds[k + 1]
        for count in counts:
            start += count
            self._bounds.append(start)
        self.stop = start

    def __len__(self) -> int:
        return len(self._bounds) - 1

    @property
    def counts(self) -> np.ndarray:
        """Each article's number of rows."""
        return np.diff(np.asarray(self._bounds, dtype=np.int64))

    def __getitem__(self, k: int) -> pa.RecordBatch:  # type: ignore[override]
        if not 0 <= k < len(self):
            raise IndexError(k)
        return self.source.slice(self._bounds[k], self._bounds[k + 1] - self._bounds[k])


class RowColumns:
    """Rows (``FIGURE_COLUMNS`` tuples; other columns in :class:`auditor.audit.TypedColumns`) gathered
    column by column; ``_flush`` takes them every ``CHUNK`` rows (into typed arrays in memory, or into
    the spill file)."""

    CHUNK = 16_384

    def __init__(self, width: int = len(FIGURE_COLUMNS)) -> None:
        self._lists: list[list[Any]] = [[] for _ in range(width)]
        self.n = 0

    def extend(self, rows: Sequence[tuple]) -> None:
        if rows:
            for column, values in zip(self._lists, zip(*rows)):
                column.extend(values)
            self.n += len(rows)
            if self._waiting() >= self.CHUNK:
                self._flush()

    def _waiting(self) -> int:
        """Rows gathered since the last flush."""
        return len(self._lists[0])

    def _flush(self) -> None:
        raise NotImplementedError


class SpillWriter(RowColumns):
    """Figure rows appended to the spill file ``CHUNK`` rows at a time: ``FIGURE_COLUMNS`` tuples, or
    record batches of :data:`SCHEMA` (a worker's, see :class:`PackedResults`), in the order given.
    With another ``schema`` (:data:`ARTICLE_SCHEMA`), rows of that table: :meth:`finish_table`."""

    # Rows gathered, then joined into one record batch, at a time: the parent holds them twice while
    # joining (the figure rows are ~600 bytes each), its peak through the extraction
    CHUNK = 8_192

    def __init__(self, folder: str | Path | None = None, schema: pa.Schema = SCHEMA, chunk: int | None = None
                 ) -> None:
        super().__init__(len(schema))
        self.schema = schema
        if chunk is not None:  # rows of a record batch written, about (ARTICLE_CHUNK for the articles)
            self.CHUNK = chunk
        base = Path(folder) if folder is not None else Path(tempfile.gettempdir())
        remove_abandoned(base)
        self.folder = Path(tempfile.mkdtemp(prefix=f"{SPILL_PREFIX}{os.getpid()}-", dir=base))
        self.path = self.folder / ("figures.arrow" if schema is SCHEMA else "table.arrow")
        self._sink = pa.OSFile(str(self.path), "wb")
        self._writer = ipc.new_file(self._sink, schema)
        self._nulls = [0] * len(schema)
        self._batch_rows: list[int] = []  # rows of each record batch written
        # Taken since the last flush, before the rows in _lists: [record batch, start, stop] (consecutive
        # tasks' rows from one worker's batch are one range: few pieces to join)
        self._batches: list[list[Any]] = []
        self._batched = 0  # rows in _batches
        self._finalizer = weakref.finalize(self, _remove_folder, self.folder, os.getpid())

    def extend(self, rows: Sequence[tuple] | pa.RecordBatch | PackedRows) -> None:
        if isinstance(rows, pa.RecordBatch):
            source, start, stop = rows, 0, rows.num_rows
        elif isinstance(rows, PackedRows):
            source, start, stop = rows.source, rows.start, rows.stop
        else:
            super().extend(rows)
            return
        if stop > start:
            self._batch_lists()  # tuples taken before stay before
            last = self._batches[-1] if self._batches else None
            if last is not None and last[0] is source and last[2] == start:
                last[2] = stop
            else:
                self._batches.append([source, start, stop])
            self._batched += stop - start
            self.n += stop - start
            if self._waiting() >= self.CHUNK:
                self._flush()

    def _waiting(self) -> int:
        return self._batched + len(self._lists[0])

    def _batch_lists(self) -> None:
        if self._lists[0]:
            batch = figure_batch(self._lists, by_column=True, schema=self.schema)
            for values in self._lists:
                values.clear()
            self._batches.append([batch, 0, batch.num_rows])
            self._batched += batch.num_rows

    def _flush(self) -> None:
        self._batch_lists()
        if not self._batches:
            return
        pieces = [source.slice(start, stop - start) for source, start, stop in self._batches]
        if len(pieces) == 1:
            batch = pieces[0]
        else:  # one record batch of about CHUNK rows, however the rows came
            batch = pa.Table.from_batches(pieces, schema=self.schema).combine_chunks().to_batches()[0]
        self._batches, self._batched = [], 0
        for i, column in enumerate(batch.columns):
            self._nulls[i] += column.null_count
        self._writer.write_batch(batch)
        self._batch_rows.append(batch.num_rows)
        del batch, pieces
        # The rows written and the workers' messages they came in: given back now (the heap kept their
        # blocks, scattered among live ones, and the parent's peak grew through the extraction)
        release_memory()

    def finish(self, article_counts: np.ndarray | None = None) -> SpilledFigures:
        """The table written: the file closed and handed to a :class:`SpilledFigures` (which removes it);
        ``article_counts``: its rows are those of each article of the articles table in turn, so many each."""
        empty = self._closed()
        return SpilledFigures(self.path, self.folder, self.n, empty, batch_rows=tuple(self._batch_rows),
                              article_counts=article_counts)

    def finish_table(self) -> SpilledRuns:
        """Another table written (see ``schema``): the file closed and handed to a :class:`SpilledRuns` of
        one run (which removes it); read as ``DataFrame.from_records`` makes the same rows (a column
        empty in every row ``None`` objects)."""
        empty = self._closed()
        return SpilledRuns((str(self.path),), self.folder, np.zeros(self.n, dtype=np.int8), tuple(self.schema.names),
                           empty=empty, batch_rows=tuple(self._batch_rows))

    def _closed(self) -> frozenset[str]:
        """Close the file (its folder now someone else's to remove); the columns empty in every row."""
        self._flush()
        self._writer.close()
        self._sink.close()
        self._finalizer.detach()
        return frozenset(c for c, nulls in zip(self.schema.names, self._nulls)
                         if self.n and nulls == self.n and c not in _ALWAYS_FLOAT)

    def discard(self) -> None:
        """Remove the file (the run failed)."""
        try:
            self._writer.close()
            self._sink.close()
        except (OSError, pa.ArrowException):
            pass
        self._finalizer()


def row_dtype(n_rows: int) -> type:
    """The integer type of positions among ``n_rows`` rows: int32 when they fit (4 bytes a row, held per
    figure across a corpus), else int64."""
    return np.int32 if n_rows < 2**31 else np.int64


def counts_of(codes: np.ndarray, minlength: int = 0) -> np.ndarray:
    """How many of ``codes`` (small non-negative integers, a number per figure: its batch, run or bucket) are
    each value, as ``np.bincount`` gives them, counted a slice at a time: ``np.bincount`` first makes its
    input 64-bit (~52 MB for 6.5 million one-byte codes, the main process's peak as the claims tasks were
    sent at 1 GB)."""
    counts = np.zeros(max(minlength, int(codes.max()) + 1 if len(codes) else 0), dtype=np.int64)
    for start in range(0, len(codes), SLICE_ROWS):
        piece = np.bincount(codes[start:start + SLICE_ROWS])
        counts[:len(piece)] += piece
    return counts


# Rows worked on at a time where an array of a number per figure of the whole table would be made at once
SLICE_ROWS = 1 << 18


def number_dtype(count: int) -> type:
    """The smallest integer type holding a number among ``count`` (a batch's or a run's, held per figure)."""
    return np.int8 if count <= 127 else np.int16 if count <= 32767 else np.int32


def release_memory() -> None:
    """Give the memory freed since (a task's working tables, a transient copy) back to the system:
    Arrow's pool and glibc's heap keep freed blocks for reuse, which would count in this process's
    resident memory, and so in its peak, for the rest of the run (a worker's next task, the next
    stage here) instead of being reused only by what comes next."""
    pa.default_memory_pool().release_unused()
    global _trim
    if _trim is None:
        try:
            import ctypes

            _trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):  # not glibc: its allocator's own policy
            _trim = False
    if _trim:
        _trim(0)


_trim: Any = None  # glibc's malloc_trim once looked up (False: none)


def _remove_folder(folder: Path, owner: int) -> None:
    if os.getpid() == owner:  # not from a forked worker that inherited the object
        shutil.rmtree(folder, ignore_errors=True)


def remove_abandoned(folder: Path) -> None:
    """Remove the spill folders in ``folder`` whose run no longer exists."""
    for left in Path(folder).glob(f"{SPILL_PREFIX}*"):
        pid = left.name[len(SPILL_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not running(int(pid)):
            shutil.rmtree(left, ignore_errors=True)


def _frame(table: pa.Table | pa.RecordBatch, empty: frozenset[str], index: pd.Index | None = None) -> pd.DataFrame:
    """Arrow columns as a pandas frame: numbers as numpy arrays, text as pandas' Arrow-backed strings, the
    ``empty`` columns as ``None`` objects (as :func:`auditor.audit.figures_frame` makes the figures)."""
    n = table.num_rows
    data = {}
    for name, column in zip(table.schema.names, table.columns):
        if name in empty:
            values = np.empty(n, dtype=object)
            values[:] = None
            data[name] = values
        elif pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
            data[name] = column.to_pandas().to_numpy()
        else:
            data[name] = column.to_pandas().array
    frame = pd.DataFrame(data, columns=table.schema.names)
    if index is not None:
        frame.index = index
    return frame


@dataclass(frozen=True)
class SpillPart:
    """Some rows (ascending positions, or a range of them) and columns of a spill file: what a task
    reads (picklable)."""

    path: str
    rows: np.ndarray | range
    columns: tuple[str, ...] | None
    empty: frozenset[str]
    batch_rows: tuple[int, ...] = ()  # rows of each record batch of the file, when known

    def load(self, positions: np.ndarray | None = None, columns: tuple[str, ...] | None = None) -> pd.DataFrame:
        """The rows (those at ``positions`` among them, ascending; ``columns`` of them, when given), read a
        record batch at a time (not memory-mapped: the pages would count in this process's memory; a
        batch holding none of them is not read when the batches' sizes are known), typed as in the whole
        table, with a fresh index."""
        return _frame(_rows_read(self.path, self.columns if columns is None else columns, self.rows_at(positions),
                                 self.batch_rows), self.empty)

    def rows_at(self, positions: np.ndarray | None = None) -> np.ndarray:
        """The file's rows of the part's rows at ``positions`` (ascending; ``None``: all), as an array."""
        rows = self.rows
        if isinstance(rows, range):
            return np.arange(rows.start, rows.stop, rows.step) if positions is None \
                else rows.start + rows.step * np.asarray(positions, dtype=np.int64)
        return rows if positions is None else rows[positions]


def _rows_read(path: str | Path, columns: Sequence[str] | None, rows: np.ndarray, batch_rows: Sequence[int] = ()
               ) -> pa.Table:
    """Rows at ``rows`` (ascending) and ``columns`` (all when ``None``) of an Arrow IPC file, read a
    record batch at a time (not memory-mapped: the pages read would count in this process's memory
    until the whole file is let go; a batch holding none of them is not read when the batches' sizes,
    ``batch_rows``, are known)."""
    with pa.OSFile(str(path), "rb") as source:
        reader = ipc.open_file(source)
        if columns is not None:
            fields = [reader.schema.get_field_index(c) for c in columns]
            reader = ipc.open_file(source, options=ipc.IpcReadOptions(included_fields=fields))
        known = len(batch_rows) == reader.num_record_batches
        pieces, start = [], 0
        for i in range(reader.num_record_batches):
            if known:
                stop = start + batch_rows[i]
                low, high = np.searchsorted(rows, [start, stop])
                if high == low:
                    start = stop
                    continue
            batch = reader.get_batch(i)
            stop = start + batch.num_rows
            low, high = np.searchsorted(rows, [start, stop])
            if high > low:
                pieces.append(batch.take(pa.array(rows[low:high] - start)))
            start = stop
            del batch
        return pa.Table.from_batches(pieces, schema=reader.schema)


class SpilledTable:
    """A table kept in Arrow IPC files instead of this process's memory, read a range of rows at a time.

    One file read in order (the figures of a local run: :class:`SpilledFigures`), or several files,
    each a run of rows in table order, merged (the claim groups and conflicts, one sorted run per claims
    task: :class:`SpilledRuns`; ``runs`` says which run each row of the table comes from, so a range
    reads, from each run, its next rows in order). ``filled``: columns kept in memory (one row per row
    of the table) put over the files' (the claims' columns of the figures, the review decisions of the
    conflicts). ``len()`` is the number of rows; :meth:`chunks` reads the table a range at a time,
    :meth:`frame` whole; :meth:`remove` deletes the files' folder (also done when the object is
    collected, and at exit). ``filled`` may itself be a spilled table (the claims' columns of the
    figures, left in the claims tasks' runs): read beside the rows, a range at a time.
    """

    n: int
    folder: Path
    empty: frozenset[str]
    filled: pd.DataFrame | SpilledTable | None
    batch_rows: tuple[int, ...]
    runs: np.ndarray | None  # per row, the file it is read from (None: one file, in order)
    _FILLED_AS_OBJECTS = False  # filled text columns put over a chunk as object arrays (the figures')

    def __len__(self) -> int:
        return self.n

    def _paths(self) -> list[str]:
        raise NotImplementedError

    def _check_readable(self) -> None:
        """Raise a ValueError saying why when :meth:`remove` (``AuditResult.close``) deleted the files."""
        finalizer = getattr(self, "_finalizer", None)
        if finalizer is not None and not finalizer.alive:
            raise ValueError(CLOSED_MESSAGE)

    def chunks(self, size: int, start: int = 0, stop: int | None = None) -> Iterator[pd.DataFrame]:
        """Rows ``start:stop`` of the table (all by default) in order, ``size`` rows at a time (the last
        fewer; index: row positions), ``filled`` put over them; each file read a record batch at a
        time (a batch before ``start`` is not read when the batches' sizes are known: a worker writing
        a part of a CSV reads its part)."""
        self._check_readable()
        stop = self.n if stop is None else min(stop, self.n)
        paths = self._paths()
        with contextlib.ExitStack() as files:
            cursors = []
            for k, path in enumerate(paths):
                reader = ipc.open_file(files.enter_context(pa.OSFile(path, "rb")))
                cursors.append(_Cursor(reader, self.batch_rows if len(paths) == 1 else ()))
            schema = cursors[0].reader.schema if cursors else None
            if start > 0:
                skipped = [start] if self.runs is None else counts_of(self.runs[:start], len(paths))
                for cursor, rows in zip(cursors, skipped):
                    cursor.skip(int(rows))
            beside = self.filled.chunks(size, start, stop) if isinstance(self.filled, SpilledTable) else None
            for first in range(start, stop, size):
                last = min(first + size, stop)
                if self.runs is None:
                    table = pa.Table.from_batches(cursors[0].take(last - first), schema=schema)
                else:
                    table = _merged(cursors, self.runs[first:last], schema)
                frame = _frame(table, self.empty, pd.RangeIndex(first, last))
                del table
                yield self._with_filled(frame, first, last, None if beside is None else next(beside))
                pa.default_memory_pool().release_unused()

    def frame(self) -> pd.DataFrame:
        """The whole table (``filled`` put over it)."""
        self._check_readable()
        tables = []
        for path in self._paths():
            with pa.memory_map(path, "r") as source:
                tables.append(ipc.open_file(source).read_all().combine_chunks())
        table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
        del tables
        if self.runs is not None and len(self._paths()) > 1:
            table = table.take(pa.array(_merge_positions(self.runs)))
        frame = _frame(table, self.empty)
        del table
        return self._with_filled(frame, 0, self.n, self.filled.frame() if isinstance(self.filled, SpilledTable) else None)

    def _with_filled(self, frame: pd.DataFrame, start: int, stop: int, filled: pd.DataFrame | None = None
                     ) -> pd.DataFrame:
        """``frame`` (rows ``start:stop``) with the ``filled`` columns put over it: ``filled``'s rows
        ``start:stop``, or the rows given (read from a spilled ``filled``)."""
        if filled is None and isinstance(self.filled, pd.DataFrame):
            filled = self.filled.iloc[start:stop]
        if filled is not None:
            for column in filled.columns:  # as build_claims_by_blocks sets them on an in-memory table
                values = filled[column]
                frame[column] = values.to_numpy() if self._FILLED_AS_OBJECTS else values.array
        return frame

    def remove(self) -> None:
        """Delete the files and their folder (and a spilled ``filled``'s: then no longer readable either)."""
        self._finalizer()  # type: ignore[attr-defined]
        if isinstance(self.filled, SpilledTable):
            self.filled.remove()


class _Cursor:
    """The rows of one IPC file taken in order, a record batch read at a time."""

    def __init__(self, reader: ipc.RecordBatchFileReader, batch_rows: Sequence[int]) -> None:
        self.reader = reader
        self.sizes = batch_rows if len(batch_rows) == reader.num_record_batches else None
        self.next = 0  # the next record batch to read
        self.batch: pa.RecordBatch | None = None
        self.offset = 0  # rows of self.batch taken

    def _advance(self, k: int, keep: bool) -> list[pa.RecordBatch]:
        pieces = []
        while k > 0:
            if self.batch is None:
                if not keep and self.sizes is not None and self.sizes[self.next] <= k:  # skipped unread
                    k -= self.sizes[self.next]
                    self.next += 1
                    continue
                self.batch, self.offset = self.reader.get_batch(self.next), 0
                self.next += 1
            step = min(k, self.batch.num_rows - self.offset)
            if keep and step:
                pieces.append(self.batch.slice(self.offset, step))
            self.offset += step
            k -= step
            if self.offset == self.batch.num_rows:
                self.batch = None
        return pieces

    def skip(self, k: int) -> None:
        self._advance(k, keep=False)

    def take(self, k: int) -> list[pa.RecordBatch]:
        """The next ``k`` rows (slices of the batches read)."""
        return self._advance(k, keep=True)


def _merged(cursors: list[_Cursor], runs: np.ndarray, schema: pa.Schema) -> pa.Table:
    """The next rows of several runs as ``runs`` (the run of each row, in order) interleaves them."""
    counts = np.bincount(runs, minlength=len(cursors))
    pieces = [piece for cursor, count in zip(cursors, counts.tolist()) for piece in cursor.take(count)]
    table = pa.Table.from_batches(pieces, schema=schema)
    if np.count_nonzero(counts) > 1:  # rows grouped by run: put back in table order
        table = table.take(pa.array(_merge_positions(runs)))
    return table


def _merge_positions(runs: np.ndarray) -> np.ndarray:
    """For each row (``runs``: its run), its place among the rows grouped by run (each run's in order)."""
    positions = np.empty(len(runs), dtype=np.int64)
    positions[np.argsort(runs, kind="stable")] = np.arange(len(runs))
    return positions


@dataclass
class SpilledFigures(SpilledTable):
    """The figure table in its spill file, plus the columns the claims step filled (kept here).

    ``len()`` is the number of figures; :meth:`frame` loads it whole (as the in-memory audit's
    figures), :meth:`chunks` a range at a time; :meth:`part` is what a task reads of it.
    """

    path: Path
    folder: Path
    n: int
    empty: frozenset[str]
    filled: pd.DataFrame | None = None  # the claims step's columns, one row per figure in order
    batch_rows: tuple[int, ...] = ()  # rows of each record batch written (what a part need not read)
    # When known (a local run's): the rows are the articles' (of the articles table written beside, in
    # its order) so many each: each figure's article row without reading an id (claims)
    article_counts: np.ndarray | None = field(default=None, repr=False)
    _finalizer: Any = field(default=None, repr=False)
    runs = None
    _FILLED_AS_OBJECTS = True

    def __post_init__(self) -> None:
        self._finalizer = weakref.finalize(self, _remove_folder, self.folder, os.getpid())

    def _paths(self) -> list[str]:
        return [str(self.path)]

    @property
    def columns(self) -> list[str]:
        return list(FIGURE_COLUMNS)

    def part(self, rows: np.ndarray | Sequence[int] | range, columns: Sequence[str] | None = None) -> SpillPart:
        """What a task reads to load these rows (ascending positions; a range kept as one: a number per
        row is made by the task) and columns."""
        self._check_readable()
        if isinstance(rows, range) and rows.step == 1:
            return SpillPart(str(self.path), rows, None if columns is None else tuple(columns), self.empty,
                             self.batch_rows)
        rows = np.asarray(rows)
        if rows.dtype.kind not in "iu":  # (positions given as integers keep their type: a share's are int32,
            rows = rows.astype(np.int64)  # and the pool holds every share's rows while their tasks run)
        return SpillPart(str(self.path), rows, None if columns is None else tuple(columns), self.empty, self.batch_rows)

    def column(self, name: str) -> pd.Series:
        """One column of every figure (as written, before the claims step)."""
        return self.part(np.arange(self.n), [name]).load()[name]


@dataclass
class SpilledRuns(SpilledTable):
    """A table written as sorted runs (Arrow IPC files of the same schema, in ``folder``, which this
    object owns), merged as ``runs`` says (see :class:`SpilledTable`): the claim groups or conflicts
    of a local run, one run per claims task."""

    paths: tuple[str, ...]
    folder: Path
    runs: np.ndarray | None
    names: tuple[str, ...]
    filled: pd.DataFrame | None = None
    empty: frozenset[str] = frozenset()
    batch_rows: tuple[int, ...] = ()
    _finalizer: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.n = 0 if self.runs is None else len(self.runs)
        self._finalizer = weakref.finalize(self, _remove_folder, self.folder, os.getpid())

    def _paths(self) -> list[str]:
        return list(self.paths)

    @property
    def columns(self) -> list[str]:
        return list(self.names)

    def column(self, name: str) -> pd.Series:
        """One column of every row, in table order (the runs' values; ``filled`` not put over), without
        reading the other columns."""
        self._check_readable()
        pieces = [_run_rows(path, [name], None, self.empty)[name] for path in self.paths]
        if not pieces:
            return pd.Series([], dtype=object, name=name)
        joined = pd.concat(pieces, ignore_index=True)
        del pieces
        if len(self.paths) > 1:
            joined = joined.take(_merge_positions(self.runs)).reset_index(drop=True)
        return joined

    def __getitem__(self, name: str) -> pd.Series:
        return self.column(name)

    def rows(self, positions: np.ndarray, columns: Sequence[str]) -> pd.DataFrame:
        """Rows at ``positions`` (ascending) and ``columns`` (the runs' values; index: 0..), each run
        reading only these rows of these columns."""
        self._check_readable()
        positions = np.asarray(positions, dtype=np.int64)
        if len(self.paths) == 1:  # one run (the articles): its rows are the table's, no per-row arrays made
            return _run_rows(self.paths[0], columns, positions, self.empty, self.batch_rows)
        runs = self.runs if self.runs is not None else np.zeros(self.n, dtype=np.int8)
        counts = counts_of(runs, len(self.paths))
        local = np.empty(len(runs), dtype=np.int64)  # each row's place in its run
        local[np.argsort(runs, kind="stable")] = np.arange(len(runs)) - np.repeat(np.cumsum(counts) - counts, counts)
        of = runs[positions]
        sizes = self.batch_rows if len(self.paths) == 1 else ()
        pieces = [_run_rows(self.paths[k], columns, local[positions[of == k]], self.empty, sizes)
                  for k in np.unique(of).tolist()]
        if not pieces:
            return _run_rows(self.paths[0], columns, np.zeros(0, dtype=np.int64), self.empty) if self.paths else \
                pd.DataFrame(columns=list(columns))
        joined = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0]
        if len(pieces) > 1:
            joined = joined.take(_merge_positions(of)).reset_index(drop=True)
        return joined

    @classmethod
    def folder_for(cls, base: str | Path | None = None) -> Path:
        """A new folder for a table's runs (named as the spill folders: removed by the next run when its
        run was killed)."""
        base = Path(base) if base is not None else Path(tempfile.gettempdir())
        return Path(tempfile.mkdtemp(prefix=f"{SPILL_PREFIX}{os.getpid()}-", dir=base))


def write_run(path: str | Path, frame: pd.DataFrame, schema: pa.Schema, batch_rows: int = 1024) -> str:
    """``frame`` (columns as ``schema``) written as an Arrow IPC file of record batches of ``batch_rows``:
    a run of a :class:`SpilledRuns` (small batches: merging holds one batch of each run)."""
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    with pa.OSFile(str(path), "wb") as sink, ipc.new_file(sink, schema) as writer:
        writer.write_table(table, max_chunksize=batch_rows)
    return str(path)


def copy_run(source: str | Path, target: str | Path, compression: str | None = None) -> None:
    """The run ``source`` written again as ``target``, a record batch at a time (read by plain reads,
    not mapped: none of it stays resident), its buffers compressed by ``compression`` ("zstd": what a
    cache keeps) or not (what a merge reads): the same batches and values."""
    # (on this thread: Arrow's threads compressing or decompressing buffers each keep a heap of their own)
    options = ipc.IpcWriteOptions(compression=compression, use_threads=False)
    with pa.OSFile(str(source), "rb") as file:
        reader = ipc.open_file(file, options=ipc.IpcReadOptions(use_threads=False))
        with pa.OSFile(str(target), "wb") as sink, ipc.new_file(sink, reader.schema, options=options) as writer:
            for k in range(reader.num_record_batches):
                writer.write_batch(reader.get_batch(k))


def read_run(path: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A run's ``columns`` (all when ``None``), typed as :class:`SpilledTable` types them.

    Memory-mapped, then copied: only the pages of these columns are read (a file read a record batch
    at a time reads every column's buffers, which the columns kept would keep alive), and the copy
    holds nothing of the file. Every field read, then these selected: Arrow reads some fields of a
    batch (``included_fields``) by copying its whole body (the run's long texts too, kept alive by
    the columns taken: 30 MB for the sort keys of 40,000 conflicts, not 3)."""
    return _run_rows(path, columns, None)


def _run_rows(path: str | Path, columns: Sequence[str] | None, rows: np.ndarray | None,
              empty: frozenset[str] = frozenset(), batch_rows: Sequence[int] = ()) -> pd.DataFrame:
    """:func:`read_run` of only the rows at ``rows`` (ascending; all when ``None``; ``empty``: columns made
    ``None`` objects, see :func:`_frame`): some rows are read by :func:`_rows_read` (each batch
    holding some read, a take from a table of several batches would join each column whole first),
    not memory-mapped: the pages of every column of every batch read would stay resident until the
    file is let go (the articles of a claims batch: the whole articles file, once per batch)."""
    if rows is not None:
        return _frame(_rows_read(path, columns, rows, batch_rows), empty)
    with pa.memory_map(str(path), "r") as source:
        table = ipc.open_file(source).read_all()  # every column, in place: nothing read yet
        if columns is not None:
            table = table.select(list(columns))
        table = table.take(pa.array(np.arange(table.num_rows)))
    return _frame(table, empty)


__all__ = ["ARTICLE_CHUNK", "ARTICLE_SCHEMA", "PackedResults", "PackedRows", "SpillPart", "SpillWriter", "SpilledFigures",
           "SpilledRuns", "SpilledTable", "copy_run", "figure_batch", "read_run", "release_memory", "remove_abandoned",
           "write_run"]

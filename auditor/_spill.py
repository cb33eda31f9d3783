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

from .model import FIGURE_COLUMNS

SPILL_PREFIX = "figure-audit-spill-"
_INTEGERS = frozenset({"start", "end", "sentence_start", "sentence_end"})
_NUMBERS = frozenset({"value", "low", "high", "reported_value", "event_total"})
# Typed float64 even when empty in every row (audit._typed); other columns empty everywhere are None.
_ALWAYS_FLOAT = frozenset({"value", "low", "high", "reported_value"})
SCHEMA = pa.schema([
    (c, pa.int64() if c in _INTEGERS else pa.float64() if c in _NUMBERS else pa.large_string())
    for c in FIGURE_COLUMNS
])


def _arrow_column(values: Sequence[Any], kind: pa.DataType) -> pa.Array:
    """A column of figure rows as Arrow (``None`` and NaN are nulls, as pandas reads them)."""
    try:
        return pa.array(values, type=kind, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not what the extractor makes; kept readable
        if kind == pa.large_string():
            return pa.array([None if v is None or v != v else str(v) for v in values], type=kind)
        return pa.array(pd.to_numeric(pd.Series(values, dtype=object), errors="coerce"), type=kind)


def figure_batch(rows: Sequence[tuple] | list[list[Any]], by_column: bool = False) -> pa.RecordBatch:
    """Figure rows (``FIGURE_COLUMNS`` tuples; or, ``by_column``, one list per column) as an Arrow
    record batch of :data:`SCHEMA`."""
    columns = rows if by_column else (list(zip(*rows)) if rows else [[] for _ in FIGURE_COLUMNS])
    return pa.RecordBatch.from_arrays([_arrow_column(values, kind) for values, kind in zip(columns, SCHEMA.types)],
                                      schema=SCHEMA)


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

    def __getitem__(self, k: int) -> pa.RecordBatch:  # type: ignore[override]
        if not 0 <= k < len(self):
            raise IndexError(k)
        return self.source.slice(self._bounds[k], self._bounds[k + 1] - self._bounds[k])


class RowColumns:
    """Rows (``FIGURE_COLUMNS`` tuples; other columns in :class:`auditor.audit.TypedColumns`) gathered
    column by column; ``_flush`` takes them every ``CHUNK`` rows (into typed arrays in memory, or into
    the spill file)."""

    CHUNK = 16_384

    def __init__(self) -> None:
        self._lists: list[list[Any]] = [[] for _ in FIGURE_COLUMNS]
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
    record batches of :data:`SCHEMA` (a worker's, see :class:`PackedResults`), in the order given."""

    def __init__(self, folder: str | Path | None = None) -> None:
        super().__init__()
        base = Path(folder) if folder is not None else Path(tempfile.gettempdir())
        remove_abandoned(base)
        self.folder = Path(tempfile.mkdtemp(prefix=f"{SPILL_PREFIX}{os.getpid()}-", dir=base))
        self.path = self.folder / "figures.arrow"
        self._sink = pa.OSFile(str(self.path), "wb")
        self._writer = ipc.new_file(self._sink, SCHEMA)
        self._nulls = [0] * len(FIGURE_COLUMNS)
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
            batch = figure_batch(self._lists, by_column=True)
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
            batch = pa.Table.from_batches(pieces, schema=SCHEMA).combine_chunks().to_batches()[0]
        self._batches, self._batched = [], 0
        for i, column in enumerate(batch.columns):
            self._nulls[i] += column.null_count
        self._writer.write_batch(batch)
        self._batch_rows.append(batch.num_rows)

    def finish(self) -> SpilledFigures:
        """The table written: the file closed and handed to a :class:`SpilledFigures` (which removes it)."""
        self._flush()
        self._writer.close()
        self._sink.close()
        empty = frozenset(c for c, nulls in zip(FIGURE_COLUMNS, self._nulls)
                          if self.n and nulls == self.n and c not in _ALWAYS_FLOAT)
        self._finalizer.detach()
        return SpilledFigures(self.path, self.folder, self.n, empty, batch_rows=tuple(self._batch_rows))

    def discard(self) -> None:
        """Remove the file (the run failed)."""
        try:
            self._writer.close()
            self._sink.close()
        except (OSError, pa.ArrowException):
            pass
        self._finalizer()


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
    from .claims import _running

    for left in Path(folder).glob(f"{SPILL_PREFIX}*"):
        pid = left.name[len(SPILL_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(left, ignore_errors=True)


def _frame(table: pa.Table | pa.RecordBatch, empty: frozenset[str], index: pd.Index | None = None) -> pd.DataFrame:
    """Arrow figure columns as the pandas frame :func:`auditor.audit.figures_frame` makes of the rows."""
    n = table.num_rows
    data = {}
    for name, column in zip(table.schema.names, table.columns):
        if name in empty:
            values = np.empty(n, dtype=object)
            values[:] = None
            data[name] = values
        elif name in _INTEGERS or name in _NUMBERS:
            data[name] = column.to_pandas().to_numpy()
        else:
            data[name] = column.to_pandas().array
    frame = pd.DataFrame(data, columns=table.schema.names)
    if index is not None:
        frame.index = index
    return frame


@dataclass(frozen=True)
class SpillPart:
    """Some rows (ascending positions) and columns of a spill file: what a task reads (picklable)."""

    path: str
    rows: np.ndarray
    columns: tuple[str, ...] | None
    empty: frozenset[str]
    batch_rows: tuple[int, ...] = ()  # rows of each record batch of the file, when known

    def load(self) -> pd.DataFrame:
        """The rows, read a record batch at a time (not memory-mapped: the pages would count in
        this process's memory; a batch holding none of them is not read when the batches' sizes
        are known), typed as in the whole table, with a fresh index."""
        fields = None if self.columns is None else [SCHEMA.get_field_index(c) for c in self.columns]
        pieces = []
        with pa.OSFile(self.path, "rb") as source:
            reader = ipc.open_file(source, options=ipc.IpcReadOptions(included_fields=fields))
            known = len(self.batch_rows) == reader.num_record_batches
            start = 0
            for i in range(reader.num_record_batches):
                if known:
                    stop = start + self.batch_rows[i]
                    low, high = np.searchsorted(self.rows, [start, stop])
                    if high == low:
                        start = stop
                        continue
                batch = reader.get_batch(i)
                stop = start + batch.num_rows
                low, high = np.searchsorted(self.rows, [start, stop])
                if high > low:
                    pieces.append(batch.take(pa.array(self.rows[low:high] - start)))
                start = stop
                del batch
            schema = reader.schema
        table = pa.Table.from_batches(pieces, schema=schema)
        return _frame(table, self.empty)


@dataclass
class SpilledFigures:
    """The figure table in its spill file, plus the columns the claims step filled (kept here).

    ``len()`` is the number of figures; :meth:`frame` loads it whole (as the in-memory audit's
    figures), :meth:`chunks` a record batch at a time; :meth:`remove` deletes the file (also done when
    this object is collected, and at exit).
    """

    path: Path
    folder: Path
    n: int
    empty: frozenset[str]
    filled: pd.DataFrame | None = None  # the claims step's columns, one row per figure in order
    batch_rows: tuple[int, ...] = ()  # rows of each record batch written (what a part need not read)
    _finalizer: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._finalizer = weakref.finalize(self, _remove_folder, self.folder, os.getpid())

    def __len__(self) -> int:
        return self.n

    @property
    def columns(self) -> list[str]:
        return list(FIGURE_COLUMNS)

    def part(self, rows: np.ndarray | Sequence[int], columns: Sequence[str] | None = None) -> SpillPart:
        """What a task reads to load these rows (ascending positions) and columns."""
        return SpillPart(str(self.path), np.asarray(rows, dtype=np.int64), None if columns is None else tuple(columns),
                         self.empty, self.batch_rows)

    def column(self, name: str) -> pd.Series:
        """One column of every figure (as written, before the claims step)."""
        return self.part(np.arange(self.n), [name]).load()[name]

    def chunks(self, size: int, start: int = 0, stop: int | None = None) -> Iterator[pd.DataFrame]:
        """Rows ``start:stop`` of the table (all by default) in order, at most ``size`` rows at a time (index:
        row positions), claims columns filled; read a record batch at a time (a batch before ``start`` is
        not read when the batches' sizes are known: a worker writing a part of the CSV reads its part)."""
        stop = self.n if stop is None else min(stop, self.n)
        with pa.OSFile(str(self.path), "rb") as source:
            reader = ipc.open_file(source)
            known = len(self.batch_rows) == reader.num_record_batches
            first = 0  # position of batch i's first row
            for i in range(reader.num_record_batches):
                if first >= stop:
                    break
                if known and first + self.batch_rows[i] <= start:
                    first += self.batch_rows[i]
                    continue
                batch = reader.get_batch(i)
                for offset in range(max(start - first, 0), min(stop - first, batch.num_rows), size):
                    piece = batch.slice(offset, min(size, stop - first - offset))
                    at = first + offset
                    yield self._with_filled(_frame(piece, self.empty, pd.RangeIndex(at, at + piece.num_rows)),
                                            at, at + piece.num_rows)
                first += batch.num_rows
                del batch
                pa.default_memory_pool().release_unused()

    def frame(self) -> pd.DataFrame:
        """The whole table (claims columns filled), as the in-memory audit makes it."""
        with pa.memory_map(str(self.path), "r") as source:
            table = ipc.open_file(source).read_all().combine_chunks()
        frame = _frame(table, self.empty)
        del table
        return self._with_filled(frame, 0, self.n)

    def _with_filled(self, frame: pd.DataFrame, start: int, stop: int) -> pd.DataFrame:
        if self.filled is not None:
            for column in self.filled.columns:  # as build_claims_by_blocks sets them on an in-memory table
                frame[column] = self.filled[column].iloc[start:stop].to_numpy()
        return frame

    def remove(self) -> None:
        """Delete the spill file and its folder."""
        self._finalizer()


__all__ = ["PackedResults", "PackedRows", "SpillPart", "SpillWriter", "SpilledFigures", "figure_batch", "release_memory",
           "remove_abandoned"]

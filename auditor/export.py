"""Exports: formula-neutralised CSV cells, Parquet, and an output folder replaced one complete set at a time."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
import tempfile
from datetime import datetime, timezone
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .model import LOCK_NAME, META_DIR
from .readers import _reason, _shown

# A spreadsheet treats a cell starting with one of these as a formula (or strips it),
# so text taken from articles must not start with them unescaped.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# mkstemp makes owner-only files; outputs get the permissions a plain open() would give.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def neutralise_cell(value: Any) -> Any:
    """Return ``value`` made safe for a spreadsheet cell.

    Strings starting with ``= + - @``, tab or carriage return get a leading apostrophe,
    which spreadsheets show as text.  Numbers are left alone: a negative number is data,
    not a formula.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return int(value)
        return round(value, 6)
    return neutralise_cell(value)


def atomic_write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and a rename.

    A crash mid-write leaves the previous file (or none), never half a file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_csv(path: Path, rows: Iterable[Mapping[str, Any]] | pd.DataFrame, columns: Sequence[str]) -> Path:
    """Write ``rows`` as CSV with ``columns`` first (extra keys follow), safely and atomically."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if isinstance(rows, pd.DataFrame):
        return atomic_write_text(Path(path), b"".join(_csv_bytes(rows, columns)).decode("utf-8"))
    records = list(rows)
    extra: list[str] = []
    for r in records:
        extra.extend(k for k in r if k not in columns and k not in extra)
    header = list(columns) + extra
    writer.writerow(header)
    for record in records:
        writer.writerow([_cell(record.get(c)) for c in header])
    return atomic_write_text(Path(path), buffer.getvalue())


# Rows encoded and written at a time: the text in memory is bounded by this, not by the table.
CSV_CHUNK_ROWS = 16_384
# A cell starting with one of _FORMULA_STARTS, as a regular expression (matched at the start).
_FORMULA_PATTERN = "[" + "".join("\\" + c if c in "\\-]^" else c for c in _FORMULA_STARTS) + "]"


def _float_text(values: pd.Series) -> np.ndarray:
    """A float column's cells as :func:`_cell` writes them: whole numbers without ``.0``, others rounded to
    6 decimals, ``""`` for NaN; with array operations except for the (few) numbers that are not whole."""
    numbers = values.to_numpy(dtype=np.float64)
    text = np.full(len(numbers), "", dtype=object)
    with np.errstate(invalid="ignore"):
        whole = (np.floor(numbers) == numbers) & (np.abs(numbers) < 1e15)
    text[whole] = numbers[whole].astype(np.int64).astype(str)
    rest = np.flatnonzero(~whole & ~np.isnan(numbers))
    if len(rest):  # Python's round (correctly rounded), not numpy's, for the same digits as before
        text[rest] = [str(round(v, 6)) for v in numbers[rest].tolist()]
    return text


def _csv_cells(values: pd.Series) -> list[Any]:
    """One column's cells, exactly as :func:`_cell` makes them, for the csv module.

    Integer and boolean columns pass as they are; float columns go through :func:`_float_text`; text
    columns get the apostrophe only where a cell starts like a formula (found by one regular expression
    over the column). Columns mixing types (rare: hand-built frames) go cell by cell through :func:`_cell`.
    """
    dtype = values.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        return values.to_numpy().tolist()
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return _float_text(values).tolist()
    cells = values.to_numpy(dtype=object, copy=True)
    if pd.api.types.infer_dtype(cells, skipna=True) not in ("string", "empty"):
        return [_cell(v) for v in cells.tolist()]
    missing = np.flatnonzero(pd.isna(cells))
    if len(missing) == len(cells):
        return [_cell(v) for v in cells.tolist()]
    if len(missing):
        cells[missing] = [_cell(v) for v in cells[missing].tolist()]
    text = values if isinstance(dtype, pd.StringDtype) else pd.Series(cells, dtype=object)
    formulas = np.flatnonzero(text.str.match(_FORMULA_PATTERN, na=False).to_numpy(dtype=bool))
    if len(formulas):
        cells[formulas] = ["'" + v for v in cells[formulas].tolist()]
    return cells.tolist()


def _arrow_text(values: pd.Series) -> Any:
    """One column as the final CSV text of each cell (neutralised, quoted as the csv module quotes: a cell
    with ``,`` ``"`` CR or LF), as an Arrow ``large_string`` array; ``None`` when arrays cannot say it
    exactly (mixed types, dates, nullable dtypes: the csv module writes that chunk)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    dtype = values.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return pa.array(np.where(values.to_numpy(), "True", "False"), type=pa.large_string())
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return pc.cast(pa.array(values.to_numpy()), pa.large_string())
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return pa.array(_float_text(values), type=pa.large_string())
    if not isinstance(dtype, pd.StringDtype):
        if dtype != object or pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
            return None
        odd = values[values.isna().to_numpy()]  # only None, NaN, NA and NaT are written as ""
        if len(odd) and not all(v is None or v is pd.NA or v is pd.NaT or type(v) is float for v in odd.tolist()):
            return None
    try:
        text = pa.array(values, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowException, UnicodeError):  # e.g. a lone surrogate: the csv module says what is wrong
        return None
    if isinstance(text, pa.ChunkedArray):  # an Arrow-backed column of several chunks (pd.concat gives them)
        text = text.combine_chunks()
    text = pc.fill_null(text, "")
    formula = pc.match_substring_regex(text, "^" + _FORMULA_PATTERN)
    if pc.any(formula).as_py():
        text = pc.if_else(formula, pc.utf8_replace_slice(text, 0, 0, "'"), text)
    special = pc.match_substring_regex(text, '[,"\r\n]')
    if pc.any(special).as_py():
        quote = pa.scalar('"', pa.large_string())
        quoted = pc.binary_join_element_wise(quote, pc.replace_substring(text, '"', '""'), quote,
                                             pa.scalar("", pa.large_string()))
        text = pc.if_else(special, quoted, text)
    return text


def _arrow_rows(chunk: pd.DataFrame, header: Sequence[str]) -> bytes | None:
    """The CSV rows of ``chunk`` as UTF-8, joined by Arrow kernels (no Python call per row or cell);
    ``None`` when a column needs the csv module (see :func:`_arrow_text`) or a lone column is written."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(header) < 2:  # the csv module writes a row of one empty cell as "", not as an empty line
        return None
    blank = pa.array(np.full(len(chunk), "", dtype=object), type=pa.large_string())
    columns = []
    for name in header:
        text = _arrow_text(chunk[name]) if name in chunk else blank
        if text is None:
            return None
        columns.append(text)
    lines = pc.binary_join_element_wise(*columns, pa.scalar(",", pa.large_string()))
    lines = pc.binary_join_element_wise(lines, pa.scalar("\r\n", pa.large_string()),
                                        pa.scalar("", pa.large_string()))
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset:lines.offset + len(lines) + 1]
    return bytes(memoryview(lines.buffers()[2])[offsets[0]:offsets[-1]])


def _chunks(table: Any, size: int, span: range | None = None) -> Iterator[pd.DataFrame]:
    """A table (a DataFrame, or a figure table spilled to a file: :mod:`auditor._spill`) in order,
    ``size`` rows at a time; only the rows of the range ``span`` when given (see :func:`_splittable`)."""
    if isinstance(table, pd.DataFrame):
        span = span if span is not None else range(len(table))
        for start in range(span.start, span.stop, size):
            yield table.iloc[start:min(start + size, span.stop)]
    elif span is not None:
        yield from table.chunks(size, span.start, span.stop)
    else:
        yield from table.chunks(size)


def _csv_header(frame: Any, columns: Sequence[str]) -> list[str]:
    """The CSV's columns: ``columns``, then the frame's other columns."""
    present = [] if frame is None else list(frame.columns)
    return list(columns) + [c for c in present if c not in columns]


def _csv_bytes(frame: Any, columns: Sequence[str], span: range | None = None) -> Iterator[bytes]:
    """The header (``columns`` then the frame's other columns) and every row as UTF-8, a chunk at a time:
    Arrow kernels where they say exactly what the csv module would write, the csv module elsewhere.
    ``frame`` is a DataFrame, ``None`` or a spilled figure table (read a chunk at a time). Given ``span``
    (a range of row positions), only those rows, after the header only when the range starts at row 0: a
    part of the file (see :func:`_write_tables`)."""
    header = _csv_header(frame, columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if span is None or span.start == 0:  # the file's beginning
        writer.writerow([neutralise_cell(c) for c in header])
        yield buffer.getvalue().encode("utf-8")
    for chunk in () if frame is None else _chunks(frame, CSV_CHUNK_ROWS, span):
        rows = _arrow_rows(chunk, header)
        if rows is None:
            buffer.seek(0)
            buffer.truncate()
            cells = [_csv_cells(chunk[c]) if c in chunk else [""] * len(chunk) for c in header]
            writer.writerows(zip(*cells))
            rows = buffer.getvalue().encode("utf-8")
        yield rows


# --- the output folder: complete sets switched as one unit ------------------------------------------

# Inside DIR: ``.figure-audit/sets/<run>/`` holds each complete set, ``.figure-audit/current`` is a
# symbolic link to the one in force (replaced by one atomic rename), and ``DIR/figures.csv`` etc. are
# fixed links through it. A kill at any moment leaves the old set or the new one in force, whole.
TABLES: tuple[str, ...] = ("articles", "figures", "groups", "conflicts", "errors", "decisions")
FORMATS: tuple[str, ...] = ("csv", "parquet")
REPORT_NAME = "report.html"
MANIFEST_NAME = "manifest.json"
# Every name a set may hold, i.e. every link figure-audit may own at the top of DIR.
_LINKED_NAMES: tuple[str, ...] = (*(f"{t}.{fmt}" for t in TABLES for fmt in FORMATS), REPORT_NAME)
# Below this much free space on its disk, DIR is refused before the audit starts.
MIN_FREE_BYTES = 16 * 1024**2
# Testing hook: a run pauses (sleeps until killed) when it reaches the stage named here.
_PAUSE_ENV = "FIGURE_AUDIT_PAUSE_AT"
_HELD_LOCKS: dict[Path, tuple[int, int]] = {}  # real path of a lock file -> (fd, holders in this process)


class OutputError(OSError):
    """The output folder cannot be used or written; the message is a one-line reason."""


class OutputBusy(OutputError):
    """Another run is writing to the same output folder."""


def pause_point(stage: str) -> None:
    """Sleep until killed when ``$FIGURE_AUDIT_PAUSE_AT`` names ``stage`` (for the kill -9 tests)."""
    if os.environ.get(_PAUSE_ENV) != stage:
        return
    import sys
    import time

    print(f"figure-audit: paused at {stage} (pid {os.getpid()})", file=sys.stderr, flush=True)
    while True:
        time.sleep(3600)


class OutputFolder:
    """The ``--out`` folder of one run: checked, locked, and replaced one complete set at a time.

    Parameters
    ----------
    path
        The folder (created when missing).

    Examples
    --------
    >>> with OutputFolder("audit-out") as out:          # doctest: +SKIP
    ...     result = audit(paths, out_dir=out.path)
    ...     out.write(result, html=True)
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.meta = self.path / META_DIR
        self._created: list[Path] = []
        self._lock_key: Path | None = None
        self.written = False

    def __enter__(self) -> OutputFolder:
        self.check()
        try:
            self._lock()
        except BaseException:
            self._discard_if_new()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if not self.written:
                self._discard_if_new()
        finally:
            self._unlock()

    # -- checks and lock ------------------------------------------------------------------------

    def check(self) -> None:
        """Refuse, with a one-line reason, a folder that cannot take the outputs; create it when missing."""
        shown = _shown(self.path)
        if self.path.exists() and not self.path.is_dir():
            raise OutputError(f"--out {shown} is a file, not a folder")
        existing = self.path
        while not existing.exists():
            existing = existing.parent
        if not existing.is_dir():
            raise OutputError(f"--out {shown}: {_shown(existing)} is a file, not a folder")
        missing = []
        parent = self.path
        while not parent.exists():
            missing.append(parent)
            parent = parent.parent
        try:
            for folder in reversed(missing):
                folder.mkdir()
                self._created.append(folder)
            if not self.meta.is_dir():
                self.meta.mkdir()
                self._created.append(self.meta)
            probe = self.meta / f"probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            self._discard_if_new()
            raise OutputError(f"cannot write to --out {shown}: {_reason(exc)}") from None
        free = shutil.disk_usage(self.path).free
        if free < MIN_FREE_BYTES:
            self._discard_if_new()
            raise OutputError(f"only {free // 1024**2} MB free on the disk of --out {shown} "
                              f"(at least {MIN_FREE_BYTES // 1024**2} MB needed)")

    def _lock(self) -> None:
        import fcntl

        lock_path = self.meta / LOCK_NAME
        key = Path(os.path.realpath(lock_path))
        if key in _HELD_LOCKS:  # this process already holds it (e.g. result.write inside a run)
            fd, holders = _HELD_LOCKS[key]
            _HELD_LOCKS[key] = (fd, holders + 1)
            self._lock_key = key
            return
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666 & ~_UMASK)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise OutputBusy(f"another figure-audit run (pid {holder}) is writing to {_shown(self.path)}; "
                             "wait for it to finish or choose another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        _HELD_LOCKS[key] = (fd, 1)
        self._lock_key = key

    def _unlock(self) -> None:
        key, self._lock_key = self._lock_key, None
        if key is None or key not in _HELD_LOCKS:
            return
        fd, holders = _HELD_LOCKS[key]
        if holders > 1:
            _HELD_LOCKS[key] = (fd, holders - 1)
            return
        del _HELD_LOCKS[key]
        os.close(fd)  # releases the flock

    def _discard_if_new(self) -> None:
        """Remove the folders this run created, when it wrote nothing into them."""
        for folder in reversed(self._created):
            if folder == self.meta:
                shutil.rmtree(folder, ignore_errors=True)
            else:
                try:
                    folder.rmdir()
                except OSError:
                    pass
        self._created = []

    def has_outputs(self) -> bool:
        """Whether the folder holds the outputs of an earlier run."""
        return self._current_set() is not None or any(
            (self.path / name).is_file() for name in _LINKED_NAMES)

    # -- writing a set --------------------------------------------------------------------------

    def write(self, result: Any, html: bool = False, formats: Sequence[str] = ("csv",),
              jobs: int = 1) -> dict[str, Path]:
        """Write a complete new set beside the current one, then switch to it in one rename.

        ``jobs`` > 1 writes the files on that many forked worker processes at once, a big CSV table in
        ranges of rows (the same bytes; see :func:`_write_tables`). Returns the paths of the files now
        in force (``DIR/figures.csv``, ...), keyed by table name (``"figures"``; ``"figures.parquet"``
        for Parquet; ``"report"``).
        """
        unknown = [f for f in formats if f not in FORMATS]
        if unknown or not formats:
            raise ValueError(f"formats must be among {', '.join(FORMATS)}, not {list(formats)!r}")
        if self._lock_key is None:
            raise RuntimeError("OutputFolder.write outside 'with OutputFolder(...)'")
        sets = self.meta / "sets"
        sets.mkdir(exist_ok=True)
        self._collect_garbage(keep=self._current_set())
        self._adopt_unversioned_outputs()
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        new = Path(tempfile.mkdtemp(prefix=f"{stamp}-", dir=sets))
        os.chmod(new, 0o777 & ~_UMASK)
        try:
            names = self._write_set(new, result, html, formats, jobs)
            pause_point("set-complete")
            self._point_current_to(new)
        except BaseException:
            if self._current_set() != new:
                shutil.rmtree(new, ignore_errors=True)
            raise
        self.written = True
        pause_point("switched")
        self._link_names(names)
        self._collect_garbage(keep=new)
        written = {}
        for name in names:
            table, suffix = os.path.splitext(name)
            key = "report" if name == REPORT_NAME else table if suffix == ".csv" else name
            written[key] = self.path / name
        return written

    def _write_set(self, folder: Path, result: Any, html: bool, formats: Sequence[str], jobs: int) -> list[str]:
        from .review import ReviewStore

        tables = _tables(result)
        # The decisions the conflicts and groups show: those of the result's store (an audit exported
        # elsewhere, an opened one re-exported), else of this folder's.
        store = getattr(result, "out_dir", None) or self.path
        tables["decisions"] = (ReviewStore(Path(store)).decisions(), tables["decisions"][1])
        report = None
        if html:
            from .report import write_report

            def report() -> None:
                write_report(result, folder / REPORT_NAME)

        names = _write_tables(folder, tables, formats, jobs, meanwhile=report)
        if html:
            names.append(REPORT_NAME)
        manifest = {
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "files": {name: (folder / name).stat().st_size for name in names},
            "rows": {table: len(tables[table][0]) for table in TABLES},
        }
        _write_file(folder / MANIFEST_NAME, (json.dumps(manifest, indent=1) + "\n").encode("utf-8"))
        _fsync_dir(folder)
        return names

    def _current_set(self) -> Path | None:
        current = self.meta / "current"
        if not current.is_symlink():
            return None
        return self.meta / os.readlink(current)

    def _point_current_to(self, folder: Path) -> None:
        """The switch: one rename of a symbolic link over ``current``."""
        staged = self.meta / "current.new"
        staged.unlink(missing_ok=True)
        os.symlink(os.path.relpath(folder, self.meta), staged)
        os.replace(staged, self.meta / "current")
        _fsync_dir(self.meta)

    def _link_names(self, names: Sequence[str]) -> None:
        """``DIR/<name>`` -> ``.figure-audit/current/<name>`` for the set's files; stale links removed."""
        for name in _LINKED_NAMES:
            top = self.path / name
            target = os.path.join(META_DIR, "current", name)
            ours = top.is_symlink() and os.readlink(top) == target
            if name in names and not ours:
                staged = self.meta / f"link.{name}"
                staged.unlink(missing_ok=True)
                os.symlink(target, staged)
                os.replace(staged, top)
            elif name not in names and ours:
                top.unlink()
        _fsync_dir(self.path)

    def _adopt_unversioned_outputs(self) -> None:
        """Outputs of an older version (plain files at the top) become a set first, so that
        replacing them is as safe as replacing any set."""
        if self._current_set() is not None:
            return
        plain = [n for n in _LINKED_NAMES if (self.path / n).is_file() and not (self.path / n).is_symlink()]
        if not plain:
            return
        folder = Path(tempfile.mkdtemp(prefix="adopted-", dir=self.meta / "sets"))
        for name in plain:
            try:
                os.link(self.path / name, folder / name)
            except OSError:
                shutil.copy2(self.path / name, folder / name)
        _fsync_dir(folder)
        self._point_current_to(folder)
        self._link_names(plain)  # same content, now reached through the link

    def _collect_garbage(self, keep: Path | None) -> None:
        """Remove sets left by killed runs or replaced, and links staged but never renamed."""
        sets = self.meta / "sets"
        for folder in sets.iterdir() if sets.is_dir() else ():
            if keep is None or folder.resolve() != keep.resolve():
                shutil.rmtree(folder, ignore_errors=True)
        for staged in self.meta.glob("link.*"):
            staged.unlink(missing_ok=True)
        (self.meta / "current.new").unlink(missing_ok=True)


def write_outputs(
    result: Any, out_dir: Path, html: bool = False, formats: Sequence[str] = ("csv",), jobs: int = 1,
) -> dict[str, Path]:
    """Write ``articles figures groups conflicts errors decisions`` (+ ``report.html``) into ``out_dir``.

    The new files replace the previous ones as one unit (see :class:`OutputFolder`); ``formats``
    is ``("csv",)``, ``("parquet",)`` or both; ``jobs`` worker processes write them. Raises
    :class:`OutputError` (an ``OSError``) with a one-line reason when the folder cannot be used or
    another run is writing to it.
    """
    with OutputFolder(out_dir) as folder:
        return folder.write(result, html=html, formats=formats, jobs=jobs)


def _tables(result: Any) -> dict[str, tuple[pd.DataFrame, Sequence[str]]]:
    from .claims import CONFLICT_COLUMNS, GROUP_COLUMNS
    from .dashboard._data import held_table
    from .model import ARTICLE_COLUMNS, ERROR_COLUMNS, FIGURE_COLUMNS
    from .review import DECISION_COLUMNS

    return {
        # tables a local run keeps in files (articles, figures, claim groups, conflicts) are streamed from
        # them, never loaded whole (see AuditResult.figures)
        "articles": (held_table(result, "articles"), ARTICLE_COLUMNS),
        "figures": (held_table(result, "figures"), FIGURE_COLUMNS),
        "groups": (held_table(result, "groups"), GROUP_COLUMNS),
        "conflicts": (held_table(result, "conflicts"), CONFLICT_COLUMNS),
        "errors": (result.errors, ERROR_COLUMNS),
        "decisions": (None, DECISION_COLUMNS),
    }


def _ordered(frame: pd.DataFrame | None, columns: Sequence[str]) -> pd.DataFrame:
    if frame is None:
        return pd.DataFrame(columns=list(columns))
    extra = [c for c in frame.columns if c not in columns]
    return frame.reindex(columns=list(columns) + extra)


# --- the files of a set written on several processes --------------------------------------------

# A CSV table of at least this many rows is cut into ranges of rows written by the workers at once;
# a smaller one is written whole by one worker, beside the other files.
SPLIT_MIN_ROWS = CSV_CHUNK_ROWS
# Rows of a range, at least: each range is a part file appended to the table's file by this process.
PART_MIN_ROWS = CSV_CHUNK_ROWS // 2
# Below this many rows in all the files (rows times formats), forking writers costs more than it saves.
PARALLEL_MIN_ROWS = 2 * CSV_CHUNK_ROWS
# The tables of the set being written (as _tables gives them), for the forked writers: they inherit
# them, nothing is pickled; set only while a pool of writers is running.
_writing: dict[str, tuple[Any, Sequence[str]]] | None = None


@dataclass(frozen=True)
class _Piece:
    """One worker's share of a set: a whole file, or a range of rows of a CSV table (part ``part``)."""

    name: str  # the file, e.g. "figures.csv"
    table: str
    fmt: str
    span: range | None  # rows of a CSV part; None: the whole file
    part: int
    rows: int
    cost: int  # rows times columns: the larger ones are sent first

    def path(self, folder: Path) -> Path:
        """Where it is written: part 0 (or a whole file) at the file's name, later parts beside it."""
        return folder / (self.name if self.part == 0 else f".{self.name}.part{self.part}")


def _splittable(frame: Any) -> bool:
    """Whether ``frame`` can be read a range of rows at a time: a DataFrame or a spilled table (figures,
    claim groups, conflicts)."""
    from ._spill import SpilledTable

    return isinstance(frame, (pd.DataFrame, SpilledTable))


def _pieces(tables: Mapping[str, tuple[Any, Sequence[str]]], formats: Sequence[str], jobs: int) -> list[_Piece]:
    """Every file of the set as pieces for ``jobs`` workers: a CSV table of ``SPLIT_MIN_ROWS`` rows or
    more in up to 4 ranges per worker (of ``PART_MIN_ROWS`` rows or more), any other file whole."""
    pieces = []
    for table in TABLES:
        frame, columns = tables[table]
        rows = 0 if frame is None else len(frame)
        width = len(_csv_header(frame, columns))
        for fmt in formats:
            name = f"{table}.{fmt}"
            if fmt == "csv" and rows >= SPLIT_MIN_ROWS and _splittable(frame):
                parts = max(1, min(4 * jobs, rows // PART_MIN_ROWS))
                bounds = [rows * k // parts for k in range(parts + 1)]
                pieces.extend(_Piece(name, table, fmt, range(start, stop), k, stop - start, (stop - start) * width)
                              for k, (start, stop) in enumerate(zip(bounds, bounds[1:])))
            else:
                pieces.append(_Piece(name, table, fmt, None, 0, rows, rows * width))
    return pieces


def _write_tables(folder: Path, tables: Mapping[str, tuple[Any, Sequence[str]]], formats: Sequence[str],
                  jobs: int, meanwhile: Callable[[], None] | None = None) -> list[str]:
    """Write every table in every format into ``folder``; returns the file names, in ``TABLES`` order.

    With ``jobs`` > 1 and enough rows, on ``jobs`` forked workers (:func:`_pieces`, largest first; they
    inherit the tables, nothing is pickled) while this process runs ``meanwhile`` (the report) and then
    appends each table's later parts to its first, in order: the bytes one process writes. Forked
    whatever other threads run here (a notebook's kernel, a Dask client), as the reading and claims
    workers are: a writer runs only this module's file writing (no printing, logging nor network), and
    the interpreter, glibc's malloc and Arrow re-create their own locks in a forked child.
    A worker ending abruptly raises
    :class:`OutputError`; the set is then incomplete and never switched to (see :meth:`OutputFolder.write`).
    """
    global _writing

    names = [f"{table}.{fmt}" for table in TABLES for fmt in formats]
    pieces = _pieces(tables, formats, jobs)
    if jobs < 2 or sum(p.rows for p in pieces) < PARALLEL_MIN_ROWS:
        for name in names:
            table, fmt = name.rsplit(".", 1)
            _write_whole(folder / name, fmt, *tables[table])
            pause_point(f"set:{name}")
        if meanwhile is not None:
            meanwhile()
        return names
    from concurrent.futures.process import BrokenProcessPool

    from ._parallel import WorkerPool

    pool = WorkerPool(jobs)
    _writing = dict(tables)
    try:
        futures = {piece: pool.submit(_write_piece, folder, piece)
                   for piece in sorted(pieces, key=lambda p: -p.cost)}
        if meanwhile is not None:
            meanwhile()
        for name in names:
            parts = [piece for piece in pieces if piece.name == name]
            for piece in parts:
                try:
                    futures[piece].result()
                except BrokenProcessPool:  # every piece not yet written fails alike: which one ended it is unknown
                    raise OutputError(f"a worker process writing the outputs ended abruptly (out of memory, or "
                                      f"killed) before {name} was written") from None
            if len(parts) > 1:
                _append_parts(parts[0].path(folder), [piece.path(folder) for piece in parts[1:]])
            pause_point(f"set:{name}")
    finally:
        _writing = None
        pool.close()
    return names


def _write_piece(folder: Path, piece: _Piece) -> None:
    """A worker's share (see :func:`_write_tables`): a part of a CSV table (not synced: this process
    syncs the joined file), or a whole file."""
    frame, columns = _writing[piece.table]  # type: ignore[index]
    if piece.span is None:
        _write_whole(piece.path(folder), piece.fmt, frame, columns)
        return
    with open(piece.path(folder), "wb") as handle:
        for text in _csv_bytes(frame, columns, piece.span):
            handle.write(text)


def _append_parts(path: Path, parts: Sequence[Path]) -> None:
    """Append ``parts`` to ``path`` in order (copied in the kernel where it can), remove them, sync ``path``."""
    with open(path, "r+b") as handle:  # not "ab": copy_file_range refuses a file opened to append
        handle.seek(0, os.SEEK_END)
        for part in parts:
            with open(part, "rb") as source:
                left = os.fstat(source.fileno()).st_size
                try:
                    while left > 0:
                        copied = os.copy_file_range(source.fileno(), handle.fileno(), left)
                        if copied == 0:
                            break
                        left -= copied
                except OSError:  # a file system or kernel without it: copied through this process
                    pass
                if left > 0:
                    size = os.fstat(source.fileno()).st_size
                    source.seek(size - left)
                    handle.seek(0, os.SEEK_END)
                    shutil.copyfileobj(source, handle, 1024**2)
                    handle.flush()
            part.unlink()
        os.fsync(handle.fileno())


def _write_whole(path: Path, fmt: str, frame: Any, columns: Sequence[str]) -> None:
    if fmt == "csv":
        _write_csv_file(path, frame, columns)
    else:
        _write_parquet_file(path, frame, columns)


def _write_csv_file(path: Path, frame: Any, columns: Sequence[str]) -> None:
    with open(path, "wb") as handle:
        for text in _csv_bytes(frame, columns):
            handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


# Rows per Parquet row group: reading one claim group's figures reads about this many rows.
PARQUET_ROW_GROUP = 4096


def _write_parquet_file(path: Path, frame: Any, columns: Sequence[str]) -> None:
    """The same table typed, values as read (no formula neutralising: Parquet is not a spreadsheet),
    handed to pyarrow column by column (Arrow-backed text is not copied). A spilled figure table
    (:mod:`auditor._spill`) is sorted through files, never loaded whole (:func:`_write_sorted_spill`)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if frame is not None and not isinstance(frame, pd.DataFrame):
        if len(frame) and "figure_id" in frame.columns:
            _write_sorted_spill(path, frame, columns)
            return
        if len(frame):  # claim groups or conflicts spilled (auditor._spill.SpilledRuns): row groups as they come
            writer = None
            for chunk in frame.chunks(4 * PARQUET_ROW_GROUP):
                table = pa.Table.from_pandas(_ordered(chunk, columns), preserve_index=False)
                writer = writer or pq.ParquetWriter(path, table.schema)
                writer.write_table(table, row_group_size=PARQUET_ROW_GROUP)
            writer.close()
            with open(path, "rb+") as handle:
                os.fsync(handle.fileno())
            return
        frame = frame.frame()
    frame = _ordered(frame, columns)
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # a column mixing types: written as text
        frame = frame.copy()
        for column in frame.columns[frame.dtypes == object]:
            frame[column] = frame[column].map(lambda v: None if v is None or v != v else str(v))
        table = pa.Table.from_pandas(frame, preserve_index=False)
    if "figure_id" in frame and "group_id" in frame:
        # Figures sorted by claim group in row groups of PARQUET_ROW_GROUP rows: a group's figures sit in
        # one or two row groups, which open_audit (auditor/opened.py) finds by their group_id statistics.
        table = table.take(pc.sort_indices(table["group_id"]))  # a stable sort
    pq.write_table(table, path, row_group_size=PARQUET_ROW_GROUP)
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


# Rows of the spilled figure table sorted in memory at a time, at least (a multiple of PARQUET_ROW_GROUP,
# so that the row groups are the ones of the table sorted whole); more when the table would need more
# than _SORT_BUCKETS files.
_SORT_BUCKET_ROWS = 4 * PARQUET_ROW_GROUP
_SORT_BUCKETS = 256
_RANK = "__figure_audit_rank"


def _write_sorted_spill(path: Path, figures: Any, columns: Sequence[str]) -> None:
    """figures.parquet of a spilled figure table: the rows sorted by ``group_id`` (stable, as
    :func:`_write_parquet_file` sorts a frame) in row groups of ``PARQUET_ROW_GROUP``, in two passes
    over the spill: each chunk's rows sent to the bucket file of their place in the order
    (``_SORT_BUCKET_ROWS`` places each, or enough for ``_SORT_BUCKETS`` files), then each bucket sorted
    and written. Memory: a chunk and a bucket, not the table."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq

    order = pc.sort_indices(pa.array(figures.filled.column("group_id"), type=pa.large_string())).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    del order
    per_bucket = max(_SORT_BUCKET_ROWS, -(-len(rank) // (_SORT_BUCKETS * PARQUET_ROW_GROUP)) * PARQUET_ROW_GROUP)
    buckets: dict[int, tuple[Any, Any]] = {}  # bucket -> (file, IPC stream writer)
    folder = Path(tempfile.mkdtemp(prefix="parquet-", dir=figures.folder))
    try:
        for chunk in figures.chunks(CSV_CHUNK_ROWS):
            table = pa.Table.from_pandas(_ordered(chunk, columns), preserve_index=False)
            ranks = rank[chunk.index.to_numpy()]
            table = table.append_column(_RANK, pa.array(ranks))
            bucket_of = ranks // per_bucket
            for bucket in np.unique(bucket_of).tolist():
                if bucket not in buckets:
                    sink = pa.OSFile(str(folder / f"{bucket}.arrows"), "wb")
                    buckets[bucket] = (sink, ipc.new_stream(sink, table.schema))
                buckets[bucket][1].write_table(table.take(np.flatnonzero(bucket_of == bucket)))
            del table, chunk
        for sink, writer in buckets.values():
            writer.close()
            sink.close()
        writer = None
        for bucket in sorted(buckets):
            with pa.OSFile(str(folder / f"{bucket}.arrows"), "rb") as source:
                table = ipc.open_stream(source).read_all()
            table = table.take(pc.sort_indices(table[_RANK])).drop_columns([_RANK])
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table, row_group_size=PARQUET_ROW_GROUP)
            (folder / f"{bucket}.arrows").unlink()
            del table
            pa.default_memory_pool().release_unused()
        writer.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

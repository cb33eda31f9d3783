"""An audit already written to an output folder, opened without loading every figure.

``open_audit(DIR)`` reads the small tables of the set in force (articles, claim groups, conflicts,
errors) at once and the figures of one claim group only when it is asked for: from
``figures.parquet`` by its row groups' ``group_id`` statistics (the writer sorts the figures by
``group_id``, so one group's rows sit in one or two row groups), else from ``figures.csv``
streamed in batches. Review decisions are merged from ``DIR/review.sqlite`` as a fresh run merges
them, and new ones are written there at once.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

    from .audit import AuditResult

# Numeric columns of each table; every other column is text.
_FLOATS = ("value", "low", "high", "reported_value", "consensus_low", "consensus_high", "relative_difference")
_INTS = ("start", "end", "sentence_start", "sentence_end", "n_figures", "n_articles", "n_sources", "chars")
# A CSV cell that export.py neutralised for spreadsheets (a leading apostrophe before = + - @ tab CR).
_NEUTRALISED = r"^'([=+\-@\t\r])"
_SOLO = "solo:"  # the workbench's id of a figure without a claim group


class OpenedAudit:
    """An audit read back from its output folder; figures are read one claim group at a time.

    Made by :func:`open_audit`. ``articles``, ``groups``, ``conflicts`` and ``errors`` are
    DataFrames as an :class:`~auditor.audit.AuditResult` has them; ``figures_of(group_id)`` reads
    the figures of one group. ``auditor.Dashboard(opened)`` shows it, and a cell ending with it
    renders it. ``rows_read`` counts the figure rows read from disk so far.
    """

    def __init__(self, folder: Path, tables: Path, figures: _FigureFile, small: dict[str, pd.DataFrame]) -> None:
        self.folder = folder
        self.out_dir = folder  # where review.sqlite lives, as AuditResult.out_dir
        self.tables = tables  # the set of files read (DIR/.figure-audit/sets/<run>/, or DIR itself)
        self._figures = figures
        self.format = figures.format
        self.articles = small["articles"]
        self.groups = small["groups"]
        self.conflicts = small["conflicts"]
        self.errors = small["errors"]

    @property
    def n_figures(self) -> int:
        """How many figures the audit has (from the file's metadata; a CSV is counted once)."""
        if self._figures.n_rows < 0:
            self._figures.read(["group_id"], None, None)
        return self._figures.n_rows

    @property
    def rows_read(self) -> int:
        return self._figures.rows_read

    # -- figures ------------------------------------------------------------------------------

    def figures_of(self, group_id: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The figures of one claim group (``solo:<figure_id>`` for a figure without one), in file order,
        only ``columns`` (all when ``None``)."""
        return self.figures_in([group_id], columns)

    def figures_in(self, group_ids: Iterable[str], columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The figures of several claim groups (read in one pass over the row groups that can hold them),
        only ``columns`` (all when ``None``)."""
        groups, solos = set(), set()
        for g in map(str, group_ids):
            if g.startswith(_SOLO):
                solos.add(g[len(_SOLO):])
            else:
                groups.add(g)
        return _frame(self._figures.read(columns, groups, solos))

    def _figures_with_ids(self, figure_ids: Iterable[str]) -> pd.DataFrame:
        """The figures whose id is in ``figure_ids``, in any claim group or none (the figure id column of
        every row group is read, the other columns only of those that hold one)."""
        return _frame(self._figures.read(None, set(), set(), set(map(str, figure_ids))))

    def _figures_at(self, positions: Any, columns: Sequence[str] | None) -> pd.DataFrame:
        """Rows at ``positions`` (ascending) and ``columns`` of the figure table (index: the positions), as
        ``AuditResult._figures_at`` gives them: a Parquet row group or CSV batch holding none is let go unread
        or unkept (what ``report.html`` reads of the reports it shows)."""
        import numpy as np
        import pyarrow as pa

        rows = np.asarray(positions, dtype=np.int64)
        parts = [part.take(pa.array(at)) for part, at in self._figures.at(rows, columns)]
        frame = _frame(pa.concat_tables(parts) if parts else self._figures.empty(columns))
        frame.index = pd.Index(rows)
        return frame

    def read_figures(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Every figure, only ``columns`` (all when ``None``): what a list over all groups needs."""
        return _frame(self._figures.read(columns, None, None))

    def figure_chunks(self, columns: Sequence[str] | None = None, size: int = 50_000) -> Iterator[pd.DataFrame]:
        """Every figure in file order, only ``columns``, about ``size`` rows at a time (index: row positions):
        a list over all groups built a part at a time holds no more than one part."""
        import pyarrow as pa

        pending: list[pa.Table] = []
        start = held = 0
        for part in chain(self._figures.parts(columns, None, None), [None]):  # read as taken, not all at once
            if part is not None:
                pending.append(part)
                held += part.num_rows
            if held and (held >= size or part is None):
                frame = _frame(pa.concat_tables(pending))
                frame.index = pd.RangeIndex(start, start + held)
                pending, start, held = [], start + held, 0
                yield frame

    # -- review ---------------------------------------------------------------------------------

    def review(self, conflict_id: str, decision: str, note: str = "") -> None:
        """Mark a conflict ``confirmed`` or ``dismissed`` with a note, stored at once in ``review.sqlite``."""
        from .review import review_conflict

        review_conflict(self, conflict_id, decision, note)

    def review_group(self, group_id: str, decision: str, note: str = "") -> None:
        """Decide a whole claim group, stored at once with the figures it holds (see ``AuditResult.review_group``)."""
        from .review import review_group

        review_group(self, group_id, decision, note)

    # -- everything -----------------------------------------------------------------------------

    def to_result(self) -> AuditResult:
        """The whole audit in memory (every figure read): for what needs them all, e.g. ``report.html``.

        The figures are in the order the run wrote ``figures.csv`` (article, then position in it; the
        Parquet file holds them by claim group) and, read from Parquet, with their empty cells as the run
        had them: written again, the files are the run's, byte for byte."""
        from .audit import AuditResult

        return AuditResult(articles=self.articles, figures=self._figures_as_run(), groups=self.groups,
                           conflicts=self.conflicts, errors=self.errors, out_dir=self.out_dir)

    def _figures_as_run(self) -> pd.DataFrame:
        """Every figure as the run held them: in its order (:func:`_in_run_order`); from Parquet, typed
        as written, a missing text a null (not ``""``: a column empty in every row is written as Arrow's
        null type, as the run writes it)."""
        table = self._figures.read(None, None, None)
        if self.format == "parquet":
            frame = table.to_pandas()
            for column in frame.columns:
                if column in _FLOATS:
                    frame[column] = frame[column].astype("float64")
        else:
            frame = _frame(table)
        del table
        return _in_run_order(frame, self.articles["article_id"])

    def write(self, out_dir: str | Path, html: bool = False) -> dict[str, Path]:
        """Write the audit's files into ``out_dir`` in the formats it was opened from (reads every figure;
        see :meth:`to_result`): exporting an opened Parquet audit keeps its Parquet files. With no review
        decision recorded since the run, the files are the run's, byte for byte; with some, only the
        decided columns (and ``decisions.csv``) differ."""
        from .export import FORMATS, write_outputs

        formats = tuple(f for f in FORMATS if (self.tables / f"figures.{f}").is_file()) or ("csv",)
        return write_outputs(self.to_result(), Path(out_dir), html=html, formats=formats)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        """Rich display as for an :class:`~auditor.audit.AuditResult`, reading only the groups shown."""
        from ._mime import mimebundle

        return mimebundle(self)

    def __repr__(self) -> str:
        return (f"OpenedAudit({str(self.folder)!r}: {len(self.articles)} articles, {self.n_figures} figures, "
                f"{len(self.groups)} claim groups, {len(self.conflicts)} conflicts, {len(self.errors)} errors; "
                f"{self.format})")


def open_audit(folder: str | os.PathLike[str]) -> OpenedAudit:
    """Open the audit written into ``folder`` by ``figure-audit run … --out folder`` (or ``AuditResult.write``).

    Reads the Parquet files when the set has them (``--format parquet`` or ``both``), else the CSVs.
    Claim groups, conflicts, articles and errors are read at once; figures one claim group at a time
    (:meth:`OpenedAudit.figures_of`). Review decisions in ``folder/review.sqlite`` are merged as a
    fresh run would merge them.

    Raises
    ------
    FileNotFoundError
        ``folder`` holds no audit (no ``figures.parquet`` nor ``figures.csv``).
    ValueError
        A table of the set cannot be read; the message names the file and the reason.

    Examples
    --------
    >>> opened = auditor.open_audit("audit-out")       # doctest: +SKIP
    >>> auditor.Dashboard(opened)                      # doctest: +SKIP
    """
    from .claims import CONFLICT_COLUMNS, CONFLICT_EXTRA_COLUMNS, GROUP_COLUMNS, GROUP_EXTRA_COLUMNS, finish_claims
    from .export import META_DIR
    from .model import ARTICLE_COLUMNS, ERROR_COLUMNS
    from .review import STORE_NAME

    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such folder")
    current = root / META_DIR / "current"
    # One set for every table, even if a run switches the folder to a new set while this one is open.
    tables = current.resolve() if current.is_symlink() else root
    figures = _figure_file(tables)
    if figures is None:
        raise FileNotFoundError(f"{root} holds no audit (no figures.parquet nor figures.csv): "
                                f"write one with `figure-audit run PATHS --out {root}`")
    small = {
        "articles": _read_table(tables, "articles", ARTICLE_COLUMNS),
        "groups": _read_table(tables, "groups", GROUP_COLUMNS + GROUP_EXTRA_COLUMNS),
        "conflicts": _read_table(tables, "conflicts", CONFLICT_COLUMNS + CONFLICT_EXTRA_COLUMNS),
        "errors": _read_table(tables, "errors", ERROR_COLUMNS),
    }
    # Review decisions merged afresh (those recorded since the run too), as audit() does at its end.
    members = _frame(figures.read(["figure_id", "group_id"], None, None)) if (root / STORE_NAME).exists() \
        else pd.DataFrame({"figure_id": pd.Series(dtype=object), "group_id": pd.Series(dtype=object)})
    small["groups"], small["conflicts"] = finish_claims(members, small["groups"], small["conflicts"], root)
    release_memory()
    return OpenedAudit(root, tables, figures, small)


def release_memory() -> None:
    """Give back to the system what Arrow's memory pool kept from reading a whole table."""
    # (imported here: pyarrow only once a table is read)
    from ._spill import release_memory as released

    released()


# --- reading the files ---------------------------------------------------------------------------------------


class _FigureFile:
    """The figures table of a set, read by claim group. ``rows_read`` counts rows taken from disk."""

    format = ""
    n_rows = 0
    rows_read = 0

    def parts(self, columns: Sequence[str] | None, groups: set[str] | None, solos: set[str] | None,
              ids: set[str] | None = None) -> Iterator[pa.Table]:
        """Rows whose ``group_id`` is in ``groups``, or (ungrouped) whose ``figure_id`` is in ``solos``, or
        whose ``figure_id`` is in ``ids``; every row when ``groups`` and ``solos`` are ``None``; in file order,
        a row group or batch at a time. ``columns=None`` reads them all."""
        raise NotImplementedError

    def empty(self, columns: Sequence[str] | None) -> pa.Table:
        raise NotImplementedError

    def at(self, rows: Any, columns: Sequence[str] | None) -> Iterator[tuple[pa.Table, Any]]:
        """``(part, positions in it)`` of the parts holding some of ``rows`` (ascending table positions), in
        order; ``columns`` of each (all when ``None``)."""
        import numpy as np

        start = 0
        for part in self.parts(columns, None, None):
            stop = start + part.num_rows
            low, high = np.searchsorted(rows, [start, stop])
            if high > low:
                yield part, rows[low:high] - start
            start = stop

    def read(self, columns: Sequence[str] | None, groups: set[str] | None, solos: set[str] | None,
             ids: set[str] | None = None) -> pa.Table:
        """:meth:`parts` in one table."""
        import pyarrow as pa

        parts = list(self.parts(columns, groups, solos, ids))
        return pa.concat_tables(parts) if parts else self.empty(columns)


class _ParquetFigures(_FigureFile):
    """``figures.parquet``: only the row groups whose ``group_id`` statistics can hold a wanted group."""

    format = "parquet"

    def __init__(self, path: Path) -> None:
        import pyarrow.parquet as pq

        self.path = path
        try:
            self.file = pq.ParquetFile(path)  # kept open: the set stays readable if a new run replaces it
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds for a damaged file
            raise ValueError(f"{path}: not a readable Parquet file ({exc})") from None
        meta = self.file.metadata
        self.n_rows = meta.num_rows
        self.columns = list(self.file.schema_arrow.names)
        if "group_id" not in self.columns or "figure_id" not in self.columns:
            self.file.close()  # not left open by the error's traceback (a notebook keeps the last one)
            raise ValueError(f"{path}: no group_id / figure_id column: not a figure-audit figures table")
        at = self.columns.index("group_id")
        self.ranges: list[tuple[str, str] | None] = []
        for i in range(meta.num_row_groups):
            stats = meta.row_group(i).column(at).statistics
            self.ranges.append((stats.min, stats.max) if stats is not None and stats.has_min_max else None)

    def _may_hold(self, i: int, groups: set[str], solos: set[str]) -> bool:
        span = self.ranges[i]
        if span is None:
            return True
        low, high = span
        return bool(solos and low == "") or any(low <= g <= high for g in groups)

    def parts(self, columns: Sequence[str] | None, groups: set[str] | None, solos: set[str] | None,
              ids: set[str] | None = None) -> Iterator[pa.Table]:
        import pyarrow as pa
        import pyarrow.compute as pc

        every = groups is None and solos is None
        groups, solos = groups or set(), solos or set()
        wanted = None if columns is None else [c for c in self.columns if c in columns]
        keys = None if wanted is None else list(dict.fromkeys([*wanted, "group_id", "figure_id"]))
        for i in range(len(self.ranges)):
            if not every and not self._may_hold(i, groups, solos):
                if not ids:
                    continue
                # A figure wanted by id may sit in any row group: its id column tells, before the rest is read.
                named = self.file.read_row_group(i, columns=["figure_id"]).column("figure_id")
                if not pc.any(pc.is_in(named, value_set=pa.array(sorted(ids), pa.string()))).as_py():
                    continue
            part = self.file.read_row_group(i, columns=keys)
            self.rows_read += part.num_rows
            if not every:
                part = part.filter(_membership(part, groups, solos, ids))
            yield part.select(wanted) if wanted is not None else part

    def at(self, rows: Any, columns: Sequence[str] | None) -> Iterator[tuple[pa.Table, Any]]:
        import numpy as np

        wanted = None if columns is None else [c for c in self.columns if c in columns]
        start = 0
        for i in range(self.file.metadata.num_row_groups):  # a row group holding none of the rows is not read
            stop = start + self.file.metadata.row_group(i).num_rows
            low, high = np.searchsorted(rows, [start, stop])
            if high > low:
                part = self.file.read_row_group(i, columns=wanted)
                self.rows_read += part.num_rows
                yield part, rows[low:high] - start
            start = stop

    def empty(self, columns: Sequence[str] | None) -> pa.Table:
        table = self.file.schema_arrow.empty_table()
        return table if columns is None else table.select([c for c in self.columns if c in columns])


class _CsvFigures(_FigureFile):
    """``figures.csv`` (no Parquet in the set): streamed in batches, the wanted rows kept."""

    format = "csv"
    # Bytes parsed at a time. The reader parses a few blocks ahead: 8 MB blocks held ~100 MB more at 20 MB of text.
    BLOCK = 2 << 20

    def __init__(self, path: Path) -> None:
        import pyarrow.csv as pacsv

        self.path = path
        # Kept open, as the Parquet file is: the set stays readable if a new run replaces it. Each reader reads
        # it through its own position (_Positioned): two readers at once never move each other's place.
        self.handle = open(path, "rb")  # noqa: SIM115 - lives as long as the opened audit
        try:
            with pacsv.open_csv(_Positioned(self.handle), read_options=pacsv.ReadOptions(block_size=1 << 20)) as reader:
                self.columns = list(reader.schema.names)
        except Exception as exc:  # noqa: BLE001
            self.handle.close()
            raise ValueError(f"{path}: not a readable CSV file ({exc})") from None
        if "group_id" not in self.columns or "figure_id" not in self.columns:
            self.handle.close()  # not left open by the error's traceback (a notebook keeps the last one)
            raise ValueError(f"{path}: no group_id / figure_id column: not a figure-audit figures table")
        self.n_rows = -1  # counted on the first full read

    def _types(self) -> dict[str, pa.DataType]:
        """Each column's type as read (numbers typed, the rest text)."""
        import pyarrow as pa

        return {c: (pa.float64() if c in _FLOATS else pa.int64() if c in _INTS else pa.string()) for c in self.columns}

    def _reader(self, keys: Sequence[str] | None) -> Any:
        import pyarrow.csv as pacsv

        convert = pacsv.ConvertOptions(column_types=self._types(), include_columns=keys, strings_can_be_null=False,
                                       quoted_strings_can_be_null=False)
        return pacsv.open_csv(_Positioned(self.handle), read_options=pacsv.ReadOptions(block_size=self.BLOCK),
                              convert_options=convert)

    def parts(self, columns: Sequence[str] | None, groups: set[str] | None, solos: set[str] | None,
              ids: set[str] | None = None) -> Iterator[pa.Table]:
        import pyarrow as pa
        import pyarrow.compute as pc

        every = groups is None and solos is None
        groups, solos = groups or set(), solos or set()
        wanted = list(self.columns) if columns is None else [c for c in self.columns if c in columns]
        keys = list(dict.fromkeys([*wanted, "group_id", "figure_id"]))
        total = 0
        with self._reader(keys) as reader:
            for batch in reader:
                total += batch.num_rows
                self.rows_read += batch.num_rows
                part = pa.Table.from_batches([batch])
                if not every:
                    part = part.filter(_membership(part, groups, solos, ids))
                part = part.select(wanted)
                # Undo the spreadsheet neutralising: the values as read, as in the Parquet files.
                for i, field in enumerate(part.schema):
                    if pa.types.is_string(field.type):
                        part = part.set_column(i, field, pc.replace_substring_regex(part.column(i), _NEUTRALISED,
                                                                                    r"\1"))
                yield part
        if every:
            self.n_rows = total

    def empty(self, columns: Sequence[str] | None) -> pa.Table:
        import pyarrow as pa

        types = self._types()
        wanted = list(self.columns) if columns is None else [c for c in self.columns if c in columns]
        return pa.schema([(c, types[c]) for c in wanted]).empty_table()


class _Positioned(io.RawIOBase):
    """An open file read from its start through a position of its own (``os.pread``, no shared offset): the
    readers of one open file each keep their place, and the file stays readable if a new run removes it."""

    def __init__(self, handle: BinaryIO) -> None:
        super().__init__()
        self._handle = handle
        self._at = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._at

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._at, io.SEEK_END: os.fstat(self._handle.fileno()).st_size}[whence]
        self._at = max(base + offset, 0)
        return self._at

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = os.pread(self._handle.fileno(), len(view), self._at)
        view[:len(data)] = data
        self._at += len(data)
        return len(data)


def _membership(table: pa.Table, groups: set[str], solos: set[str], ids: set[str] | None = None) -> pa.ChunkedArray:
    import pyarrow as pa
    import pyarrow.compute as pc

    group = table.column("group_id")
    keep = pc.is_in(group, value_set=pa.array(sorted(groups), pa.string()))
    if solos:
        alone = pc.and_(pc.equal(pc.fill_null(group, ""), ""),
                        pc.is_in(table.column("figure_id"), value_set=pa.array(sorted(solos), pa.string())))
        keep = pc.or_(keep, alone)
    if ids:
        keep = pc.or_(keep, pc.is_in(table.column("figure_id"), value_set=pa.array(sorted(ids), pa.string())))
    return pc.fill_null(keep, False)


def _figure_file(tables: Path) -> _FigureFile | None:
    from .export import MANIFEST_NAME

    if (tables / "figures.parquet").is_file():
        return _ParquetFigures(tables / "figures.parquet")
    if (tables / "figures.csv").is_file():
        figures = _CsvFigures(tables / "figures.csv")
        try:  # the set's manifest counts the rows: no pass over the file just to count them
            figures.n_rows = int(json.loads((tables / MANIFEST_NAME).read_text(encoding="utf-8"))["rows"]["figures"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return figures
    return None


def _read_table(tables: Path, name: str, columns: Sequence[str]) -> pd.DataFrame:
    """A small table of the set (Parquet, else CSV un-neutralised), with at least ``columns``; typed."""
    parquet, csv = tables / f"{name}.parquet", tables / f"{name}.csv"
    try:
        if parquet.is_file():
            frame = pd.read_parquet(parquet)
        elif csv.is_file():
            frame = pd.read_csv(csv, dtype=str, keep_default_na=False, na_filter=False)
            for column in frame.columns:
                frame[column] = frame[column].str.replace(_NEUTRALISED, r"\1", regex=True)
        else:
            frame = pd.DataFrame(columns=list(columns))
    except Exception as exc:  # noqa: BLE001 - a damaged file of either kind
        shown = parquet if parquet.is_file() else csv
        raise ValueError(f"{shown}: cannot be read ({exc})") from None
    for column in columns:
        if column not in frame:
            frame[column] = 0 if column in _INTS else ""
    for column in frame.columns:
        if column in _FLOATS:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        elif column in _INTS:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").fillna(0).astype("int64")
        else:
            frame[column] = frame[column].fillna("")
    return frame


def _in_run_order(figures: pd.DataFrame, article_ids: pd.Series) -> pd.DataFrame:
    """``figures`` in the order a run writes them: by article (in ``article_ids``' order; an article not
    listed last), then by position in it (``start``, ``end``); rows that tie keep their order."""
    import numpy as np

    if len(figures) < 2:
        return figures
    known = pd.Index(pd.unique(article_ids))
    rank = known.get_indexer(figures["article_id"])
    rank = np.where(rank < 0, len(known), rank)
    order = np.lexsort((figures["end"].to_numpy(), figures["start"].to_numpy(), rank))  # stable
    if (order == np.arange(len(order))).all():
        return figures
    return figures.take(order).reset_index(drop=True)


def _frame(table: pa.Table) -> pd.DataFrame:
    """Figures as pandas: numbers as numbers, text as ``str`` (missing = empty)."""
    frame = table.to_pandas()
    for column in frame.columns:
        if column in _FLOATS:
            frame[column] = frame[column].astype("float64")
        elif not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].fillna("")
    return frame


__all__ = ["OpenedAudit", "open_audit"]

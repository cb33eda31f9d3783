"""A claims task streamed: its figures worked through a part at a time, never prepared all at once.

A task above ``claims._STREAM_ABOVE_ROWS`` figures (a big blocking key: a war's daily toll over a
year and a half is one key of ~54,000 figures in a 51 MB corpus) would hold them all prepared (~1.8 KB
a figure). Streamed, it holds at once one part (``claims._STREAM_SEGMENT_ROWS`` figures), the open incidents and a
few numbers per figure; the tables are those of the whole task (:func:`auditor.claims._stages`):

0. rows of the spill file filled from their articles (outlet, date, headline) into a file of the task's
   own, and the articles let go;
1. a first pass over parts of whole articles (a figure takes a dated sibling's event day from its
   article): each figure's blocking key (gathered as each prefix's distinct days), anchor and event
   days, figure id (as its rank), outlet and date (small integers: a few of each); the figures
   superseded, the totals that parts name;
2. each key's reports in sweep order (:class:`~auditor.incidents.Sweep`), in segments of that many
   reports (the small keys of a task several to a segment); rows of the spill file are copied into a
   file per segment, with what the first pass kept of each (then read from there, not held): a key
   whose words tell incidents apart has its texts counted first (document frequencies: a segment's
   sentences at a time), then is swept, each segment prepared alone (with the first pass's event days);
3. the incidents named (ids across the task), then built a chunk of whole incidents at a time as
   :func:`~auditor.claims._stages` builds them: each chunk's rows (and the totals they name) read
   and prepared alone.
"""

from __future__ import annotations

import dataclasses
import gc
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._claim_rules import PreparedFigures, _text_list, prepare
from ._key_cut import Prefixes
from ._spill import SCHEMA, SpillPart, number_dtype, release_memory, row_dtype
from .incidents import (NO_PROFILES, Incident, Sweep, incident_id, key_parts, label_incidents, plain_id,
                        tied_ids)

# What the first pass reads of each figure: what keys, days and the linking's order read, the ids a
# figure supersedes or names as its total, and the columns the task fills
_FIRST_COLUMNS = frozenset({"figure_id", "article_id", "category", "value", "low", "high", "qualifier", "location",
                            "place_id", "admin1", "country", "reference_place", "counted", "scope", "event_date",
                            "published", "outlet", "supersedes", "part_of"})
# What counting a key's texts reads (the headline comes from the article)
_TEXT_COLUMNS = frozenset({"sentence", "article_id", "title"})
_ID_COLUMNS = frozenset({"figure_id"})


class _Rows:
    """A claims task's figures read a part at a time (ascending positions among them), each part's
    filled from its articles (outlet, date, headline) as :func:`~auditor.claims._stages` fills them:
    rows of a DataFrame, or of the spill file (a :class:`~auditor._spill.SpillPart`).

    Rows of the spill file are first read once in file order, filled, and written to a file of the task's
    own in ``scratch``: the articles (~100 bytes each, as many as the figures of a big key) are let go
    before the first pass. A segment's rows are scattered through that file (a key's reports come from
    articles all over the corpus): each read of one would decode most of its record batches, each
    segment the whole file again. So once the segments are known (:meth:`distribute`) the task's rows
    are read in file order once more and each written to its segment's file: a segment is then one file,
    a chunk of incidents (which opened in date order) the rows of a few."""

    def __init__(self, source: pd.DataFrame | SpillPart, articles: pd.DataFrame | SpillPart, columns: frozenset[str],
                 scratch: Path | None, article_of: np.ndarray | None = None) -> None:
        """``article_of``: each figure's row in ``articles``, when the sender knows it (none is looked up);
        ``articles`` then may be their rows of the articles' spill file, for rows of the spill file (a local
        run's figures follow their articles: as the rows are filled in order, a part's articles are a few
        consecutive rows of it, read then, not all held: a big key's articles, ~100 bytes each, as many as
        its figures)."""
        self.source, self.columns = source, columns
        self.stored: frozenset[str] = frozenset()  # columns of the task's own in the segments' files
        self.n = len(source.rows) if isinstance(source, SpillPart) else len(source)
        self.articles = articles
        # each figure's article (its row; -1: none): given, or found by _index_articles
        self._article_of: np.ndarray | None = article_of
        self._groups: np.ndarray | None = None  # each figure's article as a number (article_groups)
        self._folder: Path | None = None
        self._segments: list[SpillPart] = []  # each segment's file, once distributed
        self._segment_of: np.ndarray | None = None  # each figure's segment
        self._slot: np.ndarray | None = None  # each figure's row in its segment's file
        if isinstance(source, SpillPart) and scratch is not None:
            self._folder = Path(tempfile.mkdtemp(prefix="segments-", dir=scratch))
            self._groups = self.article_groups()  # (before the articles are let go)
            (self.source,), _ = self._written(["filled"], np.zeros(self.n, dtype=np.int32))  # (its rows in order)
            self.articles = self._article_of = None  # filled in the file

    def read(self, positions: np.ndarray, columns: frozenset[str] | None = None, fill: bool = True) -> pd.DataFrame:
        """The figures at ``positions`` (ascending), ``columns`` of them (all the task reads when
        ``None``), filled from their articles (unless not ``fill``)."""
        wanted = self.columns if columns is None else columns & (self.columns | self.stored)
        if self._segments:  # from the segments' files (filled)
            from .claims import _positions_by

            found, blocks = _positions_by(self._segment_of[positions])
            frames = []
            for k, taken in zip(found, blocks):
                part = self._segments[k]
                names = tuple(c for c in part.columns if c in wanted)
                frames.append(part.load(self._slot[positions[taken]], names))  # (a segment's file: its rows all)
            frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
            if len(frames) > 1:
                order = np.concatenate(blocks)  # the rows as read
                back = np.empty(len(order), dtype=np.int64)
                back[order] = np.arange(len(order))
                frame = frame.take(back).reset_index(drop=True)
            return frame
        if isinstance(self.source, SpillPart):
            present = self.source.columns or SCHEMA.names
            names = tuple(c for c in present if c in wanted)
            frame = self.source.load(positions, names)
        else:
            frame = self.source[[c for c in self.source.columns if c in wanted]]
            frame = frame.iloc[positions].reset_index(drop=True)
        return self._filled(frame, positions) if fill else frame

    def article_groups(self) -> np.ndarray:
        """Each figure's article as an integer, equal for the figures of one article: its row in the
        articles, or for a figure whose article is not among them a number past those rows, one per
        article id (found as the rows were filled: handed over, not kept here)."""
        groups, self._groups = self._groups, None
        if groups is not None:
            return groups
        return self._article_of if self._article_of is not None else self._index_articles()  # (read only: not copied)

    def _index_articles(self) -> np.ndarray:
        """:meth:`article_groups`, each figure's row in the articles kept (each part read is filled from
        it). The ids are read ``_ID_CHUNK_ROWS`` at a time: a big key's ids all read as Python strings
        were ~100 bytes a figure (and each look-up hashes the articles' ids again: not a few thousand at
        a time)."""
        from .claims import _ID_CHUNK_ROWS, _article_ids, _article_index, _article_rows

        ids = _article_ids(self.articles) if self.articles is not None else None
        index = None if ids is None else _article_index(ids)
        base = 0 if ids is None else len(ids)
        del ids
        groups = np.empty(self.n, dtype=np.int64)
        article_of = np.full(self.n, -1, dtype=np.int32)
        other: dict[Any, int] = {}  # the ids of articles not there, numbered
        for start in range(0, self.n, _ID_CHUNK_ROWS):
            stop = min(self.n, start + _ID_CHUNK_ROWS)
            piece = self.read(np.arange(start, stop), frozenset({"article_id"}), fill=False)
            values = piece["article_id"] if "article_id" in piece else pd.Series([""] * (stop - start))
            found = _article_rows(values, index)
            article_of[start:stop] = found
            missing = np.flatnonzero(found < 0)
            if len(missing):  # a missing id (None, NaN) is one article, as pandas factorizes it
                found[missing] = [base + other.setdefault(v if isinstance(v, str) else None, len(other))
                                  for v in values.iloc[missing].tolist()]
            groups[start:stop] = found
        if index is not None:
            self._article_of = article_of
        return groups

    def _filled(self, frame: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
        """``frame`` (the figures at ``positions``) filled from their articles (none left: as it is)."""
        from .claims import _fill_from_articles, _filled_at

        if self.articles is None:
            return frame
        if self._article_of is None:
            return _fill_from_articles(frame, self.articles)
        at = self._article_of[positions]
        if isinstance(self.articles, SpillPart):  # the part's articles read: consecutive rows (``positions`` ascend)
            first, last = int(at[0]), int(at[-1])
            articles = self.articles.load(np.arange(first, last + 1))
            return _filled_at(frame, articles, at - first)
        return _filled_at(frame, self.articles, at)

    def distribute(self, segments: Iterable[np.ndarray], stored: dict[str, np.ndarray]) -> bool:
        """Rows of a spill file: each segment's (``segments[k]``: its figures, ascending) written to a file
        of its own, in one pass over the rows in file order (see above), with the columns ``stored`` (an
        array each, in row order: read with the rows from then on); later reads are from there. Whether
        they were (not for rows of a DataFrame)."""
        if self._folder is None:
            return False
        filled = self.source
        segment_of = np.full(self.n, -1, dtype=np.int32)
        count = 0
        for count, at in enumerate(segments, start=1):  # (made one at a time: ~8 bytes a figure in all)
            segment_of[at] = count - 1
        self._segments, self._slot = self._written([str(k) for k in range(count)], segment_of, stored)
        self._segment_of = segment_of
        self.stored = frozenset(stored)
        Path(filled.path).unlink(missing_ok=True)  # (read from the segments now)
        return True

    def _written(self, names: list[str], file_of: np.ndarray, stored: dict[str, np.ndarray] | None = None
                 ) -> tuple[list[SpillPart], np.ndarray]:
        """The rows of the source (spill file) in files of the task's folder, each to ``names[file_of[row]]``
        ``.arrow``, read once in file order (filled from the articles when there are any; with the columns
        ``stored``, in row order): a part of each file, and each row's place in its file."""
        import pyarrow as pa
        import pyarrow.ipc as ipc

        from ._spill import _frame, _rows_read
        from .claims import _positions_by

        assert isinstance(self.source, SpillPart) and self._folder is not None
        source = self.source
        slot = np.zeros(self.n, dtype=row_dtype(self.n))
        paths = [self._folder / f"{name}.arrow" for name in names]
        counts = [0] * len(paths)
        writers: list[Any] = [None] * len(paths)
        batch_rows: list[list[int]] = [[] for _ in paths]
        present = source.columns or SCHEMA.names
        columns = [c for c in present if c in self.columns]
        written: tuple[str, ...] = tuple(columns)
        try:
            for start in range(0, self.n, _DISTRIBUTED_ROWS):
                positions = np.arange(start, min(self.n, start + _DISTRIBUTED_ROWS))
                table = _rows_read(source.path, columns, source.rows_at(positions), source.batch_rows)
                if self.articles is not None:
                    looked_up = [c for c in ("article_id", "outlet", "published") if c in table.column_names]
                    filled = self._filled(_frame(table.select(looked_up), source.empty), positions)
                    for name in _FROM_ARTICLES:
                        if name in filled:
                            column = pa.array(filled[name].to_numpy(dtype=object), type=pa.large_string())
                            at = table.schema.get_field_index(name)
                            table = table.set_column(at, name, column) if at >= 0 else table.append_column(name,
                                                                                                           column)
                    del filled
                for name, values in (stored or {}).items():
                    table = table.append_column(name, pa.array(values[positions]))
                written = tuple(table.schema.names)  # what was filled (no headline without articles or titles)
                for k, taken in zip(*_positions_by(file_of[positions])):
                    slot[positions[taken]] = np.arange(counts[k], counts[k] + len(taken))
                    counts[k] += len(taken)
                    if writers[k] is None:
                        sink = pa.OSFile(str(paths[k]), "wb")
                        writers[k] = (sink, ipc.new_file(sink, table.schema))
                    for batch in table.take(pa.array(taken)).to_batches():
                        writers[k][1].write_batch(batch)
                        batch_rows[k].append(batch.num_rows)
                del table
                release_memory()
        finally:
            for made in writers:
                if made is not None:
                    made[1].close()
                    made[0].close()
        empty = source.empty - _FROM_ARTICLES if self.articles is not None else source.empty
        return [SpillPart(str(path), range(count), written, empty, tuple(rows))
                for path, count, rows in zip(paths, counts, batch_rows)], slot

    def close(self) -> None:
        """The task's files removed."""
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)


# What a figure takes from its article (filled in the segments' files)
_FROM_ARTICLES = frozenset({"outlet", "published", "title"})
# Figures read from the spill file at a time when they are written to their files (all their columns: ~1.5 KB a
# figure at once, filled; 16,384 were a third of the filling's peak on a big key's task)
_DISTRIBUTED_ROWS = 4_096


# What the first pass keeps of each figure: its key's, its sweep's and its incident's reading (the
# sweep reads them from there, not the figures again: it reads only the texts of a key that weighs words,
# and the figure ids of a segment). A figure id is kept as its rank among the task's (what the sweep's
# order reads of it): an integer, not a string of ~25 bytes per figure.
_KEPT = ("event_day", "pub_day", "id_rank", "category", "scope", "loose", "place", "level", "admin1",
         "ref_place")
# What the sweep reads of each figure (besides its id and texts)
_SWEPT = tuple(name for name in _KEPT if name != "id_rank")
# The names they are stored under in the segments' files
_STORED = "_swept_"
# Of those, the texts that few distinct values take (kept as a small integer per figure)
_CODED = ("category", "scope", "place", "level", "admin1", "ref_place")


class _Coded:
    """A text column kept as a small integer per figure and its distinct values; indexed like the
    array of its values (a row: the value; rows: an object array). A key's figures each hold a
    string of their own otherwise (a place, a province: ~60 bytes each, the same few values)."""

    def __init__(self, n: int) -> None:
        """``n``: the figures."""
        self._code_of: dict[Any, int] = {}
        self.codes = np.zeros(n, dtype=np.int8)  # widened when more values come (most columns: a few)
        self.values = np.zeros(0, dtype=object)

    def add(self, values: list[Any], positions: np.ndarray) -> None:
        """A part's values, of the figures at ``positions``."""
        code_of = self._code_of
        codes = np.fromiter((code_of.setdefault(v, len(code_of)) for v in values), dtype=np.int64, count=len(values))
        wanted = number_dtype(len(code_of))
        if np.dtype(wanted).itemsize > self.codes.dtype.itemsize:
            self.codes = self.codes.astype(wanted)
        self.codes[positions] = codes

    def done(self) -> _Coded:
        """Every part added: the distinct values gathered."""
        self.values = np.empty(len(self._code_of), dtype=object)
        for code, value in enumerate(self._code_of):  # one by one: a value may itself be a sequence
            self.values[code] = value
        self._code_of = {}
        return self

    def __getitem__(self, at: Any) -> Any:
        return self.values[self.codes[at]]


class _Strings:
    """A text column of (mostly) distinct values kept as Arrow strings (a figure id: ~30 bytes, not
    a Python string's ~80); indexed like the array of its values."""

    def __init__(self, parts: list[Any], order: np.ndarray | None) -> None:
        """``parts``: Arrow string arrays (:meth:`part`), joined and taken in ``order`` (``None``: as joined)."""
        import pyarrow as pa

        # (in order: the parts as they are, not joined in a copy; ~30 bytes a figure of a big key)
        self.values = pa.chunked_array(parts, type=pa.large_string()) if order is None else \
            pa.concat_arrays(parts).take(pa.array(order))

    @staticmethod
    def part(values: list[str]) -> Any:
        """A part's values as Arrow strings (made as each part is prepared: its Python strings let go)."""
        import pyarrow as pa

        return pa.array(values, type=pa.large_string())

    def __getitem__(self, at: Any) -> Any:
        if isinstance(at, (int, np.integer)):
            return self.values[int(at)].as_py()
        return self.values.take(np.asarray(at)).to_numpy(zero_copy_only=False)


class _FigureIds:
    """The figure ids a first pass reads (parts added in the order it reads them), kept for what it makes of
    them: each figure's dense rank, and the rows of the ids that parts name as their totals.

    Ids of :func:`~auditor.model.figure_id`'s form ('f' and 12 hex digits: every id a run makes) are kept
    as 64-bit numbers, ordered as the ids are (one length, digits below letters): 8 bytes a figure, not
    ~40 as Arrow strings, which held through the keys' cut were a big key's first-pass peak. When any id
    has another form, all the task's ids are kept as Arrow strings (:class:`_Strings`)."""

    def __init__(self) -> None:
        self._parts: list[Any] = []
        self.numeric = True

    def add(self, values: list[str]) -> None:
        """A part's ids."""
        if self.numeric:
            numbers = _id_numbers(values)
            if numbers is not None:
                self._parts.append(numbers)
                return
            self.numeric = False
            self._parts = [_Strings.part([_id_text(n) for n in part.tolist()]) for part in self._parts]
        self._parts.append(_Strings.part(values))

    def ranked(self, order: np.ndarray | None, named: set[str]) -> tuple[np.ndarray, dict[str, int]]:
        """Each figure's dense rank among the task's (equal ids rank equal; in the smallest integer type)
        and the row of each id in ``named`` (the last of equal ids), the figures in row order (``order``:
        where each row's id was read; ``None``: as read). The ids are let go."""
        parts, self._parts = self._parts, []
        if not self.numeric:
            return _ranks_and_rows(_Strings(parts, order), named)
        numbers = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        del parts
        if order is not None:
            numbers = numbers[order]
        # (a name of another form is no figure's here)
        wanted = np.array([int(name[1:], 16) for name in named if _HEX_ID.fullmatch(name)], dtype=np.int64)
        rows = np.flatnonzero(np.isin(numbers, wanted)) if len(wanted) else np.zeros(0, dtype=np.int64)
        whole_rows = {_id_text(n): r for n, r in zip(numbers[rows].tolist(), rows.tolist())}
        return _dense_ranks(numbers), whole_rows


def _dense_ranks(numbers: np.ndarray) -> np.ndarray:
    """Each number's dense rank (equal numbers rank equal), in the smallest integer type for as many.

    Made a slice of the sorted order at a time: the order (8 bytes a figure) and the ranks are all
    that is held (np.unique's inverse held ~5 arrays of 8 bytes a figure at once)."""
    n = len(numbers)
    order = np.argsort(numbers)  # (ties in any order: they rank equal)
    rank = np.empty(n, dtype=number_dtype(n))
    last, top = None, -1
    for start in range(0, n, _SLICE_ROWS):
        at = order[start:start + _SLICE_ROWS]
        values = numbers[at]
        new = np.empty(len(values), dtype=np.int64)
        new[0] = last is None or values[0] != last
        np.not_equal(values[1:], values[:-1], out=new[1:])
        np.cumsum(new, out=new)
        new += top
        rank[at] = new
        last, top = values[-1], int(new[-1])
    return rank


# Figures ranked (_dense_ranks) or keyed (_TaskKeys.codes) at a time
_SLICE_ROWS = 1 << 16
# model.figure_id's form
_HEX_ID = re.compile(r"f[0-9a-f]{12}")


def _id_numbers(values: list[str]) -> np.ndarray | None:
    """Ids of :func:`~auditor.model.figure_id`'s form as the numbers of their hex digits (``None``: another id)."""
    match = _HEX_ID.fullmatch
    if not all(type(v) is str and match(v) for v in values):
        return None
    return np.fromiter((int(v[1:], 16) for v in values), dtype=np.int64, count=len(values))


def _id_text(number: int) -> str:
    return f"f{number:012x}"


class _TaskKeys:
    """Each figure's blocking key in a streamed task, gathered part by part (:meth:`add`) as
    :class:`~auditor._key_cut.KeyCut` gathers a corpus's: of each prefix (category, scope, country) its
    distinct days, since a run of dates is cut on those; of the figures keyed by themselves, their texts.
    A figure holds a 4-byte number as the parts come. The key parts of every figure in row order, and
    the cut of their runs (:func:`~auditor.incidents.keys_of_parts`), were ~60 bytes a figure at the
    first pass's peak.

    The keys group the figures as :func:`~auditor.incidents.keys_of_parts` does, numbered otherwise (the
    linking only groups by them)."""

    def __init__(self, n: int, config: Any) -> None:
        self._unit = np.full(n, -1, dtype=np.int32)  # a figure's prefix (keyed by itself: -1)
        self._prefixes = Prefixes()
        self._alone_rows: list[np.ndarray] = []
        self._alone_texts: list[Any] = []  # (Arrow strings)
        self._tolerance = float(config.link.get("event_date_tolerance_days", 1.0))

    def add(self, parts: pd.DataFrame, positions: np.ndarray) -> None:
        """The :func:`~auditor.incidents.key_parts` of the figures at ``positions`` (in that order)."""
        import pyarrow as pa

        alone = parts["alone"]
        by_itself = alone.ne("").to_numpy(dtype=bool, na_value=False)
        in_run = np.flatnonzero(~by_itself)
        positions = np.asarray(positions)
        codes = self._prefixes.gather(parts, positions, in_run)
        self._unit[positions[in_run]] = codes[in_run]
        keyed = np.flatnonzero(by_itself)
        if len(keyed):
            self._alone_rows.append(positions[keyed])
            self._alone_texts.append(pa.array(alone.iloc[keyed].to_numpy(dtype=object), type=pa.large_string()))

    def codes(self, event_day: np.ndarray, pub_day: np.ndarray) -> np.ndarray:
        """Each figure's key (a number), every part added: a run of its prefix's by its anchor day (its
        ``event_day``, else its ``pub_day``), or its text's. Looked up a slice of figures at a time."""
        import pyarrow as pa
        import pyarrow.compute as pc

        from .claims import _positions_by

        base, names, _ = self._prefixes.make_runs(self._tolerance)
        first = len(names)  # (the figures keyed by themselves: numbered after the runs)
        del names
        keys, self._unit = self._unit, np.zeros(0, dtype=np.int32)  # (made the keys in place)
        for start in range(0, len(keys), _SLICE_ROWS):
            units = keys[start:start + _SLICE_ROWS]
            found = units.copy()
            for code, at in zip(*_positions_by(units)):
                if code < 0:
                    continue
                event = event_day[start + at]
                found[at] = base[code] + self._prefixes[code].runs(
                    np.where(np.isnan(event), pub_day[start + at], event))
            keys[start:start + _SLICE_ROWS] = found
        if self._alone_rows:
            texts = pa.concat_arrays(self._alone_texts)
            self._alone_texts = []
            numbers = pc.dictionary_encode(texts).indices.to_numpy(zero_copy_only=False)
            del texts
            keys[np.concatenate(self._alone_rows)] = first + numbers
            self._alone_rows = []
        return keys


@dataclasses.dataclass
class _FirstPass:
    """What the first pass keeps of each figure (arrays in the task's row order: ``columns``, named as in
    :data:`_KEPT`; a figure's anchor day is its event day, else its publication day) and of the task."""

    keys: np.ndarray  # each figure's blocking key (a code)
    columns: dict[str, np.ndarray | _Coded]
    superseded: set[str]
    whole_rows: dict[str, int]  # the row of each figure id some figure names as its total (the last of equal ids)
    part_of: dict[int, str]  # the rows naming a total, and its id
    filled: dict[str, tuple[_Coded, Any]]  # outlet and date as filled from the articles (and their dtype)
    stored: bool = False  # what the sweep reads is in the segments' files (:meth:`store`), not here

    def ordered(self) -> None:
        """Every key's sweep order made: what only the order read let go (each figure's key and id rank)."""
        self.columns.pop("id_rank", None)
        self.keys = np.zeros(0, dtype=np.int32)

    def swept_columns(self) -> dict[str, np.ndarray]:
        """What the sweep (and pass 3) read of each figure, as arrays to store with the figures' rows: a
        coded text as its codes, named apart from the figures' own columns."""
        return {_STORED + name: column.codes if isinstance(column, _Coded)
                else column.view(np.uint8) if column.dtype == bool else column
                for name, column in self.columns.items() if name in _SWEPT}

    def store(self) -> None:
        """The :meth:`swept_columns` written with the rows into the segments' files: read from there
        from now on, not held (~15 bytes a figure of a big key, through its sweep and pass 3; a coded
        text keeps its distinct values)."""
        self.columns = {name: column for name, column in self.columns.items() if isinstance(column, _Coded)}
        for column in self.columns.values():
            column.codes = np.zeros(0, dtype=np.int8)
        self.stored = True

    def read_columns(self, names: tuple[str, ...] = _SWEPT) -> frozenset[str]:
        """The stored columns of ``names`` to read with the figures' rows (none when they are held here)."""
        return frozenset(_STORED + name for name in names) if self.stored else frozenset()

    def linked(self) -> None:
        """The incidents linked: what only the linking read let go (each figure's category, places,
        publication day): pass 3 reads the event days, the superseded figures and the totals, the tables
        the outlets and dates filled."""
        self.columns = {} if self.stored else {"event_day": self.columns["event_day"]}

    def event_days(self, frame: pd.DataFrame, at: np.ndarray) -> np.ndarray:
        """The event days of the figures at rows ``at`` (their ``frame``, read with :meth:`read_columns`
        of the event day: that column taken out of it)."""
        if self.stored:
            return frame.pop(_STORED + "event_day").to_numpy().astype("float64")
        return self.columns["event_day"][at].astype("float64")

    def filled_frame(self, objects: bool) -> pd.DataFrame:
        """Each figure's outlet and date (filled from its article), in the task's row order: typed as read, or
        when ``objects`` as Arrow dictionaries (each figure's code and each distinct text once: a task's run is
        made Arrow a slice at a time). A pointer per figure to one Python string per value (~17 MB for a key of
        a million figures) was most of what the tables stage added, the peak of a big key's task."""
        if objects:
            import pyarrow as pa

            return pd.DataFrame({name: pd.Series(pd.arrays.ArrowExtensionArray(pa.DictionaryArray.from_arrays(
                pa.array(coded.codes), pa.array(list(coded.values), type=pa.large_string(), from_pandas=True))),
                copy=False) for name, (coded, _dtype) in self.filled.items()}, copy=False)
        return pd.DataFrame({name: pd.array(coded[:], dtype=dtype) for name, (coded, dtype) in self.filled.items()})

    def prepared(self, at: np.ndarray, frame: pd.DataFrame, sentence: list[str] | None = None,
                 title: list[str] | None = None) -> PreparedFigures:
        """What a :class:`~auditor.incidents.Sweep` reads of the figures at rows ``at`` (their ``frame``:
        their ids and :meth:`read_columns`; their texts, when given), as :func:`~auditor._claim_rules.prepare`
        gives it (no other column)."""
        if self.stored:
            kept = {}
            for name in _SWEPT:
                stored = frame[_STORED + name].to_numpy()
                coded = self.columns.get(name)
                kept[name] = (coded.values[stored] if isinstance(coded, _Coded)  # (stored: its codes)
                              else stored.astype(bool) if name == "loose" else stored).tolist()
        else:
            kept = {name: self.columns[name][at].tolist() for name in _SWEPT}
        n = len(at)
        col = {"figure_id": _text_list(frame, "figure_id"), "category": kept["category"],
               "sentence": sentence if sentence is not None else [""] * n,
               "title": title if title is not None else [""] * n}
        return PreparedFigures(n=n, col=col, lo=[], hi=[], stated_lo=[], stated_hi=[], pub_day=kept["pub_day"],
                               event_day=kept["event_day"], place=kept["place"], level=kept["level"],
                               admin1=kept["admin1"], country=[], ref_place=kept["ref_place"], subject=[],
                               counted=[], loose=kept["loose"], superseded=set(), scope=kept["scope"])


def _first_pass(rows: _Rows, config: Any, size: int) -> _FirstPass:
    """Pass 1: parts of about ``size`` figures of whole articles, each prepared alone."""
    from .claims import _article_chunks

    chunks = _article_chunks(pd.DataFrame({"article_id": rows.article_groups()}, copy=False), size)
    # Each part's values written into place (no joined copy then reordered: ~90 bytes a figure at once)
    n = rows.n
    figure_ids = _FigureIds()
    # (days since 1970 are whole numbers, exact in 32 bits)
    columns: dict[str, np.ndarray] = {name: np.empty(n, dtype=bool if name == "loose" else "float32")
                                      for name in _KEPT if name not in _CODED and name != "id_rank"}
    coded = {name: _Coded(n) for name in _CODED}
    # (a few outlets and days: a small integer per figure, not a string)
    filled: dict[str, tuple[_Coded, Any]] = {}
    superseded: set[str] = set()
    part_of: dict[int, str] = {}

    keys = _TaskKeys(n, config)
    for positions in chunks:
        frame = rows.read(positions, _FIRST_COLUMNS)
        for name in ("outlet", "published"):
            filled.setdefault(name, (_Coded(n), frame[name].dtype))[0].add(frame[name].tolist(), positions)
        prep = prepare(frame, config, consume=True)
        del frame
        keys.add(key_parts(prep, config), positions)
        kept = {"event_day": prep.event_day, "pub_day": prep.pub_day,
                "figure_id": prep.col["figure_id"], "category": prep.col["category"], "scope": prep.scope,
                "loose": prep.loose, "place": prep.place, "level": prep.level, "admin1": prep.admin1,
                "ref_place": prep.ref_place}
        for name, values in kept.items():
            if name in coded:
                coded[name].add(values, positions)
            elif name == "figure_id":
                figure_ids.add(values)
            else:
                columns[name][positions] = values
        superseded.update(prep.superseded)
        part_of.update((int(positions[i]), name) for i, name in enumerate(prep.col["part_of"]) if name)
        del prep, kept
        release_memory()
    key_codes = keys.codes(columns["event_day"], columns["pub_day"])
    del keys
    read = np.concatenate(chunks)  # the rows in the order the parts read them: most often ascending
    order = None if np.array_equal(read, np.arange(n)) else np.argsort(read, kind="stable")
    del read
    id_rank, whole_rows = figure_ids.ranked(order, set(part_of.values()))
    del figure_ids
    arrays: dict[str, Any] = dict(columns, id_rank=id_rank)
    arrays.update((name, column.done()) for name, column in coded.items())
    del columns, coded
    return _FirstPass(keys=key_codes, columns=arrays, superseded=superseded, whole_rows=whole_rows,
                      part_of=part_of, filled={name: (column.done(), dtype) for name, (column, dtype) in filled.items()})


def _ranks_and_rows(figure_id: _Strings, named: set[str]) -> tuple[np.ndarray, dict[str, int]]:
    """:meth:`_FigureIds.ranked` of ids kept as strings."""
    import pyarrow as pa
    import pyarrow.compute as pc

    whole_rows: dict[str, int] = {}
    if named:
        rows = np.flatnonzero(pc.is_in(figure_id.values, value_set=pa.array(sorted(named)))
                              .to_numpy(zero_copy_only=False))
        whole_rows = dict(zip(figure_id[rows].tolist(), rows.tolist()))
    rank = pc.rank(figure_id.values, sort_keys="ascending", tiebreaker="dense").to_numpy()
    return rank.astype(number_dtype(int(rank.max()) + 1 if len(rank) else 0)), whole_rows


def _segments(pieces: list[tuple[int, np.ndarray]], size: int) -> list[list[tuple[int, np.ndarray]]]:
    """``(block, rows)`` pieces (each at most ``size`` rows) packed in order into segments of at most
    ``size`` rows."""
    segments: list[list[tuple[int, np.ndarray]]] = []
    rows = size
    for piece in pieces:
        if rows + len(piece[1]) > size:
            segments.append([])
            rows = 0
        segments[-1].append(piece)
        rows += len(piece[1])
    return segments


def _local(segment: list[tuple[int, np.ndarray]]) -> tuple[np.ndarray, dict[int, int]]:
    """The rows of a segment's pieces (ascending) and each one's position among them."""
    rows = np.unique(np.concatenate([piece for _, piece in segment]).astype(np.int64))
    return rows, {r: k for k, r in enumerate(rows.tolist())}


class _IncidentFile:
    """A streamed task's incidents written to a file as they come (in the order the task gives them), read
    back ``_INCIDENT_BATCH`` at a time with their ids. A big key's incidents (~0.7 KB each as objects: a
    tenth of its figures or more) were the biggest part of its task's memory, held from its sweep to the
    end; closed, only the plain id and the smallest figure id of each stay (what naming reads)."""

    def __init__(self, folder: Path) -> None:
        # (no name: nothing is left behind, whatever ends the task)
        self._handle = tempfile.TemporaryFile("w+b", dir=folder, prefix="incidents-")
        self._waiting: list[Incident] = []
        self._starts: list[int] = []  # each batch's place in the file
        self._plain: list[np.ndarray] = []  # each batch's plain ids (as numbers, _plain_number)
        self._min_ids: list[Any] = []  # and smallest figure ids (Arrow strings)
        self._loose: list[np.ndarray] = []
        self._tied: np.ndarray | None = None  # each incident's: takes incident_id (once named)
        self._plain_ids: np.ndarray | None = None  # every incident's plain id (once named)
        self.n = 0

    def add(self, incident: Incident) -> None:
        """The next incident (its words let go)."""
        self._waiting.append(incident)
        self.n += 1
        if len(self._waiting) >= _INCIDENT_BATCH:
            self._write()

    def extend(self, incidents: list[Incident]) -> None:
        for incident in incidents:
            self.add(incident)

    def _write(self) -> None:
        import pickle

        batch, self._waiting = self._waiting, []
        self._starts.append(self._handle.tell())
        pickle.dump(batch, self._handle, protocol=pickle.HIGHEST_PROTOCOL)
        self._plain.append(np.fromiter(map(_plain_number, batch), dtype=np.int64, count=len(batch)))
        self._min_ids.append(_Strings.part([inc.min_id for inc in batch]))
        self._loose.append(np.fromiter((inc.first[2] for inc in batch), dtype=bool, count=len(batch)))

    def name(self) -> None:
        """Every incident added: their ids decided (:func:`~auditor.incidents.name_incidents`)."""
        import pyarrow as pa

        if self._waiting:
            self._write()
        self._starts.append(self._handle.tell())
        plain = np.concatenate(self._plain) if self._plain else np.zeros(0, dtype=np.int64)
        loose = np.concatenate(self._loose) if self._loose else np.zeros(0, dtype=bool)
        min_ids = pa.concat_arrays(self._min_ids) if self._min_ids else pa.array([], type=pa.large_string())
        self._plain, self._min_ids, self._loose = [], [], []
        self._tied, self._plain_ids = tied_ids(plain, min_ids, loose), plain

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[Incident]:
        """The incidents in order, named (read a batch at a time)."""
        import pickle

        assert self._tied is not None and self._plain_ids is not None, "named first"
        tied, plain, at = self._tied.tolist(), self._plain_ids, 0
        for start in self._starts[:-1]:
            self._handle.seek(start)
            batch = pickle.load(self._handle)
            for inc in batch:
                inc.id = incident_id(inc) if tied[at] else f"{_PLAIN_PREFIX}{plain[at]:012x}"
                at += 1
            yield from batch
            del batch

    def close(self) -> None:
        self._handle.close()


# Incidents written (and read back) at a time
_INCIDENT_BATCH = 4_096
# What every plain incident id is (stable_id's form): "i" and 12 hex digits
_PLAIN_PREFIX, _PLAIN_DIGITS = "i", 12


def _plain_number(incident: Incident) -> int:
    """An incident's :func:`~auditor.incidents.plain_id` as the number of its hex digits: 8 bytes through
    the sweep, not 13, and naming sorts numbers (the naming of a big key's incidents is the peak of its
    linking: 5 MB lower at 224,000 incidents)."""
    plain = plain_id(incident)
    assert len(plain) == 1 + _PLAIN_DIGITS and plain[0] == _PLAIN_PREFIX, plain
    return int(plain[1:], 16)


def _linked(rows: _Rows, first: _FirstPass, config: Any, size: int, incidents: _IncidentFile) -> None:
    """Pass 2: the incidents of every key of the task, in the order :func:`~auditor.incidents.link_incidents`
    gives them (keys by their first row, each key's incidents in the order they opened), named: written
    to ``incidents`` as each closes (keys are swept one after the other, each in sweep order)."""
    from .claims import _positions_by

    kept = first.columns
    # Keys in order of their first row; their rows as 4-byte numbers (a big key's: all the task's)
    blocks = sorted(_positions_by(first.keys)[1], key=lambda p: int(p[0]))
    blocks = [block.astype(row_dtype(rows.n)) for block in blocks]
    sweeps: list[Sweep | None] = []
    pieces: list[tuple[int, np.ndarray]] = []  # a key's sweep order cut in pieces (int32: held all along)
    for b, block in enumerate(blocks):
        head = int(block[0])
        event = kept["event_day"][block]
        days = np.where(np.isnan(event), kept["pub_day"][block], event)  # anchor days (incidents.anchor_days)
        sweep = Sweep(config, kept["category"][head], kept["scope"][head], bool(kept["loose"][head]),
                      undated=bool(np.isnan(days).any()), let_go=incidents.add)
        sweeps.append(sweep)
        del event
        order = sweep.order(block, days, kept["id_rank"][block])
        del days
        pieces.extend((b, order[start:start + size]) for start in range(0, len(order), size))
    del blocks, kept
    first.ordered()
    segments = _segments(pieces, size)
    del pieces
    if rows.distribute((_local(segment)[0] for segment in segments), first.swept_columns()):
        first.store()
    # The texts of the keys that weigh words counted first, then read again as they are swept: a
    # segment's sentences (not prepared) at a time
    counted = {b: k for k, segment in enumerate(segments) for b, _ in segment if sweeps[b].texts is not None}
    for k, segment in enumerate(segments):
        wanted = [(b, piece) for b, piece in segment if sweeps[b].texts is not None]
        if wanted:
            at, local = _local(wanted)
            frame = rows.read(at, _TEXT_COLUMNS)
            sentence, title = _text_list(frame, "sentence"), _text_list(frame, "title")
            del frame
            for b, piece in wanted:
                sweeps[b].texts.count(sentence, title, [local[r] for r in piece.tolist()])
                if counted[b] == k:
                    sweeps[b].texts.weigh()
            del sentence, title, local
            release_memory()
    last = {b: k for k, segment in enumerate(segments) for b, _ in segment}
    for k, segment in enumerate(segments):
        at, local = _local(segment)
        words = [(b, piece) for b, piece in segment if sweeps[b].texts is not None]
        if words:
            frame = rows.read(at, _TEXT_COLUMNS)
            sentence, title = _text_list(frame, "sentence"), _text_list(frame, "title")
            del frame
        else:
            sentence = title = None
        prep = first.prepared(at, rows.read(at, _ID_COLUMNS | first.read_columns()), sentence, title)
        del sentence, title
        row_of = at.tolist()
        for b, piece in segment:
            sweep = sweeps[b]
            order = [local[r] for r in piece.tolist()]
            if sweep.texts is not None:
                sweep.texts.read(prep.col["sentence"], prep.col["title"], order)
            sweep.feed(prep, order, row_of)
            if sweep.texts is not None:
                sweep.texts.forget()
            if last[b] == k:
                incidents.extend(sweep.finish())
                sweeps[b] = None
        del prep
        release_memory()
    incidents.name()


def _chunk_prepared(rows: _Rows, first: _FirstPass, config: Any, chunk: list[Incident]
                    ) -> tuple[PreparedFigures, list[Incident], np.ndarray]:
    """Pass 3's part: the rows of ``chunk``'s incidents and the totals they name, prepared (with the
    task's event days, superseded figures and totals); the incidents on those rows, labelled; the
    task's row of each."""
    wanted = [r for inc in chunk for r in inc.rows]
    totals = [first.whole_rows[first.part_of[r]] for r in wanted if r in first.part_of
              and first.part_of[r] in first.whole_rows]
    at = np.unique(np.array(wanted + totals, dtype=np.int64))
    local = {r: k for k, r in enumerate(at.tolist())}
    frame = rows.read(at, rows.columns | first.read_columns(("event_day",)))
    event_days = first.event_days(frame, at)
    prep = prepare(frame, config, consume=True, event_days=event_days)
    del frame
    prep.superseded = first.superseded
    prep.whole_rows = {figure_id: local[r] for figure_id, r in first.whole_rows.items() if r in local}
    incidents = [dataclasses.replace(inc, rows=[local[r] for r in inc.rows], profiles=NO_PROFILES) for inc in chunk]
    label_incidents(prep, incidents)
    return prep, incidents, at


def streamed_stages(source: pd.DataFrame | SpillPart, articles: pd.DataFrame, config: Any, size: int,
                    parts: Path | None = None, scratch: Path | None = None, article_of: np.ndarray | None = None
                    ) -> Iterator[tuple[str, Any]]:
    """:func:`~auditor.claims._stages` (``narrow``) of a task's figures (a DataFrame or rows of the spill
    file) read and prepared about ``size`` at a time: ``(name, what it built)`` after each pass, the
    last ``"tables"`` as :func:`~auditor.claims._stages` gives it. ``scratch``: a folder where the rows
    of the spill file are copied in sweep order (see :class:`_Rows`; removed at the end; none: the
    system's temporary folder; ``article_of``: each figure's row in ``articles``, when the sender knows it)."""
    from .claims import _CLAIM_COLUMNS

    scratch = scratch or Path(tempfile.gettempdir())
    rows = _Rows(source, articles, _CLAIM_COLUMNS, scratch, article_of)
    del source, articles
    try:
        yield from _passes(rows, config, size, parts, scratch)
    finally:
        rows.close()


def _passes(rows: _Rows, config: Any, size: int, parts: Path | None, scratch: Path) -> Iterator[tuple[str, Any]]:
    from .claims import _CHUNK_FIGURES, _ChunkTables, _incident_chunks

    collecting = gc.isenabled()
    gc.disable()  # as _stages: millions of small containers, none in cycles
    try:
        first = _first_pass(rows, config, size)
        release_memory()
        yield "first pass", first
        incidents = _IncidentFile(scratch)
        try:
            _linked(rows, first, config, size, incidents)
            first.linked()
            release_memory()
            yield "incidents", incidents
            tables = _ChunkTables(rows.n, parts)
            for chunk in _incident_chunks(incidents, _CHUNK_FIGURES):
                prep, local, at = _chunk_prepared(rows, first, config, chunk)
                tables.add(prep, local, config, at)
                del prep, local, at
                release_memory()
        finally:
            incidents.close()
        del incidents, chunk
        release_memory()
        yield "groups, conflicts, summaries", tables.parts()
    finally:
        if collecting:
            gc.enable()
    filled = first.filled_frame(objects=tables.written)
    del first
    yield "tables", tables.tables(filled)

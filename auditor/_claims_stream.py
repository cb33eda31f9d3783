"""A claims task streamed: its figures worked through a part at a time, never prepared all at once.

A task above ``claims._STREAM_SEGMENT_ROWS`` figures (a big blocking key: a war's daily toll over a
year and a half is one key of ~54,000 figures in a 51 MB corpus) would hold them all prepared (~1.8 KB
a figure). Streamed, it holds at once one part of about that many figures, the open incidents and a
few numbers per figure; the tables are those of the whole task (:func:`auditor.claims._stages`):

1. a first pass over parts of whole articles (a figure takes a dated sibling's event day from its
   article): each figure's blocking key, anchor and event days, figure id, outlet and date; the
   figures superseded, the totals that parts name;
2. each key's reports in sweep order (:class:`~auditor.incidents.Sweep`), in segments of that many
   reports (the small keys of a task several to a segment): a key whose words tell incidents apart has
   its texts counted first (document frequencies: a segment's sentences at a time), then is swept,
   each segment prepared alone (with the first pass's event days);
3. the incidents named (ids across the task), then built a chunk of whole incidents at a time as
   :func:`~auditor.claims._stages` builds them: each chunk's rows (and the totals they name) read
   and prepared alone.
"""

from __future__ import annotations

import dataclasses
import gc
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._claim_rules import PreparedFigures, _text_list, prepare
from ._spill import SCHEMA, SpillPart, release_memory
from .incidents import Incident, Sweep, anchor_days, key_parts, keys_of_parts, label_incidents, name_incidents

# What the first pass reads of each figure: what keys, days and the linking's order read, the ids a
# figure supersedes or names as its total, and the columns the task fills
_FIRST_COLUMNS = frozenset({"figure_id", "article_id", "category", "value", "low", "high", "qualifier", "location",
                            "place_id", "admin1", "country", "reference_place", "counted", "scope", "event_date",
                            "published", "outlet", "supersedes", "part_of"})
# What counting a key's texts reads (the headline comes from the article)
_TEXT_COLUMNS = frozenset({"sentence", "article_id", "title"})


class _Rows:
    """A claims task's figures read a part at a time (ascending positions among them), each part's
    filled from its articles (outlet, date, headline) as :func:`~auditor.claims._stages` fills them:
    rows of a DataFrame, or of the spill file (a :class:`~auditor._spill.SpillPart`).

    A segment's rows are scattered through the spill file (a key's reports come from articles all over
    the corpus): each read would decode most of its record batches. So they are read from there once
    more after the first pass, a segment at a time in sweep order (:meth:`spooled`), and copied into a
    file of the task's own in ``scratch`` (the spool): later reads of a segment, or of a chunk of
    incidents (which opened in date order), decode a few of its record batches."""

    def __init__(self, source: pd.DataFrame | SpillPart, articles: pd.DataFrame, columns: frozenset[str],
                 scratch: Path | None) -> None:
        self.source, self.columns = source, columns
        self.n = len(source.rows) if isinstance(source, SpillPart) else len(source)
        self.articles = articles
        self._articles_index: Any = None  # the articles' ids indexed (claims._article_index), once
        self.spool: SpillPart | None = None  # the spool once written
        self._at: np.ndarray | None = None  # each figure's row in the spool (-1: not yet in it)
        self._writer: Any = None
        self._batch_rows: list[int] = []
        self._scratch = scratch if isinstance(source, SpillPart) else None
        self.spooling = self._scratch is not None

    def read(self, positions: np.ndarray, columns: frozenset[str] | None = None, fill: bool = True) -> pd.DataFrame:
        """The figures at ``positions`` (ascending), ``columns`` of them (all the task reads when
        ``None``), filled from their articles (unless not ``fill``)."""
        wanted = self.columns if columns is None else columns & self.columns
        if self.spool is not None:  # from the spool (filled), its rows in the order asked
            names = tuple(c for c in self._spooled if c in wanted)
            at = self._at[positions]
            order = np.argsort(at, kind="stable")
            frame = dataclasses.replace(self.spool, rows=at[order], columns=names).load()
            if not np.array_equal(order, np.arange(len(order))):
                back = np.empty(len(order), dtype=np.int64)
                back[order] = np.arange(len(order))
                frame = frame.take(back).reset_index(drop=True)
            return frame
        if isinstance(self.source, SpillPart):
            present = self.source.columns or SCHEMA.names
            names = tuple(c for c in present if c in wanted)
            frame = dataclasses.replace(self.source, rows=self.source.rows[positions], columns=names).load()
        else:
            frame = self.source[[c for c in self.source.columns if c in wanted]]
            frame = frame.iloc[positions].reset_index(drop=True)
        return self._filled(frame, positions) if fill else frame

    def _filled(self, frame: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
        """``frame`` filled from its figures' articles (found by the articles' ids, indexed once)."""
        from .claims import _article_ids, _article_index, _article_rows, _filled_at

        if self.articles is None or self.articles.empty or frame.empty:
            return frame
        if self._articles_index is None:
            ids = _article_ids(self.articles)
            self._articles_index = None if ids is None else _article_index(ids)
        return _filled_at(frame, self.articles, _article_rows(frame["article_id"], self._articles_index))

    def spooled(self, positions: np.ndarray, columns: frozenset[str]) -> pd.DataFrame:
        """:meth:`read` of ``columns`` at ``positions`` (a segment, each figure in one), the segment's
        rows (every column the task reads, filled from their articles) copied into the spool first (a
        spill file's; see above)."""
        if self._scratch is None:
            return self.read(positions, columns)
        import pyarrow as pa
        import pyarrow.ipc as ipc

        from ._spill import _frame, _rows_read

        present = self.source.columns or SCHEMA.names
        table = _rows_read(self.source.path, [c for c in present if c in self.columns], self.source.rows[positions],
                           self.source.batch_rows)
        looked_up = [c for c in ("article_id", "outlet", "published") if c in table.column_names]
        filled = self._filled(_frame(table.select(looked_up), self.source.empty), positions)
        for name in _FROM_ARTICLES:
            if name in filled:
                column = pa.array(filled[name].to_numpy(dtype=object), type=pa.large_string())
                at = table.schema.get_field_index(name)
                table = table.set_column(at, name, column) if at >= 0 else table.append_column(name, column)
        del filled
        if self._writer is None:
            self._path = Path(tempfile.mkstemp(prefix="spool-", suffix=".arrow", dir=self._scratch)[1])
            self._sink = pa.OSFile(str(self._path), "wb")
            self._writer = ipc.new_file(self._sink, table.schema)
            self._spooled = tuple(table.column_names)
            self._at = np.full(self.n, -1, dtype=np.int64)
        self._at[positions] = sum(self._batch_rows) + np.arange(len(positions))
        for batch in table.to_batches(max_chunksize=_SPOOL_BATCH_ROWS):
            self._writer.write_batch(batch)
            self._batch_rows.append(batch.num_rows)
        return _frame(table.select([c for c in table.column_names if c in columns or c == "title"]),
                      self.source.empty - _FROM_ARTICLES)

    def spool_written(self) -> None:
        """Every segment copied (filled): later reads are from the spool; the articles are let go."""
        if self._writer is None:
            return
        self._writer.close()
        self._sink.close()
        self._writer = None
        self.spool = SpillPart(str(self._path), np.zeros(0, dtype=np.int64), None, self.source.empty - _FROM_ARTICLES,
                               tuple(self._batch_rows))
        self.articles = self._articles_index = None

    def close(self) -> None:
        """The spool removed."""
        if self._writer is not None:
            self._writer.close()
            self._sink.close()
        if self._scratch is not None and getattr(self, "_path", None) is not None:
            self._path.unlink(missing_ok=True)


# What a figure takes from its article (filled in the spool)
_FROM_ARTICLES = frozenset({"outlet", "published", "title"})
# Rows of a spool's record batches: a chunk of incidents' rows lie in a few consecutive ones
_SPOOL_BATCH_ROWS = 1_024


# What the first pass keeps of each figure: its key's, its sweep's and its incident's reading (the
# sweep reads them from there, not the figures again: it reads only the texts of a key that weighs words)
_KEPT = ("day", "event_day", "pub_day", "figure_id", "category", "scope", "loose", "place", "level", "admin1",
         "ref_place")


@dataclasses.dataclass
class _FirstPass:
    """What the first pass keeps of each figure (arrays in the task's row order: ``columns``, named as in
    :data:`_KEPT`, ``day`` the anchor day, NaN when undated) and of the task."""

    keys: np.ndarray  # each figure's blocking key (a code)
    columns: dict[str, np.ndarray]
    filled: pd.DataFrame  # outlet and date, as filled from the articles
    superseded: set[str]
    whole_rows: dict[str, int]  # the row of each figure id some figure names as its total (the last of equal ids)
    part_of: dict[int, str]  # the rows naming a total, and its id

    def prepared(self, at: np.ndarray, sentence: list[str] | None = None, title: list[str] | None = None
                 ) -> PreparedFigures:
        """What a :class:`~auditor.incidents.Sweep` reads of the figures at rows ``at`` (and their texts,
        when given), as :func:`~auditor._claim_rules.prepare` gives it (no other column)."""
        kept = {name: self.columns[name][at].tolist() for name in _KEPT}
        n = len(at)
        col = {"figure_id": kept["figure_id"], "category": kept["category"],
               "sentence": sentence if sentence is not None else [""] * n,
               "title": title if title is not None else [""] * n}
        return PreparedFigures(n=n, col=col, lo=[], hi=[], stated_lo=[], stated_hi=[], pub_day=kept["pub_day"],
                               event_day=kept["event_day"], place=kept["place"], level=kept["level"],
                               admin1=kept["admin1"], country=[], ref_place=kept["ref_place"], subject=[],
                               counted=[], loose=kept["loose"], superseded=set(), scope=kept["scope"])


def _first_pass(rows: _Rows, config: Any, size: int) -> _FirstPass:
    """Pass 1: parts of about ``size`` figures of whole articles, each prepared alone."""
    from .claims import _article_chunks, _in_row_order

    chunks = _article_chunks(rows.read(np.arange(rows.n), frozenset({"article_id"}), fill=False), size)
    parts, filled = [], []
    columns: dict[str, list[np.ndarray]] = {name: [] for name in _KEPT}
    superseded: set[str] = set()
    part_of: dict[int, str] = {}
    for positions in chunks:
        frame = rows.read(positions, _FIRST_COLUMNS)
        filled.append(frame[["outlet", "published"]])
        prep = prepare(frame, config, consume=True)
        del frame
        parts.append(key_parts(prep, config))
        kept = {"day": anchor_days(prep), "event_day": prep.event_day, "pub_day": prep.pub_day,
                "figure_id": prep.col["figure_id"], "category": prep.col["category"], "scope": prep.scope,
                "loose": prep.loose, "place": prep.place, "level": prep.level, "admin1": prep.admin1,
                "ref_place": prep.ref_place}
        for name, values in kept.items():
            columns[name].append(np.asarray(values, dtype="float64" if "day" in name else
                                            bool if name == "loose" else object))
        superseded |= prep.superseded
        part_of.update((int(positions[i]), name) for i, name in enumerate(prep.col["part_of"]) if name)
        del prep, kept
        release_memory()
    order = np.argsort(np.concatenate(chunks), kind="stable")
    arrays = {name: np.concatenate(values)[order] for name, values in columns.items()}
    del columns
    keys = keys_of_parts(_in_row_order(parts, chunks), config).codes.astype(np.int64)
    table = pd.concat(filled, ignore_index=True).iloc[order].reset_index(drop=True)
    named = set(part_of.values())
    whole_rows = {}
    if named:
        figure_id = arrays["figure_id"]
        for r in np.flatnonzero(pd.Series(figure_id, dtype=object).isin(named).to_numpy()).tolist():
            whole_rows[figure_id[r]] = r
    return _FirstPass(keys=keys, columns=arrays, filled=table, superseded=superseded, whole_rows=whole_rows,
                      part_of=part_of)


def _segments(pieces: list[tuple[int, list[int]]], size: int) -> list[list[tuple[int, list[int]]]]:
    """``(block, rows)`` pieces (each at most ``size`` rows) packed in order into segments of at most
    ``size`` rows."""
    segments: list[list[tuple[int, list[int]]]] = []
    rows = size
    for piece in pieces:
        if rows + len(piece[1]) > size:
            segments.append([])
            rows = 0
        segments[-1].append(piece)
        rows += len(piece[1])
    return segments


def _local(segment: list[tuple[int, list[int]]]) -> tuple[np.ndarray, dict[int, int]]:
    """The rows of a segment's pieces (ascending) and each one's position among them."""
    rows = np.unique(np.fromiter((r for _, piece in segment for r in piece), dtype=np.int64))
    return rows, {r: k for k, r in enumerate(rows.tolist())}


def _linked(rows: _Rows, first: _FirstPass, config: Any, size: int) -> list[Incident]:
    """Pass 2: the incidents of every key of the task, in the order :func:`~auditor.incidents.link_incidents`
    gives them (keys by their first row, each key's incidents in the order they opened), named."""
    from .claims import _positions_by

    kept = first.columns
    blocks = sorted(_positions_by(first.keys)[1], key=lambda p: int(p[0]))  # keys in order of their first row
    sweeps: list[Sweep | None] = []
    pieces: list[tuple[int, list[int]]] = []
    for b, block in enumerate(blocks):
        head = int(block[0])
        days = kept["day"][block]
        sweep = Sweep(config, kept["category"][head], kept["scope"][head], bool(kept["loose"][head]),
                      undated=bool(np.isnan(days).any()))
        sweeps.append(sweep)
        order = sweep.order(block.tolist(), days.tolist(), kept["figure_id"][block].tolist())
        pieces.extend((b, order[start:start + size]) for start in range(0, len(order), size))
    del blocks
    segments = _segments(pieces, size)
    del pieces
    # The texts of the keys that weigh words counted first, then read again as they are swept: a
    # segment's sentences (not prepared) at a time
    counted = {b: k for k, segment in enumerate(segments) for b, _ in segment if sweeps[b].texts is not None}
    for k, segment in enumerate(segments):
        wanted = [(b, piece) for b, piece in segment if sweeps[b].texts is not None]
        if wanted or rows.spooling:
            at, local = _local(segment if rows.spooling else wanted)
            frame = rows.spooled(at, _TEXT_COLUMNS)
            sentence, title = _text_list(frame, "sentence"), _text_list(frame, "title")
            del frame
            for b, piece in wanted:
                sweeps[b].texts.count(sentence, title, [local[r] for r in piece])
                if counted[b] == k:
                    sweeps[b].texts.weigh()
            del sentence, title, local
            release_memory()
    rows.spool_written()
    last = {b: k for k, segment in enumerate(segments) for b, _ in segment}
    incidents: list[Incident] = []
    for k, segment in enumerate(segments):
        at, local = _local(segment)
        words = [(b, piece) for b, piece in segment if sweeps[b].texts is not None]
        if words:
            frame = rows.read(at, _TEXT_COLUMNS)
            sentence, title = _text_list(frame, "sentence"), _text_list(frame, "title")
            del frame
        else:
            sentence = title = None
        prep = first.prepared(at, sentence, title)
        del sentence, title
        row_of = at.tolist()
        for b, piece in segment:
            sweep = sweeps[b]
            order = [local[r] for r in piece]
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
    name_incidents(incidents)
    return incidents


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
    prep = prepare(rows.read(at), config, consume=True, event_days=first.columns["event_day"][at])
    prep.superseded = first.superseded
    prep.whole_rows = {figure_id: local[r] for figure_id, r in first.whole_rows.items() if r in local}
    incidents = [dataclasses.replace(inc, rows=[local[r] for r in inc.rows], profiles=[]) for inc in chunk]
    label_incidents(prep, incidents)
    return prep, incidents, at


def streamed_stages(source: pd.DataFrame | SpillPart, articles: pd.DataFrame, config: Any, size: int,
                    parts: Path | None = None, scratch: Path | None = None) -> Iterator[tuple[str, Any]]:
    """:func:`~auditor.claims._stages` (``narrow``) of a task's figures (a DataFrame or rows of the spill
    file) read and prepared about ``size`` at a time: ``(name, what it built)`` after each pass, the
    last ``"tables"`` as :func:`~auditor.claims._stages` gives it. ``scratch``: a folder where the rows
    of the spill file are copied in sweep order (see :class:`_Rows`; removed at the end; none: the
    system's temporary folder)."""
    from .claims import _CLAIM_COLUMNS

    rows = _Rows(source, articles, _CLAIM_COLUMNS, scratch or Path(tempfile.gettempdir()))
    del source, articles
    try:
        yield from _passes(rows, config, size, parts)
    finally:
        rows.close()


def _passes(rows: _Rows, config: Any, size: int, parts: Path | None) -> Iterator[tuple[str, Any]]:
    from .claims import _CHUNK_FIGURES, _ChunkTables, _incident_chunks

    collecting = gc.isenabled()
    gc.disable()  # as _stages: millions of small containers, none in cycles
    try:
        first = _first_pass(rows, config, size)
        release_memory()
        yield "first pass", first
        incidents = _linked(rows, first, config, size)
        release_memory()
        yield "incidents", incidents
        tables = _ChunkTables(rows.n, parts)
        for chunk in _incident_chunks(incidents, _CHUNK_FIGURES):
            prep, local, at = _chunk_prepared(rows, first, config, chunk)
            tables.add(prep, local, config, at)
            del prep, local, at
            release_memory()
        del incidents, chunk
        release_memory()
        yield "groups, conflicts, summaries", tables.parts()
    finally:
        if collecting:
            gc.enable()
    filled = first.filled
    del first
    yield "tables", tables.tables(filled)

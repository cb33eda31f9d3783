"""The blocking keys of a spilled corpus cut into batches (or cache buckets) without holding the corpus's keys.

:func:`auditor.incidents.keys_of_parts` makes every figure's key from the key parts of the whole corpus
in row order: at the cut's peak that was about 55 bytes a figure in one worker (the largest worker of a
1 GB run). Here the parts are read a share at a time, twice:

- first, what decides the keys is gathered: of each prefix (category, scope, country) its distinct
  days and how many figures fall on each (a run of dates is cut where two consecutive days are further
  apart than the window: only the distinct days matter, :func:`~auditor.incidents.runs_of_days`), and
  the window of its first figure; the figures keyed by themselves (distances, loose figures) are dealt
  out to partitions by a hash of their key, so that a partition's distinct keys are few;
- then each figure's key is looked up (its prefix's run of its day, or its text's number) and only its
  batch or bucket kept.

What is held at once: a share's parts, each prefix's distinct days, one partition's distinct keys, a
few numbers per key, and the answer (a small integer per figure).

The batches are packed as :func:`auditor.claims._packed` packs them (the biggest key first, each into
the emptiest batch; one batch per worker: by cost, :func:`batch_of_costed_block`); keys of equal size
are taken in the order of a hash of their name (not of the name itself: the names are not all held).
Keys that a part naming its total joins count as one, named by the smallest name among them, as
:func:`auditor.claims._keys_joined` does; a key's cache bucket is a hash of that name
(:func:`bucket_of_name`), so the same as the in-memory cut's.
"""

from __future__ import annotations

import heapq
import pickle
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._spill import number_dtype, row_dtype
from .incidents import largest_run, runs_of_days

# Figures keyed by themselves a partition aims at (its distinct keys are held while it is read: a
# dictionary of their texts, ~100 bytes each).
PARTITION_ROWS = 65_536
# Buckets of blocking keys a cached claims step stores apart (at least; more for big tables, a power
# of two so that the same key falls in the same bucket until the table doubles), and the figures per
# bucket a big table aims at.
CACHE_BUCKETS = 64
BUCKET_ROWS = 2_000
# Days of a prefix gathered before they are merged into its distinct days (at least).
_MERGE_DAYS = 65_536
# What one figure costs a claims task, by the kind of its blocking key (:func:`key_kind`), relative to a
# point event's report (killed, wounded...: each is scored against the open incidents of its key).
# `benchmarks/bench_claims.py costs DIR` measures it: the stages' CPU per figure of each kind's keys
# together, on figures typed as a task reads them. On a generated corpus of 32,318 figures, 4 runs:
# point events 46-60 µs, other incident figures 30-45 (0.63-0.77 of a point event's), cumulative ones
# 23-33 (0.49-0.55), distances 7-11 (0.14-0.22). The table adds to each the ~5 µs every figure costs a
# task whatever its kind (reading its row, writing its filled columns). Figures keyed alone (a key
# each: its fixed cost) cost 32 µs on the seeds' copies (2,500 figures; their point events 20: the same
# few reports again and again score fast). An estimate: it only shares the work out.
FIGURE_COST = {"point": 1.0, "incident": 0.75, "cumulative": 0.6, "distance": 0.3, "single": 0.8}


def n_buckets(n_rows: int) -> int:
    """How many cache buckets a table of ``n_rows`` figures is stored in."""
    count = CACHE_BUCKETS
    while count * BUCKET_ROWS < n_rows:
        count *= 2
    return count


def bucket_of_name(name: Any, buckets: int) -> int:
    """A key's cache bucket: a hash of its name (CRC-32, the same on every run and machine)."""
    return _crc(name) % buckets


def joined_roots(pairs: Iterable[tuple[int, int]], name_of: Callable[[int], str]) -> dict[int, int]:
    """Keys joined by ``pairs`` (of key numbers): each joined key's root, the key of the smallest name
    (``name_of``; ties by number) among those joined with it. Keys joined to none are left out."""
    root: dict[int, int] = {}

    def find(key: int) -> int:
        while root.get(key, key) != key:
            root[key] = root.get(root[key], root[key])  # halve the path
            key = root[key]
        return key

    for a, b in pairs:
        a, b = find(a), find(b)
        if a != b:
            first, other = sorted((a, b), key=lambda key: (name_of(key), key))
            root[other] = first
    return {key: find(key) for key in list(root)}


def batch_of_block(sizes: Sequence[int], n_batches: int) -> np.ndarray:
    """The batch of each block of rows (``sizes``, in the order ties are taken in), the blocks packed
    into ``n_batches`` of similar size: the biggest first, each into the batch with the fewest rows
    (the first of equals). Batches are numbered in the order they first receive a block."""
    by_size = sorted(range(len(sizes)), key=lambda k: -sizes[k])  # stable: ties in the order given
    batches = max(1, min(n_batches, len(sizes)))
    smallest = [(0, i) for i in range(batches)]  # (rows, batch): the smallest batch, first by number
    batch = np.empty(len(sizes), dtype=np.int64)
    for k in by_size:
        size, i = heapq.heappop(smallest)
        batch[k] = i
        heapq.heappush(smallest, (size + sizes[k], i))
    return batch


def figure_kind(category: str, cumulative: bool, point_events: Collection[str], single: bool = False) -> str:
    """What kind of report a figure of ``category`` is, for its cost (:data:`FIGURE_COST`)."""
    if single:
        return "single"
    if category == "distance":
        return "distance"
    if cumulative:
        return "cumulative"
    return "point" if category in point_events else "incident"


def key_kind(name: str, point_events: Collection[str]) -> str:
    """:func:`figure_kind` of the figures of the blocking key ``name``, read from the name:
    ``category|scope|country|day``, ``category|single|figure id`` or ``distance|place|place``."""
    category, _, rest = str(name).partition("|")
    second = rest.partition("|")[0]
    return figure_kind(category, second == "cumulative", point_events, single=second == "single")


def key_costs(names: Iterable[str], point_events: Collection[str]) -> np.ndarray:
    """What one figure of each blocking key of ``names`` costs a claims task (:data:`FIGURE_COST`)."""
    return np.array([FIGURE_COST[key_kind(name, point_events)] for name in names], dtype="float64")


def batch_of_costed_block(rows: Sequence[int], costs: Sequence[float], n_batches: int, most_rows: int
                          ) -> np.ndarray:
    """The batch of each block of figures (``rows`` figures costing ``costs`` in all, in the order ties
    are taken in), the blocks packed into ``n_batches`` of similar cost: the costliest first, each into
    the cheapest batch with room for its rows (``most_rows`` a batch, what a task's memory is sized
    for), or, none with room, into the batch of the fewest rows. Batches are numbered in the order
    they first receive a block. For a batch per worker, where the slowest task is the claims step's
    end: the same number of figures can cost twice as much (point events against distances)."""
    by_cost = sorted(range(len(costs)), key=lambda k: -costs[k])  # stable: ties in the order given
    batches = max(1, min(n_batches, len(costs)))
    cost, held = [0.0] * batches, [0] * batches
    batch = np.empty(len(costs), dtype=np.int64)
    for k in by_cost:
        room = [i for i in range(batches) if held[i] + rows[k] <= most_rows]
        i = min(room, key=lambda i: (cost[i], i)) if room else min(range(batches), key=lambda i: (held[i], i))
        batch[k] = i
        cost[i] += costs[k]
        held[i] += rows[k]
    return batch


class _Prefix:
    """What decides the keys of one prefix's figures: its distinct days (ascending) with the figures on
    each, its undated figures, and the window of its first figure (in row order)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.first_row = np.iinfo(np.int64).max
        self.window = np.nan
        self.days = np.zeros(0, dtype="float64")
        self.counts = np.zeros(0, dtype=np.int64)
        self.undated = 0
        self._pending: list[np.ndarray] = []  # days added since the last merge (merged in bulk)
        self._n_pending = 0
        self.run_of_day: np.ndarray | None = None  # (:meth:`make_runs`) None: one key, ``prefix|all``
        self.best = 0

    def add(self, rows: np.ndarray, day: np.ndarray, window: np.ndarray) -> None:
        """Figures at ``rows`` of this prefix, on ``day`` (NaN: undated), with their category's ``window``."""
        first = int(np.argmin(rows))
        if rows[first] < self.first_row:
            self.first_row, self.window = int(rows[first]), float(window[first])
        dated = day[~np.isnan(day)]
        self.undated += len(day) - len(dated)
        self._pending.append(dated)
        self._n_pending += len(dated)
        if self._n_pending > max(_MERGE_DAYS, len(self.days)):  # merged in bulk: not once per share
            self._merge()

    def _merge(self) -> None:
        if not self._pending:
            return
        days, counts = np.unique(np.concatenate(self._pending), return_counts=True)
        self._pending, self._n_pending = [], 0
        merged = np.union1d(self.days, days)
        total = np.zeros(len(merged), dtype=np.int64)
        total[np.searchsorted(merged, self.days)] += self.counts
        total[np.searchsorted(merged, days)] += counts
        self.days, self.counts = merged, total

    def make_runs(self, tolerance: float) -> tuple[list[str], list[int]]:
        """The prefix's keys (names) and their figures, in the order of their numbers (:meth:`runs`)."""
        self._merge()
        if np.isnan(self.window) or not len(self.days):  # no window or no date: one key
            return [f"{self.name}|all"], [int(self.counts.sum()) + self.undated]
        self.run_of_day, labels = runs_of_days(self.days, self.window + tolerance)
        sizes = np.bincount(self.run_of_day, weights=self.counts).astype(np.int64).tolist()
        if self.undated:
            self.best = largest_run(sizes, labels)
            sizes[self.best] += self.undated
        return [f"{self.name}|{label}" for label in labels], sizes

    def runs(self, day: np.ndarray) -> np.ndarray:
        """The key (a number among the prefix's) of figures on ``day`` (NaN: undated)."""
        if self.run_of_day is None:
            return np.zeros(len(day), dtype=np.int64)
        dated = ~np.isnan(day)
        found = np.full(len(day), self.best, dtype=np.int64)
        found[dated] = self.run_of_day[np.searchsorted(self.days, day[dated])]
        return found


class Prefixes:
    """The :class:`_Prefix` of each prefix of some figures' key parts, numbered in the order they first
    come (:meth:`gather`), and their keys (:meth:`make_runs`)."""

    def __init__(self) -> None:
        self._code: dict[str, int] = {}
        self._prefixes: list[_Prefix] = []

    def __getitem__(self, code: int) -> _Prefix:
        return self._prefixes[code]

    def gather(self, parts: pd.DataFrame, rows: np.ndarray, in_run: np.ndarray) -> np.ndarray:
        """Each figure's prefix number (:func:`~auditor.incidents.key_parts` ``parts`` of the figures at
        ``rows``; -1 for those not at ``in_run``, the positions of the figures keyed by a run of dates),
        the days of those at ``in_run`` added to their prefixes."""
        from .claims import _positions_by  # (claims imports this module)

        prefix = parts["prefix"]
        code_of = np.full(len(prefix.cat.categories) + 1, -1, dtype=np.int32)  # a run's prefix is never missing
        for used in np.unique(prefix.cat.codes.to_numpy()[in_run]).tolist():
            name = prefix.cat.categories[used]
            if name not in self._code:
                self._code[name] = len(self._prefixes)
                self._prefixes.append(_Prefix(name))
            code_of[used] = self._code[name]
        codes = code_of[prefix.cat.codes.to_numpy()]
        if len(in_run):
            day, window = parts["day"].to_numpy(dtype="float64"), parts["window"].to_numpy(dtype="float64")
            for code, at in zip(*_positions_by(codes[in_run])):
                self._prefixes[code].add(rows[in_run[at]], day[in_run[at]], window[in_run[at]])
        return codes

    def make_runs(self, tolerance: float) -> tuple[list[int], list[str], list[int]]:
        """Each prefix's first key number, then every key's name and figures, in the order of their numbers."""
        base: list[int] = []
        names: list[str] = []
        sizes: list[int] = []
        for prefix in self._prefixes:
            base.append(len(names))
            made, made_sizes = prefix.make_runs(tolerance)
            names += made
            sizes += made_sizes
        return base, names, sizes


class KeyCut:
    """The keys of a corpus's figures, gathered share by share (:meth:`deal`), then looked up and cut
    (:meth:`cut`); the files it writes are in ``folder`` and removed by :meth:`cut`.

    Parameters
    ----------
    n_rows : int
        The corpus's figures (every row is dealt once).
    folder : Path
        Where each share's parts and the partitions of figures keyed by themselves are written.
    config : ClaimConfig
        The claims rules (the date tolerance; each figure's window comes with its parts).
    """

    def __init__(self, n_rows: int, folder: Path, config: Any) -> None:
        self.n_rows = n_rows
        self.folder = Path(folder)
        self.tolerance = float(config.link.get("event_date_tolerance_days", 1.0))
        self.point_events = config.point_events
        self.n_partitions = max(1, -(-n_rows // PARTITION_ROWS))
        self._prefixes = Prefixes()
        self._dated = self.folder / "in-runs.pickle"
        self._alone = [self.folder / f"alone-{p}.pickle" for p in range(self.n_partitions)]
        self._keyed = self.folder / "alone-keyed.pickle"
        self._link_pairs: list[tuple[int, int]] = []
        self._link_keys: dict[int, tuple] = {}  # a linked row: ("run", prefix, day) or ("alone", text)

    def deal(self, parts: pd.DataFrame, rows: np.ndarray, links: np.ndarray | None = None) -> None:
        """The key parts of the figures at ``rows`` (:func:`~auditor.incidents.key_parts`, in that
        order) gathered; ``links``: their part-of ``(part, total)`` pairs, as positions among them."""
        from .claims import _positions_by  # (claims imports this module)

        rows = np.asarray(rows, dtype=np.int64)
        alone = parts["alone"]
        by_itself = alone.ne("").to_numpy(dtype=bool, na_value=False)
        in_run = np.flatnonzero(~by_itself)
        codes = self._prefixes.gather(parts, rows, in_run)
        day = parts["day"].to_numpy(dtype="float64")
        if len(in_run):
            _append(self._dated, (rows[in_run].astype(row_dtype(self.n_rows)), codes[in_run], day[in_run]))
        keyed = np.flatnonzero(by_itself)
        if len(keyed):
            local, texts = pd.factorize(alone.iloc[keyed].to_numpy(dtype=object))
            partition_of = pd.util.hash_array(texts) % np.uint64(self.n_partitions)
            for p, at in zip(*_positions_by(partition_of[local].astype(np.int64))):
                codes_in, texts_in = pd.factorize(local[at])
                _append(self._alone[p], (rows[keyed[at]].astype(row_dtype(self.n_rows)), codes_in,
                                         texts[texts_in].tolist()))
        for a, b in np.asarray(links if links is not None else [], dtype=np.int64).reshape(-1, 2).tolist():
            self._link_pairs.append((int(rows[a]), int(rows[b])))
            for at in (a, b):
                self._link_keys[int(rows[at])] = ("alone", str(alone.iloc[at])) if by_itself[at] \
                    else ("run", int(codes[at]), float(day[at]))

    def cut(self, n_batches: int | None, most_rows: int | None = None) -> np.ndarray:
        """Each figure's batch (``n_batches`` of them at most), or with ``n_batches`` ``None`` its cache
        bucket (:func:`n_buckets`), in the smallest integer type; with ``most_rows``, the batches packed
        by cost, none above that many figures where it can be (:func:`batch_of_costed_block`). The
        files written are removed."""
        from .claims import _positions_by  # (claims imports this module)

        base, names, sizes = self._prefixes.make_runs(self.tolerance)
        costed = n_batches is not None and most_rows is not None
        unit_costs = [key_costs(names, self.point_events)] if costed else None
        unit_of_linked: dict[int, int] = {}
        linked_names: dict[int, str] = {}
        for row, key in self._link_keys.items():
            if key[0] == "run":
                unit = base[key[1]] + int(self._prefixes[key[1]].runs(np.array([key[2]]))[0])
                unit_of_linked[row], linked_names[unit] = unit, names[unit]
        hashes = [pd.util.hash_array(np.array(names, dtype=object))]
        crcs = [np.array([_crc(name) for name in names], dtype=np.int64)]
        unit_sizes = [np.array(sizes, dtype=np.int64)]
        n_units = self._key_alone(len(names), hashes, crcs, unit_sizes, unit_of_linked, linked_names, unit_costs)
        del names, sizes
        hashes, crcs, unit_sizes = np.concatenate(hashes), np.concatenate(crcs), np.concatenate(unit_sizes)
        # (a unit's cost: its figures times a figure's cost; joined keys' summed)
        cost_of_unit = unit_sizes * np.concatenate(unit_costs) if unit_costs is not None else None
        root = np.arange(n_units, dtype=np.int64)
        pairs = ((unit_of_linked[a], unit_of_linked[b]) for a, b in self._link_pairs)
        for key, joined in joined_roots(pairs, linked_names.__getitem__).items():
            root[key] = joined
        if n_batches is None:
            buckets = n_buckets(self.n_rows)
            of_unit = (crcs % buckets).astype(number_dtype(buckets))[root]
        else:
            totals = np.bincount(root, weights=unit_sizes, minlength=n_units).astype(np.int64)
            blocks = np.flatnonzero(totals)
            # Equal sizes in the order of the name's hash (then the key's number): the same on every run
            blocks = blocks[np.lexsort((blocks, hashes[blocks]))]
            batch_of_root = np.zeros(n_units, dtype=np.int64)
            if cost_of_unit is not None:
                costs = np.bincount(root, weights=cost_of_unit, minlength=n_units)
                batch_of_root[blocks] = batch_of_costed_block(totals[blocks].tolist(), costs[blocks].tolist(),
                                                              n_batches, most_rows)  # type: ignore[arg-type]
            else:
                batch_of_root[blocks] = batch_of_block(totals[blocks].tolist(), n_batches)
            made = int(batch_of_root[blocks].max()) + 1 if len(blocks) else 1
            of_unit = batch_of_root[root].astype(number_dtype(made))
        del root, hashes, crcs, unit_sizes
        out = np.empty(self.n_rows, dtype=of_unit.dtype)
        for rows, codes, day in _each(self._dated):
            for code, at in zip(*_positions_by(codes)):
                out[rows[at]] = of_unit[base[code] + self._prefixes[code].runs(day[at])]
        for rows, units in _each(self._keyed):
            out[rows] = of_unit[units]
        return out

    def _key_alone(self, first: int, hashes: list, crcs: list, unit_sizes: list, unit_of_linked: dict[int, int],
                   linked_names: dict[int, str], unit_costs: list | None = None) -> int:
        """The figures keyed by themselves numbered, a partition at a time, from ``first`` on (each one's
        number written in a file, :meth:`cut` reads it); each key's hash, CRC-32 and figures (and, given
        ``unit_costs``, a figure's cost) appended; linked rows' keys noted. The number of keys in all."""
        linked_texts: dict[str, list[int]] = {}
        for row, key in self._link_keys.items():
            if key[0] == "alone":
                linked_texts.setdefault(key[1], []).append(row)
        with open(self._keyed, "wb") as keyed:
            for path in self._alone:
                if not path.exists():
                    continue
                number: dict[str, int] = {}
                counts = np.zeros(1024, dtype=np.int64)
                for rows, codes, texts in _each(path):
                    units = np.array([number.setdefault(text, len(number)) for text in texts], dtype=np.int64)[codes]
                    if len(number) > len(counts):
                        counts = np.concatenate([counts, np.zeros(max(len(counts), len(number)), dtype=np.int64)])
                    found, found_counts = np.unique(units, return_counts=True)
                    counts[found] += found_counts
                    pickle.dump((rows, (units + first).astype(rows.dtype)), keyed, protocol=pickle.HIGHEST_PROTOCOL)
                texts = list(number)
                counts = counts[:len(texts)]
                for text in set(texts).intersection(linked_texts):
                    unit = first + number[text]
                    linked_names[unit] = text
                    unit_of_linked.update(dict.fromkeys(linked_texts[text], unit))
                hashes.append(pd.util.hash_array(np.array(texts, dtype=object)))
                crcs.append(np.array([_crc(text) for text in texts], dtype=np.int64))
                unit_sizes.append(counts)
                if unit_costs is not None:
                    unit_costs.append(key_costs(texts, self.point_events))
                first += len(texts)
        return first


def _crc(name: Any) -> int:
    """A key name's CRC-32 (the same on every run and machine)."""
    return zlib.crc32(str(name).encode("utf-8", "surrogateescape"))


def _append(path: Path, chunk: tuple) -> None:
    """``chunk`` pickled at the end of ``path`` (read back by :func:`_each`)."""
    with open(path, "ab") as handle:
        pickle.dump(chunk, handle, protocol=pickle.HIGHEST_PROTOCOL)


def _each(path: Path) -> Iterator[Any]:
    """The objects pickled one after another in ``path``; the file removed once read."""
    if not path.exists():
        return
    with open(path, "rb") as handle:
        while True:
            try:
                yield pickle.load(handle)
            except EOFError:
                break
    path.unlink()

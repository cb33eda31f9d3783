"""Incidents: the reports of one event (one attack, one day's strike tally, one siege, one displacement wave).

Reports are blocked by :func:`block_keys` (category, scope, country, a run of dates), scanned in date
order, and each is scored against the open incidents of its place (a town, its province, its country)
with the additive weights of ``auditor/data/claims.yaml``: the place (same town, or one report less
specific than the other), the date (the event date the text gives, else the publication date) and the
IDF-weighted cosine similarity of the words around the figure (its sentence and the headline).  It
joins the best incident that reaches the threshold, else opens a new one.  Cost: linear in the reports
(each is scored against at most ``max_candidates`` open incidents).
"""

from __future__ import annotations

import hashlib
import math
import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._claim_rules import ClaimConfig, PreparedFigures, stable_id
from .explanations import iso_day

_WORD = re.compile(r"[^\W\d_]{3,}")
_INCOMPATIBLE = -math.inf


def _digest(text: tuple[str, str]) -> bytes:
    """A 128-bit digest of a (sentence, headline) pair: what tells distinct texts apart once their
    words are let go (a streamed block counts its texts a part at a time)."""
    sentence, title = text
    return hashlib.blake2b(f"{len(sentence)}:{sentence}{title}".encode("utf-8", "surrogateescape"),
                           digest_size=16).digest()


def anchor_days(prep: PreparedFigures) -> list[float]:
    """The date each report is about: its event date when the text gives one, else its publication date."""
    return [e if not math.isnan(e) else p for e, p in zip(prep.event_day, prep.pub_day)]


def block_keys(prep: PreparedFigures, config: ClaimConfig) -> list[str]:
    """A key per report such that no incident (hence no claim group) spans two keys.

    ``category|scope|country|first day of a run of dates``: a run is cut where no report falls
    within the category's window (plus the event-date tolerance), so reports that could be one
    incident always share a run. Undated reports join the largest run of their category and country.
    Distances are keyed by their pair of places; figures that can be compared with nothing by theirs.
    """
    return keys_of_parts(key_parts(prep, config), config).tolist()


def key_parts(prep: PreparedFigures, config: ClaimConfig) -> pd.DataFrame:
    """Per report (rows in input order), what :func:`block_keys` reads of it: ``alone``, its key when
    it has one by itself (else ''); otherwise ``prefix`` (category, scope, country), its anchor
    ``day`` and the category's ``window`` (NaN: no window). Reports prepared in parts, each with all
    the figures of its articles, give the same parts as prepared at once. Columns, not Python rows:
    the parts of a whole corpus are gathered in one process."""
    n = prep.n
    category = np.asarray(prep.col["category"], dtype=object)
    loose = np.asarray(prep.loose, dtype=bool)
    distance = (category == "distance") & ~loose
    alone = np.full(n, "", dtype=object)
    if loose.any():
        alone[loose] = category[loose] + "|single|" + np.asarray(prep.col["figure_id"], dtype=object)[loose]
    if distance.any():
        place = np.asarray(prep.place, dtype=object)[distance]
        ref = np.asarray(prep.ref_place, dtype=object)[distance]
        first = ref < place
        alone[distance] = "distance|" + np.where(first, ref, place) + "|" + np.where(first, place, ref)
    # A historical figure with an event date is a report of that (earlier) incident: keyed as one.
    cumulative = np.asarray(prep.scope, dtype=object) == "cumulative"
    run = ~(loose | distance)
    category_code, categories = pd.factorize(category, use_na_sentinel=False)
    # The prefix made once per distinct (category, scope, country), a code per report (a string per
    # report, then hashed, was the biggest working table of a task's keys)
    country_code, countries = pd.factorize(np.asarray(prep.country, dtype=object), use_na_sentinel=False)
    width = max(1, len(countries))
    combined = (category_code.astype(np.int64) * 2 + cumulative) * width + country_code
    combined[~run] = -1
    used, code = np.unique(combined, return_inverse=True)
    names = ["" if c < 0 else f"{categories[c // width // 2]}|{'cumulative' if c // width % 2 else 'incident'}|"
             f"{countries[c % width]}" for c in used.tolist()]
    code = code.reshape(-1)
    if len(set(names)) == len(names):
        prefix = pd.Categorical.from_codes(code, categories=pd.Index(names, dtype=object))
    else:  # two tuples spelling one prefix (a '|' inside a name) share it, as their strings would
        prefix = pd.Categorical(np.array(names, dtype=object)[code])
    in_a_run = np.bincount(category_code[run], minlength=len(categories)) > 0
    windows = [config.window(c) if in_a_run[k] else None for k, c in enumerate(categories)]
    window = np.array(windows, dtype="float64")[category_code]
    window[cumulative] = config.cumulative_window_days
    return pd.DataFrame({
        "alone": pd.array(alone, dtype="str"),
        "prefix": prefix,
        "day": np.asarray(anchor_days(prep), dtype="float64"),
        "window": window,
    })


def keys_of_parts(parts: pd.DataFrame, config: ClaimConfig) -> pd.Categorical:
    """:func:`block_keys` from the :func:`key_parts` of every report, in input order (a categorical:
    one string per key, a small integer per report; no string is made per report)."""
    n = len(parts)
    alone = parts["alone"]
    by_itself = alone.ne("").to_numpy(dtype=bool, na_value=False)
    alone_codes, alone_keys = pd.factorize(alone[by_itself])
    codes = np.empty(n, dtype=np.int32 if n < 2**31 else np.int64)  # a corpus's keys: 4 bytes a report
    codes[by_itself] = alone_codes
    del alone_codes
    run_keys = _run_keys(parts, ~by_itself, codes, len(alone_keys), config)
    names = np.array([*alone_keys.tolist(), *run_keys], dtype=object)
    order = np.argsort(names, kind="stable")  # keys in sorted order, as pd.Categorical of the strings
    rank = np.empty(len(order), dtype=codes.dtype)
    rank[order] = np.arange(len(order))
    np.take(rank, codes, out=codes)  # in place: no second array per report
    return pd.Categorical.from_codes(codes, categories=pd.Index(names[order], dtype=object))


def _run_keys(parts: pd.DataFrame, wanted: np.ndarray, codes: np.ndarray, first_code: int, config: ClaimConfig
              ) -> list[str]:
    """The keys of the reports of ``parts`` where ``wanted`` (a mask), keyed by a run of dates:
    ``prefix|first day of its run`` (``prefix|all`` for a category without a window or without a dated
    report); undated reports take the run with the most reports (the earliest of equals). Each report's
    key number (from ``first_code`` on, in the order of the list returned) is written in ``codes``.

    A prefix at a time: the working arrays are those of one prefix, not several per report of the
    corpus (the keys of a whole corpus are cut in one process)."""
    tolerance = config.link.get("event_date_tolerance_days", 1.0)
    prefix = parts["prefix"]  # a categorical (key_parts): small integer codes, no string per report
    prefix_codes, prefixes = prefix.cat.codes.to_numpy(), prefix.cat.categories
    n_wanted = int(wanted.sum())
    if not n_wanted:
        return []
    # Each prefix's rows together, ascending (the others sorted last and cut off); positions as int32
    sort_by = prefix_codes.astype(np.int32)
    sort_by[~wanted] = np.iinfo(np.int32).max
    by_prefix = np.argsort(sort_by, kind="stable")[:n_wanted]
    del sort_by
    by_prefix = by_prefix.astype(np.int32) if len(wanted) < 2**31 else by_prefix
    of_prefix = prefix_codes[by_prefix]
    bounds = [0, *(np.flatnonzero(of_prefix[1:] != of_prefix[:-1]) + 1).tolist(), n_wanted]
    first_codes = of_prefix[bounds[:-1]].tolist()
    del of_prefix
    day_of = parts["day"].to_numpy(dtype="float64")
    window_of = parts["window"].to_numpy(dtype="float64")
    keys: list[str] = []
    for code, start, stop in zip(first_codes, bounds, bounds[1:]):
        members = by_prefix[start:stop]
        name = prefixes[code]
        window = window_of[members[0]]  # the prefix's first report decides its window
        day = day_of[members]
        dated = ~np.isnan(day) if not np.isnan(window) else np.zeros(len(day), dtype=bool)
        if not dated.any():
            codes[members] = first_code + len(keys)
            keys.append(f"{name}|all")
            continue
        every = bool(dated.all())  # (most keys: no copies of their rows and days by the mask)
        order = np.argsort(day if every else day[dated], kind="stable")  # by day, then by row
        at = (members if every else members[dated])[order]
        day = (day if every else day[dated])[order]
        del order
        run, labels = runs_of_days(day, window + tolerance)
        del day
        base = first_code + len(keys)
        run += base
        codes[at] = run
        keys.extend(f"{name}|{label}" for label in labels)
        if not every:
            codes[members[~dated]] = base + largest_run(np.bincount(run - base).tolist(), labels)
        del at, run
    return keys


def runs_of_days(days: np.ndarray, gap: float) -> tuple[np.ndarray, list[str]]:
    """The run of each of ``days`` (ascending, no NaN): a new run where the next day is more than
    ``gap`` after the one before; and each run's label, the date of its first day."""
    new = np.ones(len(days), dtype=bool)
    new[1:] = days[1:] - days[:-1] > gap
    labels = np.trunc(days[new]).astype("int64").astype("datetime64[D]").astype(str).tolist()
    run = np.cumsum(new, dtype=np.int32 if len(days) < 2**31 else np.int64)  # (4 bytes a report: a big key's)
    run -= 1
    return run, labels


def largest_run(sizes: Sequence[int], labels: Sequence[str]) -> int:
    """The run undated reports join: the one with the most reports, the earliest label of equals."""
    return min(range(len(labels)), key=lambda k: (-sizes[k], labels[k], k))


# --- text similarity -----------------------------------------------------------------------

class _Texts:
    """IDF-weighted word sets of the reports of one block (sentence + headline).

    The block's texts are counted (:meth:`count`: document frequencies, once per distinct text) before
    any is weighed; a streamed block counts its parts one after the other, then reads the words of one
    part at a time (:meth:`read`; :meth:`forget` lets a part's go). Counted and read at once: one
    pass (``read(..., count=True)``)."""

    def __init__(self, config: ClaimConfig) -> None:
        self.stopwords = config.stopwords
        # One object per distinct word and per distinct word set (texts differing in their numbers
        # and names share theirs): a block holds its vocabulary, not a copy of it per sentence. The
        # sums over a set are exactly rounded (fsum), whatever order a set of the same words is in.
        self.vocabulary: dict[str, str] = {}
        self.df: Counter[str] = Counter()
        self.seen: set[bytes] = set()  # the distinct texts counted (a digest each: not the texts)
        self.weight: dict[str, float] = {}
        self.words: dict[int, frozenset[str]] = {}
        self._forget_part()

    def _forget_part(self) -> None:
        self._cache: dict[tuple[str, str], frozenset[str]] = {}
        # A headline's words read once (an article's figures share it); a word never spans the space
        # between sentence and headline, so the words of both are the union of each one's.
        self._headline: dict[str, frozenset[str]] = {}
        self._sets: dict[frozenset[str], frozenset[str]] = {}
        self._norms: dict[frozenset[str], float] = {}

    def forget(self) -> None:
        """Let go of the words read (a part of a streamed block done; the counts stay)."""
        self.words = {}
        self._forget_part()

    def count(self, sentence: list[str], title: list[str], rows: list[int]) -> None:
        """Count the distinct texts (``sentence[i]``, ``title[i]``) of ``rows`` not counted yet (a part
        of the block)."""
        self.read(sentence, title, rows, count=True, keep=False)

    def read(self, sentence: list[str], title: list[str], rows: list[int], count: bool = False,
             keep: bool = True) -> None:
        """The words of ``rows`` (``self.words[i]``: of ``sentence[i]`` and its headline ``title[i]``);
        ``count``: their texts counted too."""
        cache, headline, sets, vocabulary = self._cache, self._headline, self._sets, self.vocabulary
        findall, stopwords, seen, df = _WORD.findall, self.stopwords, self.seen, self.df
        for i in rows:
            key = (sentence[i], title[i])
            words = cache.get(key)
            if words is None:
                head = headline.get(key[1])
                if head is None:
                    head = headline[key[1]] = frozenset(findall(key[1].casefold())) - stopwords
                found = (frozenset(findall(key[0].casefold())) - stopwords) | head
                if count:
                    digest = _digest(key)
                    if digest not in seen:
                        seen.add(digest)
                        df.update(found)  # document frequency: once per distinct text
                words = sets.get(found)
                if words is None:
                    words = sets[found] = frozenset(vocabulary.setdefault(w, w) for w in found)
                cache[key] = words
            if keep:
                self.words[i] = words
        if not keep:
            self._forget_part()

    def weigh(self) -> None:
        """The words' IDF weights, once every text of the block is counted."""
        n = len(self.seen)
        self.weight = {w: (math.log((n + 1) / (c + 1)) + 1.0) ** 2 for w, c in self.df.items()}
        self.df, self.seen = Counter(), set()

    # Sums over word sets are taken with math.fsum: exactly rounded whatever the order, and a set's order
    # changes with Python's string-hash seed; a plain sum made near-tied links differ from run to run.
    def norm(self, words: frozenset[str]) -> float:
        """The length of a word set's weight vector (once per distinct set: reprints share theirs)."""
        norm = self._norms.get(words)
        if norm is None:
            norm = self._norms[words] = math.sqrt(math.fsum(map(self.weight.__getitem__, words)))
        return norm


# --- linking -------------------------------------------------------------------------------

# The profiles of an incident that takes no more (closed, finished, or of a block that weighs no words):
# one shared empty tuple, not an empty list per incident (~56 bytes each: a big key holds ~100,000)
NO_PROFILES: tuple[()] = ()


@dataclass(slots=True)
class Incident:
    """One event's reports and what describes it (place, dates, words).

    Slotted, its rows machine integers: a big blocking key holds tens of thousands of incidents while
    it is swept, and a list of Python ints (and an instance dict) per incident cost ~50 bytes a report
    and scatter long-lived objects through the heap, which then cannot hand it back to the system."""

    rows: array  # array("i"): each report's row (4 bytes: a task's rows are far fewer than 2**31)
    place: str
    level: str
    admin1: str
    first_day: float
    last_day: float
    event_day: float
    # the words of its first reports, and their norms (NO_PROFILES, shared, once it can take no more)
    profiles: list[tuple[frozenset[str], float]] | tuple[()]
    # What its id is made of, of its first report: category, scope, loose, figure id, reference place
    first: tuple[str, str, bool, str, str] = ("", "", False, "", "")
    min_id: str = ""  # the smallest figure id of its reports (breaks ties of ids)
    id: str = ""
    label: str = ""
    place_name: str = ""


def _place_score(level: str, place: str, admin1: str, inc: Incident, w: dict[str, float], exact: bool) -> float:
    """How well a report at ``level``/``place``/``admin1`` fits the incident's place (or ``_INCOMPATIBLE``)."""
    if level == inc.level:
        return w["place_same"] if place == inc.place else _INCOMPATIBLE
    if exact:
        return _INCOMPATIBLE
    if level == "country" or inc.level == "country":
        return w["place_parent"]
    # A town against a province: the town's province must be that one, when it is known.
    town_admin1, province = (admin1, inc.admin1) if level == "town" else (inc.admin1, admin1)
    if not town_admin1:
        return w["place_country_only"]
    return w["place_parent"] if town_admin1 == province else _INCOMPATIBLE


def link_incidents(prep: PreparedFigures, keys: list[str], config: ClaimConfig) -> list[Incident]:
    """The incidents of every block, each with its rows; ids and labels filled."""
    rows_by_key: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        rows_by_key[key].append(i)
    incidents: list[Incident] = []
    days = anchor_days(prep)
    for key, rows in rows_by_key.items():
        first = rows[0]
        sweep = Sweep(config, prep.col["category"][first], prep.scope[first], prep.loose[first])
        if sweep.texts is not None:
            sweep.texts.read(prep.col["sentence"], prep.col["title"], rows, count=True)
            sweep.texts.weigh()
        sweep.feed(prep, sweep.order(rows, [days[i] for i in rows], [prep.col["figure_id"][i] for i in rows]).tolist())
        incidents.extend(sweep.finish())
    name_incidents(incidents)
    label_incidents(prep, incidents)
    return incidents


def _incident(prep: PreparedFigures, i: int, row: int, texts: _Texts | None) -> Incident:
    """A new incident of report ``i`` of ``prep`` (``row``: the report's row in the block's table)."""
    words = texts.words[i] if texts is not None else frozenset()
    day = anchor_days_one(prep, i)
    # (a block that weighs no words never adds a profile: the shared empty one, not a list per incident)
    profiles = ([(words, texts.norm(words))] if words else []) if texts is not None else NO_PROFILES
    fid = prep.col["figure_id"][i]
    return Incident(rows=array("i", (row,)), place=prep.place[i], level=prep.level[i], admin1=prep.admin1[i],
                    first_day=day, last_day=day, event_day=prep.event_day[i], profiles=profiles,
                    first=(prep.col["category"][i], prep.scope[i], prep.loose[i], fid, prep.ref_place[i]), min_id=fid)


def anchor_days_one(prep: PreparedFigures, i: int) -> float:
    e = prep.event_day[i]
    return e if not math.isnan(e) else prep.pub_day[i]


# Incidents let go between two :meth:`Sweep._forget` (at least)
_FORGET_EVERY = 4_096


class Sweep:
    """The linking of one block (the reports of one blocking key), fed its reports in sweep order
    (:meth:`order`) all at once or a part at a time (a streamed claims task: each part prepared
    alone, :meth:`feed` given its rows in the block's table): the open incidents, their pools by
    place and the block's word weights are kept from one part to the next.

    Dated reports are swept by day, then by id (rows ascending: equal ids keep their row order),
    undated ones last; each is scored against the open incidents of its place (:meth:`feed`). A
    loose report's or a distance's key is one incident (``linked`` false: fed in row order)."""

    def __init__(self, config: ClaimConfig, category: str, scope: str, loose: bool, undated: bool = True,
                 let_go: Callable[[Incident], None] | None = None) -> None:
        """``undated``: whether the block has undated reports; ``let_go``: where an incident goes once no later
        report can join it (it then keeps only its last day here; :meth:`finish` gives the others), instead of
        staying in the sweep to the end (a streamed key's incidents are written out as they close)."""
        self.config = config
        self._let_go = let_go
        self.linked = not (loose or category == "distance")
        self.window = config.cumulative_window_days if scope == "cumulative" else config.window(category)
        self.point_event = category in config.point_events and scope != "cumulative"
        # Words only tell point events apart: the block's texts are counted before any is scored
        self.texts = _Texts(config) if self.linked and self.point_event else None
        # Without undated reports (scored last, against every open incident) an incident out of every later
        # dated report's window lets go of its words
        self.undated = undated
        self.incidents: list[Incident] = []
        self._reach = 0  # incidents before this one are out of reach of every later report
        self._pasts: dict[float, _Past] = {}  # what stands for the incidents let go, by last day
        # Open incidents by where they are: a report is scored only against incidents it could be about.
        self._by_place: dict[str, list[int]] = defaultdict(list)  # by own place (town, province or country)
        self._by_admin1: dict[str, list[int]] = defaultdict(list)  # towns of a known province, and the province
        self._provinces: dict[str, list[int]] = defaultdict(list)  # incidents placed at province level
        self._all_provinces: list[int] = []
        self._unplaced_towns: list[int] = []  # towns whose province is unknown
        self._wide: list[int] = []  # incidents placed at country level
        self._everything: list[int] = []
        self._forget_at = _FORGET_EVERY  # (a sweep that lets go) the reach at which _forget runs next

    def order(self, rows: Sequence[int] | np.ndarray, days: Sequence[float] | np.ndarray, figure_ids: Any
              ) -> np.ndarray:
        """``rows`` (ascending) in the order they are fed: by anchor day (``days``, NaN last), then figure
        id (``figure_ids``: strings, an Arrow array of them, or numbers ordered as the ids are), then row;
        in row order for a block that is one incident. Sorted as arrays: a sorted list of a tuple per report
        held ~250 bytes a report of a big blocking key at once."""
        rows = np.asarray(rows)
        if not self.linked or not len(rows):
            return rows
        days = np.asarray(days)  # (a streamed key's are 4-byte floats: kept so, not widened)
        if days.dtype.kind != "f":
            days = days.astype("float64")
        if isinstance(figure_ids, np.ndarray) and figure_ids.dtype.kind in "iu":
            rank = figure_ids  # numbers ordered as the ids: sorted as they are
        else:
            import pyarrow as pa
            import pyarrow.compute as pc

            ids = figure_ids if isinstance(figure_ids, (pa.Array, pa.ChunkedArray)) else pa.array(figure_ids)
            # Dense ranks: equal ids rank equal. Arrow orders strings by their UTF-8 bytes, which is the
            # order of their code points, as Python compares them.
            rank = pc.rank(ids, sort_keys="ascending", tiebreaker="dense").to_numpy()
        # lexsort is stable: reports of one day and id keep their rows' ascending order. NumPy sorts NaN
        # last and equal to NaN: undated reports come last, by id (no copy of the days with NaN replaced)
        return rows[np.lexsort((rank, days))]

    def feed(self, prep: PreparedFigures, order: list[int], rows: list[int] | None = None) -> None:
        """Link reports ``order`` of ``prep`` (in sweep order; their words read, when the block weighs
        words); ``rows``: each report's row in the block's table (by its position in ``prep``; ``None``:
        that position)."""
        if not order:
            return
        row_of = rows.__getitem__ if rows is not None else int
        if not self.linked:
            if not self.incidents:
                self.incidents.append(_incident(prep, order[0], row_of(order[0]), None))
                order = order[1:]
            inc, fid = self.incidents[0], prep.col["figure_id"]
            for i in order:
                inc.rows.append(row_of(i))
                if fid[i] < inc.min_id:
                    inc.min_id = fid[i]
            return
        w = self.config.link
        threshold = w.get("threshold", 1.5)
        tolerance = w.get("event_date_tolerance_days", 1.0)
        max_candidates = int(w.get("max_candidates", 64))
        profile_reports = int(w.get("profile_reports", 3))
        min_words = int(w.get("min_words", 4))
        # The weights read once per part, not once per candidate.
        same_event_date, unknown_day, same_day = w.get("same_event_date"), w.get("unknown_day", 0.0), w.get("same_day")
        text_scale, text_neutral, place_same = w.get("text_scale"), w.get("text_neutral"), w["place_same"]
        window, point_event, texts, incidents = self.window, self.point_event, self.texts, self.incidents
        exact = not point_event  # a province's total (or a country's) is not its town's
        # Columns bound once: this loop visits every report, the inner one every candidate.
        event_day, pub_day, level_of, place_of, admin1_of, fid = prep.event_day, prep.pub_day, prep.level, \
            prep.place, prep.admin1, prep.col["figure_id"]
        words_of = texts.words if texts is not None else {}
        weight = texts.weight.__getitem__ if texts is not None else None
        fsum, isnan = math.fsum, math.isnan
        lists = self._pools()
        by_place, by_admin1, provinces, all_provinces, unplaced_towns, wide, everything = lists
        no_words: frozenset[str] = frozenset()
        day = math.nan
        for i in order:
            event = event_day[i]
            day = event if event == event else pub_day[i]
            level, place, admin1 = level_of[i], place_of[i], admin1_of[i]
            if level == "town":
                pools = (by_place[place], provinces[admin1] if admin1 else all_provinces, wide)
            elif level == "admin1":
                pools = (by_admin1[admin1], unplaced_towns, wide)
            else:
                pools = (everything,)
            words = words_of.get(i, no_words)
            use_words = point_event and len(words) >= min_words
            norm = texts.norm(words) if use_words else 0.0  # type: ignore[union-attr]
            best, best_score, seen = -1, threshold, set()
            dated = window is not None and not isnan(day)
            event_known = point_event and not isnan(event)
            for pool in pools:
                scored = 0
                for k in reversed(pool):
                    inc = incidents[k]
                    first_day = inc.first_day
                    if dated and first_day == first_day:
                        if day - first_day > window or first_day - day > window:
                            if day - inc.last_day > window:
                                # the pool is in date order: older incidents are further still (whether or
                                # not an earlier pool of this report passed this one: _forget relies on it)
                                break
                            continue
                    if k in seen:
                        continue
                    seen.add(k)
                    if level == inc.level:  # _place_score's first case, inlined: most candidates
                        if place != inc.place:
                            continue
                        score = place_same
                    else:
                        score = _place_score(level, place, admin1, inc, w, exact)
                        if score == _INCOMPATIBLE:
                            continue
                    if event_known and not isnan(inc.event_day):
                        if abs(event - inc.event_day) > tolerance:
                            continue
                        score += same_event_date
                    if isnan(day) or isnan(first_day):
                        score += unknown_day
                    elif day == first_day or day == inc.last_day:
                        score += same_day
                    # Words tell two attacks in one town apart; a siege or a displacement wave is one per
                    # place and window. No words on one side: the text says nothing either way.
                    if use_words and inc.profiles:
                        similarity = -1.0  # the best cosine of the incident's profiles
                        for other, other_norm in inc.profiles:
                            shared = fsum(map(weight, words & other))  # the set intersection in C, over the smaller set
                            cosine = shared / (norm * other_norm) if shared else 0.0
                            if cosine > similarity:
                                similarity = cosine
                        score += text_scale * (similarity - text_neutral)
                    if score >= best_score and (score > best_score or best < 0):
                        best, best_score = k, score
                    scored += 1
                    if scored >= max_candidates:
                        break
            if best < 0:
                inc = _incident(prep, i, row_of(i), texts)
                incidents.append(inc)
                _index(len(incidents) - 1, inc, lists)
                continue
            inc = incidents[best]
            inc.rows.append(row_of(i))
            if fid[i] < inc.min_id:
                inc.min_id = fid[i]
            if day == day:
                if not inc.first_day <= day:  # NaN (no day yet) or later
                    inc.first_day = day
                if not inc.last_day >= day:
                    inc.last_day = day
            if isnan(inc.event_day) and not isnan(event):
                inc.event_day = event
            if use_words and len(inc.profiles) < profile_reports:
                inc.profiles.append((words, norm))
            if _SPECIFICITY.get(level, 0) > _SPECIFICITY.get(inc.level, 0):
                inc.place, inc.level, inc.admin1 = place, level, admin1 or inc.admin1
                _index(best, inc, lists)
        if not self.undated and window is not None and day == day:
            # Later reports fall on this day or after: an incident that began more than a window before it
            # is never scored again (incidents open in date order), its words are let go
            reach, let_go, pasts = self._reach, self._let_go, self._pasts
            while reach < len(incidents) and day - incidents[reach].first_day > window:
                inc = incidents[reach]
                inc.profiles = NO_PROFILES
                if let_go is not None:
                    let_go(inc)
                    # A later report reads only its last day (it is out of its window: passed over, or where its
                    # pool's older incidents are passed over at once)
                    # (one object per distinct last day, shared: not a float per incident let go)
                    past = pasts.get(inc.last_day)
                    if past is None:
                        past = pasts[inc.last_day] = _Past(inc.last_day)  # type: ignore[call-overload]
                    incidents[reach] = past
                reach += 1
            self._reach = reach
            if let_go is not None and reach >= self._forget_at:
                self._forget(day)

    def _pools(self) -> tuple:
        """The open incidents' pools (what :func:`_index` fills; by place, by province..., then lists), as
        :meth:`feed` scans them and :meth:`_forget` renumbers them: one list of them, so neither misses one."""
        return (self._by_place, self._by_admin1, self._provinces, self._all_provinces, self._unplaced_towns,
                self._wide, self._everything)

    def _forget(self, day: float) -> None:
        """Drop what no report from ``day`` on can read of the incidents let go (a big streamed key lets go
        of a hundred thousand and more: each an entry in the list and in two or three pools, ~60 bytes).

        A pool is scanned from its end and stops at the first incident let go whose last day is more than
        a window before the report's; reports come in day order, so all a pool holds before the last such
        incident is never read again, nor that incident: cut off. The incidents no pool lists any more,
        before the first that one does, leave the list; the pools' entries are renumbered. The links made
        are the same."""
        incidents, window = self.incidents, self.window
        reach = self._reach
        pools = [pool for group in self._pools() for pool in (group.values() if isinstance(group, dict) else (group,))]
        first = reach  # the first incident still listed (or not let go)
        for pool in pools:
            for j in range(len(pool) - 1, -1, -1):
                k = pool[j]
                if k < reach and day - incidents[k].last_day > window:
                    del pool[:j + 1]
                    break
            if pool:
                first = min(first, min(pool))
        if first:
            del incidents[:first]
            for pool in pools:
                pool[:] = [k - first for k in pool]
            self._reach = reach - first
        # Next when as many more were let go as are left (at least _FORGET_EVERY): each incident renumbered
        # a few times at most
        self._forget_at = self._reach + max(_FORGET_EVERY, len(incidents))

    def finish(self) -> list[Incident]:
        """The block's incidents, in the order they opened, but those already let go (their words let go:
        they only link reports)."""
        kept = self.incidents[self._reach:] if self._let_go is not None else self.incidents
        for inc in kept:
            inc.profiles = NO_PROFILES
        return kept


class _Past(float):
    """An incident let go by its sweep (:class:`Sweep` ``let_go``): its last day, all a later report reads
    of it (the report is out of its window, as of every incident that began before it: ``first_day`` is
    never nearer). A float, not an object of two: a big key lets go of a hundred thousand incidents."""

    __slots__ = ()
    first_day = -math.inf
    last_day = property(float)


_SPECIFICITY = {"town": 2, "admin1": 1, "country": 0}


def _index(k: int, inc: Incident, lists: tuple) -> None:
    by_place, by_admin1, provinces, all_provinces, unplaced_towns, wide, everything = lists
    by_place[inc.place].append(k)
    if inc.level == "admin1":
        by_admin1[inc.admin1].append(k)
        provinces[inc.admin1].append(k)
        all_provinces.append(k)
    elif inc.level == "town":
        (by_admin1[inc.admin1] if inc.admin1 else unplaced_towns).append(k)
    else:
        wide.append(k)
    if not everything or everything[-1] != k:
        everything.append(k)


def _most_common(values: Iterable[str]) -> str:
    """The most frequent non-empty value (the first in sort order of equals); '' for none."""
    counts = Counter(values)
    counts.pop("", None)
    if len(counts) <= 1:  # most incidents: one spelling
        return next(iter(counts), "")
    return min(counts, key=lambda v: (-counts[v], v))


def name_incidents(incidents: list[Incident]) -> None:
    """Stable ids (category, place, first date; the smallest figure id breaks ties: :func:`incident_id`)
    of the incidents of every block of a claims task at once."""
    plain = [plain_id(inc) for inc in incidents]
    tied = tied_ids(np.array(plain, dtype="S"), [inc.min_id for inc in incidents],
                    np.fromiter((inc.first[2] for inc in incidents), dtype=bool, count=len(incidents)))
    for inc, plain_one, other in zip(incidents, plain, tied.tolist()):
        inc.id = incident_id(inc) if other else plain_one


def _id_parts(inc: Incident) -> tuple[str, ...]:
    category, scope, loose, figure_id, ref_place = inc.first
    if loose:
        return "single", figure_id
    day = inc.event_day if not math.isnan(inc.event_day) else inc.first_day
    return (category, scope if scope == "cumulative" else "", inc.place, ref_place if category == "distance" else "",
            iso_day(day))


def plain_id(inc: Incident) -> str:
    """An incident's id from its category, place and first date (or its one figure, for a loose one)."""
    return stable_id("i", *_id_parts(inc))


def incident_id(inc: Incident) -> str:
    """The id of an incident whose :func:`plain_id` another took first: its smallest figure id added."""
    return stable_id("i", *_id_parts(inc), inc.min_id)


def tied_ids(plain: np.ndarray, min_ids: Any, loose: np.ndarray) -> np.ndarray:
    """Which incidents take :func:`incident_id`, not their :func:`plain_id` (``plain``: bytes, or numbers
    equal where the ids are): in order of their smallest figure ids (``min_ids``: strings or Arrow
    strings; equals in the order given), all but the first of equal plain ids (two events of one kind,
    place and day); never a loose incident (its own figure's)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ids = min_ids if isinstance(min_ids, (pa.Array, pa.ChunkedArray)) else pa.array(min_ids, type=pa.large_string())
    # (Arrow's sort is stable; it orders strings by their UTF-8 bytes: as Python orders them)
    order = pc.sort_indices(ids).to_numpy()
    _, first = np.unique(plain[order], return_index=True)
    tied = np.ones(len(plain), dtype=bool)
    tied[order[first]] = False
    tied &= ~loose
    return tied


def label_incidents(prep: PreparedFigures, incidents: list[Incident]) -> None:
    """Readable labels and place names of incidents whose rows are rows of ``prep``."""
    location, ref = prep.col["location"], prep.col["reference_place"]
    for inc in incidents:
        category, scope = inc.first[0], inc.first[1]
        specific = [r for r in inc.rows if prep.place[r] == inc.place] or inc.rows
        inc.place_name = _most_common(map(location.__getitem__, specific))
        if category == "distance":
            pair = _most_common(f"{location[r]} – {ref[r]}" for r in inc.rows)
            inc.label = f"distance · {pair}"
            continue
        head = category + (" (cumulative)" if scope == "cumulative" else "")
        day = inc.event_day if not math.isnan(inc.event_day) else inc.first_day
        inc.label = " · ".join(p for p in (head, inc.place_name or "no place", iso_day(day) or "undated") if p)


__all__ = ["Incident", "Sweep", "anchor_days", "block_keys", "incident_id", "label_incidents", "link_incidents",
           "name_incidents", "plain_id", "tied_ids"]

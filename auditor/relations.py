"""Relations between the reports of one incident, and the ones that are violated.

Inside an incident, reports about the same subject and unit are one claim group: the same quantity.
A group's **consensus** is the value most independent sources allow (a sweep over the intervals,
reprints and one outlet's stories counted once); an **outlier** is a report whose interval overlaps
no consensus report.  For tolls that grow (``growing_categories``) the consensus is taken per
publication day, and a later day lower than an earlier one is an ``update`` violation (a
``revision`` when the same outlet lowers its own toll).  Between groups, a part never exceeds its
whole (children ⊂ civilians ⊂ people; a figure with ``part_of``).  Every step is a sort or a
single pass: the cost is linear in the reports (times a log), never one row per pair.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from ._claim_rules import ClaimConfig, PreparedFigures, stable_id
from .incidents import Incident



@dataclass
class Day:
    """The consensus of one group on one publication day (or of the whole group)."""

    day: float
    rows: list[int]
    members: list[int] = field(default_factory=list)
    outliers: list[int] = field(default_factory=list)
    n_sources: int = 0


@dataclass
class Group:
    """One quantity of one incident: its reports, consensus and outliers."""

    id: str
    incident: Incident
    subject: str
    unit: str
    rows: list[int]
    current: list[int]  # rows not superseded by a later figure of their own article
    sources: dict[int, int]
    days: list[Day]

    @property
    def latest(self) -> Day | None:
        return self.days[-1] if self.days else None


@dataclass
class Violation:
    """A relation that does not hold: ``a`` is the outlier / later / part, ``b`` the report it is held against."""

    relation: str  # same | part_of | update | geography
    group: Group
    a: int
    b: int
    consensus: int = 0  # independent sources of the consensus ``b`` belongs to
    revision: bool = False  # an update lowered by the same outlet


# --- independent sources -------------------------------------------------------------------

_REPRINT_MIN_WORDS = 8
_TOKEN = re.compile(r"\w+")
_SHINGLES_HELD = 4096  # reports clustered between two clearings of the shingles (the memory they hold)
_COMMON_GRAM = 8  # distinct sentences of a group sharing a 3-gram, beyond which it is ignored (linear cost)


class _UnionFind:
    """Disjoint sets of ``0 .. n-1`` (list-backed: the items are small integers)."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.sets = n

    def find(self, item: int) -> int:
        parent = self.parent
        while parent[item] != item:
            parent[item] = item = parent[parent[item]]  # path halving
        return item

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)
            self.sets -= 1


@lru_cache(maxsize=200_000)
def _sketch(grams: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(grams)[:3])


@lru_cache(maxsize=200_000)
def _shingles(sentence: str) -> frozenset[str]:
    words = _TOKEN.findall(sentence.casefold())
    if len(words) < _REPRINT_MIN_WORDS:  # short sentences look alike without being copied
        return frozenset()
    return frozenset(map(" ".join, zip(words, words[1:], words[2:])))


def source_clusters(rows: list[int], prep: PreparedFigures, config: ClaimConfig) -> dict[int, int]:
    """Map each row to its source (a small integer): one article, one outlet (or a figure credited
    to it), or a reprint.

    Reprints: the Jaccard similarity of the sentences' word 3-grams, compared only between sentences
    that share a 3-gram (an inverted index keeps this near-linear). The sets joined are the outlets
    (an article is its outlet's) and the articles without one: rows are read once, in comprehensions;
    each outlet, article and distinct sentence is then handled once.
    """
    article_id, outlet_keys, credited_keys = prep.col["article_id"], prep.outlet_keys, prep.credited_keys
    articles = [article_id[r] for r in rows]
    # The outlets each article names (its own, or one a figure credits), in row order.
    named = dict.fromkeys(zip(articles, [outlet_keys[r] for r in rows]))
    credited = [(a, credited_keys[r]) for a, r in zip(articles, rows) if credited_keys[r]]
    if credited:
        named.update(dict.fromkeys(credited))
    article_node: dict[str, int] = {}  # an article -> the node of its (first) outlet, or its own
    outlet_node: dict[str, int] = {}
    links = []  # an article naming two outlets joins them
    for a, key in named:
        if key:
            k = outlet_node.setdefault(key, len(outlet_node))
            if article_node.setdefault(a, k) != k:
                links.append((article_node[a], k))
    n = len(outlet_node)
    for a in dict.fromkeys(articles):
        if a not in article_node:
            article_node[a], n = n, n + 1
    union = _UnionFind(n)
    for j, k in links:
        union.union(j, k)
    nodes = [article_node[a] for a in articles]
    if union.sets > 1:
        # One sentence text is one source whoever printed it; distinct texts are compared by shingles.
        sentence = prep.col["sentence"]
        texts = [sentence[r] for r in rows]
        printed_in = dict(zip(reversed(texts), reversed(nodes)))  # a text -> the node of its first row
        for text, k in [(t, k) for t, k in zip(texts, nodes) if printed_in[t] != k]:
            if union.sets == 1:
                break
            if _shingles(text):  # short sentences look alike without being copied
                union.union(printed_in[text], k)
        # Candidates share one of the three first 3-grams in lexical order (a deterministic min-hash
        # sketch: reprints share most 3-grams, so almost always one of these); Jaccard decides, only
        # between texts not yet of one source, and none once all are one.
        posting: dict[str, list[str]] = defaultdict(list)
        find = union.find
        for text in dict.fromkeys(texts):  # in the order they first appear
            if union.sets == 1:
                break
            grams = _shingles(text)
            if not grams:
                continue
            candidates: set[str] = set()
            for gram in _sketch(grams):
                seen = posting[gram]
                if len(seen) < _COMMON_GRAM:  # a phrase in that many sentences is boilerplate
                    candidates.update(seen)
                    seen.append(text)
            here = find(printed_in[text])
            for other in candidates:
                there = find(printed_in[other])
                if there == here:
                    continue
                other_grams = _shingles(other)
                common = len(grams & other_grams)
                if common / (len(grams) + len(other_grams) - common) >= config.reprint_similarity:
                    union.union(there, here)
                    here = find(here)
    if union.sets == n:  # nothing joined: each node its own root
        return dict(zip(rows, nodes))
    root = [union.find(k) for k in range(n)]
    return dict(zip(rows, map(root.__getitem__, nodes)))


# --- consensus -----------------------------------------------------------------------------

def consensus(rows: list[int], prep: PreparedFigures, sources: dict[int, int], day: float = math.nan) -> Day:
    """The value most independent sources allow, the reports that allow it, and the outliers.

    Sweep over the ends of the reports' support (their interval, with open bounds narrowed as
    ``consensus_support`` says: "up to 400,000" speaks for 200,000-400,000, not for 40,000); closed
    intervals: starts before ends at one value. The best point has the most sources, then the most
    reports, then the lowest value. Members and outliers are then judged on the full intervals.
    """
    if len(rows) == 1:
        return Day(day=day, rows=rows, members=list(rows), outliers=[], n_sources=1)
    lo, hi = prep.lo, prep.hi
    top_low = max(map(lo.__getitem__, rows))
    if top_low <= min(map(hi.__getitem__, rows)):  # all reports agree somewhere: no outlier (the usual case)
        return Day(day=day, rows=rows, members=list(rows), outliers=[],
                   n_sources=len(set(map(sources.__getitem__, rows))))
    s_lo, s_hi = prep.support_lo, prep.support_hi
    events = sorted([(s_lo[r], 0, r) for r in rows] + [(s_hi[r], 1, r) for r in rows])
    active: dict[int, int] = {}
    n_sources = n_rows = 0
    best, point = (0, 0), math.nan
    for value, kind, r in events:
        source = sources[r]
        count = active.get(source, 0)
        if kind == 0:
            active[source] = count + 1
            n_rows += 1
            if count == 0:
                n_sources += 1
            if (n_sources, n_rows) > best:
                best, point = (n_sources, n_rows), value
        else:
            active[source] = count - 1
            n_rows -= 1
            if count == 1:
                n_sources -= 1
    members = [r for r in rows if lo[r] <= point <= hi[r]] or rows[:1]
    # The core every consensus report allows; a report missing it disagrees with at least one of them
    # ("5" against "1,000" and "at least 5": the open bound agrees with anything).
    core_low = max(map(lo.__getitem__, members))
    core_high = min(map(hi.__getitem__, members))
    outliers = [r for r in rows if hi[r] < core_low or lo[r] > core_high]
    return Day(day=day, rows=rows, members=members, outliers=outliers, n_sources=best[0])


class _Nearest:
    """The nearest consensus report that cannot be right with an outlier, from another article.

    Members sorted once by their low and by their high bound; each outlier is a binary search plus
    a short walk past reports of its own article (linear in the group, not outliers x members).
    """

    def __init__(self, members: list[int], prep: PreparedFigures) -> None:
        fid = prep.col["figure_id"]
        self.prep = prep
        self.by_low = sorted(members, key=lambda m: (prep.lo[m], fid[m]))
        self.lows = [prep.lo[m] for m in self.by_low]
        self.by_high = sorted(members, key=lambda m: (-prep.hi[m], fid[m]))
        self.highs = [-prep.hi[m] for m in self.by_high]

    def __call__(self, outlier: int) -> int:
        prep, article = self.prep, self.prep.col["article_id"]
        if prep.hi[outlier] < self.lows[-1]:  # below some member: the lowest member above it
            start, ordered = bisect_right(self.lows, prep.hi[outlier]), self.by_low
        else:  # above: the highest member below it
            start, ordered = bisect_right(self.highs, -prep.lo[outlier]), self.by_high
        for m in ordered[start:]:
            if article[m] != article[outlier]:
                return m
        return -1


# --- groups --------------------------------------------------------------------------------

def build_groups(prep: PreparedFigures, incidents: list[Incident], config: ClaimConfig) -> list[Group]:
    """Claim groups: each incident split by subject class and unit, with their consensus per day."""
    col = prep.col
    # Columns bound once: this loop visits every figure.
    category, unit_of, fid, article = col["category"], col["unit"], col["figure_id"], col["article_id"]
    subject_of, counted, lo, superseded = prep.subject, prep.counted, prep.lo, prep.superseded
    by_counted = config.key_includes_counted
    groups = []
    clustered = 0  # reports whose sources were found since the shingles were last freed
    for inc in incidents:
        if clustered >= _SHINGLES_HELD:  # an incident's reprints are its own: its sentences' shingles go
            _shingles.cache_clear()
            _sketch.cache_clear()
            clustered = 0
        by_key: dict[tuple[str, str], list[int]] = defaultdict(list)
        for r in inc.rows:
            kind = category[r]
            subject = "" if kind == "distance" else counted[r] if kind in by_counted else subject_of[r]
            by_key[(subject, unit_of[r])].append(r)
        for (subject, unit), rows in by_key.items():
            gid = stable_id("g", inc.id, subject, unit) if not prep.loose[rows[0]] else \
                stable_id("g", "single", fid[rows[0]])
            if len(rows) == 1:  # most groups: one report, its own source and consensus
                groups.append(_one_report(gid, inc, subject, unit, rows, lo))
                continue
            rows.sort(key=fid.__getitem__)
            current = [r for r in rows if fid[r] not in superseded] if superseded else rows
            current = [r for r in current or rows if lo[r] == lo[r]]  # NaN: no interval
            multi = len({article[r] for r in current}) > 1
            if multi:
                sources = source_clusters(current, prep, config)
                clustered += len(current)
            else:
                sources = {r: current[0] for r in current}
            group = Group(id=gid, incident=inc, subject=subject, unit=unit, rows=rows, current=current,
                          sources=sources, days=[])
            if current:
                group.days = _days(group, prep, config)
            groups.append(group)
    # The sentences' shingles are freed every few thousand reports (they would grow with the largest
    # blocking key) and with the table's groups: not held through the conflicts and summaries.
    _shingles.cache_clear()
    _sketch.cache_clear()
    return groups


def _one_report(gid: str, inc: Incident, subject: str, unit: str, rows: list[int], lo: list[float]) -> Group:
    """The group of one report: what the general case gives for one row (a report that is superseded
    is still its group's only one; one without an interval has no source and no consensus)."""
    r = rows[0]
    if lo[r] != lo[r]:  # NaN: no interval
        return Group(id=gid, incident=inc, subject=subject, unit=unit, rows=rows, current=[], sources={}, days=[])
    current = [r]
    return Group(id=gid, incident=inc, subject=subject, unit=unit, rows=rows, current=current, sources={r: r},
                 days=[Day(day=math.nan, rows=current, members=[r], outliers=[], n_sources=1)])


def _days(group: Group, prep: PreparedFigures, config: ClaimConfig) -> list[Day]:
    rows = group.current
    category = prep.col["category"][rows[0]]
    if category not in config.growing_categories or len(rows) == 1:
        return [consensus(rows, prep, group.sources)]
    by_day: dict[float, list[int]] = defaultdict(list)
    undated = []
    for r in rows:
        day = prep.pub_day[r]
        (undated if math.isnan(day) else by_day[day]).append(r)
    if not by_day:
        return [consensus(rows, prep, group.sources)]
    if undated:  # an undated report is held against the best-reported day
        largest = min(by_day, key=lambda d: (-len(by_day[d]), d))
        by_day[largest].extend(undated)
    return [consensus(by_day[d], prep, group.sources, d) for d in sorted(by_day)]


# --- violations ----------------------------------------------------------------------------

def violations(prep: PreparedFigures, groups: list[Group], config: ClaimConfig) -> list[Violation]:
    """Every violated relation: outliers of the same quantity, shrinking tolls, parts above their whole."""
    found: list[Violation] = []
    for group in groups:
        for day in group.days:
            if len(day.rows) < 2:
                continue
            nearest = _Nearest(day.members, prep) if day.outliers else None
            for r in day.outliers:
                b = nearest(r)
                if b >= 0:
                    found.append(Violation("same", group, r, b, consensus=day.n_sources))
        if len(group.days) > 1:  # one day has nothing earlier to shrink from
            found.extend(_shrinking(group, prep))
    found.extend(_parts(prep, groups, config))
    return found


def _shrinking(group: Group, prep: PreparedFigures) -> list[Violation]:
    """Later days whose whole consensus lies below what an earlier day's consensus agreed on."""
    found = []
    floor, floor_row = -math.inf, -1
    outlet_keys, fid, lo, hi, pub_day = prep.outlet_keys, prep.col["figure_id"], prep.lo, prep.hi, prep.pub_day
    for day in group.days:
        if math.isnan(day.day):
            continue
        dated = [m for m in day.members if pub_day[m] == pub_day[m]]  # an undated one has no "later"
        if not dated:
            continue
        ceiling_row = max(dated, key=lambda m: (hi[m], fid[m]))
        if floor_row >= 0 and hi[ceiling_row] < floor:
            same = outlet_keys[ceiling_row] and outlet_keys[ceiling_row] == outlet_keys[floor_row]
            found.append(Violation("update", group, ceiling_row, floor_row, consensus=day.n_sources,
                                   revision=bool(same)))
            continue  # a lowered toll does not raise the floor
        low_row = min(dated, key=lambda m: (lo[m], fid[m]))
        if lo[low_row] > floor:
            floor, floor_row = lo[low_row], low_row
    return found


def _parts(prep: PreparedFigures, groups: list[Group], config: ClaimConfig) -> list[Violation]:
    """A part above its whole: between groups of one incident, and for a figure naming its total."""
    found = []
    by_incident: dict[str, dict[tuple[str, str], Group]] = defaultdict(dict)
    for group in groups:
        by_incident[group.incident.id][(group.subject, group.unit)] = group
    for group in groups:
        whole = _whole_group(group, by_incident[group.incident.id], config)
        if whole is None:
            continue
        wholes = {d.day: d for d in whole.days}
        for day in group.days:
            other = wholes.get(day.day) if len(group.days) > 1 or len(whole.days) > 1 else whole.days[0]
            if other is None or not day.members or not other.members:
                continue
            # Only when no report of the whole allows the part's consensus (the whole's own outliers
            # are shown in its group).
            part_row = min(day.members, key=lambda m: (prep.lo[m], prep.col["figure_id"][m]))
            whole_row = max(other.rows, key=lambda m: (prep.hi[m], prep.col["figure_id"][m]))
            if prep.lo[part_row] > prep.hi[whole_row]:
                found.append(Violation("part_of", group, part_row, whole_row, consensus=day.n_sources))
    # "126 killed, including 68 children" read as 168 and 126: the part names its whole.
    # Of the reports of ``groups`` (in row order): the table's groups may be built a chunk at a time.
    part_of = prep.col["part_of"]
    naming = sorted(((r, part_of[r], g) for g in groups for r in g.rows if part_of[r]), key=lambda t: t[0])
    if not naming:  # the usual case
        return found
    for r, whole_id, group in naming:
        w = prep.whole_rows.get(whole_id)
        if w is None or math.isnan(prep.stated_lo[r]) or math.isnan(prep.stated_hi[w]):
            continue
        if prep.stated_lo[r] > prep.stated_hi[w] and not _named_back(prep, r, w):
            found.append(Violation("part_of", group, r, w))
    return found


def _named_back(prep: PreparedFigures, r: int, w: int) -> bool:
    """Whether the total ``w`` that ``r`` names is an earlier row naming ``r`` as its total, and above it
    too: of two figures above each other (never both from extraction: a range's low end is never above
    its high end), the earlier row's naming is their conflict, whichever incident is built first."""
    return w < r and prep.whole_rows.get(prep.col["part_of"][w]) == r and prep.stated_lo[w] > prep.stated_hi[r]


def _whole_group(group: Group, groups: dict[tuple[str, str], Group], config: ClaimConfig) -> Group | None:
    subject = group.subject
    if subject.endswith("|part"):
        return None  # checked figure by figure against the total it names
    if subject not in config.checked_parts:
        return None
    parent = config.parent_subject(subject)
    while parent:
        if (parent, group.unit) in groups:
            return groups[(parent, group.unit)]
        parent = config.parent_subject(parent)
    return None


__all__ = ["Day", "Group", "Violation", "build_groups", "consensus", "source_clusters", "violations"]

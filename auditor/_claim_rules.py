"""The claim rules (``auditor/data/claims.yaml``) and the figure table the claim stages read.

:func:`prepare` turns the figures DataFrame into plain columns (lists: the loops of the later
stages must not go through pandas) with each figure's interval, days, place hierarchy and
subject class.  Everything is computed per distinct value (places, actors, dates), so the cost is
one pass over the rows plus one look-up per distinct name.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .actors import normalise_actor, outlet_or_org
from .gazetteer import Place, default_gazetteer
from .intervals import Interval
from .knowledge import parse_yaml

_CONFIG_PATH = Path(__file__).parent / "data" / "claims.yaml"
_TEXT_COLUMNS = (
    "figure_id", "article_id", "category", "unit", "subject", "location", "reference_place", "counted",
    "qualifier", "surface", "sentence", "outlet", "published", "supersedes", "source",
    "source_type", "scope", "event_date", "place_id", "admin1", "country", "part_of", "title",
)
_NUMBER_COLUMNS = ("value", "low", "high", "reported_value")
# What only the blocking and the linking of reports read of the prepared table (PreparedFigures.forget_linking).
_LINKING_ONLY = ("event_day", "level", "admin1", "country", "ref_place", "scope")
_EPOCH = np.datetime64("1970-01-01", "D")


@dataclass(frozen=True)
class ClaimConfig:
    """The knobs of ``auditor/data/claims.yaml`` (see the comments there)."""

    approximate_tolerance: float = 0.05
    time_window_days: dict[str, float | None] = field(default_factory=dict)
    default_time_window_days: float = 3.0
    implicit_tolerance: dict[str, float] = field(default_factory=dict)
    growing_categories: frozenset[str] = frozenset()
    same_value_tolerance: float = 0.02
    severity_high: float = 0.5
    severity_medium: float = 0.2
    reprint_similarity: float = 0.6
    key_includes_counted: frozenset[str] = frozenset()
    require_location: bool = True
    geo_min_ratio: float = 0.9
    geo_max_ratio: float = 1.5
    geo_point_kinds: frozenset[str] = frozenset({"city"})
    link: dict[str, float] = field(default_factory=dict)
    stopwords: frozenset[str] = frozenset()
    whole_subject: str = "people"
    subject_parents: dict[str, str] = field(default_factory=dict)
    subject_words: dict[str, str] = field(default_factory=dict)
    checked_parts: frozenset[str] = frozenset()
    cumulative_window_days: float = 30.0
    point_events: frozenset[str] = frozenset()
    support_upper_bound: float = 0.5
    support_lower_bound: float = 2.0

    def window(self, category: str) -> float | None:
        """Days two reports of ``category`` may lie apart and be one incident; ``None`` = always."""
        if category in self.time_window_days:
            return self.time_window_days[category]
        return self.default_time_window_days

    def severity(self, relative_difference: float) -> str:
        if relative_difference >= self.severity_high:
            return "high"
        if relative_difference >= self.severity_medium:
            return "medium"
        return "low"

    def parent_subject(self, subject: str) -> str:
        """The whole a subject is a part of: children -> civilians -> people; '' for the whole itself."""
        if subject == self.whole_subject or not subject:
            return ""
        return self.subject_parents.get(subject, self.whole_subject)


@cache
def load_config(path: Path = _CONFIG_PATH) -> ClaimConfig:
    """Read the claim rules (cached per path)."""
    raw: dict[str, Any] = parse_yaml(Path(path).read_text(encoding="utf-8")) or {}
    severity = raw.get("severity") or {}
    geography = raw.get("geography") or {}
    subjects = raw.get("subjects") or {}
    incidents = raw.get("incidents") or {}
    windows = {str(k): (None if v is None else float(v)) for k, v in (raw.get("time_window_days") or {}).items()}
    words = {}
    for subject, spellings in (subjects.get("words") or {}).items():
        for spelling in spellings or ():
            words[str(spelling).casefold()] = str(subject)
    return ClaimConfig(
        approximate_tolerance=float(raw.get("approximate_tolerance", 0.05)),
        time_window_days=windows,
        default_time_window_days=float(raw.get("default_time_window_days", 3)),
        implicit_tolerance={str(k): float(v) for k, v in (raw.get("implicit_tolerance") or {}).items()},
        growing_categories=frozenset(raw.get("growing_categories") or ()),
        same_value_tolerance=float(raw.get("same_value_tolerance", 0.02)),
        severity_high=float(severity.get("high", 0.5)),
        severity_medium=float(severity.get("medium", 0.2)),
        reprint_similarity=float(raw.get("reprint_similarity", 0.6)),
        key_includes_counted=frozenset(raw.get("key_includes_counted") or ()),
        require_location=bool(raw.get("require_location", True)),
        geo_min_ratio=float(geography.get("min_ratio", 0.9)),
        geo_max_ratio=float(geography.get("max_ratio", 1.5)),
        geo_point_kinds=frozenset(geography.get("point_kinds") or ("city",)),
        link={str(k): float(v) for k, v in (incidents.get("weights") or {}).items()}
        | {k: float(incidents[k]) for k in ("threshold", "event_date_tolerance_days", "max_candidates",
                                            "profile_reports", "min_words") if k in incidents},
        stopwords=frozenset(str(w).casefold() for w in incidents.get("stopwords") or ()),
        whole_subject=str(subjects.get("whole", "people")),
        subject_parents={str(k): str(v) for k, v in (subjects.get("parents") or {}).items()},
        subject_words=words,
        checked_parts=frozenset(subjects.get("checked_parts") or ()),
        cumulative_window_days=float(raw.get("cumulative_window_days", 30)),
        point_events=frozenset(incidents.get("point_event_categories") or ()),
        support_upper_bound=float((raw.get("consensus_support") or {}).get("up_to", 0.5)),
        support_lower_bound=float((raw.get("consensus_support") or {}).get("at_least", 2.0)),
    )


def stable_id(prefix: str, *parts: str) -> str:
    """A short id that depends only on ``parts`` (never on row order)."""
    return prefix + hashlib.sha1("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:12]


# --- places, actors, outlets ---------------------------------------------------------------

def _plain(text: str) -> str:
    text = " ".join(str(text).casefold().split())
    return re.sub(r"^the ", "", text)


# Names (places, actors, outlets) each memo of the claim rules keeps, the most recently used: a worker
# keeps them from one claims task to the next, and a corpus's names never stop coming (~0.5 KB each).
NAME_MEMO = 32_768


@lru_cache(maxsize=NAME_MEMO)
def gazetteer_place(name: str) -> Place | None:
    return default_gazetteer().lookup(name) if name.strip() else None


@lru_cache(maxsize=NAME_MEMO)
def place_key(name: str) -> str:
    """The gazetteer's name for a place (Beiji -> Baiji), else its plain text; '' for none."""
    if not name.strip():
        return ""
    place = gazetteer_place(name)
    return _plain(place.name if place is not None else name)


@lru_cache(maxsize=NAME_MEMO)
def actor_key(name: str) -> str:
    """The normalised actor (PMF -> Hashd al-Shaabi), plain text; '' for none."""
    return _plain(normalise_actor(name)) if name.strip() else ""


@lru_cache(maxsize=NAME_MEMO)
def outlet_key(name: str) -> str:
    """One key per outlet however it is written (Associated Press -> AP); '' for none."""
    if not name.strip():
        return ""
    actor = outlet_or_org(name)
    return _plain(actor.name if actor is not None else name)


_LEVELS = {"country": "country", "region": "admin1"}


@lru_cache(maxsize=NAME_MEMO)
def place_hierarchy(location: str, place_id: str, admin1: str, country: str) -> tuple[str, str, str, str]:
    """``(place key, level, admin1 key, country)`` of a figure's place.

    Uses the extraction's ``place_id``/``admin1``/``country`` when present, else looks the
    ``location`` name up in the gazetteer (its kind, province and country).
    ``level`` is ``town``, ``admin1`` or ``country``; a name the gazetteer does not know is a town.
    """
    if not location.strip() and not place_id.strip():
        return "", "", "", ""
    place = gazetteer_place(location) if location.strip() else None
    key = place_id.strip() or place_key(location)
    level = _LEVELS.get(place.kind, "town") if place is not None else "town"
    country = (country.strip() or (place.country if place is not None else "")).upper()
    if not admin1.strip() and place is not None:
        admin1 = getattr(place, "admin1", "") or ""  # the gazetteer's province, when it knows it
    admin1_key = _plain(admin1) if admin1.strip() else ""
    if level == "country":
        admin1_key = ""
    elif level == "admin1" or (place is None and admin1_key and admin1_key == _plain(location)):
        level, admin1_key = "admin1", _plain(location)
    return key, level, admin1_key, country


def _counted_head(counted: str) -> str:
    words = re.findall(r"[a-z]+", counted.casefold())
    words = [w for w in words if w not in {"the", "of", "a", "an", "some", "about", "more", "than", "at", "least"}]
    if not words:
        return ""
    head = words[-1]
    return head[:-1] if head.endswith("s") and len(head) > 3 and not head.endswith("ss") else head


def subject_class(subject: str, counted: str, config: ClaimConfig) -> str:
    """Who a figure counts, as a key of the subject hierarchy ('people', 'civilians', 'isis', '(soldier)')."""
    # What is counted, when it names a class ("people", "children"), says more than the actor the
    # extractor attached ("40 people" is not only civilians).
    head = _counted_head(counted)
    for text in (counted.casefold().strip(), head):
        if text in config.subject_words:
            return config.subject_words[text]
    if subject.strip():
        if subject.casefold().strip() in config.subject_words:
            return config.subject_words[subject.casefold().strip()]
        return actor_key(subject)
    return f"({head})" if head else config.whole_subject


def counted_key(counted: str) -> str:
    return _counted_head(counted)


# --- the prepared table --------------------------------------------------------------------

@dataclass
class PreparedFigures:
    """Plain columns (lists, row order of the input; ``col``: those the stages read after
    :func:`prepare`) and what the claim stages derive from them."""

    n: int
    col: dict[str, list[Any]]
    lo: list[float]  # interval bounds with the approximate / implicit slack (inf = unbounded)
    hi: list[float]
    stated_lo: list[float]  # bounds as written
    stated_hi: list[float]
    pub_day: list[float]  # days since 1970 (NaN = unknown)
    event_day: list[float]
    place: list[str]
    level: list[str]
    admin1: list[str]
    country: list[str]
    ref_place: list[str]
    subject: list[str]  # subject class
    counted: list[str]
    loose: list[bool]
    superseded: set[str]
    scope: list[str]
    support_lo: list[float] = field(default_factory=list)  # what a report speaks for, when choosing a consensus
    support_hi: list[float] = field(default_factory=list)
    outlet_keys: list[str] = field(default_factory=list)  # outlet_key of the outlet ('' for none)
    credited_keys: list[str] = field(default_factory=list)  # outlet_key of an outlet the figure credits, else ''
    # The row of each figure id a figure names as its total (``part_of``; the last of equal ids): made
    # once, not once per chunk of incidents the groups are built in (a pass over the whole table each)
    whole_rows: dict[str, int] = field(default_factory=dict)

    def stated(self, i: int) -> Interval:
        return Interval(self.stated_lo[i], self.stated_hi[i])

    def forget_linking(self) -> None:
        """Let go of what only the blocking and linking of reports into incidents read
        (:mod:`auditor.incidents`): not read by the groups, conflicts and summaries built after them,
        while a claims task is at its peak (a list per figure each: 1.5 MB of a 26,769-figure task)."""
        for name in _LINKING_ONLY:
            setattr(self, name, [])
        self.col.pop("title", None)


def _float_list(values: np.ndarray) -> list[float]:
    """``values.tolist()`` with one float object per distinct value (by its bits: 0.0 and -0.0
    apart), not one per row: figures repeat a few amounts and days. NaN stays one object per row,
    as ``tolist`` makes it: a NaN is equal to nothing, and the stages' look-ups (dicts, tuples)
    treat one object as equal to itself."""
    values = np.ascontiguousarray(values, dtype="float64")
    if len(values) < 2:
        return values.tolist()
    distinct, inverse = np.unique(values.view(np.int64), return_inverse=True)
    shared = distinct.view("float64").tolist()
    out = [shared[k] for k in inverse.reshape(-1).tolist()]
    for r in np.flatnonzero(np.isnan(values)).tolist():
        out[r] = float("nan")
    return out


def _float_list_as(values: np.ndarray, known: np.ndarray, known_list: list[float]) -> list[float]:
    """:func:`_float_list` of ``values``, or ``known_list`` (that of ``known``) itself when they are
    ``known``'s bit for bit: a figure's bounds as written are mostly its bounds, and what it speaks for
    in a consensus mostly its interval (a list of a pointer per figure not made twice; the lists are
    only read)."""
    bits = np.ascontiguousarray(values, dtype="float64").view(np.int64)
    if np.array_equal(bits, np.ascontiguousarray(known, dtype="float64").view(np.int64)):
        return known_list
    return _float_list(values)


def _whole_rows(col: dict[str, list[Any]]) -> dict[str, int]:
    """``figure_id -> row`` of the figures some figure names as its total (the last row of equal ids)."""
    named = set(col["part_of"]) - {""}
    if not named:  # the usual case
        return {}
    return {fid: r for r, fid in enumerate(col["figure_id"]) if fid in named}


def _days(values: list[str]) -> np.ndarray:
    """Days since 1970 of ISO dates (their first 10 characters); NaN where there is none."""
    written = list(set(values))  # each distinct value parsed (and cut) once
    parsed = pd.to_datetime(pd.Series([v[:10] for v in written], dtype=object), format="%Y-%m-%d", errors="coerce")
    days = (parsed.values.astype("datetime64[D]") - _EPOCH).astype("float64")
    days[parsed.isna().to_numpy()] = np.nan
    table = dict(zip(written, days.tolist()))
    return np.array([table[v] for v in values], dtype="float64")


def _intervals(col: dict[str, list[Any]], config: ClaimConfig, approximate: bool,
               slack_implicit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`auditor.intervals.figure_interval` over the table (NaN low = no interval);
    ``slack_implicit``: each figure's ``implicit_tolerance`` (:func:`_implicit_slack`)."""
    v, lo, hi = (np.asarray(col[c], dtype="float64") for c in ("value", "low", "high"))
    q = np.asarray(col["qualifier"], dtype=object)
    out_lo = np.full(len(v), np.nan)
    out_hi = np.full(len(v), np.nan)
    lower = np.isin(q, ("at_least", "more_than"))
    upper = np.isin(q, ("at_most", "less_than"))
    ranged = np.isin(q, ("range", "vague"))
    point = ~(lower | upper | ranged)
    with np.errstate(invalid="ignore"):
        bound = np.where(np.isnan(lo), v, lo)
        top = np.where(~np.isnan(hi) & (hi >= bound), hi, np.inf)
        ok = lower & ~np.isnan(bound)
        out_lo[ok], out_hi[ok] = (bound * (1 - slack_implicit))[ok], top[ok]
        bound = np.where(np.isnan(hi), v, hi)
        floor = np.where(np.isnan(lo) | (lo > bound), 0.0, lo)
        ok = upper & ~np.isnan(bound)
        out_lo[ok], out_hi[ok] = floor[ok], (bound * (1 + slack_implicit))[ok]
        r_lo = np.where(np.isnan(lo), v, lo)
        r_hi = np.where(q == "range", np.where(np.isnan(hi), v, hi), hi)
        ok = ranged & ~(np.isnan(r_lo) & np.isnan(r_hi))
        r_lo, r_hi = np.where(np.isnan(r_lo), 0.0, r_lo), np.where(np.isnan(r_hi), np.inf, r_hi)
        out_lo[ok], out_hi[ok] = (r_lo * (1 - slack_implicit))[ok], (r_hi * (1 + slack_implicit))[ok]
        p_lo = np.where(~np.isnan(lo), lo, np.where(~np.isnan(v), v, hi))
        p_hi = np.where(~np.isnan(hi), hi, np.where(~np.isnan(v), v, lo))
        slack = np.where((q == "approximate") & approximate, config.approximate_tolerance, 0.0)
        slack = np.maximum(slack, slack_implicit) if approximate else slack
        ok = point & ~np.isnan(p_lo)
        a, b = np.minimum(p_lo, p_hi), np.maximum(p_lo, p_hi)
        out_lo[ok], out_hi[ok] = (a * (1 - slack))[ok], (b * (1 + slack))[ok]
    return out_lo, out_hi


def _implicit_slack(col: dict[str, list[Any]], config: ClaimConfig) -> np.ndarray:
    """Each figure's ``implicit_tolerance`` (by its category)."""
    return np.array(_mapped(col, ["category"], lambda c: config.implicit_tolerance.get(c, 0.0)), dtype="float64")


def _mapped(col: dict[str, list[Any]], names: list[str], function: Any) -> list[Any]:
    """``function(*row[names])`` for every row, computed once per distinct combination."""
    if len(names) == 1:
        values = col[names[0]]
        table = {key: function(key) for key in set(values)}
        return [table[key] for key in values]
    keys = list(zip(*(col[c] for c in names)))
    table = {key: function(*key) for key in set(keys)}
    return [table[key] for key in keys]


def _text_list(figures: pd.DataFrame, column: str) -> list[str]:
    """A text column as a list ('' for missing), one string object per distinct value: a key's
    figures repeat their category, outlet, date, sentence..., which are then held (and hashed by the
    stages' look-ups) once, not once per figure."""
    if column not in figures:
        return [""] * len(figures)
    series = figures[column]
    if pd.api.types.is_string_dtype(series.dtype) and series.dtype != object:
        codes, distinct = pd.factorize(series.array)  # missing: code -1, the '' appended last
        return np.append(np.asarray(distinct, dtype=object), "")[codes].tolist()
    out = series.to_numpy(dtype=object, na_value="").tolist()
    if not pd.api.types.is_string_dtype(series.dtype) or series.dtype == object and any(type(v) is not str for v in out):
        out = ["" if v is None or (isinstance(v, float) and v != v) else str(v) for v in out]
    return out


def columns(figures: pd.DataFrame, consume: bool = False) -> dict[str, list[Any]]:
    """The figure table as plain lists ('' for missing text, NaN for missing numbers); ``consume``:
    each column read is dropped from ``figures`` (the table and its lists are not held whole at once)."""
    n = len(figures)

    def used(c: str) -> None:
        if consume and c in figures:
            del figures[c]

    col: dict[str, list[Any]] = {}
    for c in _TEXT_COLUMNS:
        col[c] = _text_list(figures, c)
        used(c)
    for c in _NUMBER_COLUMNS:
        if c in figures:
            numbers = pd.to_numeric(figures[c], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        else:
            numbers = np.full(n, np.nan)
        col[c] = _float_list(numbers)
        used(c)
    col["start"] = figures["start"].tolist() if "start" in figures else [0] * n
    used("start")
    return col


def _event_days(col: dict[str, list[Any]], category: list[str], places: list[tuple[str, str, str, str]],
                scope: list[str]) -> list[float]:
    """Each figure's event day (days since 1970, NaN: none): the date its text gives, else a dated
    sibling's in its article (below)."""
    event_day = _float_list(_days(col["event_date"]))
    # A headline restating a figure of its article ("... kills five") is about the same event as the
    # sentence that dates it: same article, category and value take that sentence's event date.
    # (Same country and scope too: both stay in one block of blocking_keys.)
    def sibling(i: int) -> tuple:
        return col["article_id"][i], category[i], col["value"][i], places[i][3], scope[i]

    dated: dict[tuple, float] = {}
    for i, day in enumerate(event_day):
        if day == day:
            dated.setdefault(sibling(i), day)
    if dated:  # only the undated figures of an article with a dated one can take its date
        with_dates, article = {key[0] for key in dated}, col["article_id"]
        for i in [i for i, day in enumerate(event_day) if day != day and article[i] in with_dates]:
            event_day[i] = dated.get(sibling(i), event_day[i])
    return event_day


def prepare(figures: pd.DataFrame, config: ClaimConfig, consume: bool = False,
            event_days: np.ndarray | None = None) -> PreparedFigures:
    """Everything the claim stages read, per figure, in input row order (``consume``: see :func:`columns`).

    ``event_days``: each figure's event day (days since 1970, NaN: none) as the figures of its whole
    article give it, for figures prepared without some of their article's (a streamed claims task's
    part): not found again here."""
    n = len(figures)
    col = columns(figures, consume)
    # The columns only read here (what the stages read of them is derived: the interval, the place, the
    # event day, the credited outlet, the superseded ids, the scope's key) are let go once read: a list
    # of a pointer per figure each, 2.1 MB of a 26,769-figure claims task (the prepared table's peak).
    slack = _implicit_slack(col, config)
    lo, hi = _intervals(col, config, approximate=True, slack_implicit=slack)
    stated_lo, stated_hi = _intervals(col, config, approximate=False, slack_implicit=slack)
    del col["low"], col["high"]
    places = _mapped(col, ["location", "place_id", "admin1", "country"], place_hierarchy)
    del col["place_id"], col["admin1"], col["country"]
    category = col["category"]
    refs = _mapped(col, ["reference_place"], place_key)
    subjects = _mapped(col, ["subject", "counted"], lambda s, c: subject_class(s, c, config))
    counted = _mapped(col, ["counted"], counted_key)
    scope = _mapped({"scope": col.pop("scope")}, ["scope"], lambda s: s.strip().casefold() or "incident")
    event_day = _float_list(event_days) if event_days is not None else _event_days(col, category, places, scope)
    del col["event_date"]
    superseded = set(col.pop("supersedes")) - {""}
    lo_list, hi_list = _float_list(lo), _float_list(hi)
    loose = []
    for i in range(n):
        place = places[i][0]
        no_interval = lo_list[i] != lo_list[i]
        if category[i] == "distance":
            loose.append(no_interval or not place or not refs[i])
        else:
            loose.append(
                no_interval
                or (not place and config.require_location)
                or (category[i] in config.key_includes_counted and not counted[i])
                or (scope[i] == "historical" and event_day[i] != event_day[i])
            )
    # A part of a stated total ("including 68 children") is never the same quantity as the total.
    subject = [s if not p else f"{s}|part" for s, p in zip(subjects, col["part_of"])]
    # Open bounds speak for values near them when a consensus is chosen ("up to N": N/2..N).
    qualifier = np.asarray(col["qualifier"], dtype=object)
    up_to = np.isin(qualifier, ("at_most", "less_than"))
    at_least = np.isin(qualifier, ("at_least", "more_than"))
    support_lo = np.where(up_to, hi * config.support_upper_bound, lo)
    support_hi = np.where(at_least & np.isinf(hi), lo * config.support_lower_bound, hi)
    # Independent sources are outlets, however written: each name keyed once.
    credited = [s if t == "outlet" else "" for s, t in zip(col.pop("source"), col.pop("source_type"))]
    return PreparedFigures(
        support_lo=_float_list_as(support_lo, lo, lo_list), support_hi=_float_list_as(support_hi, hi, hi_list),
        outlet_keys=_mapped(col, ["outlet"], outlet_key),
        credited_keys=_mapped({"credited": credited}, ["credited"], outlet_key),
        n=n, col=col, lo=lo_list, hi=hi_list, stated_lo=_float_list_as(stated_lo, lo, lo_list),
        stated_hi=_float_list_as(stated_hi, hi, hi_list), pub_day=_float_list(_days(col["published"])),
        event_day=event_day,
        place=[p[0] for p in places], level=[p[1] for p in places], admin1=[p[2] for p in places],
        country=[p[3] for p in places], ref_place=refs, subject=subject, counted=counted, loose=loose,
        superseded=superseded, scope=scope, whole_rows=_whole_rows(col),
    )


__all__ = ["ClaimConfig", "PreparedFigures", "load_config", "prepare", "stable_id"]

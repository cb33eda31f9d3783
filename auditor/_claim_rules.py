"""The claim rules (``auditor/data/claims.yaml``) and the figure table the claim stages read.

:func:`prepare` turns the figures DataFrame into plain columns (lists: the loops of the later
stages must not go through pandas) with each figure's interval, days, place hierarchy and
subject class.  Everything is computed per distinct value (places, actors, dates), so the cost is
one pass over the rows plus one look-up per distinct name.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .actors import normalise_actor, outlet_or_org
from .gazetteer import Place, default_gazetteer
from .intervals import Interval

_CONFIG_PATH = Path(__file__).parent / "data" / "claims.yaml"
_TEXT_COLUMNS = (
    "figure_id", "article_id", "category", "unit", "subject", "location", "reference_place", "counted",
    "qualifier", "surface", "sentence", "outlet", "published", "supersedes", "reported_unit", "source",
    "source_type", "scope", "event_date", "place_id", "admin1", "country", "part_of", "title",
)
_NUMBER_COLUMNS = ("value", "low", "high", "reported_value")
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
    cumulative_window_days: float = 30.0

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
    raw: dict[str, Any] = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
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
                                            "profile_reports") if k in incidents},
        stopwords=frozenset(str(w).casefold() for w in incidents.get("stopwords") or ()),
        whole_subject=str(subjects.get("whole", "people")),
        subject_parents={str(k): str(v) for k, v in (subjects.get("parents") or {}).items()},
        subject_words=words,
        cumulative_window_days=float(raw.get("cumulative_window_days", 30)),
    )


def stable_id(prefix: str, *parts: str) -> str:
    """A short id that depends only on ``parts`` (never on row order)."""
    return prefix + hashlib.sha1("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:12]


# --- places, actors, outlets ---------------------------------------------------------------

def _plain(text: str) -> str:
    text = " ".join(str(text).casefold().split())
    return re.sub(r"^the ", "", text)


@cache
def gazetteer_place(name: str) -> Place | None:
    return default_gazetteer().lookup(name) if name.strip() else None


@cache
def place_key(name: str) -> str:
    """The gazetteer's name for a place (Beiji -> Baiji), else its plain text; '' for none."""
    if not name.strip():
        return ""
    place = gazetteer_place(name)
    return _plain(place.name if place is not None else name)


@cache
def actor_key(name: str) -> str:
    """The normalised actor (PMF -> Hashd al-Shaabi), plain text; '' for none."""
    return _plain(normalise_actor(name)) if name.strip() else ""


@cache
def outlet_key(name: str) -> str:
    """One key per outlet however it is written (Associated Press -> AP); '' for none."""
    if not name.strip():
        return ""
    actor = outlet_or_org(name)
    return _plain(actor.name if actor is not None else name)


_LEVELS = {"country": "country", "region": "admin1"}


@cache
def place_hierarchy(location: str, place_id: str, admin1: str, country: str) -> tuple[str, str, str, str]:
    """``(place key, level, admin1 key, country)`` of a figure's place.

    Uses the extraction's ``place_id``/``admin1``/``country`` when present, else looks the
    ``location`` name up in the gazetteer (which gives the country and the kind, not the province).
    ``level`` is ``town``, ``admin1`` or ``country``; a name the gazetteer does not know is a town.
    """
    if not location.strip() and not place_id.strip():
        return "", "", "", ""
    place = gazetteer_place(location) if location.strip() else None
    key = place_id.strip() or place_key(location)
    level = _LEVELS.get(place.kind, "town") if place is not None else "town"
    country = (country.strip() or (place.country if place is not None else "")).upper()
    admin1_key = _plain(admin1) if admin1.strip() else ""
    if level == "country":
        admin1_key = ""
    elif level == "admin1" or (admin1_key and admin1_key == _plain(location)):
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
    for text in (subject, counted):
        if text and text.casefold().strip() in config.subject_words:
            return config.subject_words[text.casefold().strip()]
    if subject.strip():
        return actor_key(subject)
    head = _counted_head(counted)
    if not head:
        return config.whole_subject
    return config.subject_words.get(head, f"({head})")


def counted_key(counted: str) -> str:
    return _counted_head(counted)


# --- the prepared table --------------------------------------------------------------------

@dataclass
class PreparedFigures:
    """Plain columns (lists, row order of the input) and what the claim stages derive from them."""

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

    def interval(self, i: int) -> Interval:
        return Interval(self.lo[i], self.hi[i])

    def stated(self, i: int) -> Interval:
        return Interval(self.stated_lo[i], self.stated_hi[i])


def _days(values: pd.Series) -> np.ndarray:
    dates = pd.to_datetime(values.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    days = (dates.values.astype("datetime64[D]") - _EPOCH).astype("float64")
    days[dates.isna().to_numpy()] = np.nan
    return days


def _intervals(frame: pd.DataFrame, config: ClaimConfig, approximate: bool) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`auditor.intervals.figure_interval` over the table (NaN low = no interval)."""
    v, lo, hi = (frame[c].to_numpy(dtype="float64") for c in ("value", "low", "high"))
    q = frame["qualifier"].to_numpy()
    slack_implicit = frame["category"].map(config.implicit_tolerance).fillna(0.0).to_numpy(dtype="float64")
    out_lo = np.full(len(frame), np.nan)
    out_hi = np.full(len(frame), np.nan)
    lower = np.isin(q, ("at_least", "more_than"))
    upper = np.isin(q, ("at_most", "less_than"))
    ranged = np.isin(q, ("range", "vague"))
    point = ~(lower | upper | ranged)
    with np.errstate(invalid="ignore"):
        bound = np.where(np.isnan(lo), v, lo)
        top = np.where(~np.isnan(hi) & (hi >= bound), hi, np.inf)
        out_lo[lower], out_hi[lower] = (bound * (1 - slack_implicit))[lower], top[lower]
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


def _mapped(frame: pd.DataFrame, columns: list[str], function: Any) -> list[Any]:
    """``function(*row[columns])`` for every row, computed once per distinct combination."""
    keys = list(zip(*(frame[c].tolist() for c in columns)))
    table = {key: function(*key) for key in set(keys)}
    return [table[key] for key in keys]


def text_frame(figures: pd.DataFrame) -> pd.DataFrame:
    frame = figures.reset_index(drop=True)
    frame = frame.copy()
    for column in _TEXT_COLUMNS:
        if column not in frame:
            frame[column] = ""
        values = frame[column]
        frame[column] = values.astype(object).where(values.notna(), "").astype(str)
    for column in _NUMBER_COLUMNS:
        if column not in frame:
            frame[column] = math.nan
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    if "start" not in frame:
        frame["start"] = 0
    return frame


def prepare(figures: pd.DataFrame, config: ClaimConfig) -> PreparedFigures:
    """Everything the claim stages read, per figure, in input row order."""
    frame = text_frame(figures)
    n = len(frame)
    lo, hi = _intervals(frame, config, approximate=True)
    stated_lo, stated_hi = _intervals(frame, config, approximate=False)
    places = _mapped(frame, ["location", "place_id", "admin1", "country"], place_hierarchy)
    category = frame["category"].tolist()
    is_distance = [c == "distance" for c in category]
    refs = _mapped(frame, ["reference_place"], place_key)
    subjects = _mapped(frame, ["subject", "counted"], lambda s, c: subject_class(s, c, config))
    counted = _mapped(frame, ["counted"], counted_key)
    scope = [s.strip().casefold() or "incident" for s in frame["scope"].tolist()]
    event_day = _days(frame["event_date"])
    loose = []
    for i in range(n):
        place = places[i][0]
        no_interval = math.isnan(lo[i])
        if is_distance[i]:
            loose.append(no_interval or not place or not refs[i])
        else:
            loose.append(
                no_interval
                or (not place and config.require_location)
                or (category[i] in config.key_includes_counted and not counted[i])
                or (scope[i] == "historical" and math.isnan(event_day[i]))
            )
    # A part of a stated total ("including 68 children") is never the same quantity as the total.
    subject = [s if not p else f"{s}|part" for s, p in zip(subjects, frame["part_of"].tolist())]
    col = {c: frame[c].tolist() for c in (*_TEXT_COLUMNS, *_NUMBER_COLUMNS, "start")}
    return PreparedFigures(
        n=n, col=col, lo=lo.tolist(), hi=hi.tolist(), stated_lo=stated_lo.tolist(), stated_hi=stated_hi.tolist(),
        pub_day=_days(frame["published"]).tolist(), event_day=event_day.tolist(),
        place=[p[0] for p in places], level=[p[1] for p in places], admin1=[p[2] for p in places],
        country=[p[3] for p in places], ref_place=refs, subject=subject, counted=counted, loose=loose,
        superseded=set(frame["supersedes"].tolist()) - {""}, scope=scope,
    )


__all__ = ["ClaimConfig", "PreparedFigures", "load_config", "prepare", "stable_id"]

"""The rules behind :func:`auditor.claims.build_claims`: keys, time buckets, pairs, explanations."""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict, namedtuple
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .actors import normalise_actor, outlet_or_org
from .gazetteer import Place, default_gazetteer, great_circle_km
from .intervals import Interval, figure_interval, relative_difference, same_value

_CONFIG_PATH = Path(__file__).parent / "data" / "claims.yaml"
_TEXT_COLUMNS = (
    "figure_id", "article_id", "category", "unit", "subject", "location", "reference_place", "counted",
    "qualifier", "surface", "sentence", "outlet", "published", "supersedes", "reported_unit", "source",
    "source_type",
)


@dataclass(frozen=True)
class ClaimConfig:
    """The knobs of ``auditor/data/claims.yaml``."""

    approximate_tolerance: float = 0.05
    time_window_days: dict[str, float | None] = field(default_factory=dict)
    default_time_window_days: float = 3.0
    implicit_tolerance: dict[str, float] = field(default_factory=dict)
    cumulative_categories: frozenset[str] = frozenset()
    same_value_tolerance: float = 0.02
    severity_high: float = 0.5
    severity_medium: float = 0.2
    reprint_similarity: float = 0.85
    key_includes_counted: frozenset[str] = frozenset()
    compare_within_article: bool = False
    require_location: bool = True
    geo_min_ratio: float = 0.9
    geo_max_ratio: float = 1.5

    def window(self, category: str) -> float | None:
        """Days two reports of ``category`` may lie apart; ``None`` = always comparable."""
        if category in self.time_window_days:
            return self.time_window_days[category]
        return self.default_time_window_days

    def severity(self, relative_difference: float) -> str:
        if relative_difference >= self.severity_high:
            return "high"
        if relative_difference >= self.severity_medium:
            return "medium"
        return "low"


@cache
def load_config(path: Path = _CONFIG_PATH) -> ClaimConfig:
    """Read the claim rules (cached per path)."""
    raw: dict[str, Any] = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    severity = raw.get("severity") or {}
    geography = raw.get("geography") or {}
    windows = {str(k): (None if v is None else float(v)) for k, v in (raw.get("time_window_days") or {}).items()}
    return ClaimConfig(
        approximate_tolerance=float(raw.get("approximate_tolerance", 0.05)),
        time_window_days=windows,
        default_time_window_days=float(raw.get("default_time_window_days", 3)),
        implicit_tolerance={str(k): float(v) for k, v in (raw.get("implicit_tolerance") or {}).items()},
        cumulative_categories=frozenset(raw.get("cumulative_categories") or ()),
        same_value_tolerance=float(raw.get("same_value_tolerance", 0.02)),
        severity_high=float(severity.get("high", 0.5)),
        severity_medium=float(severity.get("medium", 0.2)),
        reprint_similarity=float(raw.get("reprint_similarity", 0.85)),
        key_includes_counted=frozenset(raw.get("key_includes_counted") or ()),
        compare_within_article=bool(raw.get("compare_within_article", False)),
        require_location=bool(raw.get("require_location", True)),
        geo_min_ratio=float(geography.get("min_ratio", 0.9)),
        geo_max_ratio=float(geography.get("max_ratio", 1.5)),
    )


def stable_id(prefix: str, *parts: str) -> str:
    """A short id that depends only on ``parts`` (never on row order)."""
    return prefix + hashlib.sha1("\0".join(parts).encode("utf-8")).hexdigest()[:12]


# --- places and actors -------------------------------------------------------------------

def _plain(text: str) -> str:
    text = " ".join(str(text).casefold().split())
    return re.sub(r"^the ", "", text)


@cache
def _place(name: str) -> Place | None:
    return default_gazetteer().lookup(name) if name.strip() else None


@cache
def place_key(name: str) -> str:
    """The gazetteer's name for a place (Beiji -> Baiji), else its plain text; '' for none."""
    if not name.strip():
        return ""
    place = _place(name)
    return _plain(place.name if place is not None else name)


_POINT_KINDS = frozenset({"city", "site"})


@cache
def straight_line_km(a: str, b: str) -> float | None:
    """Great-circle distance between two gazetteer towns or sites, ``None`` when either is unknown
    or is a country or region (its centre says nothing about a distance to its border)."""
    first, second = _place(a), _place(b)
    if first is None or second is None or first.kind not in _POINT_KINDS or second.kind not in _POINT_KINDS:
        return None
    return great_circle_km(first, second)


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


def _counted_key(counted: str) -> str:
    words = re.findall(r"[a-z]+", counted.casefold())
    words = [w for w in words if w not in {"the", "of", "a", "an", "some", "about", "more", "than", "at", "least"}]
    if not words:
        return ""
    head = words[-1]
    return head[:-1] if head.endswith("s") and len(head) > 3 else head


# --- preparing figures -------------------------------------------------------------------

@dataclass
class PreparedFigures:
    """Figures with what the rules need: intervals, dates, normalised keys."""

    records: list[Any]  # one named tuple per figure, in input row order
    intervals: list[Interval | None]
    stated: list[Interval | None]  # bounds as written, without approximate slack
    superseded: set[str]
    group_ids: list[str] = field(default_factory=list)


def _text_frame(figures: pd.DataFrame) -> pd.DataFrame:
    frame = figures.reset_index(drop=True).copy()
    for column in _TEXT_COLUMNS:
        if column not in frame:
            frame[column] = ""
        frame[column] = frame[column].fillna("").astype(str)
    for column in ("value", "low", "high", "reported_value"):
        if column not in frame:
            frame[column] = math.nan
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    if "start" not in frame:
        frame["start"] = 0
    return frame


def prepare(figures: pd.DataFrame, config: ClaimConfig) -> PreparedFigures:
    frame = _text_frame(figures)
    # Plain lists: row access in the loops below must not go through pandas.
    columns = {c: frame[c].tolist() for c in (*_TEXT_COLUMNS, "value", "low", "high", "reported_value", "start")}
    dates = pd.to_datetime(frame["published"].str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    columns["date"] = [None if pd.isna(d) else d for d in dates.tolist()]
    intervals, stated = [], []
    for category, value, low, high, qualifier in zip(
        columns["category"], columns["value"], columns["low"], columns["high"], columns["qualifier"]
    ):
        slack = config.implicit_tolerance.get(category, 0.0)
        intervals.append(figure_interval(value, low, high, qualifier,
                                         approximate_tolerance=config.approximate_tolerance, implicit_tolerance=slack))
        stated.append(figure_interval(value, low, high, qualifier, approximate_tolerance=0.0))
    is_distance = [c == "distance" for c in columns["category"]]
    # Without a named actor, what is counted stands in: "seven soldiers" and "12 people" are not one claim.
    columns["subject_key"] = [
        "" if d else actor_key(s) or (f"({_counted_key(c)})" if _counted_key(c) else "")
        for d, s, c in zip(is_distance, columns["subject"], columns["counted"])
    ]
    places = [place_key(p) for p in columns["location"]]
    refs = [place_key(p) for p in columns["reference_place"]]
    # A distance between two places is the same claim whichever of them it is measured from.
    pairs = [tuple(sorted((p, r))) if d else (p, r) for d, p, r in zip(is_distance, places, refs)]
    columns["place_key"] = [p for p, _ in pairs]
    columns["ref_key"] = [r for _, r in pairs]
    columns["counted_key"] = [
        _counted_key(c) if cat in config.key_includes_counted else ""
        for cat, c in zip(columns["category"], columns["counted"])
    ]
    # A figure that cannot be placed in a comparable claim stays a claim of its own.
    columns["loose"] = [
        iv is None
        or (d and (not p or not r))
        or (not d and not p and config.require_location)
        or (cat in config.key_includes_counted and not k)
        for iv, d, (p, r), cat, k in zip(intervals, is_distance, pairs, columns["category"], columns["counted_key"])
    ]
    row_type = namedtuple("FigureRow", list(columns))  # type: ignore[misc]
    records = [row_type(*values) for values in zip(*columns.values())]
    superseded = set(columns["supersedes"]) - {""}
    return PreparedFigures(records=records, intervals=intervals, stated=stated, superseded=superseded)


# --- grouping ----------------------------------------------------------------------------

class _UnionFind:
    def __init__(self, items: Iterable[Any]) -> None:
        self.parent = {item: item for item in items}

    def find(self, item: Any) -> Any:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: Any, b: Any) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # The smaller key represents the set, so ids do not depend on input order.
            self.parent[max(ra, rb)] = min(ra, rb)


_KEY = ("category", "unit", "subject_key", "place_key", "ref_key", "counted_key")


def _time_buckets(rows: list[int], records: list[Any], window: float | None) -> list[tuple[str, list[int]]]:
    """Split a block into groups no wider than ``window`` days from their earliest report.

    Undated reports join the largest dated group (the earliest on a tie): they are compared
    with it, and their explanation says their date is unknown.
    """
    dates = {r: records[r].date for r in rows}
    dated = sorted((r for r in rows if dates[r] is not None), key=lambda r: (dates[r], records[r].figure_id))
    undated = [r for r in rows if dates[r] is None]
    if window is None:
        return [("always", sorted(rows))]
    buckets: list[tuple[pd.Timestamp, list[int]]] = []
    for r in dated:
        if buckets and (dates[r] - buckets[-1][0]).days <= window:
            buckets[-1][1].append(r)
        else:
            buckets.append((dates[r], [r]))
    if not buckets:
        return [("undated", sorted(undated))]
    largest = max(range(len(buckets)), key=lambda i: (len(buckets[i][1]), -i))
    buckets[largest][1].extend(undated)
    return [(anchor.date().isoformat(), members) for anchor, members in buckets]


def group_figures(prepared: PreparedFigures, config: ClaimConfig) -> list[str]:
    """The group id of every figure (input row order); also kept as ``prepared.group_ids``."""
    records = prepared.records
    group_ids = [""] * len(records)
    blocks: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, row in enumerate(records):
        if row.loose:
            group_ids[i] = stable_id("g", "single", row.figure_id)
        else:
            blocks[tuple(getattr(row, k) for k in _KEY)].append(i)
    # Aliases already share a key: place_key and actor_key map every spelling to one name.
    for key, rows in blocks.items():
        for anchor, members in _time_buckets(rows, records, config.window(key[0])):
            gid = stable_id("g", *key, anchor)
            for r in members:
                group_ids[r] = gid
    prepared.group_ids = group_ids
    return group_ids


# --- independent sources -----------------------------------------------------------------

_REPRINT_MIN_WORDS = 8


def _shingles(sentence: str) -> frozenset[str]:
    """Word 3-grams of a sentence (lower case, punctuation dropped); empty for short sentences."""
    words = re.findall(r"\w+", sentence.casefold())
    if len(words) < _REPRINT_MIN_WORDS:  # short sentences ("15 were killed.") look alike without being copied
        return frozenset()
    return frozenset(" ".join(words[i:i + 3]) for i in range(len(words) - 2))


def source_clusters(rows: list[int], records: list[Any], config: ClaimConfig) -> dict[int, int]:
    """Map each row to a source cluster: same article, same outlet (or credited to it), or a reprint.

    Reprints are found by the Jaccard similarity of the sentences' word 3-grams, comparing
    only sentences that share a 3-gram (an inverted index keeps this near-linear).
    """
    union = _UnionFind(rows)
    first_by: dict[tuple[str, str], int] = {}
    for r in rows:
        row = records[r]
        # A figure an article credits to an outlet ("according to AP") comes from that outlet.
        credited = outlet_key(row.source) if row.source_type == "outlet" else ""
        for key in (("article", row.article_id), ("outlet", outlet_key(row.outlet)), ("outlet", credited)):
            if key[1]:
                union.union(first_by.setdefault(key, r), r)
    shingles = {r: _shingles(records[r].sentence) for r in rows}
    posting: dict[str, list[int]] = defaultdict(list)
    for r in rows:
        shared: Counter[int] = Counter()
        for gram in shingles[r]:
            shared.update(posting[gram])
            posting[gram].append(r)
        for other, common in shared.items():
            jaccard = common / (len(shingles[r]) + len(shingles[other]) - common)
            if jaccard >= config.reprint_similarity:
                union.union(other, r)
    return {r: union.find(r) for r in rows}


# --- describing figures --------------------------------------------------------------------

_UNIT_WORDS = {"km": "km", "day": "days", "household": "households", "count": ""}


def format_amount(value: float, unit: str) -> str:
    """A number in its canonical unit, as a reader would write it."""
    if math.isinf(value):
        return "unbounded"
    if unit == "fraction":
        return f"{value * 100:.3g} %"
    if abs(value - round(value)) < 1e-9:
        number = f"{int(round(value)):,}"
    elif abs(value) >= 100:
        number = f"{value:,.1f}"
    else:
        number = f"{value:.3g}"
    word = _UNIT_WORDS.get(unit, unit)
    if unit in ("USD",) or (len(unit) == 3 and unit.isupper()):
        return f"{unit} {number}"
    return f"{number} {word}".strip()


def interval_words(iv: Interval, qualifier: str, unit: str) -> str:
    """What an interval allows, in words: 'exactly 15', 'between 23.8 and 26.3 km', '24 or more'."""
    if iv.low == iv.high:
        return f"exactly {format_amount(iv.low, unit)}"
    if math.isinf(iv.high):
        return f"{format_amount(iv.low, unit)} or more"
    if iv.low == 0 and qualifier in ("at_most", "less_than"):
        return f"at most {format_amount(iv.high, unit)}"
    return f"between {format_amount(iv.low, unit)} and {format_amount(iv.high, unit)}"


def who(row: Any) -> str:
    return row.outlet.strip() or f"article {row.article_id}"


def when(row: Any) -> str:
    return row.published[:10] if row.published else "undated"


def _written(row: Any) -> str:
    """The figure as written, plus its conversion when the unit changed ("155 miles" = 249.4 km)."""
    text = f"“{row.surface.strip()}”"
    converted = (
        not math.isnan(row.value) and not math.isnan(row.reported_value)
        and abs(row.value - row.reported_value) > 1e-9 * max(abs(row.value), 1.0)
    )
    if converted:
        text += f" (= {format_amount(row.value, row.unit)})"
    return text


def claim_words(row: Any) -> str:
    """What the claim is about: 'Killed (Hashd al-Shaabi, Bashir)'."""
    if row.category == "distance":
        return f"Distance between {row.location} and {row.reference_place}"
    about = ", ".join(p for p in (row.subject, row.location) if p)
    return row.category.capitalize() + (f" ({about})" if about else "")


# --- conflicts ---------------------------------------------------------------------------

def _order_key(row: Any) -> tuple:
    return (row.date is None, row.date or pd.Timestamp(0), row.article_id, row.start)


def _possessive(name: str) -> str:
    return name + ("’" if name.endswith("s") else "’s")


def _pair_explanation(a: Any, b: Any, iva: Interval, ivb: Interval, rel: float) -> str:
    lower, upper = (a, b) if iva.high < ivb.low else (b, a)
    iv_low, iv_up = (iva, ivb) if lower is a else (ivb, iva)
    text = (
        f"{claim_words(a)}: {who(a)} ({when(a)}) reports {_written(a)}, i.e. {interval_words(iva, a.qualifier, a.unit)}; "
        f"{who(b)} ({when(b)}) reports {_written(b)}, i.e. {interval_words(ivb, b.qualifier, b.unit)}. "
        f"They cannot both be right: {_possessive(who(lower))} highest reading ({format_amount(iv_low.high, lower.unit)}) "
        f"is below {_possessive(who(upper))} lowest ({format_amount(iv_up.low, upper.unit)}), a gap of {rel:.0%}."
    )
    undated = [r for r in (a, b) if not r.published]
    if len(undated) == 2:
        text += " Neither article is dated, so they may describe different moments."
    elif undated:
        row = undated[0]
        name = f"The {row.outlet.strip()} article" if row.outlet.strip() else f"Article {row.article_id}"
        text += f" {name} is undated, so it may describe a different moment."
    elif a.published[:10] != b.published[:10]:
        days = abs((b.date - a.date).days)
        text += f" They were published {days} day{'s' if days != 1 else ''} apart."
    if a.article_id == b.article_id:
        text += " Both figures are in the same article."
    elif outlet_key(a.outlet) and outlet_key(a.outlet) == outlet_key(b.outlet):
        text += f" Both come from {who(a)}: the story may have been updated."
    return text


def _geo_explanation(row: Any, iv: Interval, km: float, too_short: bool, config: ClaimConfig) -> str:
    claim = (
        f"{claim_words(row)}: {who(row)} ({when(row)}) reports {_written(row)}, "
        f"i.e. {interval_words(iv, row.qualifier, 'km')}, but the straight-line (great-circle) distance "
        f"between them is {format_amount(km, 'km')}."
    )
    if too_short:
        return claim + " No route can be shorter than the straight line."
    return claim + (
        f" Roads rarely exceed {config.geo_max_ratio:g}× the straight line "
        f"({format_amount(km * config.geo_max_ratio, 'km')}), so the figure or a place name is likely wrong."
    )


def find_conflicts(prepared: PreparedFigures, config: ClaimConfig) -> list[dict[str, Any]]:
    """Every pair in a group that cannot both be right, then every failed geography check."""
    records = prepared.records
    rows_by_group: dict[str, list[int]] = defaultdict(list)
    for i, gid in enumerate(prepared.group_ids):
        rows_by_group[gid].append(i)
    found: list[dict[str, Any]] = []
    for gid, rows in rows_by_group.items():
        if len(rows) < 2:
            continue
        rows = sorted(rows, key=lambda r: _order_key(records[r]))
        for i, ra in enumerate(rows):
            a, iva = records[ra], prepared.intervals[ra]
            if iva is None or a.figure_id in prepared.superseded:
                continue
            for rb in rows[i + 1:]:
                b, ivb = records[rb], prepared.intervals[rb]
                if ivb is None or b.figure_id in prepared.superseded or iva.overlaps(ivb):
                    continue
                if a.article_id == b.article_id and not config.compare_within_article:
                    continue
                if _toll_rose(a, b, iva, ivb, config):
                    continue
                rel = relative_difference(iva, ivb)
                found.append({
                    "conflict_id": stable_id("c", *sorted((a.figure_id, b.figure_id))),
                    "group_id": gid, "figure_a": a.figure_id, "figure_b": b.figure_id,
                    "article_a": a.article_id, "article_b": b.article_id, "category": a.category,
                    "relative_difference": round(rel, 4), "severity": config.severity(rel),
                    "explanation": _pair_explanation(a, b, iva, ivb, rel),
                    "kind": "pair", "outlet_a": a.outlet, "outlet_b": b.outlet,
                })
    found.extend(_geography_conflicts(prepared, config, records))
    return found


def _toll_rose(a: Any, b: Any, iva: Interval, ivb: Interval, config: ClaimConfig) -> bool:
    """True when the higher figure's own text says it replaced an earlier count and it is the later report."""
    if a.category not in config.cumulative_categories:
        return False
    high, low = (b, a) if iva.high < ivb.low else (a, b)
    return bool(high.supersedes) and high.date is not None and low.date is not None and high.date > low.date


def _geography_conflicts(prepared: PreparedFigures, config: ClaimConfig, records: list[Any]) -> list[dict[str, Any]]:
    found = []
    for i, row in enumerate(records):
        iv = prepared.intervals[i]
        if row.category != "distance" or row.unit != "km" or iv is None or not row.location or not row.reference_place:
            continue
        km = straight_line_km(row.location, row.reference_place)
        if not km:
            continue
        too_short = iv.high < km * config.geo_min_ratio
        too_long = iv.low > km * config.geo_max_ratio
        if not (too_short or too_long):
            continue
        rel = (km - iv.high) / km if too_short else (iv.low - km * config.geo_max_ratio) / iv.low
        found.append({
            "conflict_id": stable_id("c", row.figure_id, "geography"),
            "group_id": prepared.group_ids[i], "figure_a": row.figure_id, "figure_b": "",
            "article_a": row.article_id, "article_b": "", "category": row.category,
            "relative_difference": round(rel, 4), "severity": config.severity(rel),
            "explanation": _geo_explanation(row, iv, km, too_short, config),
            "kind": "geography", "outlet_a": row.outlet, "outlet_b": "gazetteer",
        })
    return found


# --- group summaries ---------------------------------------------------------------------

def _most_common(values: Iterable[str]) -> str:
    counts = Counter(v for v in values if v)
    if not counts:
        return ""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def summarise_groups(prepared: PreparedFigures, conflicts: pd.DataFrame, config: ClaimConfig) -> list[dict[str, Any]]:
    """One row per group: what it is about, how many report it, its range and status."""
    records = prepared.records
    in_conflict = set(conflicts["group_id"]) if len(conflicts) else set()
    rows_by_group: dict[str, list[int]] = defaultdict(list)
    for i, gid in enumerate(prepared.group_ids):
        rows_by_group[gid].append(i)
    summaries = []
    for gid, rows in rows_by_group.items():
        group = [records[r] for r in rows]
        current = [r for r in rows if records[r].figure_id not in prepared.superseded] or rows
        sources = source_clusters(current, records, config)
        n_sources = len(set(sources.values()))
        if gid in in_conflict:
            status = "conflict"
        elif n_sources <= 1:
            status = "single"
        elif _corroborated(current, sources, prepared, config):
            status = "corroborated"
        else:
            status = "consistent"
        stated = [prepared.stated[r] for r in current if prepared.stated[r] is not None]
        low = min((iv.low for iv in stated), default=math.nan)
        high = max((iv.high for iv in stated), default=math.nan)
        first = group[0]
        # The place pair most reports give, in their order (Baiji from Baghdad, not Baghdad from Baghdad).
        pair = _most_common(f"{row.location}\0{row.reference_place}" for row in group)
        place, reference = pair.split("\0") if pair else ("", "")
        dates = sorted(row.published for row in group if row.published)
        summary = {
            "group_id": gid,
            "category": first.category,
            "subject": _most_common(row.subject for row in group),
            "counted": _most_common(row.counted for row in group),
            "location": place,
            "reference_place": reference,
            "unit": first.unit,
            "n_figures": len(rows),
            "n_articles": len({row.article_id for row in group}),
            "low": low,
            "high": math.nan if math.isinf(high) else high,
            "status": status,
            "n_sources": n_sources,
            "outlets": "; ".join(sorted({row.outlet for row in group} - {""})),
            "first_published": dates[0][:10] if dates else "",
            "last_published": dates[-1][:10] if dates else "",
            "note": "",
        }
        summary["label"] = _label(summary, first.counted_key != "")
        del summary["counted"]
        summaries.append(summary)
    _note_incomparable(summaries, rows_by_group, records)
    return summaries


def _corroborated(rows: list[int], sources: dict[int, int], prepared: PreparedFigures, config: ClaimConfig) -> bool:
    """Whether two independent sources state the same value (sorted sweep: near-linear)."""
    stated = sorted((prepared.stated[r].low, prepared.stated[r].high, r) for r in rows if prepared.stated[r] is not None)
    tolerance = config.same_value_tolerance
    for i, (low, _, a) in enumerate(stated):
        for other_low, _, b in stated[i + 1:]:
            if other_low > low + tolerance * max(abs(other_low), abs(low), 1e-12):
                break
            if sources[a] != sources[b] and same_value(prepared.stated[a], prepared.stated[b], tolerance):
                return True
    return False


def _label(summary: dict[str, Any], by_counted: bool) -> str:
    counted = summary["counted"]
    if summary["category"] == "distance":
        parts = [f"distance {summary['location']} – {summary['reference_place']}"]
    else:
        parts = [summary["category"] + (f" ({counted})" if by_counted else "")]
        parts += [summary["subject"] or (f"{counted} (unnamed)" if counted else "unspecified"),
                  summary["location"] or "no place"]
    if summary["first_published"]:
        span = summary["first_published"]
        if summary["last_published"] != span:
            span += f" to {summary['last_published']}"
        parts.append(span)
    return " · ".join(parts)


def _note_incomparable(summaries: list[dict[str, Any]], rows_by_group: dict[str, list[int]], records: list[Any]) -> None:
    """Tell groups about the same thing in units that cannot be converted (people vs households)."""
    by_topic: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for summary in summaries:
        first = records[rows_by_group[summary["group_id"]][0]]
        if first.loose:
            continue
        topic = (first.category, first.subject_key, first.place_key, first.ref_key)
        by_topic[topic].append(summary)
    for same_topic in by_topic.values():
        units = {s["unit"] for s in same_topic}
        if len(units) < 2:
            continue
        for summary in same_topic:
            others = sorted({f"{s['unit']} ({s['group_id']})" for s in same_topic if s["unit"] != summary["unit"]})
            summary["note"] = (
                f"Not comparable with the reports in {', '.join(others)}: "
                f"{summary['unit']} cannot be converted to {', '.join(sorted(units - {summary['unit']}))}."
            )

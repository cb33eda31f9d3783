"""The rules behind :func:`auditor.claims.build_claims`: keys, time buckets, pairs, explanations."""

from __future__ import annotations

import difflib
import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .intervals import Interval, figure_interval, relative_difference, same_value

_CONFIG_PATH = Path(__file__).parent / "data" / "claims.yaml"
_TEXT_COLUMNS = (
    "figure_id", "article_id", "category", "unit", "subject", "location", "reference_place", "counted",
    "qualifier", "surface", "sentence", "outlet", "published", "supersedes", "reported_unit",
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
def _gazetteer() -> Any:
    try:
        from .gazetteer import default_gazetteer

        return default_gazetteer()
    except Exception:  # noqa: BLE001 - the audit works (without aliases) before the gazetteer lands
        return None


def _entry(name: str) -> Any:
    gazetteer = _gazetteer()
    if gazetteer is None or not name:
        return None
    try:
        return gazetteer.lookup(name)
    except Exception:  # noqa: BLE001
        return None


def _entry_name(entry: Any) -> str:
    if entry is None:
        return ""
    if isinstance(entry, str):
        return entry
    return str(getattr(entry, "name", "") or "")


@cache
def place_key(name: str) -> str:
    """The gazetteer's name for a place (Beiji -> Baiji), else its plain text; '' for none."""
    if not name:
        return ""
    return _plain(_entry_name(_entry(name)) or name)


@cache
def same_place(a: str, b: str) -> bool:
    if a == b:
        return True
    if not a or not b:
        return False
    gazetteer = _gazetteer()
    if gazetteer is None:
        return False
    try:
        return bool(gazetteer.same_place(a, b))
    except Exception:  # noqa: BLE001
        return False


@cache
def straight_line_km(a: str, b: str) -> float | None:
    """Great-circle distance between two gazetteer places, ``None`` when either is unknown."""
    if not a or not b:
        return None
    try:
        from .gazetteer import great_circle_km
    except Exception:  # noqa: BLE001
        return None
    first, second = _entry(a), _entry(b)
    if first is None or second is None:
        return None
    try:
        km = great_circle_km(first, second)
    except Exception:  # noqa: BLE001
        return None
    return None if km is None or not math.isfinite(km) else float(km)


@cache
def actor_key(name: str) -> str:
    """The normalised actor (PMF -> Hashd al-Shaabi), plain text; '' for none."""
    if not name:
        return ""
    try:
        from .actors import normalise_actor

        name = normalise_actor(name) or name
    except Exception:  # noqa: BLE001
        pass
    return _plain(name)


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

    frame: pd.DataFrame
    intervals: list[Interval | None]
    stated: list[Interval | None]  # bounds as written, without approximate slack
    superseded: set[str]


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
    frame["date"] = pd.to_datetime(frame["published"].str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    intervals, stated = [], []
    for row in frame.itertuples(index=False):
        slack = config.implicit_tolerance.get(row.category, 0.0)
        args = (row.value, row.low, row.high, row.qualifier)
        intervals.append(figure_interval(*args, approximate_tolerance=config.approximate_tolerance,
                                         implicit_tolerance=slack))
        stated.append(figure_interval(*args, approximate_tolerance=0.0))
    superseded = set(frame["supersedes"]) - {""}
    is_distance = frame["category"] == "distance"
    frame["subject_key"] = [("" if d else actor_key(s)) for d, s in zip(is_distance, frame["subject"])]
    places = [place_key(p) for p in frame["location"]]
    refs = [place_key(p) for p in frame["reference_place"]]
    # A distance between two places is the same claim whichever of them it is measured from.
    pairs = [tuple(sorted((p, r))) if d else (p, r) for d, p, r in zip(is_distance, places, refs)]
    frame["place_key"] = [p for p, _ in pairs]
    frame["ref_key"] = [r for _, r in pairs]
    frame["counted_key"] = [
        _counted_key(c) if cat in config.key_includes_counted else "" for cat, c in zip(frame["category"], frame["counted"])
    ]
    # A figure that cannot be placed in a comparable claim stays a claim of its own.
    frame["loose"] = [
        iv is None
        or (d and (not p or not r))
        or (cat in config.key_includes_counted and not k)
        for iv, d, (p, r), cat, k in zip(intervals, is_distance, pairs, frame["category"], frame["counted_key"])
    ]
    return PreparedFigures(frame=frame, intervals=intervals, stated=stated, superseded=superseded)


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


def _merge_alias_keys(keys: list[tuple[str, ...]], frame: pd.DataFrame) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Map each block key to its representative after joining alias-compatible subjects and places."""
    # The names as written behind each key, for the pairwise alias checks.
    places: dict[str, set[str]] = defaultdict(set)
    for row in frame.itertuples(index=False):
        if row.loose:
            continue
        for name in (row.location, row.reference_place):
            places[place_key(name)].add(name)

    def match(x: str, y: str, names: dict[str, set[str]], same: Any) -> bool:
        if x == y:
            return True
        if not x or not y:
            return False
        return any(same(u, v) for u in names[x] for v in names[y])

    def compatible(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
        (sa, pa, ra), (sb, pb, rb) = a[2:5], b[2:5]
        places_match = match(pa, pb, places, same_place) and match(ra, rb, places, same_place)
        if a[0] == "distance":  # the pair of places is unordered
            return places_match or (match(pa, rb, places, same_place) and match(ra, pb, places, same_place))
        # Subjects join only as aliases of one actor (actor_key already maps those together):
        # a part and its whole (one brigade within the Hashd) are different scopes, not one claim.
        return places_match and sa == sb

    union = _UnionFind(keys)
    by_kind: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
    for key in keys:
        by_kind[(key[0], key[1], key[5])].append(key)
    for same_kind in by_kind.values():
        for i, a in enumerate(same_kind):
            for b in same_kind[i + 1:]:
                if compatible(a, b):
                    union.union(a, b)
    return {key: union.find(key) for key in keys}


def _time_buckets(rows: list[int], frame: pd.DataFrame, window: float | None) -> list[tuple[str, list[int]]]:
    """Split a block into groups no wider than ``window`` days from their earliest report.

    Undated reports join the largest dated group (the earliest on a tie): they are compared
    with it, and their explanation says their date is unknown.
    """
    dates = frame["date"]
    dated = sorted((r for r in rows if not pd.isna(dates[r])), key=lambda r: (dates[r], frame.at[r, "figure_id"]))
    undated = [r for r in rows if pd.isna(dates[r])]
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
    """The group id of every figure (row order of ``prepared.frame``)."""
    frame = prepared.frame
    group_ids = [""] * len(frame)
    blocks: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, row in enumerate(frame.itertuples(index=False)):
        if row.loose:
            group_ids[i] = stable_id("g", "single", row.figure_id)
        else:
            blocks[tuple(getattr(row, k) for k in _KEY)].append(i)
    representative = _merge_alias_keys(list(blocks), frame)
    merged: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for key, rows in blocks.items():
        merged[representative[key]].extend(rows)
    for key, rows in merged.items():
        for anchor, members in _time_buckets(rows, frame, config.window(key[0])):
            gid = stable_id("g", *key, anchor)
            for r in members:
                group_ids[r] = gid
    return group_ids


# --- independent sources -----------------------------------------------------------------

def _normalised_sentence(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


_REPRINT_MIN_CHARS = 40


def source_clusters(rows: list[int], frame: pd.DataFrame, config: ClaimConfig) -> dict[int, int]:
    """Map each row to a source cluster: same article, same outlet, or a reprinted sentence."""
    union = _UnionFind(rows)
    first_by: dict[tuple[str, str], int] = {}
    for r in rows:
        for kind in ("article_id", "outlet"):
            value = frame.at[r, kind].strip().casefold()
            if value:
                seen = first_by.setdefault((kind, value), r)
                union.union(seen, r)
    sentences = {r: _normalised_sentence(frame.at[r, "sentence"]) for r in rows}
    # Short sentences ("15 were killed.") look alike without being copied.
    sentences = {r: text if len(text) >= _REPRINT_MIN_CHARS else "" for r, text in sentences.items()}
    for i, a in enumerate(rows):
        for b in rows[i + 1:]:
            if union.find(a) == union.find(b) or not sentences[a] or not sentences[b]:
                continue
            matcher = difflib.SequenceMatcher(None, sentences[a], sentences[b], autojunk=False)
            if matcher.real_quick_ratio() >= config.reprint_similarity and matcher.ratio() >= config.reprint_similarity:
                union.union(a, b)
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
    return (pd.isna(row.date), row.date if not pd.isna(row.date) else pd.Timestamp(0), row.article_id, row.start)


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
        text += f" The {who(undated[0])} article is undated, so it may describe a different moment."
    elif a.published[:10] != b.published[:10]:
        days = abs((b.date - a.date).days)
        text += f" They were published {days} day{'s' if days != 1 else ''} apart."
    if a.article_id == b.article_id:
        text += " Both figures are in the same article."
    elif a.outlet and a.outlet.casefold() == b.outlet.casefold():
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
    frame = prepared.frame
    rows_by_group: dict[str, list[int]] = defaultdict(list)
    for i, gid in enumerate(frame["group_id"]):
        rows_by_group[gid].append(i)
    records = list(frame.itertuples(index=False))
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
    return bool(high.supersedes) and not pd.isna(high.date) and not pd.isna(low.date) and high.date > low.date


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
            "group_id": row.group_id, "figure_a": row.figure_id, "figure_b": "",
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
    frame = prepared.frame
    in_conflict = set(conflicts["group_id"]) if len(conflicts) else set()
    rows_by_group: dict[str, list[int]] = defaultdict(list)
    for i, gid in enumerate(frame["group_id"]):
        rows_by_group[gid].append(i)
    summaries = []
    for gid, rows in rows_by_group.items():
        current = [r for r in rows if frame.at[r, "figure_id"] not in prepared.superseded] or rows
        sources = source_clusters(current, frame, config)
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
        first = frame.loc[rows[0]]
        # The place pair most reports give, in their order (Baiji from Baghdad, not Baghdad from Baghdad).
        pair = _most_common(f"{frame.at[r, 'location']}\0{frame.at[r, 'reference_place']}" for r in rows)
        place, reference = pair.split("\0") if pair else ("", "")
        dates = sorted(d for d in frame.loc[rows, "published"] if d)
        summary = {
            "group_id": gid,
            "category": first["category"],
            "subject": _most_common(frame.at[r, "subject"] for r in rows),
            "location": place,
            "reference_place": reference,
            "unit": first["unit"],
            "n_figures": len(rows),
            "n_articles": frame.loc[rows, "article_id"].nunique(),
            "low": low,
            "high": math.nan if math.isinf(high) else high,
            "status": status,
            "n_sources": n_sources,
            "outlets": "; ".join(sorted({frame.at[r, "outlet"] for r in rows} - {""})),
            "first_published": dates[0][:10] if dates else "",
            "last_published": dates[-1][:10] if dates else "",
            "note": "",
        }
        summary["label"] = _label(summary, frame.at[rows[0], "counted"] if first["counted_key"] else "")
        summaries.append(summary)
    _note_incomparable(summaries, rows_by_group, frame)
    return summaries


def _corroborated(rows: list[int], sources: dict[int, int], prepared: PreparedFigures, config: ClaimConfig) -> bool:
    for i, a in enumerate(rows):
        for b in rows[i + 1:]:
            if sources[a] == sources[b]:
                continue
            sa, sb = prepared.stated[a], prepared.stated[b]
            if sa is not None and sb is not None and same_value(sa, sb, config.same_value_tolerance):
                return True
    return False


def _label(summary: dict[str, Any], counted: str) -> str:
    if summary["category"] == "distance":
        parts = [f"distance {summary['location']} – {summary['reference_place']}"]
    else:
        parts = [summary["category"] + (f" ({counted})" if counted else "")]
        parts += [summary["subject"] or "unspecified", summary["location"] or "no place"]
    if summary["first_published"]:
        span = summary["first_published"]
        if summary["last_published"] != span:
            span += f" to {summary['last_published']}"
        parts.append(span)
    return " · ".join(parts)


def _note_incomparable(summaries: list[dict[str, Any]], rows_by_group: dict[str, list[int]], frame: pd.DataFrame) -> None:
    """Tell groups about the same thing in units that cannot be converted (people vs households)."""
    by_topic: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for summary in summaries:
        first = rows_by_group[summary["group_id"]][0]
        if frame.at[first, "loose"]:
            continue
        topic = tuple(frame.at[first, k] for k in ("category", "subject_key", "place_key", "ref_key"))
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

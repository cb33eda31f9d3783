"""One row per claim group (``groups.csv``): what it is about, who reports it, its consensus and status."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

from ._claim_rules import ClaimConfig, PreparedFigures
from .explanations import iso_day
from .intervals import same_value
from .relations import Group


def _most_common(values: Any) -> Any:
    """The most frequent non-empty value (the first in sort order of equals), '' for none; a single
    value as it is (most groups: one report)."""
    values = list(values)
    if len(values) == 1:
        return values[0]
    counts = Counter(values)
    counts.pop("", None)
    if len(counts) == 1:
        return next(iter(counts))
    return min(counts, key=lambda v: (-counts[v], v)) if counts else ""


def summarise_groups(prep: PreparedFigures, groups: list[Group], conflicts: list[dict[str, Any]],
                     config: ClaimConfig) -> list[dict[str, Any]]:
    """The rows of ``groups.csv`` (without the review columns)."""
    col = prep.col
    # Columns bound once: the loop reads every figure of every group.
    location, reference_place, published, article, outlet, counted_of, subject_of = (
        col["location"], col["reference_place"], col["published"], col["article_id"], col["outlet"], col["counted"],
        col["subject"])
    stated_lo, stated_hi = prep.stated_lo.__getitem__, prep.stated_hi.__getitem__
    in_conflict = {row["group_id"] for row in conflicts}
    outliers_of: dict[str, list[str]] = defaultdict(list)
    for row in conflicts:
        if row["relation"] in ("same", "update", "part_of"):
            outliers_of[row["group_id"]].append(row["figure_a"])
    summaries = []
    classes = set(config.subject_words.values())
    by_counted = config.key_includes_counted
    category_of = col["category"]
    for group in groups:
        rows, current = group.rows, group.current
        first = rows[0]
        if len(rows) == 1:  # most groups: one report, its own summary (no counting, sorting or sets)
            summary = _one_report(group, first, col, prep, group.id in in_conflict, classes,
                                  outliers_of.get(group.id, ()))
            summary["label"] = _label(summary, counted_of[first], category_of[first] in by_counted, group, prep)
            summaries.append(summary)
            continue
        n_sources = len(set(group.sources.values())) if len(current) > 1 else len(current)
        if group.id in in_conflict:
            status = "conflict"
        elif n_sources <= 1:
            status = "single"
        elif _corroborated(current, group.sources, prep, config):
            status = "corroborated"
        else:
            status = "consistent"
        low = min(map(stated_lo, current), default=math.nan)
        high = max(map(stated_hi, current), default=math.nan)
        latest = group.latest
        members = latest.members if latest is not None else []
        # What every consensus report states (their common part); when rounding leaves none
        # (60 and "about 61"), the span of what they state.
        c_low = max(map(stated_lo, members), default=math.nan)
        c_high = min(map(stated_hi, members), default=math.nan)
        if c_low > c_high:
            c_low = min(map(stated_lo, members))
            c_high = max(map(stated_hi, members))
        if len(rows) == 1:  # most groups: one report names the place
            place, reference = location[first], reference_place[first]
        else:  # the (place, reference) pair reported most, of the figures at the incident's own place
            here = [r for r in rows if prep.place[r] == group.incident.place]
            place, reference = _most_common(zip(map(location.__getitem__, here), map(reference_place.__getitem__, here))) \
                or _most_common(zip(map(location.__getitem__, rows), map(reference_place.__getitem__, rows))) \
                or ("", "")
        written = set(map(published.__getitem__, rows))
        written.discard("")
        dates = [d[:10] for d in written]
        summary = {
            "group_id": group.id,
            "category": col["category"][first],
            # A class of people ("civilians", "children") is named as such, whatever actor was attached.
            "subject": group.subject if group.subject in classes else _most_common(map(subject_of.__getitem__, rows)),
            "location": place,
            "reference_place": reference,
            "unit": group.unit,
            "n_figures": len(rows),
            "n_articles": len(set(map(article.__getitem__, rows))),
            "low": low,
            "high": math.nan if math.isinf(high) else high,
            "status": status,
            "label": "",
            "n_sources": n_sources,
            "outlets": "; ".join(sorted(set(map(outlet.__getitem__, rows)) - {""})),
            "first_published": min(dates, default=""),
            "last_published": max(dates, default=""),
            "note": "",
            "incident_id": group.incident.id,
            "incident_label": group.incident.label,
            "consensus_low": c_low,
            "consensus_high": math.nan if math.isinf(c_high) else c_high,
            "outliers": " ".join(dict.fromkeys(outliers_of.get(group.id, ()))),
        }
        counted = _most_common(map(counted_of.__getitem__, rows))
        summary["label"] = _label(summary, counted, category_of[first] in by_counted, group, prep)
        summaries.append(summary)
    _note_incomparable(summaries, groups)
    return summaries


def _one_report(group: Group, r: int, col: dict[str, list[Any]], prep: PreparedFigures, in_conflict: bool,
                classes: set[str], outliers: Any) -> dict[str, Any]:
    """The summary of a group of one report ``r``: what the general case gives for one row (its own
    bounds, place, date and outlet; one source when it states a number, else none)."""
    stated = bool(group.current)  # no interval: no source, no bounds
    low, high = (prep.stated_lo[r], prep.stated_hi[r]) if stated else (math.nan, math.nan)
    day = col["published"][r][:10]
    high_shown = math.nan if math.isinf(high) else high
    return {
        "group_id": group.id,
        "category": col["category"][r],
        "subject": group.subject if group.subject in classes else col["subject"][r],
        "location": col["location"][r],
        "reference_place": col["reference_place"][r],
        "unit": group.unit,
        "n_figures": 1,
        "n_articles": 1,
        "low": low,
        "high": high_shown,
        "status": "conflict" if in_conflict else "single",
        "label": "",
        "n_sources": int(stated),
        "outlets": col["outlet"][r],
        "first_published": day,
        "last_published": day,
        "note": "",
        "incident_id": group.incident.id,
        "incident_label": group.incident.label,
        "consensus_low": low,
        "consensus_high": high_shown,
        "outliers": " ".join(dict.fromkeys(outliers)),
    }


def _corroborated(rows: list[int], sources: dict[int, int], prep: PreparedFigures, config: ClaimConfig) -> bool:
    """Whether two independent sources state the same value (sorted sweep: near-linear)."""
    stated = sorted((prep.stated_lo[r], prep.stated_hi[r], r) for r in rows)
    tolerance = config.same_value_tolerance
    for i, (low, _, a) in enumerate(stated):
        for other_low, _, b in stated[i + 1:]:
            if other_low > low + tolerance * max(abs(other_low), abs(low), 1e-12):
                break
            if sources[a] != sources[b] and same_value(prep.stated(a), prep.stated(b), tolerance):
                return True
    return False


def _label(summary: dict[str, Any], counted: str, by_counted: bool, group: Group, prep: PreparedFigures) -> str:
    """'killed · civilians · Khan Shaykhun · 2017-04-04' (the incident's date, else the publication dates)."""
    if summary["category"] == "distance":
        return f"distance {summary['location']} – {summary['reference_place']}"
    parts = [summary["category"] + (f" ({counted})" if by_counted and counted else "")]
    subject = summary["subject"] or (f"{counted} (unnamed)" if counted else "unspecified")
    parts += [subject, summary["location"] or "no place"]
    inc = group.incident
    if not math.isnan(inc.event_day):
        parts.append(iso_day(inc.event_day))
    elif summary["first_published"]:
        span = summary["first_published"]
        if summary["last_published"] != span:
            span += f" to {summary['last_published']}"
        parts.append(span)
    return " · ".join(parts)


def _note_incomparable(summaries: list[dict[str, Any]], groups: list[Group]) -> None:
    """Tell groups of one incident and subject in units that cannot be converted (people vs households)."""
    by_topic: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for summary, group in zip(summaries, groups):
        if group.incident.id.startswith("i") and len(group.incident.rows) > len(group.rows):
            by_topic[(group.incident.id, group.subject)].append(summary)
    for same_topic in by_topic.values():
        units = {s["unit"] for s in same_topic}
        if len(units) < 2:
            continue
        for summary in same_topic:
            others = sorted({f"{s['unit']} ({s['group_id']})" for s in same_topic if s["unit"] != summary["unit"]})
            summary["note"] = (f"Not comparable with the reports in {', '.join(others)}: "
                               f"{summary['unit']} cannot be converted to {', '.join(sorted(units - {summary['unit']}))}.")


__all__ = ["summarise_groups"]

"""Conflict rows: one per violated relation (an outlier against the nearest consensus report, a toll
that shrank, a part above its whole) and one per distance the map contradicts."""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from ._claim_rules import ClaimConfig, PreparedFigures, gazetteer_place, stable_id
from .explanations import Describer
from .gazetteer import default_gazetteer, great_circle_km
from .intervals import relative_gap
from .relations import Group, Violation


def conflict_rows(prep: PreparedFigures, groups: list[Group], found: list[Violation],
                  config: ClaimConfig) -> list[dict[str, Any]]:
    """The rows of ``conflicts.csv`` (without the review columns) of ``groups`` and the violations
    ``found`` in them, and the distances of their reports the map contradicts.

    Built a chunk of whole incidents at a time, no pair is found in two chunks: every pair is of one
    incident's reports but a part and the total it names, found with the part only."""
    words = Describer(prep)
    col = prep.col
    lo, hi = prep.lo, prep.hi
    rows, seen = [], set()
    for v in found:
        a, b = v.a, v.b
        if v.relation == "same" and v.consensus < 2:  # two lone reports: no outlier, earlier one first
            a, b = sorted((a, b), key=lambda r: (math.isnan(prep.pub_day[r]), prep.pub_day[r] if not
                                                 math.isnan(prep.pub_day[r]) else 0, col["article_id"][r],
                                                 col["start"][r]))
        figure_a, figure_b = col["figure_id"][a], col["figure_id"][b]
        cid = stable_id("c", figure_a, figure_b) if figure_a <= figure_b else stable_id("c", figure_b, figure_a)
        if cid in seen:
            continue
        seen.add(cid)
        rel = relative_gap(lo[a], hi[a], lo[b], hi[b])
        subject = v.group.subject if not v.group.subject.startswith("(") else ""
        if v.relation == "same":
            text = words.same(a, b, rel, v.consensus, subject)
        elif v.relation == "update":
            text = words.update(a, b, rel, v.revision, subject)
        else:
            text = words.part(a, b, rel, subject)
        rows.append({
            "conflict_id": cid, "group_id": v.group.id, "figure_a": figure_a, "figure_b": figure_b,
            "article_a": col["article_id"][a], "article_b": col["article_id"][b], "category": col["category"][a],
            "relative_difference": round(rel, 4), "severity": config.severity(rel), "explanation": text,
            "kind": "pair", "outlet_a": col["outlet"][a], "outlet_b": col["outlet"][b], "relation": v.relation,
        })
    rows.extend(_geography(prep, groups, config, words))
    return rows


@lru_cache(maxsize=65_536)  # (pairs of places: bounded, as the names' memos are)
def _towns(point_kinds: frozenset[str], a: str, b: str) -> float | None:
    """Great-circle km between two places when both are towns (or sites), else ``None``."""
    first, second = gazetteer_place(a), gazetteer_place(b)
    if first is None or second is None or first.kind not in point_kinds or second.kind not in point_kinds:
        return None
    return great_circle_km(first, second)


@lru_cache(maxsize=65_536)
def _named_in(sentence: str, names: tuple[str, ...]) -> bool:
    """Whether the sentence itself names every place (as written or as a gazetteer alias)."""
    lowered = sentence.casefold()
    if all(re.search(rf"(?<!\w){re.escape(name.casefold())}(?!\w)", lowered) for name in names):
        return True
    if sum(word[:1].isupper() for word in sentence.split()) < 2:
        return False  # a sentence naming two places has two capitalised words
    found = {m.place.name for m in default_gazetteer().find_places(sentence)}
    for name in names:
        place = gazetteer_place(name)
        if place is not None and place.name in found:
            continue
        if not re.search(rf"(?<!\w){re.escape(name.casefold())}(?!\w)", lowered):
            return False
    return True


def _geography(prep: PreparedFigures, groups: list[Group], config: ClaimConfig,
               words: Describer) -> list[dict[str, Any]]:
    """Distances the straight line contradicts, between the two towns the sentence itself names (of
    the reports of ``groups``: every report is in one group)."""
    col = prep.col
    found = []
    group_of: dict[int, str] | None = None  # made when a distance is first contradicted (rarely)
    category = col["category"]
    for r in sorted(r for g in groups for r in g.rows if category[r] == "distance"):
        if col["unit"][r] != "km" or math.isnan(prep.lo[r]):
            continue
        place, ref = col["location"][r], col["reference_place"][r]
        if not place or not ref:
            continue
        km = _towns(config.geo_point_kinds, place, ref)
        if not km or not _named_in(col["sentence"][r], (place, ref)):
            continue
        too_short = prep.hi[r] < km * config.geo_min_ratio
        too_long = prep.lo[r] > km * config.geo_max_ratio
        if not (too_short or too_long):
            continue
        rel = (km - prep.hi[r]) / km if too_short else (prep.lo[r] - km * config.geo_max_ratio) / prep.lo[r]
        if group_of is None:
            group_of = {row: g.id for g in groups for row in g.rows}
        found.append({
            "conflict_id": stable_id("c", col["figure_id"][r], "geography"),
            "group_id": group_of.get(r, ""), "figure_a": col["figure_id"][r], "figure_b": "",
            "article_a": col["article_id"][r], "article_b": "", "category": "distance",
            "relative_difference": round(rel, 4), "severity": config.severity(rel),
            "explanation": words.geography(r, km, too_short, config.geo_max_ratio),
            "kind": "geography", "outlet_a": col["outlet"][r], "outlet_b": "gazetteer", "relation": "geography",
        })
    return found


__all__ = ["conflict_rows"]

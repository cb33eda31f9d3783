"""Score extracted figures against gold annotations (JSON lines, see tests/data/GOLD.md).

Usage::

    python -m auditor.scoring OUT_DIR_OR_FIGURES_CSV GOLD.jsonl [--json]

A predicted figure matches a gold one when it is in the same article, its span overlaps
the gold span, and its value agrees (within 1 %; both bounds for a range; for a vague
amount, the qualifier ``vague``). Every predicted figure that matches nothing counts
against precision.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .formatting import as_number


@dataclass
class Score:
    gold: int
    core: int
    predicted: int
    matched: int
    precision: float
    recall: float
    f1: float
    core_recall: float
    category_accuracy: float
    subject_accuracy: float
    location_accuracy: float
    source_accuracy: float
    not_a_figure_hits: list[str] = field(default_factory=list)
    missed_core: list[str] = field(default_factory=list)
    unmatched_predictions: list[str] = field(default_factory=list)
    wrong_category: list[str] = field(default_factory=list)
    # rule id (figures.csv `evidence`) -> {"predicted", "matched", "category_accuracy"} over the scored articles
    per_rule: dict[str, dict[str, float]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"{k}: {v}" for k, v in asdict(self).items() if k != "per_rule"]
        out.append("per rule id (predicted, matched gold, category accuracy on matched):")
        for rule, row in self.per_rule.items():
            out.append(f"  {rule:<24} {int(row['predicted']):>5} {int(row['matched']):>5} {row['category_accuracy']:>6}")
        return out


def _close(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and math.isclose(a, b, rel_tol=0.01, abs_tol=1e-6)


def value_agrees(gold: dict[str, Any], pred: dict[str, Any]) -> bool:
    """Does a predicted figure state the gold amount?"""
    value, low, high = as_number(pred.get("value")), as_number(pred.get("low")), as_number(pred.get("high"))
    if gold.get("qualifier") == "vague":
        return pred.get("qualifier") == "vague" or (value is None and (low is not None or high is not None))
    if gold.get("qualifier") == "range":
        return _close(low, gold.get("low")) and _close(high, gold.get("high"))
    target = gold.get("value")
    return _close(value, target) or _close(low, target) or _close(high, target)


def _loosely_same(kind: str, gold: str | None, pred: str | None) -> bool | None:
    """Alias-aware comparison of subject/location/source; None when gold gives nothing."""
    if not gold:
        return None
    if not pred:
        return False
    g, p = gold.strip().lower(), str(pred).strip().lower()
    if g in p or p in g:
        return True
    if kind == "subject":
        from .actors import same_actor

        return same_actor(gold, str(pred))
    if kind == "location":
        from .gazetteer import default_gazetteer

        return default_gazetteer().same_place(gold, str(pred))
    return False


def score(figures: pd.DataFrame, gold_records: list[dict[str, Any]]) -> Score:
    """Compare ``figures`` (figures.csv rows) with gold records of the annotated articles."""
    gold = [g for g in gold_records if g.get("kind") == "figure"]
    negatives = [g for g in gold_records if g.get("kind") == "not_a_figure"]
    articles = {g["article"] for g in gold} | {g["article"] for g in negatives}
    preds = [r for r in figures.to_dict("records") if r["article_id"] in articles]
    used: set[int] = set()
    match: dict[int, int] = {}
    for i, g in enumerate(gold):
        for j, p in enumerate(preds):
            if j in used or p["article_id"] != g["article"]:
                continue
            if max(int(p["start"]), g["start"]) < min(int(p["end"]), g["end"]) and value_agrees(g, p):
                used.add(j)
                match[i] = j
                break
    core = [i for i, g in enumerate(gold) if g.get("tier") == "core"]

    def accuracy(field_name: str) -> float:
        results = []
        for i in core:
            if i not in match:
                continue
            g, p = gold[i], preds[match[i]]
            if field_name == "category":
                results.append(g["category"] == p.get("category"))
                continue
            outcome = _loosely_same(field_name, g.get(field_name), p.get(field_name))
            if outcome is not None:
                results.append(outcome)
        return round(sum(results) / len(results), 3) if results else 0.0

    per_rule: dict[str, dict[str, float]] = {}
    matched_by_pred = {j: i for i, j in match.items()}
    for j, p in enumerate(preds):
        for rule in str(p.get("evidence") or "").split() or ["(none)"]:
            row = per_rule.setdefault(rule, {"predicted": 0, "matched": 0, "right": 0})
            row["predicted"] += 1
            if j in matched_by_pred:
                row["matched"] += 1
                row["right"] += gold[matched_by_pred[j]].get("category") == p.get("category")
    for row in per_rule.values():
        row["category_accuracy"] = round(row.pop("right") / row["matched"], 3) if row["matched"] else 0.0
    tp = len(match)
    precision = tp / len(preds) if preds else 0.0
    recall = tp / len(gold) if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(
        gold=len(gold), core=len(core), predicted=len(preds), matched=tp,
        precision=round(precision, 3), recall=round(recall, 3), f1=round(f1, 3),
        core_recall=round(sum(1 for i in core if i in match) / len(core), 3) if core else 0.0,
        category_accuracy=accuracy("category"), subject_accuracy=accuracy("subject"),
        location_accuracy=accuracy("location"), source_accuracy=accuracy("source"),
        not_a_figure_hits=[
            f"{n['article']}:{n['surface']}" for n in negatives
            if any(p["article_id"] == n["article"] and max(int(p["start"]), n["start"]) < min(int(p["end"]), n["end"])
                   for p in preds)
        ],
        missed_core=[f"{gold[i]['article']}:{gold[i]['surface']}" for i in core if i not in match],
        unmatched_predictions=[f"{p['article_id']}:{p['surface']}" for j, p in enumerate(preds) if j not in used],
        wrong_category=[
            f"{gold[i]['surface']}={preds[match[i]].get('category')} (gold {gold[i]['category']})"
            for i in core if i in match and gold[i]["category"] != preds[match[i]].get("category")
        ],
        per_rule=dict(sorted(per_rule.items())),
    )


def load_gold(path: str | Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in args
    args = [a for a in args if a != "--json"]
    if len(args) != 2:
        print("usage: python -m auditor.scoring OUT_DIR|figures.csv GOLD.jsonl [--json]", file=sys.stderr)
        return 2
    target = Path(args[0])
    csv_path = target / "figures.csv" if target.is_dir() else target
    figures = pd.read_csv(csv_path, keep_default_na=False, dtype={"article_id": str})
    result = score(figures, load_gold(args[1]))
    print(json.dumps(asdict(result), ensure_ascii=False) if as_json else "\n".join(result.lines()))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


# -- the extraction table (tests/data/extraction/*.yaml, issue 8) -----------------------------------

TABLE_FIELDS: tuple[str, ...] = ("found", "value", "qualifier", "unit", "category", "part_of", "total")


@dataclass
class TableResult:
    """Per-figure outcomes of the extraction table: one dict per expected figure, plus extra figures."""

    outcomes: list[dict[str, Any]]  # row, conflict, number, gold_category, rules, and a bool per field
    extra: list[str]  # "row: surface" for predicted figures no coder recorded
    not_figure_hits: list[str]

    def accuracy(self, field_name: str, key: str | None = None) -> dict[str, tuple[float, int]]:
        """Accuracy of one field, overall (key None) or grouped by ``key`` (conflict, gold_category, rules)."""
        groups: dict[str, list[bool]] = {}
        for o in self.outcomes:
            if o.get(field_name) is None:
                continue
            names = ["all"] if key is None else (o[key] if isinstance(o[key], list) else [o[key]])
            for name in names:
                groups.setdefault(name, []).append(bool(o[field_name]))
        return {k: (round(sum(v) / len(v), 3), len(v)) for k, v in sorted(groups.items())}

    def failures(self, field_name: str) -> list[str]:
        return [f"{o['row']}: {o['number']!r} {o['detail']}" for o in self.outcomes if o.get(field_name) is False]

    def precision(self) -> float:
        found = sum(1 for o in self.outcomes if o["found"])
        return round(found / (found + len(self.extra)), 3) if found + len(self.extra) else 0.0


def _span_of(text: str, number: str, occurrence: int = 1) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence):
        start = text.index(number, start + 1)
    return start, start + len(number)


def _bounds_agree(expected: dict[str, Any], figure: Any) -> bool:
    if expected.get("qualifier") in ("range", "vague"):
        return _close_or_none(expected.get("low"), figure.low) and _close_or_none(expected.get("high"), figure.high)
    return _close(figure.value, expected.get("value"))


def _close_or_none(a: Any, b: Any) -> bool:
    return (a is None and b is None) or _close(as_number(a), as_number(b))


def score_table(rows: list[dict[str, Any]]) -> TableResult:
    """Run the extractor on every row of the extraction table and compare field by field."""
    from .extract import extract_figures

    outcomes: list[dict[str, Any]] = []
    extra: list[str] = []
    hits: list[str] = []
    for row in rows:
        text = row["text"]
        predicted = extract_figures(text)
        used: set[int] = set()
        spans: dict[str, tuple[int, int]] = {}
        for exp in row.get("figures") or []:
            spans[exp["number"]] = _span_of(text, exp["number"], exp.get("occurrence", 1))
        total = row.get("total") or None
        in_total = set(total.get("parts", [])) if total else set()
        by_number: dict[str, Any] = {}
        for exp in row.get("figures") or []:
            start, end = spans[exp["number"]]
            overlapping = [(k, f) for k, f in enumerate(predicted) if f.start < end and start < f.end]
            overlapping.sort(key=lambda kf: (not _bounds_agree(exp, kf[1]), kf[0] in used))
            figure = overlapping[0][1] if overlapping else None
            if overlapping:
                used.add(overlapping[0][0])
                by_number[exp["number"]] = figure
            outcome: dict[str, Any] = {
                "row": row["id"], "conflict": row.get("conflict", ""), "number": exp["number"],
                "gold_category": exp.get("category"), "found": figure is not None,
                "rules": (figure.evidence.split() or ["(none)"]) if figure is not None else ["(missed)"],
            }
            if figure is None:
                outcome["detail"] = "missed"
                outcomes.append(outcome)
                continue
            outcome["value"] = _bounds_agree(exp, figure)
            outcome["qualifier"] = figure.qualifier == exp.get("qualifier")
            outcome["unit"] = figure.unit == exp.get("unit")
            outcome["category"] = figure.category == exp.get("category")
            outcome["detail"] = (f"got {figure.surface!r} {figure.category} v={figure.value} [{figure.low}, "
                                 f"{figure.high}] {figure.qualifier} {figure.unit} part_of={bool(figure.part_of)} "
                                 f"total={figure.event_total} ({figure.evidence}); want {exp.get('category')} "
                                 f"v={exp.get('value')} [{exp.get('low')}, {exp.get('high')}] {exp.get('qualifier')} "
                                 f"{exp.get('unit')} part_of={exp.get('part_of')}")
            outcome["_figure"], outcome["_expected"] = figure, exp
            outcome["total"] = figure.event_total is not None and _close(figure.event_total, total.get("value")) \
                if exp["number"] in in_total else figure.event_total is None
            outcomes.append(outcome)
        for o in outcomes[len(outcomes) - len(row.get("figures") or []):]:
            if not o["found"]:
                continue
            figure, exp = o.pop("_figure"), o.pop("_expected")
            wanted = exp.get("part_of")
            if wanted:
                total_figure = by_number.get(wanted)
                o["part_of"] = total_figure is not None and figure.part_of == total_figure.figure_id
            else:
                o["part_of"] = figure.part_of == ""
        for k, f in enumerate(predicted):
            if k not in used:
                extra.append(f"{row['id']}: {f.surface!r} {f.category} ({f.evidence})")
        for surface in row.get("not_figures") or []:
            start, end = _span_of(text, surface)
            if any(f.start < end and start < f.end for f in predicted):
                hits.append(f"{row['id']}: {surface!r}")
    return TableResult(outcomes, extra, hits)


def load_table(folder: str | Path) -> list[dict[str, Any]]:
    """Every row of the extraction table under ``folder``, with its conflict."""
    from .knowledge import parse_yaml

    rows = []
    for path in sorted(Path(folder).glob("*.yaml")):
        table = parse_yaml(path.read_text(encoding="utf-8"))
        for row in table.get("rows") or []:
            rows.append({**row, "conflict": table.get("conflict", path.stem)})
    return rows

"""Every extraction rule (auditor/data/categories.yaml, auditor/data/rules/*.yaml) on its own examples.

An example must be decided by its rule (the rule id is in the figure's ``evidence``) with the stated
category, value, part and event total; a counterexample must not be decided by it. ``not_figure`` rules
invert this: their examples name numbers that must not be read at all.
"""

from __future__ import annotations

import pytest

from auditor.extract import extract_figures
from auditor.knowledge import all_rules

RULES = all_rules()
CASES = [
    pytest.param(rule, case, kind, id=f"{rule.id}-{kind}-{n}")
    for rule in RULES
    for kind, cases in (("example", rule.examples), ("counterexample", rule.counterexamples))
    for n, case in enumerate(cases)
]


def _at(figures, text, part):
    start = text.index(part)
    end = start + len(part)
    return [f for f in figures if f.start < end and start < f.end]


def test_rule_ids_are_unique_and_every_rule_has_an_example():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert [r.id for r in RULES if not r.examples] == []


@pytest.mark.parametrize("rule, case, kind", CASES)
def test_rule_example(rule, case, kind):
    text, part = case["text"], case["figure"]
    figures = extract_figures(text)
    hits = _at(figures, text, part)
    shown = [(f.surface, f.category, f.evidence) for f in figures]
    not_figure = rule.pattern.get("shape") is not None or rule.id.startswith("not.")
    if not_figure:
        assert (hits == []) == (kind == "example"), shown
        return
    if kind == "counterexample":
        for f in hits:
            assert rule.id not in f.evidence.split(), shown
            if "category" in case:
                assert f.category == case["category"], shown
        if not hits:
            assert "category" not in case, f"no figure at {part!r}: {shown}"
        return
    assert len(hits) == 1, f"expected one figure at {part!r}: {shown}"
    figure = hits[0]
    assert rule.id in figure.evidence.split(), shown
    assert figure.category == case.get("category", rule.category), shown
    if "value" in case:
        assert figure.value == pytest.approx(case["value"]), shown
    if "part_of" in case:
        total = _at(figures, text, case["part_of"])
        assert total and figure.part_of == total[0].figure_id, shown
    if "event_total" in case:
        assert figure.event_total == case["event_total"], shown


def test_grammar_words_are_read_as_words():
    """YAML reads a bare `no`, `on` or `off` as a boolean: every closed-class word must stay a word."""
    from auditor.knowledge import grammar_words

    words = grammar_words()
    assert {"no", "not", "and", "who"} <= words.clause_words
    assert {"on", "off", "of", "including"} <= words.prepositions
    assert all(isinstance(w, str) and w == w.lower() for w in words.clause_words | words.prepositions)

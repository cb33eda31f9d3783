"""knowledge.Caseless: a case-insensitive rule gives the matches re.IGNORECASE gives, on any text."""

import re

import pytest

from auditor.knowledge import Caseless

_PATTERNS = [
    r"\b(?:officials?|spokes(?:man|woman))\s+(?:in|from)\s+(?:the\s+)?$",
    r"\bsince (?:the |its )?(?:start|beginning) of the (?:war|conflict)\b",
    r"(?P<n>\d+) (?:killed|dead)",
    r"[A-Z]\w+ said",  # a capital in a set: no fast form, searched the plain way
]
_TEXTS = [
    "Officials in ",
    "SPOKESMAN FROM the ",
    "Since the START of the war, 12 killed",
    "since the beginning of the conflict in Tigray’s north, 40 dead",  # a curly apostrophe: not ASCII
    "Ḩasakah officials in ",
    "Reuters said 7 killed",
]


@pytest.mark.parametrize("pattern", _PATTERNS)
def test_matches_equal_the_case_insensitive_pattern(pattern):
    rule, plain = Caseless(pattern), re.compile(pattern, re.IGNORECASE)
    for text in _TEXTS:
        expected = plain.search(text)
        found = rule.search(text)
        assert (found and found.span()) == (expected and expected.span()), text
        assert [m.span() for m in rule.finditer(text)] == [m.span() for m in plain.finditer(text)]
        assert bool(rule.fullmatch(text)) == bool(plain.fullmatch(text))
    assert rule.pattern.pattern == pattern and rule.pattern.flags & re.IGNORECASE


def test_a_broken_rule_fails_when_loaded():
    with pytest.raises(re.error):
        Caseless(r"\b(?:killed|dead")


def test_tables_load_as_parsed_and_a_fresh_copy_each_time(tmp_path, monkeypatch):
    from importlib import resources

    from auditor import knowledge
    from auditor.knowledge import load_table, parse_yaml

    monkeypatch.setenv("FIGURE_AUDITOR_CACHE", str(tmp_path))
    knowledge._parsed_tables.cache_clear()
    try:
        for name in ("attribution.yaml", "scope.yaml", "rules/structure.yaml"):
            text = resources.files("auditor").joinpath("data", name).read_text(encoding="utf-8")
            assert load_table(name) == parse_yaml(text)
        load_table("scope.yaml")["cumulative"].clear()  # a caller's change stays its own
        assert load_table("scope.yaml")["cumulative"]
        (stored,) = (tmp_path / "figure-auditor").glob("tables-*")
        stored.write_bytes(b"damaged")
        knowledge._parsed_tables.cache_clear()  # a new process: the damaged file is rebuilt
        assert load_table("scope.yaml")["cumulative"] and stored.read_bytes() != b"damaged"
    finally:
        knowledge._parsed_tables.cache_clear()

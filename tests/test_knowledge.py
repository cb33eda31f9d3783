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

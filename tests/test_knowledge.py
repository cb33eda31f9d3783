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
    "“Since the START of the war” – 12 killed… officials in ",  # only caseless signs besides ASCII: the fast form
    "Officials in Kherson said\xa07 killed",  # a no-break space is \s: the plain way
]


def test_caseless_signs_read_alike_with_and_without_case():
    """The characters the fast form accepts besides ASCII have no case, are no word, digit or space character,
    and no ASCII character matches one of them ignoring case (nor the reverse)."""
    from auditor.knowledge import _CASELESS, _NOT_CASELESS

    ascii_chars = [chr(c) for c in range(128)]
    for sign in _CASELESS:
        assert re.match(r"[\w\d\s]", sign) is None and sign.lower() == sign == sign.upper() == sign.casefold(), sign
        assert not any(re.fullmatch(re.escape(sign), c, re.IGNORECASE) for c in ascii_chars), sign
        assert not any(re.fullmatch(re.escape(c), sign, re.IGNORECASE) for c in ascii_chars), sign
        assert _NOT_CASELESS.search(f"a{sign}b") is None
    for other in ("é", "İ", "ı", "ſ", "\u212a", "\xa0", "\u2009", "٣", "²"):
        assert _NOT_CASELESS.search(f"a{other}b") is not None, other


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


def _spans(matches):
    return [(m.span(), m.groups()) for m in matches]


def test_start_gate_keeps_every_match():
    """A rule behind its first-character gate finds what the plain pattern finds: every search window,
    every match of finditer, fullmatch; the gate is put where re cannot skip ahead alone and not elsewhere."""
    import random

    from auditor.knowledge import _gated

    patterns = [
        r"\b(?:killed|wounded|shot dead)\b", r"\d|\b(?:one|two|dozens?)\b", r"\bsince (?!it |they )\S",
        r"(?:\b(?:in|over) the (?:past|last) (?:24|48) hours\b|\bovernight\b)", r"(?<![\w-])(?:al|el)-\w+",
        r"(?:a|)b\w*", r"\s-\s|[,;:()]|\b(?:when|as)\b", r"(?:the\s+)?(?:mayor|governor)\s+of\b",
        r"\b(?P<n>\d+)\s*(?:km|miles?)$", r"(?=\d)\d+(?:,\d{3})*", r"(?>ab|a)c", r"x*+y", r"\b[a-f]{2,}\b",
        r"\B(?:ing|ed)\b", r"(?:\b\w+ly )?(?:killed|hurt)",
    ]
    rng = random.Random(7)
    pieces = ["killed", "wounded", "shot dead", "one", "two", "dozens", "since it", "since 2019", "in the past 24 hours",
              "overnight", "al-Qaim", "el-Fasher", "-al", "b", "ab", "abc", "ac", " - ", ",", "(", "when", "as",
              "the mayor of", "governor  of", "12 km", "3 miles", "1,200", "xxy", "feed", "going", "badly killed",
              " ", "  ", "\t", "\n", "7", "_", "x", "“", "”", "’", "…", "–", "—", "«", "€", "\xa0", "é", "İ", "K"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(3_000)]
    gated = 0
    for pattern in patterns:
        rule, plain = Caseless(pattern), re.compile(pattern, re.IGNORECASE)
        gated += rule._lower.pattern != pattern
        for text in texts:
            assert _spans(rule.finditer(text)) == _spans(plain.finditer(text)), (pattern, text)
            assert bool(rule.fullmatch(text)) == bool(plain.fullmatch(text)), (pattern, text)
            pos, end = sorted(rng.randint(0, len(text)) for _ in range(2))
            found, expected = rule.search(text, pos, end), plain.search(text, pos, end)
            assert (found and (found.span(), found.groups())) == (expected and (expected.span(), expected.groups()))
    assert gated >= 10  # most of these start with \b, a group or a lookaround: gated
    assert _gated(r"\b(?:killed|shot)") == r"(?=[ks])(?:\b(?:killed|shot))"
    for fast_already in (r"killed|shot", r"[a-z] died", r"\Aat least", r"(?:kill(?:ed)?|shot)", r"x*y?"):
        assert _gated(fast_already) == fast_already  # a literal/set/\A start, or a possibly empty match


def test_start_gate_keeps_the_matches_of_every_loaded_rule():
    """Every case-insensitive rule the extractor loads (gated or not) finds on the test corpora's sentences
    what the rule's pattern finds with re.IGNORECASE."""
    import gc
    from pathlib import Path

    from auditor import extract
    from auditor.readers import load_articles
    from auditor.sentences import split_sentences

    articles = load_articles(Path(__file__).parent / "data" / "corpora").articles
    texts = []
    for article in articles:
        extract.extract_figures(article)  # loads every rule set extraction reaches
        texts += [s.text for s in split_sentences(article.text)]
    # and the seed articles' sentences with typographic quotes and dashes (read by the fast form since they have no case)
    seeds = load_articles(Path(__file__).parent.parent / "seeds").articles
    typographic = [s.text for a in seeds for s in split_sentences(a.text) if not s.text.isascii()]
    assert len(typographic) >= 20
    texts += typographic
    rules = [o for o in gc.get_objects() if isinstance(o, Caseless)]
    assert len(rules) >= 10
    for rule in rules:
        plain = rule.pattern
        for text in texts:
            found, expected = rule.search(text), plain.search(text)
            assert (found and found.span()) == (expected and expected.span()), (rule.source, text)

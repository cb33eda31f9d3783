"""The analyst-editable tables in ``auditor/data/``, loaded once per process."""

from __future__ import annotations

import marshal
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

CASUALTY_CATEGORIES: frozenset[str] = frozenset(
    {"killed", "wounded", "casualties", "missing", "captured", "displaced", "trapped"}
)


def parse_yaml(text: str) -> Any:
    """``yaml.safe_load(text)``, with libyaml's safe loader when installed: the same result, ~10x faster
    (the data tables are parsed at the start of every run and every worker). Raises ``yaml.YAMLError``."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def load_table(name: str) -> Any:
    """Parse ``auditor/data/<name>`` (YAML); a fresh copy on every call."""
    packed = _parsed_tables().get(name)
    if packed is None:  # not in the bundle (a table that failed to parse: raise its error here)
        return parse_yaml(resources.files("auditor").joinpath("data", name).read_text(encoding="utf-8"))
    return marshal.loads(packed)


# Read only by the gazetteer's own builder, which has its own cache.
_NOT_BUNDLED = frozenset({"places.yaml"})


@lru_cache(maxsize=1)
def _parsed_tables() -> dict[str, bytes]:
    """Every data table, parsed and marshalled, kept in the per-user cache (see :mod:`auditor._cache`) keyed by
    the tables' text: parsing YAML was a fifth of a worker's start-up; loading this is a few milliseconds."""
    from ._cache import cached

    texts: dict[str, str] = {}

    def walk(folder: Any, prefix: str) -> None:
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.is_dir():
                walk(entry, f"{prefix}{entry.name}/")
            elif entry.name.endswith(".yaml") and prefix + entry.name not in _NOT_BUNDLED:
                texts[prefix + entry.name] = entry.read_text(encoding="utf-8")

    walk(resources.files("auditor").joinpath("data"), "")

    def build() -> dict[str, bytes]:
        parsed: dict[str, bytes] = {}
        for name, text in texts.items():
            try:
                parsed[name] = marshal.dumps(parse_yaml(text))
            except (yaml.YAMLError, ValueError):  # broken, or a value marshal cannot store (a date): parsed when asked
                continue
        return parsed

    depends = [f"{yaml.__version__}:{hasattr(yaml, 'CSafeLoader')}"]
    depends += [f"{name}\0{len(text)}\0{text}" for name, text in texts.items()]
    return cached("tables", depends, build, codec="marshal")


Phrase = tuple[str, ...]

# Characters outside ASCII that have no case and are no word, digit or space character (``\w``, ``\d``, ``\s``):
# a pattern ignoring case and its lower-case form read them alike, lower() keeps them, and the start gates (which
# list the ASCII members of ``\w``, ``\d``, ``\s``) never need them. (No-break space is ``\s``: not listed.)
# ``tests/test_knowledge.py`` checks each against ``re``.
_CASELESS = "“”‘’‚„«»‹›…–—‐‑‒―•·′″°€£¥₦₹₴₽₪©®™§¶†‡±×÷¡¿¢"
_NOT_CASELESS = re.compile(f"[^\\x00-\\x7f{_CASELESS}]")


class Caseless:
    """A case-insensitive regular expression, searched faster in ASCII text.

    ``re.IGNORECASE`` compares every letter both ways and keeps ``re`` from skipping ahead by a
    pattern's first letters. On ASCII text the same matches come 2-3x faster from the pattern's
    lower-case form, case-sensitive, over the lower-cased text (same length, same offsets); so on text
    whose only other characters are typographic quotes, dashes and signs without case (``_CASELESS``:
    a third of the seed articles' sentences). A pattern without such a form (see
    :func:`_lower_case_form`) is always searched the plain way.
    """

    __slots__ = ("source", "_pattern", "_lower")

    def __init__(self, pattern: str) -> None:
        self.source = pattern
        lower = _lower_case_form(pattern)
        self._lower = re.compile(_gated(lower)) if lower is not None else None
        # With the fast form, the case-insensitive pattern serves non-ASCII text only: compiled when first needed
        # (most rule sets never meet such text in a worker's first articles; compiling is most of a start-up).
        self._pattern = re.compile(pattern, re.IGNORECASE) if self._lower is None else None

    @property
    def pattern(self) -> re.Pattern[str]:
        """The pattern compiled with ``re.IGNORECASE`` (what every method's result equals)."""
        if self._pattern is None:
            self._pattern = re.compile(self.source, re.IGNORECASE)
        return self._pattern

    @property
    def plain(self) -> bool:
        """Whether the pattern has the fast path (no inline flags, back-references or capitals in a set)."""
        return self._lower is not None

    def fullmatch(self, text: str) -> re.Match[str] | None:
        """``pattern.fullmatch(text)``, with the offsets and groups of :meth:`search`."""
        pattern, target = self._reading(text, None)
        return pattern.fullmatch(target)

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None,
                 lowered: str | None = None) -> Iterator[re.Match[str]]:
        """``pattern.finditer(text, pos, endpos)``, with the offsets and groups of :meth:`search` (``lowered`` as
        there)."""
        pattern, target = self._reading(text, lowered)
        return pattern.finditer(target, pos, len(text) if endpos is None else endpos)

    def search(self, text: str, pos: int = 0, endpos: int | None = None,
               lowered: str | None = None) -> re.Match[str] | None:
        """``pattern.search(text, pos, endpos)``: the match's offsets are the text's, but on the fast path
        its groups are read from the lower-cased text. ``lowered`` is ``text.lower()``, when the caller has it."""
        pattern, target = self._reading(text, lowered)
        return pattern.search(target, pos, len(text) if endpos is None else endpos)

    def _reading(self, text: str, lowered: str | None) -> tuple[re.Pattern[str], str]:
        """The pattern to run and the text to run it on: on the fast path the lower-cased pattern over the
        lower-cased text (``lowered`` when the caller has it and the text is ASCII: lower-casing keeps
        its offsets then), else the pattern itself over the text."""
        if self._lower is not None:
            if lowered is None or not text.isascii():
                lowered = _fast_form(text)
            if lowered is not None:
                return self._lower, lowered
        return self.pattern, text


# The last text a Caseless read and its lower-cased form, or None where the fast path does not serve it: the
# patterns of one sentence are searched one after another, and a text with letters outside ASCII was checked
# and lower-cased again by each (1.4 us a call, ~13,000 calls a MB of seed prose). One entry, set at once.
_last_read: tuple[str, str | None] = ("", "")


def _fast_form(text: str) -> str | None:
    """``text.lower()`` when the lower-cased pattern reads ``text`` as the case-insensitive one does, else None."""
    global _last_read
    last = _last_read
    if last[0] is text:
        return last[1]
    lowered = text.lower() if text.isascii() or _NOT_CASELESS.search(text) is None else None
    _last_read = (text, lowered)
    return lowered


# A start gate only pays when it rules out most positions (words start with ~20 letters).
_MAX_GATE_CHARS = 30


def _gated(pattern: str) -> str:
    """``pattern`` behind a lookahead of the characters its matches can start with ("\\b(?:killed|shot)" ->
    "(?=[ks])(?:\\b(?:killed|shot))"), when that set is small; else ``pattern`` itself.

    ``re`` skips ahead by a pattern's first characters only when it starts with a literal or a set;
    a pattern starting with ``\\b`` or a group of ``\\b``-alternatives is tried in full at every
    position (22 us a sentence for the scope patterns). The lookahead fails at most positions in a few
    steps; it changes no match, as every match starts with one of those characters. Used on the
    lower-cased ASCII path only, where ``\\d``, ``\\s`` and ``\\w`` stand for their ASCII members.
    """
    try:
        items = _sre_parse(pattern).data
        if _has_prefix(items):
            return pattern  # re skips ahead by it already (a gate in front would stop that)
        first, empty = _first_chars(items)
    except Exception:  # noqa: BLE001 - a parser of another Python version: no gate, same matches
        return pattern
    if first is None or empty or not first or len(first) > _MAX_GATE_CHARS:
        return pattern
    return "(?=[" + "".join(re.escape(c) for c in sorted(first)) + "])(?:" + pattern + ")"


def _has_prefix(items: list[tuple[Any, Any]]) -> bool:
    """Does ``re`` narrow where this parsed pattern can start itself: it starts with a literal, a set,
    alternatives that each start with a literal, or ``\\A``/``^`` (tried at the start only)?"""
    from re import _constants as c  # type: ignore[attr-defined]

    while items and items[0][0] is c.SUBPATTERN:  # a group at the start: its own first item, as re reads it
        items = items[0][1][3].data
    if not items:
        return False
    op, av = items[0]
    if op is c.AT:
        return av in (c.AT_BEGINNING, c.AT_BEGINNING_STRING)
    if op is c.BRANCH:
        return all(alternative.data and alternative.data[0][0] is c.LITERAL for alternative in av[1])
    return op in (c.LITERAL, c.IN)


def _sre_parse(pattern: str) -> Any:
    from re import _parser  # type: ignore[attr-defined]

    return _parser.parse(pattern)


_ASCII_CATEGORIES = {
    "CATEGORY_DIGIT": frozenset(c for c in map(chr, range(128)) if re.fullmatch(r"\d", c)),
    "CATEGORY_SPACE": frozenset(c for c in map(chr, range(128)) if re.fullmatch(r"\s", c)),
    "CATEGORY_WORD": frozenset(c for c in map(chr, range(128)) if re.fullmatch(r"\w", c)),
}


def _first_chars(items: list[tuple[Any, Any]]) -> tuple[set[str] | None, bool]:
    """The characters a match of a parsed sequence can start with (None: any, or not known) and whether the
    sequence can match the empty string (then what follows it may start the match)."""
    from re import _constants as c  # type: ignore[attr-defined]

    found: set[str] = set()
    for op, av in items:
        if op is c.LITERAL:
            found.add(chr(av))
            return found, False
        if op is c.IN:
            for kind, value in av:
                if kind is c.LITERAL:
                    found.add(chr(value))
                elif kind is c.RANGE and value[1] - value[0] <= _MAX_GATE_CHARS:
                    found.update(map(chr, range(value[0], value[1] + 1)))
                elif kind is c.CATEGORY and str(value) in _ASCII_CATEGORIES:
                    found.update(_ASCII_CATEGORIES[str(value)])
                else:  # a negated set, a wide range, another category
                    return None, False
            return found, False
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue  # zero width: the next item starts the match
        if op is c.BRANCH:
            parts = [_first_chars(alternative.data) for alternative in av[1]]
        elif op is c.SUBPATTERN:
            parts = [_first_chars(av[3].data)]
        elif op is c.ATOMIC_GROUP:
            parts = [_first_chars(av.data)]
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            chars, empty = _first_chars(av[2].data)
            parts = [(chars, empty or av[0] == 0)]
        else:  # any character, back-references, conditionals...
            return None, False
        if any(chars is None for chars, _ in parts):
            return None, False
        for chars, _ in parts:
            found |= chars  # type: ignore[arg-type]
        if not any(empty for _, empty in parts):
            return found, False
    return found, True


def _lower_case_form(pattern: str) -> str | None:
    """``pattern`` with its literal letters in lower case, or None where that would not match the
    lower-cased text exactly where ``pattern`` matches the text ignoring case: inline flags,
    back-references, character escapes (\\x41), capitals inside a set ("[A-z]" spans punctuation) and
    letters whose case maps outside ASCII ("ſ", "ı", the Kelvin sign)."""
    out: list[str] = []
    i, n, in_set = 0, len(pattern), False
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            escape = pattern[i:i + 2]
            if not re.fullmatch(r"\\[sSwWdDbBAZntrfv]|\\[^0-9A-Za-z]", escape):
                return None
            out.append(escape)
            i += 2
            continue
        if not in_set and pattern.startswith("(?", i):
            name = re.match(r"\(\?P<\w+>", pattern[i:])
            if name is not None:  # a group's name keeps its case
                out.append(name.group())
                i += len(name.group())
                continue
            if i + 2 < n and pattern[i + 2] in "aiLmsux-P(":  # flags, named or conditional back-references
                return None
        if ch == "[" and not in_set:
            in_set = True
            j = i + 1 + (pattern.startswith("^", i + 1))
            if pattern.startswith("]", j):  # "[]...]": a literal bracket first
                j += 1
            out.append(pattern[i:j])
            i = j
            continue
        if ch == "]" and in_set:
            in_set = False
        elif ch.isascii():
            if in_set and ch.isupper():
                return None
            ch = ch.lower()
        elif not ch.lower() == ch == ch.upper():
            return None
        out.append(ch)
        i += 1
    return "".join(out)


class WholeLineMatcher:
    """Case-insensitive regular expressions, any of which may match a whole line (the sentence splitter's
    page-furniture patterns).

    Every line of every article is tested, and most are prose that no pattern matches. One alternation
    of all of them is tried branch by branch at the line's start (5-10 us a line); here a lower-cased
    ASCII line (:class:`Caseless`'s fast path) is tried only against the patterns that
    can start with its first character, and a pattern that can start anywhere (".{0,150}all rights
    reserved") only when the line holds the strings every match of it holds. The same lines match: a
    whole-line match of an alternation is a whole-line match of one of its branches.
    """

    __slots__ = ("_all", "_anywhere", "_by_first", "_needing", "_needing_gate")

    def __init__(self, patterns: list[str]) -> None:
        self._all = Caseless("|".join(f"(?:{p})" for p in patterns))  # the reference, and other lines' path
        self._by_first: dict[str, re.Pattern[str]] | None = None
        self._anywhere: re.Pattern[str] | None = None
        self._needing: tuple[tuple[tuple[tuple[str, ...], ...], re.Pattern[str]], ...] = ()
        self._needing_gate: re.Pattern[str] | None = None
        lower = [_lower_case_form(p) for p in patterns]
        if not self._all.plain or None in lower:
            return  # no lower-case form: every line takes the reference path
        try:
            parsed = [_sre_parse(p).data for p in lower]
        except Exception:  # noqa: BLE001 - a parser of another Python version: the reference path only
            return
        starting: dict[str, list[str]] = {}
        anywhere: list[str] = []
        needing: list[tuple[tuple[tuple[str, ...], ...], re.Pattern[str]]] = []
        for pattern, items in zip(lower, parsed):
            first, can_be_empty = _first_chars(items)
            if first is not None and not can_be_empty:
                for char in first:
                    starting.setdefault(char, []).append(pattern)
                continue
            needed = _needed_strings(items)
            if needed:
                needing.append((needed, re.compile(pattern)))
            else:
                anywhere.append(pattern)
        self._by_first = {char: _alternation(found + anywhere) for char, found in starting.items()}
        self._anywhere = _alternation(anywhere) if anywhere else None
        self._needing = tuple(needing)
        if needing:
            # one string of each pattern's smallest set of needed strings ("via" or "/"), in one C scan: a line with
            # none of them (most prose) is tried against none of these patterns
            gate = {part for needed, _ in needing for part in min(needed, key=lambda parts: (len(parts), -min(map(
                len, parts))))}
            self._needing_gate = re.compile("|".join(map(re.escape, sorted(gate, key=len, reverse=True))))

    def matches(self, line: str) -> bool:
        """Whether one of the patterns matches all of ``line``, ignoring case."""
        if self._by_first is None or not (line.isascii() or _NOT_CASELESS.search(line) is None):
            return self._all.fullmatch(line) is not None
        lowered = line.lower()
        pattern = self._by_first.get(lowered[:1], self._anywhere)
        if pattern is not None and pattern.fullmatch(lowered) is not None:
            return True
        if self._needing_gate is None or self._needing_gate.search(lowered) is None:
            return False
        for needed, pattern in self._needing:
            for options in needed:  # (a plain loop: any() of a generator costs more than the tests)
                for part in options:
                    if part in lowered:
                        break
                else:
                    break  # none of these: no match
            else:
                if pattern.fullmatch(lowered) is not None:
                    return True
        return False


def _alternation(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def _needed_strings(items: list[tuple[object, object]]) -> tuple[tuple[str, ...], ...]:
    """Sets of strings every match of a parsed pattern holds one of each (() when none is known): its runs of
    literal characters, and the alternatives of the groups it cannot skip ("(via|/)" -> ("via", "/")); the
    set of the longest strings first (the likeliest to rule a line out)."""
    from re import _constants as c  # type: ignore[attr-defined]

    options: list[tuple[str, ...]] = []
    run = ""
    for op, av in items + [(None, None)]:
        if op is c.LITERAL:
            run += chr(av)  # type: ignore[arg-type]
            continue
        if run:
            options.append((run,))
            run = ""
        if op is c.SUBPATTERN:
            options.extend(_needed_strings(av[3].data))  # type: ignore[index]
        elif op is c.BRANCH:  # one of the alternatives' strings (the first set of each: its longest)
            each = [_needed_strings(alternative.data) for alternative in av[1]]  # type: ignore[index]
            if all(each):
                options.append(tuple(part for sets in each for part in sets[0]))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1:  # type: ignore[index]
            options.extend(_needed_strings(av[2].data))  # type: ignore[index]
    return tuple(sorted(options, key=lambda parts: -min(map(len, parts))))


def literal_alternation(words: Iterable[str]) -> str:
    """A regex alternation of literal ``words``, written as a trie ("kill|killed|kills" -> "kill(?:ed|s)?").

    It matches the same strings as ``"|".join(map(re.escape, words))``, but ``re`` tries one branch per
    letter instead of every word at each position (a case-insensitive alternation cannot skip a word by
    its first letter): several times faster to ``search`` over hundreds of words. Use it where only
    whether (and where) a match starts counts, not which word of overlapping ones it ends with.
    """
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here

    def alternation(node: dict[str, dict]) -> str:
        branches = [re.escape(ch) + alternation(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" not in node:
            return body
        return (body if len(branches) > 1 else "(?:" + body + ")") + "?"

    return alternation(trie)


def phrase(text: str) -> Phrase:
    """A phrase as the lower-case word tuple the tokenizer produces."""
    return tuple(text.lower().split())


def phrase_lengths(phrases: Iterable[Phrase], at: int = 0) -> dict[str, tuple[int, ...]]:
    """The lengths (longest first) of non-empty ``phrases`` by their first word (``at=-1``: by their last):
    a scan tries only the lengths of the phrases that start (or end) with the word it is at."""
    lengths: dict[str, set[int]] = {}
    for p in phrases:
        if p:
            lengths.setdefault(p[at], set()).add(len(p))
    return {word: tuple(sorted(found, reverse=True)) for word, found in lengths.items()}


@dataclass(frozen=True)
class VagueAmount:
    low: float
    high: float | None
    point: float | None
    qualifier: str


@dataclass(frozen=True)
class Rule:
    """One rule of ``categories.yaml`` or ``rules/*.yaml``: what it decides and the sentences it is tested on."""

    id: str
    category: str
    priority: int
    pattern: dict[str, Any]
    examples: tuple[dict[str, Any], ...]
    counterexamples: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class CategoryWords:
    predicates: dict[Phrase, str]  # phrase -> category
    objects_of: dict[Phrase, str]
    heads: dict[Phrase, str]
    rule_of: dict[tuple[str, Phrase], Rule]  # (after | before | head, phrase) -> the rule it belongs to
    combined: tuple[Rule, ...]  # rules whose pattern needs both a word before and a counted noun
    not_people: frozenset[str]
    people: frozenset[str]
    civilian_heads: frozenset[str]
    territory_words: frozenset[str]


_convention = "default"


def set_vague_convention(convention: str) -> None:
    """Choose how vague amounts are read from now on in this process (and workers it forks)."""
    global _convention
    vague_amounts(convention)  # raises ValueError for an unknown name
    _convention = convention


def vague_amounts(convention: str | None = None) -> dict[Phrase, VagueAmount]:
    """Vague phrase -> interval, under ``convention`` (default: the one set for this process)."""
    return _vague_amounts(convention or _convention)


@lru_cache(maxsize=4)
def _vague_amounts(convention: str) -> dict[Phrase, VagueAmount]:
    table = load_table("vague.yaml")
    amounts = dict(table["amounts"])
    if convention != "default":
        try:
            amounts.update(table["conventions"][convention])
        except KeyError:
            known = ", ".join(["default", *table.get("conventions", {})])
            raise ValueError(f"unknown vague-amount convention {convention!r} (known: {known})") from None
    result = {}
    for text, spec in amounts.items():
        result[phrase(text)] = VagueAmount(
            low=float(spec["low"]),
            high=None if spec.get("high") is None else float(spec["high"]),
            point=None if spec.get("point") is None else float(spec["point"]),
            qualifier=spec.get("qualifier", "vague"),
        )
    return result


@lru_cache(maxsize=1)
def qualifiers() -> dict[Phrase, str]:
    """Qualifier phrase -> contract qualifier."""
    return {phrase(p): q for q, phrases in load_table("qualifiers.yaml").items() for p in phrases}


def _rule(spec: dict[str, Any], where: str) -> Rule:
    try:
        return Rule(
            id=spec["id"], category=spec.get("category", ""), priority=int(spec.get("priority", 0)),
            pattern=dict(spec.get("pattern") or {}), examples=tuple(spec.get("examples") or ()),
            counterexamples=tuple(spec.get("counterexamples") or ()),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{where}: bad rule {spec!r}: {error}") from None


@lru_cache(maxsize=1)
def category_rules() -> tuple[Rule, ...]:
    """The phrase rules of ``categories.yaml`` (what governs a number), highest priority first."""
    rules = [_rule(spec, "categories.yaml") for spec in load_table("categories.yaml")["rules"]]
    return tuple(sorted(rules, key=lambda r: -r.priority))


@lru_cache(maxsize=1)
def structure_rules() -> dict[str, Rule]:
    """The structural rules of ``rules/structure.yaml`` (coordination, parts, single victims...), by id."""
    table = load_table("rules/structure.yaml")
    return {spec["id"]: _rule(spec, "rules/structure.yaml") for spec in table["rules"]}


def all_rules() -> list[Rule]:
    """Every rule an analyst can edit, for tests and the scorer's per-rule report."""
    return [*category_rules(), *structure_rules().values()]


@lru_cache(maxsize=1)
def category_words() -> CategoryWords:
    table = load_table("categories.yaml")
    found: dict[str, dict[Phrase, str]] = {"after": {}, "before": {}, "head": {}}
    rule_of: dict[tuple[str, Phrase], Rule] = {}
    combined: list[Rule] = []
    for rule in category_rules():  # highest priority first: it keeps a phrase two rules share
        if len(rule.pattern) > 1:
            # both parts must match: a verb before the number and the counted noun
            rule.pattern["head_set"] = frozenset(p.lower() for p in rule.pattern["head"])
            rule.pattern["before_set"] = frozenset(p.lower() for p in rule.pattern["before"])
            combined.append(rule)
            continue
        for where, phrases in rule.pattern.items():
            if where not in found:
                raise ValueError(f"categories.yaml: rule {rule.id}: unknown pattern key {where!r}")
            for p in phrases:
                key = phrase(p)
                if key not in found[where]:
                    found[where][key] = rule.category
                    rule_of[(where, key)] = rule
    return CategoryWords(
        predicates=found["after"],
        objects_of=found["before"],
        heads=found["head"],
        rule_of=rule_of,
        combined=tuple(combined),
        not_people=frozenset(w.lower() for w in table["not_people"]),
        people=frozenset(w.lower() for w in table["people"]),
        civilian_heads=frozenset(w.lower() for w in table["civilian_heads"]),
        territory_words=frozenset(w.lower() for w in table["territory_words"]),
    )


@dataclass(frozen=True)
class GrammarWords:
    """Closed-class words that end a noun phrase (``auditor/data/grammar.yaml``)."""

    prepositions: frozenset[str]
    clause_words: frozenset[str]


@lru_cache(maxsize=1)
def grammar_words() -> GrammarWords:
    table = load_table("grammar.yaml")
    return GrammarWords(frozenset(table["prepositions"]), frozenset(table["clause_words"]))


@lru_cache(maxsize=1)
def unit_table() -> dict[str, Any]:
    return load_table("units.yaml")


@lru_cache(maxsize=1)
def attribution_words() -> dict[str, Any]:
    table = load_table("attribution.yaml")
    return {
        "speech_verbs": frozenset(w.lower() for w in table["speech_verbs"]),
        "introducers": [phrase(p) for p in table["introducers"]],
        "titles": frozenset(w.lower() for w in table["titles"]),
        "person_pronouns": frozenset(table["person_pronouns"]),
        "thing_pronouns": frozenset(table["thing_pronouns"]),
    }

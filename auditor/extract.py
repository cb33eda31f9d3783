"""Figures from article text: what is counted, how much, about whom, where, and who says so.

    text -> sentences -> tokens -> number mentions -> figures

Every figure keeps the exact character span of its number in the article text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress, count
from operator import itemgetter

from ._units import UnitReading, currency_before, may_start_unit, unit_after, unit_in_compound
from . import provenance
from .knowledge import (
    CASUALTY_CATEGORIES, Caseless, category_words, grammar_words, literal_alternation, phrase, phrase_lengths,
    structure_rules, vague_amounts,
)
from .model import FIGURE_FIELDS, Article, Figure, Sentence, figure_id
from .provenance import ArticleContext, DraftSpan
from .numbers import _ARTICLES, _LOWER, NumberMention, Token, _start_words, find_numbers, qualifier_words
from .sentences import split_sentences

# Words that may stand between a counted noun phrase and what happened to it
# ("15 members HAVE BEEN killed", "a Marine THERE WAS killed").
_FILLERS = {
    "have", "has", "had", "been", "were", "was", "are", "is", "be", "being", "reportedly", "also", "all", "both",
    "each", "there", "then", "later", "subsequently", "eventually", "allegedly", "apparently", "now", "already",
    "just", "so", "far", "got", "believed", "feared", "thought", "presumed", "to", "more", "others", "other",
    "initially", "officially", "reported", "confirmed", "said", "in", "total", "altogether", "since", "further",
    "still", "listed", "as", "registered", "later", "officially",
}
_PREPOSITIONS = grammar_words().prepositions
_CLAUSE_WORDS = grammar_words().clause_words
_DETERMINERS = {"the", "its", "their", "his", "her", "our", "these", "those", "both", "all", "this", "that"}
_OBJECT_FILLERS = {
    "at", "to", "of", "least", "some", "an", "estimated", "the", "a", "total", "rose", "reached", "climbed",
    "stood", "stands", "has", "had", "have", "risen", "now", "was", "is", "were", "are", "more", "than",
    "nearly", "over", "up", "around", "about", "approximately", "only", "another", "further", "additional", "as",
    "many", "number", "almost", "roughly", "and", "leaving", "left", "least", "jumped", "increased", "hit", "all",
    "himself", "herself", "themselves",
}
_TIME_PREPOSITIONS = {"for", "within", "after", "than", "lasting", "over", "spanning", "in"}
_DIRECTIONS = {
    "north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest", "north-east",
    "north-west", "south-east", "south-west", "northern", "southern", "from", "of", "outside", "away",
}
_PARTITIVE = {"whom", "them", "those", "which", "these", "us"}
_HOUSEHOLD_HEADS = {"families", "family", "households", "household"}
# Time words end a counted noun phrase ("20 airstrikes overnight").
_TIME_WORDS = {
    "overnight", "yesterday", "today", "tonight", "tomorrow", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "last", "earlier", "later", "recently", "daily", "weekly", "annually",
    "ago", "now", "since", "so",
}
_PHRASE_ENDS = frozenset(_PREPOSITIONS | _CLAUSE_WORDS | _TIME_WORDS)  # the words above that end a noun phrase


@dataclass
class _Draft:
    """A figure being assembled from a number mention."""

    mention: NumberMention
    start: int
    end: int
    category: str
    value: float | None
    low: float | None
    high: float | None
    qualifier: str
    unit: str
    reported_value: float | None
    reported_unit: str
    counted: str
    np_first: int  # token index range of the counted noun phrase (np_first > np_last: none)
    np_last: int
    evidence: str  # what set the category: unit | predicate | object | head | none
    partitive: bool
    last_token: int  # last token read for this figure (unit / noun phrase / predicate)
    subject: str = ""
    rules: list[str] = field(default_factory=list)  # ids of the rules that decided it (figures.csv `evidence`)
    part_of: int | None = None  # index (in the sentence's drafts) of the stated total it is a part of
    event_total: float | None = None  # sum of the counts joined with it in one clause
    tentative: bool = False  # a figure only if the clause makes it a casualty or a part ("his two sons")


# -- shared per-process resources ----------------------------------------------------------


@lru_cache(maxsize=1)
def _prefilter() -> Caseless:
    """Cheap test for a sentence that may hold a figure at all."""
    words = set(category_words().predicates) | set(category_words().objects_of)
    casualty = {w for p in words for w in p if len(w) > 3}
    vague = {w for p in vague_amounts() for w in p if w not in ("a", "of")}
    numbers = (
        "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand "
        "million billion trillion half third thirds quarter quarters dozen "
        # "nearly a year", "about a mile": an article counts with a qualified unit
        "year years month months week weeks day days hour hours decade mile miles kilometre kilometer"
    ).split()
    return Caseless(rf"\d|\b(?:{literal_alternation({*casualty, *vague, *numbers})})")


@lru_cache(maxsize=1)
def _count_words() -> tuple[re.Pattern[str], re.Pattern[str]]:
    r"""Over a lower-cased sentence, as a whole token: a word other than "a"/"an" that may start a number, one that
    tells of a single victim, or one that may make an "a"/"an" a count (``_article_counts``).

    The words stand as whole tokens ("two", "killed") or before a hyphen ("twenty-five"): a letter never
    touches a token's start or end, and where a digit or "_" does, ``_DIGIT`` finds that instead.
    Returns the pattern and its form for ASCII text, the same matches there (``\b`` reads the same letters,
    and ``\s`` lists the four separators only Unicode's takes) a fifth faster.
    """
    counts = _article_counts()
    if counts is None:
        return re.compile(""), re.compile("")  # (every sentence is read)
    after_article, nouns = counts
    words = (_start_words() - _ARTICLES) | _casualty_words() | nouns
    if not all(w.replace("-", "").replace("'", "").isalpha() for w in words | after_article):
        return re.compile(""), re.compile("")  # a word of another shape ("u.s."): every sentence is read
    counted, followed = literal_alternation(words), literal_alternation(after_article)
    return (re.compile(rf"\b(?:{counted}|an?\s+(?:{followed}))\b"),
            re.compile(rf"\b(?:{counted}|an?[\s\x1c-\x1f]+(?:{followed}))\b", re.ASCII))


@lru_cache(maxsize=1)
def _article_counts() -> tuple[frozenset[str], frozenset[str]] | None:
    """What may make an "a"/"an" a count in a sentence with no other number word nor any casualty word.

    There every number is an "a"/"an" (``find_numbers``), and ``_draft`` keeps one only with a unit of time or
    distance right after it ("for a week", "about a mile"), or as one person of a casualty category, which
    only a casualty word (none here) or a casualty noun ("a refugee", the last word of a head phrase) gives;
    "a few", "a handful of" are vague amounts. Returns (the words that may follow the article: a unit's first
    word or symbol, a vague amount's second word; the casualty nouns), or None when a unit of time or distance
    may be written as one piece with what follows ("10km"-like: then every sentence is read).
    """
    from ._units import _lookup, reading
    from .knowledge import load_table, unit_table

    words, symbols, _longest = _lookup()
    timed = {"distance", "duration"}
    if any(reading(*spec).category in timed for spec in unit_table().get("joined_units", {}).values()):
        return None
    after = {key[0] for key, spec in words.items() if reading(*spec).category in timed}
    for symbol, spec in symbols.items():
        # (a symbol with a space or a digit is never one token after an article, or its sentence has a digit;
        # one punctuation mark is read as a unit only when it is "%")
        if reading(*spec).category in timed and not any(c.isspace() or c.isdigit() for c in symbol) and (
                len(symbol) > 1 or symbol.isalnum()):
            after.add(symbol.lower())
    table = load_table("vague.yaml")
    for amounts in (table["amounts"], *(table.get("conventions") or {}).values()):  # every convention's phrases
        after.update(p[1] for p in map(phrase, amounts) if len(p) > 1 and p[0] in _ARTICLES)
    heads = category_words().heads
    return frozenset(after), frozenset(key[-1] for key, category in heads.items() if category in CASUALTY_CATEGORIES)


_DIGIT = re.compile(r"[\d_]")
_DECIMAL = re.compile(r"\d")
_ASCII_DIGIT = re.compile(r"[0-9]")  # \d in ASCII text, a third faster (a range, not a Unicode category)


def _can_count(text: str, lowered: str | None = None, *, digit_free: bool = False) -> bool:
    """Whether a sentence may yield a figure: a superset of those that do, tested before any tokenising.

    One without a digit or a number or casualty word yields none: ``find_numbers`` finds at most an "a"/"an",
    which no draft keeps unless a word of ``_article_counts`` may make it a count, and ``_single_victims``
    reads nothing. Half the seed articles' candidate sentences ("an offensive", "a statement").
    ``lowered`` is ``text.lower()``, when the caller has it; ``digit_free``, that the caller found no digit
    in it (then only a "_" is looked for, not every character read again).
    """
    if ("_" in text if digit_free else _DIGIT.search(text) is not None) or "Σ" in text or "İ" in text:
        return True  # a digit; or letters whose lower case depends on their neighbours or grows
    if lowered is None:
        lowered = text.lower()
    return _count_words()[lowered.isascii()].search(lowered) is not None


def _may_hold_figure(text: str) -> bool:
    """``_prefilter()`` and ``_can_count`` both: a digit passes each (two thirds of the sentences read), and
    is found ~7x faster than the prefilter's word alternatives are searched. (``_can_count``, which passes
    a third of the others, is asked first.)"""
    if (_ASCII_DIGIT if text.isascii() else _DECIMAL).search(text) is not None:
        return True
    lowered = text.lower()  # (lower-cased once for both tests)
    return _can_count(text, lowered, digit_free=True) and _prefilter().search(text, lowered=lowered) is not None


def warm_up() -> None:
    """Load every table and index once (before worker processes fork)."""
    from ._units import _lengths_by_first, _lookup
    from .knowledge import attribution_words, qualifiers, unit_table

    _prefilter()
    _count_words()
    _article_counts()
    _structure()
    qualifiers()
    unit_table()
    attribution_words()
    _lookup()
    _lengths_by_first()
    _combined_heads()
    _person_phrase_stops()
    provenance.warm_up()


# -- reading one sentence ----------------------------------------------------------------


_EDGES: dict[int, tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]] = {}


def _edges(table: dict[tuple[str, ...], str]) -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]:
    """The lengths (longest first) of a phrase table's phrases by first word and by last word, once per table.

    The hot readers ask ``_EDGES.get(id(table)) or _edges(table)``: known edges without a call (a tenth of
    reading a phrase).
    """
    found = _EDGES.get(id(table))
    if found is None:
        found = (phrase_lengths(table), phrase_lengths(table, at=-1))
        _EDGES[id(table)] = found
    return found


def _match(tokens: list[Token], j: int, table: dict[tuple[str, ...], str]) -> tuple[str, int] | None:
    """Longest phrase of ``table`` starting at token j: (category, length)."""
    lengths = (_EDGES.get(id(table)) or _edges(table))[0].get(tokens[j].lower)
    if lengths is None:
        return None
    n = len(tokens)
    for length in lengths:  # only the lengths of the phrases that start with this word
        if j + length > n:
            continue
        key = tuple(map(_LOWER, tokens[j:j + length]))
        if key in table:
            return table[key], length
    return None


def _match_ending_key(tokens: list[Token], j: int, table: dict[tuple[str, ...], str]) -> tuple[str, ...] | None:
    """Longest phrase of ``table`` ending at token j (the phrase itself)."""
    lengths = (_EDGES.get(id(table)) or _edges(table))[1].get(tokens[j].lower)
    if lengths is None:
        return None
    for length in lengths:  # only the lengths of the phrases that end with this word
        k = j - length + 1
        if k < 0:
            continue
        key = tuple(map(_LOWER, tokens[k:j + 1]))
        if key in table:
            return key
    return None


def _read_noun_phrase(tokens: list[Token], j: int) -> tuple[int, int, bool, int]:
    """Counted noun phrase starting at token j: (first, last, partitive, next token).

    Skips closing quotes, a partitive "of (the)", and bracketed insertions ("[Shiite militia]").
    """
    words = category_words()
    predicate_starts = (_EDGES.get(id(words.predicates)) or _edges(words.predicates))[0]
    coord_nouns = _structure().coord_nouns
    n = len(tokens)
    while j < n and tokens[j].text in "”\"’'":
        j += 1
    partitive = False
    if j < n and tokens[j].lower == "of":
        if j + 1 < n and tokens[j + 1].lower in _PARTITIVE:
            return j + 2, j + 1, True, j + 2
        j += 1
        while j < n and tokens[j].lower in _DETERMINERS:
            j += 1
    first = j
    last = j - 1
    count = 0
    of_used = False
    while j < n and count < 8:
        tok = tokens[j]
        if tok.text in "[(":
            close = "]" if tok.text == "[" else ")"
            k = j + 1
            while k < n and tokens[k].text != close and k - j < 8:
                k += 1
            if k < n and tokens[k].text == close:
                j = k + 1
                continue
            break
        if tok.kind not in ("word", "abbr"):
            if tok.text in ("'", "’") and j + 1 < n and tokens[j + 1].lower == "s":
                j += 2
                continue
            break
        if tok.lower == "of" and count > 0 and not of_used:
            # "members of the Popular Mobilisation Forces": the group named after "of" is part of the phrase
            k = j + 1
            while k < n and (tokens[k].lower in _DETERMINERS or tokens[k].lower in ("a", "an")):
                k += 1
            if k < n and (tokens[k].kind == "abbr" or tokens[k].text[:1].isupper() or tokens[k].lower in words.people
                          or _is_people_noun(tokens[j - 1])):
                of_used = True
                j = k
                continue
        if count > 0 and tok.lower in coord_nouns and j + 1 < n and (_is_people_noun(tokens[j + 1]) or (
                j + 2 < n and tokens[j + 1].kind == "word" and tokens[j + 1].lower not in _CLAUSE_WORDS
                and tokens[j + 1].lower not in _start_words() and _is_people_noun(tokens[j + 2]))):
            # "17 soldiers and militiamen": one counted phrase of two nouns (coord.noun)
            j += 1
            continue
        # a preposition, clause or time word ends the phrase, unless written as an acronym ("IS fighters": a name)
        if tok.lower in _PHRASE_ENDS and not (len(tok.text) > 1 and tok.text.isupper()):
            break
        found = _match(tokens, j, words.predicates) if tok.lower in predicate_starts else None
        if found is not None:
            after = j + found[1]
            if count == 0 and after < n and (_is_people_noun(tokens[after]) or (
                    tokens[after].kind == "word" and tokens[after].text[:1].isupper())):
                # "400 displaced families", "eight displaced Syrians": an adjective inside the phrase
                j = after
                count += found[1]
                continue
            break  # "90 wounded": what happened, not what is counted
        last = j
        j += 1
        count += 1
    return first, last, partitive, max(j, last + 1)


@dataclass(slots=True)
class _Predicate:  # (never changed once made; a frozen dataclass took 3.6x as long to make)
    category: str
    last: int  # its last token
    rule: str
    passive: bool  # an auxiliary ("were", "been") came before it: "N ... were killed"
    insertion: bool  # an insertion (", including four children,") was skipped to reach it


def _verb_form(word: str) -> bool:
    """A past-tense verb ("died", "disappeared", "fled"), not a noun or adjective that names a state."""
    return word.endswith("ed") or word in ("fled", "died", "slain", "hurt", "held", "shot")


_PP_STARTS = frozenset({"in", "from", "of", "for", "at", "near", "on", "with", "inside", "aboard", "across", "around"})


def _insertion_starts(tokens: list[Token], j: int) -> bool:
    """An insertion inside a subject starts at token j: ", including ...", "including ...", ", 11 of them ..."."""
    rules = _structure()
    k = j + 1 if tokens[j].text == "," else j
    if k >= len(tokens):
        return False
    if _match(tokens, k, rules.insertions) is not None:
        return True
    if tokens[j].text == "," and (tokens[k].lower == "or" or tokens[k].lower in qualifier_words()):
        return True  # "More than 13 million Syrians, over half the population, have been forced from their homes"
    return tokens[j].text == "," and k + 2 < len(tokens) and tokens[k + 1].lower == "of" and tokens[k + 2].lower in (
        "them", "whom", "those") and (tokens[k].kind == "num" or tokens[k].lower in _NUMBER_WORDS)


_NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve most many some half all several".split())


def _predicate_after(tokens: list[Token], j: int, nested: bool = False) -> _Predicate | None:
    """What happened to the counted things, read after their noun phrase."""
    words = category_words()
    rules = _structure()
    predicate_starts = (_EDGES.get(id(words.predicates)) or _edges(words.predicates))[0]
    # (an insertion starts with a comma or one of these words)
    insertion_starts = (_EDGES.get(id(rules.insertions)) or _edges(rules.insertions))[0]
    steps = 0
    passive = insertion = False
    n = len(tokens)
    while j < n and steps < 6:
        found = _match(tokens, j, words.predicates) if tokens[j].lower in predicate_starts else None
        if found is not None:
            key = tuple(map(_LOWER, tokens[j:j + found[1]]))
            rule = words.rule_of[("after", key)]
            if rule.priority < rules.priorities.get("trapped.passive", 0):  # (_priority, without its call)
                # "remain internally displaced", "remained in hospital": the state named after the verb counts
                k = j + found[1]
                while k < n and tokens[k].lower.endswith("ly") and tokens[k].kind == "word":
                    k += 1
                better = _match(tokens, k, words.predicates) if k < n else None
                if better is not None:
                    key = tuple(map(_LOWER, tokens[k:k + better[1]]))
                    return _Predicate(better[0], k + better[1] - 1, words.rule_of[("after", key)].id, True, insertion)
            return _Predicate(found[0], j + found[1] - 1, rule.id, passive, insertion)
        low = tokens[j].lower
        if low in ("who", "that") and steps == 0 and not nested:
            j += 1  # "some 700,000 who fled": a relative clause says what happened to them
            steps += 1
            continue
        low = tokens[j].lower
        if not insertion and (tokens[j].text == "," or low in insertion_starts) and _insertion_starts(tokens, j):
            # "Eight displaced Syrians, including four children, were killed" (skip.including); the insertion
            # may hold commas of its own ("including a Briton, three contractors and a Palestinian,")
            for k in range(j + 2, min(n, j + 24)):
                at = k + 1 if tokens[k].text == "," else (k if tokens[k].lower in rules.passive_markers else -1)
                if at < 0 or at >= n:
                    continue
                found_after = _predicate_after(tokens, at, nested=True)
                if found_after is not None:
                    return _Predicate(found_after.category, found_after.last, found_after.rule,
                                      found_after.passive or tokens[at].lower in rules.passive_markers, True)
            break
        if j + 1 < n and tokens[j + 1].kind == "num" and (low == "aged" or low == "of" and j > 0 and _singular_person(
                tokens[j - 1]) and tokens[j - 1].lower not in _HOUSEHOLD_HEADS):
            j += 2  # "a man aged 34 had been arrested"
            continue
        if not nested and low in _PP_STARTS and steps == 0:
            # "Three aid workers for MSF were killed", "12 people in Kharkiv were killed": a short phrase, then
            # an auxiliary and the verb
            for k in range(j + 1, min(n, j + 10)):
                if tokens[k].text == "," and _insertion_starts(tokens, k):
                    found_after = _predicate_after(tokens, k, nested=True)
                    if found_after is not None:
                        return found_after
                    break
                if tokens[k].kind not in ("word", "abbr") and tokens[k].text not in "()-'’":
                    break
                if tokens[k].lower in rules.passive_markers:
                    found_after = _predicate_after(tokens, k, nested=True)
                    if found_after is not None:
                        return found_after
                    break
                direct = _match(tokens, k, words.predicates) if k > j + 1 and tokens[k].lower in predicate_starts \
                    else None
                if direct is not None and direct[0] in CASUALTY_CATEGORIES and _verb_form(tokens[k].lower):
                    # "43 students from the teachers' college disappeared"
                    key = tuple(map(_LOWER, tokens[k:k + direct[1]]))
                    return _Predicate(direct[0], k + direct[1] - 1, words.rule_of[("after", key)].id, False, False)
        if low in _FILLERS or tokens[j].text in "”\"’":
            passive = passive or low in rules.passive_markers
            j += 1
            steps += 1
            continue
        break
    return None


def _object_of_before(tokens: list[Token], j: int) -> tuple[str, str] | None:
    """A verb or noun that takes the number as its object ("killing 15", "death toll rose to 45"): (category, rule)."""
    words = category_words()
    steps = 0
    start = j
    while j >= 0 and steps < 5:
        found = _match_ending_key(tokens, j, words.objects_of)
        if found is not None:
            return words.objects_of[found], words.rule_of[("before", found)].id
        if tokens[j].lower in _OBJECT_FILLERS or tokens[j].text in "“\"‘":
            j -= 1
            steps += 1
            continue
        break
    return _toll_before(tokens, start)


_CHANGE_WORDS = frozenset({"rose", "risen", "reached", "climbed", "stood", "stands", "hit", "jumped", "increased",
                           "rises", "reaches", "climbs", "stand", "to", "at", "surpassed", "passed", "topped"})


def _toll_before(tokens: list[Token], j: int) -> tuple[str, str] | None:
    """"The death toll from the attack has risen to 126": a toll noun a few words back, then a change verb."""
    if _CHANGE_WORDS.isdisjoint(map(_LOWER, tokens[max(0, j - 15):j + 1])):
        return None  # no change verb in reach (most numbers): nothing below can count (one C pass, no Python loop)
    words = category_words()
    changed = False
    for k in range(j, max(-1, j - 16), -1):
        low = tokens[k].lower
        if low in (".", ";", ":", "said", "but"):
            return None
        if low in _CHANGE_WORDS:
            changed = True
            continue
        if not changed:
            continue  # a toll noun counts only before a change verb
        key = _match_ending_key(tokens, k, words.objects_of)
        if key is not None:
            rule = words.rule_of[("before", key)]
            if rule.id.endswith("toll") or rule.id.endswith(".object") and key[-1] in ("toll", "count"):
                return words.objects_of[key], rule.id
    return None


def _number_of_clause(tokens: list[Token], start: int) -> tuple[str, int, int] | None:
    """'The number of soldiers killed ... rose to 12': (category, noun phrase first, last) named before."""
    words = category_words()
    for k in range(start - 1, max(-1, start - 25), -1):
        if tokens[k].lower == "number" and k + 1 < len(tokens) and tokens[k + 1].lower == "of":
            first, last, _partitive, after = _read_noun_phrase(tokens, k + 2)
            found = _match(tokens, after, words.predicates)
            if found is not None and last >= first:
                return found[0], first, last
            return None
    return None


def _head_category(tokens: list[Token], first: int, last: int) -> tuple[str | None, str, int, str]:
    """Category named by the counted noun itself, the head word, and the noun phrase's last token.

    The rightmost word of the phrase that names a category is its head ("20 airstrikes
    overnight" counts airstrikes); without one, the last word is.
    """
    if last < first:
        return None, "", last, ""
    words = category_words()
    head_ends = (_EDGES.get(id(words.heads)) or _edges(words.heads))[1]
    for end in range(last, first - 1, -1):
        word = tokens[end].lower
        if word not in head_ends:  # no head phrase ends with this word (most words)
            continue
        for length in (2, 1):
            k = end - length + 1
            if k < first:
                continue
            key = (tokens[k].lower, word) if length == 2 else (word,)
            if key in words.heads:
                # "members of the Popular Mobilisation Forces": the group after "of" stays in the phrase
                keep = last if end + 1 <= last and tokens[end + 1].lower == "of" else end
                return words.heads[key], tokens[end].lower, keep, words.rule_of[("head", key)].id
    return None, tokens[last].lower, last, ""


def _span_text(text: str, offset: int, tokens: list[Token], first: int, last: int) -> str:
    """The noun phrase as written, without bracketed insertions."""
    if last < first:
        return ""
    raw = text[tokens[first].start - offset:tokens[last].end - offset]
    if "[" in raw:
        raw = re.sub(r"\s*\[[^\]]*\]\s*", " ", raw)
    return raw.strip(" “”\"'’")


_UNIT_RULES = {"money": "unit.money", "distance": "unit.distance", "duration": "unit.duration"}


@dataclass(frozen=True)
class _StructureWords:
    """Word lists of the structural rules (rules/structure.yaml), as the matcher reads them."""

    coord_nouns: frozenset[str]
    joiners: frozenset[str]
    insertions: dict[tuple[str, ...], str]
    passive_markers: frozenset[str]
    attacked: frozenset[str]
    part_before: dict[tuple[str, ...], str]
    among: frozenset[str]
    family_of: dict[tuple[str, ...], str]
    single_aux: dict[tuple[str, ...], str]
    single_determiners: frozenset[str]
    object_determiners: frozenset[str]
    person_determiners: frozenset[str]
    group_nouns: dict[str, float]
    named_categories: frozenset[str]
    priorities: dict[str, int]


@lru_cache(maxsize=1)
def _structure() -> _StructureWords:
    from .knowledge import category_rules

    rules = structure_rules()

    def words(rule: str, key: str) -> list[str]:
        return list(rules[rule].pattern[key])

    def phrases(rule: str, key: str) -> dict[tuple[str, ...], str]:
        return {phrase(p): rule for p in words(rule, key)}

    priorities = {r.id: r.priority for r in category_rules()} | {r.id: r.priority for r in rules.values()}
    return _StructureWords(
        coord_nouns=frozenset(words("coord.noun", "joiners")),
        joiners=frozenset(words("coord.passive", "joiners")),
        insertions=phrases("skip.including", "insertions"),
        passive_markers=frozenset(words("attacker.subject", "passive_markers")),
        attacked=frozenset(words("attacker.subject", "categories")),
        part_before=phrases("part.including", "before"),
        among=frozenset(words("part.among", "between")),
        family_of=phrases("family.of", "before"),
        single_aux=phrases("single.victim", "auxiliaries"),
        single_determiners=frozenset(words("single.victim", "determiners")),
        object_determiners=frozenset(words("single.object", "determiners")),
        person_determiners=frozenset(words("single.object", "determiners")),
        group_nouns={k: float(v) for k, v in rules["single.victim"].pattern["group_nouns"].items()},
        named_categories=frozenset(words("single.named", "categories")),
        priorities=priorities,
    )


def _priority(rule: str) -> int:
    return _structure().priorities.get(rule, 0)


def _is_people_noun(tok: Token) -> bool:
    """A noun for people ("civilians", "militiamen", "priest")."""
    words = category_words()
    return tok.lower in words.people or words.heads.get((tok.lower,)) == "fighters"


def _adjective(tokens: list[Token], first: int, last: int) -> tuple[str, str] | None:
    """A casualty word used as an adjective inside the counted phrase ("400 displaced families"): (category, rule)."""
    words = category_words()
    predicate_starts = (_EDGES.get(id(words.predicates)) or _edges(words.predicates))[0]
    for j in range(first, last):
        found = _match(tokens, j, words.predicates) if tokens[j].lower in predicate_starts else None
        if found is not None and j + found[1] <= last:
            key = tuple(map(_LOWER, tokens[j:j + found[1]]))
            return found[0], words.rule_of[("after", key)].id
    return None


_OBJECT_STARTS = frozenset({
    "a", "an", "the", "his", "her", "their", "its", "at", "about", "more", "some", "dozens", "several", "hundreds",
    "scores", "many", "thousands", "nearly", "almost", "over", "up", "around", "two", "three", "four", "five", "six",
    "seven", "eight", "nine", "ten", "one", "another", "fellow", "local",
})


def _object_follows(tokens: list[Token], j: int) -> bool:
    """Does an object start at token j ("killed SIX villagers", "abducted THE pastor")? Then the verb is active."""
    while j < len(tokens) and tokens[j].text in "\"“‘'":
        j += 1
    if j >= len(tokens):
        return False
    tok = tokens[j]
    return tok.kind == "num" or tok.lower in _OBJECT_STARTS or _is_people_noun(tok) or (
        tok.kind == "word" and tok.text[:1].isupper())


def _combined_rule(tokens: list[Token], start: int, first: int, last: int):
    """A rule that needs its verb before AND its noun ("struck 20 PKK targets", "fired on the region 112 times")."""
    words = category_words()
    if last < first:
        return None
    if _combined_heads().isdisjoint(map(_LOWER, tokens[first:last + 1])):
        return None  # no combined rule counts any of these nouns (most phrases)
    nouns = {tokens[k].lower for k in range(first, last + 1)}
    before = {tokens[k].lower for k in range(max(0, start - 6), start)}
    for rule in words.combined:
        if nouns & rule.pattern["head_set"] and before & rule.pattern["before_set"]:
            return rule
    return None


@lru_cache(maxsize=1)
def _combined_heads() -> frozenset[str]:
    """Every counted noun of the combined rules."""
    return frozenset().union(*(rule.pattern["head_set"] for rule in category_words().combined))


def _brought_to(tokens: list[Token], start: int, last: int) -> tuple[str, str] | None:
    """"raising to 31 the number of people killed", "bringing to 76 the toll": what follows names the count."""
    n = len(tokens)
    if start < 2 or tokens[start - 1].lower != "to" or tokens[start - 2].lower not in (
            "bringing", "brought", "raising", "raised", "taking", "took", "pushing", "pushed"):
        return None
    j = last + 1
    if j + 1 >= n or tokens[j].lower != "the":
        return None
    words = category_words()
    for k in range(j + 1, min(n, j + 8)):
        found = _match(tokens, k, words.predicates)
        if found is not None and found[0] in CASUALTY_CATEGORIES:
            key = tuple(map(_LOWER, tokens[k:k + found[1]]))
            return found[0], words.rule_of[("after", key)].id
        key = _match_ending_key(tokens, k, words.objects_of)
        if key is not None and words.objects_of[key] in CASUALTY_CATEGORIES:
            return words.objects_of[key], words.rule_of[("before", key)].id
        head = words.heads.get((tokens[k].lower,))
        if head in CASUALTY_CATEGORIES:
            return head, words.rule_of[("head", (tokens[k].lower,))].id
    return None


_NUMBERING = frozenset({"numbering", "numbered", "number", "totalling", "totaling", "estimated", "strong"})


def _apposed_head(tokens: list[Token], start: int, last: int) -> tuple[str, str] | None:
    """"the gunmen, numbering about 50", "refugees now number more than 200,000", "around 30 in number":
    the count of a noun stated elsewhere in the clause (count.apposition): (category, rule of the noun)."""
    words = category_words()
    n = len(tokens)
    told = last + 2 < n and tokens[last + 1].lower == "in" and tokens[last + 2].lower == "number"
    k = start - 1
    while k >= 0 and tokens[k].lower in ("at", "to", "now", "expected", "some", "who", "which", "force"):
        k -= 1
    if not told and not (k >= 0 and tokens[k].lower in _NUMBERING):
        return None
    for j in range(k if told else k - 1, max(-1, k - 7), -1):
        head = words.heads.get((tokens[j].lower,))
        if head is not None:
            return head, words.rule_of[("head", (tokens[j].lower,))].id
        if tokens[j].text in (".", ";") or tokens[j].kind == "num":
            return None
    return None


def _territory_context(tokens: list[Token], m: NumberMention, next_token: int) -> bool:
    words = category_words()
    window = [t.lower for t in tokens[max(0, m.start_token - 10):m.start_token]]
    window += [t.lower for t in tokens[next_token:next_token + 4]]
    return any(w in words.territory_words for w in window)


_PRIORITY_OF = itemgetter(0)  # an option's priority (see _draft)


def _draft(tokens: list[Token], text: str, offset: int, m: NumberMention) -> _Draft | None:
    """Read unit, counted noun and category around one number; None when it is no figure."""
    words = category_words()
    unit: UnitReading | None = None
    last = m.last
    start = m.start
    if m.compound_unit:
        unit = unit_in_compound(m.compound_unit)
        if unit is None:
            return None  # "a 20-member delegation": an adjective, not a count
    else:
        found = unit_after(tokens, m.last + 1)
        if found is not None:
            unit, last = found
        if m.kind == "digit":
            before = currency_before(tokens, m.first)
            if before is not None:
                unit = before[0]
                start = min(start, tokens[before[1]].start)
    if unit is None and m.start_token >= 2 and tokens[m.start_token - 1].lower == "of" \
            and _singular_person(tokens[m.start_token - 2]) and tokens[m.start_token - 2].lower not in _HOUSEHOLD_HEADS:
        return None  # "a girl of 12": an age
    np_first, np_last, partitive, after_np = _read_noun_phrase(tokens, last + 1)
    head_cat, head, np_last, head_rule = _head_category(tokens, np_first, np_last)
    if m.kind in ("article", "one") and unit is None and not partitive and np_last >= np_first \
            and not _singular_person(tokens[np_last]):
        return None  # "a statement", "one country": only a single person (or a unit) makes "a"/"one" a count
    rules: list[str] = []
    if np_last > np_first and any(tokens[k].lower in _structure().coord_nouns for k in range(np_first, np_last)):
        rules.append("coord.noun")  # "17 soldiers and militiamen"
    if unit is not None and unit.category in ("distance", "duration", "money"):
        np_first, np_last, after_np = last + 1, last, last + 1
        category, evidence = unit.category, "unit"
        rules = [_UNIT_RULES[unit.category]]
    elif (unit is not None and unit.category == "fraction") or m.kind == "fraction":
        category = "territory" if _territory_context(tokens, m, last + 1) else "other"
        evidence = "unit"
        rules = ["unit.fraction"]
    elif unit is not None and unit.entity == "area" and _territory_context(tokens, m, last + 1):
        category, evidence = "territory", "unit"  # "retook about 500 square kilometres"
        rules = ["territory.area"]
    elif unit is not None:
        category, evidence = "other", "unit"
        rules = ["unit.other"]
    else:
        predicate = _predicate_after(tokens, after_np)
        obj = _object_of_before(tokens, m.start_token - 1)
        thing = head in words.not_people
        adjective = _adjective(tokens, np_first, np_last)
        combined = _combined_rule(tokens, m.start_token, np_first, np_last)
        brought = _brought_to(tokens, m.start_token, last)
        apposed = _apposed_head(tokens, m.start_token, last) if np_last < np_first else None
        # (priority, category, evidence kind, rule ids)
        options: list[tuple[int, str, str, list[str]]] = []
        if predicate and predicate.category in CASUALTY_CATEGORIES and not thing:
            if not predicate.passive and predicate.category in _structure().attacked \
                    and _object_follows(tokens, predicate.last + 1):
                # "About 80 armed men killed six villagers": the count is the attackers (attacker.subject)
                rules.append("attacker.subject")
            else:
                extra = ["skip.including"] if predicate.insertion else []
                options.append((_priority(predicate.rule), predicate.category, "predicate", [predicate.rule, *extra]))
        if obj and obj[0] in CASUALTY_CATEGORIES and not thing:
            options.append((_priority(obj[1]), obj[0], "object", [obj[1]]))
        if head_cat:
            options.append((_priority(head_rule), head_cat, "head", [head_rule]))
        if adjective and not thing:
            options.append((_priority("adjective.category"), adjective[0], "head", ["adjective.category", adjective[1]]))
        if obj and obj[0] not in CASUALTY_CATEGORIES and np_last < np_first:
            options.append((_priority(obj[1]), obj[0], "object", [obj[1]]))
        if combined is not None:
            options.append((combined.priority, combined.category, "head", [combined.id]))
        if brought is not None:
            options.append((_priority("toll.brought_to"), brought[0], "object", ["toll.brought_to", brought[1]]))
        if apposed is not None:
            options.append((_priority("count.apposition"), apposed[0], "head", ["count.apposition", apposed[1]]))
        if options:
            _p, category, evidence, chosen = max(options, key=_PRIORITY_OF)
            rules.extend(chosen)
            if evidence == "predicate" and predicate is not None and np_last < np_first and not predicate.insertion:
                last = max(last, predicate.last)
        else:
            category, evidence = "other", "none"
            told = _number_of_clause(tokens, m.start_token) if np_last < np_first else None
            if told is not None:
                # "The number of soldiers killed ... rose to 12 from seven"
                category, evidence, np_first, np_last = told[0], "predicate", told[1], told[2]
                rules.append("number_of.clause")
    # Which readings of "a"/"one"/vague words count at all
    tentative = False
    qualified = m.qualifier != "exact"
    prev = tokens[m.start_token - 1].lower if m.start_token > 0 else ""
    if m.kind in ("article", "one"):
        if evidence == "unit" and unit is not None and unit.category not in ("duration", "distance"):
            return None  # "$84 a barrel", "a Swiss franc deposit": a rate or a name, not an amount
        if evidence == "unit":
            timed = unit is not None and unit.category in ("duration", "distance")
            if timed and not (qualified or prev in _TIME_PREPOSITIONS) and m.kind == "article":
                return None
            if timed and m.kind == "one" and not (qualified or prev in _TIME_PREPOSITIONS):
                return None
        elif category in CASUALTY_CATEGORIES and (partitive or (
                np_last >= np_first and _singular_person(tokens[np_last]))):
            # "a journalist was killed", "gunmen abducted a doctor": one person
            rules.insert(0, "single.object" if evidence == "object" else "single.victim")
        elif partitive and m.kind == "one":
            tentative = True  # "one of them intercepted": a part, if a total stands before it
        else:
            return None
    if m.kind == "vague":
        if m.vague_phrase == "few" and not (unit is not None and unit.category == "duration"):
            return None
        if m.vague_phrase == "scores" and (last + 1 >= len(tokens) or tokens[last + 1].lower != "of") \
                and evidence != "predicate":
            return None
        if evidence == "none" and np_last < np_first:
            return None
    if m.kind in ("word",) and prev in _DETERMINERS and category == "other":
        if prev not in ("his", "her", "their", "its"):
            return None  # "the two countries": a reference, not a reported amount
        tentative = True  # "a local imam and his two sons": counted if the clause says what happened to them
        rules.append("tentative.possessive")
    if m.qualifier == "more_than" and unit is not None and unit.category == "duration" and prev_word(tokens, m) == "over":
        # "over three days": a span of time, not "more than three days"
        m.qualifier, m.low, m.high, m.start = "exact", m.value, m.value, tokens[m.first].start
        start = m.start
    factor = unit.factor if unit else 1.0
    value = None if m.value is None else m.value * factor
    low = None if m.low is None else m.low * factor
    high = None if m.high is None else m.high * factor
    canonical = unit.canonical if unit else ("household" if head in _HOUSEHOLD_HEADS else "count")
    if m.kind == "fraction":
        canonical = "fraction"
    if unit is not None and evidence == "unit":
        end = tokens[last].end
    elif partitive or (m.kind in ("article", "one") and np_last >= np_first):
        end = tokens[np_last].end  # "one of whom", "a U.S. Marine": the count needs its noun
    else:
        end = m.end

    # (the fields in their order, not by keyword: matching 19 keywords was 60% of making a draft)
    counted = _span_text(text, offset, tokens, np_first, np_last) if not partitive else ""
    return _Draft(m, start, max(end, m.end), category, value, low, high, m.qualifier, canonical, m.reported,
                  unit.name if unit else "", counted, np_first, np_last, evidence, partitive, max(last, np_last),
                  rules=rules, tentative=tentative)


def _never_counted(tokens: list[Token], m: NumberMention) -> bool:
    """An "a" or "one" that ``_draft`` surely rejects ("a statement", "one country"), told without reading
    its unit or noun phrase.

    ``_draft`` keeps such a mention only with a unit after it, a partitive "of", an empty noun phrase
    or a single person in the phrase. Here the word right after it starts a noun phrase (a word that is
    not "of", a preposition, a clause or time word, nor the start of a predicate) and no unit
    (``may_start_unit``), and no single person stands among the words up to the next punctuation mark
    or number, which no noun phrase crosses (a bracket, which one may skip, is not told here).
    """
    j = m.last + 1
    n = len(tokens)
    if m.kind not in ("article", "one") or m.compound_unit or j >= n:
        return False
    tok = tokens[j]
    low = tok.lower
    words = category_words()
    if tok.kind not in ("word", "abbr") or low == "of" or low in _edges(words.predicates)[0]:
        return False
    if (low in _PREPOSITIONS or low in _CLAUSE_WORDS or low in _TIME_WORDS) and not (
            len(tok.text) > 1 and tok.text.isupper()):
        return False  # the noun phrase may be empty
    people = words.people
    for k in range(j, n):
        tok = tokens[k]
        if tok.kind not in ("word", "abbr"):
            if tok.text in ("[", "("):
                return False
            if tok.text in ("'", "’"):
                continue  # "the town's mayor": a phrase goes on after a possessive
            break
        if tok.lower in people and _singular_person(tok):
            return False
    return not may_start_unit(tokens, j)


def prev_word(tokens: list[Token], m: NumberMention) -> str:
    """The word a number expression starts with (its qualifier, when it has one)."""
    return tokens[m.start_token].lower if m.start_token >= 0 else ""


def _inherit_lists(tokens: list[Token], drafts: list[_Draft]) -> None:
    """Figures listed together share a noun, a subject and an estimate.

    "fifteen members have been killed, 90 wounded and another 20 missing";
    "20 airstrikes in Iraq and four in Syria".
    """
    for prev, cur in zip(drafts, drafts[1:]):
        gap = [t.lower for t in tokens[prev.last_token + 1:cur.mention.start_token]]
        listed = len(gap) <= 8 and ("and" in gap or "," in gap or "while" in gap)
        if not listed or cur.np_last >= cur.np_first or cur.evidence == "unit":
            continue
        if cur.evidence == "none" and prev.evidence in ("head", "predicate", "object"):
            cur.category = prev.category
            cur.evidence = "list"
            cur.rules.append("list.inherit")
        if cur.category != prev.category and cur.category not in CASUALTY_CATEGORIES:
            continue
        cur.counted = cur.counted or prev.counted
        cur.subject = cur.subject or prev.subject
        if prev.qualifier == "approximate" and cur.qualifier == "exact":
            cur.qualifier = "approximate"


def _gap(tokens: list[Token], a: _Draft, b: _Draft) -> list[str]:
    """Lower-cased tokens between the end of draft a's reading and the start of draft b."""
    return [t.lower for t in tokens[a.last_token + 1:b.mention.start_token]]


def _without_names(tokens: list[Token], a: _Draft, b: _Draft) -> list[str]:
    """The gap with a name in apposition left out: "a former legislator, Pedro Ruiz, and his bodyguard"."""
    gap = tokens[a.last_token + 1:b.mention.start_token]
    words: list[str] = []
    k = 0
    while k < len(gap):
        if gap[k].text == "," and k + 1 < len(gap) and gap[k + 1].text[:1].isupper() and gap[k + 1].kind in (
                "word", "abbr"):
            end = k + 1
            while end < len(gap) and (gap[end].text[:1].isupper() or gap[end].text == "."):
                end += 1
            if end < len(gap) and gap[end].text == ",":
                k = end  # keep the closing comma
                continue
        if gap[k].lower == "aged" and k + 1 < len(gap) and gap[k + 1].kind == "num":
            k += 2  # "a student aged 19 and a trader aged 23"
            continue
        words.append(gap[k].lower)
        k += 1
    return words


def _coordinated(gap: list[str]) -> bool:
    """Counts joined in one clause: "three women AND six children", "12 civilians, three soldiers".

    A bracket or a clause word between them breaks the clause ("15 (10 civilians and five policemen)").
    """
    joiners = _structure().joiners
    if gap and gap[-1] in ("his", "her", "their", "its", "the", "another"):
        gap = gap[:-1]  # "a woman and her three children"
    return bool(gap) and all(w in joiners or w in ("as", "well") for w in gap)


def _is_thing(tokens: list[Token], d: _Draft) -> bool:
    return d.np_last >= d.np_first and tokens[d.np_last].lower in category_words().not_people


def _family_of(tokens: list[Token], drafts: list[_Draft]) -> list[_Draft]:
    """"killed a family of five": five people, not one family and a bare five (family.of)."""
    table = _structure().family_of
    result: list[_Draft] = []
    for d in drafts:
        j = d.mention.start_token
        key = (tokens[j - 2].lower, tokens[j - 1].lower) if j >= 2 else ()
        if key not in table or d.evidence == "unit":
            result.append(d)
            continue
        family = result[-1] if result and result[-1].np_last == j - 2 else None
        if family is not None:
            result.pop()
            governing = family
        else:
            governing = None
        if d.category not in CASUALTY_CATEGORIES:
            if governing is not None and governing.category in CASUALTY_CATEGORIES:
                d.category, d.rules = governing.category, [*governing.rules]
            else:
                obj = _object_of_before(tokens, j - 4)  # "killed a family of five"
                if obj is not None and obj[0] in CASUALTY_CATEGORIES:
                    d.category, d.rules = obj[0], [obj[1]]
            d.evidence = "object"
        d.rules.append("family.of")
        d.unit = "count"
        if governing is not None:
            d.start = min(d.start, governing.start)
        result.append(d)
    return result


_PLURAL_PEOPLE = frozenset({
    "men", "women", "children", "people", "police", "staff", "personnel", "militiamen", "policemen", "gunmen",
    "servicemen", "troops", "civilians",
})


def _singular_person(tok: Token) -> bool:
    low = tok.lower
    if tok.kind not in ("word", "abbr") or low in _PLURAL_PEOPLE or low.endswith("men"):
        return False
    if low.endswith("s") and not low.endswith("ss"):
        return False
    return low in category_words().people


def _single_draft(tokens: list[Token], first: int, head: int, last: int, category: str, rules: list[str]) -> _Draft:
    m = NumberMention(tokens[first].start, tokens[last].end, first, first, 1.0, 1.0, 1.0, "exact", "single", 1.0,
                      start_token=first)
    return _Draft(m, tokens[first].start, tokens[last].end, category, 1.0, 1.0, 1.0, "exact", "count", 1.0, "", "",
                  head, head, "predicate", False, last, rules=rules, tentative=True)


def _subject_before(tokens: list[Token], aux: int) -> tuple[int, int, str] | None:
    """The singular subject ending right before token ``aux``: (first token, head token, rule)."""
    rules = _structure()
    j = aux - 1
    if j < 0 or tokens[j].kind not in ("word", "abbr"):
        return None
    if _singular_person(tokens[j]):
        # "A Catholic priest", "the town's mayor": a determiner within four words before the noun
        for k in range(j - 1, max(-1, j - 5), -1):
            low = tokens[k].lower
            if low in rules.single_determiners:
                return k, j, "single.victim"
            if tokens[k].kind not in ("word", "abbr") and tokens[k].text not in ("'", "’", "-"):
                break
        return None
    if tokens[j].lower in _ORDINALS and j >= 1 and tokens[j - 1].lower in ("a", "another"):
        return j - 1, j, "single.victim"  # "two women were killed and a third was wounded"
    # "the head of the passport department", "one of the founders"
    for k in range(j - 1, max(0, j - 6), -1):
        if tokens[k].kind not in ("word", "abbr"):
            return None
        if tokens[k].lower == "of":
            noun = k - 1
            if noun >= 1 and tokens[noun - 1].lower in rules.single_determiners and (
                    _singular_person(tokens[noun])):
                return noun - 1, noun, "single.victim"
            if noun >= 0 and tokens[noun].lower == "one" and k + 1 < aux and tokens[k + 1].lower in (
                    "the", "its", "their", "his", "her"):
                return noun, j, "single.victim"
            if noun >= 3 and [t.lower for t in tokens[noun - 3:noun]] in (["one", "of", "the"], ["one", "of", "its"],
                                                                          ["one", "of", "their"]):
                return noun - 3, noun, "single.victim"  # "One of the founders of the protest movement was"
            return None
    # "Ahmed Salim": two or more capitalised words
    k = j
    while k >= 0 and tokens[k].kind == "word" and tokens[k].text[:1].isupper() and tokens[k].lower not in (
            "the", "a", "an"):
        k -= 1
    if j - k >= 2 and (k < 0 or tokens[k].text in (",", ";", "(") or tokens[k].lower in ("and", "when", "after")):
        return k + 1, j, "single.named"
    return None


_AGE_RE = re.compile(r"^\d+-(?:year|month|week|day)s?-old$")


def _person_phrase(tokens: list[Token], i: int) -> tuple[int, int, int, float] | None:
    """A person named by a noun phrase starting at determiner i ("his brother", "a 10-year-old boy",
    "the traditional ruler of Ogboji"): (first token of the span, head, last token read, how many people)."""
    rules = _structure()
    words = category_words()
    people, group_nouns, stops = words.people, rules.group_nouns, _person_phrase_stops()
    n = len(tokens)
    first = i
    j = i + 1
    while j < n and j - i <= 5:
        tok = tokens[j]
        if tok.kind == "num" and _AGE_RE.match(tok.lower):
            first = j + 1  # "a 10-year-old boy": the age is no part of the count
            j += 1
            continue
        if tok.kind not in ("word", "abbr"):
            return None
        low = tok.lower
        # (the cheap set and capital tests first: a singular person is among the people words, a demonym capitalised)
        if low in group_nouns or low in people and _singular_person(tok) or tok.text[:1].isupper() and _demonym(
                tokens, j):
            break
        if low in stops:
            return None  # "the ninth reporter killed this year": a rank, not a count
        j += 1
    else:
        return None
    if j >= n:
        return None
    head = last = j
    if tokens[head].lower in _HOUSEHOLD_HEADS and head + 1 < n and tokens[head + 1].lower == "of":
        return None  # "a family of nine": the number counts (family.of)
    if head + 1 < n and tokens[head + 1].lower == "of":
        # "the head of the passport department", "an employee of the human rights office"
        k = head + 2
        while k < n and k - head <= 7 and tokens[k].kind in ("word", "abbr") and (
                tokens[k].lower == "the" or tokens[k].lower not in _CLAUSE_WORDS | _PREPOSITIONS) \
                and tokens[k].lower not in _start_words() and tokens[k].lower not in qualifier_words():
            last = k
            k += 1
        if last == head + 1:
            last = head
    return min(first, head), head, last, float(rules.group_nouns.get(tokens[head].lower, 1))


_ORDINALS = frozenset(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth latest last next "
    "only same".split())


@lru_cache(maxsize=1)
def _person_phrase_stops() -> frozenset[str]:
    """The words that end a person phrase unread: clause words, prepositions, things, time words, ordinals
    (one set: most words of a sentence are looked up, and five lookups were a sixth of reading a phrase)."""
    return _CLAUSE_WORDS | _PREPOSITIONS | category_words().not_people | _TIME_WORDS | _ORDINALS
_DEMONYM_ENDINGS = ("an", "ese", "ish", "on", "ch", "i")


def _demonym(tokens: list[Token], j: int) -> bool:
    """"a Briton", "a Palestinian": a nationality standing for a person (before a comma, 'and' or a verb)."""
    tok = tokens[j]
    if tok.kind != "word" or not tok.text[:1].isupper() or not tok.lower.endswith(_DEMONYM_ENDINGS):
        return False
    nxt = tokens[j + 1].lower if j + 1 < len(tokens) else "."
    return nxt in (",", "and", "was", "were", ")", ".", "who", "had", "has")


@lru_cache(maxsize=1)
def _single_starters() -> frozenset[str]:
    """The words a single victim's phrase starts with: a determiner or the first word of an auxiliary."""
    rules = _structure()
    return rules.person_determiners | frozenset(_edges(rules.single_aux)[0])


def _single_victims(ctx: ArticleContext, tokens: list[Token], drafts: list[_Draft]) -> list[_Draft]:
    """People counted without a number: "a journalist was killed", "shot dead the mayor and his driver" (1 each).

    Each person noun phrase becomes a draft of value 1; its category comes from its own governing word
    (single.victim / single.object) or later from the clause it is coordinated with or included in
    (``_relate``). Those left without a casualty category are dropped in ``_drop_unread_singles``.
    """
    if _casualty_words().isdisjoint(map(_LOWER, tokens)):
        return []  # nothing in the sentence says anyone was hurt
    words = category_words()
    rules = _structure()
    taken = [(d.start, tokens[d.np_last].end if d.np_last >= d.np_first else d.end) for d in drafts]
    found: list[_Draft] = []
    n = len(tokens)
    skip_to = -1
    starters = _single_starters()
    aux_starts = (_EDGES.get(id(rules.single_aux)) or _edges(rules.single_aux))[0]
    for i in list(compress(count(), map(starters.__contains__, map(_LOWER, tokens)))):
        tok = tokens[i]
        if tok.kind != "word" or i <= skip_to:
            continue
        d: _Draft | None = None
        if tok.lower in rules.person_determiners:
            person = _person_phrase(tokens, i)
            if person is not None and last_is_speaker(tokens, person[2]):
                person = None  # "..., a local official said": the source, not a victim
            if person is not None:
                first, head, last, value = person
                d = _single_draft(tokens, first, head, last, "other", ["single.victim"])
                d.value = d.low = d.high = d.reported_value = value
                d.evidence = "none"
                predicate = _predicate_after(tokens, _after_apposition(tokens, last + 1))
                obj = _object_of_before(tokens, i - 1)
                if predicate is not None and predicate.category in CASUALTY_CATEGORIES:
                    if not predicate.passive and _object_follows(tokens, predicate.last + 1):
                        continue  # "a gunman killed three people": the attacker
                    d.category, d.evidence = predicate.category, "predicate"
                    d.rules.append(predicate.rule)
                    last = max(last, predicate.last)  # "a journalist with the state broadcaster was ...": one person
                elif obj is not None and obj[0] in CASUALTY_CATEGORIES:
                    d.category, d.evidence = obj[0], "object"
                    d.rules = ["single.object", obj[1]]
                skip_to = last
        if d is None:
            # (a determiner that starts no auxiliary is not matched: most starters)
            aux = _match(tokens, i, rules.single_aux) if tok.lower in aux_starts else None
            if aux is None:
                continue
            j = i + aux[1]
            while j < n and (tokens[j].lower in ("reportedly", "also", "allegedly", "later", "then") or (
                    tokens[j].lower.endswith("ly") and tokens[j].kind == "word")):
                j += 1  # "was critically wounded"
            if j >= n:
                continue  # "..., the city was": a sentence cut after its auxiliary
            pred = _match(tokens, j, words.predicates)
            if pred is None or pred[0] not in CASUALTY_CATEGORIES:
                continue
            subject = _subject_before(tokens, i)
            if subject is None:
                continue
            first, head, rule = subject
            if rule == "single.named" and (pred[0] not in rules.named_categories or ctx.places_between(
                    tokens[first].start, tokens[head].end) or ctx.actors_between(tokens[first].start, tokens[head].end)):
                continue
            key = tuple(map(_LOWER, tokens[j:j + pred[1]]))
            d = _single_draft(tokens, first, head, i - 1, pred[0], [rule, words.rule_of[("after", key)].id])
        if any(a < d.end and d.start < b for a, b in taken):
            continue
        taken.append((d.start, d.end))
        found.append(d)
    return found


def last_is_speaker(tokens: list[Token], last: int) -> bool:
    """Is the phrase ending at token ``last`` the one who speaks ("the mayor said", "the governor of Kherson said")?"""
    from .knowledge import attribution_words

    return last + 1 < len(tokens) and tokens[last + 1].lower in attribution_words()["speech_verbs"]


def _after_apposition(tokens: list[Token], j: int) -> int:
    """Skip ", Ko Jimmy," and a relative clause "who covered crime in Sonora" up to the verb that follows."""
    n = len(tokens)
    if j < n and tokens[j].text == "," and j + 1 < n and tokens[j + 1].text[:1].isupper():
        k = j + 1
        while k < n and (tokens[k].text[:1].isupper() or tokens[k].text == "."):
            k += 1
        if k < n and tokens[k].text == ",":
            return k + 1
    markers = _structure().passive_markers
    if j < n and tokens[j].text == ",":
        # "A prominent tribal leader, the head of the Masalit community, was killed"
        for k in range(j + 1, min(n, j + 14)):
            if tokens[k].text == ",":
                if k + 1 < n and tokens[k + 1].lower in markers:
                    return k + 1
                break
    if j < n and tokens[j].kind == "word" and tokens[j].lower.endswith("ing") and tokens[j].lower not in _PREPOSITIONS:
        # "A Kenyan police officer serving with the mission was killed"
        for k in range(j + 1, min(n, j + 10)):
            if tokens[k].text in (",", ";"):
                break
            if tokens[k].lower in markers:
                return k
    if j < n and tokens[j].lower in ("who", "whose"):
        markers = _structure().passive_markers
        for k in range(j + 1, min(n, j + 12)):
            if tokens[k].text in (",", ";"):
                break
            if tokens[k].lower in markers and k > j + 1:
                return k
    return j


@lru_cache(maxsize=1)
def _casualty_words() -> frozenset[str]:
    """Every word of a casualty phrase (after or before a count)."""
    words = category_words()
    return frozenset(w for table in (words.predicates, words.objects_of) for key, category in table.items()
                     if category in CASUALTY_CATEGORIES for w in key if w not in _CLAUSE_WORDS | _PREPOSITIONS)


def _drop_unread_singles(drafts: list[_Draft]) -> list[_Draft]:
    """A person phrase is a figure only when something says what happened to them."""
    kept = [d for d in drafts if d.category in CASUALTY_CATEGORIES or (d.tentative and d.part_of is not None) or not (
        d.mention.kind == "single" or d.tentative)]
    if len(kept) == len(drafts):
        return drafts
    index = {id(d): k for k, d in enumerate(kept)}
    for d in kept:  # part_of indexes the old list
        if d.part_of is not None:
            d.part_of = index.get(id(drafts[d.part_of]))
    return kept


def _relate(tokens: list[Token], drafts: list[_Draft]) -> None:
    """Parts and totals, coordinated counts and their event total (rules part.*, coord.*, event.total)."""
    rules = _structure()
    n = len(drafts)
    # the words between each draft and the one before (their reading spans stay as they are here)
    gaps = [[], *(_gap(tokens, drafts[i - 1], drafts[i]) for i in range(1, n))]
    # clauses of coordinated counts
    chains: list[list[int]] = []
    for i, d in enumerate(drafts):
        if i and chains and chains[-1][-1] == i - 1 and d.evidence != "unit" and drafts[i - 1].evidence != "unit" \
                and _coordinated(_without_names(tokens, drafts[i - 1], d)):
            chains[-1].append(i)
        else:
            chains.append([i])
    # "a senior commander, the head of the rocket unit,": a person in apposition is the same person
    appositive = {chain[-1] for chain in chains if len(chain) > 1 and drafts[chain[-1]].mention.kind == "single"
                  and gaps[chain[-1]] == [","]}
    for chain in chains:
        if chain[-1] in appositive:
            drafts[chain[-1]].category = "other"  # dropped with the unread singles
            chain.pop()
    # "executed along with three other prisoners", "killed along with his cameraman"
    for i in range(1, n):
        a, b = drafts[i - 1], drafts[i]
        gap = gaps[i]
        if gap[-2:] in (["along", "with"], ["together", "with"]) and a.category in CASUALTY_CATEGORIES \
                and b.evidence not in ("predicate", "object", "unit") and not _is_thing(tokens, b):
            b.category, b.evidence = a.category, "predicate"
            b.rules = ["coord.along", *b.rules]
    for chain in chains:
        if len(chain) < 2:
            continue
        members = [drafts[i] for i in chain]
        governor = next((d for d in reversed(members) if d.evidence == "predicate"
                         and d.category in CASUALTY_CATEGORIES), None)
        if governor is not None:
            for d in members[:members.index(governor)]:
                if d.category not in CASUALTY_CATEGORIES and d.evidence != "predicate" and not _is_thing(tokens, d):
                    d.category, d.evidence = governor.category, "predicate"
                    d.rules = ["coord.passive", *governor.rules[:1], *d.rules]
        governor = next((d for d in members if d.evidence == "object" and d.category in CASUALTY_CATEGORIES), None)
        if governor is not None:
            for d in members[members.index(governor) + 1:]:
                if d.category not in CASUALTY_CATEGORIES and not _is_thing(tokens, d):
                    d.category, d.evidence = governor.category, "object"
                    d.rules = ["coord.object", *governor.rules[:1], *d.rules]
    chain_of = {i: chain for chain in chains for i in chain}
    # parts of a stated total
    for i in range(1, n):
        a, b = drafts[i - 1], drafts[i]
        gap = gaps[i]
        if ":" in gap and b.evidence != "unit" and b.part_of is None:
            # "killed 101 fighters in two days, the Observatory said: 85 from the factions and 16 SDF members"
            total_index = next((k for k in range(i - 1, -1, -1) if drafts[k].evidence != "unit"), None)
            total = drafts[total_index] if total_index is not None else None
            if total is not None and total.category in CASUALTY_CATEGORIES and total.value is not None:
                members = [i]
                k = i + 1
                while k < n and drafts[k].evidence != "unit" and len(gaps[k]) <= 6 \
                        and gaps[k][-1:] in (["and"], [","]):
                    members.append(k)
                    k += 1
                if sum(drafts[k].value or 0 for k in members) <= total.value:
                    for k in members:
                        drafts[k].part_of, drafts[k].category = total_index, total.category
                        drafts[k].rules.append("part.colon")
                    continue
        money = a.category == b.category == "money" and a.unit == b.unit  # "£1.5bn, including £200m for ..."
        share = b.mention.kind == "fraction" and b.partitive and a.evidence != "unit"  # "half of them children"
        if (a.evidence == "unit" or b.evidence == "unit") and not (money or share) or b.part_of is not None:
            continue
        gap = gaps[i]
        rule = ""
        if b.partitive and (len(gap) <= 2 or gap[-1] == "," and len(gap) <= 12 and ";" not in gap):
            rule = "part.partitive"
        elif gap and gap[0] in ("(", "[") and len(gap) <= 2:
            rule = "part.parenthesis"
        elif 0 < len(gap) <= 12 and any(_match_key(gap, k, rules.part_before) for k in range(max(0, len(gap) - 3),
                                                                                      len(gap))):
            rule = "part.including"  # "..., including", "..., among them" right before the part
        if rule:
            members = [k for k in chain_of[i] if k >= i]
            k = members[-1] + 1
            while k < n and b.category == "money" and drafts[k].unit == b.unit and drafts[k].part_of is None:
                # "includes £200m for the NHS and £50m for schools": parts listed with their own short tails
                tail = [w for w in gaps[k] if w not in "$£€¥"]
                if not tail or tail[-1] not in ("and", ",") or len(tail) > 6 or "(" in tail:
                    break
                members.append(k)
                k += 1
            for k in members:
                part = drafts[k]
                part.part_of = i - 1
                if a.category in CASUALTY_CATEGORIES and not _is_thing(tokens, part):
                    part.category = a.category
                part.rules.append(rule)
            continue
        between = [t.lower for t in tokens[a.mention.last + 1:b.mention.start_token]]
        if between in (["of", "the"], ["of"]) and a.part_of is None:
            # "16 of the 20 kidnapped travellers" (part.of_the)
            a.part_of = i
            if b.category in CASUALTY_CATEGORIES and a.category not in CASUALTY_CATEGORIES:
                a.category = b.category
            a.rules.append("part.of_the")
            continue
        if 0 < len(gap) <= 8 and any(w in rules.among for w in gap[-2:]) and b.category in CASUALTY_CATEGORIES:
            # "Three officers were among the 11 dead"
            for k in chain_of[i - 1]:
                part = drafts[k]
                if k < i:
                    part.part_of = i
                    part.category = b.category
                    part.rules.append("part.among")
    # the sum of counts joined in one clause, when no total is stated
    totals = {d.part_of for d in drafts if d.part_of is not None}
    for chain in chains:
        members = [drafts[i] for i in chain]
        if len(members) < 2 or any(d.part_of is not None or i in totals for i, d in zip(chain, members)):
            continue
        category = members[0].category
        if category not in CASUALTY_CATEGORIES or any(d.category != category or d.value is None for d in members):
            continue
        total = sum(d.value for d in members if d.value is not None)
        for d in members:
            d.event_total = total
            d.rules.append("event.total")


def _older_tolls(mentions: list[NumberMention], drafts: list[_Draft]) -> None:
    """"rose to 126, up from 89": the older figure counts what the newer one counts (update.older)."""
    by_mention = {id(d.mention): d for d in drafts}
    for d in drafts:
        if d.mention.update_of is None:
            continue
        old = by_mention.get(id(mentions[d.mention.update_of]))
        if old is not None and old.category == "other" and old.evidence != "unit":
            old.category = d.category
            old.rules.append("update.older")


def _match_key(words: list[str], j: int, table: dict[tuple[str, ...], str]) -> bool:
    return any(tuple(words[j:j + length]) in table for length in (1, 2, 3) if j + length <= len(words))


def _handover(tokens: list[Token], d: _Draft) -> DraftSpan:
    """The figure as character offsets, for the subject and place readers."""
    # (the named tuple made without its Python-level __new__, fields in their order: one or two a figure)
    if d.np_last >= d.np_first:
        return _new_tuple(DraftSpan, (d.start, d.end, d.category, tokens[d.np_first].start, tokens[d.np_last].end, True,
                                      d.partitive, tokens[d.np_last].lower))
    return _new_tuple(DraftSpan, (d.start, d.end, d.category, d.end, d.end, False, d.partitive, ""))


_new_tuple = tuple.__new__
assert DraftSpan._fields == ("start", "end", "category", "np_start", "np_end", "has_np", "partitive", "head"), \
    "_handover fills DraftSpan's fields by position"


def _sentence_figures(ctx: ArticleContext, occurrence: int, index: int, sentence: Sentence) -> list[Figure]:
    article = ctx.article
    tokens = ctx.tokens(sentence)
    mentions = find_numbers(tokens, sentence.text, sentence.start)
    drafts: list[_Draft] = []
    for m in mentions:
        if _never_counted(tokens, m):
            continue  # (most "a"/"one": the same None _draft gives, without reading a unit or noun phrase)
        d = _draft(tokens, sentence.text, sentence.start, m)
        if d is None:
            continue
        # "150 kilometres (95 miles)": a conversion in parentheses is the same claim
        if drafts and d.evidence == "unit" and drafts[-1].evidence == "unit" and drafts[-1].unit == d.unit \
                and "(" in article.text[drafts[-1].end:d.start] and d.start - drafts[-1].end <= 3:
            continue
        drafts.append(d)
    drafts = _family_of(tokens, drafts)
    singles = _single_victims(ctx, tokens, drafts)
    if singles:
        drafts = sorted([*drafts, *singles], key=lambda d: d.start)
    if not drafts:
        return []
    handovers: list[DraftSpan] | None = [_handover(tokens, d) for d in drafts]
    for d, handover in zip(drafts, handovers):
        d.subject = provenance.subject_of(ctx, sentence, handover)
    if len(drafts) > 1:  # (each relates figures to one another: a lone figure is left as it is)
        _older_tolls(mentions, drafts)
        _inherit_lists(tokens, drafts)
        _relate(tokens, drafts)
        handovers = None  # (categories and noun phrases may have changed: handed over anew)
    drafts = _drop_unread_singles(drafts)
    if not drafts:
        return []
    figures: list[Figure] = []
    ids = [figure_id(article.article_id, sentence.text, d.start - sentence.start, d.end - sentence.start, occurrence)
           for d in drafts]
    id_of_mention = {id(d.mention): ids[k] for k, d in enumerate(drafts)}
    for n, d in enumerate(drafts):
        next_start = drafts[n + 1].start if n + 1 < len(drafts) else sentence.end
        # location, reference_place, place_id, admin1, country, source, source_type, told, scope, event_date
        prov = provenance.provenance_of(ctx, _handover(tokens, d) if handovers is None else handovers[n], index,
                                        next_start)
        location, reference_place, place_id, admin1, country, source, source_type, told, scope, event_date = prov
        old = d.mention.update_of
        # (by position, in _FIGURE_ORDER: keywords cost 4 us a figure, a third of making one)
        figures.append(Figure(
            ids[n], article.article_id, article.path, d.start, d.end, article.text[d.start:d.end], sentence.text,
            d.category, d.value, d.low, d.high, d.qualifier, d.unit, d.reported_value, d.reported_unit, d.counted,
            d.subject, location, source, source_type, article.published, article.outlet, "", reference_place,
            sentence.start, sentence.end, id_of_mention.get(id(mentions[old]), "") if old is not None else "",
            " ".join(dict.fromkeys(d.rules)), ids[d.part_of] if d.part_of is not None else "", scope, event_date,
            place_id, admin1, country, "", told, d.event_total,
        ))
    return figures


# Figure's fields as _sentence_figures passes them (group_id and incident_id are filled later)
_FIGURE_ORDER = (
    "figure_id", "article_id", "path", "start", "end", "surface", "sentence", "category", "value", "low", "high",
    "qualifier", "unit", "reported_value", "reported_unit", "counted", "subject", "location", "source", "source_type",
    "published", "outlet", "group_id", "reference_place", "sentence_start", "sentence_end", "supersedes", "evidence",
    "part_of", "scope", "event_date", "place_id", "admin1", "country", "incident_id", "told", "event_total")
assert FIGURE_FIELDS == _FIGURE_ORDER, "_sentence_figures makes a Figure by position: its fields changed"
assert provenance.Provenance._fields == ("location", "reference_place", "place_id", "admin1", "country", "source",
                                         "source_type", "told", "scope", "event_date"), \
    "_sentence_figures unpacks a Provenance by position"


def extract_figures(article: Article | str, within: tuple[int, int] | None = None,
                    context: Callable[[Article, list[Sentence]], ArticleContext] = ArticleContext) -> list[Figure]:
    """Every figure in an article (or a bare text), in reading order.

    Parameters
    ----------
    article
        An :class:`~auditor.model.Article`, or plain text (then ``article_id`` is ``"text"``).
    within
        Only the figures of sentences starting in this character range ``[start, end)``, read
        against the whole article (one piece of a huge article, :mod:`auditor._article_parts`).
    context
        Builds the article's :class:`~auditor.provenance.ArticleContext` from it and its sentences.

    Returns
    -------
    list[Figure]
        Figures whose ``start``/``end`` index ``article.text``.
    """
    if isinstance(article, str):
        article = Article(article_id="text", path="", text=article)
    sentences = split_sentences(article.text)
    candidates = [(i, s) for i, s in enumerate(sentences) if not s.boilerplate and _may_hold_figure(s.text)]
    if not candidates:
        return []
    ctx = context(article, sentences)
    figures: list[Figure] = []
    seen: dict[str, int] = {}  # sentence text -> how many times it came before (for stable ids)
    for index, sentence in candidates:
        occurrence = seen.get(sentence.text, 0)
        seen[sentence.text] = occurrence + 1
        if within is None or within[0] <= sentence.start < within[1]:
            figures.extend(_sentence_figures(ctx, occurrence, index, sentence))
    return figures

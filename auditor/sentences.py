"""Split an article's text into paragraphs and sentences with exact offsets.

A paragraph is one line: news files put one paragraph per line, so a line break always ends
a paragraph and a sentence. Inside a line a sentence ends at ``. ? ! … ؟`` (closing quotes and
brackets stay with it) followed by whitespace and a word that does not start in lowercase,
unless the period belongs to an abbreviation listed in ``data/abbreviations.yaml``. Lines of
page furniture (``data/boilerplate.yaml``), everything after a comment box or "previous/next
post" line in the second half of the text, and a leading YAML front matter are marked
``boilerplate``. Regular expressions only, so it runs at several MB/s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ._frontmatter import front_matter_span
from .knowledge import (
    _NOT_CASELESS,
    Caseless,
    _first_chars,
    _lower_case_form,
    _sre_parse,
    parse_yaml,
)
from .model import Sentence

# A line's text without its surrounding whitespace: from a non-space character to the last one before a line
# boundary (Python's str.splitlines() boundaries except the rare \x1c-\x1e separators; every one is a space).
_LINE_TEXT = re.compile(r"\S(?:[^\n\r\x0b\x0c\x85\u2028\u2029]*\S)?")
# Terminators, closing quotes/brackets, then the whitespace before the next sentence. (The first terminator
# outside a group: re then skips ahead to it by its character set, twice as fast; group 1 holds the others.)
_BOUNDARY = re.compile(r"[.?!…؟]([.?!…؟]*)([\"'”’»)\]]*)(\s+)")
_OPENING = "\"'“‘«([¿¡"
_TOKEN_STOP = frozenset(" \t\xa0" + _OPENING + "—–/")
_WORD = re.compile(r"\w+")
_INITIALISM = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")
_LINE_END_PUNCTUATION = ".?!…؟:;"
# The longest abbreviation worth looking up; longer words end sentences.
_MAX_TOKEN = 12


class _WholeLine:
    """Case-insensitive regular expressions, any of which may match a whole line: the furniture patterns.

    Every line of every article is tested, and most are prose that no pattern matches. One alternation
    of all of them is tried branch by branch at the line's start (5-10 us a line); here a lower-cased
    ASCII line (:class:`~auditor.knowledge.Caseless`'s fast path) is tried only against the patterns that
    can start with its first character, and a pattern that can start anywhere (".{0,150}all rights
    reserved") only when the line holds the strings every match of it holds. The same lines match: a
    whole-line match of an alternation is a whole-line match of one of its branches.
    """

    __slots__ = ("_all", "_anywhere", "_by_first", "_needing")

    def __init__(self, patterns: list[str]) -> None:
        self._all = Caseless("|".join(f"(?:{p})" for p in patterns))  # the reference, and other lines' path
        self._by_first: dict[str, re.Pattern[str]] | None = None
        self._anywhere: re.Pattern[str] | None = None
        self._needing: tuple[tuple[tuple[tuple[str, ...], ...], re.Pattern[str]], ...] = ()
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

    def matches(self, line: str) -> bool:
        """Whether one of the patterns matches all of ``line``, ignoring case."""
        if self._by_first is None or not (line.isascii() or _NOT_CASELESS.search(line) is None):
            return self._all.fullmatch(line) is not None
        lowered = line.lower()
        pattern = self._by_first.get(lowered[:1], self._anywhere)
        if pattern is not None and pattern.fullmatch(lowered) is not None:
            return True
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


@dataclass(frozen=True)
class _Rules:
    never_split: frozenset[str]
    split_unless_number: frozenset[str]
    split_before_starter: frozenset[str]
    sentence_starters: frozenset[str]
    boilerplate: _WholeLine
    page_end: _WholeLine
    max_boilerplate_chars: int


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of ``text``, in order, each stripped of surrounding whitespace.

    ``text[s.start:s.end] == s.text`` for every sentence; ``s.paragraph`` counts non-empty
    lines from 0; ``s.boilerplate`` marks page furniture and front matter.
    """
    # One loop over lines and their boundaries, sentences built in place: this runs over every line of every
    # article, and a function call a line or a sentence was a fifth of it.
    rules = _rules()
    front = front_matter_span(text)
    body_start = front[2] if front is not None else 0
    sentences: list[Sentence] = []
    append = sentences.append
    boundaries = _BOUNDARY.finditer
    max_furniture = rules.max_boilerplate_chars
    continues_furniture = False
    page_ended = False
    for paragraph, line in enumerate(_LINE_TEXT.finditer(text)):
        start, end = line.span()
        if start < body_start or page_ended:
            furniture = True
        elif continues_furniture and text[start].islower():
            furniture = True
        elif end - start > max_furniture:
            furniture = False  # (too long to be furniture or the page's end)
        else:
            page_ended = 2 * start > len(text) and rules.page_end.matches(line.group())
            furniture = page_ended or rules.boilerplate.matches(line.group())
        continues_furniture = furniture and text[end - 1] not in _LINE_END_PUNCTUATION
        sentence_start = start
        for boundary in boundaries(text, start, end):
            next_start = boundary.end()
            if next_start >= end:
                break
            if not _starts_sentence(text, next_start, end):
                continue
            period = boundary.start()
            if text[period] == "." and boundary.start(2) == period + 1 and _is_abbreviation(
                    text, sentence_start, period, next_start, end, rules):
                continue  # (a lone "." may close an abbreviation; "...", "?" and "!" always end a sentence)
            stop = boundary.start(3)
            sentence = _new(Sentence)
            _set(sentence, "__dict__", {"start": sentence_start, "end": stop, "text": text[sentence_start:stop],
                                        "paragraph": paragraph, "boilerplate": furniture})
            append(sentence)
            sentence_start = next_start
        sentence = _new(Sentence)
        _set(sentence, "__dict__", {"start": sentence_start, "end": end, "text": text[sentence_start:end],
                                    "paragraph": paragraph, "boilerplate": furniture})
        append(sentence)
    return sentences


# A Sentence's fields set at once: a frozen dataclass's ``__init__`` sets each through ``object.__setattr__``
# (0.32 -> 0.19 us, one per sentence of a corpus).
_new = object.__new__
_set = object.__setattr__


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every non-empty line, stripped of surrounding whitespace."""
    return [match.span() for match in _LINE_TEXT.finditer(text)]


def is_boilerplate(line: str) -> bool:
    """Whether one line of text is page furniture (comment widgets, player controls, newsletters, ...)."""
    return _is_furniture(line.strip(), _rules())


def _is_furniture(line: str, rules: _Rules) -> bool:
    return len(line) <= rules.max_boilerplate_chars and rules.boilerplate.matches(line)


def _starts_sentence(text: str, pos: int, end: int) -> bool:
    """The next sentence may begin at ``pos``: a capital, a caseless letter or a digit, maybe after a quote."""
    char = text[pos]
    if char in _OPENING and pos + 1 < end:
        char = text[pos + 1]
    return char.isalnum() and not char.islower()


def _is_abbreviation(text: str, floor: int, period: int, next_start: int, end: int, rules: _Rules) -> bool:
    """Whether the period at ``period`` closes an abbreviation rather than a sentence."""
    token_start = period
    while token_start > floor and text[token_start - 1] not in _TOKEN_STOP:
        token_start -= 1
        if period - token_start > _MAX_TOKEN:
            return False
    token = text[token_start:period]
    if not token:
        return False
    if token in rules.never_split or (len(token) == 1 and token.isupper()):
        return True  # a title before a name, or a middle initial ("George W. Bush")
    if "." in token and token.rsplit(".", 1)[1] in rules.never_split:
        return True  # "Lt.Gen."
    # (the next word is read only for the tokens whose reading depends on it: most tokens are plain words)
    if token in rules.split_unless_number:
        return _next_word(text, next_start, end)[:1].isdigit()
    if token in rules.split_before_starter or ("." in token and _INITIALISM.fullmatch(token)):
        return _next_word(text, next_start, end) not in rules.sentence_starters
    return False


def _next_word(text: str, pos: int, end: int) -> str:
    if text[pos] in _OPENING:
        pos += 1
    match = _WORD.match(text, pos, end)
    return match.group() if match else ""


@cache
def _rules() -> _Rules:

    data = resources.files("auditor") / "data"
    abbreviations = parse_yaml((data / "abbreviations.yaml").read_text(encoding="utf-8"))
    furniture = parse_yaml((data / "boilerplate.yaml").read_text(encoding="utf-8"))

    def words(key: str) -> frozenset[str]:
        listed = [str(word) for word in abbreviations.get(key) or ()]
        return frozenset(listed + [word.upper() for word in listed])

    def alternatives(key: str) -> _WholeLine:
        return _WholeLine([str(p) for p in furniture[key]])

    return _Rules(
        never_split=words("never_split"),
        split_unless_number=words("split_unless_number"),
        split_before_starter=words("split_before_starter"),
        sentence_starters=frozenset(str(w) for w in abbreviations["sentence_starters"]),
        boilerplate=alternatives("patterns"),
        page_end=alternatives("page_end"),
        max_boilerplate_chars=int(furniture.get("max_line_chars", 300)),
    )


__all__ = ["is_boilerplate", "paragraph_spans", "split_sentences"]

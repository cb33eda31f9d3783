"""Split an article's text into paragraphs and sentences with exact offsets.

A paragraph is one line: news files put one paragraph per line, so a line break always ends
a paragraph and a sentence. Inside a line a sentence ends at ``. ? ! … ؟`` (closing quotes and
brackets stay with it) followed by whitespace and a word that does not start in lowercase,
unless the period belongs to an abbreviation listed in ``data/abbreviations.yaml``. Lines of
page furniture (``data/boilerplate.yaml``), everything after a comment box or "previous/next
post" line in the second half of the text, and a leading YAML front matter are marked
``boilerplate``. A "sentence" longer than any real one (text with no full stops: transcripts,
flattened tables, pasted PDFs) is cut into sentence-sized pieces at clause boundaries
(``data/long_sentences.yaml``), so that the work per figure stays bounded. Regular expressions
only, so it runs at several MB/s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ._frontmatter import front_matter_span
from .knowledge import WholeLineMatcher, parse_yaml
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


@dataclass(frozen=True)
class _Rules:
    never_split: frozenset[str]
    split_unless_number: frozenset[str]
    split_before_starter: frozenset[str]
    sentence_starters: frozenset[str]
    boilerplate: WholeLineMatcher
    page_end: WholeLineMatcher
    max_boilerplate_chars: int
    max_sentence_chars: int
    max_piece_chars: int
    clause_boundaries: tuple[tuple[re.Pattern[str], int], ...]


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of ``text``, in order, each stripped of surrounding whitespace.

    ``text[s.start:s.end] == s.text`` for every sentence; ``s.paragraph`` counts non-empty
    lines from 0; ``s.boilerplate`` marks page furniture and front matter.
    """
    # One loop over lines and their boundaries, sentences built in place: this runs over every line of every
    # article, and a function call a line or a sentence was a fifth of it.
    rules = _rules()
    max_chars = rules.max_sentence_chars
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
            if stop - sentence_start > max_chars:
                sentences += _pieces(text, sentence_start, stop, paragraph, furniture, rules)
            else:
                sentence = _new(Sentence)
                _set(sentence, "__dict__", {"start": sentence_start, "end": stop, "text": text[sentence_start:stop],
                                            "paragraph": paragraph, "boilerplate": furniture})
                append(sentence)
            sentence_start = next_start
        if end - sentence_start > max_chars:
            sentences += _pieces(text, sentence_start, end, paragraph, furniture, rules)
            continue
        sentence = _new(Sentence)
        _set(sentence, "__dict__", {"start": sentence_start, "end": end, "text": text[sentence_start:end],
                                    "paragraph": paragraph, "boilerplate": furniture})
        append(sentence)
    return sentences


def _pieces(text: str, start: int, end: int, paragraph: int, furniture: bool, rules: _Rules) -> list[Sentence]:
    """The over-long sentence ``text[start:end]`` as sentence-sized pieces (see ``data/long_sentences.yaml``)."""
    return [Sentence(start=a, end=b, text=text[a:b], paragraph=paragraph, boilerplate=furniture)
            for a, b in cut_spans(text, start, end, rules.max_piece_chars, rules.clause_boundaries)]


def cut_spans(text: str, start: int, end: int, max_chars: int,
              boundaries: tuple[tuple[re.Pattern[str], int], ...]) -> list[tuple[int, int]]:
    """``(start, end)`` of the pieces ``text[start:end]`` is cut into, in order, each at most ``max_chars``
    long and stripped of surrounding whitespace.

    ``boundaries`` are ``(pattern, shortest)`` pairs, by ``shortest`` (a pattern with a group ``gap``: the
    whitespace and separator between two pieces). A piece ends at the earliest boundary whose gap is at least its
    ``shortest`` characters from the piece's start (a stronger boundary makes a shorter piece); with none
    within ``max_chars``, where :func:`_fallback_cut` says (never inside a number or between a number and
    the word after it, when the piece has another place to end).
    Each pattern's matches are read once, in order, as the pieces move on: linear in the text.
    """
    spans: list[tuple[int, int]] = []
    matches = [boundary.finditer(text, start, end) for boundary, _ in boundaries]
    ahead: list[re.Match[str] | None] = [None] * len(boundaries)  # each pattern's next match not yet passed
    done = [False] * len(boundaries)
    piece_start = start
    while piece_start < end:
        furthest = piece_start + max_chars
        cut = None
        for k, (_, shortest) in enumerate(boundaries):
            earliest = piece_start + shortest
            if cut is not None and earliest > cut[0]:
                break  # (the rest start further on: they cannot end the piece sooner)
            match = ahead[k]
            while match is None or match.start("gap") < earliest:
                if done[k]:
                    match = None
                    break
                match = next(matches[k], None)
                if match is None:
                    done[k] = True
            ahead[k] = match
            if match is not None and match.start("gap") <= furthest and (cut is None or match.start("gap") < cut[0]):
                cut = match.span("gap")
        if cut is None:
            if end - piece_start <= max_chars:
                spans.append((piece_start, end))
                break
            cut = _fallback_cut(text, piece_start, furthest, end)
        piece_end, next_start = cut
        while piece_end > piece_start and text[piece_end - 1].isspace():
            piece_end -= 1
        while next_start < end and text[next_start].isspace():
            next_start += 1
        if piece_end > piece_start:
            spans.append((piece_start, piece_end))
        piece_start = next_start
    return spans


# Where a piece with no clause boundary ends, best first: whitespace with no digit on either side (not inside
# "12 000" or "4\xa0500", nor between a number and its noun: "12 | killed"); then, in a run with no space (a
# URL, base64, CJK text), right after punctuation and not before a digit ("1,|200" stays whole); then any
# whitespace (a table of bare numbers); else the piece's longest length, moved back out of a run of digits.
_SAFE_CUTS = (re.compile(r"(?<=[^\d\s])\s+(?=[^\d\s])"), re.compile(r"(?<=[^\w\s])(?=[^\d\s])"), re.compile(r"\s+"))
_LOOK_PAST = 64  # characters read past the piece's longest end, so a gap's look-ahead sees what follows it


def _fallback_cut(text: str, piece_start: int, furthest: int, end: int) -> tuple[int, int]:
    """``(piece end, next start)`` for a piece from ``piece_start`` with no clause boundary up to ``furthest``."""
    stop = min(end, furthest + _LOOK_PAST)
    for pattern in _SAFE_CUTS:
        last = None
        for match in pattern.finditer(text, piece_start + 1, stop):
            if match.start() > furthest:
                break
            last = match
        if last is not None:
            return last.span()
    cut = furthest
    while cut > piece_start + 1 and text[cut - 1].isdigit() and text[cut].isdigit():
        cut -= 1
    return (cut, cut) if cut > piece_start + 1 else (furthest, furthest)


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
    long = parse_yaml((data / "long_sentences.yaml").read_text(encoding="utf-8"))

    def words(key: str) -> frozenset[str]:
        listed = [str(word) for word in abbreviations.get(key) or ()]
        return frozenset(listed + [word.upper() for word in listed])

    def alternatives(key: str) -> WholeLineMatcher:
        return WholeLineMatcher([str(p) for p in furniture[key]])

    return _Rules(
        never_split=words("never_split"),
        split_unless_number=words("split_unless_number"),
        split_before_starter=words("split_before_starter"),
        sentence_starters=frozenset(str(w) for w in abbreviations["sentence_starters"]),
        boilerplate=alternatives("patterns"),
        page_end=alternatives("page_end"),
        max_boilerplate_chars=int(furniture.get("max_line_chars", 300)),
        max_sentence_chars=int(long["max_sentence_chars"]),
        max_piece_chars=int(long["max_piece_chars"]),
        # (a piece is at least one character long: a cut where the piece starts would not move on)
        clause_boundaries=tuple(sorted(((re.compile(str(b["pattern"])), max(1, int(b["shortest_piece"])))
                                        for b in long["boundaries"]), key=lambda pair: pair[1])),
    )


__all__ = ["is_boilerplate", "paragraph_spans", "split_sentences"]

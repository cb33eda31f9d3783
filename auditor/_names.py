"""Token scanning shared by the gazetteer and the actor lookup.

Both look up multi-word names in running text. Text is cut once into word tokens
(letters and digits; apostrophes inside a word stay in it, hyphens and dots split),
and each token gets a *key*: lower case, diacritics and apostrophes removed, so that
"Ba‘āj", "Ba'aj" and "Baaj" share the key ``baaj``. A name is the tuple of its token
keys; lookups walk a dict from a name's first key to the names that start with it.
"""

from __future__ import annotations

import re
import sys
from array import array
from bisect import bisect_left
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from operator import is_

import numpy

# Apostrophe-like marks (typographic quotes, transliteration marks for ayn/hamza, backtick).
_APOSTROPHES = "'’‘ʼ`´ʿʾ′"
_WORD_CHAR = r"[^\W_]"
_WORD = rf"{_WORD_CHAR}+"
_TOKEN_RE = re.compile(rf"{_WORD}(?:[{_APOSTROPHES}]{_WORD})*")
# The same tokens as a split pattern: the text comes back as gap, word, gap, word, ..., gap. (Possessive: the
# longest match is the only one, no state is kept to backtrack. A word opens with one character of its class, not a
# repeat: the regex engine then skips a gap by testing that class alone, not by trying a match at each character.
# Without "_" in the text a word character is just \w, which the engine tests faster than the class without "_",
# and faster still with the ASCII letters and digits first, which it tests by table; an ASCII text's words are
# those letters and digits alone.)
_SPLIT_RE = re.compile(rf"({_WORD_CHAR}{_WORD_CHAR}*+(?:[{_APOSTROPHES}]{_WORD_CHAR}+)*+)")
_UNICODE_WORD_CHAR = r"[0-9A-Za-z\w]"
_SPLIT_NO_UNDERSCORE_RE = re.compile(
    rf"({_UNICODE_WORD_CHAR}{_UNICODE_WORD_CHAR}*+(?:[{_APOSTROPHES}]{_UNICODE_WORD_CHAR}+)*+)")
_ASCII_APOSTROPHES = "".join(q for q in _APOSTROPHES if q.isascii())
_SPLIT_ASCII_RE = re.compile(rf"([0-9A-Za-z][0-9A-Za-z]*+(?:[{_ASCII_APOSTROPHES}][0-9A-Za-z]+)*+)")
# Where a token may end in a possessive, by apostrophe: each pattern opens with its two letters, which the engine
# finds faster than a class of apostrophes (and only the apostrophes the text holds are looked for).
_POSSESSIVE_RES = tuple((q + "s", re.compile(rf"{re.escape(q)}s(?![^\W_])")) for q in _APOSTROPHES)
_POSSESSIVE = tuple(q + "s" for q in _APOSTROPHES)
# Letters that Unicode decomposition leaves alone but English text writes plainly.
_PLAIN = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss",
                        "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ı": "i", "ħ": "h", "Ħ": "H"})
_DROP_APOSTROPHES = str.maketrans("", "", _APOSTROPHES)
# What may stand between two words of one name: spaces, one line break, hyphens, dashes, apostrophes.
_JOIN_RE = re.compile(rf"[ \t\u00a0\-‐‑–—{_APOSTROPHES}]*(?:\n[ \t\u00a0]*)?")
_KEY_CACHE_MAX = 500_000
_GAP_JOINS: dict[str, bool] = {" ": True}  # gap between two words (not starting with a dot) -> _joins(gap, ...)
_GAP_JOINS_MAX = 100_000
# gap starting with a dot -> (_joins after a word of two letters or more, after a one-letter word: "U.S.")
_DOT_GAP_JOINS: dict[str, tuple[bool, bool]] = {}


def fold(text: str) -> str:
    """``text`` without diacritics and without the letters English spells differently ("Ḩasakah" -> "Hasakah")."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_PLAIN))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class _Keys(dict[str, str]):
    """Word -> its key, worked out when first asked for: ``map(_KEYS.__getitem__, words)`` then keys every
    word with no test of the result per word."""

    __slots__ = ()

    def __missing__(self, word: str) -> str:
        key = fold(word).translate(_DROP_APOSTROPHES).lower()
        if len(self) >= _KEY_CACHE_MAX:  # bounded: corpora have long vocabularies
            self.clear()
        self[word] = key
        return key


_KEYS = _Keys()


def word_key(word: str) -> str:
    """The lookup key of one token: folded, lower case, apostrophes removed."""
    return _KEYS[word]


@dataclass(slots=True)
class Tokens:
    """Word tokens of a text: parallel lists of character offsets, surface words and keys."""

    text: str
    starts: Sequence[int]  # (arrays of machine words)
    ends: Sequence[int]
    words: list[str]
    keys: list[str]
    glued: list[bool]  # glued[i]: :meth:`joined` of every token, worked out once

    def __len__(self) -> int:
        return len(self.starts)

    def joined(self, i: int) -> bool:
        """Whether token ``i`` continues token ``i - 1`` within one name.

        Spaces, a single line break, hyphens and apostrophes join; a dot joins only
        after a one-letter word ("U.S.", "U.N."), so "Iraq. Forces" is not one name.
        """
        return self.glued[i]


def _joins(gap: str, previous: str) -> bool:
    """Whether the text ``gap`` between a word ``previous`` and the next keeps them in one name."""
    if gap == " ":
        return True
    if gap.startswith(".") and len(previous) == 1:
        gap = gap[1:]
    return _JOIN_RE.fullmatch(gap) is not None


def tokenize(text: str) -> Tokens:
    """Cut ``text`` into word tokens; a possessive "'s" becomes its own token ``s``."""
    # One split and running sums of the parts' lengths give every token's offsets without a Python
    # step per token (the article-wide scan cuts every word of every article).
    split = _SPLIT_ASCII_RE if text.isascii() else _SPLIT_RE if "_" in text else _SPLIT_NO_UNDERSCORE_RE
    parts = split.split(text)
    # (offsets in machine words, not int objects: an article-wide scan's took ~20 MB per MB of text; summed by
    # numpy, as building them one int object at a time took a tenth of an article's context)
    lengths = numpy.fromiter(map(len, parts), numpy.int64, len(parts))
    bounds = array("q", lengths.cumsum().tobytes())
    # (a word written again is the one string: an article's words held ~9 MB per MB of its text, apart)
    words = list(map(sys.intern, parts[1::2]))
    starts = bounds[0:-1:2]
    ends = bounds[1::2]
    gaps = parts[0:-1:2]  # gaps[k]: the text before word k (gaps[0] is no gap between words)
    possessive_ends = [m.end() for ending, pattern in _POSSESSIVE_RES if ending in text for m in pattern.finditer(text)]
    if possessive_ends:
        possessive_ends.sort()  # (in text order across the apostrophes: no two matches overlap)
        # a word that ends in "'s" ends where the pattern matches; the words ending there are found by bisection
        at = [bisect_left(ends, end) for end in possessive_ends]
        for k in reversed([k for k, end in zip(at, possessive_ends) if k < len(ends) and ends[k] == end
                           and len(words[k]) > 3 and words[k].endswith(_POSSESSIVE)]):
            word, start, end = words[k], starts[k], ends[k]
            words[k:k + 1] = (word[:-2], "s")
            starts[k:k + 1] = array("q", (start, end - 1))
            ends[k:k + 1] = array("q", (end - 2, end))
            gaps.insert(k + 1, text[end - 2:end - 1])  # the apostrophe
    keys = list(map(_KEYS.__getitem__, words))
    # (token 0 has no token before it: its entry is what the gap formula gives there, as it always did)
    glued = [_joins(text[ends[-1]:starts[0]], words[-1])] if words else []
    # A gap joins or not whatever the word before it, unless it starts with a dot (see _joins): those gaps are
    # looked up, the others worked out once per distinct gap and kept.
    after = list(map(_GAP_JOINS.get, gaps[1:]))
    if None in after:
        for k in list(compress(range(len(after)), map(is_, after, repeat(None)))):
            gap = gaps[k + 1]
            if gap.startswith("."):  # (". " ends most sentences) kept for both kinds of word before it
                both = _DOT_GAP_JOINS.get(gap)
                if both is None:
                    if len(_DOT_GAP_JOINS) >= _GAP_JOINS_MAX:
                        _DOT_GAP_JOINS.clear()
                    both = _DOT_GAP_JOINS[gap] = (_joins(gap, "xx"), _joins(gap, "x"))
                after[k] = both[len(words[k]) == 1]
                continue
            after[k] = joins = _joins(gap, words[k])
            if len(_GAP_JOINS) >= _GAP_JOINS_MAX:
                _GAP_JOINS.clear()
                _GAP_JOINS[" "] = True
            _GAP_JOINS[gap] = joins
    glued += after
    return Tokens(text, starts, ends, words, keys, glued)


def name_words(name: str) -> list[str]:
    """The surface words of a name as :func:`tokenize` would cut them."""
    return tokenize(name).words


def name_key(name: str) -> tuple[str, ...]:
    """The key tuple of a name ("Deir ez-Zor" -> ("deir", "ez", "zor")), as :func:`tokenize` keys it."""
    keys: list[str] = []
    for word in _TOKEN_RE.findall(name):
        if len(word) > 3 and word.endswith(_POSSESSIVE):
            keys.append(word_key(word[:-2]))
            word = "s"
        keys.append(word_key(word))
    return tuple(keys)


def is_sentence_start(text: str, start: int) -> bool:
    """Whether the word at ``start`` opens a sentence (only quotes, brackets or spaces after a stop)."""
    i = start - 1
    while i >= 0 and text[i] in " \t\u00a0\"“”'‘’([":
        i -= 1
    return i < 0 or text[i] in ".!?:\n"


def group_by_first(names: Iterable[tuple[tuple[str, ...], object]]) -> dict[str, tuple]:
    """Index ``(key tuple, payload)`` pairs by first key; longest names first under each key."""
    index: dict[str, list[tuple[tuple[str, ...], object]]] = {}
    for key, payload in names:
        if key:
            index.setdefault(key[0], []).append((key[1:], payload))
    return {first: tuple(entries) if len(entries) == 1 else tuple(sorted(entries, key=lambda e: -len(e[0])))
            for first, entries in index.items()}


def rest_matches(tokens: Tokens, i: int, rest: tuple[str, ...]) -> bool:
    """Whether the tokens after ``i`` spell ``rest``, each joined to the one before."""
    n = len(rest)
    if i + n >= len(tokens.keys):
        return False
    keys, glued = tokens.keys, tokens.glued
    for k in range(n):
        if keys[i + 1 + k] != rest[k] or not glued[i + 1 + k]:
            return False
    return True

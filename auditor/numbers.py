"""Find the numbers in a sentence: digits, number words, fractions, vague amounts, ranges.

This stage knows nothing of what is counted; it reads how much, how exactly, and rules out
numbers that are not quantities (years, dates, clock times, phone numbers, ordinals,
identifiers, ages).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, compress, repeat
from operator import itemgetter
from typing import NamedTuple

from .knowledge import Phrase, category_words, phrase_lengths, qualifiers, vague_amounts

# Possessive quantifiers (++, *+): what follows each is optional, so a match never gives characters back; the
# engine then keeps no backtracking state (the same tokens, ~10% faster)
_TOKEN_RE = re.compile(
    r"(?P<abbr>(?:[A-Za-z]\.){2,}+(?:-[^\W\d_]++)*+)"  # U.S.  U.N.  U.S.-led
    r"|(?P<num>\d++(?:[.,:]\d++)*+(?:-[^\W\d_]++)*+)"  # 155  60,000  0:02:08  24-hour  25-year-old
    r"|(?P<word>[^\W\d_]++(?:['’‘][^\W\d_]++|-[^\W_]++)*+)"  # words, al-Shaabi, Shi'ite, F-16
    r"|(?P<punct>\S)"
)


_LOWER = itemgetter(4)  # Token.lower, read by map() without a Python-level call per token
# The same tokens as a split pattern: the text comes back as gap, token, gap, token, ..., gap, and running sums of
# the parts' lengths give the offsets (no match object per token). Its first two alternatives, an ASCII word in
# lower case before a space, or one of two letters or more (the first of either case) before a space, comma, stop,
# semicolon or colon (most tokens of running text), cut what the word alternative would: no abbreviation ("U.S.",
# "e.g.") or number starts there, and the word ends at that mark; tried first as the cheapest (split -20%).
_SPLIT_RE = re.compile(r"([a-z]++(?=\s)|[A-Za-z][a-z]++(?=[\s,.;:])|"
                       + re.sub(r"\(\?P<\w+>", "(?:", _TOKEN_RE.pattern) + ")")
# token text -> (kind, lower case): a token's kind depends on its text alone (an abbreviation holds a dot no word
# holds, a number starts with a digit, a word with a letter, punctuation is one other character), and the words of
# a corpus are few
_KIND_LOWER: dict[str, tuple[str, str]] = {}
_KIND_LOWER_MAX = 200_000
_FIRST, _SECOND = itemgetter(0), itemgetter(1)


class Token(NamedTuple):
    """One token of a sentence (a named tuple: 2.5 times cheaper to make than a frozen dataclass)."""

    start: int
    end: int
    text: str
    kind: str  # abbr | num | word | punct
    lower: str


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Tokens of ``text`` with absolute offsets (``offset`` added)."""
    parts = _SPLIT_RE.split(text)
    bounds = list(accumulate(map(len, parts), initial=offset))
    texts = parts[1::2]
    known = list(map(_KIND_LOWER.get, texts))
    if None in known:
        if len(_KIND_LOWER) >= _KIND_LOWER_MAX:  # bounded: corpora have long vocabularies
            _KIND_LOWER.clear()
        for k in [k for k, found in enumerate(known) if found is None]:
            word = texts[k]
            known[k] = _KIND_LOWER[word] = (_TOKEN_RE.match(word).lastgroup or "punct", word.lower())
    # Token(...) without the named tuple's Python-level __new__: every word of a corpus
    return list(map(tuple.__new__, repeat(Token), zip(bounds[1:-1:2], bounds[2::2], texts, map(_FIRST, known),
                                                      map(_SECOND, known))))


_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
}
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "lakh": 1e5, "crore": 1e7}
# Scale abbreviations also read with a space, when written in capitals ("8 B", "$3 bn")
_SPACED_SCALES = {"B": 1e9, "bn": 1e9, "Bn": 1e9, "BN": 1e9, "tn": 1e12, "mn": 1e6}
# Scale abbreviations that follow digits ("1.5m", "$3bn", "20k"); only read when written
# without a space, or after a currency symbol.
_SCALE_ABBREVIATIONS = {"m": 1e6, "mn": 1e6, "bn": 1e9, "b": 1e9, "k": 1e3, "tn": 1e12}
_FRACTIONS = {
    "half": 0.5, "halves": 0.5, "third": 1 / 3, "thirds": 1 / 3, "quarter": 0.25, "quarters": 0.25,
    "fourth": 0.25, "fourths": 0.25, "fifth": 0.2, "fifths": 0.2, "tenth": 0.1, "tenths": 0.1,
}
_NUMBER_WORDS = set(_UNITS) | set(_TENS) | {"hundred"} | set(_SCALES)
_UNITS_AND_TENS = frozenset(_UNITS) | frozenset(_TENS)
_ARTICLES = {"a", "an"}
_MONTHS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
    "dec",
}
_ORDINAL_SUFFIXES = {"st", "nd", "rd", "th"}
_YEAR_CONTEXT = {
    "in", "since", "by", "from", "until", "till", "between", "during", "early", "late", "mid", "of", "and",
    "to", "before", "after", "around", "circa", "year", "spring", "summer", "autumn", "fall", "winter", "the",
    "through", "or", "last", "this", "fiscal", "on", "as",
}
# Words that, capitalised right before a number, do not make it an identifier ("About 20").
_NOT_IDENTIFIER_WORDS = {
    "the", "a", "an", "and", "or", "but", "of", "in", "on", "at", "to", "for", "by", "with", "from", "than",
    "all", "only", "just", "another", "some", "about", "nearly", "almost", "over", "under", "up", "at",
    "more", "fewer", "less", "least", "most", "roughly", "around", "approximately", "estimated", "between",
    "kills", "kill", "killed", "leaves", "left", "wounds", "injures", "displaces", "toll", "dead", "now",
    "another", "his", "her", "their", "its", "our", "these", "those", "those", "as", "many", "much",
}
_CHANGE_VERBS = {
    "rose", "risen", "rise", "rises", "rising", "climbed", "climbs", "increased", "increases", "jumped", "grew",
    "fell", "fallen", "dropped", "decreased", "revised", "raised", "lowered", "updated", "up", "down", "soared",
    "doubled", "surged", "went", "bringing", "brought", "reached", "up from", "down from", "from", "drop", "decline",
    "increase", "rise", "fall", "compared",
}
_RANGE_JOINERS = {"to", "-", "–", "—", "or"}


@dataclass(slots=True)
class NumberMention:
    """A number found in a sentence, with how exactly the text states it."""

    start: int  # absolute offsets of the whole expression (qualifier included)
    end: int
    first: int  # token index of the first number token
    last: int  # token index of the last token consumed (number, scale, fraction word)
    value: float | None
    low: float | None
    high: float | None
    qualifier: str
    kind: str  # digit | word | fraction | vague | article | one
    reported: float | None  # number as written (before any unit conversion)
    compound_unit: str = ""  # unit written as part of the token: "24-hour" -> "hour"
    vague_phrase: str = ""
    update_of: int | None = None  # index (in the returned list) of the number this one replaces
    is_update_old: bool = False
    start_token: int = -1  # token index where the expression starts (qualifier included)


def _digits_value(text: str) -> float | None:
    """Value of a digit token ("60,000", "1.5"); None for clock times, codes, odd separators."""
    if ":" in text:
        return None
    if "," in text:
        head, *groups = text.split(",")
        last = groups[-1]
        decimals = ""
        if "." in last:
            last, decimals = last.split(".", 1)
            groups[-1] = last
        if not (1 <= len(head) <= 3 and all(len(g) == 3 for g in groups)):
            return None
        text = head + "".join(groups) + ("." + decimals if decimals else "")
    if text.count(".") > 1:
        return None
    return float(text)


def _split_compound(lower: str) -> tuple[str, list[str]]:
    """'24-hour' -> ('24', ['hour']); 'twenty-five' -> ('twenty-five', [])."""
    parts = lower.split("-")
    if parts[0] in _TENS and len(parts) > 1 and parts[1] in _UNITS:
        return f"{parts[0]}-{parts[1]}", parts[2:]
    return parts[0], parts[1:]


def _word_value(word: str) -> float | None:
    if word in _UNITS:
        return float(_UNITS[word])
    if word in _TENS:
        return float(_TENS[word])
    if "-" in word:
        a, _, b = word.partition("-")
        if a in _TENS and b in _UNITS and 0 < _UNITS[b] < 10:
            return float(_TENS[a] + _UNITS[b])
    return None


# digit token (lower case) -> (its value, its compound unit): a corpus writes few distinct numbers ("10", "24-hour")
_DIGIT_READINGS: dict[str, tuple[float | None, str]] = {}
_DIGIT_READINGS_MAX = 20_000  # (~3 MB at most)


def _digit_reading(lower: str) -> tuple[float | None, str]:
    """The value of a digit token and the compound unit written onto it ("24-hour" -> (24.0, "hour")), kept."""
    head, suffix = _split_compound(lower)
    if len(_DIGIT_READINGS) >= _DIGIT_READINGS_MAX:  # bounded: phone numbers, codes
        _DIGIT_READINGS.clear()
    reading = _DIGIT_READINGS[lower] = (_digits_value(head), "-".join(suffix))
    return reading


class _Reader:
    """Reads number expressions from a token list."""

    def __init__(self, tokens: list[Token], text: str, offset: int) -> None:
        self.t = tokens
        self.text = text
        self.offset = offset
        self.n = len(tokens)

    def low(self, i: int) -> str:
        return self.t[i].lower if 0 <= i < self.n else ""

    def adjacent(self, i: int, j: int) -> bool:
        """Tokens i and j touch with no space between."""
        return 0 <= i < self.n and 0 <= j < self.n and self.t[i].end == self.t[j].start

    # -- reading one number ------------------------------------------------------------
    def read_cardinal(self, i: int) -> tuple[float, int, str, str] | None:
        """Read digits or number words at i: (value, last_token, kind, compound_unit)."""
        tok = self.t[i]
        if tok.kind == "num":
            reading = _DIGIT_READINGS.get(tok.lower)
            if reading is None:
                reading = _digit_reading(tok.lower)
            value, compound = reading
            if value is None:
                return None
            last = i
            # "1.5 million", "20m", "$3bn"
            nxt = self.low(i + 1)
            if not compound:
                if nxt in _SCALES:
                    value *= _SCALES[nxt]
                    last = i + 1
                    while self.low(last + 1) in _SCALES:  # "6.2 lakh crore"
                        value *= _SCALES[self.low(last + 1)]
                        last += 1
                elif nxt == "hundred" and value < 100:
                    value *= 100
                    last = i + 1
                elif nxt in _SCALE_ABBREVIATIONS and self.adjacent(i, i + 1):
                    value *= _SCALE_ABBREVIATIONS[nxt]
                    last = i + 1
                elif i + 1 < self.n and self.t[i + 1].text in _SPACED_SCALES:
                    value *= _SPACED_SCALES[self.t[i + 1].text]
                    last = i + 1
            return value, last, "digit", compound
        if tok.kind != "word":
            return None
        head, suffix = _split_compound(tok.lower)
        value = _word_value(head)
        if value is None and head not in _SCALES and head != "hundred":
            return None
        if suffix:
            if value is None:
                return None
            return value, i, "word", "-".join(suffix)
        # Multi-word cardinal: "two hundred and fifty thousand"
        total, current, j, seen = 0.0, 0.0, i, False
        last = i
        while j < self.n:
            w = self.t[j].lower if self.t[j].kind == "word" else ""
            v = _word_value(w)
            if v is not None and not ("-" in w and _split_compound(w)[1]):
                current += v
            elif w == "hundred":
                current = max(current, 1) * 100
            elif w in _SCALES:
                total += max(current, 1) * _SCALES[w]
                current = 0
            elif w == "and" and seen and _word_value(self.low(j + 1)) is not None:
                j += 1
                continue
            else:
                break
            seen = True
            last = j
            j += 1
        if not seen:
            return None
        return total + current, last, "word", ""

    def read_fraction(self, i: int) -> tuple[float, int] | None:
        """'a third', 'two-thirds', 'one quarter', 'half' (of something), 'one out of three', 'one in five'."""
        w = self.low(i)
        if w == "half" and self.low(i + 1) in ("of", "the", "its", "their", "his", "her") and (
                i == 0 or self.low(i - 1) not in _ARTICLES):
            return 0.5, i  # "half of them", "more than half the population"
        nxt = self.low(i + 1)
        if self.t[i].kind == "num" and nxt != "out" and nxt != "in":
            return None  # (digits are a fraction only as "3 out of 10", "1 in five": most numbers)
        # "one out of three", "one in five": the part's value is read only when such words follow
        if nxt == "out" and self.low(i + 2) == "of" or nxt == "in" and self.low(i + 2) in _UNITS_AND_TENS:
            kind = self.t[i].kind
            part = _word_value(w) if kind == "word" else None
            if kind == "num" and "-" not in w:
                part = _digits_value(w)
        else:
            part = None
        if part is not None:
            k = i + 3 if self.low(i + 1) == "out" else i + 2
            whole = self.read_cardinal(k) if k < self.n else None
            if whole is not None and whole[0] > (part or 0):
                return (part or 0) / whole[0], whole[1]
        if self.t[i].kind == "word" and "-" in w:
            a, _, b = w.partition("-")
            if b in _FRACTIONS and (_word_value(a) or 0) > 0:
                return (_word_value(a) or 1) * _FRACTIONS[b], i
        if w in _ARTICLES or w == "one" or w in _UNITS or w in _TENS:
            if nxt in _FRACTIONS and nxt not in ("half", "halves") or (w in ("a", "one") and nxt == "half"):
                mult = 1.0 if w in _ARTICLES else (_word_value(w) or 1.0)
                # "a third of", "two thirds of", "fell by a quarter": a fraction only when "of" follows, it ends
                # a clause, or "by" says it is a share of a change
                # ("a third was wounded" is a third person: only a plural verb makes it a share)
                if self.low(i + 2) in ("of", ",", ".", ";", "are", "were", "have") \
                        or i + 2 >= self.n or self.low(i - 1) == "by":
                    return mult * _FRACTIONS[nxt], i + 1
        return None

    def read_vague(self, i: int) -> tuple[Phrase, int] | None:
        first = self.t[i].lower
        if first not in _vague_first_words():
            return None
        table = vague_amounts()
        for length in _vague_lengths(table).get(first, ()):  # only the lengths of the phrases starting with it
            if i + length <= self.n:
                key = tuple(map(_LOWER, self.t[i:i + length]))
                if key in table:
                    return key, i + length - 1
        return None


@lru_cache(maxsize=1)
def _qualifier_ends() -> dict[str, tuple[int, ...]]:
    """The lengths (longest first, at most 4) of the qualifier phrases by their last word."""
    return phrase_lengths((p for p in qualifiers() if len(p) <= 4), at=-1)


def _qualifier_before(r: _Reader, i: int) -> tuple[str, int]:
    """Qualifier phrase ending right before token i (skipping an opening quote): (qualifier, first token)."""
    j = i - 1
    while j >= 0 and r.t[j].kind == "punct" and r.t[j].text in "“\"‘'([":
        j -= 1
    lengths = _qualifier_ends().get(r.t[j].lower) if j >= 0 else None
    if lengths is None:  # most numbers: no qualifier ends right before
        return "", i
    table = qualifiers()
    for length in lengths:
        k = j - length + 1
        if k < 0:
            continue
        key = tuple(map(_LOWER, r.t[k:j + 1]))
        if key in table:
            if key == ("up", "to") and (r.low(k - 1) in _CHANGE_VERBS or r.low(k - 1) in _MOTION_VERBS):
                return "", i  # "moved up to 14 points", "went up to 5%": a verb's particle, not "at most"
            # "more than" inside "no more than" is handled by the longer phrase first
            return table[key], k
    return "", i


_MOTION_VERBS = frozenset({"moved", "moves", "move", "moving", "climbed", "shot", "jumped", "went", "goes", "go",
                           "edged", "crept", "ticked", "moving", "rounded", "revised", "push", "pushed", "pushing"})


def _is_excluded(r: _Reader, i: int, value: float, last: int, kind: str, compound: str, money: int | None = -1) -> str:
    """Why the number at token i is not a quantity, or '' when it is one.

    ``money`` is ``_units.currency_prefix(r.t, i)`` when the caller has it (-1: not known yet).
    """
    tok = r.t[i]
    prev, nxt = r.low(i - 1), r.low(last + 1)
    if kind == "digit":
        raw = tok.text.partition("-")[0]
        if ":" in raw:
            return "clock time"
        # leading zero codes / phone pieces: "0770", "+964"
        if len(raw) > 1 and raw.startswith("0") and "." not in raw:
            return "code"
        if prev == "+" and r.adjacent(i - 1, i):
            return "phone number"
        if (prev in ("/", "\\") and r.adjacent(i - 1, i)) or (nxt in ("/", "\\") and r.adjacent(last, last + 1)):
            return "date or code"
        if nxt in _ORDINAL_SUFFIXES and r.adjacent(i, i + 1):
            return "ordinal"
        if nxt == "s" and r.adjacent(last, last + 1):
            return "decade"
        if nxt in ("a.m.", "p.m.", "am", "pm", "gmt", "utc", "hrs", "h") or nxt.startswith(("a.m", "p.m")):
            return "clock time"
        is_year_shape = value.is_integer() and 1800 <= value <= 2100 and _FOUR_DIGITS.fullmatch(raw) is not None
        if is_year_shape and not compound:
            words = category_words()
            following = r.low(last + 1)
            if not (following in words.people or following in words.civilian_heads
                    or (following,) in words.heads or (following,) in words.predicates):
                return "year"
        if prev in _MONTHS or prev == "." and r.low(i - 2) in _MONTHS:
            return "date"
        if nxt in _MONTHS and value <= 31:
            return "date"
        if nxt == "," and r.low(last + 2).isdigit() and len(r.low(last + 2)) == 4 and prev in _MONTHS:
            return "date"
    if compound:
        parts = compound.split("-")
        if "old" in parts or parts[:2] == ["year", "old"]:
            return "age"
    if prev in ("aged", "age", "ages") or prev == "of" and r.low(i - 2) in ("age", "ages"):
        return "age"  # "aged 34", "under the age of five"
    if nxt == "years" and r.low(last + 2) == "old":
        return "age"
    # "Ali, 25, said": a number between commas right after a capitalised name
    if prev == "," and nxt == "," and kind == "digit" and value < 120 and i >= 2 and r.t[i - 2].text[:1].isupper() \
            and r.t[i - 2].kind == "word":
        return "age"
    if kind == "digit" and nxt == "-" and r.adjacent(last, last + 1) and r.adjacent(last + 1, last + 2) \
            and r.t[last + 2].kind == "num":
        right = r.t[last + 2].text
        if "-" in right:  # a compound on the right ("18-25-year-old", "3-4-hour"): its number is read
            right, suffix = _split_compound(right.lower())
            if "old" in suffix:
                return "age"  # "aged 18-25-year-old": the lower end of an age range
        if (_digits_value(right) or 0) <= value:
            return "score"  # "ended 2-2", "won 3-1": a range always rises
    if kind == "digit" and prev == "-" and r.adjacent(i - 1, i) and i >= 2 and r.t[i - 2].kind == "num" \
            and r.adjacent(i - 2, i - 1):
        return "after hyphen"  # the right side of "2-2" (a range's right side is read with its left)
    if kind == "digit" and (_units.currency_prefix(r.t, i) if money == -1 else money) is not None:
        return ""  # "USD10m", "RM5 million": money, not an identifier
    if kind == "digit" and i >= 1 and r.t[i - 1].kind == "word" and r.adjacent(i - 1, i):
        return "identifier"  # "A320neo", "M23", "G7": letters written against the number
    if kind == "digit" and _is_address(r, last):
        return "address"
    # Identifiers: a capitalised word or code right before the number (Resolution 2249, Route 1, F-16)
    if kind == "digit" and i >= 1:
        p = r.t[i - 1]
        # (a lower-case tail, most words, has no capital: islower() is the cheap test first)
        if p.kind == "word" and not p.text[1:].islower() and any(c.isupper() for c in p.text[1:]) \
                and not p.text.isupper() \
                and r.adjacent(i - 1, i) is False:
            return "identifier"  # "iPhone 11", "PlayStation 5": a product name
        if p.kind in ("word", "abbr") and p.text[:1].isupper() and p.lower not in _NOT_IDENTIFIER_WORDS \
                and not p.lower.endswith(("'s", "’s")) \
                and p.lower not in _MONTHS and not _sentence_initial(r, i - 1) and _is_identifier_word(p.lower):
            return "identifier"
        if p.text == "-" and r.adjacent(i - 1, i) and i >= 2 and r.t[i - 2].kind == "word" and r.adjacent(i - 2, i - 1):
            return "identifier"
        if prev in ("no", "no.", "#", "number", "nos") and p.text[:1] in "N#":
            return "identifier"
    return ""


_STREET_WORDS = frozenset({
    "street", "st", "road", "rd", "avenue", "ave", "boulevard", "blvd", "lane", "ln", "drive", "dr", "way",
    "place", "square", "strasse", "straße", "rue", "calle", "via", "highway",
})


def _is_address(r: _Reader, last: int) -> bool:
    """'221 Oxford Street', '10 Downing St': a house number before a street name."""
    k = last + 1
    while k < r.n and k - last <= 3 and r.t[k].kind == "word" and r.t[k].text[:1].isupper():
        if r.t[k].lower in _STREET_WORDS and k > last + 1:
            return True
        k += 1
    return False


def _sentence_initial(r: _Reader, i: int) -> bool:
    j = i - 1
    while j >= 0 and r.t[j].kind == "punct" and r.t[j].text in "“\"‘'([":
        j -= 1
    return j < 0


def _is_identifier_word(lower: str) -> bool:
    """A capitalised word that names a thing by number (Resolution 2249), not a count."""
    words = category_words()
    key = (lower,)
    return not (key in words.predicates or key in words.objects_of or key in words.heads or lower in qualifier_words())


_QUALIFIER_WORDS: set[str] = set()


def qualifier_words() -> set[str]:
    if not _QUALIFIER_WORDS:
        for p in qualifiers():
            _QUALIFIER_WORDS.update(p)
    return _QUALIFIER_WORDS


# Phone numbers: two or more digit groups after an optional country code ("+964 770 123 4567",
# "(202) 555-0100"); numbers inside are never quantities.
_PHONE_RE = re.compile(r"(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)\s?)?\d{3,4}[\s.-]\d{3,4}(?:[\s.-]\d{3,4})+|"
                       r"\+\d{1,3}[\s.-]?\d{2,4}[\s.-]\d{3,4}|\(\d{3}\)\s?\d{3}[\s.-]\d{4}")
# Every phone number has a digit, a separator and three digits (each alternative's last two groups): a cheap
# test before the phone pattern, passed by few sentences ("60,000" and "2,500" do not).
_PHONE_HINT = re.compile(r"\d[\s.-]\d\d\d")
_ASCII_PHONE_HINT = re.compile(r"[0-9][\s.-][0-9]{3}")  # the same in ASCII text, a range read faster than \d
_FOUR_DIGITS = re.compile(r"\d{4}")


_VAGUE_LENGTHS: dict[int, dict[str, tuple[int, ...]]] = {}


def _vague_lengths(table: dict[Phrase, object]) -> dict[str, tuple[int, ...]]:
    """The lengths (longest first, at most 4) of a vague-amount table's phrases by first word, once per table
    (one per convention)."""
    found = _VAGUE_LENGTHS.get(id(table))
    if found is None:
        found = _VAGUE_LENGTHS[id(table)] = phrase_lengths(p for p in table if len(p) <= 4)
    return found


@lru_cache(maxsize=1)
def _vague_first_words() -> frozenset[str]:
    return frozenset(p[0] for p in vague_amounts())


@lru_cache(maxsize=1)
def _start_words() -> frozenset[str]:
    """Words that can begin a number expression (digits always can)."""
    return frozenset(_NUMBER_WORDS | _ARTICLES | set(_FRACTIONS) | {"one", "half"} | _SPAN_WORDS) \
        | _vague_first_words()


def find_numbers(tokens: list[Token], text: str = "", offset: int = 0) -> list[NumberMention]:
    """Every quantity expression in a sentence's tokens, in order.

    ``text`` is the sentence the tokens were read from, starting at absolute ``offset``.
    """
    r = _Reader(tokens, text, offset)
    starts = _number_starts(tokens)
    # Only a digit token starts inside a phone number (its characters are digits, spaces, dots, dashes, brackets and
    # a plus; a word starts with a letter): without a digit among the starts, no search (the hint, one C scan that
    # few sentences pass, is asked first)
    hint = _ASCII_PHONE_HINT if text.isascii() else _PHONE_HINT
    phones = [(m.start() + offset, m.end() + offset) for m in _PHONE_RE.finditer(text)] \
        if text and hint.search(text) and any(tokens[i].kind == "num" for i in starts) else []
    found: list[NumberMention] = []
    read_to = -1  # last token of the mention read last: a number starts after it
    for i in starts:
        if i <= read_to:
            continue
        if phones and any(a <= tokens[i].start < b for a, b in phones):
            continue
        mention = _read_at(r, i)
        if mention is None:
            continue
        k = mention.first
        while tokens[k].start != mention.start:
            k -= 1
        mention.start_token = k
        found.append(mention)
        read_to = mention.last
    if len(found) > 1:
        _mark_updates(r, found)
    return found


_TEXT = itemgetter(2)  # Token.text
# token text -> whether a number expression may start with the token: its kind and lower case, and so the answer,
# depend on its text alone, and the words of a corpus are few (most sentences are looked up with no Python step per
# token)
_STARTS_NUMBER: dict[str, bool] = {}
_STARTS_NUMBER_MAX = 200_000


def _number_starts(tokens: list[Token]) -> list[int]:
    """Indexes of the tokens a number expression may start with: digits, or a word of ``_start_words()``
    (alone or before a hyphen: "twenty-five", "half-dozen")."""
    flags = list(map(_STARTS_NUMBER.get, map(_TEXT, tokens)))
    if None in flags:
        if len(_STARTS_NUMBER) >= _STARTS_NUMBER_MAX:  # bounded: corpora have long vocabularies
            _STARTS_NUMBER.clear()
        starts = _start_words()
        for k in [k for k, flag in enumerate(flags) if flag is None]:
            tok = tokens[k]
            flags[k] = _STARTS_NUMBER[tok.text] = tok.kind == "num" or tok.kind == "word" and (
                tok.lower in starts or "-" in tok.lower and tok.lower.split("-", 1)[0] in starts)
    return list(compress(range(len(flags)), flags))


# "in a single week" measures a span; "in the past year" only dates one (the seeds' gold leaves it out)
_SPAN_WORDS = frozenset({"single"})
_TIME_UNITS = frozenset({"hour", "day", "week", "month", "year", "decade", "fortnight"})


def _read_at(r: _Reader, i: int) -> NumberMention | None:
    w = r.low(i)
    if w in _SPAN_WORDS and r.low(i + 1) in _TIME_UNITS and r.low(i - 1) in ("a", "one"):
        # "in a single week": one unit of time
        first = i - 1
        return NumberMention(r.t[first].start, r.t[i].end, i, i, 1.0, 1.0, 1.0, "exact", "article", 1.0)
    # Vague amounts first ("tens of thousands" before "tens"); "several", "dozens", "a few"
    vague = r.read_vague(i)
    if vague is not None:
        key, last = vague
        spec = vague_amounts()[key]
        qual, qstart = _qualifier_before(r, i)
        if spec.point is not None:
            # "a dozen" (about 12), "more than a dozen" (more than 12), "half a dozen" (6)
            mention = _bounded(r, qstart, i, last, spec.point, qual or spec.qualifier, "vague")
            mention.vague_phrase = " ".join(key)
            return mention
        return NumberMention(r.t[i].start, r.t[last].end, i, last, None, spec.low, spec.high, "vague", "vague", None,
                             vague_phrase=" ".join(key))
    frac = r.read_fraction(i)
    if frac is not None:
        value, last = frac
        qual, qstart = _qualifier_before(r, i)
        return _bounded(r, qstart, i, last, value, qual, "fraction")
    # "half a million"
    if w == "half" and r.low(i + 1) in _ARTICLES and r.low(i + 2) in _SCALES:
        value = 0.5 * _SCALES[r.low(i + 2)]
        qual, qstart = _qualifier_before(r, i)
        return _bounded(r, qstart, i, i + 2, value, qual, "word")
    # "a hundred", "a thousand", "a million"
    if w in _ARTICLES and (r.low(i + 1) in _SCALES or r.low(i + 1) == "hundred"):
        card = r.read_cardinal(i + 1)
        if card is not None:
            qual, qstart = _qualifier_before(r, i)
            return _bounded(r, qstart, i, card[1], card[0], qual, "word")
    if w in _ARTICLES or (w == "one" and r.low(i + 1) not in _SCALES and r.low(i + 1) != "hundred"
                          and not (r.low(i + 1) == "and" and r.low(i + 2) in _ARTICLES)):
        # Counted as one only when what follows makes it a count (decided by the extractor).
        qual, qstart = _qualifier_before(r, i)
        return NumberMention(r.t[qstart].start, r.t[i].end, i, i, 1.0, 1.0, 1.0, qual or "exact",
                             "article" if w in _ARTICLES else "one", 1.0)
    card = r.read_cardinal(i)
    if card is None:
        return None
    value, last, kind, compound = card
    # "one and a half million"
    if r.low(last + 1) == "and" and r.low(last + 2) in _ARTICLES and r.low(last + 3) == "half" \
            and r.low(last + 4) in _SCALES:
        value = (value + 0.5) * _SCALES[r.low(last + 4)]
        last += 4
    money = _units.currency_prefix(r.t, i) if kind == "digit" else None  # (asked once: both read it)
    if _is_excluded(r, i, value, last, kind, compound, money):
        return None
    # "-1.3%": a minus sign written against the number, not joining it to a word or number before
    sign = 1.0
    if kind == "digit" and r.low(i - 1) in ("-", "−") and r.adjacent(i - 1, i) and not r.adjacent(i - 2, i - 1):
        sign = -1.0
        value = -value
    lead = money if money is not None else (i - 1 if sign < 0 else i)  # first token before any qualifier
    qual, qstart = _qualifier_before(r, lead)
    if not qual:
        qstart = lead
    # Ranges: "between 60,000 and 140,000", "60,000-140,000", "60,000 to 140,000", "two or three",
    # "between $48,000 and $90,000", "5% to 10%"
    opener = r.low(lead - 1)
    if qual == "" and opener == "between" or qual == "" and opener == "from" and not _is_change(r, lead - 1):
        joiner = {"between": ("and", "-", "–", "to"), "from": ("to", "-", "–")}[opener]
        rng = _range_end(r, _after_unit(r, last), joiner, value)
        if rng is not None:
            low, end_value, end_last = rng
            return NumberMention(r.t[lead - 1].start, r.t[end_last].end, i, end_last, None, low, end_value, "range",
                                 kind, None)
        if opener == "between":
            return None  # "between 2006 and 2011" with one side not a quantity: not a figure
    joint = _after_unit(r, last)
    if r.low(joint + 1) in _RANGE_JOINERS and not compound:
        rng = _range_end(r, joint, (r.low(joint + 1),), value)
        if rng is not None and not (r.low(joint + 1) == "to" and _is_change(r, lead - 1)):
            low, end_value, end_last = rng
            start = r.t[qstart].start
            return NumberMention(start, r.t[end_last].end, i, end_last, None, low, end_value, "range", kind, None)
    mention = _bounded(r, qstart, i, last, value, qual, kind, compound)
    if sign < 0:
        mention.start = min(mention.start, r.t[i - 1].start)
        mention.reported = value
    return mention


def _after_unit(r: _Reader, last: int) -> int:
    """Token after which a range's joiner is read: past a percent sign ("5% to 10%")."""
    return last + 1 if r.low(last + 1) == "%" and r.adjacent(last, last + 1) else last


def _is_change(r: _Reader, j: int) -> bool:
    """Is there a change verb just before token j ("rose from 30 to 45", "up from 30")?"""
    return any(r.low(k) in _CHANGE_VERBS and r.low(k) != "from" for k in range(max(0, j - 3), j))


def _range_end(r: _Reader, last: int, joiners: tuple[str, ...], first_value: float) -> tuple[float, float, int] | None:
    """The upper end of a range after token ``last``: (low, high, last token), or None.

    The lower bound borrows a scale written only after the upper one:
    "between 60 and 140 million" is 60 million to 140 million.
    """
    if r.low(last + 1) not in joiners:
        return None
    j = last + 2
    if j >= r.n:
        return None
    if r.t[j].kind != "num" and j + 1 < r.n and _units.currency_prefix(r.t, j + 1) == j:
        j += 1  # "$3 billion to $5 billion"
    elif j + 2 < r.n and r.low(j) == "us" and _units.currency_prefix(r.t, j + 2) == j:
        j += 2
    card = r.read_cardinal(j)
    if card is None:
        return None
    value, end_last, kind, compound = card
    if _is_excluded(r, j, value, end_last, kind, compound) not in ("", "after hyphen"):
        return None
    low = first_value
    scale_word = r.low(end_last) if end_last > j else ""
    scale = _SCALES.get(scale_word) or (_SCALE_ABBREVIATIONS.get(scale_word) if end_last > j else None)
    if scale and first_value < 1000 and first_value * scale <= value:
        low = first_value * scale
    if value <= low:
        return None
    return low, value, end_last


def _bounded(r: _Reader, qstart: int, i: int, last: int, value: float, qual: str, kind: str,
             compound: str = "") -> NumberMention:
    q = qual or "exact"
    low = high = value
    if q in ("at_least", "more_than"):
        high = None
    elif q in ("at_most", "less_than"):
        low = None
    start = r.t[qstart].start if qual else r.t[i].start
    return NumberMention(start, r.t[last].end, i, last, value, low, high, q, kind, value, compound_unit=compound)


def _mark_updates(r: _Reader, found: list[NumberMention]) -> None:
    """'rose from 30 to 45', 'rose to 45 from 30', '45, up from 30': the newer figure replaces the older."""
    pairs = list(zip(range(len(found)), range(1, len(found))))
    for ia, ib in pairs:  # "rose from 30 to 45": a is the old figure
        a, b = found[ia], found[ib]
        if b.first != a.last + 2 or r.low(a.last + 1) != "to":
            continue  # (the words between are not just "to")
        before_a = [r.low(k) for k in range(max(0, a.start_token - 4), a.start_token)]
        if before_a[-1:] == ["from"] and any(w in _CHANGE_VERBS for w in before_a[:-1]):
            a.is_update_old = True
            b.update_of = ia
    for ia, ib in pairs:  # "rose to 45 from 30", "45, up from 30": b is the old figure
        a, b = found[ia], found[ib]
        if b.is_update_old or a.is_update_old or b.update_of is not None:
            continue
        k = b.start_token - 1
        if k > a.last and r.low(k) == "the":
            k -= 1
        if k <= a.last or r.low(k) != "from":
            continue  # (no "from" or "from the" right before b: the test below fails, its lists are not made)
        between = [r.low(k) for k in range(a.last + 1, b.start_token)]
        if between[-1:] == ["the"]:
            between = between[:-1]  # "a slight drop from the 31,062"
        before_a = [r.low(k) for k in range(max(0, a.start_token - 3), a.start_token)]
        if between[-1:] == ["from"] and (len(between) <= 6 or between[-2] in ("up", "down")) and any(
                w in _CHANGE_VERBS for w in before_a + between[:-1] if w != "from"):
            b.is_update_old = True
            a.update_of = ib


# _units reads this module's tokens: imported last, once both modules' names exist (``_units.currency_prefix``
# is looked up at call time)
from . import _units  # noqa: E402

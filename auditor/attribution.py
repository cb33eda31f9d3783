"""Who a figure is credited to: the speech and citation frames of its sentence.

Each sentence is read once, in order. A *frame* is a speech verb or an introducer ("according to",
"citing") with the source it names; it covers part of the sentence ("X said ..." what follows,
"..., X said" what comes before). A figure takes the frame that covers it. Pronouns and definite
descriptions ("he said", "the ministry added") point back to the last source of that kind, and a
figure inside a quotation takes the frame where the quotation opens or closes. The words are data:
``auditor/data/attribution.yaml`` (with examples the tests run).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Reversible
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress
from operator import itemgetter
from typing import NamedTuple

from .knowledge import Caseless, literal_alternation, load_table
from .model import Sentence
from .numbers import Token, tokenize

__all__ = ["Credit", "UNATTRIBUTED", "Attributor"]

_LOWER = itemgetter(Token._fields.index("lower"))  # Token.lower, read by map() without a Python-level call a token
_OPEN_QUOTES = "“\""
_CLOSE_QUOTES = "”\""
_QUOTES = "“”\"‘’"
_CONNECTORS = {"al", "bin", "ibn", "bint", "abu", "el", "de", "van", "von", "der", "of", "for", "the", "and", "on",
               "la", "le", "da", "di", "du", "ul", "del", "los", "las", "y", "in"}
_ADVERBS = {"also", "later", "has", "have", "had", "was", "were", "is", "are", "recently", "previously", "earlier",
            "separately", "then", "would", "could", "had", "further", "officially", "reportedly", "publicly",
            "initially", "subsequently", "already", "again", "first", "previously", "told", "quickly"}
# Words that end a speaker phrase read backwards from its verb.
_PHRASE_STOPS = {"that", "which", "who", "whom", "whose", "and", "but", "or", "while", "when", "after", "as",
                 "because", "if", "were", "was", "is", "are", "had", "has", "have", "been", "be", "will", "would",
                 "killed", "died", "wounded", "said", "says", "told", "where", "than", "since", "though",
                 "although", "not", "no", "to", "by", "with", "into", "killing", "leaving", "before", "until"}
_CUT_PREPOSITIONS = {"in", "on", "at", "from", "near", "across", "inside", "outside", "around", "based", "speaking",
                     "who", "with"}
_DETERMINERS = {"the", "a", "an", "its", "their", "his", "her", "our", "this", "that", "these", "those"}
_NAME_ADJECTIVE_SUFFIXES = ("-backed", "-led", "-based", "-linked", "-allied", "-held", "-controlled",
                            "-affiliated", "-aligned", "-funded", "-supported")
# Words that make a capitalised name an outlet or an organisation rather than a person.
_OUTLET_WORDS = {"online", "now", "radio", "news", "times", "post", "daily", "tv", "television", "voice", "channel",
                 "journal", "herald", "gazette", "press", "media", "diario", "tribune", "broadcasting", "newspaper",
                 "mirror", "express", "universal", "pravda", "standard", "observer", "independent", "today",
                 "irrawaddy", "insider", "dispatch", "review", "monitor", "chronicle", "reporter"}
_ORGANISATION_WORDS = {"association", "network", "council", "committee", "kitchen", "crescent", "cross", "institute",
                       "project", "union", "army", "front", "alliance", "party", "commission", "office", "centre",
                       "center", "foundation", "society", "trust", "watch", "children", "doctors", "rights", "relief",
                       "programme", "program", "service", "group", "organization", "organisation", "ministry",
                       "department", "police", "guard", "forces", "force", "movement", "coalition", "brotherhood",
                       "federation", "agency", "fund", "mission", "system", "secretariat", "government",
                       "administration", "command", "authority", "bureau", "corps", "brigade", "battalion", "unit",
                       "committees", "observatory", "initiative", "international", "nations", "helmets", "defence",
                       "defense", "hospital", "university", "court", "tribunal", "bank", "common", "común", "data",
                       "prisoners", "refugees", "migration", "affairs", "humanitarian", "emergency", "management"}

_NAME_WORDS = _ORGANISATION_WORDS | _OUTLET_WORDS  # a capitalised name with one is no person
_NAME_CONNECTORS = _CONNECTORS | {"en", "for", "of"}  # words inside an organisation's name

# Nouns that say the object of "told" is an outlet ("told the Burkina24 news site").
_TOLD_NOUNS = {"news", "site", "agency", "newspaper", "broadcaster", "television", "radio", "channel", "daily",
               "website", "outlet", "paper", "station", "tv", "magazine", "service"}
_MAX_NAMES = 50_000  # phrases remembered (see Attributor._normalise)
_MAX_READINGS = 4_096  # sentences remembered (see Attributor._read_sentence)
# Longer sentences are read every time: a huge article's lines of 100 KB would fill the memo's memory.
_MAX_READING_CHARS = 600
# How many sentences before a figure's are read for the sources pronouns point back to.
_LOOKBACK = 6
# Participles that go on with the speaker's figures (", bringing the death toll to 110").
_CONTINUATIONS = {"bringing", "raising", "pushing", "taking", "lifting", "putting", "adding"}
# Words opening an adverbial after a speech verb ("said on Monday", "said in a statement that").
_ADVERBIALS = {"in", "on", "at", "via", "during", "through", "late", "early", "earlier", "later", "yesterday", "today",
               "overnight", "this", "last", "after", "before", "shortly", "again", "also", "separately", "previously",
               "recently", "publicly", "privately", "repeatedly", "afterwards", "then", "tonight", "by"}
# Words that open the reported clause after such an adverbial.
_CONTENT_STARTS = {"that", "it", "they", "he", "she", "we", "there", "some", "about", "more", "nearly", "around",
                   "up", "over", "almost", "only", "troops", "forces", "police"}


@dataclass(frozen=True)
class Credit:
    """A source as the text names it, normalised."""

    source: str
    source_type: str  # person | organisation | outlet | unattributed
    told: str = ""  # the outlet spoken to ("told Reuters")


UNATTRIBUTED = Credit("", "unattributed")


class _Frame(NamedTuple):
    verb_start: int  # article offsets of the verb or introducer
    start: int  # what the frame covers
    end: int
    credit: Credit
    rule: str


class _Reading(NamedTuple):
    """How a sentence was read, wherever it stands: its frames' offsets from the sentence's start, and the
    credits the reading remembered, in order (what it leaves for the pronouns of the sentences after)."""

    frames: tuple[tuple[int, int, int, Credit, str], ...]
    remembered: tuple[Credit, ...]


# A readings memo's keys: a sentence, or for one whose reading looked back, the sentence with the state it was read
# after (the last person and the last other source credited, the full names seen); its own entry is then _LOOKS_BACK.
_ReadingKey = str | tuple[str, Credit | None, Credit | None, tuple[str, ...]]
_LOOKS_BACK = _Reading((), ())


@dataclass(frozen=True)
class _Words:
    speech_verbs: frozenset[str]
    document_verbs: frozenset[str]
    person_heads: frozenset[str]
    organisation_heads: frozenset[str]
    titles: frozenset[str]
    person_pronouns: frozenset[str]
    group_pronouns: frozenset[str]
    thing_pronouns: frozenset[str]
    not_sources: frozenset[str]
    demonyms: dict[str, str]
    # unions the reading asks about at every phrase, made once
    pronouns: frozenset[str] = frozenset()  # person | group | thing
    heads: frozenset[str] = frozenset()  # organisation | person
    demonym_names: frozenset[str] = frozenset()  # the demonyms, lower case ("sudanese")


@lru_cache(maxsize=1)
def _words() -> _Words:
    table = load_table("attribution.yaml")

    def lower(name: str) -> frozenset[str]:
        return frozenset(str(w).lower() for w in table.get(name) or [])

    demonyms = {str(k).lower(): str(v) for k, v in (table.get("demonyms") or {}).items()}
    return _Words(lower("speech_verbs"), lower("document_verbs"), lower("person_heads"),
                  lower("organisation_heads"), lower("titles"), lower("person_pronouns"), lower("group_pronouns"),
                  lower("thing_pronouns"), lower("not_sources"), demonyms,
                  pronouns=lower("person_pronouns") | lower("group_pronouns") | lower("thing_pronouns"),
                  heads=lower("organisation_heads") | lower("person_heads"),
                  demonym_names=frozenset(d.lower() for d in demonyms.values()))


@lru_cache(maxsize=1)
def _speech_words() -> Caseless:
    """Cheap test for a sentence that may credit someone."""
    words = _words().speech_verbs | {"according", "citing", "quoting"}
    return Caseless(r"\b(?:" + literal_alternation(words) + r")\b")


@lru_cache(maxsize=1)
def _frame_words() -> frozenset[str]:
    """Every word that may open a frame in :meth:`Attributor._read_sentence`."""
    return _words().speech_verbs | {"according", "citing", "quoting", "adding", "saying"}


@lru_cache(maxsize=1)
def _frame_word_parts() -> Caseless | None:
    """Every word of :func:`_frame_words` wherever it is, inside longer words too; None when one is no plain word
    (then a sentence may have a frame opener no search for words finds)."""
    words = _frame_words()
    if not all(word.isalpha() for word in words):
        return None
    return Caseless(literal_alternation(words))


def _opens_no_frame(text: str) -> bool:
    """Whether a sentence that names a speech word is sure to open no frame without its tokens being cut: its only
    one opens it ("Published: 2016-01-04", "Reported by ..."), with no speaker before it, and no word that may
    open a frame is anywhere after it. (Not "According to ...": that one credits what follows.)"""
    first = _speech_words().search(text)
    if first is None or first.start() != 0 or text[:first.end()].lower() == "according":
        return False
    parts = _frame_word_parts()
    return parts is not None and parts.search(text, first.end()) is None


def warm_up() -> None:
    """Load attribution.yaml and compile its patterns once (before worker processes fork)."""
    _speech_words()
    _frame_words()
    _frame_word_parts()


_QUOTED = re.compile(r"“[^”“]*”|“[^”“]*$|\"[^\"\n]{3,}\"", flags=re.M)


def _quote_spans(text: str) -> list[tuple[int, int]]:
    """Spans of quoted passages (curly quotes pair up; straight quotes alternate)."""
    # read from the first opening quote (found at memchr speed: many articles quote nobody)
    curly, straight = text.find("“"), text.find('"')
    if curly < 0 and straight < 0:
        return []
    first = curly if straight < 0 or 0 <= curly < straight else straight
    spans = [(m.start(), m.end()) for m in _QUOTED.finditer(text, first)]
    spans.sort()
    return spans


_POSSESSIVE_END = re.compile(r"['’]s?$")


def _bare(word: str) -> str:
    """A token without a possessive ending."""
    if "'" not in word and "’" not in word:  # most words: no regex
        return word
    return _POSSESSIVE_END.sub("", word)


def full_name_of(bare: str, persons: Reversible[str]) -> str | None:
    """The last of the full names seen (``persons``, in order) holding ``bare`` as a word: whom "Lysak
    added" credits. (Also how a huge article's later piece checks a look-up it made on a guess.)"""
    return next((known for known in reversed(persons) if bare in known.split()), None)


def _is_cap(tok: Token) -> bool:
    if tok.kind == "abbr":
        return tok.text[:1].isupper()
    if tok.kind != "word":
        return False
    return tok.text[:1].isupper() or tok.lower.startswith(("al-", "el-", "bin-", "ibn-", "abu-"))


class Attributor:
    """Credits for the figures of one article.

    ``actor_lookup(name)`` returns ``(canonical name, kind)`` for a known actor (kind ``outlet``,
    ``organisation``, ``armed_group``, ``state_force``...), ``place_lookup(name)`` the kind of a
    place (``country``, ``region``, ``city``) or None; ``tokens_of(sentence)`` its tokens, when the
    caller keeps them (:func:`~auditor.numbers.tokenize` by default). ``names``, a dict the caller keeps
    (and empties when either lookup changes), remembers how phrases were read across articles.
    """

    def __init__(self, text: str, sentences: list[Sentence],
                 actor_lookup: Callable[[str], tuple[str, str] | None] | None = None,
                 place_lookup: Callable[[str], str | None] | None = None,
                 tokens_of: Callable[[Sentence], list[Token]] | None = None,
                 names: dict[tuple[tuple[str, str], ...], tuple[Credit | None]] | None = None,
                 readings: dict[_ReadingKey, _Reading] | None = None) -> None:
        self.text = text
        # phrase -> its credit, shared by the articles of one actor and place lookup (see _normalise)
        self._names = names
        self._asked_persons = False
        # sentence -> how it was read, shared alike (see _read_sentence); while a sentence is read, the credits it
        # remembers and whether it looked at what the sentences before left (a pronoun, a family name)
        self._readings = readings
        self._remembered: list[Credit] | None = None
        self._looked_back = False
        self.sentences = sentences
        self.words = _words()
        self._actor = actor_lookup or (lambda _name: None)
        self._place = place_lookup or (lambda _name: None)
        self._tokens_of = tokens_of or (lambda s: tokenize(s.text, s.start))
        self._quotes = _quote_spans(text)
        self._quote_starts = [a for a, _ in self._quotes]
        self._persons: list[str] = []  # full names seen, for "Lysak added"
        self._last_person: Credit | None = None
        self._last_thing: Credit | None = None
        self._sentence_starts: list[int] | None = None  # listed when a quote asks (most figures are in none)
        # Sentences are read in order, on demand: those around the figures asked about (and a few
        # before them, for "he said" and "the ministry added"); the rest of a long article is skipped.
        self.frames: list[list[_Frame]] = [[] for _ in sentences]
        self._read_upto = 0

    def _read_through(self, index: int) -> None:
        """Read the sentences up to ``index`` (from at most ``_LOOKBACK`` before it)."""
        index = min(index, len(self.sentences) - 1)
        start = max(self._read_upto, index - _LOOKBACK)
        for k in range(start, index + 1):
            self.frames[k] = self._read_sentence(self.sentences[k])
        self._read_upto = max(self._read_upto, index + 1)

    # -- public ------------------------------------------------------------------------
    def credit(self, sentence_index: int, position: int) -> Credit:
        """The source credited with a figure at ``position`` in sentence ``sentence_index``."""
        quote = self._quote_at(position)
        last = self._sentence_of(max(quote[1] - 1, quote[0])) if quote is not None else sentence_index
        self._read_through(max(sentence_index, last) + 1)
        if quote is not None:
            qs, qe = quote
            for index in dict.fromkeys((self._sentence_of(max(qe - 1, qs)), self._sentence_of(qs))):
                found = self._frame_near_quote(index, qs, qe)
                if found is not None:
                    return found
            after = self._sentence_of(max(qe - 1, qs)) + 1
            if after < len(self.frames) and self.frames[after] and self._short_credit(after):
                return self.frames[after][0].credit
        frames = self.frames[sentence_index]
        covering = [f for f in frames if f.start <= position < f.end]
        if len(covering) == 1:  # (most figures)
            return covering[0].credit
        if covering:
            # "According to X, the group claimed ...": the opening citation credits the whole sentence
            lead = [f for f in covering if f.rule == "according_to.lead"]
            return (lead or [min(covering, key=lambda f: abs(f.verb_start - position))])[0].credit
        return UNATTRIBUTED

    # -- reading sentences -------------------------------------------------------------
    def _sentence_of(self, position: int) -> int:
        if self._sentence_starts is None:
            self._sentence_starts = [s.start for s in self.sentences]
        return max(0, bisect.bisect_right(self._sentence_starts, position) - 1)

    def _quote_at(self, position: int) -> tuple[int, int] | None:
        k = bisect.bisect_right(self._quote_starts, position) - 1
        if k >= 0:
            a, b = self._quotes[k]
            if a <= position < b:
                return a, b
        return None

    def _frame_near_quote(self, index: int, qs: int, qe: int) -> Credit | None:
        """The frame right after a quote's end or right before its opening, in sentence ``index``."""
        best = None
        for f in self.frames[index]:
            if f.verb_start >= qe - 1 and f.verb_start - qe < 60:
                return f.credit
            if f.verb_start < qs and qs - f.verb_start < 80 and self.text[f.verb_start:qs].rstrip().endswith(
                    (":", ",", "said", "says", "added", "told")):
                best = f.credit
        return best

    def _short_credit(self, index: int) -> bool:
        """Does the sentence just credit someone ("He said.", "Rasheed added.")?"""
        return len(self.sentences[index].text.split()) <= 8

    def _read_sentence(self, sentence: Sentence) -> list[_Frame]:
        """The frames of ``sentence``, its credits remembered for the sentences after.

        The same sentences come back article after article (a wire story's copies, an outlet's boilerplate):
        with a ``readings`` memo, a sentence is read once, its tokens not cut again. One whose reading looked at
        what the sentences before it left (a pronoun, a family name) is remembered with that state: served only
        after the same. (Not for a subclass: a huge article's piece watches what is asked.)"""
        memo = self._readings
        text = sentence.text
        if memo is None or len(text) > _MAX_READING_CHARS or type(self) is not Attributor:
            return self._read_frames(sentence)
        start = sentence.start
        found = memo.get(text)
        if found is _LOOKS_BACK:
            found = memo.get((text, self._last_person, self._last_thing, tuple(self._persons)))
        if found is not None:
            for credit in found.remembered:
                self._remember(credit)
            return [_Frame(verb_start + start, a + start, b + start, credit, rule)
                    for verb_start, a, b, credit, rule in found.frames]
        # the state before the reading (the full names seen are only added to: the first ``named`` of them)
        person, thing, named = self._last_person, self._last_thing, len(self._persons)
        self._remembered, self._looked_back = [], False
        try:
            frames = self._read_frames(sentence)
            if len(memo) >= _MAX_READINGS:
                memo.clear()
            reading = _Reading(tuple((f.verb_start - start, f.start - start, f.end - start, f.credit, f.rule)
                                     for f in frames), tuple(self._remembered))
            if self._looked_back:
                memo[text] = _LOOKS_BACK
                memo[text, person, thing, tuple(self._persons[:named])] = reading
            else:
                memo[text] = reading
        finally:
            self._remembered = None
        return frames

    def _read_frames(self, sentence: Sentence) -> list[_Frame]:
        first = _speech_words().search(sentence.text)
        if first is None:
            return []
        if first.start() == 0 and sentence.text[:1].isalpha() and _opens_no_frame(sentence.text):
            # a speech word opening the sentence has no speaker before it: no need to cut its tokens (front
            # matter's "published: ..." line, where most sentences read are cut for extraction anyway)
            return []
        tokens = self._tokens_of(sentence)
        n = len(tokens)
        frames: list[_Frame] = []
        opens = _frame_words()
        # the words below are the only ones that open a frame: only their tokens are visited, in order
        openers = list(compress(range(n), map(opens.__contains__, map(_LOWER, tokens))))
        if not openers:
            return frames
        segment_starts = [0] + [k + 1 for k, t in enumerate(tokens) if t.text == ";"] if ";" in sentence.text else [0]
        v = 0
        for opener in openers:
            if opener < v:  # inside the phrase of the frame before
                continue
            v = opener
            tok = tokens[v]
            k = bisect.bisect_right(segment_starts, v)  # the ";"-segment of token v
            seg = segment_starts[k - 1]
            seg_end = segment_starts[k] - 1 if k < len(segment_starts) else n
            seg_start_char = tokens[seg].start if seg < n else sentence.end
            seg_end_char = tokens[seg_end].start if seg_end < n else sentence.end
            frame = None
            if tok.lower == "according" and v + 1 < n and tokens[v + 1].lower == "to":
                credit, after = self._phrase_after(tokens, v + 2)
                if credit is not None:
                    if v == seg or (v > 0 and tokens[v - 1].text in _OPEN_QUOTES):
                        frame = _Frame(tok.start, tokens[min(after, n - 1)].start, seg_end_char, credit,
                                       "according_to.lead")
                    else:
                        clause = self._clause_start(tokens, v, seg)
                        frame = _Frame(tok.start, clause, tok.start, credit, "according_to")
                v = max(v + 1, after)
            elif tok.lower in ("citing", "quoting") and v > seg and not (
                    v + 1 < n and tokens[v + 1].lower in ("its", "their", "his", "her", "own")):
                credit, after = self._phrase_after(tokens, v + 1)
                if credit is not None:
                    # the outlet's frame hands its credit to the source it cites
                    cited = [f for f in frames if f.verb_start < tok.start]
                    if cited:
                        frames[-1] = _Frame(cited[-1].verb_start, cited[-1].start, cited[-1].end,
                                            credit, "citing")
                    else:
                        frame = _Frame(tok.start, seg_start_char, seg_end_char, credit, "citing")
                v = max(v + 1, after)
            elif tok.lower in ("adding", "saying") and v > 0 and tokens[v - 1].text == "," and frames:
                # "..., said Abu Hamza, adding that 100 people were wounded": the same speaker goes on
                frame = _Frame(tok.start, tok.end, seg_end_char, frames[-1].credit, "speaker.adding")
                v += 1
            elif tok.lower in self.words.speech_verbs and not self._verb_is_noun(tokens, v):
                frame = self._verb_frame(tokens, v, seg, seg_start_char, seg_end_char, sentence)
                v += 1
            else:
                v += 1
            if frame is not None:
                if frames and frames[-1].rule == "citing" and frame.rule.startswith("speaker") and \
                        frame.verb_start - frames[-1].verb_start < 80 and \
                        "," in sentence.text[frames[-1].verb_start - sentence.start:frame.verb_start - sentence.start]:
                    # "The SUNA news agency, citing the health ministry, said ...": the cited source speaks
                    frame = _Frame(frame.verb_start, frame.start, frame.end, frames.pop().credit, "citing")
                frames.append(frame)
                self._remember(frame.credit)
        return frames

    def _verb_is_noun(self, tokens: list[Token], v: int) -> bool:
        """'a report', 'the claims', 'claimed responsibility': a speech word that credits nobody."""
        prev = tokens[v - 1].lower if v > 0 else ""
        nxt = tokens[v + 1].lower if v + 1 < len(tokens) else ""
        return prev in ("a", "an", "the", "its", "their", "his", "her", "these", "those", "such", "of") or \
            nxt in ("responsibility", "credit", "victory")

    def _clause_start(self, tokens: list[Token], v: int, seg: int) -> int:
        """Where the clause before token ``v`` starts (after the previous frame's verb or the segment start)."""
        return tokens[seg].start

    def _verb_frame(self, tokens: list[Token], v: int, seg: int, seg_start: int, seg_end: int,
                    sentence: Sentence) -> _Frame | None:
        n = len(tokens)
        verb = tokens[v]
        prev = tokens[v - 1] if v > 0 else None
        told = ""
        after_verb = v + 1
        if verb.lower in ("told", "tells") and v + 1 < n:
            told, after_verb = self._told_object(tokens, v + 1)
        credit: Credit | None = None
        rule = "speaker.verb"
        # "..., said Gen. Ibrahim" / '"...," said X': the speaker after the verb
        if prev is not None and (prev.text in _CLOSE_QUOTES or prev.text in (",", "’")) and verb.lower not in (
                "told", "tells", "put", "puts", "saw"):
            credit, after = self._phrase_after(tokens, v + 1, inverted=True)
            if credit is not None and (after >= n or tokens[after].text in (",", ".", ";", ":", "—", "(")):
                rule = "speaker.inverted"
            else:
                credit = None
        if credit is None:
            credit = self._speaker_before(tokens, v, seg)
        if credit is None:
            return None
        if told:
            credit = Credit(credit.source, credit.source_type, told)
        closing = rule == "speaker.inverted" or self._closes_clause(tokens, after_verb)
        if closing:
            # "..., X said." covers the clause before it, and ", bringing the toll to ..." after it
            start = seg_start
            cover_end = verb.start
            k = after_verb
            while k < n and tokens[k].text not in (",", ".", ";") and k - after_verb < 8:
                k += 1
            if k + 1 < n and tokens[k].text == "," and tokens[k + 1].lower in _CONTINUATIONS:
                cover_end = seg_end
            return _Frame(verb.start, start, cover_end, credit, rule)
        return _Frame(verb.start, verb.end, seg_end, credit, rule)

    def _closes_clause(self, tokens: list[Token], j: int) -> bool:
        """Whether a speech verb ends its clause ("..., police said on Monday.") rather than opening a
        reported one ("police said on Telegram that 12 ...")."""
        n = len(tokens)
        if j < n and tokens[j].lower in _ADVERBIALS:
            # "in a statement", "on Monday", "at the time", "in its latest survey": a short adverbial
            k = j + 1
            words = 0
            # "in a report to the Security Council in New York.": words up to punctuation, unless a
            # reported clause starts ("that", "it", a number)
            while k < n and words < 10 and tokens[k].kind in ("word", "abbr") and \
                    tokens[k].lower not in _CONTENT_STARTS:
                k += 1
                words += 1
            j = k
        return j >= n or tokens[j].text in (".", ",", ";", ":", "”", "\"", "—", "–", ")", "!", "?")

    def _told_object(self, tokens: list[Token], j: int) -> tuple[str, int]:
        """The outlet after 'told' ("told Reuters", "told the Burkina24 news site") and the token after it."""
        n = len(tokens)
        if j < n and tokens[j].lower in ("reporters", "journalists", "parliament", "lawmakers"):
            return "", j + 1
        k = j
        while k < n and tokens[k].lower in ("the", "a", "an"):
            k += 1
        m = k
        while m < n and m - k < 8 and tokens[m].kind in ("word", "abbr", "num") and tokens[m].lower != "that":
            m += 1
        # the name: capitalised tokens (and what is glued to them: "Burkina24") from the start of the object
        e = k
        while e < m and (_is_cap(tokens[e]) or (e > k and tokens[e].start == tokens[e - 1].end)
                         or (tokens[e].lower in _CONNECTORS and e + 1 < m and _is_cap(tokens[e + 1]))):
            e += 1
        if e == k:
            # "told the state news agency SANA": the name after the outlet's description
            caps = [t for t in tokens[k:m] if _is_cap(t)]
            if caps and {t.lower for t in tokens[k:m]} & _TOLD_NOUNS:
                name = " ".join(t.text for t in caps)
                found = self._actor(name)
                return (found[0] if found else name), m
            return "", m if m > j else j
        name = self.text[tokens[k].start:tokens[e - 1].end]
        found = self._actor(name)
        if found is not None:
            return found[0], e
        nouns = {t.lower for t in tokens[e:m]}
        if nouns & _TOLD_NOUNS or not self._place(name):
            return name, m if nouns & _TOLD_NOUNS else e
        return "", e

    # -- speaker phrases ---------------------------------------------------------------------
    def _speaker_before(self, tokens: list[Token], v: int, seg: int) -> Credit | None:
        j = v - 1
        while j >= seg and tokens[j].lower in _ADVERBS:
            j -= 1
        if j < seg:
            return None
        if tokens[j].text == ",":
            # an appositive: "Name, a provincial official in Kirkuk, said" / "The governor of X, Name, said"
            k = j - 1
            while k >= seg and tokens[k].text not in (",", "“", "”", "\"") and j - k < 18:
                k -= 1
            inner = tokens[k + 1:j]
            if k >= seg and tokens[k].text == ",":
                inner_credit = self._name_only(inner)
                if inner_credit is not None:
                    return inner_credit
                head = self._phrase_ending(tokens, k - 1, seg)
                if head is not None:
                    return head
            return None
        if tokens[j].text in _CLOSE_QUOTES:
            return None
        if tokens[j].text == ")":
            # "the Associated Press (AP) reports": the name before the bracket
            k = j - 1
            while k > seg and tokens[k].text != "(" and j - k < 6:
                k -= 1
            if tokens[k].text == "(":
                inner = self._normalise(tokens[k + 1:j])
                outer = self._phrase_ending(tokens, k - 1, seg)
                return outer or inner
        return self._phrase_ending(tokens, j, seg)

    def _phrase_ending(self, tokens: list[Token], j: int, seg: int) -> Credit | None:
        """The speaker phrase that ends at token ``j`` (read backwards to its start)."""
        if j < seg or tokens[j].kind not in ("word", "abbr"):
            return None
        word = tokens[j].lower
        if word in self.words.pronouns:
            return self._pronoun(word)
        k = j
        while k - 1 >= seg and j - k < 9:
            t = tokens[k - 1]
            if t.kind not in ("word", "abbr") or t.lower in _PHRASE_STOPS or t.text in _QUOTES:
                break
            if t.lower in _DETERMINERS:
                if t.lower == "the" and k - 2 >= seg and tokens[k - 2].lower in ("of", "for") and k - 3 >= seg \
                        and _is_cap(tokens[k - 3]):
                    k -= 3  # "Office for the Coordination of ...": still one name
                    continue
                k -= 1
                break
            k -= 1
        found = self._normalise(tokens[k:j + 1])
        if found is None:
            # "the Combined Joint Task Force leading the air operations said": the name opening the clause
            c = j
            while c - 1 >= seg and tokens[c - 1].text not in (",", ";", ":", "”", "“", "\"", "—", "–", ")") \
                    and j - c < 12:
                c -= 1
            found = self._normalise(tokens[c:j + 1]) if c < j else None  # "Reuters journalists at the scene"
            run = self._name_run(tokens[c:j + 1], 0)
            if found is None and run is not None and (c == seg or tokens[c - 1].text in (",", "—", "–", ")")):
                a, b = run
                while a < b and not _is_cap(tokens[c + a]):
                    a += 1
                found = self._normalise(tokens[c + a:c + b]) if a < b else None
        return found

    def _phrase_after(self, tokens: list[Token], j: int, inverted: bool = False) -> tuple[Credit | None, int]:
        """Source named after an introducer or an inverted verb; (credit, index after it)."""
        end = j
        while end < len(tokens) and tokens[end].text not in (",", ".", ";", ":", "“", "”", "\"", "—", "(") \
                and end - j < 12:
            if end > j and tokens[end].lower in ("that", "which", "who", "when", "after", "as", "while"):
                break
            end += 1
        span = tokens[j:end]
        if not span:
            return None, end
        # "a report by the Institute for the Study of War": read after the last "by"/"from"
        for k in range(len(span) - 1, 0, -1):
            if span[k].lower in ("by", "from") and k + 1 < len(span):
                span = span[k + 1:]
                break
        if span[0].lower in self.words.pronouns:
            return self._pronoun(span[0].lower), end
        if inverted:
            # "said Oleh Kiper, the governor ...": the name only, right after the verb
            first = span[0].lower
            if not (_is_cap(span[0]) or first in _DETERMINERS or first in self.words.titles):
                return None, end
            run = self._name_run(span, 0)
            if run is not None:
                return self._normalise(span[run[0]:run[1]]), end
        return self._normalise(span), end

    def _name_run(self, span: list[Token], j: int) -> tuple[int, int] | None:
        k = j
        while k < len(span) and not _is_cap(span[k]):
            if k - j > 3:
                return None
            k += 1
        if k >= len(span):
            return None
        end = k
        while end < len(span) and (_is_cap(span[end]) or (span[end].lower in _CONNECTORS and end + 1 < len(span)
                                                          and _is_cap(span[end + 1]))):
            end += 1
        return j, end

    def _name_only(self, span: list[Token]) -> Credit | None:
        """A bare person's name ("Dikko Radda") between commas, else None."""
        span = [t for t in span if t.text != "."]
        if not span or len(span) > 5 or not all(_is_cap(t) or t.lower in _CONNECTORS for t in span):
            return None
        credit = self._normalise(span)
        return credit if credit is not None and credit.source_type == "person" else None

    # -- naming --------------------------------------------------------------------------
    def _pronoun(self, word: str) -> Credit | None:
        self._looked_back = True
        if word in self.words.person_pronouns:
            return self._last_person
        if word in self.words.group_pronouns:
            return self._last_thing or self._last_person
        return self._last_thing or self._last_person

    def _remember(self, credit: Credit) -> None:
        if self._remembered is not None:
            self._remembered.append(credit)
        if credit.source_type == "person":
            self._last_person = credit
            if credit.source not in self._persons and " " in credit.source and credit.source[:1].isupper():
                self._persons.append(credit.source)
        else:
            self._last_thing = credit

    def _normalise(self, span: list[Token]) -> Credit | None:
        """A credit for the phrase in ``span``, or None when it names no source.

        The same phrases name the speakers of sentence after sentence ("the health ministry", "police"):
        with a ``names`` memo, a phrase is read once, unless its reading looked at the persons this
        article named before (a bare family name: "Lysak added")."""
        memo = self._names
        if memo is None:
            return self._read_name(span)
        key = tuple([t[2:4] for t in span])  # (text, kind): all the reading looks at (lower is text.lower())
        found = memo.get(key)
        if found is not None:
            return found[0]
        self._asked_persons = False
        credit = self._read_name(span)
        if not self._asked_persons:
            if len(memo) >= _MAX_NAMES:
                memo.clear()
            memo[key] = (credit,)
        return credit

    def _read_name(self, span: list[Token]) -> Credit | None:
        words = self.words
        span = [t for t in span if t.kind in ("word", "abbr") or t.text in ("(", ")", "&")]
        while span and span[0].lower in _DETERMINERS:
            span = span[1:]
        # "hospital sources in Deir el-Balah", "officials on both sides": the speaker is the head before it
        for k, t in enumerate(span):
            if k > 0 and (t.lower in _CUT_PREPOSITIONS or t.lower == "of" and k + 1 < len(span) and self._place(
                    " ".join(x.text for x in span[k + 1:]))):
                span = span[:k]  # "a resident of Verrettes": the resident
                break
        span = [t for t in span if not t.lower.endswith(_NAME_ADJECTIVE_SUFFIXES) or t is span[-1]]
        if not span:
            return None
        lows = [t.lower for t in span]
        if "of" in lows[2:]:
            # "Claire Nicolet of MSF": a person of a known organisation
            cut = lows.index("of", 2)
            head = span[:cut]
            if all(_is_cap(t) for t in head) and not {_bare(t.lower) for t in head} & _NAME_WORDS \
                    and self._actor(" ".join(t.text for t in span[cut + 1:])):
                span = head
        raw = " ".join(t.text for t in span if t.text not in "()")
        lows = [t.lower for t in span]
        if lows[0] in _CUT_PREPOSITIONS or lows[0] in ("by", "for", "of", "to", "during"):
            return None  # "said in its annual report": an adverbial, not a speaker
        if len(span) == 1 and not (span[0].text.isupper() and len(span[0].text) > 1) and (
                lows[0] in words.not_sources or _bare(lows[0]) in words.not_sources):
            return None
        if all(w in words.not_sources for w in lows):
            return None
        found = self._actor(raw)
        if found is None and "(" in [t.text for t in span]:
            inner = [t.text for t in span]
            found = self._actor(inner[inner.index("(") + 1]) if inner.index("(") + 1 < len(inner) else None
        if found is not None:
            name, kind = found
            if kind == "outlet":
                return Credit(name, "outlet")
            if kind == "organisation":
                return Credit(name, "organisation")
            if kind == "civilians":  # "residents said": people speaking for themselves
                return Credit(self._as_written(span), "person")
            return Credit(self._as_written(span), "organisation")
        head = _bare(lows[-1])
        two = " ".join(_bare(w) for w in lows[-2:])
        if "of" in lows[1:-1] and head not in words.heads:
            head = _bare(lows[lows.index("of", 1) - 1])  # "a UN panel of experts": the panel
        # a known outlet or organisation inside a generic phrase ("Reuters journalists", "an AFP tally")
        if head in words.organisation_heads or head in ("journalists", "reporters", "correspondents",
                                                       "correspondent", "reporter", "photographer"):
            for a in range(len(span)):
                for b in range(min(len(span), a + 5), a, -1):
                    inner = self._actor(" ".join(t.text for t in span[a:b]))
                    if inner is not None and inner[1] == "outlet" and b < len(span):
                        return Credit(inner[0], "outlet")
        # "U.N. Humanitarian Coordinator Lise Grande": a name after the last title word
        titled = [k for k, w in enumerate(lows) if w.rstrip(".") in words.titles and w not in ("the", "a", "an")]
        if titled and titled[-1] <= len(span) - 3 and all(_is_cap(t) for t in span[titled[-1] + 1:]) and not {
                _bare(t.lower) for t in span[titled[-1] + 1:]} & _NAME_WORDS:
            return self._person_or_place(span[titled[-1] + 1:])
        named = self._organisation_name(span)
        if named is not None:
            return named
        # "Civil defence spokesman Mahmud Bassal": the name after a title or role
        run = len(span)
        while run > 0 and _is_cap(span[run - 1]):
            run -= 1
        if 0 < run <= len(span) - 2 and (lows[run - 1] in words.titles or _bare(lows[run - 1]) in words.person_heads):
            return self._person_or_place(span[run:])
        # a person's name, titles dropped ("regional governor Oleh Syniehubov")
        caps = [t for t in span if _is_cap(t) or t.lower in _CONNECTORS]
        k = 0
        while k < len(span) - 1 and (lows[k] in words.titles or lows[k].rstrip(".") in words.titles
                                     or not _is_cap(span[k])):
            k += 1
        name_tokens = span[k:]
        if name_tokens and all(_is_cap(t) or t.lower in _CONNECTORS for t in name_tokens) and \
                _bare(name_tokens[-1].lower) not in words.heads:
            return self._person_or_place(name_tokens)
        if head in words.person_heads or two in words.person_heads:
            return Credit(self._as_written(span), "person")
        if head in words.organisation_heads or two in words.organisation_heads:
            return Credit(self._as_written(span), "organisation")
        if caps and len(caps) == len(span):
            return self._person_or_place(span)
        return None

    def _organisation_name(self, span: list[Token]) -> Credit | None:
        """An unknown organisation or outlet by the words of its name ("Syrian Network for Human Rights",
        "Garowe Online", "The Irrawaddy", "Democratic Voice of Burma"), else None."""
        if not span or not _is_cap(span[0]):
            return None
        names = [t for t in span if t.kind in ("word", "abbr")]
        if not all(_is_cap(t) or t.lower in _NAME_CONNECTORS for t in names):
            return None
        lows = {_bare(t.lower) for t in names}
        if lows & _OUTLET_WORDS:
            return Credit(" ".join(t.text for t in names), "outlet")
        if lows & _ORGANISATION_WORDS or len(names) >= 3 and lows & {"of", "for", "en", "de", "del"}:
            return Credit(" ".join(t.text for t in names), "organisation")
        if len(names) >= 2 and any(self._place(_bare(t.text)) == "country" for t in names):
            return Credit(" ".join(t.text for t in names), "outlet")  # "Myanmar Now"
        return None

    def _as_written(self, span: list[Token]) -> str:
        """The phrase as written, a possessive country made an adjective ("Sudan's health ministry" ->
        "Sudanese health ministry")."""
        out = []
        for k, t in enumerate(span):
            text = t.text
            if k == 0 and re.search(r"['’]s$", text):
                base = _bare(text)  # "Sudan's health ministry" -> "Sudanese ...", "Puntland's" -> "Puntland"
                text = self.words.demonyms.get(base.lower(), base)
            out.append(text)
        phrase = " ".join(out)
        if phrase[:1].isupper() and span[0].kind == "word" and span[0].lower not in self.words.demonyms \
                and not self._actor(span[0].text) and len(span) > 1 and not _is_cap(span[1]) \
                and (span[0].lower in self.words.titles or span[0].lower in self.words.heads):
            phrase = phrase[0].lower() + phrase[1:]  # "Police said" -> "police"; "Hospital sources" -> "hospital sources"
        elif len(span) == 1 and phrase[:1].isupper() and span[0].lower in self.words.heads:
            phrase = phrase.lower()
        elif span[0].lower in ("hospital", "medical", "security", "health", "local", "military", "army",
                               "government", "municipal", "emergency", "rescue", "aid", "police"):
            phrase = phrase[0].lower() + phrase[1:]
        return phrase

    def _person_or_place(self, name_tokens: list[Token]) -> Credit | None:
        name = " ".join(t.text for t in name_tokens)
        bare = _bare(name)
        kind = self._place(bare)
        if kind is not None:
            # "Israel said": a country speaks through its government; a town or a nationality is no source
            if kind == "country":
                demonym = self.words.demonyms.get(bare.lower(), bare)
                return Credit(f"{demonym} government", "organisation")
            return None
        if bare.lower() in self.words.not_sources or bare.lower() in self.words.demonym_names:
            return None
        if len(name_tokens) == 1:
            if name_tokens[0].lower.endswith("ing"):
                return None  # "Citing estimates ...": a verb, not a name
            self._asked_persons = self._looked_back = True
            known = full_name_of(bare, self._persons)
            if known is not None:
                return Credit(known, "person")
            if name_tokens[0].kind == "abbr" or name.isupper():
                return Credit(name, "organisation")
        return Credit(bare, "person")

"""Who a figure is credited to: speakers, outlets and organisations the text names.

Reads each sentence once, in order, so that "he said" and "it added" can point back to
the last named speaker, and a quote that spans sentences is credited to whoever the text
names where it opens or closes.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from .knowledge import attribution_words
from .model import Sentence
from .numbers import Token, tokenize

_OPEN_QUOTES = "“\""
_CLOSE_QUOTES = "”\""
_CONNECTORS = {"al", "bin", "ibn", "bint", "abu", "el", "de", "van", "von", "der", "of", "for", "the", "and", "on",
               "la", "le", "da", "di", "du", "ul"}
_ORG_HEADS = {
    "ministry", "agency", "command", "force", "forces", "council", "government", "institute", "organization",
    "organisation", "committee", "office", "police", "army", "military", "militia", "group", "observatory",
    "network", "monitor", "coalition", "authority", "authorities", "department", "commission", "center", "centre",
    "watch", "program", "programme", "fund", "bank", "corps", "brigade", "unit", "mission", "task", "university",
    "service", "services", "tv", "television", "radio", "news", "press", "channel", "media", "statement", "report",
    "officials", "spokesman", "spokeswoman", "spokesperson", "sources", "source", "hospital", "red", "crescent",
    "cross", "movement", "party", "front", "state", "administration", "pentagon", "kremlin", "un", "u.n.",
}


_UNNAMED_PEOPLE = {"advisor", "adviser", "source", "witness", "resident", "doctor", "medic", "officer", "soldier",
                   "fighter", "commander", "spokesman", "spokeswoman", "official", "diplomat", "analyst", "activist"}
_NAME_ADJECTIVE_SUFFIXES = ("-backed", "-led", "-based", "-linked", "-allied", "-held", "-controlled", "-run",
                            "-affiliated", "-aligned", "-funded", "-supported")


@dataclass(frozen=True)
class Credit:
    """A source as the text names it, normalised."""

    source: str
    source_type: str  # person | organisation | outlet | unattributed
    told: str = ""  # the outlet spoken to ("told Reuters")


UNATTRIBUTED = Credit("", "unattributed")


@lru_cache(maxsize=1)
def _speech_words() -> re.Pattern[str]:
    """Cheap test for a sentence that may credit someone: one of the table's speech verbs."""
    words = attribution_words()["speech_verbs"] | {"according"}
    return re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + r")\b", re.I)


def _quote_spans(text: str) -> list[tuple[int, int]]:
    """Spans of quoted passages (curly quotes pair up; straight quotes alternate)."""
    spans = []
    for m in re.finditer(r"“[^”“]*”|“[^”“]*$|\"[^\"\n]{3,}\"", text, flags=re.M):
        spans.append((m.start(), m.end()))
    spans.sort()
    return spans


class Attributor:
    """Credits for the figures of one article."""

    def __init__(self, text: str, sentences: list[Sentence], outlet_lookup=None) -> None:  # noqa: ANN001
        self.text = text
        self.sentences = sentences
        self.words = attribution_words()
        self._outlet_lookup = outlet_lookup
        self._quotes = _quote_spans(text)
        self._quote_starts = [a for a, _ in self._quotes]
        self._persons: list[str] = []
        self._last_person: Credit | None = None
        self._last_thing: Credit | None = None
        self._sources: list[Credit] = []  # every credit seen, in order (for "the task force")
        self._sentence_starts = [s.start for s in sentences]
        self.direct: list[Credit | None] = [self._read_sentence(s) for s in sentences]

    # -- public ------------------------------------------------------------------------
    def credit(self, sentence_index: int, position: int) -> Credit:
        """The source credited with a figure at ``position`` in sentence ``sentence_index``."""
        quote = self._quote_at(position)
        if quote is not None:
            qs, qe = quote
            closing = self._sentence_of(max(qe - 1, qs))
            opening = self._sentence_of(qs)
            for index in (closing, opening, closing + 1, opening - 1):
                if 0 <= index < len(self.direct) and self.direct[index] is not None:
                    if index == closing + 1 and not self._starts_with_credit(index):
                        continue
                    if index == opening - 1 and not self.sentences[index].text.rstrip().endswith((":", ",")):
                        continue
                    return self.direct[index]  # type: ignore[return-value]
        found = self.direct[sentence_index]
        return found if found is not None else UNATTRIBUTED

    # -- reading sentences -------------------------------------------------------------
    def _sentence_of(self, position: int) -> int:
        return max(0, bisect.bisect_right(self._sentence_starts, position) - 1)

    def _quote_at(self, position: int) -> tuple[int, int] | None:
        k = bisect.bisect_right(self._quote_starts, position) - 1
        if k >= 0:
            a, b = self._quotes[k]
            if a <= position < b:
                return a, b
        return None

    def _starts_with_credit(self, index: int) -> bool:
        """Does the sentence open with a credit ("He said.", "Rasheed added")?"""
        words = self.sentences[index].text.split()
        return len(words) <= 8 and any(w.strip(".,").lower() in self.words["speech_verbs"] for w in words[:4])

    def _read_sentence(self, sentence: Sentence) -> Credit | None:
        if not _speech_words().search(sentence.text):
            return None
        tokens = tokenize(sentence.text, sentence.start)
        found: list[Credit] = []
        for v, tok in enumerate(tokens):
            if tok.lower == "according" and v + 1 < len(tokens) and tokens[v + 1].lower == "to":
                credit = self._speaker_after(tokens, v + 2, introducer=True)
            elif tok.lower in self.words["speech_verbs"] and tok.lower != "according":
                credit = self._speaker_for_verb(tokens, v)
            else:
                continue
            if credit is not None:
                found.append(credit)
        if not found:
            return None
        best = next((c for c in found if c.source_type == "person"), found[0])
        self._remember(best)
        return best

    def _remember(self, credit: Credit) -> None:
        self._sources.append(credit)
        if credit.source_type == "person":
            self._last_person = credit
            if credit.source not in self._persons:
                self._persons.append(credit.source)
        else:
            self._last_thing = credit

    def _speaker_for_verb(self, tokens: list[Token], v: int) -> Credit | None:
        prev = tokens[v - 1].text if v > 0 else ""
        # Inverted order only right after a quote: '..." said Gen. Ibrahim', '...," notes AP'.
        # "X told Y" always names the speaker first.
        inverted = prev in _CLOSE_QUOTES or prev == "’" or (v >= 2 and tokens[v - 2].text in _CLOSE_QUOTES and prev == ",")
        if inverted and tokens[v].lower not in ("told", "tells"):
            after = self._speaker_after(tokens, v + 1, introducer=False)
            if after is not None:
                return after
        # "..., noted Reuters." / "..., said Gen. Ibrahim.": a name that closes the clause
        if prev == "," and tokens[v].lower not in ("told", "tells") and v + 1 < len(tokens) and _is_cap(tokens[v + 1]):
            run = _capitalised_run(tokens, v + 1)
            if run is not None and (run[1] >= len(tokens) or tokens[run[1]].text in (".", ",", ";")):
                return self._normalise(tokens[run[0]:run[1]])
        return self._speaker_before(tokens, v)

    def _speaker_after(self, tokens: list[Token], j: int, introducer: bool) -> Credit | None:
        """Speaker named after a verb or 'according to' ("said Gen. Ibrahim", "according to a report by ISW")."""
        end = j
        while end < len(tokens) and tokens[end].text not in (",", ".", ";", ":", "“", "”", "\"") and end - j < 14:
            end += 1
        span = tokens[j:end]
        if introducer:
            # "a December 2012 report by the Institute for the Study of War": read after the last "by"/"from"
            for k in range(len(span) - 1, -1, -1):
                if span[k].lower in ("by", "from") and k + 1 < len(span):
                    span = span[k + 1:]
                    break
        if not span:
            return None
        if span[0].lower in self.words["person_pronouns"] | self.words["thing_pronouns"]:
            return self._pronoun(span[0].lower)
        run = _capitalised_run(span, 0)
        if run is None:
            return self._definite(span) if introducer else None
        a, b = run
        return self._normalise(span[a:b])

    def _speaker_before(self, tokens: list[Token], v: int) -> Credit | None:
        j = v - 1
        while j >= 0 and tokens[j].lower in ("also", "later", "has", "have", "had", "was", "were", "is", "recently",
                                             "previously", "earlier", "separately", "then"):
            j -= 1
        if j < 0:
            return None
        # skip an appositive between commas: "Bashir Nazm Kahiya, a provincial official in Kirkuk, told"
        if tokens[j].text == ",":
            k = j - 1
            while k >= 0 and tokens[k].text not in (",", "“", "”", "\"") and j - k < 16:
                k -= 1
            if k >= 0 and tokens[k].text == ",":
                run = _capitalised_run_ending(tokens, k - 1)
                if run is not None:
                    return self._normalise(tokens[run[0]:run[1]])
            return None
        if tokens[j].lower in self.words["person_pronouns"] | self.words["thing_pronouns"]:
            return self._pronoun(tokens[j].lower)
        run = _capitalised_run_ending(tokens, j)
        if run is not None:
            return self._normalise(tokens[run[0]:run[1]])
        # "the task force said", "authorities said"
        k = j
        while k >= 0 and tokens[k].kind == "word" and tokens[k].text[:1].islower() and j - k < 4:
            if tokens[k].lower in ("the", "a", "an"):
                break
            k -= 1
        if k >= 0 and tokens[k].lower in ("the", "a", "an") and k < j:
            definite = self._definite(tokens[k + 1:j + 1]) if tokens[k].lower == "the" else None
            if definite is not None:
                return definite
            # "the general told Reuters", "a government advisor said": an unnamed person
            if tokens[j].lower in self.words["titles"] or tokens[j].lower in _UNNAMED_PEOPLE:
                return Credit(" ".join(t.text for t in tokens[k:j + 1]), "person")
        if k < j and tokens[j].lower in ("authorities", "officials", "police", "sources", "witnesses", "residents",
                                         "medics", "doctors", "activists"):
            return Credit(tokens[j].lower, "organisation")
        # "the Combined Joint Task Force leading the air operations said": a short clause naming the speaker
        c = j
        while c >= 0 and tokens[c].text not in (",", ";", ":", "”", "“", "\"") and j - c < 10:
            c -= 1
        if c < 0 or tokens[c].text in (",", ";", ":", "”", "“", "\""):
            clause = tokens[c + 1:j + 1]
            if clause and clause[0].lower == "the":
                run = _capitalised_run(clause, 0)
                if run is not None:
                    return self._normalise(clause[run[0]:run[1]])
        return None

    # -- naming --------------------------------------------------------------------------
    def _pronoun(self, word: str) -> Credit | None:
        if word in self.words["person_pronouns"]:
            return self._last_person or (self._last_thing if word == "they" else None)
        return self._last_thing or self._last_person

    def _definite(self, span: list[Token]) -> Credit | None:
        """'the task force' -> the last credited source whose name contains those words."""
        words = [t.lower for t in span if t.kind in ("word", "abbr") and t.lower not in ("the", "a", "an")]
        if not words:
            return None
        phrase = " ".join(words)
        for credit in reversed(self._sources):
            if phrase in credit.source.lower():
                return credit
        if words[-1] in _ORG_HEADS:
            return Credit(phrase, "organisation")
        return None

    def _normalise(self, span: list[Token]) -> Credit | None:
        """A credit for the name in ``span``: an outlet, an organisation or a person."""
        # "the Iran-backed militia": an adjective made of a name is not a speaker
        words = [t for t in span if t.kind in ("word", "abbr") and not t.lower.endswith(_NAME_ADJECTIVE_SUFFIXES)]
        if not words:
            return None
        titles = self.words["titles"]
        k = 0
        while k < len(words) - 1 and (words[k].lower in titles or words[k].lower.rstrip(".") in titles):
            k += 1
        name_tokens = words[k:]
        name = " ".join(t.text for t in name_tokens)
        lookup = self._outlet_lookup or (lambda _name: None)
        # "U.N. Humanitarian Coordinator Lise Grande": after the titles comes a person's name
        if k > 0 and lookup(name) is None and not any(t.lower.rstrip(".") in _ORG_HEADS for t in name_tokens):
            return self._person(name_tokens)
        raw = " ".join(t.text for t in span if t.text not in "()")
        found = lookup(raw)
        if found is None and "(" in [t.text for t in span]:
            # "the Associated Press (AP)": the parenthesised short name
            inner = [t.text for t in span]
            found = lookup(inner[inner.index("(") + 1]) if inner.index("(") + 1 < len(inner) else None
        if found is not None:
            return Credit(found[0], found[1])
        if any(t.lower.rstrip(".") in _ORG_HEADS for t in words):
            return Credit(" ".join(t.text for t in words), "organisation")
        return self._person(name_tokens)

    def _person(self, name_tokens: list[Token]) -> Credit | None:
        name = " ".join(t.text for t in name_tokens)
        if len(name_tokens) == 1:
            if name_tokens[0].lower.endswith("ing"):
                return None  # "Citing estimates ...": a verb, not a name
            for known in reversed(self._persons):
                if name in known.split():
                    return Credit(known, "person")
            if name_tokens[0].kind == "abbr" or name.isupper():
                return Credit(name, "organisation")
        return Credit(name, "person")


def _is_cap(tok: Token) -> bool:
    if tok.kind == "abbr":
        return tok.text[:1].isupper()
    if tok.kind != "word":
        return False
    return tok.text[:1].isupper() or tok.lower.startswith(("al-", "el-", "bin-", "ibn-", "abu-"))


def _capitalised_run(span: list[Token], j: int) -> tuple[int, int] | None:
    """First run of capitalised tokens at or after j (connectors allowed inside)."""
    k = j
    while k < len(span) and not _is_cap(span[k]):
        if span[k].lower not in ("the", "a", "an") and k - j > 2:
            return None
        k += 1
    if k >= len(span):
        return None
    end = k
    while end < len(span):
        t = span[end]
        if _is_cap(t):
            end += 1
        elif t.lower in _CONNECTORS:
            # "Institute for the Study of War": connectors count only when a capital follows them
            nxt = end
            while nxt < len(span) and span[nxt].lower in _CONNECTORS and nxt - end < 3:
                nxt += 1
            if nxt < len(span) and _is_cap(span[nxt]):
                end = nxt
            else:
                break
        elif t.text == "(" and end + 2 < len(span) and span[end + 2].text == ")":
            end += 3
        else:
            break
    return k, end


def _capitalised_run_ending(tokens: list[Token], j: int) -> tuple[int, int] | None:
    """Run of capitalised tokens ending at token j (inclusive)."""
    end = j + 1
    if j >= 2 and tokens[j].text == ")" and tokens[j - 2].text == "(":
        j -= 3
    if j < 0 or not _is_cap(tokens[j]):
        return None
    k = j
    while k - 1 >= 0:
        t = tokens[k - 1]
        if _is_cap(t):
            k -= 1
        elif t.lower in _CONNECTORS:
            prev = k - 1
            while prev >= 0 and tokens[prev].lower in _CONNECTORS and k - prev < 4:
                prev -= 1
            if prev >= 0 and _is_cap(tokens[prev]):
                k = prev
            else:
                break
        else:
            break
    # a sentence-initial capital is often just "The"/"In": drop leading function words
    while k <= j and tokens[k].lower in ("the", "in", "on", "at", "a", "an", "and", "but", "meanwhile", "however"):
        k += 1
    if k > j:
        return None
    return k, end

"""Who and where: the article context a figure is read in, its subject and its place.

Extraction (``extract.py``) decides what a number counts; this module decides what it is about
(``subject``), where (``location``, ``reference_place``) and who says so (through
``attribution.py``). The interface is plain character offsets (:class:`DraftSpan`), so either side
can change its tokenisation alone.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .attribution import Attributor
from .knowledge import CASUALTY_CATEGORIES, category_words
from .model import Article, Sentence

_CLAUSE_WORDS = {
    "and", "or", "but", "nor", "whereas", "because", "although", "though", "if", "when", "where", "whom", "who",
    "which", "that", "whose", "is", "are", "was", "were", "have", "has", "had", "will", "would", "could", "may",
    "might", "must", "shall", "should", "can", "did", "do", "does", "been", "be", "being", "not", "no", "said",
    "says", "told", "still", "also", "reportedly", "the", "a", "an", "this", "these", "those", "there", "it",
    "they", "he", "she", "we", "i", "you", "its", "their", "his", "her",
}
_PREPOSITIONS = {
    "in", "on", "at", "from", "to", "into", "near", "with", "by", "after", "since", "during", "across", "for",
    "of", "over", "under", "against", "among", "around", "inside", "outside", "behind", "along", "between",
    "through", "throughout", "toward", "towards", "within", "without", "per", "via", "amid", "despite",
    "including", "like", "than", "as", "about", "off", "onto", "upon", "before", "until", "while",
}


@dataclass(frozen=True)
class DraftSpan:
    """What extraction hands over about one figure, in article character offsets."""

    start: int  # the figure's span
    end: int
    category: str
    np_start: int  # the counted noun phrase (meaningful when ``has_np``)
    np_end: int
    has_np: bool
    partitive: bool  # "one of whom", "15 of them"
    head: str  # lower-cased head word of the counted noun phrase


def warm_up() -> None:
    """Load the gazetteer and actor index once (before worker processes fork)."""
    _places()
    _actors()


@lru_cache(maxsize=1)
def _places() -> Any:
    from .gazetteer import default_gazetteer

    return default_gazetteer()


@lru_cache(maxsize=1)
def _actors() -> Any:
    from . import actors

    return actors


def _outlet_lookup(name: str) -> tuple[str, str] | None:
    actor = _actors().outlet_or_org(name)
    if actor is None:
        return None
    kind = "outlet" if actor.kind == "outlet" else "organisation"
    return actor.name, kind


# -- per-article context ---------------------------------------------------------------------


class ArticleContext:
    """Places, actors and credits of one article, found once and looked up by offset."""

    def __init__(self, article: Article, sentences: list[Sentence]) -> None:
        self.article = article
        self.sentences = sentences
        text = article.text
        # One pass, no country hint: small villages then need a cue ("the town of Baaj", "near Baaj"),
        # which keeps a passing mention of a country from opening all of its towns.
        mentions = _places().find_places(text)
        self.actor_mentions = list(_actors().find_actors(text))
        self._actor_starts = [a.start for a in self.actor_mentions]
        # A place inside an actor's name ("Islamic State of Iraq") or an adjective ("Iran-backed") is not
        # where something happened. Actor mentions do not overlap and come in order, so the only one that
        # can hold a place is the last one starting at or before it (linear in the article, not places x actors).
        self.places = [
            m for m in mentions
            if not self._inside_actor(m.start, m.end) and not text.startswith("-", m.end)
        ]
        self._place_starts = [m.start for m in self.places]
        self.main_place = self._main_place()
        self._attributor: Attributor | None = None

    def _inside_actor(self, start: int, end: int) -> bool:
        k = bisect.bisect_right(self._actor_starts, start) - 1
        return k >= 0 and end <= self.actor_mentions[k].end

    @property
    def attributor(self) -> Attributor:
        if self._attributor is None:
            self._attributor = Attributor(self.article.text, self.sentences, _outlet_lookup)
        return self._attributor

    def _main_place(self) -> str:
        counts: dict[str, float] = {}
        title = self.article.title
        title_end = self.sentences[0].end if self.sentences else 0
        for m in self.places:
            weight = 3.0 if m.start < title_end or (title and m.surface in title) else 1.0
            counts[m.place.name] = counts.get(m.place.name, 0.0) + weight
        if not counts:
            return ""
        return max(counts.items(), key=lambda kv: kv[1])[0]

    def places_between(self, start: int, end: int) -> list[Any]:
        a = bisect.bisect_left(self._place_starts, start)
        b = bisect.bisect_left(self._place_starts, end)
        return self.places[a:b]

    def actors_between(self, start: int, end: int) -> list[Any]:
        a = bisect.bisect_left(self._actor_starts, start)
        b = bisect.bisect_left(self._actor_starts, end)
        return [m for m in self.actor_mentions[a:b] if m.end <= end]



def subject_of(ctx: ArticleContext, sentence: Sentence, d: DraftSpan) -> str:
    """The normalised actor a figure is about (its counted noun phrase, else the clause around it)."""
    words = category_words()
    if d.has_np and not d.partitive:
        inside = ctx.actors_between(d.np_start, d.np_end)
        specific = [a for a in inside if not a.generic]
        chosen = (specific or inside)[-1:] if inside else []
        if chosen:
            return chosen[0].actor.name
        if d.head in words.civilian_heads:
            return "civilians"
    if d.category == "distance":
        return ""
    before = [a for a in ctx.actors_between(sentence.start, d.start) if a.actor.kind not in ("outlet", "organisation")]
    if d.partitive:
        # "Iranian military advisers, one of whom died": the noun phrase right before
        if before and d.start - before[-1].end <= 4:
            return before[-1].actor.name
        head = sentence.text[:d.start - sentence.start].rstrip(" ,").split()
        phrase = []
        for w in reversed(head[-4:]):
            if w.lower() in _CLAUSE_WORDS or w.lower() in _PREPOSITIONS:
                break
            phrase.insert(0, w)
        return " ".join(phrase)
    if d.category in CASUALTY_CATEGORIES or d.category == "other" and d.has_np:
        return ""
    if before:
        specific = [a for a in before if not a.generic]
        return (specific or before)[-1].actor.name
    after = ctx.actors_between(d.end, sentence.end)
    following = [a for a in after if a.actor.kind not in ("outlet", "organisation") and a.start - d.end < 40]
    return following[0].actor.name if following else ""


def location_of(ctx: ArticleContext, d: DraftSpan, index: int, next_start: int) -> tuple[str, str]:
    """(location, reference_place) for a figure in sentence number ``index``."""
    sentence = ctx.sentences[index]
    if d.category == "distance":
        after = ctx.places_between(d.end, sentence.end)
        reference = after[0].place.name if after and after[0].start - d.end < 40 else ""
        before = [p for p in ctx.places_between(sentence.start, d.start) if p.place.name != reference]
        location = before[0].place.name if before else ctx.main_place
        return location, reference
    # "fighters from Iraq, Afghanistan and Pakistan": where people come from is not where the figure is
    text = ctx.article.text
    after = []
    origin_end = -1  # end of the last place read as an origin; a list continues it ("from Iraq, Syria and Iran")
    for p in ctx.places_between(d.end, min(next_start, sentence.end)):
        before = text[max(0, p.start - 12):p.start]
        if re.search(r"\bfrom\s+(?:the\s+)?$", before) or (
                origin_end >= 0 and re.fullmatch(r"\s*(?:,|and|,\s*and)\s*", text[origin_end:p.start])):
            origin_end = p.end
            continue
        after.append(p)
    if after and after[0].start - d.end < 80:
        return after[0].place.name, ""
    before = ctx.places_between(sentence.start, d.start)
    if before:
        return before[-1].place.name, ""
    # earlier in the paragraph
    k = index - 1
    while k >= 0 and ctx.sentences[k].paragraph == sentence.paragraph:
        earlier = ctx.places_between(ctx.sentences[k].start, ctx.sentences[k].end)
        if earlier:
            return earlier[-1].place.name, ""
        k -= 1
    return ctx.main_place, ""

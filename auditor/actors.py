"""Actors: the armed groups, forces, civilians, organisations and outlets named in text.

The table is ``auditor/data/actors.yaml`` (canonical names, aliases, kinds, and which actor is
part of which). :func:`find_actors` scans a sentence once, left to right, taking the longest
alias at each word; the index is built once per process (:func:`default_actors`).

Case follows the alias as written in the table: capitals (``ISIS``, ``AP``, ``U.N.``) match
only in capitals, a capitalised word only capitalised, a lower-case word any way. "IS" is
taken only next to a word that makes it the group ("IS fighters", "against IS"), never in
"THIS IS WHY" or as an English word. Generic words ("militants", "jihadists") are found too
but flagged ``generic``: they name an actor only when nothing more specific is at hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress
from typing import Any


from ._names import Tokens, group_by_first, name_key, name_words, tokenize
from .knowledge import load_table

__all__ = ["Actor", "ActorMention", "ActorIndex", "default_actors", "find_actors", "normalise_actor",
           "same_actor", "outlet_or_org", "is_outlet"]

KINDS: tuple[str, ...] = ("armed_group", "state_force", "coalition", "civilians", "organisation", "outlet")
_ATTRIBUTION_KINDS = frozenset({"organisation", "outlet"})
# How a word of an alias must be written in text: any case, capitalised, or all capitals.
_ANY, _CAPITALISED, _CAPITALS = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Actor:
    """A canonical actor: ``name`` as outputs show it and its ``kind`` (one of :data:`KINDS`)."""

    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class ActorMention:
    """An actor named in text: ``text[start:end] == surface`` (offsets include the caller's offset).

    ``generic`` marks a generic word ("militants") rather than a name.
    """

    start: int
    end: int
    surface: str
    actor: Actor
    generic: bool


# A frozen dataclass's __init__ sets each field through object.__setattr__; the scan builds one mention per alias
# found, so it fills the slots directly (half the time, the same object).
_new = object.__new__
_set_start, _set_end, _set_surface, _set_actor, _set_generic = (
    ActorMention.__dict__[name].__set__ for name in ("start", "end", "surface", "actor", "generic"))


def _actor_mention(start: int, end: int, surface: str, actor: Actor, generic: bool) -> ActorMention:
    """``ActorMention(start, end, surface, actor, generic)``, built faster."""
    mention = _new(ActorMention)
    _set_start(mention, start), _set_end(mention, end), _set_surface(mention, surface)
    _set_actor(mention, actor), _set_generic(mention, generic)
    return mention


def mention_of(text: str, found: AliasSpan, offset: int = 0) -> ActorMention:
    """The mention of an :meth:`ActorIndex.alias_spans` entry of ``text`` (offsets + ``offset``)."""
    start, end, alias = found
    return _actor_mention(offset + start, offset + end, text[start:end], alias.actor, alias.generic)


# A node of an alias tree: the nodes under it by the next word's key, and the aliases that end at it.
_Node = tuple[dict[str, "_Node"], list["_Alias"]]


@dataclass(frozen=True, slots=True)
class _Alias:
    rest: tuple[str, ...]  # keys after the first
    actor: Actor
    generic: bool
    case: tuple[int, ...] | None  # per word, None when every word matches in any case
    needs_next: frozenset[str] | None  # context words, for ambiguous aliases ("IS")
    needs_previous: frozenset[str] | None
    plain: bool = field(init=False)  # any case, any context: no need to ask :func:`_fits`

    def __post_init__(self) -> None:
        object.__setattr__(self, "plain", self.case is None and self.needs_next is None
                           and self.needs_previous is None)


# An alias found in a text: (start, end, the alias), offsets in the text scanned.
AliasSpan = tuple[int, int, _Alias]


class ActorIndex:
    """Actor lookups over the aliases of an actors table (the parsed actors.yaml)."""

    def __init__(self, table: dict[str, Any]) -> None:
        self._actors: dict[str, Actor] = {}
        self._broader: dict[str, frozenset[str]] = {}
        aliases: dict[tuple[str, ...], list[_Alias]] = {}
        variants: dict[tuple[str, ...], list[_Alias]] = {}
        declared: dict[tuple[str, ...], tuple[str, str]] = {}  # key -> (actor, alias) for error messages
        for entry in table.get("actors") or []:
            actor = self._actor(entry)
            spellings = [(str(a), False) for a in entry.get("aliases") or []]
            spellings += [(str(a), True) for a in entry.get("generic") or []]
            spellings.append((actor.name, False))
            for spelling, generic in spellings:
                for key, alias, is_variant in _alias_forms(spelling, actor, generic):
                    if not is_variant:
                        owner = declared.setdefault(key, (actor.name, spelling))
                        if owner[0] != actor.name:
                            raise ValueError(f"actors.yaml: {spelling!r} of {actor.name!r} is also an alias of "
                                             f"{owner[0]!r} ({owner[1]!r})")
                    (variants if is_variant else aliases).setdefault(key, []).append(alias)
            for spelling, context in (entry.get("context") or {}).items():
                key = name_key(str(spelling))
                aliases.setdefault(key, []).append(_Alias(
                    key[1:], actor, False, _case_pattern(name_words(str(spelling))),
                    frozenset(str(w).lower() for w in context.get("next") or []) or None,
                    frozenset(str(w).lower() for w in context.get("previous") or []) or None))
        for key, forms in variants.items():
            if key not in declared:  # a declared alias beats another actor's plural or singular
                aliases.setdefault(key, []).extend(forms)
        # Per first word, its aliases as a tree of the words after it: a scan walks the text's words down the
        # tree as far as they go (and stay joined) and tries the aliases that end there, longest first
        # ("Islamic State" starts seven aliases: the words after it rule out the others in one step).
        self._trees: dict[str, _Node] = {}
        for first, entries in group_by_first(
                (key, alias) for key, forms in aliases.items() for alias in forms).items():
            root: _Node = ({}, [])
            for _rest, alias in entries:  # longest first: each node keeps that order
                node = root
                for word in alias.rest:
                    node = node[0].setdefault(word, ({}, []))
                node[1].append(alias)
            self._trees[first] = root
        self._exact: dict[tuple[str, ...], _Alias] = {}
        for key, forms in aliases.items():
            self._exact[key] = min(forms, key=lambda a: (a.generic, a.needs_next is not None))
        self._close_broader(table)

    def _actor(self, entry: dict[str, Any]) -> Actor:
        name, kind = str(entry["name"]), str(entry.get("kind") or "")
        if kind not in KINDS:
            raise ValueError(f"actors.yaml: {name!r} has kind {kind!r}; use one of {', '.join(KINDS)}")
        if name in self._actors:
            raise ValueError(f"actors.yaml: {name!r} is listed twice")
        actor = Actor(name, kind)
        self._actors[name] = actor
        return actor

    def _close_broader(self, table: dict[str, Any]) -> None:
        """Every actor's broader actors, transitively ("Asaib" -> "Hashd" -> "Shiite militias")."""
        direct = {str(e["name"]): [str(b) for b in e.get("broader") or []] for e in table.get("actors") or []}
        for name, broader in direct.items():
            for b in broader:
                if b not in self._actors:
                    raise ValueError(f"actors.yaml: {name!r} is part of {b!r}, which is not listed")
        for name in direct:
            seen: set[str] = set()
            todo = list(direct[name])
            while todo:
                b = todo.pop()
                if b not in seen and b != name:
                    seen.add(b)
                    todo.extend(direct.get(b, ()))
            self._broader[name] = frozenset(seen)

    # -- public ---------------------------------------------------------------------------------

    def find_actors(self, text: str, offset: int = 0, tokens: Tokens | None = None) -> list[ActorMention]:
        """Actors named in ``text``, left to right, longest alias first (offsets + ``offset``);
        ``tokens`` is ``_names.tokenize(text)`` when the caller has it already."""
        return [_actor_mention(offset + start, offset + end, text[start:end], alias.actor, alias.generic)
                for start, end, alias in self.alias_spans(text, tokens)]

    def alias_spans(self, text: str, tokens: Tokens | None = None) -> list[AliasSpan]:
        """What :meth:`find_actors` finds, as ``(start, end, alias)`` (see :func:`mention_of`): for a caller that
        looks at few of them (an article's context asks about the actors of its figures' sentences only)."""
        tokens = tokens if tokens is not None else tokenize(text)
        keys, starts, ends, glued = tokens.keys, tokens.starts, tokens.ends, tokens.glued
        trees = self._trees
        found: list[AliasSpan] = []
        n = len(keys)
        resume = 0  # the token after the last actor found
        for i in list(compress(range(n), map(trees.__contains__, keys))):  # the words that start an alias
            if i < resume:
                continue
            node = trees[keys[i]]
            k = i + 1
            if not node[1] and (k == n or not glued[k] or keys[k] not in node[0]):
                continue  # no alias is this word alone, and none goes on with the next ("the", "Islamic")
            ending = [node[1]]  # ending[d]: the aliases of d words after the first that the text spells here
            while k < n and glued[k]:
                node = node[0].get(keys[k])
                if node is None:
                    break
                ending.append(node[1])
                k += 1
            for aliases in reversed(ending):
                for alias in aliases:
                    j = i + len(alias.rest)
                    if alias.plain or _fits(alias, tokens, i, j):
                        end = ends[j]
                        if end < len(text) and text[end] == "." and len(tokens.words[j]) == 1 and j > i:
                            end += 1  # the closing dot of "U.S." / "U.N." belongs to the name
                        found.append((starts[i], end, alias))
                        resume = j + 1
                        break
                if resume > i:
                    break
        return found

    def actor(self, name: str) -> Actor | None:
        """The actor a name stands for: an alias of it ("Daesh" -> ISIS), or the one actor named
        inside a longer phrase ("Hashd al-Shaabi members"). None for unknown names and generic words."""
        alias = self._exact.get(name_key(name.strip()))
        if alias is not None:
            return None if alias.generic else alias.actor
        named = {m.actor for m in self.find_actors(name) if not m.generic}
        return named.pop() if len(named) == 1 else None

    def exact(self, name: str) -> Actor | None:
        """The actor ``name`` is an alias of (no search inside longer phrases); None for generic words."""
        alias = self._exact.get(name_key(name.strip()))
        return None if alias is None or alias.generic else alias.actor

    def normalise_actor(self, name: str) -> str:
        """Canonical name for ``name``; an unknown name or a generic word comes back stripped."""
        actor = self.actor(name)
        return actor.name if actor is not None else name.strip()

    def same_actor(self, a: str, b: str) -> bool:
        """Whether ``a`` and ``b`` can be the same actor: aliases of one actor, or one part of the other."""
        name_a, name_b = self.normalise_actor(a), self.normalise_actor(b)
        if name_key(name_a) == name_key(name_b):
            return bool(name_a)
        return name_b in self._broader.get(name_a, ()) or name_a in self._broader.get(name_b, ())

    def outlet_or_org(self, name: str) -> Actor | None:
        """The news outlet or organisation ``name`` stands for ("the Associated Press" -> AP), or None."""
        actor = self.actor(name)
        return actor if actor is not None and actor.kind in _ATTRIBUTION_KINDS else None

    def is_outlet(self, name: str) -> bool:
        """Whether ``name`` is a news outlet."""
        actor = self.actor(name)
        return actor is not None and actor.kind == "outlet"


def _case_pattern(words: list[str]) -> tuple[int, ...] | None:
    pattern = tuple(_CAPITALS if w.isupper() else _CAPITALISED if w[0].isupper() else _ANY for w in words)
    return pattern if any(pattern) else None


def _fits(alias: _Alias, tokens: Tokens, i: int, j: int) -> bool:
    """Whether the text's case and context let tokens ``i..j`` be this alias."""
    if alias.case is not None:
        words = tokens.words
        for k, need in enumerate(alias.case):
            word = words[i + k]
            if need == _CAPITALS and not word.isupper() or need == _CAPITALISED and not word[0].isupper():
                return False
    if alias.needs_next is None and alias.needs_previous is None:
        return True
    keys = tokens.keys
    if alias.needs_next and j + 1 < len(keys) and keys[j + 1] in alias.needs_next and tokens.joined(j + 1):
        return True
    return bool(alias.needs_previous and i > 0 and keys[i - 1] in alias.needs_previous
                and not tokens.words[i - 1].isupper() and tokens.joined(i))


def _inflections(word: str) -> list[str]:
    """Singular and plural of an English noun, roughly ("militia" <-> "militias", "militiaman" <-> "militiamen")."""
    if word.endswith("men"):
        return [word[:-3] + "man"]
    if word.endswith("man"):
        return [word[:-3] + "men"]
    if word.endswith("ies") and len(word) > 4:
        return [word[:-3] + "y"]
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        return [word[:-1] + "ies"]
    if word.endswith("s") and not word.endswith("ss"):
        return [word[:-1]]
    return [word + "s"]


def _alias_forms(spelling: str, actor: Actor, generic: bool) -> Iterable[tuple[tuple[str, ...], _Alias, bool]]:
    """``(key, alias, is_variant)`` for a spelling, its undotted acronym and its other number."""
    words = name_words(spelling)
    if not words:
        return
    forms = [(words, False)]
    joined: list[str] = []
    in_acronym = False
    for w in words:  # "U.S. forces" -> also "US forces"
        letter = len(w) == 1 and w.isupper()
        if letter and in_acronym:
            joined[-1] += w
        else:
            joined.append(w)
        in_acronym = letter
    if joined != words:
        forms.append((joined, True))
    for form, is_variant in list(forms):
        last = form[-1]
        if last.islower() and last.isalpha() and len(last) > 2:
            for other in _inflections(last):
                forms.append(([*form[:-1], other], True))
    for form, is_variant in forms:
        key = tuple(name_key(" ".join(form)))
        yield key, _Alias(key[1:], actor, generic, _case_pattern(form), None, None), is_variant


# -- the shared index -------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def default_actors() -> ActorIndex:
    """The index of ``auditor/data/actors.yaml``, built once per process."""
    return ActorIndex(load_table("actors.yaml"))


def find_actors(text: str, offset: int = 0) -> list[ActorMention]:
    """Actors named in ``text`` (see :meth:`ActorIndex.find_actors`)."""
    return default_actors().find_actors(text, offset)


def normalise_actor(name: str) -> str:
    """Canonical name of an actor ("Daesh" -> "ISIS"); unknown names come back stripped."""
    return default_actors().normalise_actor(name)


def same_actor(a: str, b: str) -> bool:
    """Whether two names can be the same actor (aliases, or one part of the other)."""
    return default_actors().same_actor(a, b)


def outlet_or_org(name: str) -> Actor | None:
    """The outlet or organisation credited as ``name`` ("Associated Press" -> AP), or None."""
    return default_actors().outlet_or_org(name)


def is_outlet(name: str) -> bool:
    """Whether ``name`` is a news outlet."""
    return default_actors().is_outlet(name)

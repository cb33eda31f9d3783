"""Figures from article text: what is counted, how much, about whom, where, and who says so.

    text -> sentences -> tokens -> number mentions -> figures

Every figure keeps the exact character span of its number in the article text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ._units import UnitReading, currency_before, unit_after, unit_in_compound
from . import provenance
from .knowledge import CASUALTY_CATEGORIES, category_words, vague_amounts
from .model import Article, Figure, Sentence, figure_id
from .provenance import ArticleContext, DraftSpan
from .numbers import NumberMention, Token, find_numbers, tokenize
from .sentences import split_sentences

# Words that may stand between a counted noun phrase and what happened to it
# ("15 members HAVE BEEN killed", "a Marine THERE WAS killed").
_FILLERS = {
    "have", "has", "had", "been", "were", "was", "are", "is", "be", "being", "reportedly", "also", "all", "both",
    "each", "there", "then", "later", "subsequently", "eventually", "allegedly", "apparently", "now", "already",
    "just", "so", "far", "got", "believed", "feared", "thought", "presumed", "to", "more", "others", "other",
    "initially", "officially", "reported", "confirmed", "said", "in", "total", "altogether", "since", "further",
}
_PREPOSITIONS = {
    "in", "on", "at", "from", "to", "into", "near", "with", "by", "after", "since", "during", "across", "for",
    "of", "over", "under", "against", "among", "around", "inside", "outside", "behind", "along", "between",
    "through", "throughout", "toward", "towards", "within", "without", "per", "via", "amid", "despite",
    "including", "like", "than", "as", "about", "off", "onto", "upon", "before", "until", "while",
}
_CLAUSE_WORDS = {
    "and", "or", "but", "nor", "whereas", "because", "although", "though", "if", "when", "where", "whom", "who",
    "which", "that", "whose", "is", "are", "was", "were", "have", "has", "had", "will", "would", "could", "may",
    "might", "must", "shall", "should", "can", "did", "do", "does", "been", "be", "being", "not", "no", "said",
    "says", "told", "still", "also", "reportedly", "the", "a", "an", "this", "these", "those", "there", "it",
    "they", "he", "she", "we", "i", "you", "its", "their", "his", "her",
}
_DETERMINERS = {"the", "its", "their", "his", "her", "our", "these", "those", "both", "all", "this", "that"}
_OBJECT_FILLERS = {
    "at", "to", "of", "least", "some", "an", "estimated", "the", "a", "total", "rose", "reached", "climbed",
    "stood", "stands", "has", "had", "have", "risen", "now", "was", "is", "were", "are", "more", "than",
    "nearly", "over", "up", "around", "about", "approximately", "only", "another", "further", "additional", "as",
    "many", "number", "almost", "roughly", "and", "leaving", "left", "least", "jumped", "increased", "hit",
}
_TIME_PREPOSITIONS = {"for", "within", "after", "than", "lasting", "over", "spanning", "in"}
_DIRECTIONS = {
    "north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest", "north-east",
    "north-west", "south-east", "south-west", "northern", "southern", "from", "of", "outside", "away",
}
_PARTITIVE = {"whom", "them", "those", "which", "these", "us"}
_HOUSEHOLD_HEADS = {"families", "family", "households", "household"}
# Time words end a counted noun phrase ("20 airstrikes overnight").
_TIME_WORDS = {
    "overnight", "yesterday", "today", "tonight", "tomorrow", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "last", "earlier", "later", "recently", "daily", "weekly", "annually",
    "ago", "now", "since", "so",
}


@dataclass
class _Draft:
    """A figure being assembled from a number mention."""

    mention: NumberMention
    start: int
    end: int
    category: str
    value: float | None
    low: float | None
    high: float | None
    qualifier: str
    unit: str
    reported_value: float | None
    reported_unit: str
    counted: str
    np_first: int  # token index range of the counted noun phrase (np_first > np_last: none)
    np_last: int
    evidence: str  # what set the category: unit | predicate | object | head | none
    partitive: bool
    last_token: int  # last token read for this figure (unit / noun phrase / predicate)
    subject: str = ""


# -- shared per-process resources ----------------------------------------------------------


@lru_cache(maxsize=1)
def _prefilter() -> re.Pattern[str]:
    """Cheap test for a sentence that may hold a figure at all."""
    words = set(category_words().predicates) | set(category_words().objects_of)
    casualty = {w for p in words for w in p if len(w) > 3}
    vague = {w for p in vague_amounts() for w in p if w not in ("a", "of")}
    numbers = (
        "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand "
        "million billion trillion half third thirds quarter quarters dozen "
        # "nearly a year", "about a mile": an article counts with a qualified unit
        "year years month months week weeks day days hour hours decade mile miles kilometre kilometer"
    ).split()
    alternation = "|".join(sorted({re.escape(w) for w in (*casualty, *vague, *numbers)}, key=len, reverse=True))
    return re.compile(rf"\d|\b(?:{alternation})", re.IGNORECASE)


def warm_up() -> None:
    """Load every table and index once (before worker processes fork)."""
    from ._units import _lookup

    _prefilter()
    _lookup()
    provenance.warm_up()


# -- reading one sentence ----------------------------------------------------------------


def _match(tokens: list[Token], j: int, table: dict[tuple[str, ...], str]) -> tuple[str, int] | None:
    """Longest phrase of ``table`` starting at token j: (category, length)."""
    for length in (4, 3, 2, 1):
        if j + length > len(tokens):
            continue
        key = tuple(tokens[k].lower for k in range(j, j + length))
        if key in table:
            return table[key], length
    return None


def _match_ending(tokens: list[Token], j: int, table: dict[tuple[str, ...], str]) -> str | None:
    for length in (3, 2, 1):
        k = j - length + 1
        if k < 0:
            continue
        key = tuple(tokens[x].lower for x in range(k, j + 1))
        if key in table:
            return table[key]
    return None


def _read_noun_phrase(tokens: list[Token], j: int) -> tuple[int, int, bool, int]:
    """Counted noun phrase starting at token j: (first, last, partitive, next token).

    Skips closing quotes, a partitive "of (the)", and bracketed insertions ("[Shiite militia]").
    """
    words = category_words()
    n = len(tokens)
    while j < n and tokens[j].text in "”\"’'":
        j += 1
    partitive = False
    if j < n and tokens[j].lower == "of":
        if j + 1 < n and tokens[j + 1].lower in _PARTITIVE:
            return j + 2, j + 1, True, j + 2
        j += 1
        while j < n and tokens[j].lower in _DETERMINERS:
            j += 1
    first = j
    last = j - 1
    count = 0
    of_used = False
    while j < n and count < 8:
        tok = tokens[j]
        if tok.text in "[(":
            close = "]" if tok.text == "[" else ")"
            k = j + 1
            while k < n and tokens[k].text != close and k - j < 8:
                k += 1
            if k < n and tokens[k].text == close:
                j = k + 1
                continue
            break
        if tok.kind not in ("word", "abbr"):
            if tok.text in ("'", "’") and j + 1 < n and tokens[j + 1].lower == "s":
                j += 2
                continue
            break
        if tok.lower == "of" and count > 0 and not of_used:
            # "members of the Popular Mobilisation Forces": the group named after "of" is part of the phrase
            k = j + 1
            while k < n and tokens[k].lower in _DETERMINERS:
                k += 1
            if k < n and (tokens[k].kind == "abbr" or tokens[k].text[:1].isupper() or tokens[k].lower in words.people):
                of_used = True
                j = k
                continue
        if tok.lower in _PREPOSITIONS or tok.lower in _CLAUSE_WORDS or tok.lower in _TIME_WORDS:
            break
        if _match(tokens, j, words.predicates) is not None:
            break  # "90 wounded": what happened, not what is counted
        last = j
        j += 1
        count += 1
    return first, last, partitive, max(j, last + 1)


def _predicate_after(tokens: list[Token], j: int) -> tuple[str, int] | None:
    """What happened to the counted things, read after their noun phrase: (category, last token)."""
    words = category_words()
    steps = 0
    while j < len(tokens) and steps < 6:
        found = _match(tokens, j, words.predicates)
        if found is not None:
            return found[0], j + found[1] - 1
        if tokens[j].lower in _FILLERS or tokens[j].text in "”\"’":
            j += 1
            steps += 1
            continue
        break
    return None


def _object_of_before(tokens: list[Token], j: int) -> str | None:
    """A verb or noun that takes the number as its object ("killing 15", "death toll rose to 45")."""
    words = category_words()
    steps = 0
    while j >= 0 and steps < 5:
        found = _match_ending(tokens, j, words.objects_of)
        if found is not None:
            return found
        if tokens[j].lower in _OBJECT_FILLERS or tokens[j].text in "“\"‘":
            j -= 1
            steps += 1
            continue
        break
    return None


def _number_of_clause(tokens: list[Token], start: int) -> tuple[str, int, int] | None:
    """'The number of soldiers killed ... rose to 12': (category, noun phrase first, last) named before."""
    words = category_words()
    for k in range(start - 1, max(-1, start - 25), -1):
        if tokens[k].lower == "number" and k + 1 < len(tokens) and tokens[k + 1].lower == "of":
            first, last, _partitive, after = _read_noun_phrase(tokens, k + 2)
            found = _match(tokens, after, words.predicates)
            if found is not None and last >= first:
                return found[0], first, last
            return None
    return None


def _head_category(tokens: list[Token], first: int, last: int) -> tuple[str | None, str, int]:
    """Category named by the counted noun itself, the head word, and the noun phrase's last token.

    The rightmost word of the phrase that names a category is its head ("20 airstrikes
    overnight" counts airstrikes); without one, the last word is.
    """
    if last < first:
        return None, "", last
    words = category_words()
    for end in range(last, first - 1, -1):
        for length in (2, 1):
            k = end - length + 1
            if k < first:
                continue
            key = tuple(tokens[x].lower for x in range(k, end + 1))
            if key in words.heads:
                # "members of the Popular Mobilisation Forces": the group after "of" stays in the phrase
                keep = last if end + 1 <= last and tokens[end + 1].lower == "of" else end
                return words.heads[key], tokens[end].lower, keep
    return None, tokens[last].lower, last


def _span_text(text: str, offset: int, tokens: list[Token], first: int, last: int) -> str:
    """The noun phrase as written, without bracketed insertions."""
    if last < first:
        return ""
    raw = text[tokens[first].start - offset:tokens[last].end - offset]
    return re.sub(r"\s*\[[^\]]*\]\s*", " ", raw).strip(" “”\"'’")


def _territory_context(tokens: list[Token], m: NumberMention, next_token: int) -> bool:
    words = category_words()
    window = [t.lower for t in tokens[max(0, m.start_token - 6):m.start_token]]
    window += [t.lower for t in tokens[next_token:next_token + 4]]
    return any(w in words.territory_words for w in window)


def _draft(tokens: list[Token], text: str, offset: int, m: NumberMention) -> _Draft | None:
    """Read unit, counted noun and category around one number; None when it is no figure."""
    words = category_words()
    unit: UnitReading | None = None
    last = m.last
    start = m.start
    if m.compound_unit:
        unit = unit_in_compound(m.compound_unit)
        if unit is None:
            return None  # "a 20-member delegation": an adjective, not a count
    else:
        found = unit_after(tokens, m.last + 1)
        if found is not None:
            unit, last = found
        if m.kind == "digit":
            before = currency_before(tokens, m.first)
            if before is not None:
                unit = before[0]
                start = min(start, tokens[before[1]].start)
    np_first, np_last, partitive, after_np = _read_noun_phrase(tokens, last + 1)
    head_cat, head, np_last = _head_category(tokens, np_first, np_last)
    if unit is not None and unit.category in ("distance", "duration", "money"):
        np_first, np_last, after_np = last + 1, last, last + 1
        category, evidence = unit.category, "unit"
    elif (unit is not None and unit.category == "fraction") or m.kind == "fraction":
        category = "territory" if _territory_context(tokens, m, last + 1) else "other"
        evidence = "unit"
    elif unit is not None:
        category, evidence = "other", "unit"
    else:
        predicate = _predicate_after(tokens, after_np)
        obj = _object_of_before(tokens, m.start_token - 1)
        thing = head in words.not_people
        if predicate and predicate[0] in CASUALTY_CATEGORIES and not thing:
            category, evidence = predicate[0], "predicate"
            last = max(last, predicate[1]) if np_last < np_first else last
        elif obj and obj in CASUALTY_CATEGORIES and not thing:
            category, evidence = obj, "object"
        elif head_cat:
            category, evidence = head_cat, "head"
        elif obj and np_last < np_first:
            category, evidence = obj, "object"
        else:
            category, evidence = "other", "none"
            told = _number_of_clause(tokens, m.start_token) if np_last < np_first else None
            if told is not None:
                # "The number of soldiers killed ... rose to 12 from seven"
                category, evidence, np_first, np_last = told[0], "predicate", told[1], told[2]
    # Which readings of "a"/"one"/vague words count at all
    qualified = m.qualifier != "exact"
    prev = tokens[m.start_token - 1].lower if m.start_token > 0 else ""
    if m.kind in ("article", "one"):
        if evidence == "unit":
            timed = unit is not None and unit.category in ("duration", "distance")
            if timed and not (qualified or prev in _TIME_PREPOSITIONS) and m.kind == "article":
                return None
            if timed and m.kind == "one" and not (qualified or prev in _TIME_PREPOSITIONS):
                return None
        elif category in CASUALTY_CATEGORIES and (partitive or head in words.people or (np_last >= np_first and any(
                t.text[:1].isupper() for t in tokens[np_first:np_last + 1]) and head in words.people)):
            pass
        else:
            return None
    if m.kind == "vague":
        if m.vague_phrase == "few" and not (unit is not None and unit.category == "duration"):
            return None
        if m.vague_phrase == "scores" and (last + 1 >= len(tokens) or tokens[last + 1].lower != "of"):
            return None
        if evidence == "none" and np_last < np_first:
            return None
    if m.kind in ("word",) and prev in _DETERMINERS and category == "other":
        return None  # "the two countries": a reference, not a reported amount
    factor = unit.factor if unit else 1.0
    canonical = unit.canonical if unit else ("household" if head in _HOUSEHOLD_HEADS else "count")
    if category == "territory" and unit is None:
        canonical = "fraction"
    if unit is not None and evidence == "unit":
        end = tokens[last].end
    elif partitive or (m.kind in ("article", "one") and np_last >= np_first):
        end = tokens[np_last].end  # "one of whom", "a U.S. Marine": the count needs its noun
    else:
        end = m.end

    def scaled(x: float | None) -> float | None:
        return None if x is None else x * factor

    return _Draft(
        mention=m, start=start, end=max(end, m.end), category=category,
        value=scaled(m.value), low=scaled(m.low), high=scaled(m.high), qualifier=m.qualifier,
        unit=canonical, reported_value=m.reported, reported_unit=unit.name if unit else "",
        counted=_span_text(text, offset, tokens, np_first, np_last) if not partitive else "",
        np_first=np_first, np_last=np_last, evidence=evidence, partitive=partitive,
        last_token=max(last, np_last),
    )


def _inherit_lists(tokens: list[Token], drafts: list[_Draft]) -> None:
    """Figures listed together share a noun, a subject and an estimate.

    "fifteen members have been killed, 90 wounded and another 20 missing";
    "20 airstrikes in Iraq and four in Syria".
    """
    for prev, cur in zip(drafts, drafts[1:]):
        gap = [t.lower for t in tokens[prev.last_token + 1:cur.mention.start_token]]
        listed = len(gap) <= 8 and ("and" in gap or "," in gap or "while" in gap)
        if not listed or cur.np_last >= cur.np_first or cur.evidence == "unit":
            continue
        if cur.evidence == "none" and prev.evidence in ("head", "predicate", "object"):
            cur.category = prev.category
            cur.evidence = "list"
        if cur.category != prev.category and cur.category not in CASUALTY_CATEGORIES:
            continue
        cur.counted = cur.counted or prev.counted
        cur.subject = cur.subject or prev.subject
        if prev.qualifier == "approximate" and cur.qualifier == "exact":
            cur.qualifier = "approximate"


def _handover(tokens: list[Token], d: _Draft) -> DraftSpan:
    """The figure as character offsets, for the subject and place readers."""
    has_np = d.np_last >= d.np_first
    return DraftSpan(
        start=d.start, end=d.end, category=d.category,
        np_start=tokens[d.np_first].start if has_np else d.end,
        np_end=tokens[d.np_last].end if has_np else d.end,
        has_np=has_np, partitive=d.partitive, head=tokens[d.np_last].lower if has_np else "",
    )


def _sentence_figures(ctx: ArticleContext, occurrence: int, index: int, sentence: Sentence) -> list[Figure]:
    article = ctx.article
    tokens = tokenize(sentence.text, sentence.start)
    mentions = find_numbers(tokens, sentence.text, sentence.start)
    if not mentions:
        return []
    drafts: list[_Draft] = []
    kept: dict[int, _Draft] = {}
    for k, m in enumerate(mentions):
        d = _draft(tokens, sentence.text, sentence.start, m)
        if d is None:
            continue
        # "150 kilometres (95 miles)": a conversion in parentheses is the same claim
        if drafts and d.evidence == "unit" and drafts[-1].evidence == "unit" and drafts[-1].unit == d.unit \
                and "(" in article.text[drafts[-1].end:d.start] and d.start - drafts[-1].end <= 3:
            continue
        drafts.append(d)
        kept[k] = d
    for d in drafts:
        d.subject = provenance.subject_of(ctx, sentence, _handover(tokens, d))
    _inherit_lists(tokens, drafts)
    figures: list[Figure] = []
    ids: dict[int, str] = {}
    for k, d in kept.items():
        ids[k] = figure_id(
            article.article_id, sentence.text, d.start - sentence.start, d.end - sentence.start, occurrence)
    for n, (k, d) in enumerate(kept.items()):
        next_start = drafts[n + 1].start if n + 1 < len(drafts) else sentence.end
        location, reference = provenance.location_of(ctx, _handover(tokens, d), index, next_start)
        credit = ctx.attributor.credit(index, d.start)
        old = d.mention.update_of
        figures.append(Figure(
            figure_id=ids[k], article_id=article.article_id, path=article.path, start=d.start, end=d.end,
            surface=article.text[d.start:d.end], sentence=sentence.text, category=d.category,
            value=d.value, low=d.low, high=d.high, qualifier=d.qualifier, unit=d.unit,
            reported_value=d.reported_value, reported_unit=d.reported_unit, counted=d.counted,
            subject=d.subject, location=location, source=credit.source, source_type=credit.source_type,
            published=article.published, outlet=article.outlet, group_id="", reference_place=reference,
            sentence_start=sentence.start, sentence_end=sentence.end,
            supersedes=ids.get(old, "") if old is not None else "",
        ))
    return figures


def extract_figures(article: Article | str) -> list[Figure]:
    """Every figure in an article (or a bare text), in reading order.

    Parameters
    ----------
    article
        An :class:`~auditor.model.Article`, or plain text (then ``article_id`` is ``"text"``).

    Returns
    -------
    list[Figure]
        Figures whose ``start``/``end`` index ``article.text``.
    """
    if isinstance(article, str):
        article = Article(article_id="text", path="", text=article)
    sentences = split_sentences(article.text)
    prefilter = _prefilter()
    candidates = [
        (i, s) for i, s in enumerate(sentences) if not s.boilerplate and prefilter.search(s.text)
    ]
    if not candidates:
        return []
    ctx = ArticleContext(article, sentences)
    figures: list[Figure] = []
    seen: dict[str, int] = {}  # sentence text -> how many times it came before (for stable ids)
    for index, sentence in candidates:
        occurrence = seen.get(sentence.text, 0)
        seen[sentence.text] = occurrence + 1
        figures.extend(_sentence_figures(ctx, occurrence, index, sentence))
    return figures

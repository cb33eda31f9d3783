"""An article's context keeps its actors as spans and makes a mention when first asked for
(``ArticleContext.actors_between``): every range gets what a scan of the whole article finds there, the same
mention each time it is asked, and never another article's."""

from __future__ import annotations

from auditor import provenance
from auditor.actors import ActorIndex
from auditor.extract import split_sentences
from auditor.model import Article

ARTICLES = [
    "KHARKIV, Ukraine (AP) — Russian forces shelled Kharkiv overnight, killing 3 civilians, the regional governor "
    "said. Ukrainian troops said they had repelled an attack by Wagner fighters near Bakhmut.",
    "Gunmen suspected to be Boko Haram militants killed 17 villagers in Borno, police said. The Nigerian army said "
    "soldiers killed 12 ISWAP fighters in a counter-attack.",
    "The RSF shelled El Fasher on Sunday, the Sudanese army said; MSF said 40 wounded civilians reached its hospital.",
    "Israeli airstrikes killed 35 Palestinians in Gaza, the Hamas-run health ministry said. The IDF said it struck "
    "Hamas militants. U.N. agencies said 1.9 million people were displaced.",
    "Al-Shabaab fighters attacked an AMISOM base near Mogadishu; Somali troops and U.S. forces responded, the AP said.",
    "Cartel gunmen killed 9 people in Celaya, Guanajuato, state prosecutors said. The National Guard arrived later.",
    "The Tatmadaw bombed a village in Sagaing, killing 11, the National Unity Government said. PDF fighters fled.",
    "IS fighters killed 4 Iraqi soldiers near Kirkuk; Hashd al-Shaabi units and Kurdish Peshmerga joined the fight.",
]


def _context(text: str) -> provenance.ArticleContext:
    return provenance.ArticleContext(Article(article_id="a", path="", text=text), split_sentences(text))


def _scanned(text: str) -> list:
    index: ActorIndex = provenance._actors()
    return index.find_actors(text)


def test_every_range_gets_the_mentions_a_whole_scan_finds_there():
    for text in ARTICLES:
        ctx = _context(text)
        mentions = _scanned(text)
        assert mentions, text
        cuts = sorted({0, len(text), *(m.start for m in mentions), *(m.end for m in mentions),
                       *(m.end - 1 for m in mentions), *(m.start + 1 for m in mentions),  # inside a name too
                       *(s.start for s in ctx.sentences), *(s.end for s in ctx.sentences)})
        for a in cuts:
            for b in cuts:
                expected = [m for m in mentions if a <= m.start and m.end <= b]
                assert ctx.actors_between(a, b) == expected, (text, a, b)


def test_a_mention_is_made_once_and_served_again():
    text = ARTICLES[3]
    ctx = _context(text)
    first = ctx.actors_between(0, len(text))
    again = ctx.actors_between(0, len(text))
    assert first and all(x is y for x, y in zip(first, again))
    part = ctx.actors_between(first[1].start, first[1].end)
    assert part == [first[1]] and part[0] is first[1]


def test_each_article_has_its_own_mentions():
    one, two = _context(ARTICLES[0]), _context(ARTICLES[1])
    one.actors_between(0, len(ARTICLES[0]))  # made for the first article
    found = two.actors_between(0, len(ARTICLES[1]))
    assert found == _scanned(ARTICLES[1])
    assert all(ARTICLES[1][m.start:m.end] == m.surface for m in found)


def test_a_place_inside_an_actors_name_is_still_no_event_place():
    """The spans (not the mentions) decide which places an actor's name holds ("... Taliban Pakistan")."""
    for text, place in [("Fighters of Tehrik-i-Taliban Pakistan killed 6 people in Peshawar, officials said.", "Peshawar"),
                        ("Al-Qaeda in the Arabian Peninsula killed 6 soldiers in Aden on Friday.", "Aden")]:
        ctx = _context(text)
        assert [m.surface for m in ctx.places] == [place], text

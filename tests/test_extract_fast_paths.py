"""Extraction's fast paths decide exactly as the full reading they stand in for.

``extract._never_counted`` drops an "a"/"one" before ``_draft`` reads its unit and noun phrase:
every mention it drops must be one ``_draft`` rejects, on every rule's examples, on sentences from
many conflicts and on random splices of them. The other fast paths (the word test before tokenising, the
insertion test asked only where one may start, a lone figure handed over once) read what the full reading reads.
"""

from __future__ import annotations

import copy
import random

import pytest

from auditor import extract
from auditor.knowledge import all_rules
from auditor.numbers import find_numbers, tokenize

SENTENCES = [
    # Ukraine
    "A Russian missile struck a residential building in Dnipro, killing a woman and wounding a child, a regional "
    "official said.",
    "One person was killed and a 10-year-old boy was wounded when a drone hit a car near Kharkiv.",
    "A spokesman for the Ukrainian army said one of them was captured after a battle lasting nearly a week.",
    # Sudan
    "A commander of the Rapid Support Forces, Abdelrahim Dagalo, was killed in an air strike on a market in "
    "El Fasher, a local monitor said.",
    "A statement from the Sudan Doctors Network said a nurse and a paramedic were abducted from a clinic.",
    # Gaza
    "An Israeli strike on a school sheltering displaced families killed a journalist and his cameraman, the "
    "civil defence agency said.",
    "A ceasefire proposal put forward by a mediator would see one hostage released for every 30 prisoners.",
    # Nigeria
    "Gunmen abducted a Catholic priest and one of his assistants from a parish in Kaduna state on Sunday.",
    "A bomb hidden in a motorcycle exploded at a checkpoint, a police spokesman told Reuters.",
    # Mexico
    "A journalist who covered crime in Sonora was shot dead outside his home, a state prosecutor said.",
    "One cartel member was arrested after a shootout that lasted about an hour.",
    # Myanmar
    "A junta air strike on a village in Sagaing killed a teacher, a resistance group said in a statement.",
    "A man aged 34 was detained and a woman of 60 was held for a day.",
    # Somalia
    "A suicide bomber blew himself up at a restaurant in Mogadishu, killing a police officer (a local commander).",
    "One al-Shabaab fighter was killed, a government minister said.",
    # Yemen
    "A Houthi missile hit a tanker about a mile off the coast, a maritime security firm said.",
    "A cholera outbreak has killed a third of the children in one camp, an aid worker said.",
    # DR Congo
    "A United Nations peacekeeper was killed and one was injured when a convoy came under fire near Goma.",
    "M23 rebels seized a town of 'strategic' importance, a army's spokesman said.",
    # Haiti
    "A gang leader known as Barbecue said a police station was burnt down in a night of violence.",
    "One of the hostages, a Canadian, was freed after a ransom of a million dollars was paid.",
    # Syria, Iraq, Afghanistan, Ethiopia
    "A U.S. Marine was killed in a rocket attack on a base in western Iraq, a Pentagon official said.",
    "A Taliban spokesman denied that one [local] commander had been killed in a raid.",
    "An Ethiopian soldier's family said a relative was killed in a clash in Amhara a year ago.",
    "A Syrian opposition monitor said a child was among the dead in a strike on a bakery in Idlib.",
]


def _rule_texts() -> list[str]:
    return [case["text"] for rule in all_rules() for cases in (rule.examples, rule.counterexamples)
            for case in cases]


def _dropped_and_read(text: str) -> tuple[int, int]:
    """(mentions ``_never_counted`` drops, "a"/"one" mentions) in ``text``; asserts each dropped one is
    rejected by ``_draft``."""
    tokens = tokenize(text, 0)
    dropped = seen = 0
    for m in find_numbers(tokens, text, 0):
        if m.kind not in ("article", "one"):
            assert not extract._never_counted(tokens, m)
            continue
        seen += 1
        if extract._never_counted(tokens, m):
            dropped += 1
            assert extract._draft(tokens, text, 0, copy.copy(m)) is None, (text, m)
    return dropped, seen


@pytest.mark.parametrize("text", SENTENCES)
def test_a_dropped_article_is_one_draft_rejects(text):
    _dropped_and_read(text)


def test_rule_examples_drop_only_what_draft_rejects():
    texts = _rule_texts()
    assert len(texts) > 100
    dropped = sum(_dropped_and_read(text)[0] for text in texts)
    assert dropped > 0


def test_random_splices_drop_only_what_draft_rejects():
    rng = random.Random(13)
    words = [w for text in SENTENCES + _rule_texts() for w in text.split()]
    extra = ("a an one A One man woman person boy soldier journalist mile year km/h per cent % $ of them whom ( [ ] ) "
             "' ’ “ ” U.S. UN killed wounded was were in at said").split()
    dropped = seen = 0
    for _ in range(3000):
        text = " ".join(rng.choice(words) if rng.random() < 0.6 else rng.choice(extra)
                        for _ in range(rng.randint(3, 25)))
        if rng.random() < 0.3:
            text = text.replace(" ", "", rng.randint(1, 3))  # words and marks written against each other
        d, s = _dropped_and_read(text)
        dropped, seen = dropped + d, seen + s
    assert 0 < dropped < seen


def test_most_articles_are_dropped_and_people_and_units_are_not():
    text = "A statement from a monitoring group said a car bomb exploded near a market on Friday."
    tokens = tokenize(text, 0)
    mentions = [m for m in find_numbers(tokens, text, 0) if m.kind == "article"]
    assert len(mentions) == 4 and all(extract._never_counted(tokens, m) for m in mentions)
    for kept in ("A journalist was killed in the strike.", "The siege lasted nearly a year.",
                 "Gunmen abducted a local official, police said.", "A [Somali] soldier died."):
        tokens = tokenize(kept, 0)
        first = find_numbers(tokens, kept, 0)
        assert not any(extract._never_counted(tokens, m) for m in first), kept
    figures = extract.extract_figures("A journalist was killed and a statement was issued.")
    assert [(f.surface, f.category) for f in figures] == [("A journalist", "killed")]


def test_no_number_is_read_inside_a_phone_number():
    """``find_numbers`` searches for phone numbers only when a digit token may start a number: no mention
    ever starts inside a phone number, whatever words stand around it."""
    from auditor.numbers import _PHONE_RE

    rng = random.Random(5)
    pieces = ["+964 770 123 4567", "(202) 555-0100", "+44 20 7946 0958", "0770.123.4567", "٠٧٧٠ ١٢٣ ٤٥٦٧",
              "two", "one", "a", "dozens", "killed", "people", "call", "on", "12", "1,500", "-", "(", ")", ".", ", "]
    texts = ["Two people called +964 770 123 4567 on Monday.", "Call (202) 555-0100, said three aid workers."]
    texts += [" ".join(rng.choice(pieces) for _ in range(rng.randint(1, 10))) for _ in range(3000)]
    read = 0
    for text in texts:
        tokens = tokenize(text, 0)
        phones = [m.span() for m in _PHONE_RE.finditer(text)]
        for m in find_numbers(tokens, text, 0):
            read += 1
            assert not any(a <= tokens[m.first].start < b for a, b in phones), (text, m)
    assert read > 1000
    text = "Two people called +964 770 123 4567 on Monday."
    assert [text[m.start:m.end] for m in find_numbers(tokenize(text, 0), text, 0)] == ["Two"]


def test_an_insertion_without_a_comma_is_skipped_to_its_predicate(figures_of):
    """``_predicate_after`` asks ``_insertion_starts`` only at a comma or an insertion's first word: an insertion
    opened by its word alone ("including", "among them") still leads to the verb after it."""
    figures = figures_of("Eight people including four children were killed in an airstrike on Idlib, rescuers said.\n"
                         "Some 30 villagers among them a chief were abducted in Zamfara, police said.")
    assert [(f.surface, f.category) for f in figures] == [
        ("Eight", "killed"), ("four", "killed"), ("Some 30", "captured"), ("a chief", "captured")]
    assert "skip.including" in figures[0].evidence.split() and "skip.including" in figures[2].evidence.split()


def test_figures_related_to_one_another_are_handed_over_as_related(figures_of):
    """A lone figure is handed to the subject and place readers once; figures related to one another are handed
    over anew after relating, so a part takes the scope of its total's category ("1,200 were children" of those
    who fled is displacement, cumulative), not that of the bare count it was read as."""
    text = ("Of the 3,000 people who fled Tawila, 1,200 were children, the UN said.\n"
            "An estimated 10,000 people have fled Haiti's capital, 4,000 of them children, the IOM said.")
    figures = figures_of(text)
    assert [(f.surface, f.category, f.scope) for f in figures] == [
        ("3,000", "displaced", "cumulative"), ("1,200", "displaced", "cumulative"),
        ("An estimated 10,000", "displaced", "cumulative"), ("4,000 of them", "displaced", "cumulative")]


def test_an_article_counted_by_a_vague_or_unit_word_alone_is_read():
    """A sentence whose only number is "a"/"an" and which holds no casualty word is read when a vague amount's
    word or a unit of time or distance follows the article ("a handful of", "nearly a year"): the word test before
    tokenising lets it through, and the figure is the one read without that test."""
    for text, surface in (("A handful of fighters guarded the bridge at Palma.", "A handful of"),
                          ("The siege of Mariupol lasted nearly a year.", "nearly a year"),
                          ("The convoy halted about a mile outside Goma.", "about a mile")):
        assert extract._may_hold_figure(text), text
        assert [f.surface for f in extract.extract_figures(text)] == [surface], text

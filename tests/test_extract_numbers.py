"""How much: number forms, qualifiers, ranges, vague amounts — and what is not a figure."""

import pytest


@pytest.mark.parametrize(
    "text, part, value",
    [
        ("Officials said 1,250 people were killed in the blast.", "1,250", 1250),
        ("Officials said 12.5 percent of the homes were destroyed.", "12.5", 0.125),
        ("Fifteen soldiers were killed in the ambush.", "Fifteen", 15),
        ("Rebels said two hundred fighters joined the offensive.", "two hundred", 200),
        ("Some twenty-five civilians were wounded.", "twenty-five", 25),
        ("Aid agencies said 1.5 million people have fled their homes.", "1.5 million", 1_500_000),
        ("The UN said half a million people have been displaced.", "half a million", 500_000),
        ("A total of three thousand troops were deployed to the border.", "three thousand", 3000),
    ],
)
def test_number_forms_are_read_as_values(figure_at, text, part, value):
    figure = figure_at(text, part)
    assert figure.value == pytest.approx(value)
    assert text[figure.start:figure.end] == figure.surface


@pytest.mark.parametrize(
    "text, part, qualifier, low, high",
    [
        ("At least 30 people were killed on Monday.", "30", "at_least", 30, None),
        ("More than 6,000 attacks were recorded.", "6,000", "more_than", 6000, None),
        ("Over 400 families fled the town.", "400", "more_than", 400, None),
        ("Up to 200,000 civilians remain trapped in the old city.", "200,000", "at_most", None, 200_000),
        ("As many as 90 fighters were captured.", "90", "at_most", None, 90),
        ("Nearly 70 people died in the fire.", "70", "at_most", None, 70),
        ("Fewer than 20 soldiers were wounded.", "20", "less_than", None, 20),
        ("About 130 people were killed.", "130", "approximate", 130, 130),
        ("An estimated 15 members were killed.", "15", "approximate", 15, 15),
        ("Roughly 3,000 residents were displaced.", "3,000", "approximate", 3000, 3000),
    ],
)
def test_qualifiers_set_bounds(figure_at, text, part, qualifier, low, high):
    figure = figure_at(text, part)
    assert figure.qualifier == qualifier
    assert figure.low == (None if low is None else pytest.approx(low))
    assert figure.high == (None if high is None else pytest.approx(high))


@pytest.mark.parametrize(
    "text, part, low, high",
    [
        ("The militias have between 60,000 and 140,000 fighters.", "60,000", 60_000, 140_000),
        ("The militias have 60,000-140,000 fighters.", "60,000", 60_000, 140_000),
        ("The militias have 60,000 to 140,000 fighters.", "60,000", 60_000, 140_000),
        ("Between 2 and 3 million people have fled.", "2 and 3", 2_000_000, 3_000_000),
        ("Two or three soldiers were wounded.", "Two", 2, 3),
    ],
)
def test_ranges_keep_both_bounds(figure_at, text, part, low, high):
    figure = figure_at(text, part)
    assert figure.qualifier == "range"
    assert figure.value is None
    assert (figure.low, figure.high) == (pytest.approx(low), pytest.approx(high))


@pytest.mark.parametrize(
    "text, part, low, high",
    [
        ("Dozens of fighters were killed.", "Dozens", 24, 99),
        ("Hundreds of families fled the fighting.", "Hundreds", 200, 999),
        ("Tens of thousands of people have been displaced.", "Tens of thousands", 20_000, 99_999),
        ("Several villages were recaptured.", "Several", 3, 9),
        ("A few soldiers were wounded.", "A few", 2, 5),
        ("Thousands of fighters crossed the border.", "Thousands", 2000, 9999),
    ],
)
def test_vague_amounts_follow_the_table(figure_at, text, part, low, high):
    figure = figure_at(text, part)
    assert figure.qualifier == "vague"
    assert figure.value is None
    assert (figure.low, figure.high) == (low, high)


def test_acled_convention_reads_the_floor():
    from auditor import extract_figures
    from auditor.knowledge import set_vague_convention

    set_vague_convention("acled")
    try:
        (figure,) = extract_figures("Dozens of fighters were killed.")
    finally:
        set_vague_convention("default")
    assert (figure.low, figure.high) == (12, 12)


def test_unknown_vague_convention_is_refused():
    from auditor.knowledge import set_vague_convention

    with pytest.raises(ValueError, match="unknown vague-amount convention"):
        set_vague_convention("loose")


@pytest.mark.parametrize(
    "text",
    [
        "The photo was released on May 4, 2015, by a militant website.",
        "Kurds have fought for Kirkuk since June 2014.",
        "Between 2006 and 2011 the group was active.",
        "The ceasefire began at 10:30 on Tuesday.",
        "0:00 0:02:08 0:00",
        "Call the hotline on +964 770 123 4567 for help.",
        "It is the second largest city and the first independent base.",
        "F-16 jets struck targets under Resolution 2249 along Route 1.",
        "A 25-year-old man, aged 25, was questioned.",
        "It was one of the biggest strongholds; one must think of the cost.",
        "One war is on the ground. It was a key test for the army.",
        "The war in the 1990s left deep scars.",
    ],
)
def test_not_figures(figures_of, text):
    assert [f.surface for f in figures_of(text)] == []


def test_an_update_supersedes_the_older_figure(figures_of):
    old, new = sorted(figures_of("The death toll rose to 45 from 30 on Tuesday."), key=lambda f: f.value)
    assert (old.value, new.value) == (30, 45)
    assert new.supersedes == old.figure_id
    assert old.supersedes == ""


@pytest.mark.parametrize(("text", "updates"), [
    ("The toll in Khan Younis rose from 30 to 45 overnight, medics said.", [(45, 30)]),
    ("Sudan's health ministry said deaths climbed to 126, up from 89 on Monday.", [(126, 89)]),
    ("Displaced people in Goma now number 2,100, down from the 2,300 counted in May.", [(2100, 2300)]),
    ("The number of missing in Derna reached 10,000 from 7,000 a day earlier.", [(10000, 7000)]),
    ("Gunmen killed 12 villagers in Zamfara and 30 in Katsina, from where 200 fled.", []),  # no change verb
    ("Officials in Herat said 15 died, and 40 of the 60 wounded were taken from the town.", []),
])
def test_updates_pair_the_newer_figure_with_the_older(figures_of, text, updates):
    figures = figures_of(text)
    by_id = {f.figure_id: f for f in figures}
    assert [(f.value, by_id[f.supersedes].value) for f in figures if f.supersedes] == updates


def test_a_parenthetical_conversion_is_one_figure(figures_of):
    figures = figures_of("The town lies 150 kilometres (95 miles) north of Baghdad.")
    assert [(f.value, f.unit) for f in figures] == [(150, "km")]


def test_figure_ids_are_stable_and_distinct(figures_of):
    text = "At least 30 people were killed and 50 wounded."
    first = [f.figure_id for f in figures_of(text)]
    assert first == [f.figure_id for f in figures_of(text)]
    assert len(set(first)) == 2


def test_sentences_skipped_before_tokenising_hold_no_figure():
    """The cheap text test that skips a sentence before tokenising never skips one that yields a figure: in a
    skipped sentence every number is an "a"/"an" that no draft keeps, and no casualty word stands."""
    import random
    from pathlib import Path

    from auditor import extract
    from auditor._units import _lookup
    from auditor.knowledge import all_rules
    from auditor.numbers import find_numbers, tokenize
    from auditor.readers import load_articles
    from auditor.sentences import split_sentences

    corpora = Path(__file__).parent / "data" / "corpora"
    texts = [s.text for a in load_articles(corpora).articles for s in split_sentences(a.text)]
    texts += ["The ministry condemned the raid.", "Twenty-five fled.", "x_one died", "Killed5 near the ΟΔΟΣ road",
              "The convoy left at dawn; none were hurt.", "Shelling went on for a week around Kharkiv.",
              "The convoy halted about a mile outside Goma.", "A handful of fighters held the bridge at Palma.",
              "The siege of Mariupol lasted nearly a year.", "An Afghan interpreter was among the evacuees.",
              "A ceasefire was agreed in Tigray.", "An aid convoy reached Port-au-Prince on a Sunday.",
              "The ministry issued a statement on the raid in Sanaa.", "A Rohingya boat reached Aceh after a fortnight.",
              "A curfew held in Juba for a km-long stretch.", "A My Lai memorial stood an hr from Quang Ngai."]
    texts += [e["text"] for rule in all_rules() for e in (*rule.examples, *rule.counterexamples) if "text" in e]
    # words that might make an article a count (units, vague amounts, casualty nouns), in random sentences
    words = extract.category_words()
    vocabulary = sorted({w for table in (words.predicates, words.objects_of, words.heads) for key in table for w in key}
                        | words.people | words.not_people | {key[0] for key in _lookup()[0]} | set(_lookup()[1]))
    pieces = [*",.;:()\"“”'’-[]", "A", "An", "a", "an", "The", "Ahmed", "Salim", "U.N.", "Gao", "Bunia"]
    rng = random.Random(7)
    for _ in range(4000):
        chosen = [rng.choice(vocabulary) if rng.random() < 0.6 else rng.choice(pieces) for _ in range(rng.randint(2, 10))]
        chosen.insert(rng.randint(0, len(chosen)), rng.choice(["a", "an", "A"]))
        texts.append(" ".join(chosen))
    casualty = extract._casualty_words()
    skipped = with_articles = 0
    for text in texts:
        if extract._can_count(text):
            continue
        skipped += 1
        tokens = tokenize(text)
        mentions = find_numbers(tokens, text)
        with_articles += bool(mentions)
        assert all(m.kind == "article" for m in mentions), text
        assert all(extract._draft(tokens, text, 0, m) is None for m in mentions), text
        assert casualty.isdisjoint(t.lower for t in tokens), text
        assert extract.extract_figures(text) == [], text
    assert skipped > 20 and with_articles > 20  # the test does skip sentences, some with an article


def test_digit_shortcut_reads_the_sentences_both_text_tests_read():
    """A sentence with a digit is read without the word tests; every other one as both tests decide."""
    import random
    from pathlib import Path

    from auditor import extract
    from auditor.readers import load_articles
    from auditor.sentences import split_sentences

    corpora = Path(__file__).parent / "data" / "corpora"
    texts = [s.text for a in load_articles(corpora).articles for s in split_sentences(a.text)]
    texts += ["Sixty-two fled Kidal.", "٣ قتلى في حلب", "Killed² in Mosul", "ΟΔΟΣ: 7 dead", "x_one died",
              "The IDP camp at Dadaab took in dozens.", "A ranger was shot dead in Virunga.", "No word yet."]
    pieces = "7 ٣ ² _ killed KILLED dozens a the U.N. Σ İ half twenty-one , . in Gao Bunia said were".split()
    rng = random.Random(13)
    texts += [" ".join(rng.choices(pieces, k=rng.randint(1, 8))) for _ in range(3000)]
    both = [t for t in texts if extract._prefilter().search(t) and extract._can_count(t)]
    assert [t for t in texts if extract._may_hold_figure(t)] == both
    assert 0 < len(both) < len(texts)


def test_phone_hint_passes_every_phone_number():
    """The cheap test before the phone pattern passes every text the pattern finds a phone number in."""
    import random

    from auditor.numbers import _PHONE_HINT, _PHONE_RE

    rng = random.Random(1)
    alphabet = list("0123456789 .-+()\t\n,/a") + ["٣", "\u00a0"]
    texts = ["Call +964 770 123 4567 now", "(202) 555-0100", "+44 20 7946 0958", "0770.123.4567"]
    texts += ["".join(rng.choices(alphabet, k=rng.randint(5, 30))) for _ in range(60000)]
    phones = [t for t in texts if _PHONE_RE.search(t)]
    assert len(phones) > 200
    assert all(_PHONE_HINT.search(t) for t in phones)
    assert not _PHONE_HINT.search("Some 60,000 people fled; 2,500 were hurt in 2023.")


def test_a_sentence_cut_after_its_auxiliary_is_read(figures_of):
    """A truncated line ("... the city was") does not stop the figures of the rest of the article."""
    figures = figures_of("Two years after a Russian missile killed 61 people at Kramatorsk station, the city was\n"
                         "Gunmen killed 12 villagers in Zamfara on Sunday, police said.")
    assert [f.value for f in figures if f.category == "killed"] == [61, 12]


def test_possessive_token_pattern_cuts_like_the_backtracking_one():
    """The tokenizer's possessive pattern (no backtracking state) cuts every text as the plain greedy pattern does."""
    import random
    import re

    from auditor.numbers import _TOKEN_RE, tokenize

    greedy = re.compile(_TOKEN_RE.pattern.replace("++", "+").replace("*+", "*").replace("}+", "}"))
    assert greedy.pattern != _TOKEN_RE.pattern
    pieces = ["U.S.", "U.N.-led", "a.m.", "60,000", "1.5", "0:02:08", "24-hour", "25-year-old", "F-16", "al-Shaabi",
              "Shi'ite", "don’t", "x_y", "ΟΔΟΣ", "İstanbul", "12.", "3,", "-", "--", "'", "’", ".", ",", "$", "%",
              "A", "b", "7", "١٢", "é", " ", "  ", "\t", "\n", "\u00a0", "killed", "caf", "were ", "Kyiv", "Al", "e", "g", ";", ":", "M23", "9/11", "1-2", "a-", "-b", "e.g.", "U.S.-", "(5)"]
    rng = random.Random(13)
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 14))) for _ in range(20_000)]
    texts += ["Gunmen killed 12 U.S.-trained soldiers at 0:02 near al-Shaabi's F-16 base, the 25-year-old said."]
    for text in texts:  # (the kinds and lower cases kept from earlier texts serve the later ones)
        expected = [(m.start(), m.end(), m.group(), m.lastgroup, m.group().lower()) for m in greedy.finditer(text)]
        assert [(t.start, t.end, t.text, t.kind, t.lower) for t in tokenize(text)] == expected, text
        assert [t.start for t in tokenize(text, 40)] == [start + 40 for start, *_ in expected]


def test_number_starts_are_the_tokens_a_number_may_start_with():
    """The starts found through the per-text answers kept across sentences are those the token test gives."""
    import random

    from auditor.numbers import _number_starts, _start_words, tokenize

    starts = _start_words()
    pieces = ["a", "A", "an", "one", "twenty-five", "Twenty-Five", "half-dozen", "dozens", "several", "few", "the",
              "killed", "12", "1,200", "24-hour", "F-16", "U.S.", "al-Shaabi", "-", ",", ".", "%", "single", "x_y",
              "thousands", "hundred", "sixty", "İstanbul", "ΟΔΟΣ", "٣", "²"]
    rng = random.Random(29)
    for _ in range(5_000):
        tokens = tokenize(" ".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))))
        expected = [i for i, t in enumerate(tokens) if t.kind == "num" or t.kind == "word" and (
            t.lower in starts or "-" in t.lower and t.lower.split("-", 1)[0] in starts)]
        assert _number_starts(tokens) == expected


def test_a_compound_after_a_hyphen_is_read_not_a_crash(figures_of):
    """"18-25-year-old", "3-4-hour": the number after the hyphen is read from its compound (float() of the whole
    token raised and lost the article); an age range's lower end is an age, not a count."""
    figures = figures_of("Police in Kano detained 40 men in the 18-25-year-old bracket on Sunday.\n"
                         "Gunmen killed 5-10-year-old children in Ituri, the UN said.\n"
                         "A Russian strike caused a 3-4-hour blackout in Kharkiv.\n"
                         "The Mogadishu derby ended 2-2 after 11 people were wounded outside the stadium.")
    assert [f.surface for f in figures if f.category != "other"] == ["40", "11"]
    assert [(f.low, f.high) for f in figures if f.surface == "3-4-hour"] == [(3, 4)]


def test_digits_start_a_fraction_only_before_out_of_or_in(figures_of):
    """"3 out of 10", "1 in five": digits are a share when "out of"/"in" and a whole follow (``read_fraction`` returns
    at once for the other digits); the same digits elsewhere are counts."""
    figures = figures_of("UN-Habitat said 3 out of 10 homes in Mariupol were destroyed.\n"
                         "Save the Children said 1 in five children in Tigray is acutely malnourished.\n"
                         "Medics said 3 of the 10 wounded in Sanaa were children.\n"
                         "Police said 17 in Kaduna were abducted from a school.")
    assert [(f.surface, f.value, f.unit) for f in figures if f.unit == "fraction"] == [
        ("3 out of 10", pytest.approx(0.3), "fraction"), ("1 in five", pytest.approx(0.2), "fraction")]
    assert {f.surface: f.value for f in figures if f.unit == "count"}.keys() >= {"3", "10", "17"}


def test_digit_readings_kept_per_text_are_what_the_token_says():
    """A digit token's value and compound unit, kept per text (``numbers._digit_reading``), read the same when
    first met, when met again, and after the bounded store was emptied: the split and value of the text."""
    from auditor import numbers

    texts = ["12", "1,250", "60,000", "1.5", "0:02:08", "24-hour", "25-year-old", "3-km", "1,25", "1.2.3", "10-day",
             "2,500.75", "007", "18-25-year-old", "1,000,000"]
    numbers._DIGIT_READINGS.clear()
    for _round in range(2):
        for text in texts:
            tokens = numbers.tokenize(f"{text} people")
            word = tokens[0].lower  # ("18-25-year-old": the token "18")
            head, suffix = numbers._split_compound(word)
            expected = (numbers._digits_value(head), "-".join(suffix))
            reading = numbers._Reader(tokens, f"{text} people", 0).read_cardinal(0)
            assert numbers._DIGIT_READINGS[word] == expected
            assert (reading is None) == (expected[0] is None), text
            if reading is not None:
                assert reading[0] == expected[0] and reading[3] == expected[1], text
    before = numbers._DIGIT_READINGS_MAX
    numbers._DIGIT_READINGS_MAX = 3
    try:
        for text in texts:
            numbers._digit_reading(text)
            assert len(numbers._DIGIT_READINGS) <= 3
    finally:
        numbers._DIGIT_READINGS_MAX = before

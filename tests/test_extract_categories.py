"""What is counted: categories from governing words, lists, counts written as words."""

import pytest


@pytest.mark.parametrize(
    "text, part, category",
    [
        ("At least 30 people were killed in the market.", "30", "killed"),
        ("The attack left 12 dead.", "12", "killed"),
        ("The bombing killed 14 civilians.", "14", "killed"),
        ("The death toll rose to 45.", "45", "killed"),
        ("Some 60 people were injured.", "60", "wounded"),
        ("The blast wounded 20 police officers.", "20", "wounded"),
        ("Officials reported 80 casualties.", "80", "casualties"),
        ("Twenty fishermen are still missing.", "Twenty", "missing"),
        ("Gunmen kidnapped 12 aid workers.", "12", "captured"),
        ("About 3,000 families fled the fighting.", "3,000", "displaced"),
        ("Nearly 400,000 people have been displaced.", "400,000", "displaced"),
        ("Up to 200,000 people still live behind the front lines.", "200,000", "trapped"),
        ("The militia has 5,000 fighters.", "5,000", "fighters"),
        ("Washington sent 450 troops.", "450", "fighters"),
        ("There are more than 50 militias in the country.", "50", "groups"),
        ("The coalition conducted 20 airstrikes overnight.", "20", "airstrikes"),
        ("Warplanes flew 40 sorties.", "40", "airstrikes"),
        ("The group claimed 6,000 attacks.", "6,000", "attacks"),
        ("The town is 155 miles north of Baghdad.", "155", "distance"),
        ("The group holds about a third of the country.", "a third", "territory"),
        ("The siege lasted seven months.", "seven months", "duration"),
        ("The reconstruction will cost $1.5 billion.", "1.5 billion", "money"),
        ("Rebels captured 3 villages.", "3", "territory"),  # places taken are territory, not captives
        ("Rebels burned 3 villages.", "3", "other"),
    ],
)
def test_category_follows_the_governing_words(figure_at, text, part, category):
    assert figure_at(text, part).category == category


def test_casualty_predicate_beats_the_counted_noun(figure_at):
    figure = figure_at("Fifteen militia members have been killed.", "Fifteen")
    assert figure.category == "killed"
    assert figure.counted == "militia members"


def test_a_list_shares_noun_subject_and_estimate(figures_of):
    text = ("An estimated fifteen Hashd al-Shaabi members have been killed, 90 wounded and another "
            "20 missing, an official said.")
    by_value = {f.value: f for f in figures_of(text)}
    assert {v: f.category for v, f in by_value.items()} == {15: "killed", 90: "wounded", 20: "missing"}
    assert {f.qualifier for f in by_value.values()} == {"approximate"}
    assert by_value[90].counted == by_value[15].counted == "Hashd al-Shaabi members"
    assert by_value[20].subject == "Hashd al-Shaabi"


def test_a_list_shares_the_trigger_noun(figures_of):
    figures = figures_of("The coalition conducted 20 airstrikes in Iraq and four in Syria on Friday.")
    assert [(f.value, f.category, f.location) for f in figures] == [
        (20, "airstrikes", "Iraq"), (4, "airstrikes", "Syria")]


@pytest.mark.parametrize(
    "text, part",
    [
        ("A U.S. Marine was killed in a rocket attack.", "A U.S. Marine"),
        ("The force has Iranian advisers, one of whom died last week.", "one of whom"),
        ("One soldier was wounded in the clash.", "One soldier"),
    ],
)
def test_a_count_written_as_a_word_is_one(figure_at, text, part):
    figure = figure_at(text, part)
    assert figure.value == 1
    assert figure.category in ("killed", "wounded")


@pytest.mark.parametrize(
    "text",
    [
        "A rocket attack hit a new American outpost.",
        "A provincial official spoke to a local newspaper.",
        "The two countries signed a deal.",
    ],
)
def test_articles_and_references_are_not_counts(figures_of, text):
    assert figures_of(text) == []


def test_durations_are_days(figure_at):
    assert figure_at("It happened in a 24-hour period.", "24-hour").value == 1
    assert figure_at("The six-year war ended.", "six-year").value == 6 * 365
    assert figure_at("The city fell nearly a year ago.", "nearly a year").high == 365


def test_casualty_heads_of_things_are_not_people(figure_at):
    # "seized" is a capture verb, but villages are not captives (they are territory)
    assert figure_at("The army seized 12 villages.", "12").category == "territory"
    assert figure_at("The army seized 12 trucks.", "12").category == "other"

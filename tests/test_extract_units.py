"""Measurement units through quantulum3's unit database, converted to canonical units."""

import pytest


@pytest.mark.parametrize(
    "text, part, value, unit, reported_value, reported_unit",
    [
        ("Beiji lies some 155 miles north of Baghdad.", "155 miles", 249.44832, "km", 155, "mile"),
        ("Tikrit is about 130 kilometers north of Baghdad.", "130 kilometers", 130, "km", 130, "kilometre"),
        ("The convoy stopped 800 metres from the border.", "800 metres", 0.8, "km", 800, "metre"),
        ("Inflation reached 40% last month.", "40%", 0.4, "fraction", 40, "percentage"),
        ("Unemployment fell to 7.5 percent.", "7.5 percent", 0.075, "fraction", 7.5, "percentage"),
        ("The fund pledged $3.2 billion in aid.", "$3.2 billion", 3.2e9, "USD", 3.2e9, "dollar"),
        ("The bank lent €500 million to the city.", "€500 million", 5e8, "EUR", 5e8, "euro"),
        ("Smugglers sold 30,000 barrels of oil a day.", "30,000 barrels", 30_000, "barrel", 30_000, "barrel"),
        ("The siege lasted three weeks.", "three weeks", 21, "day", 3, "week"),
    ],
)
def test_units_are_converted_and_reported(figure_at, text, part, value, unit, reported_value, reported_unit):
    figure = figure_at(text, part)
    assert figure.value == pytest.approx(value)
    assert figure.unit == unit
    assert figure.reported_value == pytest.approx(reported_value)
    assert figure.reported_unit == reported_unit


def test_distance_names_place_and_reference(figure_at):
    figure = figure_at("Tikrit, the capital of Salahuddin province about 130 kilometers north of Baghdad, fell.",
                       "130 kilometers")
    assert (figure.location, figure.reference_place) == ("Tikrit", "Baghdad")


def test_families_are_counted_in_households(figure_at):
    assert figure_at("About 3,000 families fled the fighting.", "3,000").unit == "household"


@pytest.mark.parametrize(
    "text, part, value",
    [
        ("Oil prices rose 3 percent to $85 a barrel on Monday.", "3 percent", 0.03),
        ("The company reported revenue of $12.4 billion for the quarter.", "$12.4 billion", 12.4e9),
        ("Shares fell 2.1% in early trading.", "2.1%", 0.021),
        ("The storm dumped 20 inches of rain.", "20 inches", 20),
    ],
)
def test_general_news_figures(figure_at, text, part, value):
    assert figure_at(text, part).value == pytest.approx(value)


def test_places_people_come_from_are_not_where_the_figure_is(figure_at):
    text = "Thousands of fighters from Iraq, Afghanistan and Pakistan are fighting near Aleppo."
    assert figure_at(text, "Thousands").location == "Aleppo"


@pytest.mark.parametrize(
    "text, part, place",
    [
        ("Iran has trained thousands of militia fighters from Iraq, Afghanistan and Pakistan in the Syrian conflict.",
         "thousands", "Syria"),
        ("More than 400 mercenaries from Colombia have fought in the Sudanese civil war, officials said.",
         "More than 400", "Sudan"),
        ("Some 2,000 volunteers from Belarus and Georgia are serving in the Ukrainian war, their commander said.",
         "2,000", "Ukraine"),
    ],
)
def test_a_war_named_by_its_nationality_is_the_place_not_the_origin_list(figure_at, text, part, place):
    assert figure_at(text, part).location == place


def test_an_origin_list_is_never_the_place_even_without_another_place(figure_at):
    # Only the origins are named: the figure has no place of its own (not the first country listed).
    text = "Some 1,500 refugees from South Sudan and Eritrea arrived last week, the agency said."
    assert figure_at(text, "1,500").location not in ("South Sudan", "Eritrea")

"""Who a figure is credited to."""

import pytest


@pytest.mark.parametrize(
    "text, part, source, source_type",
    [
        ("“Fifteen members have been killed,” Bashir Nazm Kahiya, a provincial official, told Rudaw.",
         "Fifteen", "Bashir Nazm Kahiya", "person"),
        ("According to AP, 30 people were killed in the attack.", "30", "AP", "outlet"),
        ("The Associated Press reports that 50 militias operate in Iraq.", "50", "AP", "outlet"),
        ("Up to 200,000 people are trapped in Mosul, U.N. Humanitarian Coordinator Lise Grande told Reuters.",
         "200,000", "Lise Grande", "person"),
        ("According to a 2012 report by the Institute for the Study of War, the group claimed 6,000 attacks.",
         "6,000", "Institute for the Study of War", "organisation"),
        ("The coalition conducted 20 airstrikes, the Combined Joint Task Force said.",
         "20", "Combined Joint Task Force", "organisation"),
        ("At least 12 civilians were killed on Monday.", "12", "", "unattributed"),
    ],
)
def test_source_in_the_sentence(figure_at, text, part, source, source_type):
    figure = figure_at(text, part)
    assert (figure.source, figure.source_type) == (source, source_type)


def test_pronoun_points_back_to_the_named_source(figure_at):
    text = ("The base is the first of its kind, noted Reuters. "
            "“A U.S. Marine was killed there two days ago,” it added.")
    assert figure_at(text, "A U.S. Marine").source == "Reuters"


def test_short_name_resolves_to_the_full_name(figure_at):
    text = ("Brig. Gen. Saad Maan Ibrahim said the army controls the town. "
            "Maan told AP that dozens of militants had been killed.")
    assert figure_at(text, "dozens").source == "Saad Maan Ibrahim"


def test_a_quote_over_two_sentences_is_credited_where_it_closes(figure_at):
    text = "“The fighting is intense. At least 40 fighters were killed,” the general told Reuters."
    figure = figure_at(text, "40")
    assert figure.source_type in ("person", "organisation") and figure.source

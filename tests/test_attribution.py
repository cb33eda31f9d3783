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


# --- every frame of auditor/data/attribution.yaml, through the whole extractor -----------------------

def _frame_examples():
    from auditor.knowledge import load_table

    for frame in load_table("attribution.yaml")["frames"]:
        for example in frame["examples"]:
            yield pytest.param(example, id=f"{frame['id']}:{example['text'][:40]}")


@pytest.mark.parametrize("example", list(_frame_examples()))
def test_frame_examples(figure_at, example):
    figure = figure_at(example["text"], example["figure"])
    expected = example["source"] or ""
    assert figure.source_type == example["source_type"], (figure.source, figure.source_type)
    if expected:
        assert expected.lower() in figure.source.lower() or figure.source.lower() in expected.lower(), figure.source
    else:
        assert figure.source == ""
    assert figure.told == (example.get("told") or "")


@pytest.mark.parametrize("text, part", [
    ("Published April 24 2017. Coalition jets carried out 18 airstrikes, the task force said.", "18"),
    ("Officials in Baghdad said 20 people were killed in a car bombing in Mosul.", "20"),
    ("Israeli officials said 4 soldiers were killed near Jabalia.", "4"),
])
def test_a_source_is_never_a_date_a_place_or_a_nationality(figure_at, text, part):
    figure = figure_at(text, part)
    assert figure.source not in ("April", "Published", "Baghdad", "Israeli", "Mosul")
    assert figure.source_type != "person" or " " in figure.source


def test_officials_in_a_city_are_the_source_and_the_city_only_their_place(figure_at):
    figure = figure_at("Officials in Baghdad said 20 people were killed in a car bombing in Mosul.", "20")
    assert (figure.source, figure.source_type) == ("officials", "organisation")
    assert figure.location == "Mosul"


def test_two_speakers_in_one_sentence_each_credit_their_own_figure(figure_at):
    text = ("The blast killed 471 people, the health ministry said. Israel said a rocket misfired; "
            "U.S. intelligence estimated the toll at 100 to 300.")
    assert figure_at(text, "100 to 300").source == "U.S. intelligence"
    assert figure_at(text, "471").source == "health ministry"


def test_a_short_name_is_read_against_each_articles_own_persons(figure_at):
    """Speaker phrases are remembered across articles, but a bare family name is not: it means the
    person this article named before, and nobody else's."""
    first = ("Brig. Gen. Saad Maan Ibrahim said the army controls the town. "
             "Maan told AP that dozens of militants had been killed.")
    second = "Maan told AP that 30 militants had been killed in Hawija."
    for _ in range(2):  # the second time, every other phrase comes from the memo
        assert figure_at(first, "dozens").source == "Saad Maan Ibrahim"
        assert (figure_at(second, "30").source, figure_at(second, "30").source_type) == ("Maan", "person")


def test_each_semicolon_clause_credits_its_own_speaker(figure_at):
    # frames are read only at the words that open one: each clause's verb still opens its own frame
    text = ("Houthi officials said 14 people were killed in Hodeidah; the Saudi-led coalition, citing its own "
            "figures, said 9 fighters died; according to Save the Children, 5 of the dead were children.")
    assert figure_at(text, "14").source == "Houthi officials"
    assert figure_at(text, "9 fighters").source == "coalition"
    assert figure_at(text, "5 of").source == "Save the Children"
    text = "Police in Sinaloa said 7 people were shot in Culiacan; the army said 3 soldiers were wounded."
    assert (figure_at(text, "7").source, figure_at(text, "3").source) == ("police", "army")


@pytest.mark.parametrize("text, quoted", [
    ("Gunmen killed 12 villagers in Zamfara, police said.", []),  # no quote mark: nothing quoted
    ('Police said 4 died. "We found 12 bodies," Kano police said. A "ceasefire" held, "no".',
     ['"We found 12 bodies,"', '"ceasefire"']),  # straight quotes pair up when 3 characters or more apart
    ("Aid groups said 9 died. “Forty were hurt,” MSF said. “The shelling goes on\nin Khan Younis",
     ["“Forty were hurt,”", "“The shelling goes on\nin Khan Younis"]),  # curly quotes pair; one left open runs on
    ("“Bodies lay in the street\nof Bucha. “Nobody came,” a resident said.",
     ["“Bodies lay in the street", "“Nobody came,”"]),  # ... to the last line end before the next one
    ("The army said “30 fighters and ‘many’ civilians” died in Sagaing after a “so-called",
     ["“30 fighters and ‘many’ civilians”", "“so-called"]),
])
def test_quoted_passages_are_found_wherever_the_first_quote_opens(text, quoted):
    from auditor.attribution import _quote_spans

    assert [text[a:b] for a, b in _quote_spans(text)] == quoted

"""Relations inside an incident: parts and wholes, tolls that grow, scopes that are never compared."""

import pandas as pd

from auditor.claims import build_claims
from conftest import make_figure_row as fig
from conftest import make_figures_frame


def claims(*rows):
    return build_claims(make_figures_frame(list(rows)), pd.DataFrame())


def toll(figure_id, value, outlet, published="2023-01-14", location="Dnipro", **fields):
    fields.setdefault("event_date", "2023-01-14")
    fields.setdefault("country", "UA")
    return fig(figure_id, figure_id.upper(), value, outlet=outlet, location=location, published=published, **fields)


def flagged(conflicts):
    return {frozenset((a, b)) for a, b in zip(conflicts["figure_a"], conflicts["figure_b"])}


def test_civilians_are_a_part_of_the_people_killed():
    _, groups, conflicts = claims(
        toll("civ", 23, "AP", subject="civilians", counted="civilians"),
        toll("all", 30, "Reuters", qualifier="more_than", counted="people"),
    )
    assert conflicts.empty
    assert len(groups) == 2 and groups["incident_id"].nunique() == 1


def test_a_part_above_its_whole_is_a_part_of_conflict():
    _, _, conflicts = claims(
        toll("children", 40, "UNICEF", counted="children"),
        toll("civ", 12, "AP", counted="civilians"),
    )
    assert flagged(conflicts) == {frozenset({"children", "civ"})}
    row = conflicts.iloc[0]
    assert row["relation"] == "part_of" and row["figure_a"] == "children"
    assert "cannot exceed its whole" in row["explanation"] and "UNICEF" in row["explanation"]


def test_an_armed_group_and_civilians_in_one_attack_are_different_quantities():
    _, _, conflicts = claims(
        toll("fighters", 15, "Rudaw", subject="Hashd al-Shaabi", counted="fighters", location="Baiji",
             country="IQ"),
        toll("civ", 40, "AP", subject="civilians", counted="civilians", location="Baiji", country="IQ"),
    )
    assert conflicts.empty


def test_a_figure_naming_its_total_is_never_the_same_quantity_as_the_total():
    _, _, conflicts = claims(
        toll("total", 126, "AP", sentence="126 people were killed, including 68 children."),
        toll("part", 68, "AP", part_of="total", sentence="126 people were killed, including 68 children."),
        toll("other", 125, "BBC", qualifier="approximate"),
    )
    assert conflicts.empty


def test_a_part_that_exceeds_the_total_it_names_is_flagged():
    _, _, conflicts = claims(toll("total", 26, "AP"), toll("part", 68, "AP", part_of="total", counted="children"))
    assert list(conflicts["relation"]) == ["part_of"]


def test_a_later_higher_toll_is_an_update_not_a_conflict():
    _, groups, conflicts = claims(
        toll("early", 18, "AP", published="2023-01-14"),
        toll("later", 39, "Reuters", published="2023-01-15"),
        toll("latest", 45, "BBC", published="2023-01-16", qualifier="at_least"),
    )
    assert conflicts.empty
    assert groups.iloc[0]["consensus_low"] == 45  # the latest day's consensus


def test_a_later_lower_toll_from_the_same_outlet_is_a_revision_worth_showing():
    _, _, conflicts = claims(
        toll("first", 40, "Ukrinform", published="2023-01-14"),
        toll("revised", 30, "Ukrinform", published="2023-01-15"),
    )
    row = conflicts.iloc[0]
    assert (row["relation"], row["figure_a"], row["figure_b"]) == ("update", "revised", "first")
    assert "lowered its own earlier toll" in row["explanation"]


def test_cumulative_and_historical_figures_are_never_compared_with_an_incident():
    _, _, conflicts = claims(
        toll("attack", 56, "AP", subject="civilians"),
        toll("war", 7000, "OHCHR", qualifier="more_than", scope="cumulative", event_date=""),
        toll("recalled", 9, "BBC", scope="historical", event_date=""),
    )
    assert conflicts.empty


def test_a_historical_figure_with_its_event_date_is_a_report_of_that_incident():
    figures, _, conflicts = claims(
        toll("then", 46, "AP", published="2023-01-16"),
        toll("recalled", 12, "BBC", published="2024-01-14", scope="historical"),
    )
    ids = figures.set_index("figure_id")["incident_id"]
    assert ids["then"] == ids["recalled"]
    assert flagged(conflicts) == {frozenset({"then", "recalled"})}


def test_people_and_households_of_one_wave_are_noted_not_compared():
    _, groups, conflicts = claims(
        toll("people", 400_000, "IOM", category="displaced", location="El Fasher", country="SD"),
        toll("households", 16_000, "OCHA", category="displaced", unit="household", location="El Fasher",
             country="SD"),
    )
    assert conflicts.empty
    assert groups["note"].str.contains("Not comparable").all()

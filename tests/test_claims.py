"""Claim groups, statuses and conflicts: on figure tables built by hand, then end to end on tests/data/corpora/."""

import pandas as pd
import pytest

from auditor.claims import CONFLICT_COLUMNS, GROUP_COLUMNS, build_claims
from conftest import make_figure_row as fig
from conftest import make_figures_frame

MILE = 1.609344
DAY1, DAY2, WEEK_LATER = "2015-10-18", "2015-10-19", "2015-10-28"


def audit_rows(*rows, store_dir=None):
    return build_claims(make_figures_frame(list(rows)), pd.DataFrame(), store_dir=store_dir)


def group_of(figures, figure_id):
    return figures.set_index("figure_id").at[figure_id, "group_id"]


def status_of(figures, groups, figure_id):
    return groups.set_index("group_id").at[group_of(figures, figure_id), "status"]


def pairs(conflicts):
    return {frozenset(p) - {""} for p in zip(conflicts["figure_a"], conflicts["figure_b"])}


def killed(figure_id, article_id, value, outlet, published=DAY1, **fields):
    fields.setdefault("subject", "Hashd al-Shaabi")
    fields.setdefault("location", "Bashir")
    return fig(figure_id, article_id, value, outlet=outlet, published=published, **fields)


def distance(figure_id, article_id, km, outlet, location="Baiji", reference="Baghdad", **fields):
    fields.setdefault("sentence", f"{location} lies {km:g} km from {reference}, officials said.")
    return fig(figure_id, article_id, km, category="distance", unit="km", location=location,
               reference_place=reference, outlet=outlet, **fields)


# --- contract shape ----------------------------------------------------------------------

def test_outputs_have_contract_columns_in_order():
    figures, groups, conflicts = audit_rows(killed("a", "A", 15, "Rudaw"), killed("b", "B", 30, "Reuters"))
    assert tuple(groups.columns[: len(GROUP_COLUMNS)]) == GROUP_COLUMNS
    assert tuple(conflicts.columns[: len(CONFLICT_COLUMNS)]) == CONFLICT_COLUMNS
    assert {"decision", "note"} <= set(conflicts.columns)
    assert figures["group_id"].ne("").all()


def test_no_figures_gives_empty_tables():
    figures, groups, conflicts = audit_rows()
    assert figures.empty and groups.empty and conflicts.empty
    assert tuple(conflicts.columns[: len(CONFLICT_COLUMNS)]) == CONFLICT_COLUMNS


# --- conflicts and statuses --------------------------------------------------------------

def test_disagreeing_outlets_conflict_with_a_readable_explanation():
    figures, groups, conflicts = audit_rows(
        killed("a", "A", 15, "Rudaw", qualifier="approximate", surface="fifteen"),
        killed("b", "B", 30, "Reuters"),
    )
    assert group_of(figures, "a") == group_of(figures, "b")
    assert status_of(figures, groups, "a") == "conflict"
    assert pairs(conflicts) == {frozenset({"a", "b"})}
    row = conflicts.iloc[0]
    assert row["severity"] == "medium"  # 15.75 vs 30: a gap of 48 %
    assert row["relative_difference"] == pytest.approx((30 - 15.75) / 30, abs=1e-3)
    for words in ("Rudaw", "Reuters", "“fifteen”", "“30”", "cannot both be right"):
        assert words in row["explanation"]


def test_severity_grows_with_the_relative_difference():
    _, _, conflicts = audit_rows(
        killed("a", "A", 45, "AP"), killed("b", "B", 50, "AFP"), killed("b2", "B2", 50, "BBC"),
        killed("c", "C", 200, "CNN"),
    )
    severity = {frozenset((r.figure_a, r.figure_b)): r.severity for r in conflicts.itertuples()}
    assert set(conflicts["figure_a"]) == {"a", "c"}  # the outliers, each against the consensus of 50
    assert severity[frozenset({"a", next(iter({"b", "b2"} & set(conflicts["figure_b"])))})] == "low"
    assert conflicts.set_index("figure_a").at["c", "severity"] == "high"


def test_same_figure_from_independent_outlets_is_corroborated():
    figures, groups, conflicts = audit_rows(
        killed("a", "A", 15, "Rudaw"), killed("b", "B", 15, "Reuters", qualifier="approximate"),
    )
    assert conflicts.empty
    group = groups.set_index("group_id").loc[group_of(figures, "a")]
    assert group["status"] == "corroborated"
    assert group["n_sources"] == 2 and group["n_articles"] == 2


def test_reprints_of_one_story_are_one_source():
    wire = ("Fifteen Hashd al-Shaabi fighters were killed in an ambush near the village of Bashir, "
            "a provincial official told reporters on Sunday.")
    reprint = "BASHIR — " + wire.replace("on Sunday", "Sunday")
    figures, groups, _ = audit_rows(
        killed("a", "A", 15, "Yahoo News", sentence=wire),
        killed("b", "B", 15, "Gulf Times", sentence=reprint),
        killed("c", "C", 15, "AP", sentence="AP: toll of 15."),
        killed("d", "D", 15, "AP", sentence="Another AP story, 15 dead."),
    )
    group = groups.set_index("group_id").loc[group_of(figures, "a")]
    assert group["n_articles"] == 4
    assert group["n_sources"] == 2  # the wire reprints count once, AP's two stories count once
    assert group["status"] == "corroborated"

    figures, groups, _ = audit_rows(
        killed("a", "A", 15, "Yahoo News", sentence=wire), killed("b", "B", 15, "Gulf Times", sentence=reprint),
    )
    assert status_of(figures, groups, "a") == "single"


def test_overlapping_but_different_figures_are_consistent():
    figures, groups, conflicts = audit_rows(
        killed("a", "A", 20, "Rudaw", qualifier="at_least", surface="at least 20"),
        killed("b", "B", 25, "Reuters"),
        killed("c", "C", None, "AP", qualifier="vague", low=24, high=99, surface="dozens"),
    )
    assert conflicts.empty
    assert status_of(figures, groups, "a") == "consistent"


def test_vague_amount_conflicts_when_outside_its_table_interval():
    _, _, conflicts = audit_rows(
        killed("a", "A", None, "AP", qualifier="vague", low=24, high=99, surface="dozens"),
        killed("b", "B", 12, "Rudaw"),
    )
    assert pairs(conflicts) == {frozenset({"a", "b"})}
    assert "“dozens”" in conflicts.iloc[0]["explanation"]


def test_single_report_is_single():
    figures, groups, _ = audit_rows(killed("a", "A", 15, "Rudaw"), killed("b", "A", 15, "Rudaw"))
    assert status_of(figures, groups, "a") == "single"


def test_group_range_spans_the_stated_bounds():
    figures, groups, _ = audit_rows(
        killed("a", "A", 20, "Rudaw", qualifier="at_least"), killed("b", "B", 25, "Reuters"),
    )
    group = groups.set_index("group_id").loc[group_of(figures, "a")]
    assert group["low"] == 20 and pd.isna(group["high"])  # at least 20: unbounded above


# --- what must not be flagged ------------------------------------------------------------

def test_people_and_households_are_not_comparable():
    figures, groups, conflicts = audit_rows(
        fig("a", "A", 40, category="displaced", unit="household", location="Mosul", outlet="UNHCR"),
        fig("b", "B", 200, category="displaced", location="Mosul", outlet="IOM"),
    )
    assert conflicts.empty
    assert group_of(figures, "a") != group_of(figures, "b")
    notes = groups.set_index("group_id")["note"]
    assert "Not comparable" in notes[group_of(figures, "a")]
    assert "household" in notes[group_of(figures, "b")]


def test_superseded_figure_is_never_a_conflict():
    figures, groups, conflicts = audit_rows(
        killed("old", "A", 30, "AP", surface="30"),
        killed("new", "A", 45, "AP", supersedes="old", surface="45"),
        killed("other", "B", 45, "Reuters"),
    )
    assert conflicts.empty
    assert status_of(figures, groups, "new") == "corroborated"


def test_figures_within_one_article_are_not_paired():
    _, _, conflicts = audit_rows(killed("a", "A", 5, "AP"), killed("b", "A", 12, "AP"))
    assert conflicts.empty


@pytest.mark.parametrize("field, first, second", [
    ("location", "Bashir", "Kirkuk"),            # different places
    ("location", "Baiji", "Iraq"),               # a town and the whole country
    ("subject", "Hashd al-Shaabi", "ISIS"),      # two groups in one sentence
    ("category", "killed", "wounded"),
])
def test_different_places_groups_and_scopes_are_different_claims(field, first, second):
    figures, _, conflicts = audit_rows(
        killed("a", "A", 15, "Rudaw", **{field: first}), killed("b", "B", 90, "Reuters", **{field: second}),
    )
    assert group_of(figures, "a") != group_of(figures, "b")
    assert conflicts.empty


def test_converted_miles_agree_with_kilometres():
    _, _, conflicts = audit_rows(
        distance("a", "A", 95 * MILE, "AP", reported_value=95, reported_unit="mile", surface="95 miles",
                 location="Tikrit"),
        distance("b", "B", 150, "Reuters", qualifier="approximate", surface="about 150 km", location="Tikrit"),
    )
    assert conflicts[conflicts["kind"] == "pair"].empty


def test_converted_distance_conflict_shows_written_and_converted_numbers():
    _, _, conflicts = audit_rows(
        distance("a", "A", 155 * MILE, "AP", reported_value=155, reported_unit="mile", surface="155 miles",
                 qualifier="approximate"),
        distance("b", "B", 100, "Reuters", surface="100 kilometres", reported_unit="km"),
    )
    row = conflicts[conflicts["kind"] == "pair"].iloc[0]
    assert "“155 miles” (= 249.4 km)" in row["explanation"]
    assert "“100 kilometres”" in row["explanation"]


def test_distance_is_the_same_claim_from_either_end():
    figures, _, _ = audit_rows(
        distance("a", "A", 250, "AP", location="Baiji", reference="Baghdad"),
        distance("b", "B", 250, "BBC", location="Baghdad", reference="Baiji"),
    )
    assert group_of(figures, "a") == group_of(figures, "b")


def test_distance_without_reference_place_is_never_compared():
    figures, _, conflicts = audit_rows(
        distance("a", "A", 20, "AP", reference=""), distance("b", "B", 60, "BBC", reference=""),
    )
    assert group_of(figures, "a") != group_of(figures, "b")
    assert conflicts.empty


def test_other_figures_compare_only_when_they_count_the_same_thing():
    figures, _, conflicts = audit_rows(
        fig("a", "A", None, category="other", qualifier="vague", low=3, high=9, counted="villages",
            location="Baaj", outlet="AP"),
        fig("b", "B", 20, category="other", counted="times", location="Baaj", outlet="BBC"),
        fig("c", "C", 20, category="other", counted="", location="Baaj", outlet="CNN"),
    )
    assert len({group_of(figures, f) for f in "abc"}) == 3
    assert conflicts.empty


# --- time ----------------------------------------------------------------------------------

def test_changing_quantities_are_compared_only_within_the_window():
    figures, _, conflicts = audit_rows(
        killed("a", "A", 15, "Rudaw", published=DAY1), killed("b", "B", 45, "Reuters", published=WEEK_LATER),
    )
    assert group_of(figures, "a") != group_of(figures, "b")
    assert conflicts.empty


def test_distances_are_compared_whatever_the_dates():
    figures, _, conflicts = audit_rows(
        distance("a", "A", 250, "AP", published="2015-01-01"),
        distance("b", "B", 100, "BBC", published="2016-06-01"),
    )
    assert group_of(figures, "a") == group_of(figures, "b")
    assert pairs(conflicts[conflicts["kind"] == "pair"]) == {frozenset({"a", "b"})}


def test_undated_article_is_compared_and_said_to_be_undated():
    _, _, conflicts = audit_rows(
        killed("a", "A", 15, "Rudaw", published=DAY1), killed("b", "B", 45, "Blog", published=""),
    )
    assert pairs(conflicts) == {frozenset({"a", "b"})}
    assert "Blog article is undated" in conflicts.iloc[0]["explanation"]


def test_days_apart_are_mentioned():
    _, _, conflicts = audit_rows(
        fig("a", "A", 500, category="fighters", location="Bashir", outlet="Rudaw", published=DAY1),
        fig("b", "B", 2000, category="fighters", location="Bashir", outlet="Reuters", published=DAY2),
    )
    assert "published 1 day apart" in conflicts.iloc[0]["explanation"]


def test_a_toll_that_shrinks_from_one_day_to_the_next_is_an_update_conflict():
    _, _, conflicts = audit_rows(
        killed("a", "A", 45, "Rudaw", published=DAY1), killed("b", "B", 15, "Reuters", published=DAY2),
    )
    assert pairs(conflicts) == {frozenset({"a", "b"})}
    row = conflicts.iloc[0]
    assert (row["relation"], row["figure_a"]) == ("update", "b")
    assert "1 day later" in row["explanation"] and "does not shrink" in row["explanation"]


def test_later_report_saying_the_toll_rose_does_not_contradict_an_earlier_count():
    _, _, conflicts = audit_rows(
        killed("early", "A", 15, "Rudaw", published=DAY1),
        killed("was", "B", 30, "Reuters", published=DAY2),
        killed("rose", "B", 45, "Reuters", published=DAY2, supersedes="was"),
        killed("same_day", "C", 45, "AP", published=DAY1),
    )
    assert frozenset({"early", "rose"}) not in pairs(conflicts)
    assert frozenset({"early", "same_day"}) in pairs(conflicts)


# --- stable ids ----------------------------------------------------------------------------

def test_ids_do_not_depend_on_row_order_or_unrelated_articles():
    rows = [killed("a", "A", 15, "Rudaw"), killed("b", "B", 30, "Reuters"), distance("d", "D", 250, "AP")]
    figures1, _, conflicts1 = audit_rows(*rows)
    figures2, _, conflicts2 = audit_rows(*reversed(rows), killed("z", "Z", 9, "BBC", location="Mosul"))
    ids1 = figures1.set_index("figure_id")["group_id"]
    ids2 = figures2.set_index("figure_id")["group_id"]
    assert (ids1 == ids2[ids1.index]).all()
    assert set(conflicts1["conflict_id"]) == set(conflicts2["conflict_id"])


# --- aliases and geography (the gazetteer and actor tables) --------------------------------


def test_place_spelling_variants_are_one_claim():
    figures, _, conflicts = audit_rows(
        killed("a", "A", 15, "AP", subject="ISIS", location="Baiji"),
        killed("b", "B", 40, "BBC", subject="ISIS", location="Beiji"),
        killed("c", "C", 40, "CNN", subject="ISIS", location="Bayji"),
    )
    assert len({group_of(figures, f) for f in "abc"}) == 1
    assert list(conflicts["figure_a"]) == ["a"]  # one row: the outlier against the consensus


@pytest.mark.parametrize("alias", ["PMF", "Popular Mobilisation", "Hashd al-Shaabi"])
def test_actor_aliases_are_one_claim(alias):
    figures, _, _ = audit_rows(
        killed("a", "A", 15, "Rudaw", subject="Hashd al-Shaabi"), killed("b", "B", 30, "Reuters", subject=alias),
    )
    assert group_of(figures, "a") == group_of(figures, "b")


def test_distance_shorter_than_the_straight_line_is_flagged():
    _, _, conflicts = audit_rows(
        distance("t", "A", 130, "AP", location="Tikrit", qualifier="approximate", surface="about 130 kilometers"),
    )
    geo = conflicts[conflicts["kind"] == "geography"]
    assert list(geo["figure_a"]) == ["t"] and list(geo["figure_b"]) == [""]
    assert "straight-line" in geo.iloc[0]["explanation"] and "Tikrit" in geo.iloc[0]["explanation"]


def test_plausible_and_far_too_long_distances():
    _, _, conflicts = audit_rows(
        distance("ok", "A", 155 * MILE, "AP", location="Baiji", reported_value=155, reported_unit="mile",
                 qualifier="approximate"),
        distance("long", "B", 900, "BBC", location="Fallujah"),
    )
    geo = conflicts[conflicts["kind"] == "geography"]
    assert list(geo["figure_a"]) == ["long"]
    assert "rarely exceed" in geo.iloc[0]["explanation"]


def test_geography_conflict_marks_its_group():
    figures, groups, _ = audit_rows(distance("t", "A", 130, "AP", location="Tikrit"))
    assert status_of(figures, groups, "t") == "conflict"


# --- end to end: auditor.audit on multi-article corpora (needs the extractor) --------------





def find(result, article_id, text):
    """The one figure of ``article_id`` whose surface contains ``text`` (fails with what was found)."""
    figures = result.figures[result.figures["article_id"] == article_id]
    hits = figures[figures["surface"].str.contains(text, case=False, regex=False)]
    assert len(hits) == 1, f"{article_id}: {text!r} matched {list(hits['surface'])} among {list(figures['surface'])}"
    return hits.iloc[0]["figure_id"]


def conflict_pairs(result, kind="pair"):
    rows = result.conflicts[result.conflicts["kind"] == kind]
    return pairs(rows)


def test_baiji_corpus_conflicts_are_exactly_the_designed_ones(corpus_audit):
    r = corpus_audit("baiji")
    reuters15 = find(r, "reuters-2015-10-20", "15")
    ap40, yahoo40 = find(r, "ap-2015-10-20", "40"), find(r, "yahoo-2015-10-20", "40")
    dozens = find(r, "rudaw-undated", "dozens")
    # One row: Reuters' 15 is the outlier, held against the nearest report of the consensus (AP's 40,
    # its Yahoo reprint and Rudaw's "dozens"), not one row per pair.
    assert conflict_pairs(r) == {frozenset({reuters15, dozens})}
    assert group_of(r.figures, ap40) == group_of(r.figures, yahoo40) == group_of(r.figures, reuters15)
    assert conflict_pairs(r, "geography") == set()
    undated = r.conflicts[r.conflicts["figure_b"].eq(dozens) | r.conflicts["figure_a"].eq(dozens)]
    assert "Rudaw article is undated" in undated.iloc[0]["explanation"]


def test_baiji_corpus_groups_reprints_and_windows(corpus_audit):
    r = corpus_audit("baiji")
    figures, groups = r.figures, r.groups
    reuters15 = find(r, "reuters-2015-10-20", "15")
    killed_isis = groups.set_index("group_id").loc[group_of(figures, reuters15)]
    assert killed_isis["status"] == "conflict"
    assert killed_isis["n_articles"] == 4 and killed_isis["n_sources"] == 3  # AP and its Yahoo reprint count once
    later = find(r, "aljazeera-2015-10-28", "120")  # a week later: a new count, not a contradiction
    assert group_of(figures, later) != group_of(figures, reuters15)


def test_baiji_corpus_aliases_and_corroboration(corpus_audit):
    r = corpus_audit("baiji")
    pmf = find(r, "reuters-2015-10-20", "Eight")
    hashd = find(r, "ap-2015-10-20", "eight")
    assert group_of(r.figures, pmf) == group_of(r.figures, hashd)
    assert status_of(r.figures, r.groups, pmf) == "corroborated"


def test_baiji_corpus_converted_distances_agree(corpus_audit):
    r = corpus_audit("baiji")
    reuters = r.figures[r.figures["article_id"] == "reuters-2015-10-20"]
    assert not reuters["surface"].str.fullmatch(r"125 miles\)?").any()  # "200 km (125 miles)" is one figure
    km = find(r, "reuters-2015-10-20", "200 km")
    miles = find(r, "ap-2015-10-20", "130 miles")
    assert group_of(r.figures, km) == group_of(r.figures, miles)
    assert status_of(r.figures, r.groups, km) == "consistent"


def test_baiji_corpus_households_and_updates_are_not_conflicts(corpus_audit):
    r = corpus_audit("baiji")
    families = find(r, "reuters-2015-10-20", "3,000")
    people = find(r, "ap-2015-10-20", "12,000")
    assert group_of(r.figures, families) != group_of(r.figures, people)
    assert not r.conflicts["figure_a"].isin([families, people]).any()
    assert not r.conflicts["figure_b"].isin([families, people]).any()
    seven = find(r, "reuters-2015-10-20", "Seven")
    rose = find(r, "bbc-2015-10-21", "12")
    assert group_of(r.figures, seven) == group_of(r.figures, rose)
    assert r.figures.set_index("figure_id").at[rose, "supersedes"] == find(r, "bbc-2015-10-21", "seven")


def test_distances_corpus_geography_and_pairs(corpus_audit):
    r = corpus_audit("distances")
    tikrit130 = find(r, "ap-tikrit", "130")
    tikrit150 = find(r, "reuters-tikrit", "150")
    fallujah40 = find(r, "guardian-fallujah", "40 miles")
    fallujah150 = find(r, "blog-fallujah", "150 miles")
    assert conflict_pairs(r, "geography") == {frozenset({tikrit130}), frozenset({fallujah150})}
    assert conflict_pairs(r) == {frozenset({tikrit130, tikrit150}), frozenset({fallujah40, fallujah150})}
    mosul_km, mosul_miles = find(r, "reuters-tikrit", "400"), find(r, "blog-fallujah", "250 miles")
    assert group_of(r.figures, mosul_km) == group_of(r.figures, mosul_miles)
    assert status_of(r.figures, r.groups, mosul_km) == "corroborated"


def test_sieges_corpus_open_bounds_and_daily_strike_tallies(corpus_audit):
    r = corpus_audit("sieges")
    up_to = find(r, "un-mosul", "200,000")
    some = find(r, "afp-mosul", "100,000")
    more_than = find(r, "afp-mosul", "250,000")
    ap20, reuters18 = find(r, "ap-strikes", "20"), find(r, "reuters-strikes", "18")
    assert conflict_pairs(r) == {frozenset({up_to, more_than}), frozenset({ap20, reuters18})}
    assert group_of(r.figures, up_to) == group_of(r.figures, some)
    syria_ap, syria_reuters = find(r, "ap-strikes", "four"), find(r, "reuters-strikes", "four")
    assert group_of(r.figures, syria_ap) == group_of(r.figures, syria_reuters)
    assert group_of(r.figures, syria_ap) != group_of(r.figures, ap20)  # Syria and Iraq are different claims
    assert status_of(r.figures, r.groups, syria_ap) == "corroborated"
    later = find(r, "ap-strikes-later", "26")  # three days later: another day's tally
    assert group_of(r.figures, later) != group_of(r.figures, ap20)


def test_without_a_named_actor_what_is_counted_keeps_claims_apart():
    figures, groups, conflicts = audit_rows(
        killed("a", "A", 7, "Reuters", subject="", counted="soldiers"),
        killed("b", "B", 12, "AP", subject="", counted="people"),
        killed("c", "C", 9, "BBC", subject="", counted="Iraqi soldiers"),
    )
    assert group_of(figures, "a") != group_of(figures, "b")
    assert group_of(figures, "a") == group_of(figures, "c")
    assert pairs(conflicts) == {frozenset({"a", "c"})}
    assert "soldiers (unnamed)" in groups.set_index("group_id").at[group_of(figures, "a"), "label"]


def test_figures_without_a_place_are_not_compared():
    figures, _, conflicts = audit_rows(
        killed("a", "A", 15, "Reuters", location=""), killed("b", "B", 40, "AP", location=""),
    )
    assert group_of(figures, "a") != group_of(figures, "b")
    assert conflicts.empty


def test_conflicts_come_most_severe_first_and_groups_conflicts_first():
    _, groups, conflicts = audit_rows(
        killed("a", "A", 45, "AP"), killed("b", "B", 50, "AFP"), killed("c", "C", 200, "BBC"),
        killed("s", "S", 3, "AP", location="Kirkuk"), killed("t", "T", 3, "BBC", location="Kirkuk"),
        killed("u", "U", 3, "AP", location="Mosul"),
    )
    assert list(conflicts["severity"]) == ["high", "low"]
    assert conflicts["relative_difference"].iloc[0] >= conflicts["relative_difference"].iloc[1]
    assert list(groups["status"]) == ["conflict", "corroborated", "single"]


def test_a_figure_credited_to_an_outlet_is_that_outlets_report():
    figures, groups, _ = audit_rows(
        killed("a", "A", 15, "AP"),
        killed("b", "B", 15, "Breitbart", source="AP", source_type="outlet"),
        killed("c", "C", 15, "Associated Press"),
    )
    assert status_of(figures, groups, "a") == "single"
    assert groups.set_index("group_id").at[group_of(figures, "a"), "n_sources"] == 1


def test_no_geography_check_against_a_country_or_province():
    _, _, conflicts = audit_rows(
        distance("c", "A", 20, "AP", location="Mosul", reference="Syria"),
        distance("p", "B", 5, "AP", location="Tikrit", reference="Salahuddin"),
    )
    assert conflicts[conflicts["kind"] == "geography"].empty

"""Conflicts at the level people decide: outliers against the consensus (linear, never every pair), the
geography check, group decisions and migrated pair decisions; then the event corpora end to end."""

import pandas as pd

from auditor.audit import AuditResult
from auditor.claims import build_claims
from auditor.review import ReviewStore, review_group
from conftest import make_figure_row as fig
from conftest import make_figures_frame


def claims(*rows, store_dir=None):
    return build_claims(make_figures_frame(list(rows)), pd.DataFrame(), store_dir=store_dir)


def toll(figure_id, value, outlet, **fields):
    fields.setdefault("location", "Maiduguri")
    fields.setdefault("published", "2020-11-29")
    fields.setdefault("event_date", "2020-11-28")
    return fig(figure_id, figure_id.upper(), value, outlet=outlet, **fields)


def seventeen_against_sixty():
    outlets = ["Reuters", "AFP", "BBC", "Al Jazeera", "Premium Times"]
    return [toll("ap", 17, "AP")] + [
        toll(f"o{i}", 60 + i % 2, outlet, qualifier="approximate") for i, outlet in enumerate(outlets)
    ]


def test_one_outlier_against_a_consensus_is_one_row():
    _, groups, conflicts = claims(*seventeen_against_sixty())
    assert len(conflicts) == 1
    row = conflicts.iloc[0]
    assert (row["figure_a"], row["relation"]) == ("ap", "same")
    assert row["figure_b"].startswith("o")
    assert "outside the consensus of 5 independent sources" in row["explanation"]
    group = groups.iloc[0]
    assert group["outliers"] == "ap"
    assert (group["consensus_low"], group["consensus_high"]) == (60, 61)


def test_a_thousand_reports_of_one_claim_give_at_most_one_row_each():
    rows = [toll(f"r{i:04d}", [10, 12, 40, 41, 300][i % 5], f"Outlet {i}") for i in range(1000)]
    _, groups, conflicts = claims(*rows)
    assert len(groups) == 1
    assert 0 < len(conflicts) <= 1000
    assert conflicts["figure_a"].is_unique


def test_geography_checks_only_the_two_towns_the_sentence_names():
    figures, _, conflicts = claims(
        fig("named", "A", 10, category="distance", unit="km", location="Bakhmut", reference_place="Kramatorsk",
            sentence="Bakhmut is just 10 km from Kramatorsk, a commander claimed.", outlet="Reuters"),
        # The extractor took the town of another clause: the sentence does not name the pair.
        fig("wrong", "B", 10, category="distance", unit="km", location="Kramatorsk", reference_place="Avdiivka",
            sentence="Villages 10 km west of Avdiivka were shelled.", outlet="Kyiv Independent"),
        fig("region", "C", 5, category="distance", unit="km", location="Avdiivka", reference_place="Donetsk Oblast",
            sentence="Avdiivka, 5 km inside Donetsk Oblast, was shelled.", outlet="AP"),
    )
    geo = conflicts[conflicts["relation"] == "geography"]
    assert list(geo["figure_a"]) == ["named"]
    assert "35" in geo.iloc[0]["explanation"]
    assert geo.iloc[0]["group_id"] == figures.set_index("figure_id").at["named", "group_id"] != ""  # its claim group


def test_a_group_decision_is_stored_shown_and_applied_to_its_conflicts(tmp_path):
    figures, groups, conflicts = claims(*seventeen_against_sixty(), store_dir=tmp_path)
    result = AuditResult(articles=pd.DataFrame(), figures=figures, groups=groups, conflicts=conflicts,
                         errors=pd.DataFrame(), out_dir=tmp_path)
    gid = groups.iloc[0]["group_id"]
    review_group(result, gid, "dismissed", "AP's early toll, superseded")
    assert result.groups.at[0, "decision"] == "dismissed"
    _, groups2, conflicts2 = claims(*seventeen_against_sixty(), store_dir=tmp_path)
    assert (groups2.iloc[0]["decision"], groups2.iloc[0]["decision_note"]) == ("dismissed", "AP's early toll, superseded")
    assert conflicts2.iloc[0]["decision"] == "dismissed"
    assert "group decision" in conflicts2.iloc[0]["note"]


def test_a_group_decision_follows_its_figures_when_the_group_id_changes(tmp_path):
    _, groups, _ = claims(*seventeen_against_sixty(), store_dir=tmp_path)
    ReviewStore(tmp_path).record_group("g-old-id", "confirmed", "checked", figures=["ap", "o1", "o2"])
    _, again, _ = claims(*seventeen_against_sixty(), store_dir=tmp_path)
    assert again.iloc[0]["decision"] == "confirmed"
    stored = ReviewStore(tmp_path).group_decisions().set_index("group_id")
    assert stored.at["g-old-id", "orphaned"] == 0


def test_old_pair_decisions_are_migrated_to_the_outliers_row_never_lost(tmp_path):
    from auditor._claim_rules import stable_id

    old_pair = stable_id("c", "ap", "o3")  # an id of the pairwise design: AP against the BBC
    ReviewStore(tmp_path).record(old_pair, "dismissed", "AP counted the first bodies only",
                                 {"figure_a": "ap", "figure_b": "o3"})
    _, _, conflicts = claims(*seventeen_against_sixty(), store_dir=tmp_path)
    row = conflicts.iloc[0]
    assert row["decision"] == "dismissed" and "AP counted the first bodies only" in row["note"]
    assert old_pair in row["note"]
    assert old_pair in set(ReviewStore(tmp_path).decisions()["conflict_id"])


# --- end to end: six kinds of event, the conflicts that must be found and the pairs that must not ------





def find(result, article_id, text):
    figures = result.figures[(result.figures["article_id"] == article_id)
                             & result.figures["surface"].str.contains(text, case=False, regex=False)]
    assert len(figures) >= 1, f"{article_id}: no figure {text!r} in {list(result.figures['surface'])}"
    return set(figures["figure_id"])


def flagged(result, relation=None):
    rows = result.conflicts if relation is None else result.conflicts[result.conflicts["relation"] == relation]
    return [frozenset({a, b} - {""}) for a, b in zip(rows["figure_a"], rows["figure_b"])]


def involves(pairs, ids_a, ids_b=None):
    return any(p & ids_a and (ids_b is None or p & ids_b) for p in pairs)


def test_bombing_with_a_rising_toll(corpus_audit):
    r = corpus_audit("bombing")
    only85 = find(r, "hiiraan-2017-10-15", "85")
    pairs = flagged(r)
    assert len(pairs) == 1 and involves(pairs, only85)  # the government's 85 against the day's consensus
    early, later = find(r, "ap-2017-10-14", "20"), find(r, "bbc-2017-10-16", "276")
    assert not involves(pairs, early) and not involves(pairs, later)  # a new toll is an update
    war = find(r, "reuters-2017-10-15", "4,000")
    civilians = find(r, "garowe-2017-10-15", "150")
    other_attack = find(r, "shabelle-2017-10-16", "five")
    for must_not in (war, civilians, other_attack):
        assert not involves(pairs, must_not)


def test_airstrike_tallies(corpus_audit):
    r = corpus_audit("airstrikes")
    pairs = flagged(r)
    assert len(pairs) == 1 and involves(pairs, find(r, "xinhua-2015-05-11", "12"))
    assert not involves(pairs, find(r, "reuters-2015-05-12", "45"))  # Tuesday's tally is another count
    assert not involves(pairs, find(r, "masirah-2015-05-11", "2,000"))  # a campaign total


def test_siege_population(corpus_audit):
    r = corpus_audit("siege")
    pairs = flagged(r)
    assert len(pairs) == 1 and involves(pairs, find(r, "blog-2022-04-07", "10,000"))
    assert not involves(pairs, find(r, "blog-2022-04-07", "300,000"))  # the province is another quantity


def test_displacement_wave(corpus_audit):
    r = corpus_audit("displacement")
    pairs = flagged(r)
    assert len(pairs) == 1 and involves(pairs, find(r, "army-2025-04-14", "40,000"))
    assert not involves(pairs, find(r, "iom-2025-04-20", "450,000"))  # a later, higher count
    assert not involves(pairs, find(r, "iom-2025-04-20", "12 million"))  # the war's total
    assert not involves(pairs, find(r, "iom-2025-04-14", "16,000"))  # households


def test_force_sizes(corpus_audit):
    r = corpus_audit("forces")
    pairs = flagged(r)
    assert len(pairs) == 1 and involves(pairs, find(r, "blog-2024-07-19", "4,000"))
    assert not involves(pairs, find(r, "un-2024-07-20", "12,000"))  # gang members are not the police


def test_distances_and_the_geography_check(corpus_audit):
    r = corpus_audit("geography")
    ten = find(r, "reuters-2023-05-21", "10 km")
    assert involves(flagged(r, "geography"), ten)
    assert involves(flagged(r, "same"), ten, find(r, "ap-2023-05-20", "35"))
    villages = find(r, "kyiv-2023-05-22", "10 km")  # "villages 10 km west of Avdiivka": no town pair
    assert not involves(flagged(r), villages)
    assert not involves(flagged(r), find(r, "kyiv-2023-05-22", "15"))  # 14 and about 15 agree
    assert len(flagged(r)) == 2

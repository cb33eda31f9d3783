"""Incidents: which reports are about one event (place hierarchy, dates, words), their ids, labels and blocks."""

import random

import pandas as pd

from auditor.claims import blocking_keys, build_claims
from conftest import make_figure_row as fig
from conftest import make_figures_frame


def claims(*rows):
    return build_claims(make_figures_frame(list(rows)), pd.DataFrame())


def incident_of(figures, figure_id):
    return figures.set_index("figure_id").at[figure_id, "incident_id"]


def report(figure_id, value, outlet, location, published, sentence="", **fields):
    fields.setdefault("category", "killed")
    return fig(figure_id, figure_id.upper(), value, outlet=outlet, location=location, published=published,
               sentence=sentence, **fields)


KHAN = dict(admin1="Idlib province", country="SY")


def test_town_province_and_country_reports_of_one_attack_are_one_incident():
    figures, groups, _ = claims(
        report("town", 72, "AFP", "Khan Shaykhun", "2017-04-05", event_date="2017-04-04", **KHAN),
        report("province", 70, "SANA", "Idlib province", "2017-04-05", event_date="2017-04-04",
               admin1="Idlib province", country="SY"),
        report("country", 58, "BBC", "Syria", "2017-04-04", event_date="2017-04-04", country="SY"),
    )
    assert len({incident_of(figures, f) for f in ("town", "province", "country")}) == 1
    labels = set(groups["incident_label"])
    assert labels == {"killed · Khan Shaykhun · 2017-04-04"}


def test_a_province_report_does_not_join_a_town_of_another_province():
    figures, _, _ = claims(
        report("idlib", 72, "AFP", "Khan Shaykhun", "2017-04-05", event_date="2017-04-04", **KHAN),
        report("hama", 20, "SANA", "Hama province", "2017-04-05", event_date="2017-04-04", country="SY"),
    )
    assert incident_of(figures, "idlib") != incident_of(figures, "hama")


def test_different_attacks_in_one_city_within_three_days_are_different_incidents():
    # Event dates from the text: Kharkiv market shelling on the 1st, a strike on a school on the 3rd.
    figures, _, conflicts = claims(
        report("market", 10, "Ukrainska Pravda", "Kharkiv", "2022-03-01", event_date="2022-03-01", country="UA"),
        report("school", 5, "Reuters", "Kharkiv", "2022-03-03", event_date="2022-03-03", country="UA"),
    )
    assert incident_of(figures, "market") != incident_of(figures, "school")
    assert conflicts.empty


def test_without_event_dates_the_words_tell_two_attacks_apart():
    market = "Russian shelling of the central market in Kharkiv killed ten shoppers, the regional governor said."
    market2 = "Ten shoppers died when Russian shells hit the central market in Kharkiv, the governor said."
    school = "A missile strike destroyed a school dormitory in Kharkiv overnight, killing five teachers."
    figures, _, _ = claims(
        report("market", 10, "Ukrainska Pravda", "Kharkiv", "2022-03-01", sentence=market),
        report("market2", 10, "Kyiv Independent", "Kharkiv", "2022-03-01", sentence=market2),
        report("school", 5, "Reuters", "Kharkiv", "2022-03-01", sentence=school),
    )
    assert incident_of(figures, "market") == incident_of(figures, "market2")
    assert incident_of(figures, "school") != incident_of(figures, "market")


def test_linked_incidents_hold_no_words_once_linked():
    from auditor._claim_rules import load_config, prepare
    from auditor.incidents import block_keys, link_incidents

    market = "Russian shelling of the central market in Kharkiv killed ten shoppers, the regional governor said."
    market2 = "Ten shoppers died when Russian shells hit the central market in Kharkiv, the governor said."
    config = load_config()
    prep = prepare(make_figures_frame([report("market", 10, "Ukrainska Pravda", "Kharkiv", "2022-03-01",
                                              sentence=market),
                                       report("market2", 10, "Kyiv Independent", "Kharkiv", "2022-03-01",
                                              sentence=market2)]), config)
    incidents = link_incidents(prep, block_keys(prep, config), config)
    assert [sorted(inc.rows) for inc in incidents] == [[0, 1]]  # linked by their words
    assert all(not inc.profiles for inc in incidents)  # the word sets are not held into the later stages


def test_a_different_day_is_another_strike_tally():
    figures, _, conflicts = claims(
        report("mon", 30, "AP", "Sanaa", "2015-05-11", category="airstrikes", event_date="2015-05-11"),
        report("tue", 45, "Reuters", "Sanaa", "2015-05-12", category="airstrikes", event_date="2015-05-12"),
    )
    assert incident_of(figures, "mon") != incident_of(figures, "tue")
    assert conflicts.empty


def test_a_siege_is_one_incident_over_its_window_but_a_province_is_another_quantity():
    figures, _, conflicts = claims(
        report("un", 100_000, "UN", "Mariupol", "2022-04-05", category="trapped", qualifier="approximate",
               event_date="2022-04-05", admin1="Donetsk Oblast", country="UA"),
        report("blog", 10_000, "Blog", "Mariupol", "2022-04-08", category="trapped", event_date="2022-04-08",
               admin1="Donetsk Oblast", country="UA"),
        report("oblast", 300_000, "Kyiv Post", "Donetsk Oblast", "2022-04-06", category="trapped",
               qualifier="more_than", country="UA"),
    )
    assert incident_of(figures, "un") == incident_of(figures, "blog")
    assert incident_of(figures, "oblast") != incident_of(figures, "un")
    assert set(conflicts["figure_a"]) | set(conflicts["figure_b"]) == {"un", "blog"}


def test_cumulative_totals_never_share_an_incident_with_one_attack():
    figures, _, conflicts = claims(
        report("attack", 56, "AP", "Aleppo", "2016-11-20", subject="civilians"),
        report("war", 280_000, "Reuters", "Aleppo", "2016-11-20", qualifier="more_than", scope="cumulative"),
    )
    assert incident_of(figures, "attack") != incident_of(figures, "war")
    assert conflicts.empty


def test_empty_place_fields_fall_back_to_the_gazetteer_and_publication_dates():
    figures, groups, _ = claims(
        report("a", 30, "AP", "Mogadishu", "2017-10-15"), report("b", 31, "BBC", "Mogadishu", "2017-10-15"),
    )
    assert incident_of(figures, "a") == incident_of(figures, "b")
    assert groups.iloc[0]["incident_label"] == "killed · Mogadishu · 2017-10-15"


def test_incident_ids_survive_row_order_and_unrelated_reports():
    rows = [report("a", 30, "AP", "Maiduguri", "2020-11-29"), report("b", 43, "BBC", "Maiduguri", "2020-11-29")]
    first, _, _ = claims(*rows)
    second, _, _ = claims(*reversed(rows), report("z", 7, "AFP", "Goma", "2020-11-29"))
    assert incident_of(first, "a") == incident_of(second, "a") == incident_of(second, "b")


def test_two_events_of_one_kind_place_and_day_take_ids_decided_by_their_smallest_figure_id():
    """Two separate attacks in one town on one day (words apart) share the plain id: the incident whose
    smallest figure id comes first keeps it, the other's carries its smallest figure id, in any row order."""
    market = "A suicide bomber struck the crowded fish market in Maiduguri, killing twelve traders, police said."
    market2 = "Twelve traders died when a suicide bomber struck the crowded fish market in Maiduguri, police said."
    convoy = "Insurgents ambushed an army supply convoy on the Damboa road overnight and nine soldiers were killed."
    rows = [report("m2", 12, "AP", "Maiduguri", "2021-06-14", market2, country="NG"),
            report("c1", 9, "BBC", "Maiduguri", "2021-06-14", convoy, country="NG"),
            report("m1", 12, "AFP", "Maiduguri", "2021-06-14", market, country="NG")]
    forward, _, _ = claims(*rows)
    backward, _, _ = claims(*reversed(rows))
    for figures in (forward, backward):
        assert incident_of(figures, "m1") == incident_of(figures, "m2") != incident_of(figures, "c1")
    assert incident_of(forward, "c1") == incident_of(backward, "c1")
    assert incident_of(forward, "m1") == incident_of(backward, "m1")


def test_tied_ids_go_to_all_but_the_first_by_smallest_figure_id_and_never_to_a_loose_incident():
    import numpy as np

    from auditor.incidents import tied_ids

    plain = np.array([b"iA", b"iB", b"iA", b"iA", b"iC", b"iC"])
    min_ids = ["f3", "f1", "f2", "f2", "z9", "a0"]
    loose = np.array([False, False, False, False, True, True])
    # iA: "f2" (row 2, before row 3 of the same smallest id) keeps it; iC: both loose, neither tied
    assert tied_ids(plain, min_ids, loose).tolist() == [True, False, False, True, False, False]


def _random_figures(n, seed=3):
    rng = random.Random(seed)
    towns = [("Kharkiv", "Kharkiv Oblast", "UA"), ("Izium", "Kharkiv Oblast", "UA"), ("Goma", "North Kivu", "CD"),
             ("Mogadishu", "Banadir", "SO"), ("Kharkiv Oblast", "Kharkiv Oblast", "UA"), ("Ukraine", "", "UA")]
    rows = []
    for i in range(n):
        town, admin1, country = rng.choice(towns)
        day = f"2022-03-{rng.randint(1, 28):02d}"
        rows.append(fig(f"f{i:04d}", f"A{i // 3}", rng.choice([5, 10, 12, 40]), location=town, admin1=admin1,
                        country=country, published=day, outlet=rng.choice(["AP", "BBC", "AFP", "Reuters"]),
                        category=rng.choice(["killed", "trapped", "airstrikes"]),
                        event_date=day if rng.random() < 0.5 else "",
                        sentence=rng.choice(["Shelling hit the market.", "A strike hit a school.", ""])))
    return make_figures_frame(rows)


def test_no_incident_spans_two_blocking_keys_and_blocks_can_be_built_apart():
    frame = _random_figures(300)
    keys = blocking_keys(frame)
    assert keys.index.equals(frame.index) and keys.nunique() > 3
    figures, groups, conflicts = build_claims(frame, pd.DataFrame())
    per_incident = pd.DataFrame({"incident": figures["incident_id"], "key": keys.values})
    assert per_incident.groupby("incident")["key"].nunique().max() == 1
    apart = [build_claims(part, pd.DataFrame()) for _, part in frame.groupby(keys.values)]
    together = figures.set_index("figure_id")["group_id"]
    split = pd.concat([f.set_index("figure_id")["group_id"] for f, _, _ in apart])
    assert split.sort_index().equals(together.sort_index())
    assert sorted(pd.concat([c for _, _, c in apart])["conflict_id"]) == sorted(conflicts["conflict_id"])


_LINK_DIGEST = """
import hashlib, sys
import pandas as pd
sys.path.insert(0, sys.argv[1])
from bench_claims import synthetic
from auditor.claims import build_claims
figures, groups, conflicts = build_claims(synthetic(10_000), pd.DataFrame())
table = figures[["figure_id", "incident_id", "group_id"]].to_csv(index=False) + groups.to_csv(index=False)
print(hashlib.sha256(table.encode()).hexdigest(), len(groups), len(conflicts))
"""


def test_the_same_figures_link_the_same_way_whatever_the_hash_seed():
    """Incidents, groups and conflicts do not depend on Python's string-hash seed (set order): 10,000
    synthetic reports with near-tied undated links, built under two seeds that once disagreed."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    benchmarks = Path(__file__).resolve().parents[1] / "benchmarks"
    digests = set()
    for seed in ("1", "2"):
        done = subprocess.run([sys.executable, "-c", _LINK_DIGEST, str(benchmarks)], check=True, text=True,
                              capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed})
        digests.add(done.stdout.strip())
    assert len(digests) == 1, digests


def test_blocking_keys_are_runs_of_dates_and_undated_reports_join_the_largest_run():
    """Keys from key parts: a run of dates is cut where a gap passes the window; undated reports join
    the run with the most reports (the earliest of equals); no window, or no dated report, is one key;
    a report keyed alone keeps its own key. The rows of the prefixes are interleaved on purpose."""
    import numpy as np

    from auditor._claim_rules import load_config
    from auditor.incidents import keys_of_parts

    nan = float("nan")
    rows = [  # (alone, prefix, day, window); days since 1970
        ("", "killed|incident|UA", 0, 3), ("", "siege|incident|SD", 5, 1),
        ("", "killed|incident|UA", 10, 3), ("distance|a|b", "", nan, nan),
        ("", "killed|incident|UA", 2, 3), ("", "killed|incident|UA", nan, 3),
        ("", "siege|incident|SD", nan, 1), ("", "siege|incident|SD", 8, 1),
        ("", "killed|incident|UA", 11, 3), ("", "killed|incident|UA", 1, 3),
        ("", "distance-like|incident|MM", 40, nan), ("", "killed|incident|ET", nan, 3),
        ("", "siege|incident|SD", 6, 1), ("", "siege|incident|SD", 9, 1),  # a gap of the window joins
    ]
    parts = pd.DataFrame(rows, columns=["alone", "prefix", "day", "window"])
    parts["alone"] = parts["alone"].astype("str")
    parts["prefix"] = pd.Categorical(parts["prefix"])
    keys = keys_of_parts(parts, load_config()).astype(str).tolist()
    assert keys == [
        "killed|incident|UA|1970-01-01", "siege|incident|SD|1970-01-06",
        "killed|incident|UA|1970-01-11", "distance|a|b",
        "killed|incident|UA|1970-01-01", "killed|incident|UA|1970-01-01",  # undated: the run of 3, not of 2
        "siege|incident|SD|1970-01-06", "siege|incident|SD|1970-01-09",  # undated: of two runs of 2, the earlier
        "killed|incident|UA|1970-01-11", "killed|incident|UA|1970-01-01",
        "distance-like|incident|MM|all", "killed|incident|ET|all",
        "siege|incident|SD|1970-01-06", "siege|incident|SD|1970-01-09",
    ]
    # Prepared in shares whose rows interleave and put back in row order: the same keys
    shares = [np.array([0, 3, 4, 9]), np.array([1, 2, 5, 6, 7, 8, 10, 11, 12, 13])]
    from auditor.claims import _in_row_order

    pieces = [parts.iloc[share].reset_index(drop=True) for share in shares]
    for piece in pieces:
        piece["prefix"] = piece["prefix"].cat.remove_unused_categories()
    assert keys_of_parts(_in_row_order(iter(pieces), shares), load_config()).astype(str).tolist() == keys


def test_reports_are_swept_by_day_then_figure_id_then_row_with_undated_last():
    """The sweep order decides which incident a report joins when two fit equally, so it must not depend
    on how the ids are spelled: ids with accents, other scripts and characters outside the Basic
    Multilingual Plane order by code point, as Python compares them; equal ids keep their rows' order."""
    from auditor._claim_rules import load_config
    from auditor.incidents import Sweep

    sweep = Sweep(load_config(), "killed", "incident", loose=False)
    rng = random.Random(11)
    letters = ["a", "B", "é", "Ö", "ж", "ب", "日", "𝄞", "-", "~", "0"]
    for _ in range(300):
        rows = sorted(rng.sample(range(500), rng.randint(1, 40)))
        days = [rng.choice([float("nan"), -2.0, 0.0, 17532.0, 17532.5, 17533.0]) for _ in rows]
        ids = ["".join(rng.choice(letters) for _ in range(rng.randint(0, 3))) for _ in rows]
        expected = [row for *_, row in sorted((day != day, day if day == day else 0.0, fid, row)
                                              for row, day, fid in zip(rows, days, ids))]
        assert sweep.order(rows, days, ids).tolist() == expected
    one_incident = Sweep(load_config(), "killed", "incident", loose=True)
    assert one_incident.order([4, 9, 2], [3.0, 1.0, 2.0], ["c", "b", "a"]).tolist() == [4, 9, 2]

"""The prepared figure table the claim stages read: plain columns, one string per distinct value."""

import math

import numpy as np
import pandas as pd

from auditor._claim_rules import load_config, prepare
from conftest import make_figure_row as fig
from conftest import make_figures_frame


def _frame():
    rows = [
        fig("f1", "a1", 12, outlet="Radio Dabanga", published="2024-06-05T09:30:00Z", location="El Fasher"),
        fig("f2", "a2", 15, outlet="Sudan Tribune", published="2024-06-05", location="El Fasher"),
        fig("f3", "a3", 14, outlet="Radio Dabanga", published="2024-06-06", location="Omdurman"),
        fig("f4", "a4", 9, outlet="", published="not a date", location="Omdurman"),
    ]
    frame = make_figures_frame(rows)
    frame["outlet"] = pd.array(["Radio Dabanga", "Sudan Tribune", "Radio Dabanga", None], dtype="str")
    return frame


def test_text_columns_are_plain_strings_with_missing_as_empty():
    prep = prepare(_frame(), load_config())
    assert prep.col["outlet"] == ["Radio Dabanga", "Sudan Tribune", "Radio Dabanga", ""]
    assert prep.col["location"] == ["El Fasher", "El Fasher", "Omdurman", "Omdurman"]
    assert all(type(v) is str for v in prep.col["outlet"] + prep.col["published"])


def test_a_repeated_value_is_one_string_object():
    prep = prepare(_frame(), load_config())
    assert prep.col["outlet"][0] is prep.col["outlet"][2]
    assert prep.col["location"][2] is prep.col["location"][3]


def test_object_columns_with_other_types_become_text():
    frame = _frame()
    frame["outlet"] = pd.Series(["Radio Dabanga", 7, None, np.nan], dtype=object)
    prep = prepare(frame, load_config())
    assert prep.col["outlet"] == ["Radio Dabanga", "7", "", ""]


def test_publication_days_read_the_date_part_once_per_written_value():
    prep = prepare(_frame(), load_config())
    first, second, third, undated = prep.pub_day
    assert first == second == third - 1
    assert math.isnan(undated)

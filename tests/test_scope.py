"""Scope (incident / cumulative / historical) and event dates: every example of scope.yaml, and a few more."""

from __future__ import annotations

import pytest

from auditor.knowledge import load_table
from auditor.scope import find_dates, read_scope

_TABLE = load_table("scope.yaml")


def _examples():
    for section in ("cumulative", "incident_overrides", "historical"):
        for rule in _TABLE.get(section) or []:
            for example in rule["examples"]:
                yield pytest.param(example, id=f"{rule['id']}:{example['figure']}")
    for example in _TABLE["dates"]["examples"]:
        yield pytest.param(example, id=f"date:{example['text'][:30]}")


@pytest.mark.parametrize("example", list(_examples()))
def test_rule_examples(example):
    text, figure = example["text"], example["figure"]
    start = text.index(figure)
    published = str(example.get("published") or "2024-06-01")
    got = read_scope(text, start, start + len(figure), published)
    if "scope" in example:
        assert got.scope == example["scope"], got
    if "event_date" in example:
        assert got.event_date == (str(example["event_date"]) if example["event_date"] else ""), got


def test_two_figures_in_one_sentence_take_their_own_clause_dates():
    text = ("Two years after a Russian missile killed 61 people at Kramatorsk station on 8 April 2022, the city was "
            "struck again on Monday, when a strike wounded eight people, police said.")
    old = read_scope(text, text.index("61"), text.index("61") + 2, "2024-04-08")
    new = read_scope(text, text.index("eight"), text.index("eight") + 5, "2024-04-08")
    assert (old.scope, old.event_date) == ("historical", "2022-04-08")
    assert (new.scope, new.event_date) == ("incident", "2024-04-08")


def test_no_publication_date_leaves_weekdays_unresolved():
    text = "Gunmen killed 9 people in Zamfara on Tuesday."
    assert read_scope(text, text.index("9"), text.index("9") + 1, "").event_date == ""


def test_last_weekday_is_the_week_before():
    (found,) = find_dates("the attack last Sunday", "2024-05-19")
    assert found.day.isoformat() == "2024-05-12"


def test_identifiers_are_not_years():
    assert find_dates("under Resolution 2254 the council", "2024-05-19") == []

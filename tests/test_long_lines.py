"""Long lines with no full stop (transcripts, flattened lists and tables, pasted PDFs): cut into sentence-sized
pieces at clause boundaries (``data/long_sentences.yaml``), so that each figure is read against its own clause
and the run stays linear; every span still points into the original text, and normal sentences are never cut."""

from __future__ import annotations

from importlib import resources

import pytest

from auditor.extract import extract_figures
from auditor.knowledge import parse_yaml
from auditor.sentences import _rules, cut_spans, split_sentences

_DATA = parse_yaml((resources.files("auditor") / "data" / "long_sentences.yaml").read_text(encoding="utf-8"))
_LONGEST = _DATA["max_sentence_chars"]
_PIECE = _DATA["max_piece_chars"]

# Reports from many conflicts, each with one figure, its source and its place (as read with a full stop).
_REPORTS = [
    ("Police in Maiduguri said 14 people were killed when a suicide bomber struck a crowded market",
     "14", "killed", "police", "Maiduguri"),
    ("Ukrainian officials said 9 civilians were killed in a Russian missile strike on Kharkiv",
     "9", "killed", "Ukrainian officials", "Kharkiv"),
    ("At least 23 people were wounded in shelling in El Fasher, the Sudan Doctors Network said",
     "At least 23", "wounded", "Sudan Doctors Network", "El Fasher"),
    ("The Gaza health ministry said 41 Palestinians were killed in Israeli strikes on Rafah",
     "41", "killed", "Gaza health ministry", "Rafah"),
    ("Gunmen killed 12 villagers in Zamfara state, a local official told Reuters",
     "12", "killed", "local official", "Zamfara"),
    ("Culiacán mayor José Ramón Pérez said 8 people were killed in a shootout in Culiacán",
     "8", "killed", "José Ramón Pérez", "Culiacán"),
    ("More than 3,000 families have fled fighting in Sittwe, the United Nations said",
     "More than 3,000", "displaced", "UN", "Sittwe"),
    ("An al-Shabaab car bomb killed 18 people in Mogadishu, police spokesman Abdifatah Aden Hassan said",
     "18", "killed", "Abdifatah Aden Hassan", "Mogadishu"),
    ("Kherson governor Олександр Прокудін said 2 civilians were killed in Kherson",
     "2", "killed", "Олександр Прокудін", "Kherson Oblast"),
    ("Civil defence spokesman Mahmoud Bassal (محمود بصل) said 20 people were killed in Khan Younis",
     "20", "killed", "Mahmoud Bassal", "Khan Younis"),
    ("Houthi-run media said 11 people were killed in airstrikes on Hodeidah",
     "11", "killed", "Houthi-run media", "Hodeidah province"),
    ("M23 rebels killed at least 16 civilians near Goma, local authorities said",
     "at least 16", "killed", "local authorities", "Goma"),
    ("Taliban officials said 4 people were killed in a blast at a mosque in Kabul",
     "4", "killed", "Taliban officials", "Kabul"),
    ("The Ethiopian Human Rights Commission said 30 civilians were killed in Amhara",
     "30", "killed", "Ethiopian Human Rights Commission", "Amhara"),
    ("Łukasz Wróbel of Médecins Sans Frontières said 17 patients were wounded in Wad Madani",
     "17", "wounded", "Łukasz Wróbel", "Wad Madani"),
    ("Gang violence displaced some 5,000 people in Port-au-Prince last week, the IOM said",
     "some 5,000", "displaced", "IOM", "Port-au-Prince"),
]
_ROUNDS = 4  # the reports, over and over in a different order: ~5,500 characters, well over max_sentence_chars


def _long_line(join: str, speakers: bool = False) -> tuple[str, list[tuple[int, tuple]]]:
    """The reports joined into one text without a full stop, and where each report starts in it."""
    parts, starts, at = [], [], 0
    for round_ in range(_ROUNDS):
        for i in range(len(_REPORTS)):
            report = _REPORTS[(i * 7 + round_ * 3) % len(_REPORTS)]
            text = (("REPORTER: ", "ANCHOR: ", "WITNESS: ")[i % 3] + report[0]) if speakers else report[0]
            if parts:
                at += len(join)
            parts.append(text)
            starts.append((at + text.index(report[0]), report))
            at += len(text)
    return join.join(parts), starts


_CLASSES = {
    "comma-joined": ", ",
    "dash-joined": " - ",
    "bulleted": " • ",
    "semicolon-joined": "; ",
    "table cells": " | ",
}


def _check_spans(text: str, figures) -> None:
    for f in figures:
        assert text[f.start:f.end] == f.surface
        assert text[f.sentence_start:f.sentence_end] == f.sentence
        assert f.sentence_start <= f.start < f.end <= f.sentence_end


def _check_reports(text: str, starts: list[tuple[int, tuple]], places: float) -> None:
    """Every report's figure is found with its category and source, in a piece no longer than a real sentence;
    at least the share ``places`` of them with their place."""
    figures = extract_figures(text)
    _check_spans(text, figures)
    by_start = {f.start: f for f in figures}
    placed = 0
    for at, (report, surface, category, source, place) in starts:
        figure = by_start.get(at + report.index(surface))
        assert figure is not None, f"no figure {surface!r} in {report!r}"
        assert (figure.surface, figure.category, figure.source) == (surface, category, source), figure.sentence
        assert len(figure.sentence) <= _PIECE
        placed += figure.location == place
    assert placed >= places * len(starts), f"{placed} of {len(starts)} reports with their place"


# With a full stop between them, 61 of the 64 reports (95%) get their place (the others: the article's main
# place wins over "Maiduguri"). A place right before a capitalised word, with only a space, a spaced dash or
# one line break between, is read by the gazetteer as the start of a longer name ("Culiacán - Taliban officials",
# "Hodeidah ANCHOR"), as in any text: a quarter of the places of dash-joined and unpunctuated runs are lost so.
@pytest.mark.parametrize(("name", "places"), [("comma-joined", 0.9), ("bulleted", 0.9), ("semicolon-joined", 0.9),
                                              ("table cells", 0.9), ("dash-joined", 0.65)])
def test_reports_joined_without_full_stops_keep_their_figures_sources_and_places(name, places):
    text, starts = _long_line(_CLASSES[name])
    assert "." not in text and len(text) > 2 * _LONGEST
    _check_reports(text, starts, places)


def test_an_unpunctuated_transcript_keeps_its_figures_and_sources():
    text, starts = _long_line(" ", speakers=True)
    assert "." not in text and "," in text  # (commas inside some reports, none between them)
    _check_reports(text, starts, places=0.65)
    assert all(s.text.startswith(("REPORTER: ", "ANCHOR: ", "WITNESS: ")) for s in split_sentences(text))


def test_lines_without_full_stops_are_sentences_of_their_own():
    text, starts = _long_line("\n")
    _check_reports(text, starts, places=0.75)
    assert [s.text for s in split_sentences(text)] == text.split("\n")


def test_pieces_cover_the_line_with_exact_offsets_and_one_paragraph():
    line, _ = _long_line(" • ")
    text = "Headline of a live page\n\n  " + line + "  \nA last line."
    sentences = split_sentences(text)
    pieces = [s for s in sentences if s.paragraph == 1]
    assert len(pieces) > len(line) // _PIECE
    assert all(text[s.start:s.end] == s.text == s.text.strip() and len(s.text) <= _PIECE for s in pieces)
    assert [s.text for s in sentences if s.paragraph != 1] == ["Headline of a live page", "A last line."]
    # what lies between two pieces is whitespace and the separator, nothing else
    for a, b in zip(pieces, pieces[1:]):
        assert text[a.end:b.start].strip() in ("", "•")
    assert pieces[0].start == text.index(line) and pieces[-1].end == text.index(line) + len(line)


def test_a_sentence_up_to_the_limit_is_never_cut():
    clause = "Militia fighters attacked the village of Ngala and killed 7 herders, local officials said, "
    sentence = (clause * (_LONGEST // len(clause)))[:_LONGEST].rstrip(", ") + "."
    assert len(sentence) <= _LONGEST
    text = "Witnesses described the raid. " + sentence + " Residents fled."
    assert [s.text for s in split_sentences(text)] == ["Witnesses described the raid.", sentence, "Residents fled."]
    longer = sentence[:-1] + ", " + clause * 2
    assert len(split_sentences(longer)) > 1


def test_a_run_without_any_space_is_cut_at_the_piece_length():
    text = "x" * 5000 + " 12 people were killed"
    spans = cut_spans(text, 0, len(text), _PIECE, _rules().clause_boundaries)
    assert all(0 < b - a <= _PIECE for a, b in spans)
    assert "".join(text[a:b] for a, b in spans).replace(" ", "") == text.replace(" ", "")


def _examples():
    for boundary in _DATA["boundaries"]:
        for example in boundary["examples"]:
            yield pytest.param(boundary, example, id=boundary["id"])


@pytest.mark.parametrize(("boundary", "example"), list(_examples()))
def test_boundary_examples(boundary, example):
    text, longest = example["text"], example["max_piece_chars"]
    boundaries = _rules().clause_boundaries
    pieces = [text[a:b] for a, b in cut_spans(text, 0, len(text), longest, boundaries)]
    assert pieces == example["pieces"]
    without = tuple(pair for pair in boundaries if pair[0].pattern != boundary["pattern"])
    assert len(without) == len(boundaries) - 1
    assert [text[a:b] for a, b in cut_spans(text, 0, len(text), longest, without)] != pieces


def _cut_between(text: str, sentences) -> list[str]:
    """What lies on either side of each cut inside a line: ``"left|right"``."""
    return [text[a.end - 1] + "|" + text[b.start] for a, b in zip(sentences, sentences[1:]) if a.paragraph == b.paragraph]


def test_a_long_run_is_never_cut_next_to_a_number():
    # no clause boundary at all: the pieces end at whitespace, but not inside "12 000" / "4 500" (thousands
    # separated by a no-break space) nor between a number and its noun ("12 | killed" lost the category)
    for join in (" 🔥 ", "\xa0", "\t", " "):
        text = join.join(["12 killed in the camp", "4\xa0500 displaced from the town"] * 200)
        sentences = split_sentences(text)
        assert len(sentences) > len(text) // _PIECE
        cuts = _cut_between(text, sentences)
        assert not [c for c in cuts if c[0].isdigit() or c[-1].isdigit()], (repr(join), cuts[:5])
    text = " 🔥 ".join(["12 killed in the camp"] * 300)
    assert [(f.surface, f.category) for f in extract_figures(text)] == [("12", "killed")] * 300


def test_a_run_without_spaces_is_cut_after_punctuation_not_inside_a_word_or_number():
    # CJK text, a URL, a base64 blob: no whitespace for thousands of characters
    cjk = "在喀布尔的爆炸中有12人死亡，30人受伤，" * 200
    sentences = split_sentences(cjk)
    assert len(sentences) > len(cjk) // _PIECE and all(s.text.endswith("，") for s in sentences)
    one = [f.surface for f in extract_figures("在喀布尔的爆炸中有12人死亡，30人受伤，")]
    assert one and [f.surface for f in extract_figures(cjk)] == one * 200  # (no "1" or "2" from a cut "12")
    blob = "".join(f"Qm{i:04d}xZ+/Kp" for i in range(600))  # (digits inside every token)
    url = "https://example.org/archive/" + "/".join(f"report{i}" for i in range(800))
    for text in (blob, url):
        pieces = split_sentences(text)
        assert len(pieces) > len(text) // _PIECE
        assert all(c[0] in "+/" for c in _cut_between(text, pieces)), _cut_between(text, pieces)[:5]
        assert [f.surface for f in extract_figures(text + " and 12 people were killed")] == ["12"]

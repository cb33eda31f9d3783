"""Sentence splitting: exact offsets, abbreviations that must not split, page furniture flagged."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.sentences import is_boilerplate, paragraph_spans, split_sentences

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _seed(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def _texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def _flag(text: str, sentence_text: str) -> bool:
    (flag,) = {s.boilerplate for s in split_sentences(text) if s.text == sentence_text}
    return flag


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_offsets_are_exact_stripped_and_in_order(prefix):
    text = _seed(prefix)
    sentences = split_sentences(text)
    assert len(sentences) > 10
    previous_end = 0
    for s in sentences:
        assert text[s.start:s.end] == s.text
        assert s.text and s.text == s.text.strip()
        assert s.start >= previous_end
        previous_end = s.end
    # every non-space character of the text belongs to a sentence
    covered = sum(len("".join(s.text.split())) for s in sentences)
    assert covered == len("".join(text.split()))


@pytest.mark.parametrize("text, expected", [
    ("Brig. Gen. Saad Maan Ibrahim said the forces advanced. The town fell.",
     ["Brig. Gen. Saad Maan Ibrahim said the forces advanced.", "The town fell."]),
    ("Mr. Smith met Dr. Jones and Sen. Graham. Lt. Col. Ali Capt. Omar Sgt. Hill attended.",
     ["Mr. Smith met Dr. Jones and Sen. Graham.", "Lt. Col. Ali Capt. Omar Sgt. Hill attended."]),
    ("Gov. Ahmed and Pres. Masum spoke with Prof. Hamid, Rep. King and Maj. Reed of St. Louis.",
     ["Gov. Ahmed and Pres. Masum spoke with Prof. Hamid, Rep. King and Maj. Reed of St. Louis."]),
    ("Martin Luther King Jr. Day passed. George W. Bush spoke.",
     ["Martin Luther King Jr. Day passed.", "George W. Bush spoke."]),
    ("The U.S. Marines and U.N. Humanitarian Coordinator Lise Grande arrived. U.K. troops stayed.",
     ["The U.S. Marines and U.N. Humanitarian Coordinator Lise Grande arrived.", "U.K. troops stayed."]),
    ("E.U. officials backed the U.S.-led coalition. It struck 20 targets.",
     ["E.U. officials backed the U.S.-led coalition.", "It struck 20 targets."]),
    ("The coalition was backed by the U.S. The group said 20 died.",
     ["The coalition was backed by the U.S.", "The group said 20 died."]),
    ("The attack on Jan. 5 and the one on Sept. 11 differ. Aug. 3 was calm.",
     ["The attack on Jan. 5 and the one on Sept. 11 differ.", "Aug. 3 was calm."]),
    ("It is the No. 2 official. No. The other one is.",
     ["It is the No. 2 official.", "No.", "The other one is."]),
    ("It was Iraq vs. Syria, e.g. in Baiji, i.e. the refinery. Fighting went on.",
     ["It was Iraq vs. Syria, e.g. in Baiji, i.e. the refinery.", "Fighting went on."]),
    ("The raid began at 5 a.m. local time and ended at 9 p.m. on Friday. The toll was 1.5 million dollars.",
     ["The raid began at 5 a.m. local time and ended at 9 p.m. on Friday.", "The toll was 1.5 million dollars."]),
    ("The raid ended at 9 p.m. Monday. It began at 5 a.m. The toll rose.",
     ["The raid ended at 9 p.m. Monday.", "It began at 5 a.m.", "The toll rose."]),
    ("Acme Corp. The firm paid $2.5 million.", ["Acme Corp.", "The firm paid $2.5 million."]),
])
def test_abbreviations_do_not_end_sentences(text, expected):
    assert _texts(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Is it over? Yes! It is.", ["Is it over?", "Yes!", "It is."]),
    ("“The enemy was defeated,” Maan said. “Dozens were killed.” The city fell.",
     ["“The enemy was defeated,” Maan said.", "“Dozens were killed.”", "The city fell."]),
    ('He said: "Dozens were killed." "It is over," he added.',
     ['He said: "Dozens were killed."', '"It is over," he added.']),
    ("Up to 200,000 people remain. 15 were killed.", ["Up to 200,000 people remain.", "15 were killed."]),
    ('"The evacuation is not compulsory ... If civilians stay ... they will be protected," said Grande.',
     ['"The evacuation is not compulsory ...', 'If civilians stay ... they will be protected," said Grande.']),
    ("The count (about 40.) was disputed. Later it rose.", ["The count (about 40.) was disputed.", "Later it rose."]),
    ("He left. and then he came back.", ["He left. and then he came back."]),
    ("قتل 15 شخصا. وأصيب 90 آخرون؟ نعم.", ["قتل 15 شخصا.", "وأصيب 90 آخرون؟", "نعم."]),
])
def test_sentence_boundaries(text, expected):
    assert _texts(text) == expected


def test_a_line_break_always_ends_a_paragraph_and_a_sentence():
    text = "  Keep up to date with the war in\r\nIraq, officials said 20 died\n\nThe end.  \n"
    sentences = split_sentences(text)
    assert [(s.text, s.paragraph) for s in sentences] == [
        ("Keep up to date with the war in", 0), ("Iraq, officials said 20 died", 1), ("The end.", 2)]
    assert paragraph_spans(text) == [(s.start, s.end) for s in sentences]


def test_seed_furniture_is_flagged_and_the_story_is_not():
    seed0, seed1, seed3, seed4 = _seed("000"), _seed("001"), _seed("003"), _seed("004")
    assert _flag(seed0, "Please let us know if you're having issues with commenting.")
    assert not _flag(seed0, "Baiji is home to Iraq’s largest oil refinery.")
    assert _flag(seed4, "0:00 0:02:08 0:00")
    for line in ("Accessibility links", "Breaking News", "please wait", "No media source currently available"):
        assert _flag(seed4, line), line
    assert not _flag(seed4, "Iraq has launched an offensive to retake territory lost to Islamic State insurgents.")
    assert not _flag(seed4, "Some material for this report came from Reuters.")  # attribution, not furniture
    # a newsletter box, including the line that continues its first sentence
    for line in ("Keep up to date with what’s happening in Turkey,", "it’s region and the world.",
                 "You can unsubscribe at any time.", "By signing up you are agreeing to our Terms of Use and Privacy Policy.",
                 "This site is protected by reCAPTCHA and the Google Privacy Policy and Terms of Service apply."):
        assert _flag(seed1, line), line
    assert not _flag(seed1, "ISIS holds about a third of Iraq and neighboring Syria in its self-declared caliphate.")
    # a blog's footer: everything after "Post a Comment" near the end
    for line in ("Post a Comment", "syria.suv@gmail.com", "Previous Post Next Post", "ADS",
                 "Ammar Johmani Magazine publisher News about syria and the world."):
        assert _flag(seed3, line), line
    story = [s for s in split_sentences(seed3) if "200,000" in s.text]
    assert len(story) == 1 and not story[0].boilerplate


@pytest.mark.parametrize("line", [
    "Share this article", "Advertisement", "ADVERTISEMENT", "Share on Facebook", "Skip to main content",
    "Read more: Iraq retakes Tikrit", "Sign up for our daily newsletter", "Follow us on Twitter",
    "Media playback is unsupported on your device", "1:02:33", "© 2017 Example News",
    "Copyright 2015 The Associated Press. All rights reserved.", "Terms of Use | Privacy Policy",
    "We use cookies to improve your experience.", "Comments are closed.", "12 Comments", "news@example.org",
    "https://example.com/story/123", "13 Tags", "Tags: Sudan, El Fasher, RSF", "5 min read", "By Ahmed Salim",
    "Reporting by Aidan Lewis and Nafisa Eltahir | Editing by Alex Richardson",
])
def test_common_page_furniture_is_recognised(line):
    assert is_boilerplate(line)


@pytest.mark.parametrize("line", [
    "Some material for this report came from Reuters.",
    "Advertisement revenue at state TV fell by 20 percent.",
    "Breaking News: 20 killed in Baghdad car bomb",
    "Copyright infringement claims rose to 300 last year.",
    "Share prices fell 5 percent after the attack.",
    "Register to vote by Oct. 5, officials said.",
    "Post a comment about the 12 wounded soldiers was removed by the page, its editor said.",
    "By Monday, 40 people had been killed in the clashes.",
    "By nightfall the toll had reached 12.",
    "13 tanks were destroyed near Avdiivka.",
])
def test_story_lines_that_resemble_furniture_are_kept(line):
    assert not is_boilerplate(line)


def test_page_end_marker_in_the_first_half_does_not_swallow_the_story():
    text = "Post a Comment\n" + "Thirty fighters were killed near Baiji on Monday, officials said.\n" * 5
    flags = [s.boilerplate for s in split_sentences(text)]
    assert flags == [True, False, False, False, False, False]


def test_front_matter_is_furniture_and_the_body_is_not():
    text = "---\ntitle: Baiji\npublished: 2015-06-14\n---\nTwenty fighters were killed. Ten fled.\n"
    sentences = split_sentences(text)
    assert [(s.text, s.boilerplate) for s in sentences] == [
        ("---", True), ("title: Baiji", True), ("published: 2015-06-14", True), ("---", True),
        ("Twenty fighters were killed.", False), ("Ten fled.", False)]


def test_sentences_are_built_as_the_dataclass_builds_them():
    """split_sentences fills each Sentence's fields directly: equal, hashed, shown, pickled and frozen alike."""
    import dataclasses
    import pickle

    from auditor.model import Sentence

    text = _seed("000") + "\nDr. Ali said 12 died. Then 3 more were hurt.\nShare this article"
    sentences = split_sentences(text)
    assert len(sentences) > 5 and any(s.boilerplate for s in sentences)
    for s in sentences:
        built = Sentence(s.start, s.end, s.text, s.paragraph, s.boilerplate)
        assert s == built and hash(s) == hash(built) and repr(s) == repr(built)
        assert dataclasses.asdict(s) == dataclasses.asdict(built)
        assert pickle.loads(pickle.dumps(s)) == built
        with pytest.raises(dataclasses.FrozenInstanceError):
            s.start = 0  # type: ignore[misc]


def test_paragraph_spans_are_the_stripped_lines():
    """Every non-empty line (str.splitlines() boundaries but \\x1c-\\x1e), stripped of str.strip()'s whitespace."""
    import random
    import re

    def stripped_lines(text):
        spans = []
        for m in re.finditer(r"[^\n\r\x0b\x0c\x85\u2028\u2029]+", text):
            line = m.group()
            if line.strip():
                start = m.start() + len(line) - len(line.lstrip())
                spans.append((start, start + len(line.strip())))
        return spans

    rng = random.Random(7)
    alphabet = list("ab .,\n\r\t\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2028\u2029\u3000\u200b\ufeffé")
    texts = ["KHARTOUM, Sudan\r\n\r\n  Fighting resumed.\u2028Two died. \x1c\n", "", " \n\t", "\x1eA\x1e"]
    texts += ["".join(rng.choices(alphabet, k=rng.randint(0, 40))) for _ in range(20000)]
    for text in texts:
        assert paragraph_spans(text) == stripped_lines(text), repr(text)
    assert paragraph_spans(texts[0]) == [(0, 15), (21, 38), (39, 48)]


# -- the furniture test's fast path (only the patterns a line can match are tried) ---------------------------

_LINES = [
    "© 2024 Reuters", "(C) 2023 by Example Media", "All rights reserved.", "Copyright 2024 AFP. All Rights Reserved",
    "This site is protected by reCAPTCHA and the Google Privacy Policy and Terms of Service apply.",
    "Displaced families queue for water in Goma (AP Photo/Moses Sawasawa)", "(AP Photo/Moses Sawasawa)",
    "Smoke over Khartoum via AP",
    "Photo: Hussein Malla / AP Photos", "Residents said the militia went via Tawila to Reuters offices on Friday.",
    "Share this article", "SHARE THIS ARTICLE ON WHATSAPP", "Leave a comment", "Previous post | Next post",
    "12:45", "1:02:33 2:10", "www.example.com/news", "editor@example.org", "By Ahmed Salim and Jane Doe",
    "By Friday, 40 people had been killed in Maiduguri.", "Read more: Shelling in Kharkiv kills 3",
    "“Read more” was printed on the wall, a witness in Mogadishu said.", "Advertisement", "ADVERTISEMENT",
    "Ads", "ad", "The ads ran for days.", "Tags: Sudan, El Fasher", "3 min read", "17 comments", "comments (4)",
    "Follow us on Telegram for updates from Gaza", "Cookie policy | Privacy | Contact us",
    "ſhare this article", "\u212aeep up to date with our coverage", "İstanbul'da patlama",  # case folds outside ASCII
    "Ƙauyen Zamfara: 12 killed", "Мариуполь: 20 killed", "مقتل 12 في الفاشر", "", "—", "“", "A",
    "Witnesses said “all rights reserved” signs were torn down in Port-au-Prince.",
    "Sign up for our newsletter", "Click here to read the report on Ituri", "loading...", "Listen:",
    # credits the needed-string gate must pass whatever the agency ("/" or "via", any case)
    "Rescuers search the rubble in Aleppo / EPA", "A boy walks through Khan Younis VIA ANADOLU",
    "Mourners in Bunia via Getty Images", "Smoke over Khan Younis/AFP",
]


def _reference(line: str) -> bool:
    """What the furniture patterns say of a line, as one case-insensitive alternation."""
    from auditor.sentences import _rules

    return _rules().boilerplate._all.pattern.fullmatch(line) is not None


def test_furniture_lines_are_told_as_the_whole_alternation_tells_them():
    from auditor.sentences import _rules

    matcher = _rules().boilerplate
    assert matcher._by_first is not None and matcher._needing and matcher._needing_gate  # the fast path is in use
    lines = _LINES + [line for prefix in ("000", "001", "002", "003", "004")
                      for line in _seed(prefix).splitlines() if line.strip()]
    found = [line for line in lines if matcher.matches(line.strip())]
    assert found == [line for line in lines if _reference(line.strip())]
    assert {"© 2024 Reuters", "All rights reserved.", "Share this article", "ſhare this article",
            "(AP Photo/Moses Sawasawa)", "Smoke over Khartoum via AP", "Photo: Hussein Malla / AP Photos",
            "This site is protected by reCAPTCHA and the Google Privacy Policy and Terms of Service apply.",
            "Rescuers search the rubble in Aleppo / EPA", "A boy walks through Khan Younis VIA ANADOLU",
            "Mourners in Bunia via Getty Images"} <= set(found)
    assert not {"By Friday, 40 people had been killed in Maiduguri.", "The ads ran for days.",
                "Residents said the militia went via Tawila to Reuters offices on Friday."} & set(found)


def test_furniture_fast_path_agrees_on_fuzzed_lines():
    import random

    from auditor.sentences import _rules

    rng = random.Random(13)
    marks = ["“", "”", "’", "—", "…", "\xa0", "İ", "ſ", "\u212a", "ß", "é", "ʿ", "بغداد", "Київ", "/", "@", ":",
             "©", "(", ")", "via ", "AP", "reCAPTCHA", "all rights reserved", "comments", "12:30", " ", "."]
    matcher = _rules().boilerplate
    for _ in range(3000):
        chars = list(rng.choice(_LINES))
        for _ in range(rng.randint(0, 4)):
            chars.insert(rng.randint(0, len(chars)), rng.choice(marks))
        line = "".join(chars).strip()
        line = line.upper() if rng.random() < 0.2 else line
        assert matcher.matches(line) == _reference(line), line


@pytest.mark.parametrize("pattern, needed", [
    (".{0,120}\\brecaptcha\\b.{0,200}", (("recaptcha",),)),
    (".{1,80}\\s(via|/)\\s*(ap|afp|epa)( photos?)?", (("ap", "afp", "epa"), ("via", "/"))),
    ("(\\d+\\s+)?comments?( \\(\\d+\\))?", (("comment",),)),
    ("x(ab|c)?", (("x",),)),  # an optional group holds nothing every match needs
    ("(ab|)c+", (("c",),)),  # nor a branch that may be empty
    ("[a-z]+\\d*", ()),
])
def test_strings_every_match_holds(pattern, needed):
    from auditor.knowledge import _needed_strings, _sre_parse

    assert _needed_strings(_sre_parse(pattern).data) == needed


def _plain_split(text: str) -> list[tuple[int, int, int, bool]]:
    """The splitting rules read the plain way, one line and one boundary at a time (what the module did before
    its loop was made fast): ``(start, end, paragraph, boilerplate)`` of each sentence."""
    import re

    from auditor._frontmatter import front_matter_span
    from auditor.sentences import _is_abbreviation, _rules, _starts_sentence

    rules = _rules()
    front = front_matter_span(text)
    body_start = front[2] if front is not None else 0
    out, continues, ended = [], False, False
    for paragraph, (start, end) in enumerate(paragraph_spans(text)):
        line = text[start:end]
        if start < body_start or ended or (continues and line[0].islower()):
            furniture = True
        else:
            short = len(line) <= rules.max_boilerplate_chars
            ended = 2 * start > len(text) and short and rules.page_end._all.fullmatch(line) is not None
            furniture = ended or (short and rules.boilerplate._all.fullmatch(line) is not None)
        continues = furniture and line[-1] not in ".?!…؟:;"
        sentence_start = start
        for match in re.compile(r"([.?!…؟]+)([\"'”’»)\]]*)(\s+)").finditer(text, start, end):
            if match.end() >= end or not _starts_sentence(text, match.end(), end):
                continue
            if match.group(1) == "." and _is_abbreviation(text, sentence_start, match.start(1), match.end(), end,
                                                          rules):
                continue
            out.append((sentence_start, match.start(3), paragraph, furniture))
            sentence_start = match.end()
        out.append((sentence_start, end, paragraph, furniture))
    return out


def test_splitting_reads_fuzzed_text_as_the_plain_reading_does():
    import random

    rng = random.Random(29)
    lines = [line for prefix in ("000", "001", "002", "003", "004") for line in _seed(prefix).splitlines()]
    lines += _LINES
    marks = [". ", "? ", "! ", "… ", "؟ ", ".” ", ".) ", "...", " U.S. ", " Lt. Gen. ", " No. 5 ", " no. ", " Dr. ",
             " J. R. R. ", " p.m. ", "“", "’", "«", "\xa0", "\t", "\n", "\n\n", "\r\n", "\u2028", "\x85", " é", " Київ. ",
             " بغداد؟ ", "İ", "ſ", "\u212a", "Share this article\n", "\n© 2024 Reuters", "\nLeave a comment\n", "a@b.org",
             " Gen... Dagalo ", " Mr.! ", " U.S.... The ", " Sgt.. Musa ",
             # furniture lines at about the longest length furniture may have (300 characters)
             "\n" + "x" * 100 + " protected by reCAPTCHA " + "y" * 174 + "\n",
             "\n" + "x" * 100 + " protected by reCAPTCHA " + "y" * 180 + "\n"]
    for _ in range(600):
        text = rng.choice(["\n", " ", "\n\n"]).join(rng.sample(lines, rng.randint(1, 10)))
        chars = list(text)
        for _ in range(rng.randint(0, 30)):
            chars.insert(rng.randint(0, len(chars)), rng.choice(marks))
        text = "".join(chars)
        roll = rng.random()
        text = (text.upper() if roll < 0.1 else text.replace(".", "") if roll < 0.2
                else text.replace("\n", " ") * 3 if roll < 0.3 else "---\ntitle: x\n---\n" + text if roll < 0.4 else text)
        got = [(s.start, s.end, s.paragraph, s.boilerplate) for s in split_sentences(text)]
        assert got == _plain_split(text), text
        assert all(text[s.start:s.end] == s.text for s in split_sentences(text))

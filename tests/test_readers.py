"""Reading articles: every format round-trips, metadata is parsed, bad inputs become errors."""

from __future__ import annotations

import codecs
import json
import logging
import os
from pathlib import Path

import pytest

from auditor.readers import ReadOptions, load_articles

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
INPUTS = Path(__file__).resolve().parent / "data" / "inputs"
GOLD = Path(__file__).resolve().parent / "data" / "seeds.gold.jsonl"

ARABIC = "قالت وزارة الدفاع العراقية إن 15 مقاتلاً قُتلوا و90 أصيبوا قرب كركوك يوم الاثنين.\r\nوقال مسؤول: «الوضع صعب».\r\n"
FRENCH = "Baïji : l’armée a déclaré que « 50 combattants » ont été tués.\r\nLe général Saad Maan a ajouté — “c’est fini”.\n"


def _one(paths):
    loaded = load_articles(paths)
    assert loaded.errors == [], loaded.errors
    assert len(loaded.articles) == 1
    return loaded.articles[0]


def _errors_by_file(loaded):
    return {Path(e.path).name: e.error for e in loaded.errors}


# --- plain text and Markdown -----------------------------------------------------------------------


def test_seed_text_is_the_whole_decoded_file_and_gold_offsets_index_it():
    loaded = load_articles(SEEDS)
    assert loaded.errors == []
    articles = {a.article_id: a for a in loaded.articles}
    assert sorted(articles) == sorted(p.stem for p in SEEDS.glob("*.txt"))
    for article in articles.values():
        assert article.text == Path(article.path).read_text(encoding="utf-8")
    checked = 0
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        gold = json.loads(line)
        assert articles[gold["article"]].text[gold["start"]:gold["end"]] == gold["surface"]
        checked += 1
    assert checked > 10


def test_title_is_first_non_empty_line_skipping_page_furniture():
    titles = {a.article_id: a.title for a in load_articles(SEEDS).articles}
    assert titles["000_15af67ef86008e94"] == "Iraqi Forces, Iran-backed Shiite Militias Retake Parts of Baiji"
    # 004 starts with "Accessibility links" and "Breaking News": page furniture, not a title.
    assert titles["004_afa458e0ea24eeed"] == "Iraq Launches Offensive Against Islamic State"
    # 001 has no title line: its first paragraph is cut at a word.
    assert titles["001_052fcb9e9785bc41"].startswith("Iran-backed Iraqi army and Shiite militias entered")
    assert len(titles["001_052fcb9e9785bc41"]) <= 202


def test_front_matter_gives_metadata_and_offsets_index_the_file_text():
    path = INPUTS / "baiji_refinery.md"
    article = _one(path)
    file_text = path.read_text(encoding="utf-8")
    assert article.text == file_text  # front matter included
    assert (article.title, article.outlet, article.published, article.url) == (
        "Iraqi forces retake parts of Baiji", "Example Wire", "2015-06-14", "https://wire.example.com/baiji")
    start = article.text.index("155 miles")
    assert file_text[start:start + len("155 miles")] == "155 miles"
    assert file_text.index("155 miles") == start


@pytest.mark.parametrize("published, expected", [
    ("2015-06-14", "2015-06-14"),              # YAML reads this as a date object
    ("'2015-06-14T09:30:00Z'", "2015-06-14"),
    ("June 14, 2015", "2015-06-14"),
    ("14 June 2015", "2015-06-14"),
    ("2015-06-14 09:30:00", "2015-06-14"),     # YAML reads this as a datetime
    ("soon", ""),
    ("2015", ""),
])
def test_front_matter_published_is_normalised_to_iso(tmp_path, published, expected):
    path = tmp_path / "a.md"
    path.write_text(f"---\ntitle: T\npublished: {published}\n---\nFive people were killed.\n", encoding="utf-8")
    assert _one(path).published == expected


def test_malformed_front_matter_keeps_the_article_and_warns(tmp_path, caplog):
    path = tmp_path / "bad_meta.txt"
    text = "---\ntitle: [unclosed\noutlet: AP\n---\nTwenty fighters were killed in Baiji.\n"
    path.write_text(text, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="auditor.readers"):
        article = _one(path)
    assert article.text == text
    assert (article.outlet, article.published) == ("", "")
    assert article.title == "Twenty fighters were killed in Baiji."
    assert "bad_meta.txt" in caplog.text and "front matter" in caplog.text


# Front matter is read by a strict parser for plain "key: value" lines, and by YAML for anything else: the two
# must agree on every block, including values YAML reads as dates, numbers, booleans or null, quotes, lists,
# comments, colons, odd characters and errors.
_FM_KEYS = ["title", "outlet", "published", "url", "author", "Title", "_id", "word-count", "k2", "yes", "No", "on",
            "OFF", "null", "true", "y", "n", "~", "2016", "-x", "x y", "a" * 120, "key\t", "tïtle", "<<"]
_FM_SEPARATORS = [": ", ": ", ": ", ":  ", ":", ":\t", " : ", ": \t"]
_FM_VALUES = [
    "Iraqi forces battle Islamic State in Palmyra", "AP", "https://news.example/ap/000000", "Reuters, Baghdad",
    "Ḩasakah and Dêr ez-Zor", "“curly” quotes", "it's here", "He said \"no\"", "50 killed [video]", "a, b, c",
    "emoji 🙂 in a title", "nbsp\xa0inside", "trailing spaces   ", "tab\tinside", "back\\slash", "a --- b", "x~",
    "x#y", "x #comment", "#x", "a: b", "a:b", "ends with:", "'single'", '"double"', "'unclosed", "[a, b]",
    "{a: b}", "- item", "? x", ": x", "&anchor x", "*alias", "!tag x", "!!str 5", "|", ">", "%x", "@x", "`x",
    "2016-03-08", "2016-3-8", "2016-02-30", "2016-13-01", "2016-03-08 12:00:00", "2016-03-08T12:00:00Z",
    "1999-12-31", "0000-01-01", "12", "-5", "+5", "0x1F", "0o17", "017", "1_000", "1:30", "190:20:30", "3.5",
    ".5", "1e3", "1.0e+3", ".inf", "-.Inf", ".NaN", "yes", "No", "TRUE", "on", "Off", "y", "n", "~", "null",
    "Null", "", "=", "<<", "\u2028x", "x\x85y", "\ufeffx", "x\x7f", "x\x00", "x\x01y", "\ud7ffx", "x\ue000",
    "---", "...", "x ---", "-", "--x", "-x", "?x", ":x", ",x", "x,", "x]", "x}", "a'b", 'a"b', "a%b", "a@b",
]
_FM_EXTRA_LINES = ["", "  ", "# a comment", "  continued on the next line", "- a list item", "tags:", "  - one",
                   "nested:", "  key: value", "...x"]


def _front_matter_outcome(parse, block):
    try:
        return "ok", repr(parse(block))
    except Exception as exc:  # noqa: BLE001 - the two readers must fail alike
        return "error", type(exc).__name__


def _random_front_matter(rng):
    lines = []
    count = rng.randint(1, 6)
    # most blocks as articles write them but (often) one line, to reach the strict parser and its edges often
    plain = rng.random() < 0.6
    odd_one = rng.randrange(count) if rng.random() < 0.7 else -1
    for n in range(count):
        if rng.random() < 0.08 and not plain:
            lines.append(rng.choice(_FM_EXTRA_LINES))
            continue
        simple = plain and n != odd_one or not plain and rng.random() < 0.5
        key = rng.choice(_FM_KEYS[:5] if simple else _FM_KEYS)
        separator = ": " if simple else rng.choice(_FM_SEPARATORS)
        value = rng.choice(_FM_VALUES[:14] if simple else _FM_VALUES)
        lines.append(f"{key}{separator}{value}")
    ending = "\r\n" if rng.random() < 0.05 else "\n"
    return ending.join(lines) + ending


def test_front_matter_reads_exactly_as_yaml_on_generated_blocks():
    import random

    from auditor._frontmatter import _simple_front_matter, parse_front_matter
    from auditor.knowledge import parse_yaml

    rng = random.Random(13)
    simple = 0
    for _ in range(8000):
        block = _random_front_matter(rng)
        assert _front_matter_outcome(parse_front_matter, block) == _front_matter_outcome(parse_yaml, block), block
        simple += _simple_front_matter(block) is not None
    assert simple > 800  # the strict parser did read a good share of them


@pytest.mark.parametrize("block", [
    "title: Iraqi forces battle Islamic State in Palmyra\noutlet: AP\npublished: 2016-03-08\n"
    "url: https://news.example/ap/000000\n",
    "title: Three killed in Kherson, officials say  \nauthor: Olena Ivanova\n",
])
def test_plain_front_matter_is_read_without_yaml(block):
    from auditor._frontmatter import _simple_front_matter
    from auditor.knowledge import parse_yaml

    assert _simple_front_matter(block) == parse_yaml(block)


@pytest.mark.parametrize("block", [
    "title: T\npublished: 2016-02-30\n", "title: 'quoted'\n", "count: 12\n", "title: a: b\n", "yes: T\n",
    "title: T # note\n", "title: T\ntitle: U\n", "title: T\r\n", "title: [a, b]\n", "title:\n",
])
def test_front_matter_beyond_plain_lines_is_left_to_yaml(block):
    from auditor._frontmatter import _simple_front_matter

    assert _simple_front_matter(block) is None


def test_markdown_heading_mark_is_not_part_of_the_title(tmp_path):
    path = tmp_path / "note.md"
    path.write_text("\n\n## Baiji refinery falls\n\nText.\n", encoding="utf-8")
    assert _one(path).title == "Baiji refinery falls"


def test_front_matter_without_body_is_an_error(tmp_path):
    path = tmp_path / "only_meta.md"
    path.write_text("---\ntitle: Nothing else\n---\n\n", encoding="utf-8")
    loaded = load_articles(path)
    assert loaded.articles == []
    assert _errors_by_file(loaded) == {"only_meta.md": "no article text after the front matter"}


# --- HTML --------------------------------------------------------------------------------------------


def test_html_keeps_the_story_and_drops_nav_comments_footer_and_scripts():
    article = _one(INPUTS / "kirkuk_ambush.html")
    for marker in ("SCRIPT_MARKER", "STYLE_MARKER", "NAV_MARKER", "RELATED_MARKER", "COMMENT_MARKER",
                   "FOOTER_MARKER", "Privacy Policy", "window.analytics", "Post a Comment"):
        assert marker not in article.text
    assert "90 wounded and another 20 missing" in article.text
    assert "Brig. Gen. Saad Maan said the army would send reinforcements." in article.text
    assert (article.article_id, article.title, article.outlet, article.published, article.url) == (
        "kirkuk_ambush", "Militia offensive near Kirkuk repelled", "Frontline Daily", "2016-06-07",
        "https://frontline.example.org/iraq/kirkuk-ambush")


def test_html_without_a_story_is_an_error():
    loaded = load_articles(INPUTS / "empty_page.html")
    assert loaded.articles == []
    assert _errors_by_file(loaded) == {"empty_page.html": "no article text found"}


def test_html_in_a_declared_legacy_charset(tmp_path):
    html = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1256">'
            f"<title>كركوك</title></head><body><article><p>{ARABIC.strip()}</p></article></body></html>")
    path = tmp_path / "arabic.htm"
    path.write_bytes(html.encode("cp1256"))
    article = _one(path)
    assert "15 مقاتلاً" in article.text
    assert article.title == "كركوك"


# --- JSON Lines and CSV ---------------------------------------------------------------------------------


def test_jsonl_good_lines_load_and_bad_lines_are_reported_by_line():
    loaded = load_articles(INPUTS / "wires.jsonl")
    articles = {a.article_id: a for a in loaded.articles}
    assert sorted(articles) == ["42", "rudaw-bashir"]
    rudaw = articles["rudaw-bashir"]
    assert rudaw.text.startswith("An estimated fifteen Hashd al-Shaabi members")
    assert (rudaw.title, rudaw.outlet, rudaw.published, rudaw.url) == (
        "Militia offensive repelled", "Rudaw", "2016-06-07", "https://rudaw.example/bashir")
    assert articles["42"].published == "2017-06-19"
    assert articles["42"].text == ("Up to 200,000 people still live behind Islamic State lines in Mosul.\n"
                                   "U.N. Humanitarian Coordinator Lise Grande told Reuters.")
    errors = [(Path(e.path).name, e.error) for e in loaded.errors]
    assert [name for name, _ in errors] == ["wires.jsonl"] * 3
    assert errors[0][1].startswith("line 2: not valid JSON")
    assert errors[1][1] == "line 3: missing 'text'"
    assert errors[2][1] == "line 6: not a JSON object"


def test_csv_rows_load_with_multiline_cells_and_bad_rows_are_reported():
    loaded = load_articles(INPUTS / "wires.csv")
    articles = {a.article_id: a for a in loaded.articles}
    assert sorted(articles) == ["ap-tikrit", "voa-offensive"]
    assert articles["ap-tikrit"].text == ('Tikrit, about 130 kilometers north of Baghdad, is held by ISIS.\n'
                                          '"The terrorists are seizing the cars of civilians," Rasheed said.')
    voa = articles["voa-offensive"]
    assert (voa.title, voa.outlet, voa.published, voa.url) == (
        "Iraq Launches Offensive", "VOA", "2015-07-13", "https://voa.example/offensive")
    assert _errors_by_file(loaded) == {"wires.csv": "row 4: missing 'id'"}


def test_csv_without_text_column_names_the_file_and_the_column():
    loaded = load_articles(INPUTS / "no_text_column.csv")
    assert loaded.articles == []
    assert len(loaded.errors) == 1
    assert loaded.errors[0].path.endswith("no_text_column.csv")
    assert "missing column 'text'" in loaded.errors[0].error


def test_csv_from_a_spreadsheet_with_bom_and_semicolons(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(codecs.BOM_UTF8 + "ID;Text;Outlet\r\nr1;« 50 combattants » tués;AFP\r\n".encode("utf-8"))
    article = _one(path)
    assert (article.article_id, article.text, article.outlet) == ("r1", "« 50 combattants » tués", "AFP")


# --- encodings -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [ARABIC, FRENCH], ids=["arabic", "french"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom", "legacy"])
def test_encodings_decode_exactly_and_keep_line_endings(tmp_path, text, encoding):
    if encoding == "utf-16-be-bom":
        data = codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    elif encoding == "legacy":
        data = text.encode("cp1256" if text is ARABIC else "cp1252")
    else:
        data = text.encode(encoding)
    path = tmp_path / "story.txt"
    path.write_bytes(data)
    article = _one(path)
    assert article.text == text  # no BOM, "\r\n" kept: offsets index exactly this


def test_short_legacy_files_are_decoded(tmp_path):
    (tmp_path / "ar.txt").write_bytes("قتل 15 شخصا".encode("cp1256"))
    (tmp_path / "es.txt").write_bytes("Señor García dijo: “más de 20 muertos”.".encode("cp1252"))
    texts = {a.article_id: a.text for a in load_articles(tmp_path).articles}
    assert texts == {"ar": "قتل 15 شخصا", "es": "Señor García dijo: “más de 20 muertos”."}


def test_bad_files_are_reported_and_good_ones_in_the_same_folder_still_load(tmp_path):
    (tmp_path / "good.txt").write_text("Twenty fighters were killed.", encoding="utf-8")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (tmp_path / "noise.md").write_bytes(bytes(range(1, 32)) * 50)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text("  \n\n", encoding="utf-8")
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4 binary")  # other types in folders are skipped
    (tmp_path / ".hidden.txt").write_text("Hidden copy.", encoding="utf-8")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "good-checkpoint.txt").write_text("Old copy.", encoding="utf-8")
    loaded = load_articles(tmp_path)
    assert [a.article_id for a in loaded.articles] == ["good"]
    assert _errors_by_file(loaded) == {
        "image.txt": "not a text file (binary content)",
        "noise.md": "not a text file (binary content)",
        "empty.txt": "empty file",
        "blank.md": "empty file",
    }


# --- paths and ids ----------------------------------------------------------------------------------------


def test_explicit_unsupported_or_missing_paths_are_errors(tmp_path):
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "ok.txt").write_text("Four were wounded.", encoding="utf-8")
    loaded = load_articles([tmp_path / "report.pdf", tmp_path / "nope.txt", tmp_path / "ok.txt"])
    assert [a.article_id for a in loaded.articles] == ["ok"]
    errors = _errors_by_file(loaded)
    assert errors["report.pdf"].startswith("unsupported file type '.pdf'")
    assert load_articles("").errors[0].error == "empty path"
    assert errors["nope.txt"] == "no such file or folder"


def test_empty_folder_is_reported(tmp_path):
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    loaded = load_articles(tmp_path)
    assert loaded.articles == []
    assert len(loaded.errors) == 1 and "no supported files" in loaded.errors[0].error


def test_no_paths_is_a_value_error():
    with pytest.raises(ValueError):
        load_articles([])


def test_folders_are_read_recursively_in_sorted_order(tmp_path):
    for relative in ["b.txt", "a/z.txt", "a/b/c.md", "c.jsonl"]:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".jsonl":
            path.write_text('{"id": "j1", "text": "One."}\n{"id": "j2", "text": "Two."}\n', encoding="utf-8")
        else:
            path.write_text(f"Text of {relative}.", encoding="utf-8")
    ids = [a.article_id for a in load_articles(tmp_path).articles]
    assert ids == ["c", "z", "b", "j1", "j2"]


def test_duplicate_ids_get_stable_suffixes(tmp_path):
    for folder in ("reuters", "ap"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "baiji.txt").write_text(f"{folder}: ten killed.", encoding="utf-8")
    (tmp_path / "more.jsonl").write_text('{"id": "baiji", "text": "jsonl: ten killed."}\n', encoding="utf-8")
    first = load_articles(tmp_path).articles
    second = load_articles(tmp_path).articles
    # reading order: ap/baiji.txt, more.jsonl, reuters/baiji.txt
    assert [(a.article_id, a.text) for a in first] == [
        ("baiji", "ap: ten killed."), ("baiji~2", "jsonl: ten killed."), ("baiji~3", "reuters: ten killed.")]
    assert [a.article_id for a in second] == [a.article_id for a in first]


def test_a_file_named_twice_is_read_once(tmp_path):
    path = tmp_path / "one.txt"
    path.write_text("Five killed.", encoding="utf-8")
    loaded = load_articles([path, tmp_path, str(path)])
    assert [a.article_id for a in loaded.articles] == ["one"]


def test_front_matter_with_windows_line_endings(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"---\r\ntitle: Baiji\r\noutlet: AP\r\n---\r\nTen killed.\r\n")
    article = _one(path)
    assert (article.title, article.outlet, article.text) == ("Baiji", "AP", path.read_bytes().decode())


# --- hostile inputs: file kinds, sizes, links, names (issue 11) ---------------------------------------------


def test_files_over_the_size_limit_are_listed_unread(tmp_path):
    (tmp_path / "big.txt").write_text("Nine were killed. " * 2000, encoding="utf-8")  # 36 KB
    (tmp_path / "small.txt").write_text("Two were wounded.", encoding="utf-8")
    loaded = load_articles(tmp_path, ReadOptions(max_file_size=10 * 1024))
    assert [a.article_id for a in loaded.articles] == ["small"]
    assert _errors_by_file(loaded) == {
        "big.txt": "file is 35.2 KB, over the 10 KB limit per file (--max-file-size)"}
    assert [a.article_id for a in load_articles(tmp_path).articles] == ["big", "small"]  # default 50 MB


def test_a_file_given_back_in_short_reads_is_read_whole(tmp_path, monkeypatch):
    text = "Gunmen killed 14 villagers in Zamfara state, police said.\n" * 300  # 17 KB
    (tmp_path / "zamfara.txt").write_text(text, encoding="utf-8")
    real = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: real(fd, min(n, 1000)))  # as a network file system may
    assert _one(tmp_path / "zamfara.txt").text == text


def _growing_once(monkeypatch, path: Path, more: str) -> None:
    """``path`` gets ``more`` at its end as it is first read (after its size was taken)."""
    real, grown = os.read, []

    def read(fd, n):
        if not grown:
            grown.append(True)
            with path.open("a", encoding="utf-8") as handle:
                handle.write(more)
        return real(fd, n)

    monkeypatch.setattr(os, "read", read)


def test_a_file_that_grows_while_read_is_read_to_its_end_or_refused_over_the_limit(tmp_path, monkeypatch):
    path = tmp_path / "mosul.txt"
    path.write_text("Twelve civilians were killed in Mosul.", encoding="utf-8")
    _growing_once(monkeypatch, path, " Thirty more were wounded.")
    assert _one(path).text == "Twelve civilians were killed in Mosul. Thirty more were wounded."
    path.write_text("Twelve civilians were killed in Mosul.", encoding="utf-8")
    _growing_once(monkeypatch, path, " Thirty more were wounded." * 100)
    loaded = load_articles(path, ReadOptions(max_file_size=1024))
    assert loaded.articles == []
    assert _errors_by_file(loaded) == {"mosul.txt": "file is over the 1 KB limit per file (--max-file-size)"}


def test_a_named_pipe_is_listed_and_never_opened(tmp_path):
    os.mkfifo(tmp_path / "feed.txt")
    (tmp_path / "ok.txt").write_text("Four were wounded in Goma.", encoding="utf-8")
    loaded = load_articles([tmp_path, tmp_path / "feed.txt"])  # in a folder and named explicitly
    assert [a.article_id for a in loaded.articles] == ["ok"]
    assert [e.error for e in loaded.errors] == ["not a regular file (a named pipe), not read"]


def test_links_inside_the_paths_are_read_once_and_links_out_only_when_asked(tmp_path):
    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    corpus.mkdir()
    outside.mkdir()
    (corpus / "a.txt").write_text("Six were killed in Marib.", encoding="utf-8")
    (corpus / "same-a.txt").symlink_to(corpus / "a.txt")
    (outside / "b.txt").write_text("Eight were killed in Taiz.", encoding="utf-8")
    (corpus / "b.txt").symlink_to(outside / "b.txt")
    (corpus / "broken.txt").symlink_to(tmp_path / "gone.txt")
    loaded = load_articles(corpus)
    assert [a.article_id for a in loaded.articles] == ["a"]
    errors = _errors_by_file(loaded)
    assert errors["b.txt"].startswith(f"symbolic link to {outside / 'b.txt'}, outside the audited paths")
    assert "broken.txt" in errors["broken.txt"] or errors["broken.txt"].startswith("symbolic link")
    followed = load_articles(corpus, ReadOptions(follow_symlinks=True))
    assert [a.article_id for a in followed.articles] == ["a", "b"]


def test_a_file_name_that_is_not_utf8_gets_an_escaped_id_and_a_note(tmp_path):
    raw = os.fsencode(tmp_path) + b"/\xff\xfeMosul.txt"
    with open(raw, "wb") as handle:
        handle.write(b"Thirty were killed in Mosul.")
    loaded = load_articles(tmp_path)
    (article,) = loaded.articles
    assert article.article_id == "\\xff\\xfeMosul"
    assert article.path.endswith("/\\xff\\xfeMosul.txt")
    article.path.encode("utf-8")  # writable to any UTF-8 file
    assert [e.error for e in loaded.errors] == ["file name is not valid UTF-8: audited under the name shown here"]


def test_the_output_folder_is_never_read(tmp_path):
    (tmp_path / "story.txt").write_text("Five were killed in Aleppo.", encoding="utf-8")
    (tmp_path / "audit-out").mkdir()
    (tmp_path / "audit-out" / "report.txt").write_text("Not an article.", encoding="utf-8")
    loaded = load_articles(tmp_path, ReadOptions(exclude=(tmp_path / "audit-out",)))
    assert ([a.article_id for a in loaded.articles], loaded.errors) == (["story"], [])


def test_an_unterminated_quote_stops_at_the_row_that_opened_it(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text('id,text\nm1,"Ten were killed in Mogadishu."\nm2,"Three were hurt\nm3,Seven died.\n',
                    encoding="utf-8")
    loaded = load_articles(path)
    assert [a.article_id for a in loaded.articles] == ["m1"]
    assert "row 3 (line 3): malformed CSV (a quote opened there is never closed)" in loaded.errors[0].error


@pytest.mark.parametrize("order", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_in_any_script(tmp_path, order):
    for name, text in (("ar", ARABIC), ("fr", FRENCH), ("fa", "در حمله به کابل ۲۰ نفر کشته شدند")):
        (tmp_path / f"{name}.txt").write_bytes(text.encode(order))
    texts = {a.article_id: a.text for a in load_articles(tmp_path).articles}
    assert texts == {"ar": ARABIC, "fr": FRENCH, "fa": "در حمله به کابل ۲۰ نفر کشته شدند"}

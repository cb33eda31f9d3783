"""One huge article's extraction holds a bounded window of per-sentence state and still finds the same figures."""

from __future__ import annotations

import dataclasses

import pytest

from auditor import _names, provenance
from auditor.extract import extract_figures
from auditor.model import Article

# Reports from many wars, with credits that reach back ("he said", "Lysak added"), quotes over two sentences
# and places named once, far before the figures that fall back to them.
_PARAGRAPHS = [
    "KHARTOUM (Reuters) - Fighting between the army and the Rapid Support Forces killed at least 27 civilians in "
    "Omdurman on Sunday, medics said. \"The shelling did not stop all night. Twelve of the dead were children,\" "
    "said Ahmed Salih, a doctor at Al-Nau hospital. Salih added that 40 people were wounded.",
    "KYIV, Ukraine (AP) - Russian drones struck Kharkiv overnight, killing three people and wounding 19, regional "
    "governor Oleh Syniehubov said. He said 7 of the wounded were in serious condition.",
    "The United Nations said more than 1.2 million people have fled their homes in Sudan since April. Another "
    "350,000 crossed into Chad, the UNHCR said.",
    "Gunmen killed 15 villagers in Zamfara state, northwest Nigeria, police spokesman Mohammed Shehu told "
    "reporters. Shehu said 30 others were abducted.",
    "In Mogadishu, a car bomb killed at least eight people near a checkpoint, according to police. The toll "
    "rose to 11 on Monday.",
    "Airstrikes on Idlib province killed 9 civilians, the Syrian Observatory for Human Rights said, and "
    "displaced some 2,000 families.",
    "MEXICO CITY - Police found 45 bags of human remains in a ravine near Zapopan, Jalisco state prosecutors "
    "said on Wednesday.",
    "Clashes in Port-au-Prince displaced about 5,000 residents this week, the International Organization for "
    "Migration said. \"People are sleeping in schools,\" said spokeswoman Angela Wells.",
]


def _long_article(paragraphs: int) -> Article:
    text = "\n\n".join(_PARAGRAPHS[k % len(_PARAGRAPHS)] for k in range(paragraphs))
    return Article(article_id="long", path="long.txt", text=text)


def _rows(article: Article) -> list[tuple]:
    return [dataclasses.astuple(f) for f in extract_figures(article)]


@pytest.mark.parametrize("window", [1, 3, 10])
def test_a_small_token_window_finds_the_figures_all_tokens_kept_find(window, monkeypatch):
    article = _long_article(240)
    monkeypatch.setattr(provenance, "_TOKEN_WINDOW", 10**9)
    kept = _rows(article)
    monkeypatch.setattr(provenance, "_TOKEN_WINDOW", window)
    bounded = _rows(article)
    assert len(kept) > 300
    assert bounded == kept
    # the credits that reach back to earlier sentences are among them
    assert any(row[18] == "Ahmed Salih" for row in kept) and any(row[18] == "Mohammed Shehu" for row in kept)


def test_the_context_keeps_only_its_window_of_sentence_tokens():
    article = _long_article(120)
    seen: list[int] = []
    real = provenance.ArticleContext

    def context(*args):
        ctx = real(*args)
        seen.append(id(ctx))
        context.made = ctx
        return ctx

    figures = extract_figures(article, context=context)
    assert figures and seen
    assert 0 < len(context.made._tokens) <= provenance._TOKEN_WINDOW


def test_the_gazetteer_keeps_no_scan_of_an_article_once_its_context_is_built():
    article = _long_article(40)
    extract_figures(article)
    assert provenance._places()._scan[0] is None  # (its words and names found were ~30 MB per MB of text)


@pytest.mark.parametrize("text", [
    "Ukraine's army said Russia's shelling of Kherson's port killed 4.",
    "Al-Shabaab's fighters attacked Mogadishu; the AU's mission said 'we repelled them'.",
    "",
    "Goma",
])
def test_name_tokens_index_the_text_with_their_offsets(text):
    tokens = _names.tokenize(text)
    assert len(tokens.starts) == len(tokens.ends) == len(tokens.words) == len(tokens.keys)
    for start, end, word in zip(tokens.starts, tokens.ends, tokens.words):
        assert text[start:end] == word
    if "Ukraine's" in text:
        assert tokens.words[:3] == ["Ukraine", "s", "army"]

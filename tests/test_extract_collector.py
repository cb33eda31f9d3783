"""extract_figures pauses Python's cyclic collector for one article and gives the caller its setting back."""

import gc
import weakref

import pytest

from auditor.extract import extract_figures
from auditor.model import Article
from auditor.provenance import ArticleContext

TEXTS = [
    "At least 12 civilians were killed in an airstrike on Idlib on Monday, the Syrian Observatory said.",
    "Gunmen abducted 30 schoolgirls in Zamfara state, police said. Two teachers were wounded.",
    "The UN said more than 8,000 people had fled fighting in El Fasher since Friday.",
    "A journalist was shot dead in Culiacan, prosecutors said.",
]


@pytest.fixture
def collector_restored():
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.parametrize("enabled", [True, False])
def test_caller_setting_kept(collector_restored, enabled):
    (gc.enable if enabled else gc.disable)()
    figures = extract_figures(TEXTS[0])
    assert [f.value for f in figures] == [12]
    assert gc.isenabled() is enabled


def test_setting_kept_when_extraction_fails(collector_restored):
    gc.enable()

    def broken(article, sentences):
        raise RuntimeError("context failed")

    with pytest.raises(RuntimeError, match="context failed"):
        extract_figures(TEXTS[1], context=broken)
    assert gc.isenabled()


def test_same_figures_with_collector_on_or_off(collector_restored):
    gc.enable()
    on = [extract_figures(Article(f"a{k}", "", t)) for k, t in enumerate(TEXTS)]
    gc.disable()
    off = [extract_figures(Article(f"a{k}", "", t)) for k, t in enumerate(TEXTS)]
    assert on == off
    assert [len(figs) for figs in on] == [1, 2, 1, 1]


def test_articles_left_behind_are_collected(collector_restored):
    """What an article leaves in reference cycles does not pile up over a run (memory stays flat)."""
    articles = [Article(f"a{k}", "", " ".join(TEXTS) + f" Report {k}.") for k in range(60)]
    contexts: list[weakref.ref] = []
    alive_before: list[int] = []

    def context(article, sentences):
        # counted here, while the collector is paused: counting after the loop would allocate, and so collect
        alive_before.append(sum(1 for ref in contexts if ref() is not None))
        built = ArticleContext(article, sentences)
        contexts.append(weakref.ref(built))
        return built

    gc.enable()
    gc.collect()
    for article in articles:  # a caller that allocates nothing between articles starts no collection itself
        extract_figures(article, context=context)
    assert len(alive_before) == 60
    # a collection falls due every few articles this short (~700 allocations); without one they would pile up to 59
    assert max(alive_before) <= 15


def test_an_article_context_is_freed_without_the_collector(collector_restored):
    """An article's context (its tokens, places, credits) holds no reference cycle: freed as extraction ends."""
    contexts: list[weakref.ref] = []

    def context(article, sentences):
        built = ArticleContext(article, sentences)
        _ = built.attributor  # the attributor (reading credits) is what held the context in a cycle
        contexts.append(weakref.ref(built))
        return built

    gc.disable()
    for k, text in enumerate(TEXTS):
        assert extract_figures(Article(f"a{k}", "", text), context=context)
    assert len(contexts) == len(TEXTS)
    assert all(ref() is None for ref in contexts)

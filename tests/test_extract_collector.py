"""Extraction leaves nothing to Python's cyclic collector: an article's context goes when its figures are read.

A reference cycle through the context (its tokens, places, credits) kept every article's state alive until
a collection found it, and the collections re-scanning it were ~5 % of the extraction CPU.
"""

import gc
import subprocess
import sys
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
def collector_off():
    was = gc.isenabled()
    gc.disable()
    yield
    if was:
        gc.enable()


def test_an_article_context_is_freed_without_the_collector(collector_off):
    """No reference cycle holds an article's context once extraction is done (the collector is off here)."""
    contexts: list[weakref.ref] = []

    def context(article, sentences):
        built = ArticleContext(article, sentences)
        _ = built.attributor  # the attributor (reading credits) is what held the context in a cycle
        contexts.append(weakref.ref(built))
        return built

    figures = [extract_figures(Article(f"a{k}", "", text), context=context) for k, text in enumerate(TEXTS)]
    assert [len(f) for f in figures] == [1, 2, 1, 1]
    assert len(contexts) == len(TEXTS)
    assert all(ref() is None for ref in contexts)


# Run in a fresh interpreter: in the test process other tests' threads (servers, clusters, pools) and pytest
# itself may leave cycles of their own for the collector while extraction runs, which made the count flaky.
_NO_GARBAGE = """
import gc, sys
from auditor.extract import extract_figures
from auditor.model import Article
texts = sys.argv[1:]
for text in texts:  # tables and patterns loaded once (a first load may leave cycles of its own)
    extract_figures(text)
gc.collect()
gc.disable()
found = []
for round in range(3):
    for k, text in enumerate(texts * 5):
        extract_figures(Article(f"a{round}-{k}", "", text + f" Report {round}-{k}."))
    found.append(gc.collect())
print(" ".join(map(str, found)))
"""


def test_extraction_leaves_no_cyclic_garbage():
    """Nothing an article's extraction allocates is left for the cyclic collector to find: in every round of
    articles (a cycle per article would show in each), nothing is found."""
    done = subprocess.run([sys.executable, "-c", _NO_GARBAGE, *TEXTS], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "0", "0"]

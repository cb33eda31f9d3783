"""Shared test fixtures (append yours; do not rewrite others')."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest


def _private_cache() -> None:
    """Tests never read or write the user's figure cache: they get a private cache folder (for every
    process they start too). The expensive, read-only indexes already built there (gazetteer, units)
    are linked in, so a test session does not rebuild them."""
    from auditor._cache import cache_dir

    shared = cache_dir()
    private = Path(tempfile.mkdtemp(prefix="figure-audit-test-cache-"))
    (private / "figure-auditor").mkdir()
    if shared.is_dir():
        for entry in shared.iterdir():
            if entry.is_file() and not entry.name.startswith("articles.sqlite"):
                (private / "figure-auditor" / entry.name).symlink_to(entry)
    os.environ["FIGURE_AUDITOR_CACHE"] = str(private)
    atexit.register(shutil.rmtree, private, True)


_private_cache()


# --- dashboard (issue 4): a small audit made by hand, with two claim groups, a conflict and hostile text ---

_DASHBOARD_ARTICLES = {
    "wire-a": ("Reuters", "2015-10-18", "Fighting in Baiji",
               "---\ntitle: Fighting in Baiji\noutlet: Reuters\npublished: 2015-10-18\n---\n"
               "Iraqi forces entered Baiji on Sunday. Officials said dozens of ISIS fighters were killed. "
               "Baiji lies 155 miles north of Baghdad."),
    "wire-b": ("AP", "2015-10-19", "Baiji battle",
               "---\ntitle: Baiji battle\noutlet: AP\npublished: 2015-10-19\n---\n"
               "The army said at least 50 ISIS militants were killed in Baiji. "
               "The town is about 250 km from Baghdad."),
    "wire-c": ("Rudaw", "2015-10-25", "<b>Baiji</b> report",
               "---\ntitle: <b>Baiji</b> report\noutlet: Rudaw\npublished: 2015-10-25\n---\n"
               "A local source <script>alert('x')</script> said 12 ISIS fighters were killed in Baiji. "
               "Some 30,000 Hashd al-Shaabi fighters gathered near Tikrit."),
}
# (article, surface, category, value, low, high, qualifier, unit, subject, location, reference, source, group)
_DASHBOARD_FIGURES = [
    ("wire-a", "dozens", "killed", None, 24.0, 99.0, "vague", "count", "ISIS", "Baiji", "", "Officials", "g-killed"),
    ("wire-b", "at least 50", "killed", None, 50.0, None, "at_least", "count", "ISIS", "Baiji", "", "the army",
     "g-killed"),
    ("wire-c", "12", "killed", 12.0, 12.0, 12.0, "exact", "count", "ISIS", "Baiji", "", "A local source", "g-killed"),
    ("wire-a", "155 miles", "distance", 249.45, 249.45, 249.45, "exact", "km", "", "Baiji", "Baghdad", "Reuters",
     "g-distance"),
    ("wire-b", "about 250 km", "distance", 250.0, 237.5, 262.5, "approximate", "km", "", "Baiji", "Baghdad", "AP",
     "g-distance"),
    ("wire-c", "30,000", "fighters", 30000.0, 30000.0, 30000.0, "exact", "count", "Hashd al-Shaabi", "Tikrit", "",
     "Rudaw", ""),
]


def make_dashboard_result(out_dir=None):
    """An AuditResult built by hand: exact spans, groups, two conflicts, one ungrouped figure."""
    import hashlib

    import pandas as pd

    from auditor.audit import AuditResult
    from auditor.claims import CONFLICT_COLUMNS, GROUP_COLUMNS
    from auditor.model import ARTICLE_COLUMNS, ERROR_COLUMNS, FIGURE_COLUMNS

    articles, figures, texts = [], [], {}
    for article_id, (outlet, published, title, text) in _DASHBOARD_ARTICLES.items():
        texts[article_id] = text
        articles.append({"article_id": article_id, "path": f"/corpus/{article_id}.txt", "title": title,
                         "outlet": outlet, "published": published, "url": "", "chars": len(text),
                         "sha256": hashlib.sha256(text.encode()).hexdigest()})
    for i, (article_id, surface, category, value, low, high, qualifier, unit, subject, location, reference, source,
            group) in enumerate(_DASHBOARD_FIGURES):
        outlet, published, _title, text = _DASHBOARD_ARTICLES[article_id]
        start = text.index(surface)
        sentence_start = text.rfind(". ", 0, start) + 2 if ". " in text[:start] else text.index("---\n", 4) + 4
        sentence_end = text.index(".", start + len(surface)) + 1
        figures.append({
            "figure_id": f"fig{i}", "article_id": article_id, "path": f"/corpus/{article_id}.txt",
            "start": start, "end": start + len(surface), "surface": surface,
            "sentence": text[sentence_start:sentence_end], "category": category, "value": value, "low": low,
            "high": high, "qualifier": qualifier, "unit": unit, "reported_value": value, "reported_unit": unit,
            "counted": "", "subject": subject, "location": location, "source": source, "source_type": "person",
            "published": published, "outlet": outlet, "group_id": group, "reference_place": reference,
            "sentence_start": sentence_start, "sentence_end": sentence_end, "supersedes": "",
        })
    groups = pd.DataFrame([
        {"group_id": "g-killed", "category": "killed", "subject": "ISIS", "location": "Baiji", "reference_place": "",
         "unit": "count", "n_figures": 3, "n_articles": 3, "low": 12.0, "high": None, "status": "conflict",
         "label": "ISIS killed in Baiji"},
        {"group_id": "g-distance", "category": "distance", "subject": "", "location": "Baiji",
         "reference_place": "Baghdad", "unit": "km", "n_figures": 2, "n_articles": 2, "low": 237.5, "high": 262.5,
         "status": "consistent", "label": "Baiji from Baghdad"},
    ], columns=list(GROUP_COLUMNS))
    conflicts = pd.DataFrame([
        {"conflict_id": "c-1", "group_id": "g-killed", "figure_a": "fig0", "figure_b": "fig2", "article_a": "wire-a",
         "article_b": "wire-c", "category": "killed", "relative_difference": 0.5, "severity": "high",
         "explanation": "dozens [24, 99] vs 12"},
        {"conflict_id": "c-2", "group_id": "g-killed", "figure_a": "fig1", "figure_b": "fig2", "article_a": "wire-b",
         "article_b": "wire-c", "category": "killed", "relative_difference": 0.76, "severity": "high",
         "explanation": "at least 50 vs 12"},
    ], columns=list(CONFLICT_COLUMNS))
    figure_frame = pd.DataFrame(figures, columns=list(FIGURE_COLUMNS))
    for column in ("value", "low", "high", "reported_value"):
        figure_frame[column] = figure_frame[column].astype("float64")
    return AuditResult(
        articles=pd.DataFrame(articles, columns=list(ARTICLE_COLUMNS)), figures=figure_frame, groups=groups,
        conflicts=conflicts, errors=pd.DataFrame([{"path": "/corpus/broken.pdf", "error": "unsupported file type"}],
                                                 columns=list(ERROR_COLUMNS)),
        texts=texts, out_dir=out_dir,
    )


@pytest.fixture
def dashboard_result(tmp_path):
    """A small hand-made audit (see ``make_dashboard_result``) whose review store lives in ``tmp_path``."""
    return make_dashboard_result(out_dir=tmp_path / "audit")


# --- claims (issue 3): figure rows made from a few fields ---

_FIGURE_DEFAULTS = {
    "path": "", "start": 0, "end": 0, "sentence": "", "category": "killed", "value": None, "low": None,
    "high": None, "qualifier": "exact", "unit": "count", "reported_value": None, "reported_unit": "",
    "counted": "", "subject": "", "location": "", "source": "", "source_type": "unattributed", "published": "",
    "outlet": "", "group_id": "", "reference_place": "", "sentence_start": 0, "sentence_end": 0, "supersedes": "",
}


def make_figure_row(figure_id, article_id, value=None, **fields):
    """One figures.csv row: ``value`` fills value/low/high for exact and approximate figures."""
    row = {"figure_id": figure_id, "article_id": article_id, **_FIGURE_DEFAULTS}
    qualifier = fields.get("qualifier", "exact")
    if value is not None:
        row["value"] = float(value)
        row["reported_value"] = float(value)
        if qualifier in ("exact", "approximate"):
            row["low"] = row["high"] = float(value)
        elif qualifier in ("at_least", "more_than"):
            row["low"] = float(value)
        elif qualifier in ("at_most", "less_than"):
            row["high"] = float(value)
    row.update(fields)
    if not row.get("surface"):
        row["surface"] = f"{value:g}" if value is not None else "some"
    if not row["sentence"]:
        row["sentence"] = f"{row['surface']} {row['category']}."  # short: never taken for a reprint
    return row


def make_figures_frame(rows):
    """A figures DataFrame with the contract's columns and dtypes, from ``make_figure_row`` rows."""
    import pandas as pd

    from auditor.model import FIGURE_COLUMNS

    frame = pd.DataFrame(rows, columns=list(FIGURE_COLUMNS))
    for column in ("value", "low", "high", "reported_value"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    for column in ("start", "end", "sentence_start", "sentence_end"):
        frame[column] = frame[column].astype("int64")
    return frame


@pytest.fixture
def figure_row():
    """Factory: ``figure_row(figure_id, article_id, value, **fields)`` -> one figure row (dict)."""
    return make_figure_row


# --- extraction (issue 2): figures of a short text ---


def _figures_of(text):
    from auditor import extract_figures

    return extract_figures(text)


@pytest.fixture
def figures_of():
    """``figures_of(text)`` -> the figures extracted from a bare text."""
    return _figures_of


@pytest.fixture
def figure_at():
    """``figure_at(text, surface_part)`` -> the one figure whose span covers ``surface_part``."""

    def find(text, part):
        start = text.index(part)
        end = start + len(part)
        hits = [f for f in _figures_of(text) if f.start < end and start < f.end]
        assert len(hits) == 1, f"expected one figure at {part!r}, got {[h.surface for h in hits]}"
        return hits[0]

    return find


CORPORA = Path(__file__).parent / "data" / "corpora"


@pytest.fixture(scope="module")
def corpus_audit():
    """``corpus_audit(name)``: the audit of ``tests/data/corpora/<name>``, run once per test module."""
    from auditor.audit import audit

    cache = {}

    def run(name):
        if name not in cache:
            cache[name] = audit(CORPORA / name, jobs=1)
        return cache[name]

    return run


@pytest.fixture
def opened_caches(monkeypatch):
    """Every :class:`~auditor.cache.ArticleCache` the test opens, in order (their hit counters tell
    what a run took from the cache)."""
    from auditor.cache import ArticleCache

    opened: list[ArticleCache] = []
    real = ArticleCache.__init__

    def spy(self, where, **options):
        real(self, where, **options)
        opened.append(self)

    monkeypatch.setattr(ArticleCache, "__init__", spy)
    return opened


class _Sent(list):
    """The tasks' arguments (:func:`sent_to_workers`); ``parked``: the functions of those sent parked in a file."""

    parked: list


@pytest.fixture
def sent_to_workers(monkeypatch):
    """The arguments of every task the local worker pool is sent (the tasks still run); arguments parked
    in a file (``claims._Parked``) recorded as the arguments it holds, read as it is sent."""
    import pickle

    from auditor import _parallel, claims

    sent = _Sent()
    sent.parked = []
    real = _parallel.WorkerPool.submit

    def submit(self, function, *args):
        recorded = []
        for argument in args:
            if isinstance(argument, claims._Parked):
                sent.parked.append(function)
                with open(argument.path, "rb") as handle:
                    recorded.extend(pickle.load(handle))
            else:
                recorded.append(argument)
        sent.append((function, *recorded))
        return real(self, function, *args)

    monkeypatch.setattr(_parallel.WorkerPool, "submit", submit)
    return sent



def generated_corpus(tmp_path_factory, seed):
    """A folder of 300 generated articles (``benchmarks/make_corpus.py``, ``seed``): big enough for a run on
    workers."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from make_corpus import write_corpus

    folder = tmp_path_factory.mktemp("corpus")
    write_corpus(300, folder, seed=seed)
    return folder


def generated_unclaimed(tmp_path_factory, seed):
    """Figures and articles of 300 generated articles (:func:`generated_corpus`), audited in one process,
    their claim columns emptied: the input of a claims step."""
    from auditor.audit import audit

    result = audit(generated_corpus(tmp_path_factory, seed), jobs=1)
    return result.figures.assign(group_id="", incident_id=""), result.articles


@pytest.fixture(scope="session")
def spilled_run(tmp_path_factory):
    """A generated corpus audited on two workers: its figures, claim groups and conflicts kept in files (tests
    read them with ``in_memory``, never through ``result.groups``/``.conflicts``, which load and remove them)."""
    import sys

    import pandas as pd

    import auditor

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from make_corpus import write_corpus

    root = tmp_path_factory.mktemp("spilled-run")
    write_corpus(300, root / "corpus", seed=11)
    result = auditor.audit(root / "corpus", jobs=2, out_dir=root / "out", cache=False)
    assert result.figures_spilled and not isinstance(vars(result)["conflicts"], pd.DataFrame)
    return result


def in_memory(result):
    """The same audit with every table in memory, read from ``result``'s files without removing them."""
    import pandas as pd

    from auditor.audit import AuditResult
    from auditor.dashboard._data import table_chunks

    return AuditResult(articles=result.articles, figures=result.read_figures(),
                       groups=pd.concat(list(table_chunks(result, "groups"))),
                       conflicts=pd.concat(list(table_chunks(result, "conflicts"))), errors=result.errors)


@pytest.fixture()
def refuse_whole_tables(monkeypatch):
    """A context in which loading any spilled table whole (``SpilledTable.frame``) fails the test: for views
    that must read a big audit's tables a part at a time."""
    import contextlib

    from auditor import _spill
    from auditor.model import ARTICLE_COLUMNS

    whole = _spill.SpilledTable.frame

    def loaded_whole(table, *args, **kwargs):
        if tuple(table.columns) == ARTICLE_COLUMNS:  # one row per article: the views read it whole, as when held
            return whole(table, *args, **kwargs)
        raise AssertionError("a whole spilled table was loaded")

    @contextlib.contextmanager
    def refused():
        with monkeypatch.context() as patch:
            patch.setattr(_spill.SpilledTable, "frame", loaded_whole)
            yield

    return refused

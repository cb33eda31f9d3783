"""The source view: an article's text with one figure highlighted in its sentence.

Article text is untrusted: every piece of it goes through :func:`html.escape`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

_STYLE = (
    "<style>"
    ".fa-source{font-family:var(--jp-content-font-family,sans-serif);font-size:13px;line-height:1.5}"
    ".fa-source dl{display:grid;grid-template-columns:max-content auto;gap:0 12px;margin:4px 0}"
    ".fa-source dt{color:#666}.fa-source dd{margin:0;word-break:break-all}"
    ".fa-source .fa-sentence{background:#fff3bf}"
    ".fa-source mark{background:#ffa94d;padding:0 2px;border-radius:2px;font-weight:bold}"
    ".fa-source .fa-text{white-space:pre-wrap;max-height:360px;overflow:auto;border:1px solid #ddd;"
    "padding:8px;background:var(--jp-layout-color1,#fff)}"
    "</style>"
)


def _field(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    return str(value)


def _highlighted(text: str, start: int, end: int, sentence_start: int, sentence_end: int) -> str:
    """``text`` escaped, the sentence shaded and ``text[start:end]`` marked."""
    if not (0 <= sentence_start <= start and end <= sentence_end <= len(text)):
        sentence_start, sentence_end = start, end
    parts = (
        html.escape(text[:sentence_start]),
        '<span class="fa-sentence">', html.escape(text[sentence_start:start]),
        "<mark>", html.escape(text[start:end]), "</mark>",
        html.escape(text[end:sentence_end]), "</span>",
        html.escape(text[sentence_end:]),
    )
    return "".join(parts)


def render_source(figure: Mapping[str, Any] | None, article: Mapping[str, Any] | None, text: str | None) -> str:
    """HTML for the source view of one figure (or a hint when none is selected)."""
    if figure is None:
        return _STYLE + '<div class="fa-source"><em>Select a report in the chart or the table to see its source.</em></div>'
    article = article or {}
    start, end = int(figure["start"]), int(figure["end"])
    sentence_start = int(figure.get("sentence_start") or 0)
    sentence_end = int(figure.get("sentence_end") or 0)
    rows = [
        ("figure", f"{_field(figure.get('surface'))} — {_field(figure.get('category'))}, "
                   f"{_field(figure.get('qualifier'))}, value {_field(figure.get('value')) or '—'} "
                   f"[{_field(figure.get('low')) or '−∞'}, {_field(figure.get('high')) or '∞'}] "
                   f"{_field(figure.get('unit'))}"),
        ("source", f"{_field(figure.get('source')) or 'unattributed'} ({_field(figure.get('source_type'))})"),
        ("title", _field(article.get("title"))),
        ("outlet", _field(article.get("outlet") or figure.get("outlet"))),
        ("published", _field(article.get("published") or figure.get("published")) or "undated"),
        ("url", _field(article.get("url"))),
        ("path", _field(article.get("path") or figure.get("path"))),
        ("article · span", f"{_field(figure.get('article_id'))} · characters {start}–{end}"),
    ]
    meta = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows if v)
    if text is None:
        body = "<p><em>The article text is not available in this result.</em></p>"
        sentence = html.escape(_field(figure.get("sentence")))
    else:
        body = f'<div class="fa-text">{_highlighted(text, start, end, sentence_start, sentence_end)}</div>'
        lo, hi = (sentence_start, sentence_end) if sentence_start <= start and end <= sentence_end else (start, end)
        sentence = (html.escape(text[lo:start]) + "<mark>" + html.escape(text[start:end]) + "</mark>"
                    + html.escape(text[end:hi]))
    path = _field(article.get("path") or figure.get("path"))
    jump = ""
    if path:
        # The JupyterLab extension opens the article in the editor with the span selected.
        from ..lab import source_link

        href = html.escape(source_link(path, start, end, _field(figure.get("surface"))))
        jump = f'<p><a class="fa-open-source" href="{href}">Open in editor</a></p>'
    return (
        f'{_STYLE}<div class="fa-source"><dl>{meta}</dl>'
        f'<p class="fa-sentence">{sentence}</p>{jump}{body}</div>'
    )

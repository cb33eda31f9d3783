"""Read articles from files and folders (``.txt .md .html .htm .jsonl .csv``).

Offsets of every later stage index ``Article.text``, which is:

* ``.txt``/``.md``: the whole decoded file, front matter included (a UTF-8/UTF-16 byte order
  mark is not part of it, and line endings are kept exactly as in the file);
* ``.html``/``.htm``: the main text trafilatura extracts (navigation, comments, scripts and
  footers removed);
* ``.jsonl``/``.csv``: the ``text`` field as stored.

Nothing is raised for a bad input: it becomes a :class:`~auditor.model.ReadError` naming the
file and the reason, and the other inputs still load. Metadata that cannot be understood (a
malformed front matter, a date that is not a date) is ignored with a logged warning, because
the article itself is still worth auditing.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import logging
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ._decode import UndecodableError, decode
from ._frontmatter import front_matter_span, parse_front_matter
from .model import Article, AuditInput, ReadError

SUPPORTED_SUFFIXES: tuple[str, ...] = (".txt", ".md", ".html", ".htm", ".jsonl", ".csv")
METADATA_FIELDS: tuple[str, ...] = ("title", "outlet", "published", "url")

_log = logging.getLogger(__name__)
# A title taken from the first line of the text is cut (at a word) beyond this length:
# some files have no title line and start with a whole paragraph.
_TITLE_MAX_CHARS = 200
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")
_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d", "%Y.%m.%d")
_CSV_DELIMITERS = (",", ";", "\t")
# The csv module's default cell limit (128 KiB) is smaller than a long article.
_CSV_FIELD_LIMIT = 2**31 - 1


class _Rejected(Exception):
    """A whole file cannot be read; the message is the plain reason."""


def load_articles(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> AuditInput:
    """Read articles from files and folders (folders recursively, in sorted order).

    Parameters
    ----------
    paths
        One path or several. Folders are searched recursively for supported files, skipping
        hidden files and folders and other file types; a file named explicitly must be of a
        supported type. A file named twice is read once.

    Returns
    -------
    AuditInput
        The articles, with ids unique across all inputs (a repeated id gets ``~2``, ``~3``, ...
        in reading order), and a :class:`~auditor.model.ReadError` for every input that
        could not be read.

    Raises
    ------
    ValueError
        When ``paths`` is empty.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    given = list(paths)
    if not given:
        raise ValueError("no input paths given")
    loaded = AuditInput()
    seen: set[Path] = set()
    taken_ids: set[str] = set()
    for raw in given:
        if not os.fspath(raw).strip():  # Path("") would silently mean the current folder
            loaded.errors.append(ReadError(os.fspath(raw), "empty path"))
            continue
        for file in _input_files(Path(raw), loaded.errors):
            key = file.resolve()
            if key in seen:
                continue
            seen.add(key)
            articles, errors = _read_file(file)
            loaded.errors.extend(errors)
            for article in articles:
                unique = _unique_id(article.article_id, taken_ids)
                if unique != article.article_id:
                    article = dataclasses.replace(article, article_id=unique)
                loaded.articles.append(article)
    return loaded


def _input_files(path: Path, errors: list[ReadError]) -> Iterator[Path]:
    if path.is_dir():
        found = sorted(_walk(path), key=lambda f: f.relative_to(path).parts)
        if not found:
            errors.append(ReadError(str(path), f"no supported files in this folder ({_supported()})"))
        yield from found
    elif path.is_file():
        if path.suffix.lower() in SUPPORTED_SUFFIXES:
            yield path
        else:
            kind = f"'{path.suffix}'" if path.suffix else "(no extension)"
            errors.append(ReadError(str(path), f"unsupported file type {kind}; supported: {_supported()}"))
    elif path.exists():
        errors.append(ReadError(str(path), "not a regular file or folder"))
    else:
        errors.append(ReadError(str(path), "no such file or folder"))


def _walk(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith(".") and os.path.splitext(name)[1].lower() in SUPPORTED_SUFFIXES:
                yield Path(root, name)


def _supported() -> str:
    return " ".join(SUPPORTED_SUFFIXES)


def _unique_id(article_id: str, taken: set[str]) -> str:
    unique, n = article_id, 1
    while unique in taken:
        n += 1
        unique = f"{article_id}~{n}"
    taken.add(unique)
    return unique


def _read_file(path: Path) -> tuple[list[Article], list[ReadError]]:
    suffix = path.suffix.lower()
    try:
        data = path.read_bytes()
        text = decode(data, html=suffix in (".html", ".htm"))
        if suffix in (".txt", ".md"):
            return [_text_article(path, text)], []
        if suffix in (".html", ".htm"):
            return [_html_article(path, text)], []
        if suffix == ".jsonl":
            return _jsonl_articles(path, text)
        return _csv_articles(path, text)
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        return [], [ReadError(str(path), f"cannot read the file: {reason}")]
    except (UndecodableError, _Rejected) as exc:
        return [], [ReadError(str(path), str(exc))]


# --- plain text and Markdown -------------------------------------------------------------------

def _text_article(path: Path, text: str) -> Article:
    metadata: dict[str, str] = {}
    body_start = 0
    span = front_matter_span(text)
    if span is not None:
        yaml_start, yaml_end, body_start = span
        metadata = _front_matter_metadata(text[yaml_start:yaml_end], path)
        if not text[body_start:].strip():
            raise _Rejected("no article text after the front matter")
    return _article(path.stem, path, text, metadata, title_from=body_start)


def _front_matter_metadata(block: str, path: Path) -> dict[str, str]:
    import yaml

    try:
        parsed = parse_front_matter(block)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 2})" if where is not None else ""
        _log.warning("%s: front matter ignored, it is not valid YAML%s", path, line)
        return {}
    if not isinstance(parsed, Mapping):
        _log.warning("%s: front matter ignored, it is not a list of 'key: value' lines", path)
        return {}
    return _metadata(parsed, str(path))


# --- HTML ---------------------------------------------------------------------------------------

def _html_article(path: Path, html: str) -> Article:
    import trafilatura
    from trafilatura.settings import set_date_params

    from .sentences import is_boilerplate

    try:
        document = trafilatura.bare_extraction(
            html,
            include_comments=False,
            with_metadata=True,
            # Dates from the page's metadata only: a guess from "© 2020" in a footer is worse than none.
            date_extraction_params=set_date_params(extensive=False),
        )
    except Exception as exc:  # noqa: BLE001 - any parser failure is a property of this one file
        raise _Rejected(f"cannot parse the HTML ({type(exc).__name__}: {exc})") from None
    text = (document.text or "") if document is not None else ""
    # On a page without a story trafilatura falls back to whatever is left, e.g. the menu.
    if all(is_boilerplate(line) for line in text.splitlines() if line.strip()):
        raise _Rejected("no article text found")
    page = {
        "title": document.title,
        "outlet": document.sitename or document.hostname,
        "published": document.date,
        "url": document.url,
    }
    return _article(path.stem, path, text, _metadata(page, str(path)))


# --- JSON Lines ---------------------------------------------------------------------------------

def _jsonl_articles(path: Path, text: str) -> tuple[list[Article], list[ReadError]]:
    articles: list[Article] = []
    errors: list[ReadError] = []
    # Split on "\n" only: JSON strings may legally contain U+2028 and other line separators.
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(ReadError(str(path), f"line {number}: not valid JSON (column {exc.colno}: {exc.msg})"))
            continue
        if not isinstance(record, dict):
            errors.append(ReadError(str(path), f"line {number}: not a JSON object"))
            continue
        try:
            articles.append(_record_article(path, record, f"line {number}"))
        except _Rejected as exc:
            errors.append(ReadError(str(path), f"line {number}: {exc}"))
    if not articles and not errors:
        errors.append(ReadError(str(path), "empty file"))
    return articles, errors


# --- CSV ----------------------------------------------------------------------------------------

def _csv_articles(path: Path, text: str) -> tuple[list[Article], list[ReadError]]:
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    delimiter = _csv_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [cell.strip().lower() for cell in next(reader)]
    except csv.Error as exc:
        raise _Rejected(f"cannot read the CSV header ({exc})") from None
    missing = [column for column in ("id", "text") if column not in header]
    if missing:
        names = " and ".join(f"'{m}'" for m in missing)
        found = ", ".join(repr(h) for h in header if h) or "none"
        raise _Rejected(f"missing column {names} (columns found: {found})")
    articles: list[Article] = []
    errors: list[ReadError] = []
    row_number = 1  # spreadsheet numbering: the header is row 1
    while True:
        row_number += 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(ReadError(str(path), f"row {row_number}: malformed CSV ({exc}); rest of the file skipped"))
            break
        if not any(cell.strip() for cell in row):
            continue
        record = dict(zip(header, row))
        try:
            articles.append(_record_article(path, record, f"row {row_number}"))
        except _Rejected as exc:
            errors.append(ReadError(str(path), f"row {row_number}: {exc}"))
    if not articles and not errors:
        errors.append(ReadError(str(path), "no articles (the file has a header but no rows)"))
    return articles, errors


def _csv_delimiter(text: str) -> str:
    """Comma, or the semicolon/tab a spreadsheet in another locale wrote, judged by the header."""
    first_line = text.split("\n", 1)[0]
    for delimiter in _CSV_DELIMITERS:
        cells = {cell.strip().lower() for cell in next(csv.reader([first_line], delimiter=delimiter), [])}
        if {"id", "text"} <= cells:
            return delimiter
    return ","


# --- shared -------------------------------------------------------------------------------------

def _record_article(path: Path, record: Mapping[str, Any], where: str) -> Article:
    article_id = record.get("id")
    if article_id is None or isinstance(article_id, (dict, list, bool)) or not str(article_id).strip():
        raise _Rejected("missing 'id'")
    text = record.get("text")
    if not isinstance(text, str):
        raise _Rejected("missing 'text'" if text is None else "'text' is not a string")
    if not text.strip():
        raise _Rejected("empty 'text'")
    return _article(str(article_id).strip(), path, text, _metadata(record, f"{path} {where}"))


def _article(article_id: str, path: Path, text: str, metadata: Mapping[str, str], title_from: int = 0) -> Article:
    title = metadata.get("title") or _title_from_text(text, title_from)
    return Article(
        article_id=article_id,
        path=str(path),
        text=text,
        title=title,
        outlet=metadata.get("outlet", ""),
        published=metadata.get("published", ""),
        url=metadata.get("url", ""),
    )


def _metadata(raw: Mapping[Any, Any], where: str) -> dict[str, str]:
    """The contract's metadata fields as clean strings; unusable values are dropped with a warning."""
    metadata: dict[str, str] = {}
    for name in METADATA_FIELDS:
        value = raw.get(name)
        if value is None or value == "":
            continue
        if name == "published":
            iso = _iso_date(value)
            if iso is None:
                _log.warning("%s: 'published' ignored, %r is not a date", where, value)
                continue
            metadata[name] = iso
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            metadata[name] = " ".join(str(value).split())
        else:
            _log.warning("%s: %r ignored, it is not a single value", where, name)
    return metadata


def _iso_date(value: Any) -> str | None:
    """``YYYY-MM-DD`` for a date, a datetime or a string naming one; ``None`` otherwise."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        return None
    text = value.strip()
    for parse in (dt.date.fromisoformat, dt.datetime.fromisoformat):
        try:
            parsed = parse(text)
        except ValueError:
            continue
        return (parsed.date() if isinstance(parsed, dt.datetime) else parsed).isoformat()
    for form in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, form).date().isoformat()
        except ValueError:
            continue
    return None


def _title_from_text(text: str, start: int = 0) -> str:
    """The first non-empty line that is not page furniture ("Accessibility links"), without a
    Markdown heading mark, cut at a word when too long."""
    from .sentences import is_boilerplate

    for line in text[start:start + 20_000].splitlines():
        title = _MARKDOWN_HEADING.sub("", line.strip())
        if title and not is_boilerplate(title):
            if len(title) > _TITLE_MAX_CHARS:
                title = title[:_TITLE_MAX_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + " …"
            return title
    return ""


__all__ = ["METADATA_FIELDS", "SUPPORTED_SUFFIXES", "load_articles"]

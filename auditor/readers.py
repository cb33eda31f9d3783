"""Read articles from files and folders (``.txt .md .html .htm .jsonl .csv``).

Offsets of every later stage index ``Article.text``, which is:

* ``.txt``/``.md``: the whole decoded file, front matter included (a UTF-8/UTF-16 byte order
  mark is not part of it, and line endings are kept exactly as in the file);
* ``.html``/``.htm``: the main text trafilatura extracts (navigation, comments, scripts and
  footers removed);
* ``.jsonl``/``.csv``: the ``text`` field as stored.

Nothing is raised for a bad input: it becomes a :class:`~auditor.model.ReadError` naming the
file and the reason, and the other inputs still load. Only regular files are read (a named pipe
or a device is listed, never opened), each up to a size limit checked before reading; a symbolic
link leading outside the given paths is not followed unless asked; folders written by
figure-audit itself (the ``--out`` folder, any folder holding ``.figure-audit/``) and its own
output files are skipped. A file name that is not valid UTF-8 is shown with ``\\xNN`` escapes. Metadata that cannot be understood (a
malformed front matter, a date that is not a date) is ignored with a logged warning, because
the article itself is still worth auditing.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as dt
import functools
import hashlib
import io
import json
import logging
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._decode import UndecodableError, decode, decode_as
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
DEFAULT_MAX_FILE_SIZE = 50 * 1024**2
# A text or HTML file (one article) at least this big is extracted by several workers, each a piece of its
# sentences (auditor._article_parts). Every piece builds the whole article's context (places, actors:
# ~15 % of the article's extraction) and waits for the slowest: below a few hundred KB (~0.7 s on one
# worker) that costs more than it saves, and a corpus of smaller files keeps the workers busy file by file.
SPLIT_ARTICLE_BYTES = 256 * 1024
_ONE_ARTICLE_SUFFIXES = (".txt", ".md", ".html", ".htm")
# A folder holding this is an output folder of figure-audit (export.py writes it).
OUTPUT_MARKER = ".figure-audit"
# Called with each file's path, bytes and status as read whole, while a run keeps its inputs' digests
# (:func:`auditor._uptodate.digests_kept`): the run record's digests without reading the files twice.
on_read: Callable[[Path, bytes, os.stat_result], None] | None = None
# The first columns of every table figure-audit writes: such a CSV is an audit output, not articles.
_OUTPUT_HEADERS: tuple[tuple[str, ...], ...] = (
    ("figure_id", "article_id"), ("article_id", "path", "title"), ("group_id", "category"),
    ("conflict_id", "group_id"), ("path", "error"), ("conflict_id", "decision"),
)
_REPORT_MARKS = (b"<meta name='generator' content='figure-audit'", b"<title>Figure audit</title>")
_FILE_KINDS = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


@dataclass(frozen=True)
class ReadOptions:
    """Which files an audit reads.

    Parameters
    ----------
    follow_symlinks
        Follow symbolic links that lead outside the given paths (links inside them are always read).
    max_file_size
        Files larger than this many bytes are listed as errors without being read.
    exclude
        Folders never read (the output folder of the audit).
    """

    follow_symlinks: bool = False
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    exclude: tuple[Path, ...] = ()


# Read note of a file whose name is not valid UTF-8 (not a problem of its content).
NAME_NOTE = "file name is not valid UTF-8: audited under the name shown here"


class _Rejected(Exception):
    """A whole file cannot be read; the message is the plain reason."""


def _given_paths(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list:
    """``paths`` as a list (one path alone is a list of one); ``ValueError`` when there are none."""
    given = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if not given:
        raise ValueError("no input paths given")
    return given


def load_articles(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    options: ReadOptions | None = None,
    read_file: Callable[[Path, int], tuple[list[Article], list[ReadError]]] | None = None,
) -> AuditInput:
    """Read articles from files and folders (folders recursively, in sorted order).

    Parameters
    ----------
    paths
        One path or several. Folders are searched recursively for supported files, skipping
        hidden files and folders and other file types; a file named explicitly must be of a
        supported type. A file named twice is read once.
    options
        Symbolic links, size limit and excluded folders (:class:`ReadOptions`).
    read_file
        Reads one file as ``read_file(path, max_size)``; default reads it here (the figure
        cache passes one that reuses what an unchanged file read to).

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
    given = _given_paths(paths)
    options = options or ReadOptions()
    loaded = AuditInput()
    taken_ids: set[str] = set()
    for file in _files(given, options, loaded.errors):
        articles, errors = (read_file or _read_file)(file, options.max_file_size)
        loaded.errors.extend(errors)
        for article in articles:
            unique = _unique_id(article.article_id, taken_ids)
            if unique != article.article_id:
                article = dataclasses.replace(article, article_id=unique)
            loaded.articles.append(article)
    return loaded


def _files(given: list[str | os.PathLike[str]], options: ReadOptions, errors: list[ReadError]) -> Iterator[Path]:
    """The files to read under ``given``, each once, in reading order; what is skipped goes to ``errors``
    (before the files that follow it)."""
    for path, _size in _found(given, options, errors):
        yield Path(path)


def _found(given: list[str | os.PathLike[str]], options: ReadOptions, errors: list[ReadError],
           sized: bool = True) -> Iterator[tuple[str, int]]:
    """:func:`_files` as ``(path, size)``, the size as the walk saw it (one ``stat`` per file); without
    ``sized`` a regular file found in a folder is not ``stat``-ed and its size is 0."""
    walk = _Walk(options, [Path(raw) for raw in given if os.fspath(raw).strip()], errors, sized)
    seen: set[str] = set()
    for raw in given:
        if not os.fspath(raw).strip():  # Path("") would silently mean the current folder
            errors.append(ReadError(os.fspath(raw), "empty path"))
            continue
        for file, real, size in walk.files(Path(raw)):
            if real in seen:  # the same file reached twice (a link, or paths given twice)
                continue
            seen.add(real)
            yield file, size


@dataclass(frozen=True)
class ReadTask:
    """One unit of reading: a whole file, or a run of lines of a big JSON Lines file.

    A part is a byte range ``[start, end)`` cut after a newline, decoded with ``encoding`` (the
    one the whole file decodes with), whose first line is line ``first_line`` of the file.
    """

    path: Path
    size: int  # bytes this task reads (the whole file's size for a whole file)
    start: int = 0
    end: int = -1  # -1: the whole file
    first_line: int = 1
    encoding: str = ""
    part: int = 0
    parts: int = 1

    @property
    def whole(self) -> bool:
        return self.end < 0

    @property
    def key(self) -> str:
        """Tells the parts of one file apart (empty for a whole file)."""
        return "" if self.whole else f"{self.start}-{self.end}:{self.encoding}"

    def pieces(self, workers: int) -> int:
        """How many of ``workers`` extract this task's article together, each a piece of its sentences:
        one, unless the task is a whole text or HTML file of at least ``SPLIT_ARTICLE_BYTES`` (then one
        piece per half of that size, at most one per worker)."""
        if workers < 2 or not self.whole or self.size < SPLIT_ARTICLE_BYTES \
                or self.path.suffix.lower() not in _ONE_ARTICLE_SUFFIXES:
            return 1
        return min(workers, self.size // (SPLIT_ARTICLE_BYTES // 2))


def plan_reads(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    options: ReadOptions | None = None,
    part_bytes: int = 256_000,
) -> Iterator[ReadTask | ReadError]:
    """What :func:`load_articles` reads, as tasks another process can run (:func:`read_task`), in order,
    with the errors of the walk where they fall.

    A JSON Lines file larger than ``2 * part_bytes`` in UTF-8 or a one-byte code page is cut into parts
    of about ``part_bytes`` at line ends; each part reads only its bytes. Ids are not made unique
    here: the caller does it, in this order, as :func:`load_articles` does.
    """
    given = _given_paths(paths)
    options = options or ReadOptions()
    errors: list[ReadError] = []
    for name, size in _found(given, options, errors):
        yield from errors
        errors.clear()
        file = Path(name)
        if file.suffix.lower() == ".jsonl" and 2 * part_bytes < size <= options.max_file_size:
            yield from _jsonl_parts(file, size, options.max_file_size, part_bytes)
        else:
            yield ReadTask(file, size)
    yield from errors


def _jsonl_parts(path: Path, size: int, max_size: int, part_bytes: int) -> list[ReadTask]:
    """The parts of a big JSON Lines file, or the whole file as one task when it cannot be cut
    (unreadable, UTF-16/32, not text: reading it whole reports why)."""
    try:
        data = _read_bytes(path, max_size)
        _text, encoding = decode_as(data)
    except (OSError, UndecodableError, _Rejected):
        return [ReadTask(path, size)]
    if not _splittable(encoding):
        return [ReadTask(path, size)]
    bom = len(codecs.BOM_UTF8) if encoding == "utf-8-sig" else 0
    del _text
    bounds: list[tuple[int, int, int]] = []  # start, end, first line
    start, line = bom, 1
    while start < len(data):
        cut = data.find(b"\n", start + part_bytes)
        end = len(data) if cut < 0 or cut + 1 >= len(data) else cut + 1
        bounds.append((start, end, line))
        line += data.count(b"\n", start, end)
        start = end
    return [ReadTask(path, end - start, start, end, first, encoding, i, len(bounds))
            for i, (start, end, first) in enumerate(bounds)]


def _splittable(encoding: str) -> bool:
    """Cut at b"\\n" and decoded alone, each part reads as in the whole file: UTF-8 (also with
    replaced bad bytes: a newline byte is never inside a sequence) and one-byte code pages."""
    name = encoding.split(":")[0]
    if name in ("utf-8", "utf-8-sig"):
        return True
    try:
        return codecs.lookup(name).name not in ("utf-16", "utf-32") and "\n".encode(name) == b"\n" \
            and len("\u00e9".encode(name, "replace")) == 1
    except LookupError:
        return False


def read_task(task: ReadTask, max_size: int = DEFAULT_MAX_FILE_SIZE) -> tuple[list[Article], list[ReadError]]:
    """The articles and read errors of one :class:`ReadTask` (a whole file reads as in :func:`load_articles`)."""
    if task.whole:
        return _read_file(task.path, max_size)
    shown = _shown(task.path)
    notes: list[ReadError] = []
    if task.part == 0 and shown != os.fspath(task.path):
        notes.append(ReadError(shown, NAME_NOTE))
    name, _, errors = task.encoding.partition(":")
    try:
        with open(task.path, "rb") as handle:
            handle.seek(task.start)
            data = handle.read(task.end - task.start)
        if len(data) != task.end - task.start:
            raise _Rejected("the file changed while it was read (it is shorter)")
        text = data.decode("utf-8" if name == "utf-8-sig" else name, errors or "strict")
    except OSError as exc:
        return [], notes + [ReadError(shown, f"cannot read the file: {_reason(exc)}")]
    except UnicodeDecodeError:
        return [], notes + [ReadError(shown, "the file changed while it was read (no longer the same text)")]
    except _Rejected as exc:
        return [], notes + [ReadError(shown, str(exc))]
    articles, errors_found = _jsonl_articles(task.path, text, first_line=task.first_line, whole=False)
    return articles, notes + errors_found


class _Walk:
    """Finds the files to read under the given paths, listing what it skips and why."""

    def __init__(self, options: ReadOptions, roots: list[Path], errors: list[ReadError], sized: bool = True) -> None:
        self.options = options
        self.sized = sized
        self.errors = errors
        self.roots = [Path(os.path.realpath(r)) for r in roots]
        self.excluded = {Path(os.path.realpath(e)) for e in options.exclude}
        self.visited: set[tuple[int, int]] = set()  # folders entered, against symlink loops
        self.reported: set[ReadError] = set()

    def files(self, path: Path) -> Iterator[tuple[str, str, int]]:
        """``(file, its real path, its size)`` for each file to read under ``path``."""
        try:
            info = path.stat()
        except FileNotFoundError:
            self._error(path, "no such file or folder")
            return
        except OSError as exc:
            self._error(path, f"cannot read: {_reason(exc)}")
            return
        if stat.S_ISDIR(info.st_mode):
            if self._skipped_folder(path, given=True):
                return
            before = len(self.errors)
            found = list(self._walk(str(path), info, os.path.realpath(path)))
            if not found and len(self.errors) == before:
                self._error(path, f"no supported files in this folder ({_supported()})")
            yield from found
        elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
            kind = f"'{path.suffix}'" if path.suffix else "(no extension)"
            self._error(path, f"unsupported file type {kind}; supported: {_supported()}")
        elif not stat.S_ISREG(info.st_mode):
            self._error(path, f"not a regular file ({_kind(info.st_mode)}), not read")
        else:
            yield str(path), os.path.realpath(path), info.st_size

    def _walk(self, folder: str, info: os.stat_result, real: str) -> Iterator[tuple[str, str, int]]:
        """The files under ``folder``, whose real path is ``real``: an entry that is not a link is at
        ``real/name`` (no ``realpath`` per file), and the listing's file types spare a ``stat`` per entry
        that is neither a folder nor a supported file (and per regular file when sizes are not asked)."""
        self.visited.add((info.st_dev, info.st_ino))
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            self._error(folder, f"cannot open the folder: {_reason(exc)}")
            return
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            supported = os.path.splitext(name)[1].lower() in SUPPORTED_SUFFIXES
            path = entry.path
            try:
                if entry.is_symlink():
                    if not self._may_follow(path, supported):
                        continue
                    target = entry.stat(follow_symlinks=True)
                    entry_real = os.path.realpath(path)
                elif not self.sized and supported and entry.is_file(follow_symlinks=False):
                    yield path, os.path.join(real, name), 0
                    continue
                elif supported or entry.is_dir(follow_symlinks=False):
                    target = entry.stat(follow_symlinks=False)
                    entry_real = os.path.join(real, name)
                else:
                    continue
            except FileNotFoundError:
                if supported:
                    self._error(path, "broken symbolic link (its target does not exist)")
                continue
            except OSError as exc:
                if supported:
                    self._error(path, f"cannot read: {_reason(exc)}")
                continue
            if stat.S_ISDIR(target.st_mode):
                if (target.st_dev, target.st_ino) in self.visited or self._skipped_folder(path):
                    continue
                yield from self._walk(path, target, entry_real)
            elif supported:
                if stat.S_ISREG(target.st_mode):
                    yield path, entry_real, target.st_size
                else:
                    self._error(path, f"not a regular file ({_kind(target.st_mode)}), not read")

    def _may_follow(self, link: str | Path, supported: bool) -> bool:
        """Links inside the given paths are read there; links leading out only when asked."""
        target = Path(os.path.realpath(link))
        inside = any(target == root or target.is_relative_to(root) for root in self.roots)
        if inside:
            return not os.path.isdir(target)  # a linked folder inside the roots is read where it is
        if self.options.follow_symlinks:
            return True
        if supported or os.path.isdir(target):
            self._error(link, f"symbolic link to {_shown(target)}, outside the audited paths: not followed "
                              "(--follow-symlinks reads it)")
        return False

    def _skipped_folder(self, folder: str | Path, given: bool = False) -> bool:
        real = Path(os.path.realpath(folder))
        if real in self.excluded:  # the audit's own output folder
            if given:
                self._error(folder, "the output folder of this audit, not read")
            return True
        if os.path.isdir(os.path.join(folder, OUTPUT_MARKER)):  # os.path: a folder we may not enter is no error here
            self._error(folder, "an output folder of figure-audit, not read")
            return True
        return False

    def _error(self, path: str | Path, reason: str) -> None:
        error = ReadError(_shown(path), reason)
        if error not in self.reported:  # a path given twice (and inside a given folder) is listed once
            self.reported.add(error)
            self.errors.append(error)


def _shown(path: str | os.PathLike[str]) -> str:
    """The path as text: bytes of a file name that are not UTF-8 become ``\\xNN`` escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def _kind(mode: int) -> str:
    return next((name for test, name in _FILE_KINDS if test(mode)), "not a regular file")


def _size(n: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{n} bytes"


def _supported() -> str:
    return " ".join(SUPPORTED_SUFFIXES)


def _unique_id(article_id: str, taken: set[str]) -> str:
    unique, n = article_id, 1
    while unique in taken:
        n += 1
        unique = f"{article_id}~{n}"
    taken.add(unique)
    return unique


def _read_file(path: Path, max_size: int = DEFAULT_MAX_FILE_SIZE) -> tuple[list[Article], list[ReadError]]:
    suffix = path.suffix.lower()
    shown = _shown(path)
    notes: list[ReadError] = []
    if shown != os.fspath(path):
        notes.append(ReadError(shown, NAME_NOTE))
    try:
        data = _read_bytes(path, max_size)
        if suffix in (".html", ".htm") and any(mark in data[:4096] for mark in _REPORT_MARKS):
            raise _Rejected("a report written by figure-audit, not an article")
        text = decode(data, html=suffix in (".html", ".htm"))
        if suffix in (".txt", ".md"):
            return [_text_article(path, text)], notes
        if suffix in (".html", ".htm"):
            return [_html_article(path, text)], notes
        if suffix == ".jsonl":
            articles, errors = _jsonl_articles(path, text)
        else:
            articles, errors = _csv_articles(path, text)
        return articles, notes + errors
    except OSError as exc:
        return [], notes + [ReadError(shown, f"cannot read the file: {_reason(exc)}")]
    except (UndecodableError, _Rejected) as exc:
        return [], notes + [ReadError(shown, str(exc))]


def _read_bytes(path: Path, max_size: int) -> bytes:
    """The file's bytes, checking on the open file (not the name) that it is regular and small enough.

    ``O_NONBLOCK``: a named pipe swapped in after the folder was listed must not hang the open.
    """
    fd = os.open(path, _OPEN_FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _Rejected(f"not a regular file ({_kind(info.st_mode)}), not read")
        if info.st_size > max_size:
            raise _Rejected(f"file is {_size(info.st_size)}, over the {_size(max_size)} limit per file "
                            "(--max-file-size)")
        # Read straight from the descriptor (a buffered file object cost a fifth of reading a small file):
        # the size the file has, then any growth, up to one byte over the limit.
        data = _read_up_to(fd, info.st_size + 1)
        if len(data) > info.st_size:
            data += _read_up_to(fd, max_size + 1 - len(data))
    finally:
        os.close(fd)
    if len(data) > max_size:  # grew while being read
        raise _Rejected(f"file is over the {_size(max_size)} limit per file (--max-file-size)")
    if on_read is not None:
        on_read(path, data, info)
    return data


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _read_up_to(fd: int, n: int) -> bytes:
    """``n`` bytes from ``fd``, fewer at the end of the file (one ``os.read`` may give less than asked)."""
    parts = []
    while n > 0:
        data = os.read(fd, n)
        if not data:
            break
        parts.append(data)
        n -= len(data)
    return parts[0] if len(parts) == 1 else b"".join(parts)


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
    return _article(_shown(path.stem), path, text, metadata, title_from=body_start)


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
    return _metadata(parsed, _shown(path))


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
    return _article(_shown(path.stem), path, text, _metadata(page, _shown(path)))


# --- JSON Lines ---------------------------------------------------------------------------------

def _jsonl_articles(path: Path, text: str, first_line: int = 1, whole: bool = True) -> tuple[list[Article], list[ReadError]]:
    articles: list[Article] = []
    errors: list[ReadError] = []
    # Split on "\n" only: JSON strings may legally contain U+2028 and other line separators.
    for number, line in enumerate(text.split("\n"), first_line):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(ReadError(_shown(path), f"line {number}: not valid JSON (column {exc.colno}: {exc.msg})"))
            continue
        if not isinstance(record, dict):
            errors.append(ReadError(_shown(path), f"line {number}: not a JSON object"))
            continue
        try:
            articles.append(_record_article(path, record, f"line {number}"))
        except _Rejected as exc:
            errors.append(ReadError(_shown(path), f"line {number}: {exc}"))
    if whole and not articles and not errors:
        errors.append(ReadError(_shown(path), "empty file"))
    return articles, errors


# --- CSV ----------------------------------------------------------------------------------------

def _csv_articles(path: Path, text: str) -> tuple[list[Article], list[ReadError]]:
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    delimiter = _csv_delimiter(text)
    # strict: a quote left open must be an error, not a silent merge of every row up to the next quote.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [cell.strip().lower() for cell in next(reader)]
    except csv.Error as exc:
        raise _Rejected(f"cannot read the CSV header ({exc})") from None
    if any(tuple(header[: len(first)]) == first for first in _OUTPUT_HEADERS):
        raise _Rejected("an audit table written by figure-audit, not articles")
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
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            hint = " (a quote opened there is never closed)" if "end of data" in str(exc) or "expected" in str(exc) else ""
            errors.append(ReadError(_shown(path), f"row {row_number} (line {line}): malformed CSV{hint}: {exc}; "
                                                  "rest of the file skipped"))
            break
        if not any(cell.strip() for cell in row):
            continue
        record = dict(zip(header, row))
        try:
            articles.append(_record_article(path, record, f"row {row_number}"))
        except _Rejected as exc:
            errors.append(ReadError(_shown(path), f"row {row_number}: {exc}"))
    if not articles and not errors:
        errors.append(ReadError(_shown(path), "no articles (the file has a header but no rows)"))
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
        path=_shown(path),
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


__all__ = ["METADATA_FIELDS", "SUPPORTED_SUFFIXES", "ArticleTexts", "ReadTask", "TextChanged", "load_articles", "plan_reads", "read_task"]


class ArticleTexts(Mapping[str, str]):
    """``article_id -> text`` of an audit, read again from the files when asked (the audit keeps
    where each article was, not its text). A text that no longer matches the digest taken when it
    was audited raises :class:`TextChanged`."""

    def __init__(self, tasks: Sequence[ReadTask], article_ids: Any, digests: Any, in_task: Sequence[int],
                 at: Sequence[int], max_size: int = DEFAULT_MAX_FILE_SIZE) -> None:
        """The ``i``-th article (id ``article_ids[i]``, sha256 ``digests[i]``; sequences or columns) was
        read as article ``at[i]`` of task ``in_task[i]``."""
        self._tasks = list(tasks)
        self._columns: Any = (article_ids, digests, in_task, at)  # made into maps when a text is first asked for
        self._max_size = max_size
        self._last: tuple[int, list[str]] = (-1, [])  # the texts of the task read last (reading in order reads each once)

    @functools.cached_property
    def _maps(self) -> tuple[dict[str, tuple[int, int]], dict[str, str]]:
        """id -> (task, place in it) and id -> digest, made on first use (a run that only writes its
        outputs never holds them)."""
        ids, digests, in_task, at = self._columns
        ids = list(ids)
        self._columns = None
        return dict(zip(ids, zip(in_task, at))), dict(zip(ids, list(digests)))

    @property
    def _where(self) -> dict[str, tuple[int, int]]:
        return self._maps[0]

    @property
    def _digests(self) -> dict[str, str]:
        return self._maps[1]

    def __getitem__(self, article_id: str) -> str:
        n, k = self._where[article_id]
        if self._last[0] != n:
            self._last = (n, [a.text for a in read_task(self._tasks[n], self._max_size)[0]])
        texts = self._last[1]
        text = texts[k] if k < len(texts) else None
        if text is None or hashlib.sha256(text.encode("utf-8")).hexdigest() != self._digests.get(article_id):
            raise TextChanged(f"{_shown(self._tasks[n].path)}: the text of article {article_id!r} changed since it "
                              "was audited")
        return text

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._where

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


class TextChanged(KeyError):
    """An article's file changed after the audit: its audited text cannot be read again."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

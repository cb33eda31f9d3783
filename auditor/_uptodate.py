"""The run record of an output folder: ``figure-audit run`` skips a run that would write what is there.

Like ``make``, a run whose inputs, options, code and review decisions are those of the last successful
run into the same ``--out`` folder, and whose output files are still those that run wrote, has nothing
to do: it prints what that run printed and exits with its status, without reading an article, starting
a worker or importing pandas. The record (``DIR/.figure-audit/run-record.json``) holds:

* the options that change outputs (paths as given) and a digest of the code and data (every file
  of the ``auditor`` package, so also the extractor's version) and of the installed packages' versions;
* every input as the walk of :mod:`auditor.readers` plans it, in order: a file's path, size and a
  digest of its bytes (an edit that keeps size and modification time is seen), a skipped path's reason;
* the bytes of the review store (``review.sqlite``, and its journal when one is left): a decision
  recorded since, by the command line or the workbench, is a change;
* each output file (name, size, digest), what the run printed and its exit status.

The record is removed when a run starts and written last, atomically, once the outputs are in place,
and only when the inputs and the review store did not change while the run read them (a file edited
mid-run, a decision recorded mid-run): a killed or failed run, or one that raced an edit, leaves no
record saying "up to date". Anything missing, different or unreadable means a normal run.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .readers import ReadOptions, _found, _given_paths
from .model import LOCK_NAME, META_DIR, REVIEW_STORE_NAME, ReadError

RECORD_NAME = "run-record.json"
_REVIEW_FILES = (REVIEW_STORE_NAME, f"{REVIEW_STORE_NAME}-journal", f"{REVIEW_STORE_NAME}-wal")
_FORMAT = 1  # bumped when the record's layout changes: an older record is then not used
# A file whose status changed this close to the moment its digest was taken may have changed again
# within the same clock tick, unseen by its status: its digest is taken again after the run.
_RACY_SECONDS = 2.0
_READ_BLOCK = 1 << 20


def _digest_file(path: str | os.PathLike[str]) -> tuple[str, os.stat_result] | None:
    """Digest of a regular file's bytes and its status (of the file read), or ``None`` when it cannot
    be read as one (gone, a pipe swapped in: ``O_NONBLOCK`` so that opening it never hangs)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None
        digest = hashlib.sha256()
        while True:
            block = os.read(fd, _READ_BLOCK)
            if not block:
                break
            digest.update(block)
        return digest.hexdigest(), info
    except OSError:
        return None
    finally:
        os.close(fd)


def _package_digest() -> str:
    """Digest of every file of the installed ``auditor`` package (code, data tables, report and workbench
    assets: it covers :func:`auditor.cache.extractor_version`'s code digest) and of the names of the
    installed distributions (``name-version.dist-info``: any library upgraded, e.g. GeoNames, quantulum3,
    trafilatura, pandas, is a change), and the Python version."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256(sys.version.encode())
    files = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        files.extend(os.path.join(folder, n) for n in names if not n.endswith((".pyc", ".pyo")))
    for path in sorted(files):
        digest.update(b"\0" + os.fsencode(os.path.relpath(path, root)) + b"\0")
        try:
            with open(path, "rb") as handle:
                digest.update(handle.read())
        except OSError:
            digest.update(b"\0unreadable")
    installed: set[str] = set()  # not where each is: sys.path[0] differs between `figure-audit` and `python -m`
    for entry in sys.path:
        try:
            installed.update(n for n in os.listdir(entry or ".") if n.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue
    digest.update(b"\0" + "\0".join(sorted(installed)).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _text(path: str | os.PathLike[str]) -> str:
    """A path as JSON can hold it (bytes that are not UTF-8 survive as surrogate escapes)."""
    return os.fsdecode(path)


def _walk(paths: Sequence[str | os.PathLike[str]], reading: ReadOptions) -> list[tuple[str, str] | str]:
    """The walk :func:`auditor.readers.plan_reads` makes, in its order: a file's path, or
    ``(path, reason)`` for what it skips."""
    errors: list[ReadError] = []
    items: list[tuple[str, str] | str] = []
    for file, _size in _found(_given_paths(list(paths)), reading, errors, sized=False):
        items.extend((e.path, e.error) for e in errors)
        errors.clear()
        items.append(_text(file))
    items.extend((e.path, e.error) for e in errors)
    return items


def _status(info: os.stat_result) -> tuple[int, int, int, int]:
    return info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino


class ReadDigests(dict):
    """Digests of the files a run read, as it read them: path (as read) -> (digest, status read with it).

    Filled through :data:`auditor.readers.on_read` (:func:`digests_kept`), in the workers too, whose
    digests come back with their results (:class:`~auditor._parallel.TaskResult`)."""

    def took(self, path: str | os.PathLike[str], data: bytes, info: os.stat_result) -> None:
        key = os.fsdecode(path)
        if key not in self:  # the first read: the one extracted (status checked after the run)
            self[key] = (hashlib.sha256(data).hexdigest(), _status(info))


_kept: list[ReadDigests] = []  # the digests being kept in this process, innermost last


class digests_kept:  # a context manager named as contextlib would make one; a class: it is entered once per file read
    """Keep the digest of every file read whole in this process into ``into`` while in the block."""

    def __init__(self, into: ReadDigests) -> None:
        self.into = into

    def __enter__(self) -> ReadDigests:
        from . import readers

        self.before = readers.on_read
        readers.on_read = self.into.took
        _kept.append(self.into)
        return self.into

    def __exit__(self, *_: object) -> None:
        from . import readers

        _kept.pop()
        readers.on_read = self.before


def keep_read(digests: Mapping[str, tuple[str, tuple[int, int, int, int]]]) -> None:
    """Digests a worker took (a task's ``read``): kept as if read here, when a run keeps them."""
    if _kept:
        target = _kept[-1]
        for key, entry in digests.items():
            target.setdefault(key, entry)


@dataclass
class Inputs:
    """The inputs of a run: the walk as it starts, and each file's digest and status.

    :meth:`take` digests every file before the run; :meth:`walked` leaves that to the run, which keeps
    the digest of each file as it reads it (:attr:`read`, see :func:`digests_kept`), so a first run
    reads its inputs once (but those touched in the last :data:`_RACY_SECONDS`, digested first); a file
    it did not read (its read was in the figure cache) is digested after the run, if it was not touched
    since before the run started."""

    walk: list[tuple[str, str] | str]
    files: dict[str, tuple[int, str]] = field(default_factory=dict)  # path -> size, digest
    status: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)  # path -> size, mtime, ctime, inode
    taken_at: float = 0.0
    unreadable: bool = False  # a file that could not be digested: nothing is recorded
    read: ReadDigests = field(default_factory=ReadDigests)
    size: int = 0  # bytes of the files walked (those that could be read), as the walk found them

    @classmethod
    def take(cls, paths: Sequence[str | os.PathLike[str]], reading: ReadOptions) -> Inputs:
        inputs = cls(_walk(paths, reading), taken_at=time.time())
        for item in inputs.walk:
            if isinstance(item, str):
                inputs._digest_now(item)
        inputs.size = sum(size for size, _digest in inputs.files.values())
        return inputs

    @classmethod
    def walked(cls, paths: Sequence[str | os.PathLike[str]], reading: ReadOptions) -> Inputs:
        taken_at = time.time()  # before the walk: any file touched since is racy
        inputs = cls(_walk(paths, reading), taken_at=taken_at)
        inputs._digest_racy()
        return inputs

    def _digest_racy(self) -> None:
        """Digest now the files touched within :data:`_RACY_SECONDS` before the run. The run may take such
        a file from the figure cache without reading it, and a digest taken after the run could not say
        whether the file changed as the run started; taken now, :meth:`unchanged` checks it as for
        :meth:`take` (status the same, and a racy file digested again)."""
        for item in self.walk:
            if not isinstance(item, str):
                continue
            try:
                info = os.stat(item)
            except OSError:
                continue  # the run reports it; without its digest nothing is recorded
            self.size += info.st_size
            if self._racy(info):
                self._digest_now(item)

    def _digest_now(self, item: str) -> None:
        """Take ``item``'s digest and status now (``unreadable`` when it cannot be read)."""
        found = _digest_file(item)
        if found is None:
            self.unreadable = True
            return
        self.files[item] = (found[1].st_size, found[0])
        self.status[item] = _status(found[1])

    def _racy(self, info: os.stat_result) -> bool:
        """Whether the file was touched within :data:`_RACY_SECONDS` before the run started, or since."""
        return max(info.st_mtime_ns, info.st_ctime_ns) >= (self.taken_at - _RACY_SECONDS) * 1e9

    def _digested(self) -> bool:
        """Each file's digest and status: as the run read it, else taken now when the file was not
        touched since before the run (else ``False``: it may have changed while the run used it)."""
        for item in self.walk:
            if not isinstance(item, str) or item in self.files:
                continue
            kept = self.read.get(item)  # the walk's paths are those the plan reads (both normalised by Path)
            if kept is None:
                kept = self.read.get(os.fsdecode(Path(item)))
            if kept is not None:
                digest, status = kept
            else:
                found = _digest_file(item)
                if found is None or self._racy(found[1]):
                    return False
                digest, status = found[0], _status(found[1])
            self.files[item] = (status[0], digest)
            self.status[item] = tuple(status)  # type: ignore[assignment]
        return True

    def unchanged(self) -> bool:
        """Whether every file is still what its digest says (after the run read them): its status is the
        same, and a file changed within :data:`_RACY_SECONDS` of the digest has the same digest again."""
        if self.unreadable or not self._digested():
            return False
        for path, before in self.status.items():
            try:
                info = os.stat(path)
            except OSError:
                return False
            if _status(info) != before:
                return False
            if self._racy(info):
                found = _digest_file(path)
                if found is None or found[0] != self.files[path][1]:
                    return False
        return True


def review_state(out_dir: str | os.PathLike[str]) -> str:
    """Digest of the review store's files as they are (absent, or its bytes and any journal left)."""
    digest = hashlib.sha256()
    for name in _REVIEW_FILES:
        found = _digest_file(Path(out_dir) / name)
        if found is not None:
            digest.update(f"{name}\0{found[0]}\0".encode())
        elif os.path.lexists(Path(out_dir) / name):
            return ""  # there but unreadable: never the state recorded
    return digest.hexdigest()


@dataclass
class Printed:
    """What a run printed: its summary counts, the files it lists, the inputs it skipped."""

    counts: dict[str, int]
    written: list[tuple[str, str]]  # (name shown, path shown)
    skipped: list[tuple[str, str]]  # (path, reason)

    def show(self, seconds: float, quiet: bool, note: str = "") -> None:
        if not quiet:
            c = self.counts
            print(f"{c['articles']} articles, {c['figures']} figures, {c['groups']} claim groups, "
                  f"{c['conflicts']} conflicts, {c['errors']} unreadable inputs in {seconds:.1f}s")
            for name, path in self.written:
                print(f"  {name:<17} {path}")
            if note:
                print(note)
        for path, reason in self.skipped:
            print(f"figure-audit: skipped {path}: {reason}", file=sys.stderr)


def _record_path(out_dir: str | os.PathLike[str]) -> Path:
    return Path(out_dir) / META_DIR / RECORD_NAME


def options_key(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options of a run as recorded: those given, and the digest of the code and libraries.

    Paths are kept as given: relative ones are checked (walked, digested) from the folder the check runs
    in, and the outputs hold them as given, so the same files in another folder give the same outputs."""
    return {**options, "package": _package_digest()}


def forget(out_dir: str | os.PathLike[str]) -> None:
    """Remove the record (a run is starting: until it ends well, nothing is up to date), and the temporary
    file of one that a killed run was writing (``atomic_write_text``'s; the folder is this run's now)."""
    path = _record_path(out_dir)
    try:
        path.unlink(missing_ok=True)
        for left in path.parent.glob(f".{RECORD_NAME}.*.tmp"):
            left.unlink(missing_ok=True)
    except OSError:
        pass


def write_record(out_dir: str | os.PathLike[str], options: Mapping[str, Any], inputs: Inputs, review_before: str,
                 outputs: Iterable[str], printed: Printed, status: int) -> bool:
    """Write the record of a run that ended well, atomically; nothing when the inputs or the review store
    changed while it ran (then the next run is a normal one). Returns whether it was written."""
    out = Path(out_dir)
    review_after = review_state(out)
    if not review_after or review_after != review_before or not inputs.unchanged():
        return False
    written: dict[str, tuple[int, str]] = {}
    for name in outputs:
        found = _digest_file(out / name)
        if found is None:
            return False
        written[name] = (found[1].st_size, found[0])
    record = {
        "format": _FORMAT,
        "options": options,
        "walk": inputs.walk,
        "files": inputs.files,
        "review": review_after,
        "outputs": written,
        "printed": {"counts": printed.counts, "written": printed.written, "skipped": printed.skipped},
        "status": status,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    from .export import _fsync_dir, atomic_write_text  # a run that ends well has imported it

    path = _record_path(out)
    try:
        atomic_write_text(path, json.dumps(record, separators=(",", ":")))
        _fsync_dir(path.parent)
    except OSError:
        return False
    return True


def _locked(out_dir: Path) -> int | None:
    """The output folder's lock, held (as a run holds it), or ``None`` when another run holds it or
    there is none (a folder never written by a run has no record either)."""
    import fcntl

    try:
        fd = os.open(out_dir / META_DIR / LOCK_NAME, os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
    except OSError:
        os.close(fd)
        return None
    return fd


def up_to_date(out_dir: str | os.PathLike[str], options: Mapping[str, Any], paths: Sequence[str | os.PathLike[str]],
               reading: ReadOptions) -> tuple[Printed, int, str] | None:
    """``(what the last run printed, its exit status, when it finished)`` when a run with ``options``
    would write what ``out_dir`` holds; ``None`` when anything differs, is missing or unreadable."""
    out = Path(out_dir)
    lock = _locked(out)
    if lock is None:
        return None
    try:
        try:
            with open(_record_path(out), encoding="utf-8") as handle:
                record = json.load(handle)
            if record.get("format") != _FORMAT or record["options"] != options:
                return None
            if record["review"] != review_state(out):
                return None
            for name, (size, digest) in record["outputs"].items():
                found = _digest_file(out / name)
                if found is None or found[1].st_size != size or found[0] != digest:
                    return None
            walk = _walk(paths, reading)
            if walk != [item if isinstance(item, str) else tuple(item) for item in record["walk"]]:
                return None
            files = record["files"]
            for item in walk:
                if isinstance(item, str):
                    found = _digest_file(item)
                    size, digest = files.get(item, (None, None))
                    if found is None or found[1].st_size != size or found[0] != digest:
                        return None
            printed = record["printed"]
            shown = Printed({k: int(v) for k, v in printed["counts"].items()},
                            [(str(a), str(b)) for a, b in printed["written"]],
                            [(str(a), str(b)) for a, b in printed["skipped"]])
            return shown, int(record["status"]), str(record.get("finished", ""))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
    finally:
        os.close(lock)  # releases the lock


__all__ = ["Inputs", "Printed", "ReadDigests", "digests_kept", "keep_read", "RECORD_NAME", "forget", "options_key", "review_state", "up_to_date", "write_record"]

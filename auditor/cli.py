"""The ``figure-audit`` command line (see CONTRACT.md)."""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)i?b?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1024**2, "k": 1024, "m": 1024**2, "g": 1024**3}  # a bare number is in MB
_DEBUG_ENV = "FIGURE_AUDIT_DEBUG"  # set to 1 to see the traceback of a failed audit


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="figure-audit",
        description="Audit the numbers in news articles: figures, sources, claim groups and conflicts.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="audit files and folders, write DIR/*.csv (+ report.html)")
    run.add_argument("paths", nargs="+", type=Path, help="article files or folders (read recursively)")
    run.add_argument("--out", required=True, type=Path, help="output folder for the audit CSVs")
    run.add_argument("--html", action="store_true", help="also write a standalone report.html")
    run.add_argument("--jobs", type=int, default=None, help="worker processes (default and at most: all cores)")
    run.add_argument("--format", choices=("csv", "parquet", "both"), default="csv",
                     help="write the tables as CSV (default), Parquet, or both")
    run.add_argument("--follow-symlinks", action="store_true",
                     help="also read symbolic links leading outside the given paths")
    run.add_argument("--max-file-size", type=_size, default=None, metavar="SIZE",
                     help="skip (and list in errors.csv) files larger than this: 50MB by default; KB, MB, GB")
    run.add_argument("--vague-convention", default="default",
                     help="reading of vague amounts: 'default' (contract table) or 'acled' (conservative floor)")
    run.add_argument("--cache", type=Path, default=None, metavar="DIR",
                     help="folder of the per-article figure cache (default: the user cache folder)")
    run.add_argument("--no-cache", action="store_true", help="extract every article again; read and write no cache")
    run.add_argument("--cache-size", type=_size, default=None, metavar="SIZE",
                     help="largest size of the cache: 4GB by default (the entries used least recently go first)")
    run.add_argument("--cluster", default=None, metavar="ADDRESS",
                     help="run extraction and claims on a running Dask scheduler (e.g. tcp://10.0.0.5:8786)")
    run.add_argument("--profile", default="auto", metavar="NAME",
                     help="conflict profile: actors, generic words and place hints (auditor/data/profiles/); "
                          "'auto' (default) picks one per article from its main country")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    lab = sub.add_parser("lab", help="open JupyterLab on the dashboard notebook")
    lab.add_argument("path", nargs="?", type=Path, default=None,
                     help="folder or files to audit (default: seeds/), or the --out folder of a run to open it")
    lab.add_argument("--port", type=int, default=None, help="port of the JupyterLab server (as `jupyter lab --port`)")
    lab.add_argument("--ip", default=None, help="address the server listens on (as `jupyter lab --ip`)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser (as `jupyter lab --no-browser`)")
    return parser


def _size(text: str) -> int:
    match = _SIZE.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 50MB, 500KB, 2GB)")
    return int(float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()])


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _fail(message: str, code: int = 1) -> int:
    print(f"figure-audit: {message}", file=sys.stderr)
    return code


def _cache_folder(args: argparse.Namespace) -> Path:
    """The per-article cache's folder a run uses (``--cache``, else the user's cache folder)."""
    from .cache import default_cache_folder

    return Path(args.cache) if args.cache else default_cache_folder()


def _recorded_options(args: argparse.Namespace, max_file_size: int) -> dict[str, object]:
    """The options of ``run`` that change what it writes, as the run record keeps them (``--jobs``,
    ``--cache``, ``--cache-size``, ``--cluster`` and ``--quiet`` do not: the outputs are the same)."""
    return {"paths": [os.fsdecode(p) for p in args.paths], "out": os.fsdecode(args.out),
            "profile": args.profile, "vague_convention": args.vague_convention, "format": args.format,
            "html": bool(args.html), "max_file_size": max_file_size, "follow_symlinks": bool(args.follow_symlinks)}


def _run(args: argparse.Namespace) -> int:
    from . import _uptodate
    from .readers import DEFAULT_MAX_FILE_SIZE, ReadOptions

    started = time.perf_counter()
    if args.jobs is not None and args.jobs < 1:
        return _fail("--jobs must be at least 1", 2)
    jobs = args.jobs
    if jobs is not None and jobs > _cores():
        if not args.quiet:
            print(f"figure-audit: --jobs {jobs} capped to the {_cores()} cores of this machine", file=sys.stderr)
        jobs = _cores()
    missing = [str(p) for p in args.paths if not os.path.lexists(p)]
    if len(missing) == len(args.paths):
        return _fail(f"no such file or folder: {', '.join(missing)}", 2)
    reading = ReadOptions(follow_symlinks=args.follow_symlinks,
                          max_file_size=args.max_file_size or DEFAULT_MAX_FILE_SIZE)
    walked = dataclasses.replace(reading, exclude=(args.out,))  # as the audit walks: never its own --out
    options = _uptodate.options_key(_recorded_options(args, reading.max_file_size))
    if not args.no_cache:  # make-like: nothing changed since the last run into --out, nothing to do
        last = _uptodate.up_to_date(args.out, options, args.paths, walked)
        if last is not None:
            printed, status, finished = last
            printed.show(time.perf_counter() - started, args.quiet,
                         f"  up to date: inputs, options, code and review decisions as in the run of {finished}; "
                         "outputs kept (--no-cache runs the audit again)")
            return status
    return _audit_and_write(args, jobs, reading, walked, options, started)


def _audit_and_write(args: argparse.Namespace, jobs: int | None, reading: object, walked: object,
                     options: dict[str, object], started: float) -> int:
    from . import _disk, _uptodate
    from ._parallel import default_jobs, returning_allocators
    from .audit import audit
    from .cache import DEFAULT_CACHE_SIZE
    from .cluster import ClusterError
    from .export import OutputError, OutputFolder, pause_point
    from .knowledge import set_vague_convention
    from .profiles import set_profile
    from .readers import _reason, _shown
    from .review import ReviewStore, ReviewStoreLocked

    try:
        set_vague_convention(args.vague_convention)
        set_profile(args.profile)
    except ValueError as exc:
        return _fail(str(exc), 2)
    formats = ("csv", "parquet") if args.format == "both" else (args.format,)
    with ExitStack() as stack:
        # this process is the run's: memory freed goes back, its size stays near flat (until the run ends)
        stack.callback(returning_allocators())
        # --out is checked and locked before any work, so a bad folder costs no audit.
        try:
            out = stack.enter_context(OutputFolder(args.out))
            ReviewStore(out.path).check_writable()
        except OutputError as exc:
            return _fail(str(exc), 2)
        except ReviewStoreLocked as exc:
            return _fail(str(exc))
        kept = f"the previous audit in {args.out} is kept" if out.has_outputs() else f"{args.out} is left as it was"
        # Until this run has written its outputs, nothing in --out is up to date.
        _uptodate.forget(out.path)
        # A local run digests the files as it reads them (once); a cluster's workers read them elsewhere.
        inputs = (_uptodate.Inputs.take if args.cluster else _uptodate.Inputs.walked)(args.paths, walked)  # type: ignore[arg-type]
        # (a full disk stops a run at its end: warned of now, from the size of the text)
        needs = _disk.space_needed(inputs.size, out.path, formats, None if args.no_cache else _cache_folder(args),
                                   args.cache_size or DEFAULT_CACHE_SIZE, temporary=not args.cluster)
        for short in _disk.shortfalls(needs):
            print(f"figure-audit: warning: {_disk.warning(short, inputs.size)}", file=sys.stderr)
        review_before = _uptodate.review_state(out.path)
        pause_point("locked")
        try:
            with _uptodate.digests_kept(inputs.read):
                result = audit(args.paths, jobs=jobs, out_dir=out.path, reading=reading,  # type: ignore[arg-type]
                               cache=False if args.no_cache else (args.cache or True), cluster=args.cluster,
                               profile=args.profile, cache_size=args.cache_size)
        except ReviewStoreLocked as exc:
            return _fail(f"{exc}; {kept}")
        except ClusterError as exc:
            return _fail(f"{exc}; {kept}")
        except Exception as exc:  # noqa: BLE001 - one line for the user; the traceback on request
            if os.environ.get(_DEBUG_ENV):
                raise
            return _fail(f"the audit failed ({type(exc).__name__}: {exc}){_disk.full_disk_hint(exc, needs)}; {kept} "
                         f"(set {_DEBUG_ENV}=1 for the traceback)")
        if not result.n_articles:
            reasons = "; ".join(f"{r.path}: {r.error}" for r in result.errors.itertuples()) or "no supported files"
            return _fail(f"nothing could be audited ({reasons}); {kept}")
        pause_point("audited")
        try:
            written = out.write(result, html=args.html, formats=formats, jobs=default_jobs(jobs))
        except ReviewStoreLocked as exc:
            return _fail(f"{exc}; {kept}")
        except OSError as exc:
            return _fail(f"cannot write the audit to {args.out} ({str(exc) if isinstance(exc, OutputError) else _reason(exc)})"
                         f"{_disk.full_disk_hint(exc, needs)}; {kept}")
        printed = _uptodate.Printed(
            {"articles": result.n_articles, "figures": result.n_figures, "groups": result.n_groups,
             "conflicts": result.n_conflicts, "errors": len(result.errors)},
            [(name, _shown(path)) for name, path in written.items()],  # stdout may not take undecodable bytes
            [(str(row.path), str(row.error)) for row in result.errors.itertuples()])
        _uptodate.write_record(out.path, options, inputs, review_before, [p.name for p in written.values()],
                               printed, 0)
    printed.show(time.perf_counter() - started, args.quiet)
    return 0


# The exit status of this process's ``figure-audit run`` once it has returned (see _end_without_teardown).
_status: int | None = None


def _end_without_teardown() -> None:
    """At exit (registered before any other handler, so run after them): a command line's ``run`` that
    returned ends the process at once with its status. The interpreter's teardown would free every object
    and module one by one (a few tenths of a second at 1 MB, more with a ``--jobs 1`` run's extraction
    tables) for memory the system takes back anyway; the run closed its files and databases itself."""
    if _status is None:  # the run raised: the interpreter's usual end (the traceback, its status)
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can be said there
            pass
    os._exit(_status)


def _is_command_line() -> bool:
    """Whether this process is ``figure-audit`` / ``python -m auditor.cli`` and no exit handler is
    registered yet (a site hook's, coverage's): ending it at once then skips nothing but the teardown.
    A caller's script running :func:`main` keeps its usual end (its open files flushed, its handlers run)."""
    import atexit

    script = sys.modules.get("__main__")
    spec = getattr(script, "__spec__", None)
    ours = (spec is not None and spec.name == "auditor.cli") or \
        Path(getattr(script, "__file__", None) or "").name == "figure-audit"
    return ours and getattr(atexit, "_ncallbacks", lambda: 1)() == 0


def _stopped_by_sigterm() -> None:
    """Have SIGTERM (``timeout``, a job scheduler, ``kill``) end this run as Ctrl-C does: by an exception,
    so that what it cleans up on failure is cleaned (its spilled tables in the temp folder, a half-written
    output set); the status is the usual 128 + 15. A forked worker that inherited the handler ends at once,
    as by default (its parent cleans up)."""
    import signal

    owner = os.getpid()

    def stop(signum: int, _frame: object) -> None:
        if os.getpid() != owner:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def main(argv: Sequence[str] | None = None) -> int:
    global _status
    args = _parser().parse_args(argv)
    if args.command == "run":
        ending = argv is None and _is_command_line()
        if ending:
            import atexit

            atexit.register(_end_without_teardown)
            _stopped_by_sigterm()
        status = _run(args)
        if ending:
            _status = status
        return status
    from .lab import open_lab

    return open_lab(args.path, port=args.port, ip=args.ip, no_browser=args.no_browser)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

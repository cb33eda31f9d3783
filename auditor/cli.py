"""The ``figure-audit`` command line (see CONTRACT.md)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path


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
    run.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    run.add_argument("--vague-convention", default="default",
                     help="reading of vague amounts: 'default' (contract table) or 'acled' (conservative floor)")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    lab = sub.add_parser("lab", help="open JupyterLab on the dashboard notebook")
    lab.add_argument("path", nargs="?", type=Path, default=None, help="folder or files to audit (default: seeds/)")
    return parser


def _run(args: argparse.Namespace) -> int:
    from .audit import audit
    from .knowledge import set_vague_convention

    try:
        set_vague_convention(args.vague_convention)
    except ValueError as exc:
        print(f"figure-audit: {exc}", file=sys.stderr)
        return 2
    if args.jobs is not None and args.jobs < 1:
        print("figure-audit: --jobs must be at least 1", file=sys.stderr)
        return 2
    missing = [str(p) for p in args.paths if not p.exists()]
    if len(missing) == len(args.paths):
        print(f"figure-audit: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    result = audit(args.paths, jobs=args.jobs, out_dir=args.out)
    if result.articles.empty:
        reasons = "; ".join(f"{r.path}: {r.error}" for r in result.errors.itertuples()) or "no supported files"
        print(f"figure-audit: nothing could be audited ({reasons})", file=sys.stderr)
        result.write(args.out)
        return 1
    written = result.write(args.out, html=args.html)
    if not args.quiet:
        seconds = time.perf_counter() - started
        print(f"{len(result.articles)} articles, {len(result.figures)} figures, {len(result.groups)} claim groups, "
              f"{len(result.conflicts)} conflicts, {len(result.errors)} unreadable inputs in {seconds:.1f}s")
        for name, path in written.items():
            print(f"  {name:<9} {path}")
    for row in result.errors.itertuples():
        print(f"figure-audit: skipped {row.path}: {row.error}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "run":
        return _run(args)
    from .lab import open_lab

    return open_lab(args.path)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

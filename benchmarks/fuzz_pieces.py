"""Differential fuzzer of a huge article extracted in pieces: the joined rows must be the one worker's, exactly.

Builds huge one-file articles from other articles' bodies (shuffled, their sentences mixed across wars) with
adversarial inserts near the pieces' borders (a village named once and its country only at the end, a full
name early and the family name alone later, datelines, same-name towns, lists of places one per line, a
sentence listing sixty towns), then compares the whole article's figure rows with those of its pieces joined
(:func:`auditor._article_parts.joined`, the pieces run one after another: no exchange, so every guess is
checked) for each piece count, and with ``--cli`` the ``figures.csv`` of ``figure-audit run --jobs 1`` and
``--jobs 2`` byte for byte. Prints one line per article and the differences found.

    python benchmarks/fuzz_pieces.py --articles 10 --mb 0.6 --pieces 2 3 5 [--cli]
"""

from __future__ import annotations

import argparse
import filecmp
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from auditor._article_parts import joined, piece_bounds, run_piece
from auditor._parallel import run_task
from auditor.readers import ReadTask

MAX = 50 * 1024**2
ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["/tmp/c5", "/tmp/s20/seeds5", str(ROOT / "tests" / "data" / "corpora")]

INSERTS = [
    "Gunmen killed {n} people in Palo Verde overnight, residents said.",
    "The state prosecutor in Mexico said {n} bodies were found.",
    "Col. Ibrahim Mahamat Zakaria, a spokesman for the army, described the clashes.",
    "Zakaria said {n} soldiers were killed.",
    "Zakaria added that {n} were wounded.",
    "He said {n} more were missing.",
    "GOMA, Congo (Reuters) — At least {n} people were killed in fighting near Sake.",
    "BAIDOA, Somalia (AP) — A car bomb killed {n} people at a market.",
    "In San Pedro, {n} people were killed by gunmen.",
    "Airstrikes on Mosul killed {n} civilians, the coalition said.",
    "The paramilitaries said they had killed {n} fighters in El Fasher.",
    "Militants killed {n} villagers in Borno state.",
    "Houthi forces said {n} people died in Hodeidah.",
    "In Rafah, {n} Palestinians were killed, the health ministry said.",
    "LIST",
    "The list of those killed included residents of " + ", ".join(
        ["Kharkiv", "Izium", "Kupiansk", "Balakliia", "Chuhuiv", "Lozova", "Bohodukhiv", "Zolochiv", "Derhachi",
         "Vovchansk"] * 6) + " and {n} others",
    "the army said.",
    "Rebels said {n} government troops were killed in the attack on Bunia.",
]
TOWNS = ["Goma", "Sake", "Bunia", "Beni", "Butembo", "Kharkiv", "Izium", "Mosul", "Tikrit", "Baiji", "Rafah",
         "Khan Younis", "El Fasher", "Nyala", "Maiduguri", "Kismayo", "Aleppo", "Idlib", "Palo Verde", "San Pedro"]


def _body(path: Path) -> str:
    """An article's body without its front matter and page furniture (a comment box or "next post" line in
    the second half of a text makes the rest of it furniture: the later pieces would have no figures)."""
    from auditor.sentences import _rules, is_boilerplate

    text = path.read_text(encoding="utf-8", errors="replace")
    text = text.split("---\n", 2)[-1] if text.startswith("---") else text
    page_end = _rules().page_end
    return "\n".join(line for line in text.strip().splitlines()
                     if not is_boilerplate(line) and not page_end.matches(line.strip()))


def _inserts(rng: random.Random, count: int) -> list[str]:
    found = []
    for _ in range(count):
        line = rng.choice(INSERTS)
        if line == "LIST":  # places one per line, longer than a piece's margin
            found.append("\n".join(f"- {rng.choice(TOWNS)}{rng.choice([':', ','])} {rng.randint(2, 90)} killed"
                                   for _ in range(rng.randint(5, 30))))
        else:
            found.append(line.format(n=rng.randint(2, 900)))
    return found


def build(files: list[Path], seed: int, mb: float) -> str:
    """One huge article of about ``mb`` MB (see the module)."""
    rng = random.Random(seed)
    pool = rng.sample(files, min(len(files), 600))
    paragraphs, size = [], 0
    while size < mb * 1e6:
        body = _body(rng.choice(pool))
        if rng.random() < 0.5:  # sentences of several stories (and wars) mixed
            sentences = re.split(r"(?<=[.!?])\s+", body)
            rng.shuffle(sentences)
            body = " ".join(sentences)
        paragraphs.append(body)
        size += len(body) + 2
    if rng.random() < 0.5:
        paragraphs.insert(0, rng.choice(INSERTS[6:8]).format(n=rng.randint(2, 99)))
    text = "\n\n".join(paragraphs)
    cuts = sorted({cut for n in (2, 3, 5, 9) for cut, _ in piece_bounds(len(text), n)[1:]})
    for cut in reversed(cuts):
        for offset in (rng.randint(-3000, 3000) for _ in range(rng.randint(1, 4))):
            at = max(0, min(len(text), cut + offset))
            at = text.rfind(" ", 0, at) + 1 if rng.random() < 0.3 else text.rfind("\n\n", 0, at) + 2
            gap = " " if rng.random() < 0.4 else "\n\n"
            text = text[:at] + gap.join(_inserts(rng, rng.randint(1, 6))) + gap + text[at:]
    if rng.random() < 0.5:
        text += "\n\n" + rng.choice(["Mexico's", "Sudan's", "Congo's", "Iraq's"]) + " government said 12 died."
    if rng.random() < 0.5:
        text = INSERTS[2] + " " + text
    return text


def _cli_differs(path: Path, work: Path) -> tuple[bool, list[float]]:
    outs, times = [], []
    for jobs in (1, 2):
        out = work.parent / f"{work.name}-jobs{jobs}"  # (not inside the folder read)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "auditor.cli", "run", str(path.parent), "--out", str(out), "--quiet",
                        "--no-cache", "--jobs", str(jobs)], check=True)
        times.append(time.perf_counter() - started)
        outs.append(out / "figures.csv")
    return not filecmp.cmp(*outs, shallow=False), times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5)
    parser.add_argument("--mb", type=float, nargs=2, default=[0.3, 2.0], help="article size range, MB")
    parser.add_argument("--pieces", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cli", action="store_true", help="also cmp figures.csv of --jobs 1 and --jobs 2")
    args = parser.parse_args()
    files = sorted(p for source in SOURCES if Path(source).is_dir()
                   for p in Path(source).rglob("*") if p.suffix in (".txt", ".md") and p.is_file())
    differ, total = 0, 0.0
    with tempfile.TemporaryDirectory(prefix="fuzz-pieces-") as work:
        for seed in range(args.seed, args.seed + args.articles):
            folder = Path(work) / f"a{seed}"
            folder.mkdir()
            path = folder / "article.txt"
            text = build(files, seed, random.Random(seed).uniform(*args.mb))
            path.write_text(text, encoding="utf-8")
            total += len(text) / 1e6
            task = ReadTask(path, path.stat().st_size)
            whole = run_task(task, MAX)
            line = [f"seed {seed}: {len(text) / 1e6:.2f} MB, {len(whole.rows[0])} figures"]
            half = run_piece(task, 1, 2, MAX).result.rows[0]
            line.append(f"{len(half)} in the second half")
            for pieces in args.pieces:
                parts = [run_piece(task, k, pieces, MAX) for k in range(pieces)]
                result, retried = joined(
                    parts, lambda k, prior, given, n=pieces: run_piece(task, k, n, MAX, None, prior, given),
                    lambda: run_task(task, MAX))
                same = result.rows == whole.rows
                differ += not same
                line.append(f"{pieces} pieces {'same' if same else 'DIFFER'} (again: {retried})")
                if not same:
                    for a, b in zip(whole.rows[0], result.rows[0]):
                        if a != b:
                            line.append(f"\n  whole {a}\n  piece {b}")
                            break
            if args.cli:
                cli_differs, times = _cli_differs(path, folder)
                differ += cli_differs
                line.append(f"figures.csv --jobs 2 {'DIFFER' if cli_differs else 'same'} "
                            f"({times[0]:.1f} s / {times[1]:.1f} s)")
            print("; ".join(line), flush=True)
    print(f"{args.articles} articles, {total:.1f} MB: {differ} difference(s)")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())

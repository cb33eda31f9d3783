"""Write a synthetic corpus of wire-style articles about the same events from several outlets.

    .venv/bin/python benchmarks/make_corpus.py --articles 500 --out corpus/ --seed 7

Each article is a ``.txt`` file with YAML front matter (title, outlet, published, url). Several
outlets cover each event (a battle at a real Iraqi or Syrian town on a given day) and report its
casualties, airstrikes, fighters, displaced families and the town's distance from a city. Most
reports agree, with the usual hedges ("at least", "about", "between ... and ...", "dozens"); some
give a clearly different number, so the audit finds corroborated, consistent and conflicting
claim groups. The same seed gives the same corpus.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

# (town, reference city, distance in km, direction from the city)
PLACES: tuple[tuple[str, str, int, str], ...] = (
    ("Baiji", "Baghdad", 210, "north"), ("Ramadi", "Baghdad", 110, "west"), ("Fallujah", "Baghdad", 69, "west"),
    ("Tikrit", "Baghdad", 175, "north"), ("Mosul", "Baghdad", 400, "north"), ("Kirkuk", "Baghdad", 240, "north"),
    ("Samarra", "Baghdad", 125, "north"), ("Haditha", "Baghdad", 240, "northwest"), ("Hit", "Baghdad", 150, "west"),
    ("Sinjar", "Mosul", 120, "west"), ("Tal Afar", "Mosul", 63, "west"), ("Hawija", "Kirkuk", 55, "west"),
    ("Palmyra", "Damascus", 215, "northeast"), ("Raqqa", "Aleppo", 160, "east"), ("Kobani", "Aleppo", 140, "northeast"),
    ("Deir ez-Zor", "Damascus", 450, "northeast"),
)
OUTLETS: tuple[str, ...] = ("Reuters", "AP", "AFP", "Al Jazeera", "Rudaw", "BBC", "Anadolu", "Kurdistan24")
SPOKESPEOPLE: tuple[str, ...] = (
    "Brig. Gen. Saad Maan", "Col. Ahmed al-Obeidi", "police spokesman Ali Hussein", "Maj. Gen. Najm al-Jubouri",
    "provincial council member Faleh al-Essawi", "Sheikh Rafie al-Fahdawi",
)
ORGANISATIONS: tuple[str, ...] = (
    "the Syrian Observatory for Human Rights", "the Iraqi defence ministry", "the United Nations",
    "the International Organization for Migration", "a hospital official",
)
_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten",
          11: "eleven", 12: "twelve"}
_MILE_KM = 1.609344


@dataclass
class Event:
    place: str
    reference: str
    distance_km: int
    direction: str
    day: date
    killed: int
    wounded: int
    airstrikes: int
    fighters: int
    families: int


def _number(n: int, rng: random.Random) -> str:
    if n in _WORDS and rng.random() < 0.5:
        return _WORDS[n]
    return f"{n:,}"


def _reported(true: int, rng: random.Random, conflict_rate: float) -> int:
    """The number one outlet gives: usually the true one, sometimes a rival figure."""
    if rng.random() < conflict_rate:
        return max(1, int(round(true * rng.choice((0.3, 0.5, 2.0, 3.0)))))
    return true


def _hedged(n: int, rng: random.Random) -> str:
    """``n`` with the hedges wire copy uses."""
    roll = rng.random()
    if roll < 0.45:
        return _number(n, rng)
    if roll < 0.65:
        return f"at least {_number(n, rng)}"
    if roll < 0.78:
        return f"about {_number(n, rng)}"
    if roll < 0.88 and n >= 10:
        low = max(1, int(n * 0.8))
        return f"between {low:,} and {int(n * 1.2):,}"
    if roll < 0.94 and 24 <= n <= 99:
        return "dozens of"
    return f"more than {_number(n, rng)}"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _source(rng: random.Random) -> str:
    return rng.choice(SPOKESPEOPLE + ORGANISATIONS)


def _sentences(event: Event, rng: random.Random, conflict_rate: float) -> list[str]:
    place = event.place
    killed = _reported(event.killed, rng, conflict_rate)
    wounded = _reported(event.wounded, rng, conflict_rate)
    strikes = _reported(event.airstrikes, rng, conflict_rate)
    out = [
        f"{_capitalised(_source(rng))} said {_hedged(killed, rng)} Islamic State militants were killed in {place}.",
        f"In the fighting in {place}, {_hedged(wounded, rng)} civilians were wounded, according to {_source(rng)}.",
        f"The U.S.-led coalition said it carried out {_hedged(strikes, rng)} airstrikes near {place} "
        f"in the past week.",
    ]
    if rng.random() < 0.6:
        if rng.random() < 0.5:
            distance = f"{round(event.distance_km / _MILE_KM):,} miles"
        else:
            distance = f"{event.distance_km:,} km"
        out.append(f"{place} lies about {distance} {event.direction} of {event.reference}.")
    if rng.random() < 0.5:
        fighters = _reported(event.fighters, rng, conflict_rate)
        out.append(f"Some {fighters:,} Hashd al-Shaabi fighters joined the offensive on {place}, "
                   f"{rng.choice(SPOKESPEOPLE)} told {rng.choice(OUTLETS)}.")
    if rng.random() < 0.4:
        families = _reported(event.families, rng, conflict_rate)
        out.append(f"More than {families:,} families have fled {place} since the start of the month, "
                   f"the United Nations said.")
    rng.shuffle(out)
    return out


def make_events(n: int, rng: random.Random, start: date) -> list[Event]:
    events = []
    for i in range(n):
        place, reference, distance, direction = rng.choice(PLACES)
        events.append(Event(
            place=place, reference=reference, distance_km=distance, direction=direction,
            day=start + timedelta(days=rng.randrange(0, 540)),
            killed=rng.choice((3, 5, 8, 12, 17, 25, 40, 60, 90, 150)), wounded=rng.randrange(2, 80),
            airstrikes=rng.randrange(2, 40), fighters=rng.choice((500, 1000, 3000, 5000, 20000, 30000)),
            families=rng.choice((200, 500, 1200, 3000, 8000)),
        ))
    return events


def _records(articles: int, seed: int, conflict_rate: float):
    """``(file name, metadata, body)`` of each article; the same seed gives the same articles."""
    rng = random.Random(seed)
    events = make_events(max(1, articles // 4), rng, date(2015, 1, 1))
    for i in range(articles):
        event = events[i % len(events)] if i < len(events) else rng.choice(events)
        outlet = rng.choice(OUTLETS)
        published = event.day + timedelta(days=rng.choice((0, 0, 1, 1, 2)))
        title = f"Iraqi forces battle Islamic State in {event.place}"
        body = " ".join(_sentences(event, rng, conflict_rate))
        lead = (f"{event.place.upper()} ({outlet}) - Government forces backed by coalition aircraft pressed an "
                f"offensive on {event.place} on {published:%A}.")
        slug = outlet.lower().replace(" ", "-")
        metadata = {"title": title, "outlet": outlet, "published": published.isoformat(),
                    "url": f"https://news.example/{slug}/{i:06d}"}
        yield f"{i:06d}_{slug}", metadata, f"{title}\n\n{lead}\n\n{body}\n"


def write_corpus(articles: int, out: Path, seed: int = 0, conflict_rate: float = 0.2) -> list[Path]:
    """Write ``articles`` files into ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, metadata, body in _records(articles, seed, conflict_rate):
        front = "".join(f"{k}: {v}\n" for k, v in metadata.items())
        path = out / f"{name}.txt"
        path.write_text(f"---\n{front}---\n{body}", encoding="utf-8")
        paths.append(path)
    return paths


def write_jsonl(articles: int, out: Path, seed: int = 0, conflict_rate: float = 0.2,
                per_file: int = 10_000) -> list[Path]:
    """The same articles as :func:`write_corpus`, as ``.jsonl`` files of ``per_file`` lines in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    handle = None
    for n, (name, metadata, body) in enumerate(_records(articles, seed, conflict_rate)):
        if n % per_file == 0:
            if handle is not None:
                handle.close()
            paths.append(out / f"part-{n // per_file:04d}.jsonl")
            handle = paths[-1].open("w", encoding="utf-8")
        handle.write(json.dumps({"id": name, **metadata, "text": body}) + "\n")
    if handle is not None:
        handle.close()
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=200, help="how many articles to write")
    parser.add_argument("--out", type=Path, required=True, help="folder to write them into")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same corpus)")
    parser.add_argument("--conflict-rate", type=float, default=0.2, help="share of reports with a rival number")
    parser.add_argument("--jsonl", action="store_true", help="write .jsonl files of 10,000 articles instead of .txt")
    args = parser.parse_args(argv)
    write = write_jsonl if args.jsonl else write_corpus
    paths = write(args.articles, args.out, args.seed, args.conflict_rate)
    print(f"wrote {args.articles} articles ({len(paths)} files) to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

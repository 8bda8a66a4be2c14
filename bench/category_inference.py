"""Category inference accuracy on real, labelled reports.

Two measures:

1. The learned model (the default): resident-typed SeeClickFix reports from New Haven and
   Newport (../shared/data/freetext, CC BY-NC-SA: read here at run time, never copied),
   each split by time: the oldest two thirds train exactly as intake does (the history
   import's reader, then the background training's `train`), the newest third is the
   test. `--train CSV --test CSV` does the same for any two files (columns description,
   category, optionally created). Each run ends with top1=, top3=, auto_share=,
   auto_accuracy= lines.

   `--within-newest-third` asks how much of a miss is the time split's: each city's newest
   third in random fifths, each tested once by the same training on the oldest two thirds
   plus the other four fifths. The model then learns from the very period it is tested on,
   so its figures are a ceiling for this model on that data, not a result.

2. `--keywords`: the cold-start keyword guesser (a city with no history) on the City of
   Boston's 311 sample (100 cases, January 2022, staff-written case titles). Cases with an
   even case_enquiry_id are the dev half, odd ones the held-out half.

    python bench/category_inference.py [--train CSV --test CSV | --within-newest-third]
                                       [--keywords [--data PATH]]
"""
import argparse
import collections
import csv
import io
import random
import sys
import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
ROOT = Path(__file__).resolve().parent.parent
DEMO_CATALOG = ROOT / "config" / "demo" / "catalog.yml"

import yaml  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import loop311_intake  # noqa: E402
from loop311_intake.commands import ImportCatalog  # noqa: E402
from loop311_intake.dependencies import Categories  # noqa: E402
from loop311_intake.domain.categorize import TRIAGE  # noqa: E402
from loop311_intake.domain.category_model import Example, evaluate, train  # noqa: E402
from loop311_intake.domain.history import (  # noqa: E402
    MIN_EXAMPLES_PER_CATEGORY,
    read_history,
)
from loop311_intake.handlers import import_catalog  # noqa: E402
from loop311_intake.schemas import CatalogSchema  # noqa: E402
from loop311_intake.unit_of_work import IntakeRules, IntakeUnitOfWork  # noqa: E402
from loop311_shared.db import make_engine, migrate  # noqa: E402
from loop311_shared.unit_of_work import run  # noqa: E402

BOSTON_TYPES = {
    "Request for Pothole Repair": "pothole",
    "Street Light Outages": "streetlight", "General Lighting Request": "streetlight",
    "Knockdown Replacement": "streetlight",
    "Sidewalk Repair (Make Safe)": "sidewalk",
    "Requests for Street Cleaning": "street_cleaning", "Empty Litter Basket": "street_cleaning",
    "Missed Trash/Recycling/Yard Waste/Bulk Item": "missed_trash",
    "Schedule a Bulk Item Pickup": "bulk_item", "Schedule a Bulk Item Pickup SS": "bulk_item",
    "Pick up Dead Animal": "dead_animal",
    "Graffiti Removal": "graffiti", "PWD Graffiti": "graffiti",
    "Parking Enforcement": "parking",
    "Abandoned Vehicles": "abandoned_vehicle",
    "Traffic Signal Inspection": "traffic_signal",
    "Rodent Activity": "rodent",
    "Unsatisfactory Living Conditions": "housing", "Pest Infestation - Residential": "housing",
    "Unsatisfactory Utilities - Electrical  Plumbing": "housing",
    "Needle Pickup": "needle_pickup",
}


def load_cases(path):
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            yield (int(row["case_enquiry_id"]), row["case_title"].strip(),
                   BOSTON_TYPES.get(row["type"], TRIAGE))


def keyword_accuracy(guesser, cases):
    right, errors = 0, collections.Counter()
    for _, text, expected in cases:
        guess = guesser.guess(text)
        if guess.service_code == expected:
            right += 1
        else:
            errors[(expected, guess.service_code)] += 1
    return right, len(cases), errors


FREETEXT = ROOT.parent / "shared" / "data" / "freetext"
CITIES = {"New Haven": "new_haven_resident_reports.csv",
          "Newport": "newport_resident_reports.csv"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", type=Path, help="CSV to train on (description, category)")
    parser.add_argument("--test", type=Path, help="CSV to test on (description, category)")
    parser.add_argument("--keywords", action="store_true",
                        help="measure the cold-start keyword guesser on Boston's cases")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" /
                                              "boston311-2022-sample.csv"))
    parser.add_argument("--threshold", type=float, default=0.2)
    parser.add_argument("--within-newest-third", action="store_true",
                        help="train and test on random fifths of each city's newest third "
                             "(a ceiling, not a result)")
    args = parser.parse_args()
    if args.keywords:
        return keyword_run(args)
    if bool(args.train) != bool(args.test):
        parser.error("--train and --test go together")
    if args.train:
        return learned_run(rows_of(args.train), rows_of(args.test))
    if not FREETEXT.is_dir():
        print(f"{FREETEXT} is missing: the resident reports live in ../shared/data beside the "
              "checkout (or give --train and --test)", file=sys.stderr)
        return 2
    for city, name in CITIES.items():
        rows = sorted(rows_of(FREETEXT / name), key=lambda row: row["created"])
        cut = len(rows) * 2 // 3
        if args.within_newest_third:
            within_period_run(city, rows[:cut], rows[cut:])
            continue
        print(f"== {city}: {len(rows)} reports by time, oldest {cut} to train "
              f"({rows[0]['created'][:10]} .. {rows[cut - 1]['created'][:10]}), newest "
              f"{len(rows) - cut} to test (.. {rows[-1]['created'][:10]})")
        learned_run(rows[:cut], rows[cut:])
    return 0


def rows_of(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def as_csv(rows: list[dict]) -> bytes:
    columns = [name for name in ("description", "category", "created") if name in rows[0]]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def imported(train_rows: list[dict]):
    """As a city would: map the categories with enough reports (the rest are reported as
    ignored) and import through the history reader. Returns (mapping, history)."""
    counts = collections.Counter(row["category"] for row in train_rows)
    mapping = {name: name for name, count in counts.items()
               if count >= MIN_EXAMPLES_PER_CATEGORY}
    return mapping, read_history(as_csv(train_rows), "train.csv", mapping,
                                 set(mapping.values()))


def as_examples(rows: list[dict]) -> list[Example]:
    return [Example(row["description"], row["category"]) for row in rows]


def learned_run(train_rows: list[dict], test_rows: list[dict]) -> int:
    """Import and train as a city would (`imported`, then intake's `train`), then guess
    each test report."""
    mapping, history = imported(train_rows)
    started = time.perf_counter()
    training = train(history.examples)
    model, held_out = training.model, training.quality
    seconds = time.perf_counter() - started
    test = as_examples(test_rows)
    latencies = []
    model.guess("warm up")
    for example in test * max(1, 1000 // len(test)):  # at least 1,000 guesses
        begun = time.perf_counter()
        model.guess(example.text)
        latencies.append(time.perf_counter() - begun)
    latencies.sort()
    quality = evaluate(model, test)
    unseen = sum(1 for example in test if example.service_code not in mapping)
    print(f"trained on {len(history.examples)} reports, {len(mapping)} categories in "
          f"{seconds:.1f} s; ignored (under {MIN_EXAMPLES_PER_CATEGORY} reports): "
          f"{history.summary()['ignored_categories'] or 'none'}")
    print(f"held out of training (newest {held_out.held_out}): top1 {held_out.top1:.3f}, "
          f"top3 {held_out.top3:.3f}; threshold {model.threshold:.3f} auto-accepts "
          f"{held_out.auto_share:.1%} there at {held_out.auto_accuracy:.1%}")
    print(f"model {len(model.dumps()) / 1e6:.1f} MB; guess p50 "
          f"{latencies[len(latencies) // 2] * 1000:.2f} ms, p99 "
          f"{latencies[int(len(latencies) * 0.99)] * 1000:.2f} ms; test reports in a "
          f"category the training never saw: {unseen}/{len(test)}")
    print(f"top1={quality.top1:.4f}")
    print(f"top3={quality.top3:.4f}")
    print(f"auto_share={quality.auto_share:.4f}")
    print(f"auto_accuracy={quality.auto_accuracy:.4f}")
    return 0


FOLDS = 5


def within_period_run(city: str, older: list[dict], period: list[dict]) -> None:
    """Each random fifth of `period` tested once by the product's training on `older` and
    the other four fifths."""
    shuffled = period[:]
    random.Random(311).shuffle(shuffled)
    right = right3 = auto = auto_right = 0
    for fold in range(FOLDS):
        test = shuffled[fold::FOLDS]
        train_rows = older + sorted(
            (row for index, row in enumerate(shuffled) if index % FOLDS != fold),
            key=lambda row: row["created"])
        _, history = imported(train_rows)
        quality = evaluate(train(history.examples).model, as_examples(test))
        right += round(quality.top1 * len(test))
        right3 += round(quality.top3 * len(test))
        accepted = round(quality.auto_share * len(test))
        auto += accepted
        auto_right += round(quality.auto_accuracy * accepted)
    print(f"== {city}: the newest {len(period)} reports ({period[0]['created'][:10]} .. "
          f"{period[-1]['created'][:10]}) in {FOLDS} random fifths, each tested by a model "
          f"trained on the other four and the older {len(older)} (a ceiling, not a result)")
    print(f"top1={right / len(period):.4f}")
    print(f"top3={right3 / len(period):.4f}")
    print(f"auto_share={auto / len(period):.4f}")
    print(f"auto_accuracy={auto_right / auto if auto else 0:.4f}")


def keyword_run(args) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/intake.db")
        migrate(engine, Path(loop311_intake.__file__).parent / "migrations")
        with Session(engine) as session:
            # The product's own path: the demo catalog through the admin import.
            document = CatalogSchema().load(yaml.safe_load(DEMO_CATALOG.read_text()))
            uow = IntakeUnitOfWork(session, rules=IntakeRules(document["jurisdiction_id"]),
                                   categories=Categories(args.threshold))
            run(uow, import_catalog, ImportCatalog(document, "benchmark"))
            guesser = uow.guesser()
        engine.dispose()
    cases = list(load_cases(args.data))
    dev = [case for case in cases if case[0] % 2 == 0]
    held_out = [case for case in cases if case[0] % 2 == 1]
    print(f"Category inference, TF-IDF over catalog keywords, threshold {args.threshold}")
    print(f"data: {args.data} ({len(cases)} cases; input case_title, label type)")
    for name, part in (("dev", dev), ("held-out", held_out), ("all", cases)):
        right, total, _ = keyword_accuracy(guesser, part)
        print(f"  {name:<9} top-1 accuracy {right}/{total} = {right / total:.1%}")
    majority = collections.Counter(expected for *_, expected in held_out).most_common(1)[0]
    print(f"  baseline: always '{majority[0]}' on held-out = {majority[1] / len(held_out):.1%}")
    _, _, errors = keyword_accuracy(guesser, dev)
    print("  dev errors (expected -> guessed):",
          ", ".join(f"{e}->{g} x{n}" for (e, g), n in errors.most_common(8)) or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Category inference accuracy on real, labelled 311 cases.

Data: the City of Boston's 311 sample in ../shared/data (100 cases, January 2022; see
../shared/data/README.md for provenance). Input: `case_title`; label: Boston's `type`,
mapped below to our service codes (types we do not offer map to `general`, where the
right answer is "send to triage"). Caveat: case titles are written by Boston staff, not
residents, so they are cleaner than what residents type.

Split: cases with an even case_enquiry_id are the dev half (its errors may be read to
improve keywords), odd ones the held-out half (never read). The guesser's keywords were
written from the categories' meaning before this benchmark existed.

    python bench/category_inference.py [--data PATH] [--threshold 0.2]
"""
import argparse
import collections
import csv
import sys
import tempfile
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


def evaluate(guesser, cases):
    right, errors = 0, collections.Counter()
    for _, text, expected in cases:
        guess = guesser.guess(text)
        if guess.service_code == expected:
            right += 1
        else:
            errors[(expected, guess.service_code)] += 1
    return right, len(cases), errors


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" /
                                              "boston311-2022-sample.csv"))
    parser.add_argument("--threshold", type=float, default=0.2)
    args = parser.parse_args()
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
        right, total, _ = evaluate(guesser, part)
        print(f"  {name:<9} top-1 accuracy {right}/{total} = {right / total:.1%}")
    majority = collections.Counter(expected for *_, expected in held_out).most_common(1)[0]
    print(f"  baseline: always '{majority[0]}' on held-out = {majority[1] / len(held_out):.1%}")
    _, _, errors = evaluate(guesser, dev)
    print("  dev errors (expected -> guessed):",
          ", ".join(f"{e}->{g} x{n}" for (e, g), n in errors.most_common(8)) or "none")


if __name__ == "__main__":
    sys.exit(main())

"""A labelled set of resident-style reports the tests make themselves (the real ones in
../shared/data/freetext may not be copied into the project): five categories of the demo
catalog in varied words, and a tenth of vague reports filed under any of them, as real
history has, so a model learns to be unsure of words that say nothing."""
import csv
import io
import json
import random
from datetime import datetime, timedelta, timezone

STREETS = ["Elm St", "4th Ave N", "Main Street", "Central Ave", "22nd St S", "Park Blvd",
           "the corner of 5th and Oak", "Bay Drive", "Gulf Blvd", "Lakeview Rd"]
WORDS = {
    "pothole": ["huge pothole on {s}, it blew my tire", "deep hole in the road near {s}",
                "the asphalt is broken and there is a crater on {s}",
                "pot hole keeps getting bigger at {s}", "cars swerve around a hole in the "
                "pavement on {s}", "road surface collapsed into a pothole by {s}"],
    "streetlight": ["the street light on {s} has been out for a week",
                    "streetlight flickering all night at {s}", "lamp post light is dark on {s}",
                    "no lights on {s}, the street lamp is broken",
                    "light pole by {s} never turns on", "burned out street lamp near {s}"],
    "graffiti": ["graffiti sprayed on the wall at {s}", "someone tagged the bridge on {s} "
                 "with spray paint", "vandals painted graffiti on the fence near {s}",
                 "tagging all over the bus stop at {s}", "spray painted words on a building "
                 "on {s}", "fresh graffiti on the underpass by {s}"],
    "missed_trash": ["my trash was not picked up on {s}", "garbage pickup missed our street "
                     "{s} again", "recycling bins not collected on {s}",
                     "the garbage truck skipped {s} this week", "trash cans still full on "
                     "{s}, collection missed", "nobody collected the garbage at {s}"],
    "tree": ["a tree branch fell across {s}", "overgrown tree limbs block the sidewalk on "
             "{s}", "dead tree leaning over the road at {s}", "tree needs trimming, branches "
             "hit the power lines on {s}", "fallen tree after the storm on {s}",
             "big limb hanging from an oak on {s}"],
}
VAGUE = ["please fix this as soon as possible {s}", "this has been a problem for weeks on {s}",
         "can someone come look at {s}", "it is dangerous here at {s}, please help",
         "still not fixed on {s}", "reported this before, nothing happened at {s}"]
CATEGORIES = tuple(WORDS)


def labelled_reports(count: int, seed: int = 7,
                     start=datetime(2020, 1, 1, tzinfo=timezone.utc)) -> list[dict]:
    """`count` reports, oldest first, each {description, category, created}."""
    chance = random.Random(seed)
    reports = []
    for index in range(count):
        category = CATEGORIES[index % len(CATEGORIES)]
        phrases = VAGUE if chance.random() < 0.1 else WORDS[category]
        text = chance.choice(phrases).format(s=chance.choice(STREETS))
        if chance.random() < 0.5:
            text = text.capitalize() + chance.choice(["", ".", "!", " thanks", " - a neighbor"])
        reports.append({"description": text, "category": category,
                        "created": (start + timedelta(hours=7 * index)).isoformat()})
    return reports


def as_csv(reports: list[dict], columns=("description", "category", "created")) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(reports)
    return buffer.getvalue().encode()


def as_json(reports: list[dict]) -> bytes:
    return json.dumps(reports).encode()


# Each history name is the city's old category; the mapping says what it is in the catalog.
MAPPING = {category: category for category in CATEGORIES}

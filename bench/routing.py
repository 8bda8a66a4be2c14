"""Routing benchmarks.

Part 1 (`measure_lookups`): the cost of one point-in-polygon lookup through
`Locator.containing` as the number of boundaries grows: 10, 1,000 and 4,042 real place
boundaries (US Census TIGER 2019, seven southeastern states, from ../shared/data; see
../shared/data/README.md for provenance). The target is that the 4,042-boundary median stays
within 3x of the 10-boundary median.

    .venv/bin/python bench/routing.py [--lookups-only] [--points 2000] [--seed 311]

Part 2 (assignments per second through the running routing service) is not written yet;
it should be a sibling of `measure_lookups()` called from `main()` unless --lookups-only.
"""
import argparse
import json
import random
import statistics
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

# Importing loop311_routing imports nameko, which imports eventlet, which announces its deprecation.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
ROOT = Path(__file__).resolve().parent.parent
PLACES = ROOT.parent / "shared" / "data" / "boundaries" / "us_southeast_places_2019.geojson"
SIZES = (10, 1_000, 4_042)

import shapely  # noqa: E402
from harness import percentile  # noqa: E402

from loop311_routing.domain.geography import BoundaryError, Locator, boundary_shape  # noqa: E402


@dataclass
class LookupRow:
    boundaries: int
    median_us: float
    p99_us: float
    ratio: float  # median over the smallest set's median
    mean_hits: float  # boundaries found per lookup, to show the lookups did real work


def load_places(path=PLACES):
    """{id: shape} for every place in the file, plus how many needed repair. About 20 places
    self-intersect after the data's ~10 m simplification; boundary_shape refuses those (as the
    product would), so the bench repairs them with make_valid to keep all 4,042."""
    features = json.loads(path.read_text())["features"]
    shapes, repaired = {}, 0
    for feature in features:
        geoid = feature["properties"]["geoid"]
        place_id = geoid if geoid not in shapes else f"{geoid}-{len(shapes)}"  # one geoid appears twice
        try:
            shapes[place_id] = boundary_shape(feature, feature["properties"]["name"])
        except BoundaryError:
            shapes[place_id] = shapely.make_valid(shapely.geometry.shape(feature["geometry"]),
                                                  method="structure")
            repaired += 1
    return shapes, repaired


def query_points(shapes, count, rng):
    """(lat, long) pairs: half inside boundaries picked at random (uniform in the boundary,
    by rejection from its bounding box), half uniform in the set's overall bounding box
    (mostly in no boundary, like a report from between towns)."""
    geometries = list(shapes.values())
    points = []
    for _ in range(count // 2):
        shape = rng.choice(geometries)
        points.append(_point_inside(shape, rng))
    min_x, min_y, max_x, max_y = shapely.total_bounds(geometries)
    points += [(rng.uniform(min_y, max_y), rng.uniform(min_x, max_x)) for _ in range(count - len(points))]
    rng.shuffle(points)
    return points


def _point_inside(shape, rng):
    min_x, min_y, max_x, max_y = shape.bounds
    for _ in range(100):
        x, y = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
        if shape.covers(shapely.Point(x, y)):
            return y, x
    point = shape.representative_point()  # a thin sliver of a place: take a point known inside
    return point.y, point.x


def time_lookups(locator, points):
    """Nanoseconds of each lookup, after one untimed pass over the same points (warm-up)."""
    for lat, long in points:
        locator.containing(lat, long)
    timings, hits = [], 0
    for lat, long in points:
        start = time.perf_counter_ns()
        found = locator.containing(lat, long)
        timings.append(time.perf_counter_ns() - start)
        hits += len(found)
    return timings, hits / len(points)


def measure_lookups(sizes=SIZES, points=2_000, seed=311, places=None):
    """One LookupRow per size: a Locator over the first N places of one fixed seeded shuffle
    of all places (so the smaller sets are subsets of the larger), timed on `points` lookups."""
    places = places if places is not None else load_places()[0]
    rng = random.Random(seed)
    order = rng.sample(sorted(places), len(places))
    rows = []
    for size in sizes:
        chosen = {place_id: places[place_id] for place_id in order[:size]}
        timings, mean_hits = time_lookups(Locator(chosen), query_points(chosen, points, rng))
        median = statistics.median(timings) / 1000
        rows.append(LookupRow(len(chosen), median, percentile(timings, 99) / 1000,
                              median / rows[0].median_us if rows else 1.0, mean_hits))
    return rows


def print_lookups(rows):
    print("Part 1: point-in-polygon lookup through Locator.containing (per lookup)")
    print(f"{'boundaries':>10}  {'median µs':>9}  {'p99 µs':>8}  {'ratio':>5}  {'hits/lookup':>11}")
    for row in rows:
        print(f"{row.boundaries:>10,}  {row.median_us:>9.2f}  {row.p99_us:>8.2f}  {row.ratio:>5.2f}"
              f"  {row.mean_hits:>11.2f}")
    smallest, largest = rows[0], rows[-1]
    print(f"lookup_ratio_{largest.boundaries}_vs_{smallest.boundaries}={largest.ratio:.2f}")
    verdict = "met" if largest.ratio <= 3 else "NOT met"
    print(f"target (median at {largest.boundaries:,} within 3x of {smallest.boundaries}): {verdict}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lookups-only", action="store_true",
                        help="run only Part 1 (today the only part, so also the default)")
    parser.add_argument("--points", type=int, default=2_000, help="lookups per boundary set")
    parser.add_argument("--seed", type=int, default=311)
    args = parser.parse_args(argv)
    if not PLACES.is_file():
        print(f"bench: boundary data not found at {PLACES}", file=sys.stderr)
        return 2
    places, repaired = load_places()
    print(f"{len(places):,} places from {PLACES.name}; {repaired} invalid ones repaired with make_valid; "
          f"shapely {shapely.__version__}, GEOS {shapely.geos_version_string}; "
          f"{args.points:,} lookups per set")
    print_lookups(measure_lookups(points=args.points, seed=args.seed, places=places))
    # Part 2 (assignments per second through the running service) goes here, unless args.lookups_only.
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

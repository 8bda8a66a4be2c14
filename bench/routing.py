"""Routing benchmarks.

Part 1 (`measure_lookups`): the cost of one point-in-polygon lookup through
`Locator.containing` as the number of boundaries grows: 10, 1,000 and 4,042 real place
boundaries (US Census TIGER 2019, seven southeastern states, from ../shared/data; see
../shared/data/README.md for provenance). The target is that the 4,042-boundary median stays
within 3x of the 10-boundary median.

    .venv/bin/python bench/routing.py [--lookups-only] [--points 2000] [--seed 311]

Part 2 (`measure_assignments`): assignments per second through the running routing
service — a `nameko run` process on its own vhost and database, the demo directory (Pinellas
County and its 24 cities) imported through the admin API, then N `request_created` events at
real points in the county published at once; the clock stops when routing has recorded all
N (assigned or, for a point on open water outside every city that the county's rules do not
take, sent to triage). Skipped with --lookups-only.
"""
import argparse
import json
import os
import random
import statistics
import sys
import time
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

# Importing loop311_routing imports nameko, which imports eventlet, which announces its deprecation.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # devtools
PLACES = ROOT.parent / "shared" / "data" / "boundaries" / "us_southeast_places_2019.geojson"
SIZES = (10, 1_000, 4_042)

import shapely  # noqa: E402
from harness import Scratch, exit_on_sigterm, free_port, percentile, wait_for_count  # noqa: E402
from kombu import Connection  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from devtools.localsuite import ROOT as SUITE_ROOT  # noqa: E402
from devtools.localsuite import SERVICES, SUITE_ADMIN_TOKEN  # noqa: E402
from loop311_contracts.catalog import contract_for  # noqa: E402
from loop311_contracts.envelope import make_envelope  # noqa: E402
from loop311_routing.domain.geography import BoundaryError, Locator, boundary_shape  # noqa: E402
from loop311_shared.admin_cli import import_document, load_document  # noqa: E402
from loop311_shared.db import with_driver  # noqa: E402
from loop311_shared.topology import event_exchange  # noqa: E402


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


COUNTY = SUITE_ROOT / "config" / "demo" / "boundaries" / "pinellas_county_legal.geojson"


def county_points(count: int, rng: random.Random) -> list[tuple[float, float]]:
    """Random points inside Pinellas County's legal boundary (land and water alike)."""
    county = shapely.geometry.shape(json.loads(COUNTY.read_text())["features"][0]["geometry"])
    west, south, east, north = county.bounds
    points = []
    while len(points) < count:
        long, lat = rng.uniform(west, east), rng.uniform(south, north)
        if county.covers(shapely.Point(long, lat)):
            points.append((lat, long))
    return points


def measure_assignments(count: int, seed: int) -> dict:
    """Publish `count` request_created events at once to a running routing process; time
    until routing has recorded every one."""
    with Scratch(f"loop311-bench-routing-{random.Random().randrange(10**6)}") as scratch:
        database, port = scratch.database("routing"), free_port()
        Path("var").mkdir(exist_ok=True)
        log_path = Path("var") / "bench-routing.log"
        log = open(log_path, "wb")
        scratch.on_exit("close routing log", log.close)
        env = {**os.environ, "AMQP_URI": scratch.amqp_uri, "DATABASE_URL": database,
               "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", "LOG_LEVEL": "WARNING",
               "ADMIN_API_TOKENS": f"bench:{SUITE_ADMIN_TOKEN}"}
        nameko = Path(sys.executable).parent / "nameko"
        scratch.spawn("routing", [str(nameko), "run", "--config",
                                  str(SUITE_ROOT / "services" / "routing" / "config.yml"),
                                  SERVICES["routing"]], env=env, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        document = load_document(SUITE_ROOT / "config" / "demo" / "directory.yml")
        deadline = time.monotonic() + 60
        while True:
            try:
                import_document(base, "directory", document, SUITE_ADMIN_TOKEN)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"routing did not start; see {log_path}") from None
                time.sleep(0.2)
        engine = create_engine(with_driver(database))
        scratch.on_exit("dispose engine", engine.dispose)

        def recorded():
            with engine.connect() as connection:
                return connection.execute(text("SELECT count(*) FROM assignments")).scalar_one()

        envelopes = [make_envelope("request_created", str(n), {
            "request_id": str(n), "service_code": "pothole", "service_name": "Pothole",
            "description": "bench", "lat": lat, "long": long, "address": None, "channel": "web",
        "priority": "normal",
            "contact_ref": None, "requested_at": datetime.now(timezone.utc)})
                     for n, (lat, long) in enumerate(county_points(count + 1, random.Random(seed)))]
        exchange = event_exchange(contract_for("request_created").exchange)
        with Connection(scratch.amqp_uri) as connection:
            producer = connection.Producer()
            producer.publish(envelopes[0], exchange=exchange, routing_key="request_created",
                             declare=[exchange], serializer="json")
            wait_for_count(recorded, 1, timeout=60)  # warm-up: directory built, pools open
            started = time.perf_counter()
            for envelope in envelopes[1:]:
                producer.publish(envelope, exchange=exchange, routing_key="request_created",
                                 serializer="json")
            done = wait_for_count(recorded, count + 1, timeout=300, stall=30)
            elapsed = time.perf_counter() - started
        with engine.connect() as connection:
            states = dict(connection.execute(text(
                "SELECT state, count(*) FROM assignments GROUP BY state")).all())
    return {"requests": count, "recorded": done - 1, "seconds": elapsed,
            "per_second": (done - 1) / elapsed, "states": states}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lookups-only", action="store_true",
                        help="run only Part 1 (no broker or database needed)")
    parser.add_argument("--requests", type=int, default=1_000,
                        help="request_created events for Part 2")
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
    if not args.lookups_only:
        exit_on_sigterm()
        result = measure_assignments(args.requests, args.seed)
        print(f"Part 2: {result['recorded']:,} of {result['requests']:,} request_created events "
              f"recorded by one routing process in {result['seconds']:.1f} s "
              f"({', '.join(f'{state} {n}' for state, n in sorted(result['states'].items()))},"
              " warm-up included in the counts)")
        print(f"assignments_per_second={result['per_second']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

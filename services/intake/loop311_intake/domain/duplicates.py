"""A second report of the same open problem nearby joins the first instead of becoming a
second work item: the geometry of "nearby" and who must wait for whom."""
import math
from dataclasses import dataclass
from datetime import timedelta

EARTH_RADIUS_M = 6_371_000


@dataclass(frozen=True)
class DuplicatePolicy:
    radius_m: float = 50.0
    window: timedelta = timedelta(hours=72)


def neighbourhood_keys(service_code: str, lat, long, policy: DuplicatePolicy) -> list[str]:
    """Lock keys for the grid cells a report's search box touches.

    Two reports that could be duplicates of each other share at least one cell, so they
    take turns; reports far apart, or of other categories, do not wait for each other.
    """
    if lat is None or long is None or policy.radius_m <= 0:
        return []
    dlat = math.degrees(policy.radius_m / EARTH_RADIUS_M)
    dlong = dlat / max(math.cos(math.radians(lat)), 1e-6)
    cell = max(0.01, 2 * dlat, 2 * dlong)
    cells = {(math.floor(y / cell), math.floor(x / cell))
             for y in (lat - dlat, lat + dlat) for x in (long - dlong, long + dlong)}
    return [f"duplicates:{service_code}:{cell}:{y}:{x}" for y, x in sorted(cells)]


def bounding_box(lat: float, long: float, radius_m: float) -> tuple[float, float, float, float]:
    """(south, north, west, east) of a box holding the circle of `radius_m` around the point."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlong = dlat / max(math.cos(math.radians(lat)), 1e-6)
    return lat - dlat, lat + dlat, long - dlong, long + dlong


def distance_m(lat1, long1, lat2, long2) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((phi2 - phi1) / 2) ** 2
         + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(long2 - long1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))

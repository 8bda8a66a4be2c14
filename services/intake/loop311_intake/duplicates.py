"""A second report of the same open problem nearby joins the first instead of becoming a
second work item."""
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import service_requests

EARTH_RADIUS_M = 6_371_000


@dataclass(frozen=True)
class DuplicatePolicy:
    radius_m: float = 50.0
    window: timedelta = timedelta(hours=72)

    @classmethod
    def from_config(cls, config: dict) -> "DuplicatePolicy":
        return cls(float(config.get("DUPLICATE_RADIUS_METERS", 50)),
                   timedelta(hours=float(config.get("DUPLICATE_WINDOW_HOURS", 72))))


def open_duplicate(session: Session, service_code: str, lat, long, now: datetime,
                   policy: DuplicatePolicy):
    """The nearest open request of the same category within the radius and window."""
    if lat is None or long is None or policy.radius_m <= 0:
        return None
    nearby = open_requests_near(session, lat, long, policy.radius_m,
                                service_requests.c.service_code == service_code,
                                service_requests.c.requested_at >= now - policy.window)
    return nearby[0][1].id if nearby else None


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


def open_requests_near(session: Session, lat: float, long: float, radius_m: float, *conditions):
    """Open requests within `radius_m`, nearest first, as (distance, row) pairs."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlong = dlat / max(math.cos(math.radians(lat)), 1e-6)
    candidates = session.execute(
        select(service_requests.c.id, service_requests.c.service_code,
               service_requests.c.requested_at, service_requests.c.lat, service_requests.c.long)
        .where(service_requests.c.status != "closed",
               service_requests.c.lat.between(lat - dlat, lat + dlat),
               service_requests.c.long.between(long - dlong, long + dlong), *conditions)
    ).all()
    nearby = [(distance_m(lat, long, row.lat, row.long), row) for row in candidates]
    return sorted(((d, row) for d, row in nearby if d <= radius_m), key=lambda pair: pair[0])


def distance_m(lat1, long1, lat2, long2) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((phi2 - phi1) / 2) ** 2
         + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(long2 - long1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))

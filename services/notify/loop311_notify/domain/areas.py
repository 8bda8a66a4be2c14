"""The areas residents watch: a circle they choose around a point, or a polygon they draw.

Sizes are bounded both ways: a circle of 50 m to 20 km, a polygon no wider than about
50 km — an alert for half a state is a broadcast, not a subscription.
"""
import math
from dataclasses import dataclass

from shapely.geometry import Point, Polygon, shape
from shapely.validation import explain_validity

MIN_RADIUS_M, MAX_RADIUS_M = 50.0, 20_000.0
MAX_SPAN_DEGREES = 0.5
EARTH_RADIUS_M = 6_371_000.0


class AreaProblem(ValueError):
    """An area that is malformed, too small or too large, saying which."""


@dataclass(frozen=True)
class Area:
    """A circle (`lat`, `long`, `radius_m`) or a polygon (GeoJSON `polygon`)."""

    lat: float | None = None
    long: float | None = None
    radius_m: float | None = None
    polygon: dict | None = None

    @classmethod
    def from_document(cls, document: dict) -> "Area":
        """From `{"center": {"lat", "long"}, "radius_m"}` or `{"polygon": GeoJSON Polygon}`."""
        if "polygon" in document:
            area = cls(polygon=document["polygon"])
            geometry = area._shape()
            if not geometry.is_valid:
                raise AreaProblem(f"the polygon is not valid: {explain_validity(geometry)}")
            west, south, east, north = geometry.bounds
            if max(east - west, north - south) > MAX_SPAN_DEGREES:
                raise AreaProblem("the polygon is too large: at most about 50 km across")
            if geometry.area == 0:
                raise AreaProblem("the polygon encloses nothing")
            return area
        radius = document.get("radius_m")
        if not MIN_RADIUS_M <= radius <= MAX_RADIUS_M:
            raise AreaProblem(f"radius_m must be {MIN_RADIUS_M:g} to {MAX_RADIUS_M:g} metres")
        return cls(document["center"]["lat"], document["center"]["long"], float(radius))

    @classmethod
    def from_stored(cls, document: dict) -> "Area":
        """From `document()`'s output, checked when it was stored: no checks again."""
        if "polygon" in document:
            return cls(polygon=document["polygon"])
        return cls(document["center"]["lat"], document["center"]["long"],
                   document["radius_m"])

    def document(self) -> dict:
        if self.polygon is not None:
            return {"polygon": self.polygon}
        return {"center": {"lat": self.lat, "long": self.long}, "radius_m": self.radius_m}

    def bounds(self) -> tuple[float, float, float, float]:
        """(min_lat, max_lat, min_long, max_long)."""
        if self.polygon is not None:
            west, south, east, north = self._shape().bounds
            return south, north, west, east
        dlat = math.degrees(self.radius_m / EARTH_RADIUS_M)
        dlong = dlat / max(math.cos(math.radians(self.lat)), 1e-6)
        return self.lat - dlat, self.lat + dlat, self.long - dlong, self.long + dlong

    def contains(self, lat: float, long: float) -> bool:
        if self.polygon is not None:
            return self._shape().covers(Point(long, lat))
        return distance_m(self.lat, self.long, lat, long) <= self.radius_m

    def _shape(self) -> Polygon:
        try:
            geometry = shape(self.polygon)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise AreaProblem(f"the polygon is not GeoJSON: {error}") from None
        if geometry.geom_type != "Polygon":
            raise AreaProblem(f"an area is a Polygon, not a {geometry.geom_type}")
        return geometry


def distance_m(lat1: float, long1: float, lat2: float, long2: float) -> float:
    """Great-circle distance (haversine), in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(long2 - long1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))

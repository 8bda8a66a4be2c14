"""Jurisdiction boundaries: checking a boundary before it is stored, and finding which
boundaries hold a reported point.

Pure functions over GeoJSON dicts and shapely geometries (no I/O). Coordinates are GeoJSON
order, [longitude, latitude] in WGS84; areas are in square degrees, which is fine because
they are only compared with each other, never shown as a size.
"""
import math

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.validation import explain_validity

POLYGONAL = ("Polygon", "MultiPolygon")


class BoundaryError(ValueError):
    """A boundary that cannot be used, with a message meant for the person who uploaded it."""

    def __init__(self, label, problem):
        super().__init__(f"boundary {label!r}: {problem}")
        self.label = label
        self.problem = problem


def boundary_shape(geometry, label):
    """The shapely geometry of a GeoJSON Polygon or MultiPolygon (or a Feature, or a
    FeatureCollection of one feature, holding one), after checking it can be trusted to
    answer "is this point inside?". Raises BoundaryError naming `label` otherwise."""
    geometry = _unwrap(geometry, label)
    polygons = _polygons(geometry, label)
    for where, ring in _rings(polygons, label):
        _check_ring(ring, where, label)
    # Only now is the structure sound enough for shapely to read it without a bare GEOS error.
    result = shape(geometry)
    # Checked before validity: GEOS calls a flat ring a "Self-intersection", which misleads.
    if result.convex_hull.area == 0:
        raise BoundaryError(label, "the boundary encloses no area (its positions lie on one line or point)")
    if not result.is_valid:
        # An invalid polygon (a bow-tie, a hole outside its shell) answers point queries
        # unpredictably, so it is refused rather than silently repaired into another shape.
        raise BoundaryError(label, f"the geometry is not valid: {explain_validity(result)}")
    return result


def _unwrap(geometry, label):
    if not isinstance(geometry, dict):
        raise BoundaryError(label, f"expected a GeoJSON object, got {type(geometry).__name__}")
    if geometry.get("type") == "FeatureCollection":
        features = geometry.get("features") or []
        if len(features) != 1:
            # Several features would be several boundaries; which one was meant is a guess.
            raise BoundaryError(label, f"a FeatureCollection must hold exactly one feature, "
                                       f"this one holds {len(features)}")
        geometry = features[0]
    if isinstance(geometry, dict) and geometry.get("type") == "Feature":
        geometry = geometry.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in POLYGONAL:
        found = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        raise BoundaryError(label, f"a boundary must be a Polygon or MultiPolygon, not {found}")
    return geometry


def _polygons(geometry, label):
    coordinates = geometry.get("coordinates")
    polygons = [coordinates] if geometry["type"] == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons or not all(
            isinstance(polygon, list) and polygon for polygon in polygons):
        raise BoundaryError(label, f"the {geometry['type']} has no rings in its coordinates")
    return polygons


def _rings(polygons, label):
    """Each ring with words saying where it is, for messages."""
    for p, polygon in enumerate(polygons, 1):
        for r, ring in enumerate(polygon):
            kind = "outer ring" if r == 0 else f"hole {r}"
            where = kind if len(polygons) == 1 else f"polygon {p}, {kind}"
            if not isinstance(ring, list):
                raise BoundaryError(label, f"{where} is not a list of positions")
            yield where, ring


def _check_ring(ring, where, label):
    for position in ring:
        if (not isinstance(position, (list, tuple)) or len(position) < 2
                or not all(isinstance(n, (int, float)) and math.isfinite(n) for n in position[:2])):
            raise BoundaryError(label, f"{where} has a position that is not [longitude, latitude] "
                                       f"numbers: {position!r}")
        x, y = position[0], position[1]
        if not (-180 <= x <= 180 and -90 <= y <= 90):
            raise BoundaryError(label, f"coordinates must be [longitude, latitude]; ({x}, {y}) is "
                                       f"outside the world — are they in [latitude, longitude] order?")
    if len(ring) < 4:
        # A closed ring repeats its first position, so 4 is the fewest for a triangle.
        raise BoundaryError(label, f"{where} has {len(ring)} positions; a ring needs at least 4 "
                                   f"(a triangle plus its first position repeated at the end)")
    if list(ring[0][:2]) != list(ring[-1][:2]):
        raise BoundaryError(label, f"{where} is not closed: it starts at {tuple(ring[0][:2])} but ends "
                                   f"at {tuple(ring[-1][:2])}; GeoJSON rings repeat the first position last")


# Measured on the 24 Pinellas municipalities (TIGER 2019): no pair shares any area at all
# (largest shared area 0.0), so neighbours that only touch along edges pass with room to
# spare. A city moved by ~300 m onto itself shares far more than 1% (Clearwater: 89%).
# 1% of the smaller boundary still lets two sources' slightly different takes on a common
# edge (digitising slivers) pass.
DEFAULT_MIN_SHARE = 0.01


def overlapping_siblings(shapes, min_share=DEFAULT_MIN_SHARE):
    """Pairs of boundaries that should not overlap (siblings: cities of one county) but do:
    [(id_a, id_b, share)] where share is the shared area as a fraction of the smaller
    boundary's area, and share > min_share. Largest share first."""
    ids = list(shapes)
    geometries = np.array([shapes[i] for i in ids], dtype=object)
    areas = shapely.area(geometries)
    # The tree gives only pairs whose shapes meet; the cost of intersection() is paid for those.
    left, right = shapely.STRtree(geometries).query(geometries, predicate="intersects")
    found = []
    for a, b in zip(left.tolist(), right.tolist()):
        if a >= b:
            continue  # each pair once, and not a boundary with itself
        shared = shapely.intersection(geometries[a], geometries[b]).area
        share = shared / min(areas[a], areas[b])
        if share > min_share:
            found.append((ids[a], ids[b], float(share)))
    return sorted(found, key=lambda pair: -pair[2])


class Locator:
    """Which boundaries cover a point, among any number of them. A spatial index (STRtree)
    narrows the thousands of boundaries to the few whose extent holds the point, so a lookup
    costs about the same with 10 or 4,000 boundaries."""

    def __init__(self, shapes):
        self._ids = list(shapes)
        self._known = set(self._ids)
        geometries = [shapes[i] for i in self._ids]
        self._tree = shapely.STRtree(geometries)
        # Innermost first: a city comes before the county that surrounds it.
        areas = shapely.area(geometries)
        self._rank = {i: rank for rank, i in enumerate(sorted(range(len(self._ids)),
                                                              key=lambda i: (areas[i], self._ids[i])))}

    def containing(self, lat, long):
        """Ids of the boundaries covering (lat, long), smallest area first; a point exactly
        on a boundary's edge counts as inside it (covered_by, not within)."""
        # The tree holds boundaries; query(point, "covered_by") keeps those that cover the point.
        hits = self._tree.query(shapely.Point(long, lat), predicate="covered_by")
        return [self._ids[i] for i in sorted(hits.tolist(), key=self._rank.__getitem__)]

    def __len__(self):
        return len(self._ids)

    def __contains__(self, boundary_id):
        return boundary_id in self._known

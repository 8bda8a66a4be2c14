"""Boundaries and point lookup, on the real Pinellas County boundaries in ../shared/data
(public-domain US Census data; see ../shared/data/README.md for provenance)."""
import json
from pathlib import Path

import pytest
import shapely
from shapely import affinity

from loop311_routing.domain.geography import BoundaryError, Locator, boundary_shape, overlapping_siblings

ROOT = Path(__file__).resolve().parents[2]
BOUNDARIES = ROOT.parent / "shared" / "data" / "boundaries"
COUNTY = "Pinellas County"


def _read(name):
    if not BOUNDARIES.is_dir():
        pytest.skip(f"real boundary data not found at {BOUNDARIES} (the shared data folder "
                    f"beside the repository); these tests need it")
    return json.loads((BOUNDARIES / name).read_text())


@pytest.fixture(scope="module")
def municipalities():
    return {feature["properties"]["name"]: boundary_shape(feature, feature["properties"]["name"])
            for feature in _read("pinellas_municipalities.geojson")["features"]}


@pytest.fixture(scope="module")
def locator(municipalities):
    county = boundary_shape(_read("pinellas_county_legal.geojson"), COUNTY)
    return Locator({**municipalities, COUNTY: county})


@pytest.mark.parametrize("lat, long, expected", [
    (27.7705, -82.6383, ["St. Petersburg", COUNTY]),  # City Hall area: the city, then its county
    (27.9659, -82.8001, ["Clearwater", COUNTY]),
    (28.0781, -82.7637, [COUNTY]),  # Palm Harbor: unincorporated county land, in no city
    (27.9506, -82.4572, []),  # Tampa: across the bay, outside the county
])
def test_known_points_find_their_boundaries_innermost_first(locator, lat, long, expected):
    assert locator.containing(lat, long) == expected


def test_locator_knows_its_boundaries(locator):
    assert len(locator) == 25
    assert "Clearwater" in locator and "Tampa" not in locator


def test_a_point_on_an_edge_shared_by_two_real_cities_is_in_both(locator, municipalities):
    # A vertex of the Clearwater/Largo border lies exactly on both polygons' edges.
    long, lat = shapely.get_coordinates(municipalities["Clearwater"].intersection(municipalities["Largo"]))[0]
    assert set(locator.containing(lat, long)) == {"Clearwater", "Largo", COUNTY}


def test_a_point_on_a_shared_edge_counts_for_both_sides():
    west, east = _square(0, 0, 1), _square(1, 0, 1)
    locator = Locator({"west": boundary_shape(west, "west"), "east": boundary_shape(east, "east")})
    assert sorted(locator.containing(0.5, 1.0)) == ["east", "west"]


def test_real_neighbouring_cities_do_not_overlap(municipalities):
    assert len(municipalities) == 24
    assert overlapping_siblings(municipalities) == []


def test_a_city_and_a_copy_shifted_by_300_m_overlap(municipalities):
    clearwater = municipalities["Clearwater"]
    shifted = affinity.translate(clearwater, xoff=300 / 98_500)  # ~300 m east at 28°N
    [(a, b, share)] = overlapping_siblings({"Clearwater": clearwater, "Clearwater (copy)": shifted})
    assert (a, b) == ("Clearwater", "Clearwater (copy)") and share > 0.5
    # Among all 24 the copy also overlaps Clearwater's neighbours, but the copy pair ranks first.
    pairs = overlapping_siblings({**municipalities, "Clearwater (copy)": shifted})
    assert pairs[0][:2] == ("Clearwater", "Clearwater (copy)")


def test_a_feature_collection_of_one_feature_is_unwrapped():
    collection = {"type": "FeatureCollection",
                  "features": [{"type": "Feature", "properties": {}, "geometry": _square(0, 0, 1)}]}
    assert boundary_shape(collection, "square").area == 1


def _square(x, y, size):
    return {"type": "Polygon", "coordinates": [[[x, y], [x + size, y], [x + size, y + size],
                                                 [x, y + size], [x, y]]]}


@pytest.mark.parametrize("geometry, words", [
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},
     "outer ring is not closed"),
    # Seattle's corner swapped to [latitude, longitude]: -122 is no latitude.
    ({"type": "Polygon", "coordinates": [[[47.6, -122.3], [47.7, -122.3], [47.7, -122.2], [47.6, -122.3]]]},
     "coordinates must be [longitude, latitude]; (47.6, -122.3) is outside the world — "
     "are they in [latitude, longitude] order?"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
     "the geometry is not valid: Self-intersection"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]},
     "outer ring has 3 positions; a ring needs at least 4"),
    ({"type": "Point", "coordinates": [-82.6383, 27.7705]},
     "a boundary must be a Polygon or MultiPolygon, not Point"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [2, 0], [0, 0]]]},
     "encloses no area"),
    ({"type": "FeatureCollection", "features": []},
     "a FeatureCollection must hold exactly one feature, this one holds 0"),
], ids=["unclosed", "lat-long-swapped", "bow-tie", "three-positions", "point", "zero-area",
        "empty-collection"])
def test_unusable_boundaries_are_refused_with_a_plain_reason(geometry, words):
    with pytest.raises(BoundaryError) as refused:
        boundary_shape(geometry, "Ward 7")
    assert str(refused.value).startswith("boundary 'Ward 7': ")
    assert words in str(refused.value)

"""Where a spoken or written location is: parse it, then ask a pluggable geocoder.

Two geocoders: an offline gazetteer file (the default; `data/gazetteer.csv`) and an HTTP
adapter for any Nominatim-compatible service.
"""
import csv
import json
import re
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

DEFAULT_GAZETTEER = Path(__file__).parent.parent / "data" / "gazetteer.csv"
ABBREVIATIONS = {
    "STREET": "ST", "AVENUE": "AVE", "ROAD": "RD", "BOULEVARD": "BLVD", "PLACE": "PL",
    "DRIVE": "DR", "LANE": "LN", "COURT": "CT", "SQUARE": "SQ", "TERRACE": "TER",
    "PARKWAY": "PKWY", "HIGHWAY": "HWY", "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W",
}
INTERSECTION = re.compile(r"^(?:(?:THE\s+)?CORNER\s+OF\s+|INTERSECTION\s+OF\s+)?(.+?)\s*"
                          r"(?:&|\bAND\b|\bAT\b|/|@)\s*(.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Place:
    lat: float
    long: float
    matched: str


@dataclass(frozen=True)
class ParsedLocation:
    kind: str            # "address" or "intersection"
    key: str             # normalised address, or "STREET A|STREET B" sorted
    text: str


def normalise(text: str) -> str:
    words = re.sub(r"[.,#]", " ", text).upper().split()
    return " ".join(ABBREVIATIONS.get(word, word) for word in words)


def parse_location(text: str) -> ParsedLocation:
    text = " ".join(str(text).split())
    match = INTERSECTION.match(text)
    if match and not re.match(r"^\d+[A-Z]?\s", match[1], re.IGNORECASE):  # a house number
        streets = sorted(normalise(part) for part in match.groups())
        return ParsedLocation("intersection", "|".join(streets), text)
    return ParsedLocation("address", normalise(text), text)


class GazetteerGeocoder:
    """Exact matches on normalised addresses and intersections from a CSV file
    (`kind,name,zipcode,lat,long`; intersections named `Street A & Street B`)."""

    def __init__(self, path=DEFAULT_GAZETTEER):
        self.places = {}
        with open(path, newline="") as handle:
            rows = csv.DictReader(line for line in handle if not line.startswith("#"))
            for row in rows:
                parsed = parse_location(row["name"])
                self.places[(row["kind"], parsed.key)] = Place(
                    float(row["lat"]), float(row["long"]), row["name"])

    def locate(self, location: ParsedLocation) -> Place | None:
        return self.places.get((location.kind, location.key))


class NominatimGeocoder:
    """Free-form search on a Nominatim-compatible `/search` endpoint."""

    def __init__(self, base_url: str, user_agent: str = "Loop311 intake", timeout: float = 5.0,
                 country_codes: str = ""):
        self.base_url = base_url.rstrip("/")
        self.user_agent = user_agent
        self.timeout = timeout
        self.country_codes = country_codes

    def locate(self, location: ParsedLocation) -> Place | None:
        query = re.sub(r"\s*&\s*", " and ", location.text)
        params = {"q": query, "format": "jsonv2", "limit": 1}
        if self.country_codes:
            params["countrycodes"] = self.country_codes
        request = urllib.request.Request(
            f"{self.base_url}/search?{urllib.parse.urlencode(params)}",
            headers={"User-Agent": self.user_agent, "Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout) as answer:
            results = json.load(answer)
        if not results:
            return None
        best = results[0]
        return Place(float(best["lat"]), float(best["lon"]), best.get("display_name", query))


def geocoder_from_settings(settings):
    if settings.geocoder == "nominatim":
        return NominatimGeocoder(settings.nominatim_url, settings.nominatim_user_agent,
                                 country_codes=settings.nominatim_country_codes)
    return GazetteerGeocoder(settings.gazetteer_path or DEFAULT_GAZETTEER)

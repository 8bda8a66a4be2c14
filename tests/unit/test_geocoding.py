"""Location parsing and the two geocoders (the HTTP one against a local server speaking
Nominatim's /search format)."""
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from loop311_intake.adapters.geocoding import (
    GazetteerGeocoder,
    NominatimGeocoder,
    geocoder_from_settings,
    parse_location,
)
from loop311_intake.settings import IntakeSettings


@pytest.mark.parametrize("text, kind, key", [
    ("5th Ave N & 22nd St", "intersection", "22ND ST|5TH AVE N"),
    ("corner of Main Street and Elm St.", "intersection", "ELM ST|MAIN ST"),
    ("Elm St at Main St", "intersection", "ELM ST|MAIN ST"),
    ("103 North Beacon Street", "address", "103 N BEACON ST"),
    ("2D Brewer St", "address", "2D BREWER ST"),
])
def test_locations_are_parsed_and_normalised(text, kind, key):
    parsed = parse_location(text)
    assert (parsed.kind, parsed.key) == (kind, key)


def test_the_packaged_gazetteer_finds_boston_addresses_however_they_are_written():
    geocoder = GazetteerGeocoder()
    place = geocoder.locate(parse_location("103 north beacon street"))
    assert (place.lat, place.long, place.matched) == (42.3549, -71.143, "103 N Beacon St")
    assert geocoder.locate(parse_location("1 Nowhere Rd")) is None


def test_a_gazetteer_file_can_name_intersections(tmp_path):
    path = tmp_path / "gazetteer.csv"
    path.write_text("kind,name,zipcode,lat,long\n"
                    "intersection,5th Ave N & 22nd St,,47.6232,-122.3480\n")
    geocoder = geocoder_from_settings(IntakeSettings.from_config({"GAZETTEER_PATH": str(path)}))
    assert geocoder.locate(parse_location("22nd Street and 5th Avenue North")).lat == 47.6232


class NominatimLike(BaseHTTPRequestHandler):
    def do_GET(self):
        query = parse_qs(urlparse(self.path).query)
        self.server.seen.append(query)
        results = [] if "Nowhere" in query["q"][0] else [
            {"lat": "47.6232", "lon": "-122.3480", "display_name": "5th Ave N, Seattle"}]
        body = json.dumps(results).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def nominatim():
    server = HTTPServer(("127.0.0.1", 0), NominatimLike)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_the_nominatim_adapter_searches_and_reads_the_first_result(nominatim):
    geocoder = geocoder_from_settings(IntakeSettings.from_config({
        "GEOCODER": "nominatim", "NOMINATIM_URL": f"http://127.0.0.1:{nominatim.server_port}",
        "NOMINATIM_COUNTRY_CODES": "us"}))
    assert isinstance(geocoder, NominatimGeocoder)

    place = geocoder.locate(parse_location("5th Ave N & 22nd St"))

    assert (place.lat, place.long) == (47.6232, -122.348)
    [query] = nominatim.seen
    assert query["q"] == ["5th Ave N and 22nd St"]
    assert query["format"] == ["jsonv2"] and query["countrycodes"] == ["us"]
    assert geocoder.locate(parse_location("1 Nowhere Rd")) is None

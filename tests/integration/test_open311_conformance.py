"""Open311 GeoReport v2 conformance, written from the spec (wiki.open311.org/GeoReport_v2):
field names, JSON and XML shapes, error lists and codes."""
from datetime import datetime, timedelta, timezone
from xml.etree import ElementTree

import pytest
import requests

from support import DEMO_PLATFORM, TEST_API_KEY

REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name",
                  "service_code", "description", "agency_responsible", "service_notice",
                  "requested_datetime", "updated_datetime", "expected_datetime", "address",
                  "address_id", "zipcode", "lat", "long", "media_url"}
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type",
                  "keywords", "group"}
ATTRIBUTE_FIELDS = {"variable", "code", "datatype", "required", "datatype_description",
                    "order", "description"}


@pytest.fixture
def api(start_intake, service_config):
    config = service_config("intake")
    start_intake(config)
    base = f"http://{config['WEB_SERVER_ADDRESS']}/open311/v2"

    class Client:
        def get(self, path, **params):
            return requests.get(f"{base}/{path}", params=params, timeout=10)

        def post(self, fmt="json", **fields):
            return requests.post(f"{base}/requests.{fmt}", data=fields, timeout=10)

        def report(self, **fields):
            answer = self.post(**{"api_key": TEST_API_KEY, "service_code": "graffiti",
                                  "lat": "42.36", "long": "-71.06", "description": "tag",
                                  **fields})
            assert answer.status_code == 201, answer.text
            return answer.json()[0]["service_request_id"]

    return Client()


def xml(answer):
    assert answer.headers["Content-Type"].startswith("text/xml")
    assert answer.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ElementTree.fromstring(answer.content)


def test_discovery_lists_the_v2_endpoint_and_its_formats(api):
    document = api.get("discovery.json").json()
    [endpoint] = document["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert xml(api.get("discovery.xml")).find("endpoints/endpoint/specification").text == \
        endpoint["specification"]


def test_services_in_json_and_xml(api):
    services = api.get("services.json").json()
    assert services and all(set(s) == SERVICE_FIELDS for s in services)
    root = xml(api.get("services.xml"))
    assert root.tag == "services"
    assert [s.find("service_code").text for s in root.findall("service")] == \
        [s["service_code"] for s in services]
    assert root.find("service/metadata").text in ("true", "false")


def test_a_service_definition_lists_typed_attributes_in_order(api):
    definition = api.get("services/pothole.json").json()
    assert definition["service_code"] == "pothole"
    [size, bike_lane] = definition["attributes"]
    assert ATTRIBUTE_FIELDS <= set(size)
    assert (size["code"], size["datatype"], size["required"], size["order"]) == \
        ("size", "singlevaluelist", True, 1)
    assert {"key": "large", "name": "Larger than a car tyre"} in size["values"]
    assert bike_lane["order"] == 2
    root = xml(api.get("services/pothole.xml"))
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/values/value/key").text == "small"
    assert api.get("services/moon_rock.json").status_code == 404


def test_post_needs_a_valid_api_key(api):
    for fields in ({}, {"api_key": "guess"}):
        answer = api.post(service_code="graffiti", lat="1", long="1", **fields)
        assert answer.status_code == 403
        assert answer.json() == [{"code": 403, "description": "api_key is missing or not valid"}]
    root = xml(api.post("xml", service_code="graffiti", lat="1", long="1"))
    assert root.tag == "errors"
    assert root.find("error/code").text == "403"


def test_post_answers_with_the_request_id_in_either_format(api):
    [accepted] = api.post(api_key=TEST_API_KEY, service_code="graffiti",
                          address_string="1 City Hall Sq").json()
    assert {"service_request_id", "service_notice", "account_id"} <= set(accepted)
    root = xml(api.post("xml", api_key=TEST_API_KEY, service_code="graffiti", address_id="A-17"))
    assert root.tag == "service_requests"
    assert root.find("request/service_request_id").text.isdigit()


def test_attributes_are_checked_against_the_service_definition(api):
    missing = api.post(api_key=TEST_API_KEY, service_code="pothole", lat="1", long="1")
    assert missing.status_code == 400
    assert "attribute[size] is required" in missing.json()[0]["description"]
    wrong = api.post(**{"api_key": TEST_API_KEY, "service_code": "pothole", "lat": "1",
                        "long": "1", "attribute[size]": "huge", "attribute[colour]": "red"})
    assert wrong.status_code == 400
    problems = wrong.json()[0]["description"]
    assert "'huge' is not one of small, medium, large" in problems
    assert "attribute[colour] is not an attribute of pothole" in problems
    many = api.post(**{"api_key": TEST_API_KEY, "service_code": "missed_trash", "lat": "1",
                       "long": "1", "attribute[collection_type][]": ["trash", "recycling"]})
    assert many.status_code == 201, many.text


def test_a_request_and_its_token(api):
    answer = api.post(**{"api_key": TEST_API_KEY, "service_code": "pothole", "lat": "42.3",
                         "long": "-71.1", "attribute[size]": "small"})
    accepted = answer.json()[0]
    [shown] = api.get(f"requests/{accepted['service_request_id']}.json").json()
    assert set(shown) == REQUEST_FIELDS
    assert shown["status"] == "open"
    datetime.fromisoformat(shown["requested_datetime"])
    assert api.get(f"tokens/{accepted['token']}.json").json() == [
        {"service_request_id": accepted["service_request_id"], "token": accepted["token"]}]
    assert api.get("tokens/no-such-token.json").status_code == 404
    root = xml(api.get(f"requests/{accepted['service_request_id']}.xml"))
    assert root.find("request/service_code").text == "pothole"
    assert root.find("request/agency_responsible").text is None


def test_get_requests_filters(api):
    graffiti = api.report()
    pothole = api.report(service_code="pothole", **{"attribute[size]": "large"}, lat="10",
                         long="10")

    codes = lambda **params: [r["service_request_id"] for r in  # noqa: E731
                              api.get("requests.json", **params).json()]
    assert codes() == [pothole, graffiti]  # newest first
    assert codes(service_code="graffiti") == [graffiti]
    assert codes(service_code="graffiti,pothole") == [pothole, graffiti]
    assert codes(service_request_id=f"{graffiti}") == [graffiti]
    assert codes(status="open") == [pothole, graffiti]
    assert codes(status="closed") == []
    assert codes(bbox="-72,42,-70,43") == [graffiti]
    assert codes(page_size="1", page="2") == [graffiti]
    now = datetime.now(timezone.utc)
    assert codes(start_date=(now + timedelta(hours=1)).isoformat()) == []
    assert codes(updated_after=(now - timedelta(hours=1)).isoformat()) == [pothole, graffiti]
    [with_notes] = api.get("requests.json", service_request_id=graffiti, extensions="true").json()
    assert with_notes["notes"][0]["type"] == "opened"


@pytest.mark.parametrize("params, says", [
    ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90 days"),
    ({"start_date": "yesterday"}, "ISO 8601"),
    ({"start_date": "2026-01-01T00:00:00"}, "time zone"),
    ({"status": "pending"}, "open or closed"),
    ({"page_size": "0"}, "page_size"),
    ({"bbox": "1,2,3"}, "bbox"),
    ({"service_request_id": "x1"}, "no service request"),
])
def test_bad_queries_are_400_with_the_spec_error_list(api, params, says):
    answer = api.get("requests.json", **params)
    assert answer.status_code == 400
    [error] = answer.json()
    assert error["code"] == 400 and says in error["description"]
    assert xml(api.get("requests.xml", **params)).find("error/code").text == "400"


def test_jurisdiction_id_is_accepted_when_it_is_ours(api):
    assert api.get("services.json", jurisdiction_id=DEMO_PLATFORM).status_code == 200
    other = api.get("services.json", jurisdiction_id="springfield")
    assert other.status_code == 404
    assert "springfield" in other.json()[0]["description"]
    assert api.get("requests/1.json").status_code == 404

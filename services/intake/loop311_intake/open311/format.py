"""Open311 GeoReport v2 bodies in the format the URL asks for: `.json` or `.xml`."""
import json
from xml.etree.ElementTree import Element, tostring

from werkzeug.wrappers import Response

from loop311_shared.web import JsonHttp

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# XML names the members of a list by the singular of the list's element.
SINGULAR = {"services": "service", "service_requests": "request", "attributes": "attribute",
            "values": "value", "errors": "error", "notes": "note", "endpoints": "endpoint",
            "formats": "format"}


def render(fmt: str, payload, root: str, status: int = 200) -> Response:
    if fmt == "xml":
        body = b'<?xml version="1.0" encoding="utf-8"?>' + tostring(_element(root, payload))
    else:
        body = json.dumps(payload)
    return Response(body, status=status, content_type=CONTENT_TYPES[fmt])


def _element(name: str, value) -> Element:
    element = Element(name)
    if isinstance(value, list):
        for item in value:
            element.append(_element(SINGULAR.get(name, "item"), item))
    elif isinstance(value, dict):
        for key, item in value.items():
            element.append(_element(key, item))
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
    return element


class Open311Http(JsonHttp):
    """The `http` entrypoint for Open311 URLs: errors come back in the URL's format, as
    the spec's error list (`<errors><error><code/><description/></error></errors>`)."""

    def handle_request(self, request):
        response = super().handle_request(request)
        if response.status_code >= 400 and request.path.endswith(".xml"):
            errors = json.loads(response.get_data())
            response = render("xml", errors, "errors", status=response.status_code)
        return response


open311 = Open311Http.decorator

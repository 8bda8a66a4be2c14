"""intake publishes an OpenAPI document that is valid and covers every HTTP route."""
import re

import pytest
from openapi_spec_validator import validate

from loop311_intake.openapi import openapi_document
from loop311_intake.service import IntakeService
from loop311_notify.service import NotifyService
from loop311_routing.service import RoutingService
from loop311_shared.openapi import openapi_document as generate
from loop311_sla.service import SlaService


def routes(service_class=IntakeService):
    for attribute in dir(service_class):
        for entrypoint in getattr(getattr(service_class, attribute), "nameko_entrypoints", ()):
            if hasattr(entrypoint, "url"):
                # werkzeug <converter:name> -> OpenAPI {name}
                yield entrypoint.method.lower(), re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}",
                                                        entrypoint.url)


def test_the_document_is_valid_openapi():
    validate(openapi_document(IntakeService))


def test_every_route_is_documented():
    paths = openapi_document(IntakeService)["paths"]
    documented = {(method, path) for path, item in paths.items() for method in item}
    served = set(routes())
    assert served, "found no routes"
    assert served - documented == set()
    assert documented - served == set()


@pytest.mark.parametrize("service_class", [RoutingService, SlaService, NotifyService])
def test_every_service_documents_every_route_in_valid_openapi(service_class):
    document = generate(service_class, service_class.name)

    validate(document)
    documented = {(method, path) for path, item in document["paths"].items() for method in item}
    served = set(routes(service_class))
    assert served and served == documented

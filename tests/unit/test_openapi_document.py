"""intake publishes an OpenAPI document that is valid and covers every HTTP route."""
import re

from openapi_spec_validator import validate

from loop311_intake.openapi import openapi_document
from loop311_intake.service import IntakeService


def routes():
    for attribute in dir(IntakeService):
        for entrypoint in getattr(getattr(IntakeService, attribute), "nameko_entrypoints", ()):
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

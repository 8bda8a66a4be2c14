"""intake's OpenAPI document, generated from its entrypoints and schemas (served at
/openapi.json)."""
from functools import cache

from loop311_shared.openapi import openapi_document as generate

DESCRIPTION = ("Open311 GeoReport v2 (JSON and XML), the dispatcher call-in API, the staff "
               "API, inbound email and SMS webhooks, and the catalog admin import. Errors are "
               "Open311 error lists: `[{\"code\": 400, \"description\": \"...\"}]`.")


@cache
def openapi_document(service_class) -> dict:
    return generate(service_class, "Loop311 intake", DESCRIPTION)

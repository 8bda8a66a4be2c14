"""The OpenAPI 3.1 document of a service, generated from its entrypoints: each `http`
route's method and URL, its `Doc`, and the marshmallow schemas the route loads and
answers with (apispec's marshmallow plugin). Nothing about a route is written twice."""
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from .web import JsonHttp

# werkzeug converters -> OpenAPI path parameter schemas.
CONVERTER = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")
SECURITY = {
    "staff": ("Staff bearer token (STAFF_API_TOKENS)", "bearer"),
    "dispatcher": ("Dispatcher bearer token (DISPATCHER_API_TOKENS)", "bearer"),
    "admin": ("Administrator bearer token (ADMIN_API_TOKENS)", "bearer"),
    "mail": ("Mail webhook token (EMAIL_WEBHOOK_TOKENS), bearer or basic", "bearer"),
}


class ErrorSchema(Schema):
    code = fields.Integer(required=True)
    description = fields.String(required=True)


def routes(service_class) -> list[tuple[str, str, str, JsonHttp]]:
    """(method, werkzeug URL, method name, entrypoint) of every documented http route."""
    found = []
    for name in dir(service_class):
        method = getattr(service_class, name, None)
        for entrypoint in getattr(method, "nameko_entrypoints", ()) or ():
            if isinstance(entrypoint, JsonHttp):
                found.append((entrypoint.method, entrypoint.url, name, entrypoint))
    return sorted(found, key=lambda route: (route[1], route[0]))


def openapi_document(service_class, title: str, description: str = "") -> dict:
    spec = APISpec(title=title, version="1", openapi_version="3.1.0",
                   info={"description": description}, plugins=[MarshmallowPlugin()])
    spec.components.schema("Error", schema=ErrorSchema)
    used_security = set()
    paths: dict[str, dict] = {}
    for method, url, name, entrypoint in routes(service_class):
        doc = entrypoint.doc
        if doc is None:
            raise ValueError(f"{service_class.__name__}.{name} ({method} {url}) has no Doc")
        path, parameters = _path(url)
        operation = {"operationId": name, "summary": doc.summary, "tags": list(doc.tags),
                     "parameters": parameters}
        if doc.query is not None:
            operation["parameters"] = parameters + [{"in": "query", "schema": doc.query}]
        if doc.body is not None or method in ("POST", "PUT"):
            operation["requestBody"] = {"required": doc.body_required, "content": {
                content_type: {"schema": doc.multipart_body if (
                    content_type == "multipart/form-data" and doc.multipart_body is not None)
                    else doc.body} if doc.body is not None else {}
                for content_type in doc.body_types}}
        responses = {}
        for status, (text, schema) in doc.answers.items():
            content = {content_type: ({"schema": schema} if schema is not None else {})
                       for content_type in doc.answer_types}
            responses[str(status)] = {"description": text, "content": content}
        for status in sorted(_error_statuses(method, parameters, doc)):
            responses[str(status)] = {"description": "Open311 error list", "content": {
                content_type: {"schema": {"type": "array",
                                          "items": {"$ref": "#/components/schemas/Error"}}}
                for content_type in _error_types(doc)}}
        operation["responses"] = responses
        if doc.security:
            operation["security"] = [{doc.security: []}]
            used_security.add(doc.security)
        paths.setdefault(path, {})[method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    for scheme in sorted(used_security):
        text, kind = SECURITY[scheme]
        spec.components.security_scheme(scheme, {"type": "http", "scheme": kind,
                                                  "description": text})
    return spec.to_dict()


def _error_statuses(method: str, parameters: list, doc) -> set[int]:
    statuses = set(doc.errors)
    if parameters:
        statuses.add(404)  # a path value the route does not take names no resource
    if method in ("POST", "PUT"):
        statuses.add(413)  # any body may be too large
    return statuses


def _error_types(doc) -> tuple[str, ...]:
    # Open311 routes answer errors in the URL's format (.json or .xml); the rest in JSON.
    if {"application/json", "text/xml"} <= set(doc.answer_types):
        return ("application/json", "text/xml")
    return ("application/json",)


def _path(url: str) -> tuple[str, list[dict]]:
    parameters = []

    def replace(match):
        name, converter, args = match["name"], match["converter"], match["args"]
        schema = {"type": "string"}
        if converter == "any":
            schema["enum"] = [option.strip() for option in args.split(",")]
        elif converter == "int":
            schema = {"type": "integer"}
        else:
            # werkzeug's default converter takes no slashes.
            schema["pattern"] = "^[^/]+$"
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return CONVERTER.sub(replace, url), parameters

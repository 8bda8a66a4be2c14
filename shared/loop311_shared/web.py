"""The HTTP edge: JSON answers, and domain errors turned into statuses and Open311-shaped
error bodies (`[{"code": 400, "description": "..."}]`) in one place.

Every route also carries its `Doc` (summary, body and answer schemas) so the OpenAPI
document is generated from the same marshmallow schemas the entrypoints load.
"""
import json
from dataclasses import dataclass, field
from html import escape

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from .errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    TooLarge,
    Unauthenticated,
    Unavailable,
    Unprocessable,
)
from .loading import describe_errors, load  # noqa: F401  (the edge's loaders)

MAX_BODY_BYTES = 1_000_000
STATUS = {
    Invalid: 400, Unauthenticated: 401, Forbidden: 403, NotFound: 404, Conflict: 409,
    TooLarge: 413, Unprocessable: 422, Unavailable: 503,
}


def status_for(error: DomainError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


def json_response(payload, status: int = 200) -> Response:
    return Response(json.dumps(payload, default=str), status=status, mimetype="application/json")


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
</head><body style="font-family: sans-serif; max-width: 36em; margin: 2em auto">
<h1>{title}</h1><p>{text}</p>{extra}</body></html>"""


def html_page(title: str, text: str, extra_html: str = "") -> Response:
    """The small page a resident lands on from a link in a message: a title, a sentence
    (both escaped) and, maybe, a form the caller built."""
    return Response(PAGE.format(title=escape(title), text=escape(text), extra=extra_html),
                    content_type="text/html; charset=utf-8")


def error_response(status: int, description: str) -> Response:
    return json_response([{"code": status, "description": description}], status=status)


@dataclass(frozen=True)
class Doc:
    """What the OpenAPI document says of one route.

    `body`: the schema the entrypoint loads (a class or instance), sent as `body_types`;
    `query`: a schema of the query parameters; `answers`: status -> (description, schema
    or None); `errors`: the statuses of the Open311 error list it may answer.
    """

    summary: str
    tags: tuple[str, ...] = ()
    body: object = None
    body_types: tuple[str, ...] = ("application/json",)
    body_required: bool = True
    query: object = None
    answers: dict = field(default_factory=dict)
    answer_types: tuple[str, ...] = ("application/json",)
    errors: tuple[int, ...] = ()
    security: str | None = None


class JsonErrorsApp(WsgiApp):
    """nameko's WSGI app, but an unknown path or method answers in JSON like the rest."""

    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
        except MethodNotAllowed as exc:
            response = error_response(405, f"{request.method} is not allowed here; use "
                                           f"{', '.join(exc.valid_methods or ())}")
            response.headers["Allow"] = ", ".join(exc.valid_methods or ())
            return response(environ, start_response)
        except HTTPException as exc:
            return error_response(exc.code or 404, "no such resource: check the path")(
                environ, start_response)
        request.path_values = values
        return provider.handle_request(request)(environ, start_response)


class JsonErrorsWebServer(WebServer):
    def get_wsgi_app(self):
        return JsonErrorsApp(self)


class JsonHttp(HttpRequestHandler):
    """nameko's `http` entrypoint: domain errors answered with their status and message,
    anything else with a 500 that leaks no internals; `doc` describes the route."""

    server = JsonErrorsWebServer()

    def __init__(self, method, url, doc: Doc | None = None, expected_exceptions=(DomainError,),
                 **kwargs):
        self.doc = doc
        super().__init__(method, url, expected_exceptions=expected_exceptions, **kwargs)

    def handle_request(self, request):
        request.max_content_length = MAX_BODY_BYTES
        request.max_form_memory_size = MAX_BODY_BYTES
        return super().handle_request(request)

    def response_from_exception(self, exc):
        if isinstance(exc, DomainError):
            return error_response(status_for(exc), str(exc))
        if isinstance(exc, RequestEntityTooLarge):
            return error_response(413, f"the request body is larger than the {MAX_BODY_BYTES} "
                                       "bytes allowed")
        status = getattr(exc, "code", None)
        if isinstance(status, int) and 400 <= status < 500:
            return error_response(status, getattr(exc, "description", str(exc)))
        return error_response(500, "internal error")


http = JsonHttp.decorator


def json_object(request: Request) -> dict:
    """The body as a JSON object, or Invalid saying what is wrong with it."""
    if request.mimetype != "application/json":
        raise Invalid("send a JSON object as application/json")
    try:
        body = json.loads(request.get_data(cache=True) or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise Invalid("the JSON body must be an object")
    return body

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

from .db import is_transient
from .errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    TooLarge,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
    Unprocessable,
)
from .loading import describe_errors, load  # noqa: F401  (the edge's loaders)

MAX_BODY_BYTES = 1_000_000
RETRY_AFTER_SECONDS = 5  # what a 503 asks a client to wait
FILE_TYPES = ("multipart/form-data", "application/octet-stream", "message/rfc822")
STATUS = {
    Invalid: 400, Unauthenticated: 401, Forbidden: 403, NotFound: 404, Conflict: 409,
    TooLarge: 413, Unprocessable: 422, TooManyRequests: 429, Unavailable: 503,
}
# On every answer of every service. Pages residents land on may style themselves and post
# their own form; nothing else may load anything, and nothing may frame any of it.
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                    "X-Frame-Options": "DENY"}
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
PAGE_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
               "frame-ancestors 'none'")
# The public API: anyone's web page may read it; writes need an api_key all the same.
CORS_PREFIXES = ("/open311/", "/media/")
CORS_HEADERS = {"Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                "Access-Control-Allow-Headers": "Content-Type, Idempotency-Key",
                "Access-Control-Max-Age": "600"}


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
    multipart_body: object = None  # the multipart/form-data schema, when it differs (files)
    max_body_bytes: int = 0  # 0: MAX_BODY_BYTES


class JsonErrorsApp(WsgiApp):
    """nameko's WSGI app, but an unknown path or method answers in JSON like the rest, and
    every answer carries the security headers (and CORS's, on the public API)."""

    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        return self._secured(request, self._answer(request, environ))(environ, start_response)

    def _answer(self, request, environ) -> Response:
        public = request.path.startswith(CORS_PREFIXES)
        if public and request.method == "OPTIONS":
            return Response(status=204)  # a browser's preflight
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
        except MethodNotAllowed as exc:
            response = error_response(405, f"{request.method} is not allowed here; use "
                                           f"{', '.join(exc.valid_methods or ())}")
            response.headers["Allow"] = ", ".join(exc.valid_methods or ())
            return response
        except HTTPException as exc:
            return error_response(exc.code or 404, "no such resource: check the path")
        request.path_values = values
        return provider.handle_request(request)

    @staticmethod
    def _secured(request, response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY if (
            response.mimetype == "text/html") else API_POLICY)
        if request.path.startswith(CORS_PREFIXES):
            for name, value in CORS_HEADERS.items():
                response.headers.setdefault(name, value)
        return response


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

    def body_limit(self, request) -> int:
        """Files (photos, whole emails) may be larger, where the route allows them."""
        if self.doc and self.doc.max_body_bytes and request.mimetype in FILE_TYPES:
            return self.doc.max_body_bytes
        return MAX_BODY_BYTES

    def handle_request(self, request):
        request.max_content_length = request.max_form_memory_size = self.body_limit(request)
        return super().handle_request(request)

    def response_from_exception(self, exc):
        if is_transient(exc) or isinstance(exc, Unavailable):
            # Nothing was stored (the transaction did not commit): the client may retry.
            response = error_response(503, str(exc) if isinstance(exc, Unavailable) else
                                      "the service is temporarily unavailable (its database "
                                      "cannot be reached); try again shortly")
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        if isinstance(exc, TooManyRequests):
            response = error_response(429, str(exc))
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        if isinstance(exc, DomainError):
            return error_response(status_for(exc), str(exc))
        if isinstance(exc, RequestEntityTooLarge):
            files = (f" ({self.doc.max_body_bytes} as {' or '.join(FILE_TYPES)})"
                     if self.doc and self.doc.max_body_bytes else "")
            return error_response(413, f"the request body is larger than the {MAX_BODY_BYTES} "
                                       f"bytes allowed{files}")
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

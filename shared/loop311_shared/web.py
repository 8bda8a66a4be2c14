"""HTTP plumbing: JSON responses, and errors in the Open311 shape
(`[{"code": 400, "description": "..."}]`) with the right status."""
import json

from nameko.web.handlers import HttpRequestHandler
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from .errors import ClientError

MAX_BODY_BYTES = 1_000_000


def json_response(payload, status: int = 200) -> Response:
    return Response(json.dumps(payload, default=str), status=status, mimetype="application/json")


def error_response(status: int, description: str) -> Response:
    return json_response([{"code": status, "description": description}], status=status)


class JsonHttp(HttpRequestHandler):
    """nameko's `http` entrypoint, answering ClientErrors with their status and message
    and anything else with a 500 that leaks no internals."""

    def __init__(self, method, url, expected_exceptions=(ClientError,), **kwargs):
        super().__init__(method, url, expected_exceptions=expected_exceptions, **kwargs)

    def handle_request(self, request):
        request.max_content_length = MAX_BODY_BYTES
        request.max_form_memory_size = MAX_BODY_BYTES
        return super().handle_request(request)

    def response_from_exception(self, exc):
        if isinstance(exc, ClientError):
            return error_response(exc.status, str(exc))
        if isinstance(exc, RequestEntityTooLarge):
            return error_response(413, f"the request body is larger than the {MAX_BODY_BYTES} "
                                       "bytes allowed")
        status = getattr(exc, "code", None)
        if isinstance(status, int) and 400 <= status < 500:
            return error_response(status, getattr(exc, "description", str(exc)))
        return error_response(500, "internal error")


http = JsonHttp.decorator

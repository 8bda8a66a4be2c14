"""Read a request body as Open311 allows it: form-encoded, or a JSON object."""
import json

from werkzeug.wrappers import Request

from loop311_shared.errors import BadRequest


def request_fields(request: Request) -> dict:
    if request.mimetype == "application/json":
        try:
            body = json.loads(request.get_data(cache=True) or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest(f"the body is not valid JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise BadRequest("the JSON body must be an object of request fields")
        return body
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return request.form.to_dict()
    raise BadRequest("send the request as application/x-www-form-urlencoded or application/json")

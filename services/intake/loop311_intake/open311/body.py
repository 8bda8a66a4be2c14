"""Read a request body as Open311 allows it: form-encoded, or a JSON object.

Attributes arrive as `attribute[code]=value` (and `attribute[code][]=value` for lists) in
forms, or as an `attribute` object in JSON.
"""
import re
from urllib.parse import unquote_to_bytes

from werkzeug.wrappers import Request

from loop311_shared.errors import Invalid
from loop311_shared.web import json_object

from ..commands import Image
from ..domain.photos import MAX_PHOTOS_PER_REPORT as MAX_PHOTOS

ATTRIBUTE_FIELD = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")


def request_fields(request: Request) -> tuple[dict, dict[str, list]]:
    if request.mimetype == "application/json":
        return _attributes_apart(json_object(request))
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if request.mimetype == "application/x-www-form-urlencoded":
            _check_utf8(request.get_data(cache=True))
        fields, attributes = {}, {}
        for key in request.form:
            match = ATTRIBUTE_FIELD.match(key)
            if match:
                attributes.setdefault(match[1], []).extend(request.form.getlist(key))
            else:
                fields[key] = request.form.get(key)
        return fields, attributes
    raise Invalid("send the request as application/x-www-form-urlencoded or application/json")


def _check_utf8(body: bytes) -> None:
    # werkzeug quietly drops a whole form that is not UTF-8; say so instead.
    try:
        unquote_to_bytes(body.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("the form body is not UTF-8 (Open311 requires UTF-8)") from None



def _attributes_apart(body):
    attributes = body.pop("attribute", None) or {}
    if not isinstance(attributes, dict):
        raise Invalid("attribute must be an object of attribute codes and values")
    return body, {code: value if isinstance(value, list) else [value]
                  for code, value in attributes.items()}


def uploaded_photos(request: Request) -> tuple[Image, ...]:
    """The `media` files of a multipart POST, as they came (vetted later, by decoding)."""
    if request.mimetype != "multipart/form-data":
        return ()
    files = request.files.getlist("media")
    if len(files) > MAX_PHOTOS:
        raise Invalid(f"media: at most {MAX_PHOTOS} photos a report")
    return tuple(Image(upload.filename or "media", upload.mimetype, upload.read())
                 for upload in files)

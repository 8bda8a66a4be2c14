"""Serving stored photos so that nothing in them can run: only the raster types intake
re-encodes are shown inline; anything else (a file stored before photos were vetted) is
a download. Ids never change what they point at, so browsers may keep them for a year."""
from werkzeug.wrappers import Response

SHOWN_INLINE = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
MEDIA_POLICY = "default-src 'none'; img-src 'self'"


def media_response(data: bytes, content_type: str, name: str, private: bool = False) -> Response:
    extension = SHOWN_INLINE.get(content_type)
    inline = extension is not None and not private
    response = Response(data, content_type=content_type if extension else
                        "application/octet-stream")
    response.headers["Content-Disposition"] = (
        f'{"inline" if inline else "attachment"}; filename="{name}.{extension or "bin"}"')
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = MEDIA_POLICY
    response.headers["Cache-Control"] = "private, no-store" if private else \
        "public, max-age=31536000, immutable"
    return response

"""Links residents follow from a message land on a small page in a browser; API clients
get the JSON."""
from html import escape

from werkzeug.wrappers import Response

from loop311_shared.web import json_response

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
</head><body style="font-family: sans-serif; max-width: 36em; margin: 2em auto">
<h1>{title}</h1><p>{text}</p></body></html>"""


def page_or_json(request, answer: dict, title: str, text: str) -> Response:
    if request.accept_mimetypes.best_match(("application/json", "text/html")) == "text/html":
        return Response(PAGE.format(title=escape(title), text=escape(text)),
                        content_type="text/html; charset=utf-8")
    return json_response(answer)

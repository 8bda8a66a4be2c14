"""Links residents follow from a message land on a small page in a browser; API clients
get the JSON."""
from werkzeug.wrappers import Response

from loop311_shared.web import html_page, json_response


def page_or_json(request, answer: dict, title: str, text: str) -> Response:
    if request.accept_mimetypes.best_match(("application/json", "text/html")) == "text/html":
        return html_page(title, text)
    return json_response(answer)

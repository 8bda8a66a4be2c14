"""The small pages a resident sees after following the satisfaction links of an email."""
from html import escape

from werkzeug.wrappers import Response

from loop311_shared.web import html_page

FORM = """<form method="post" action="{action}">
<input type="hidden" name="token" value="{token}"><input type="hidden" name="contact" value="{contact}">
<input type="hidden" name="not_fixed" value="true">{score}
<label for="comment">What is still wrong?</label><br>
<textarea id="comment" name="comment" rows="5" cols="50" maxlength="4000"></textarea><br>
<button type="submit">It is not fixed: reopen request {request_id}</button></form>"""


def rating_page(request_id: str, answer: dict | None, link: dict, action: str) -> Response:
    """Thanks for a rating (`answer`), or the form that reopens a request not fixed."""
    if answer and answer["not_fixed"]:
        title, text = "Request reopened", (f"Thank you. Request {request_id} is open again and "
                                           "the crew has been told.")
    elif answer:
        title, text = "Thank you", (f"Your rating of request {request_id}: {answer['score']} of "
                                    "5. If the problem is not fixed, tell us below.")
    else:
        title, text = "Not fixed?", f"Tell us what is still wrong and we will reopen request " \
                                    f"{request_id}."
    score = f'<input type="hidden" name="score" value="{link["score"]}">' if link.get("score") \
        else ""
    form = "" if answer and answer["not_fixed"] else FORM.format(
        action=escape(action), token=escape(link["token"]), contact=escape(link["contact"]),
        score=score, request_id=escape(request_id))
    return html_page(title, text, form)

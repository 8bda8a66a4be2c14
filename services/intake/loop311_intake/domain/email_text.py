"""Reading a resident's email: their own words, the request it replies to, places named."""
import re

REPLY_ADDRESS = re.compile(r"\brequest\+(\d{1,18})@", re.IGNORECASE)
SUBJECT_REFERENCE = re.compile(r"(?:request|case)\s*#\s*(\d{1,18})\b", re.IGNORECASE)
QUOTE_HEADER = re.compile(r"^(On .+ wrote:|-+\s*Original Message\s*-+|From: .+)$", re.IGNORECASE)
STREET_ADDRESS = re.compile(r"\b\d+[a-z]?\s+(?:[\w'.-]+\s+){0,4}?"
                            r"(?:st|street|ave|avenue|rd|road|blvd|boulevard|pl|place|dr|drive|"
                            r"way|sq|square|ln|lane|ct|court|ter|terrace)\b", re.IGNORECASE)


def new_text(text: str) -> str:
    """The sender's own words: quoted replies and signatures cut off."""
    kept = []
    for line in text.splitlines():
        if QUOTE_HEADER.match(line.strip()) or line.rstrip() == "--" or line == "-- " \
                or line.strip().lower().startswith("sent from my"):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line.rstrip())
    return "\n".join(kept).strip()


def referenced_request(message) -> str | None:
    """The request id a reply names, by its reply address or its subject."""
    for recipient in message.recipients:
        if found := REPLY_ADDRESS.search(recipient):
            return found[1]
    found = SUBJECT_REFERENCE.search(message.subject)
    return found[1] if found else None


def place_candidates(text: str):
    """Street addresses and intersections the text names, in order, to try with a geocoder."""
    for line in text.splitlines():
        line = line.strip(" .,:;")
        yield from (match[0] for match in STREET_ADDRESS.finditer(line))
        if "&" in line or " and " in line.lower():
            yield re.sub(r"^.*?\b(?:at|on|near|of)\s+", "", line)

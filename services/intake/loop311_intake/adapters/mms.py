"""Photos texted to the city: the provider sends their addresses (MediaUrl0…), intake
fetches them from the provider's own media host only, within a size and a time limit.
What comes back is vetted later, with the report, like any other photo."""
from urllib.parse import urlsplit

import requests

from ..commands import Image
from ..domain.photos import MAX_BYTES
from ..domain.photos import MAX_PHOTOS_PER_REPORT as MAX_PHOTOS


def texted_photos(params: dict, media_hosts: tuple[str, ...], auth=None,
                  timeout: float = 10) -> tuple[tuple[Image, ...], tuple[str, ...]]:
    """(the photos fetched, why any other could not be)."""
    photos, problems = [], []
    try:
        count = min(int(params.get("NumMedia") or 0), MAX_PHOTOS)
    except ValueError:
        count = 0
    for number in range(count):
        url = params.get(f"MediaUrl{number}") or ""
        photo, problem = fetch(url, params.get(f"MediaContentType{number}", ""), media_hosts,
                               auth, timeout)
        photos += [photo] if photo else []
        problems += [problem] if problem else []
    return tuple(photos), tuple(problems)


def fetch(url: str, declared_type: str, media_hosts, auth, timeout) -> tuple:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or host not in media_hosts:
        return None, f"a texted photo at {host or url[:100]!r} was not fetched (not the SMS " \
                     "provider's media host)"
    try:
        with requests.get(url, auth=auth, timeout=timeout, stream=True) as answer:
            answer.raise_for_status()
            data = b""
            for chunk in answer.iter_content(64 * 1024):
                data += chunk
                if len(data) > MAX_BYTES:
                    return None, f"a texted photo is larger than {MAX_BYTES // 1_000_000} MB"
    except requests.RequestException as error:
        return None, f"a texted photo could not be fetched ({type(error).__name__})"
    name = parts.path.rsplit("/", 1)[-1] or "texted photo"
    return Image(name, answer.headers.get("Content-Type", declared_type), data), None

"""What the public sends must not run, flood or leak: photos are kept only if they decode
as raster images (re-encoded, without metadata), refused ones say why, every answer
carries the security headers, and public writes are rate limited across replicas."""
import uuid
from email.message import EmailMessage
from io import BytesIO

import pytest
import requests
from PIL import ExifTags
from PIL import Image as Picture
from sqlalchemy import select

from devtools.localsuite import SUITE_ADMIN_TOKEN, LocalSuite
from loop311_intake.models import media, request_notes, service_requests
from loop311_shared.admin_cli import import_document
from support import PNG, TEST_API_KEY, demo_document, free_port, rows

WEBHOOK = {"Authorization": "Bearer mta-token"}
CITY_HALL = (27.7705, -82.6383)  # St. Petersburg's City Hall, in the demo directory
REPORT = {"service_code": "pothole", "attribute[size]": "large", "api_key": TEST_API_KEY,
          "description": "Deep pothole", "email": "ada@example.org"}


def jpeg(exif_gps=None, size=(640, 480)) -> bytes:
    exif = Picture.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Model] = "Model 7 (serial 12345)"
    if exif_gps:
        lat, long = exif_gps
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N" if lat >= 0 else "S",
            ExifTags.GPS.GPSLatitude: dms(abs(lat)),
            ExifTags.GPS.GPSLongitudeRef: "E" if long >= 0 else "W",
            ExifTags.GPS.GPSLongitude: dms(abs(long))}
    out = BytesIO()
    Picture.new("RGB", size, (120, 110, 100)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def dms(value: float) -> tuple[float, float, float]:
    degrees, rest = divmod(value * 3600, 3600)
    minutes, seconds = divmod(rest, 60)
    return degrees, minutes, round(seconds, 4)


def bomb() -> bytes:
    out = BytesIO()
    Picture.new("1", (20_000, 20_000)).save(out, "PNG")  # 400 M pixels in 48 KB
    return out.getvalue()


SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)">'
       b'<script>fetch("/staff/v1/queues")</script></svg>')
HOSTILE = [  # (file name, declared type, bytes, the reason the sender is told)
    ("map.svg", "image/svg+xml", SVG, "is not a JPEG, PNG, WebP or HEIC photo"),
    ("photo.jpg", "image/jpeg", b"<html><script>alert(1)</script></html>",
     "is not a JPEG, PNG, WebP or HEIC photo"),
    ("cut.jpg", "image/jpeg", jpeg()[:3000], "is damaged or cut short"),
    ("bomb.png", "image/png", bomb(), "has more than 40,000,000 pixels"),
]


@pytest.fixture
def intake(start_intake, service_config):
    config = service_config("intake", EMAIL_WEBHOOK_TOKENS="mta:mta-token")
    start_intake(config)
    config["base"] = f"http://{config['WEB_SERVER_ADDRESS']}"
    return config


def upload(intake, name, content_type, data, **fields):
    return requests.post(f"{intake['base']}/open311/v2/requests.json", timeout=20,
                         data={**REPORT, **fields}, files={"media": (name, data, content_type)})


def email_with(name, content_type, data, body="Pothole outside 100 Central Ave") -> bytes:
    message = EmailMessage()
    message["From"] = "Ada <ada@example.org>"
    message["To"] = "311@city.example"
    message["Subject"] = "Pothole"
    message.set_content(body)
    maintype, subtype = content_type.split("/")
    message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def post_email(intake, raw):
    return requests.post(f"{intake['base']}/email/v1/mime", data=raw, timeout=20,
                         headers={"Content-Type": "message/rfc822", **WEBHOOK})


@pytest.mark.parametrize("name, content_type, data, reason", HOSTILE,
                         ids=[h[0] for h in HOSTILE])
def test_a_hostile_upload_is_refused_with_its_reason_and_nothing_is_kept(
        intake, name, content_type, data, reason):
    answer = upload(intake, name, content_type, data, lat=CITY_HALL[0], long=CITY_HALL[1])

    assert answer.status_code == 422, answer.text
    assert reason in answer.json()[0]["description"] and name in answer.text
    assert rows(intake["DATABASE_URL"], select(service_requests.c.id)) == []
    assert rows(intake["DATABASE_URL"], select(media.c.id)) == []


@pytest.mark.parametrize("name, content_type, data, reason", HOSTILE,
                         ids=[h[0] for h in HOSTILE])
def test_a_hostile_email_attachment_is_dropped_with_its_reason_on_the_request(
        intake, name, content_type, data, reason):
    answer = post_email(intake, email_with(name, content_type, data))

    assert answer.status_code == 201, answer.text
    request_id = int(answer.json()["service_request_id"])
    assert rows(intake["DATABASE_URL"], select(media.c.id)) == []
    [(summary, visibility)] = rows(intake["DATABASE_URL"], select(
        request_notes.c.summary, request_notes.c.visibility).where(
        request_notes.c.request_id == request_id, request_notes.c.type == "photo"))
    assert reason in summary and name in summary and visibility == "internal"


def test_a_photo_without_a_place_gives_its_gps_position_and_loses_its_metadata(intake):
    original = jpeg(exif_gps=CITY_HALL)
    assert Picture.open(BytesIO(original)).getexif()  # the camera wrote EXIF

    answer = upload(intake, "pothole.jpg", "image/jpeg", original)

    assert answer.status_code == 201, answer.text
    request_id = answer.json()[0]["service_request_id"]
    shown = requests.get(f"{intake['base']}/open311/v2/requests/{request_id}.json",
                         params={"extensions": "true"}, timeout=5).json()[0]
    assert (round(shown["lat"], 4), round(shown["long"], 4)) == CITY_HALL
    assert any("GPS position in the photo" in note["summary"] for note in shown["notes"])
    served = requests.get(shown["media_url"], timeout=5)
    copy = Picture.open(BytesIO(served.content))
    assert copy.format == "JPEG" and copy.size == (640, 480)
    assert dict(copy.getexif()) == {} and "exif" not in copy.info
    assert served.content != original
    # Without a place or a photo that has one, an upload is refused.
    lost = upload(intake, "no-gps.jpg", "image/jpeg", jpeg())
    assert lost.status_code == 400 and "location is required" in lost.text


def test_media_and_api_answers_carry_the_security_headers(intake):
    raw = email_with("wall.png", "image/png", PNG)
    request_id = post_email(intake, raw).json()["service_request_id"]
    shown = requests.get(f"{intake['base']}/open311/v2/requests/{request_id}.json",
                         timeout=5).json()[0]

    served = requests.get(shown["media_url"], timeout=5)
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == "default-src 'none'; img-src 'self'"
    assert served.headers["Content-Disposition"] == \
        f'inline; filename="photo-{shown["media_url"].rsplit("/", 1)[1]}.png"'
    assert "immutable" in served.headers["Cache-Control"]
    for answer in (requests.get(f"{intake['base']}/open311/v2/services.json", timeout=5),
                   requests.get(f"{intake['base']}/open311/v2/requests/999.json", timeout=5),
                   requests.get(f"{intake['base']}/health", timeout=5)):
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    preflight = requests.options(f"{intake['base']}/open311/v2/requests.json", timeout=5,
                                 headers={"Origin": "https://app.example",
                                          "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    staff = requests.get(f"{intake['base']}/staff/v1/media/1/original", timeout=5)
    assert staff.status_code == 401 and "Access-Control-Allow-Origin" not in staff.headers


def test_an_oversized_or_over_nested_email_is_refused_and_nothing_is_kept(intake):
    deep = EmailMessage()
    deep["From"], deep["To"], deep["Subject"] = "ada@example.org", "311@city.example", "Deep"
    deep.set_content("Pothole on Central Ave")
    for _ in range(8):  # each wrapping nests the message one level deeper
        outer = EmailMessage()
        outer["From"], outer["To"], outer["Subject"] = deep["From"], deep["To"], "Fwd"
        outer.set_content("see attached")
        outer.add_attachment(deep)
        deep = outer
    long_header = email_with("wall.png", "image/png", PNG).replace(
        b"Subject: Pothole", b"Subject: " + b"A" * 20_000)

    for raw, status, says in ((deep.as_bytes(), 422, "nested more than"),
                              (long_header, 422, "header of the message is longer"),
                              (b"From: ada@example.org\r\n\r\n" + b"x" * 17_000_000, 413,
                               "larger than")):
        answer = post_email(intake, raw)
        assert answer.status_code == status, answer.text[:200]
        assert says in answer.text
    assert rows(intake["DATABASE_URL"], select(service_requests.c.id)) == []


@pytest.fixture
def two_intakes(tmp_path, rabbit_config, new_database):
    """Two intake processes (`nameko run`) on one database, counting in one Redis."""
    database, prefix = new_database("intake"), f"limits-{uuid.uuid4().hex[:8]}"
    suites = []
    for replica in range(2):
        suite = LocalSuite(tmp_path / f"intake-{replica}", rabbit_config["AMQP_URI"],
                           database_urls={"intake": database}, ports={"intake": free_port()},
                           smtp_port=free_port(), extra_env={
                               "OPEN311_API_KEYS": TEST_API_KEY, "RATE_LIMIT_PREFIX": prefix,
                               "RATE_LIMIT_REPORTS_PER_IP": "4/minute"})
        suite.start("intake")
        suites.append(suite)
    for suite in suites:
        suite.wait_healthy("intake")
    import_document(suites[0].url("intake", ""), "catalog", demo_document("catalog"),
                    SUITE_ADMIN_TOKEN)
    yield [suite.url("intake", "") for suite in suites]
    for suite in suites:
        suite.stop_all()


def test_the_report_limit_is_shared_by_two_intake_processes(two_intakes):
    first, second = two_intakes
    report = {**REPORT, "lat": CITY_HALL[0], "long": CITY_HALL[1]}
    answers = [requests.post(f"{url}/open311/v2/requests.json", data=report, timeout=20)
               for url in (first, second, first, second)]
    assert [answer.status_code for answer in answers] == [201] * 4

    for url in (first, second):
        refused = requests.post(f"{url}/open311/v2/requests.json", data=report, timeout=20)
        assert refused.status_code == 429, refused.text
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        [error] = refused.json()
        assert error["code"] == 429 and "at most 4 per minute" in error["description"]


def test_a_keys_own_limit_a_senders_emails_token_lookups_and_reads(start_intake, service_config):
    config = service_config("intake", EMAIL_WEBHOOK_TOKENS="mta:mta-token",
                            RATE_LIMIT_REPORTS_PER_KEY="1/minute",
                            RATE_LIMIT_KEY_OVERRIDES=f"{TEST_API_KEY}=3/minute",
                            RATE_LIMIT_EMAILS_PER_SENDER="2/minute",
                            RATE_LIMIT_LOOKUPS_PER_IP="2/minute",
                            RATE_LIMIT_READS_PER_IP="2/minute")
    start_intake(config)
    config["base"] = base = f"http://{config['WEB_SERVER_ADDRESS']}"
    report = {**REPORT, "lat": CITY_HALL[0], "long": CITY_HALL[1]}

    statuses = [requests.post(f"{base}/open311/v2/requests.json", data=report,
                              timeout=20).status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]  # the key's own 3/minute, not the default 1
    emails = [post_email(config, email_with("wall.png", "image/png", PNG)).status_code
              for _ in range(3)]
    assert emails == [201, 201, 429]
    lookups = [requests.get(f"{base}/open311/v2/tokens/no-such-token.json",
                            timeout=5).status_code for _ in range(3)]
    assert lookups == [404, 404, 429]
    reads = [requests.get(f"{base}/open311/v2/{path}", timeout=5)
             for path in ("requests.json", "requests/1.xml", "requests.json")]
    assert [read.status_code for read in reads] == [200, 200, 429]
    assert "at most 2 per minute" in reads[2].json()[0]["description"]
    assert requests.get(f"{base}/open311/v2/services.json", timeout=5).status_code == 200


def test_behind_a_trusted_proxy_each_forwarded_address_has_its_own_limit(start_intake,
                                                                       service_config):
    config = service_config("intake", TRUSTED_PROXY_HOPS="1", RATE_LIMIT_READS_PER_IP="1/minute")
    start_intake(config)
    url = f"http://{config['WEB_SERVER_ADDRESS']}/open311/v2/requests.json"

    def read_as(address):
        return requests.get(url, headers={"X-Forwarded-For": address}, timeout=5).status_code

    assert [read_as("203.0.113.7"), read_as("198.51.100.4"), read_as("203.0.113.7")] == [
        200, 200, 429]


def test_notifys_public_writes_are_limited_too(container_factory, service_config):
    from loop311_notify.service import NotifyService

    config = service_config("notify", RATE_LIMIT_PUBLIC_PER_IP="2/minute")
    container_factory(NotifyService, config).start()
    url = f"http://{config['WEB_SERVER_ADDRESS']}/notify/v1/subscriptions"
    wanted = {"kind": "topic", "topic": "storm", "channel": "email", "email": "ada@example.org"}

    statuses = [requests.post(url, json=wanted, timeout=10).status_code for _ in range(3)]

    assert 429 not in statuses[:2] and statuses[2] == 429


def test_notifys_administration_needs_the_admin_token(container_factory, service_config):
    from loop311_notify.service import NotifyService

    config = service_config("notify")
    container_factory(NotifyService, config).start()
    base = f"http://{config['WEB_SERVER_ADDRESS']}"
    bad = {"Authorization": "Bearer not-the-token"}
    for method, path in (("PUT", "/admin/v1/topics"), ("POST", "/admin/v1/broadcasts"),
                         ("GET", "/admin/v1/broadcasts/1"), ("GET", "/integrations/v1/webhooks"),
                         ("POST", "/integrations/v1/integrators")):
        for headers in ({}, bad):
            answer = requests.request(method, base + path, json={}, headers=headers, timeout=10)
            assert answer.status_code == 401, (method, path, answer.text)


def test_the_original_is_kept_for_staff_only_when_configured(start_intake, service_config):
    config = service_config("intake", KEEP_ORIGINAL_PHOTOS="true",
                            STAFF_API_TOKENS="crew:staff-token")
    start_intake(config)
    config["base"] = f"http://{config['WEB_SERVER_ADDRESS']}"
    original = jpeg(exif_gps=CITY_HALL)
    request_id = upload(config, "pothole.jpg", "image/jpeg", original).json()[0][
        "service_request_id"]
    media_url = requests.get(f"{config['base']}/open311/v2/requests/{request_id}.json",
                             timeout=5).json()[0]["media_url"]
    media_id = media_url.rsplit("/", 1)[1]

    kept = requests.get(f"{config['base']}/staff/v1/media/{media_id}/original", timeout=5,
                        headers={"Authorization": "Bearer staff-token"})

    assert kept.status_code == 200 and kept.content == original  # with its EXIF, for staff
    assert kept.headers["Content-Disposition"].startswith("attachment;")
    assert kept.headers["Cache-Control"] == "private, no-store"
    assert requests.get(f"{config['base']}/staff/v1/media/{media_id}/original",
                        timeout=5).status_code == 401
    assert Picture.open(BytesIO(requests.get(media_url, timeout=5).content)).getexif() == {}


def test_without_the_setting_no_original_is_kept(intake):
    request_id = upload(intake, "pothole.jpg", "image/jpeg", jpeg(),
                        lat=CITY_HALL[0], long=CITY_HALL[1]).json()[0]["service_request_id"]
    [(original,)] = rows(intake["DATABASE_URL"], select(media.c.original).where(
        media.c.request_id == int(request_id)))
    assert original is None

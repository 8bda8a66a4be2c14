"""The photo pipeline alone: what it keeps, how, and what it refuses."""
from io import BytesIO

import pytest
from PIL import ExifTags
from PIL import Image as Picture

from loop311_intake.domain.photos import MAX_SIDE, PhotoRefused, gps_hint, vet


def encoded(format_, size=(64, 48), mode="RGB", **params) -> bytes:
    out = BytesIO()
    Picture.new(mode, size, 90).save(out, format_, **params)
    return out.getvalue()


@pytest.mark.parametrize("format_, kept_as", [
    ("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp"),
    ("HEIF", "image/jpeg"),  # iPhones' HEIC, through pillow-heif, shown as JPEG
])
def test_each_accepted_format_is_re_encoded(format_, kept_as):
    photo = vet(encoded(format_), f"photo.{format_.lower()}")

    assert photo.content_type == kept_as
    assert Picture.open(BytesIO(photo.data)).size == (64, 48)


def test_a_huge_photo_is_shrunk_and_turned_upright():
    exif = Picture.Exif()
    exif[ExifTags.Base.Orientation] = 6  # the camera was held sideways
    photo = vet(encoded("JPEG", size=(6000, 3000), exif=exif), "wide.jpg")

    assert Picture.open(BytesIO(photo.data)).size == (MAX_SIDE // 2, MAX_SIDE)


@pytest.mark.parametrize("data, says", [
    (b"GIF89a" + b"\x00" * 64, "is not a JPEG, PNG, WebP or HEIC photo"),
    (encoded("GIF"), "is not a JPEG, PNG, WebP or HEIC photo"),  # a real GIF: not kept
    (encoded("BMP"), "is not a JPEG, PNG, WebP or HEIC photo"),
    (b"", "is not a JPEG"),
    (b"x" * 10_000_001, "larger than 10 MB"),
])
def test_what_is_refused_says_why(data, says):
    with pytest.raises(PhotoRefused, match=says):
        vet(data, "upload")


def test_a_position_is_read_only_from_a_photo_we_would_keep():
    exif = Picture.Exif()
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "S",
                                  ExifTags.GPS.GPSLatitude: (33.0, 52.0, 4.0),
                                  ExifTags.GPS.GPSLongitudeRef: "E",
                                  ExifTags.GPS.GPSLongitude: (151.0, 12.0, 36.0)}

    assert gps_hint(encoded("JPEG", exif=exif)) == (-33.867778, 151.21)
    assert gps_hint(encoded("JPEG")) is None
    assert gps_hint(b"<svg/>") is None

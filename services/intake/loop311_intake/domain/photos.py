"""Photos residents send, vetted by decoding them: only raster images Pillow decodes as
JPEG, PNG, WebP or HEIC are kept, never trusted by their declared type or name. What is
kept is re-encoded (so nothing the sender wrote survives but pixels), turned upright,
capped in size and stripped of metadata; the GPS position in its EXIF is read first, as
a hint for a report that came without a place."""
import warnings
from dataclasses import dataclass
from io import BytesIO

import pillow_heif
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

pillow_heif.register_heif_opener()

MAX_BYTES = 10_000_000
MAX_PIXELS = 40_000_000  # a 7,700 × 5,200 photo; beyond it Pillow refuses (bombs)
MAX_SIDE = 4096  # the public copy's longest side
MAX_PHOTOS_PER_REPORT = 5
# Decoded format -> what the public copy is saved as.
KEPT_AS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "HEIF": "JPEG"}
CONTENT_TYPES = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"),
                 "WEBP": ("image/webp", "webp")}
ACCEPTED_WORDS = "a JPEG, PNG, WebP or HEIC photo"


class PhotoRefused(ValueError):
    """Why a file is not kept, in words the sender can act on."""


@dataclass(frozen=True)
class Photo:
    data: bytes  # the public copy
    content_type: str
    extension: str
    location: tuple[float, float] | None  # (lat, long) from its EXIF GPS


def vet(data: bytes, filename: str) -> Photo:
    name = filename or "the attachment"
    if len(data) > MAX_BYTES:
        raise PhotoRefused(f"{name} is larger than {MAX_BYTES // 1_000_000} MB")
    image = _decoded(data, name)
    location = gps_location(image)
    upright = ImageOps.exif_transpose(image)
    upright.thumbnail((MAX_SIDE, MAX_SIDE))
    kept_as = KEPT_AS[image.format]
    if kept_as == "JPEG" and upright.mode != "RGB":
        upright = upright.convert("RGB")
    upright.info = {}  # no EXIF, ICC, XMP or text chunks in the copy
    out = BytesIO()
    upright.save(out, kept_as, **({"quality": 85} if kept_as != "PNG" else {"optimize": True}))
    content_type, extension = CONTENT_TYPES[kept_as]
    return Photo(out.getvalue(), content_type, extension, location)


def gps_hint(data: bytes) -> tuple[float, float] | None:
    """Where a photo says it was taken, or None (no position, or not a photo we keep)."""
    try:
        return gps_location(_decoded(data, "photo")) if len(data) <= MAX_BYTES else None
    except PhotoRefused:
        return None


def _decoded(data: bytes, name: str) -> Image.Image:
    """The image, fully decoded; a bomb, a truncated file or anything but the accepted
    formats is refused."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(data), formats=list(KEPT_AS))
            if image.width * image.height > MAX_PIXELS:
                raise PhotoRefused(f"{name} has more than {MAX_PIXELS:,} pixels")
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRefused(f"{name} has more than {MAX_PIXELS:,} pixels") from None
    except UnidentifiedImageError:
        raise PhotoRefused(f"{name} is not {ACCEPTED_WORDS}") from None
    except (OSError, SyntaxError, ValueError):
        raise PhotoRefused(f"{name} is damaged or cut short and cannot be shown") from None
    return image


def gps_location(image: Image.Image) -> tuple[float, float] | None:
    try:
        gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        lat = _degrees(gps[ExifTags.GPS.GPSLatitude], gps.get(ExifTags.GPS.GPSLatitudeRef, "N"))
        long = _degrees(gps[ExifTags.GPS.GPSLongitude],
                        gps.get(ExifTags.GPS.GPSLongitudeRef, "E"))
    except (KeyError, TypeError, ValueError, ZeroDivisionError, AttributeError):
        return None
    if -90 <= lat <= 90 and -180 <= long <= 180 and (lat, long) != (0, 0):
        return round(lat, 6), round(long, 6)
    return None


def _degrees(value, reference: str) -> float:
    degrees, minutes, seconds = (float(part) for part in value)
    sign = -1 if str(reference).strip().upper() in ("S", "W") else 1
    return sign * (degrees + minutes / 60 + seconds / 3600)

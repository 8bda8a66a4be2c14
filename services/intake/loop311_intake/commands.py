"""What intake can be asked to do: one small command per intention, built at the edge
from a loaded body, carried out by its handler in `handlers/`."""
from dataclasses import dataclass, field

CHANNEL_WEB, CHANNEL_PHONE, CHANNEL_EMAIL, CHANNEL_TEXT = "web", "phone", "email", "sms"


@dataclass(frozen=True)
class IdempotencyKey:
    client: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class Image:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class SubmitRequest:
    """A new report. `channel` is set by the entrypoint that received it, never by the
    body; `fields` are the loaded SubmitRequestSchema fields."""

    fields: dict
    channel: str
    attributes: dict = field(default_factory=dict)
    priority: str = "normal"
    callback: str | None = None
    require_attributes: bool = True
    idempotency: IdempotencyKey | None = None
    images: tuple[Image, ...] = ()
    offered: frozenset[str] | None = None  # what the client's jurisdiction_id offers
    photo_problems: tuple[str, ...] = ()  # photos that never arrived, and why


@dataclass(frozen=True)
class TakeCallIn:
    call: dict  # loaded CallInSchema
    dispatcher: str


@dataclass(frozen=True)
class ReceiveText:
    phone: str
    body: str
    photos: tuple[Image, ...] = ()  # fetched from the provider, not yet vetted
    photo_problems: tuple[str, ...] = ()  # why a texted photo could not be fetched


@dataclass(frozen=True)
class ReceiveEmail:
    sender: str
    recipients: tuple[str, ...]
    subject: str
    text: str
    images: tuple[Image, ...] = ()


@dataclass(frozen=True)
class ChangeStatus:
    request_id: str
    status: str
    author: str
    resolution: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class AddComment:
    request_id: str
    text: str
    author: str
    visibility: str = "public"


@dataclass(frozen=True)
class ImportCatalog:
    document: dict  # loaded CatalogSchema
    author: str


@dataclass(frozen=True)
class RateRequest:
    """A resident's answer to the satisfaction question after a close. `token` is the
    request's (the proof a link carries); a text proves itself by its phone number."""

    request_id: str
    contact_ref: str | None
    channel: str  # sms, email (the link in the closing email) or web
    score: int | None = None
    not_fixed: bool = False
    words: str = ""
    token: str | None = None

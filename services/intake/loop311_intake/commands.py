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
    # What the category guesser proposed, best first: None when it has not been asked
    # (a report to the general category is then guessed from its description).
    suggestions: tuple[tuple[str, float], ...] | None = None


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


@dataclass(frozen=True)
class ImportHistory:
    """A city's past reports and what each of its old categories became in the catalog."""

    data: bytes
    filename: str
    mapping: dict  # history category name -> service_code
    jurisdiction_id: str | None
    author: str


@dataclass(frozen=True)
class TrainCategoryModel:
    jurisdiction_id: str | None
    author: str


@dataclass(frozen=True)
class ActivateCategoryModel:
    """Serve this model version (a rollback, or back to a newer one)."""

    version: int
    author: str


@dataclass(frozen=True)
class RetrainWhenDue:
    """Queue training where enough corrections came, or the schedule says so."""

    after_corrections: int
    every_seconds: float


@dataclass(frozen=True)
class RecordTrainingStep:
    run_id: int
    step: str


@dataclass(frozen=True)
class KeepTrainedModel:
    """A claimed run's end: the training (or the error it failed with) to keep."""

    claimed: object  # handlers.category_models.Claimed
    outcome: object  # domain.category_model.Training, or the exception

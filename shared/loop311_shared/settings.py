"""Settings: every environment variable a service reads, parsed once at start.

Each service declares a `ServiceSettings` subclass (typed, defaulted, described) and a
`SettingsProvider` for it. Values come from the nameko config first (what tests and
config.yml pass), then from the environment. A bad value stops the service at start with
the variable's name. A renamed variable keeps working under its old name, with a
deprecation warning, while operators move to the new one.
"""
import logging
import os
import warnings
from typing import Annotated, Any, ClassVar, Mapping

from nameko.extensions import DependencyProvider
from pydantic import BeforeValidator, Field, ValidationError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .auth import parse_token_holders

log = logging.getLogger(__name__)


def _comma_separated(value):
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


CommaList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_comma_separated)]
CommaInts = Annotated[tuple[int, ...], NoDecode, BeforeValidator(_comma_separated)]
TokenHolders = Annotated[dict[str, str], NoDecode, BeforeValidator(parse_token_holders)]


class SettingsError(RuntimeError):
    """A setting has a value the service cannot run with."""


class ServiceSettings(BaseSettings):
    """What every service reads. Subclasses add their own."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore",
                                      env_ignore_empty=True, frozen=True)
    # OLD_NAME -> NEW_NAME for variables that were renamed.
    renamed: ClassVar[dict[str, str]] = {}

    database_url: str = Field("", description="SQLAlchemy URL of the service's own database "
                                              "(postgresql://…); empty: a SQLite file under ./var/")
    outbox_poll_seconds: float = Field(1.0, gt=0, description="How often the outbox relay "
                                       "looks for events a dead replica left unpublished")
    event_retry_delays_ms: CommaInts = Field(
        (1_000, 5_000, 30_000, 120_000, 600_000),
        description="Delays between retries of a failed event handler, comma-separated; "
                    "after the last one the message goes to the dead-letter queue")
    queue_type: str = Field("classic", pattern="^(classic|quorum)$", description="classic "
                            "queues (one broker node) or quorum queues (replicated across a "
                            "cluster); the same on every service of a platform")
    event_replay_retention: str = Field(
        "30D", pattern=r"^[1-9][0-9]*(Y|M|D|h|m|s)$",
        description="How long the replay stream keeps public events (RabbitMQ's x-max-age: "
                    "30D, 12h …), set when the stream is first made; later, with a policy")
    staff_api_tokens: TokenHolders = Field(
        default_factory=dict, description="Staff bearer tokens, `name:token` pairs separated "
                                          "by commas; empty: the staff API refuses everyone")
    dispatcher_api_tokens: TokenHolders = Field(
        default_factory=dict, description="Dispatcher bearer tokens, `name:token` pairs")
    admin_api_tokens: TokenHolders = Field(
        default_factory=dict, description="Administrator bearer tokens (configuration "
                                          "imports), `name:token` pairs")

    @classmethod
    def from_config(cls, config: Mapping[str, Any], environ: Mapping[str, str] = os.environ):
        values = {name.lower(): value for name, value in config.items()
                  if name.lower() in cls.model_fields and value not in ("", None)}
        for old, new in cls.renamed.items():
            given = config.get(old) or environ.get(old)
            if given in ("", None):
                continue
            message = f"{old} is deprecated: set {new} instead"
            warnings.warn(message, DeprecationWarning, stacklevel=2)
            log.warning(message)
            if new.lower() not in values and not environ.get(new):
                values[new.lower()] = given
        try:
            return cls(**values)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, error['loc'])).upper()}: {error['msg']}"
                                 for error in exc.errors())
            raise SettingsError(f"{cls.__name__}: {problems}") from None


_cache_attr = "_loop311_settings"


def settings_of(container, settings_class=ServiceSettings) -> ServiceSettings:
    """The container's settings: its SettingsProvider's, or the base ones for a service
    that declares none. Parsed once per container."""
    for dependency in container.dependencies:
        if isinstance(dependency, SettingsProvider):
            return dependency.load()
    cached = getattr(container, _cache_attr, None)
    if cached is None:
        cached = settings_class.from_config(container.config)
        setattr(container, _cache_attr, cached)
    return cached


RATE_LIMIT = r"^[0-9]+ ?(/|per) ?[0-9]* ?(second|minute|hour|day)s?$"  # 30/minute


class RateLimitedSettings(ServiceSettings):
    """What a service that takes public writes adds: the Redis every replica counts its
    rate limits in (loop311_shared.rate_limits), and how to find a client's address."""

    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Redis every replica "
                           "shares: the rate limits (and notify's SMS pace)")
    rate_limit_prefix: str = Field("loop311", min_length=1, description="The rate limits' "
                                   "Redis key prefix (one per platform sharing a Redis)")
    trusted_proxy_hops: int = Field(0, ge=0, le=5, description="Proxies in front of the "
                                    "service that append to X-Forwarded-For (the client "
                                    "address the limits count by); 0: the connection's address")


class SettingsProvider(DependencyProvider):
    """Gives entrypoints the service's settings, parsed once when the container starts."""

    def __init__(self, settings_class: type[ServiceSettings]):
        self.settings_class = settings_class
        self.settings = None

    def load(self) -> ServiceSettings:
        if self.settings is None:
            self.settings = self.settings_class.from_config(self.container.config)
        return self.settings

    def setup(self):
        self.load()

    def get_dependency(self, worker_ctx) -> ServiceSettings:
        return self.settings

"""Every environment variable intake reads, parsed once at start (see loop311_shared.settings)."""
import re
from typing import ClassVar

from pydantic import Field, field_validator

from loop311_shared.settings import RATE_LIMIT, CommaList, RateLimitedSettings, TokenHolders


class IntakeSettings(RateLimitedSettings):
    renamed: ClassVar[dict[str, str]] = {"CATEGORY_CONFIDENCE": "CATEGORY_MIN_CONFIDENCE"}

    jurisdiction_id: str = Field("city", description="The Open311 jurisdiction_id served here")
    open311_api_keys: CommaList = Field(
        (), description="api_key values Open311 clients may POST with, comma-separated; "
                        "empty: nobody may POST")
    public_base_url: str = Field("", description="The public address of this API (discovery, "
                                                 "media links, Twilio signature checks)")
    keep_original_photos: bool = Field(False, description="Also keep each photo as it came "
                                       "(with its metadata), for staff only; the public copy "
                                       "is always re-encoded without it")
    rate_limit_reports_per_ip: str = Field("30/minute", pattern=RATE_LIMIT, description="Open311 "
                                           "reports one client address may POST")
    rate_limit_reports_per_key: str = Field("600/minute", pattern=RATE_LIMIT, description="Open311 "
                                            "reports one api_key may POST")
    rate_limit_key_overrides: CommaList = Field((), description="api_key=limit pairs for keys "
                                                "that get their own (a city's own app: "
                                                "key=6000/minute)")
    rate_limit_texts_per_number: str = Field("10/minute", pattern=RATE_LIMIT, description="Inbound "
                                             "texts taken from one phone number")
    rate_limit_emails_per_sender: str = Field("10/minute", pattern=RATE_LIMIT, description="Inbound "
                                              "emails taken from one sender address")
    rate_limit_lookups_per_ip: str = Field("60/minute", pattern=RATE_LIMIT, description="Token "
                                           "lookups and rating answers from one address")
    rate_limit_reads_per_ip: str = Field("300/minute", pattern=RATE_LIMIT, description="Open311 "
                                         "reads of requests (a list or one) from one address")
    open311_contact: str = Field("311 operations", description="Discovery's `contact`")
    open311_key_service: str = Field("Ask 311 operations for an api_key",
                                     description="Discovery's `key_service`")
    default_phone_region: str = Field("US", min_length=2, max_length=2,
                                      description="Region for phone numbers given without +")
    duplicate_radius_meters: float = Field(
        50, ge=0, description="A report of the same category within this many metres of an "
                             "open request joins it (0: never)")
    duplicate_window_hours: float = Field(72, ge=0, description="…when that request was made "
                                                                "within this many hours")
    geocoder: str = Field("gazetteer", pattern="^(gazetteer|nominatim)$",
                          description="gazetteer (offline file) or nominatim (HTTP)")
    gazetteer_path: str = Field("", description="Gazetteer CSV; empty: the packaged one")
    nominatim_url: str = Field("", description="Base URL of a Nominatim-compatible service")
    nominatim_user_agent: str = Field("Loop311 intake", description="User-Agent sent to it")
    nominatim_country_codes: str = Field("", description="Limit Nominatim to these countries")
    twilio_auth_token: str = Field("", description="Twilio's auth token; empty: inbound "
                                                   "texts are refused")
    twilio_account_sid: str = Field("", description="Twilio's account SID: with it, texted "
                                    "photos are fetched with HTTP basic auth (needed when the "
                                    "account protects its media)")
    sms_media_hosts: CommaList = Field(("api.twilio.com",), description="The only hosts "
                                       "texted photos are fetched from (the provider's)")
    sms_conversation_minutes: float = Field(30, ge=0, description="How long a texter's "
                                            "half-finished report waits for the next reply")
    sms_reply_window_days: float = Field(14, ge=0, description="A text from a number whose "
                                         "request was updated this recently is a reply to it "
                                         "(a comment, or a rating after a close); NEW starts "
                                         "a new report")
    email_webhook_tokens: TokenHolders = Field(
        default_factory=dict, description="Tokens of the raw-MIME and SendGrid mail webhooks, "
                                          "`name:token` pairs (SendGrid: basic auth in the URL)")
    mailgun_signing_key: str = Field("", description="Mailgun's webhook signing key")
    category_min_confidence: float = Field(
        0.2, ge=0, le=1, description="Below this similarity a guessed category is not "
                                     "trusted and the report goes to triage (was "
                                     "CATEGORY_CONFIDENCE)")
    category_training: bool = Field(True, description="This replica trains category models "
                                    "in the background (turn off on replicas that should "
                                    "only serve requests; one replica with it on is enough)")
    category_training_poll_seconds: float = Field(10, gt=0, description="How often the "
                                                  "trainer looks for runs to do")
    category_retrain_after_corrections: int = Field(50, ge=1, description="Retrain once this "
                                                    "many staff category corrections arrived "
                                                    "since the model serving was trained")
    category_retrain_every_hours: float = Field(24, gt=0, description="Retrain at least this "
                                                "often while there are examples the serving "
                                                "model has not learned from")

    @field_validator("rate_limit_key_overrides")
    @classmethod
    def key_limits_given_as_pairs(cls, value):
        for pair in value:
            key, _, limit = pair.partition("=")
            if not key or not re.match(RATE_LIMIT, limit) or not limit:
                raise ValueError(f"{pair!r}: give api_key=limit, such as city-app=6000/minute")
        return value

    @property
    def twilio_media_auth(self) -> tuple[str, str] | None:
        return (self.twilio_account_sid, self.twilio_auth_token) \
            if self.twilio_account_sid else None

    @property
    def key_limits(self) -> dict[str, str]:
        return dict(pair.split("=", 1) for pair in self.rate_limit_key_overrides)

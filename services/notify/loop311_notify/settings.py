"""Every environment variable notify reads, parsed once at start (see loop311_shared.settings)."""

from pydantic import Field, field_validator

from loop311_shared.clock import is_time_zone
from loop311_shared.settings import RATE_LIMIT, CommaInts, CommaList, RateLimitedSettings


class NotifySettings(RateLimitedSettings):
    smtp_host: str = Field("127.0.0.1", min_length=1, description="SMTP server that sends the mail")
    smtp_port: int = Field(1025, ge=1, le=65_535, description="Its port")
    smtp_username: str = Field("", description="SMTP login; empty: send without logging in")
    smtp_password: str = Field("", description="SMTP password, with SMTP_USERNAME")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS "
                                                   "(true/false)")
    mail_from: str = Field("Loop311 <no-reply@loop311.local>", min_length=1,
                           description="The From of every email")
    mail_poll_seconds: float = Field(2.0, gt=0, description="How often the mailer looks for due "
                                     "emails (and retries failed ones) besides after each event")
    mail_reply_domain: str = Field("", description="Replies go to request+<id>@this domain, "
                                                   "which intake's email channel turns into "
                                                   "comments; empty: no Reply-To")
    notify_public_url: str = Field("http://127.0.0.1:8004", description="notify's public "
                                   "address: unsubscribe links and SMS status callbacks")
    unsubscribe_secret: str = Field("", description="Signs unsubscribe links; empty: emails go "
                                                    "without an unsubscribe link")
    twilio_account_sid: str = Field("", description="The SMS provider account (Twilio's API); "
                                                    "empty, or no SMS_FROM: no SMS is sent")
    twilio_auth_token: str = Field("", description="Its auth token (also checks the signature "
                                                   "of its status callbacks)")
    sms_from: str = Field("", description="The number texts come from (E.164)")
    sms_base_url: str = Field("", description="The provider's API address; empty: Twilio's "
                                              "own (make run: the local provider)")
    sms_provider: str = Field("twilio", pattern="^(twilio|http)$", description="`twilio` "
                              "(Twilio's Messages API) or `http` (the generic JSON adapter)")
    sms_http_url: str = Field("", description="http provider: the URL texts are POSTed to")
    sms_http_token: str = Field("", description="http provider: its bearer token, which also "
                                "signs its status callbacks (HMAC-SHA256)")
    sms_rate_per_second: float = Field(1.0, ge=0, description="Texts per second the provider "
                                       "allows (a long code: 1), shared by every replica "
                                       "through Redis; 0: unpaced")
    intake_public_url: str = Field("http://127.0.0.1:8001", description="intake's public "
                                   "address: the rating links of closing emails")
    quiet_hours: str = Field("21:00-08:00", pattern=r"^(off|\d{2}:\d{2}-\d{2}:\d{2})$",
                             description="When non-urgent messages to residents wait, in "
                                         "their time zone (a resident may set their own); "
                                         "`off`: never")
    resident_time_zone: str = Field("UTC", min_length=1, description="The time zone of "
                                    "residents who did not give theirs (IANA name)")

    default_phone_region: str = Field("US", min_length=2, max_length=2, description="Where "
                                      "subscribers' phone numbers without a country code are")
    mail_senders: int = Field(1, ge=1, le=64, description="Emails in flight at once per "
                              "replica, each over its own SMTP session (the ledger hands each "
                              "message to one sender only). A crash may send each message that "
                              "was in flight once more, so more than 1 trades that promise "
                              "for throughput")
    email_rate_per_second: float = Field(0, ge=0, description="Emails per second the SMTP "
                                         "provider allows, shared by every replica; 0: unpaced")
    push_rate_per_second: float = Field(0, ge=0, description="Push messages per second, "
                                        "shared by every replica; 0: unpaced")
    vapid_private_key: str = Field("", description="Web Push: the VAPID private key (raw "
                                   "base64url, DER or PEM); empty: no Web Push")
    vapid_subject: str = Field("mailto:311@loop311.local", description="Web Push: the "
                               "contact push services see (mailto: or https:)")
    push_allow_http: bool = Field(False, description="Accept push endpoints that are not "
                                  "https (the local push service only)")
    fcm_base_url: str = Field("https://fcm.googleapis.com", description="FCM HTTP v1's "
                              "address (make run: the local push service)")
    fcm_project_id: str = Field("", description="FCM: the Firebase project; empty: no FCM")
    fcm_credentials_file: str = Field("", description="FCM: a service account JSON file "
                                      "(OAuth 2 tokens from it, scope firebase.messaging)")
    fcm_access_token: str = Field("", description="FCM: a fixed bearer token instead of a "
                                  "service account (the local push service)")
    apns_base_url: str = Field("https://api.push.apple.com", description="APNs' address "
                               "(HTTP/2; make run: the local push service)")
    apns_key_file: str = Field("", description="APNs: the .p8 signing key; empty: no APNs")
    apns_key_id: str = Field("", description="APNs: that key's id")
    apns_team_id: str = Field("", description="APNs: the developer team id")
    apns_topic: str = Field("", description="APNs: the app's bundle id")

    rate_limit_public_per_ip: str = Field("30/minute", pattern=RATE_LIMIT, description="Public "
                                          "writes (subscribe, follow by push, preferences) "
                                          "from one client address")
    rabbitmq_management_url: str = Field("http://guest:guest@127.0.0.1:15672", description=
                                         "The broker's management API, with an administrator's "
                                         "credentials: it makes integrators' broker users")
    webhook_retry_seconds: CommaList = Field(
        ("5", "300", "1800", "7200", "18000", "36000", "36000"), description="Waits before "
        "each retry of a failed webhook delivery (seconds, comma-separated: 5 s, 5 min, 30 min, "
        "2 h, 5 h, 10 h, 10 h); after the last the delivery has failed")
    webhook_disable_after_hours: float = Field(72, gt=0, description="A webhook endpoint "
                                               "failing every attempt for this long is "
                                               "disabled and its owner told")
    webhook_timeout_seconds: float = Field(10, gt=0, description="How long one webhook "
                                           "delivery may take before it counts as failed")
    webhook_poll_seconds: float = Field(1.0, gt=0, description="How often the webhook "
                                        "dispatcher looks for due deliveries besides after "
                                        "each event")
    webhook_forbidden_ports: CommaInts = Field(
        (4369, 5671, 5672, 15671, 15672, 15692, 25672, 8001, 8002, 8003, 8004),
        description="Ports no webhook may target on loopback, private addresses or the "
                    "broker's host: the broker's and the services' own")

    @field_validator("webhook_retry_seconds")
    @classmethod
    def seconds(cls, value):
        try:
            if all(float(part) >= 0 for part in value):
                return value
        except ValueError:
            pass
        raise ValueError("webhook_retry_seconds: comma-separated seconds, such as 5,300,1800")

    @field_validator("resident_time_zone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        if not is_time_zone(value):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as "
                             "America/New_York)")
        return value

    @property
    def push_platforms(self) -> frozenset[str]:
        """The push platforms this deployment can reach."""
        platforms = set()
        if self.vapid_private_key:
            platforms.add("webpush")
        if self.fcm_project_id and (self.fcm_credentials_file or self.fcm_access_token):
            platforms.add("fcm")
        if self.apns_key_file:
            platforms.add("apns")
        return frozenset(platforms)

    @property
    def sms_enabled(self) -> bool:
        if self.sms_provider == "http":
            return bool(self.sms_http_url and self.sms_from)
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.sms_from)

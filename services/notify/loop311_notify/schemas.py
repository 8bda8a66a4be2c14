"""HTTP bodies of notify's API (events' contracts live in loop311_contracts)."""

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from loop311_shared.clock import is_time_zone

from .domain.messages import LANGUAGES
from .domain.preferences import CHANNELS


class UnsubscribeSchema(Schema):
    """The signed unsubscribe link every email carries."""

    email = fields.Email(required=True)
    token = fields.String(required=True, validate=validate.Length(equal=64))


class SmsStatusSchema(Schema):
    """What a Twilio status callback says (its other fields are ignored)."""

    MessageSid = fields.String(required=True, validate=validate.Length(min=2, max=64))
    MessageStatus = fields.String(required=True, validate=validate.Length(min=1, max=32))

    class Meta:
        unknown = "exclude"


class PreferencesQuerySchema(Schema):
    """Who asks: a request's token (the proof; staff send their bearer token instead) and
    an email or phone the resident reported with."""

    token = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    address = fields.String(required=True, validate=validate.Length(min=3, max=320))


class PreferencesSchema(PreferencesQuerySchema):
    """What a resident may choose; anything left out stays as it was."""

    channel = fields.String(validate=validate.OneOf(CHANNELS, error="channel must be email or sms"))
    language = fields.String(validate=validate.OneOf(
        LANGUAGES, error=f"language must be one of {', '.join(LANGUAGES)}"))
    quiet_hours = fields.String(validate=validate.Regexp(
        r"^(|([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d)$",
        error='quiet_hours must be "HH:MM-HH:MM" (like "21:00-08:00"), or "" for none'))
    time_zone = fields.String(validate=validate.Length(min=1, max=64))

    @validates("time_zone")
    def known_zone(self, value, **kwargs):
        if not is_time_zone(value):
            raise ValidationError(f"unknown time zone {value!r}: use an IANA name such as "
                                  "America/New_York")

    def changes(self, loaded: dict) -> dict:
        """The preference columns this body sets."""
        changes = {name: loaded[name] for name in ("channel", "language", "time_zone")
                   if name in loaded}
        if "quiet_hours" in loaded:
            start, _, end = loaded["quiet_hours"].partition("-")
            changes.update(quiet_start=start, quiet_end=end)
        return changes


class PreferencesAnswerSchema(Schema):
    request_id = fields.String()
    channel = fields.String(allow_none=True)
    language = fields.String(allow_none=True)
    quiet_start = fields.String(allow_none=True)
    quiet_end = fields.String(allow_none=True)
    time_zone = fields.String(allow_none=True)


class HttpSmsStatusSchema(Schema):
    """What the generic SMS adapter's provider says of a text."""

    id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    status = fields.String(required=True, validate=validate.Length(min=1, max=32))

    class Meta:
        unknown = "exclude"


class WebPushKeysSchema(Schema):
    p256dh = fields.String(required=True, validate=validate.Length(min=80, max=100))
    auth = fields.String(required=True, validate=validate.Length(min=16, max=30))


class WebPushSubscriptionSchema(Schema):
    """A browser's PushSubscription, as its toJSON() gives it."""

    endpoint = fields.Url(required=True, schemes={"http", "https"}, require_tld=False,
                          validate=validate.Length(max=1000))
    keys = fields.Nested(WebPushKeysSchema, required=True)
    expirationTime = fields.Raw(load_default=None, allow_none=True)  # noqa: N815 (the W3C name)


class PushSchema(Schema):
    """Where to push: a browser (`webpush` with its PushSubscription) or an app (`fcm`,
    `apns` with the device token)."""

    platform = fields.String(required=True, validate=validate.OneOf(("webpush", "fcm", "apns")))
    subscription = fields.Nested(WebPushSubscriptionSchema)
    device_token = fields.String(validate=validate.Length(min=8, max=500))

    @validates_schema
    def one_address(self, data, **kwargs):
        if data["platform"] == "webpush" and "subscription" not in data:
            raise ValidationError("webpush needs the browser's PushSubscription", "subscription")
        if data["platform"] != "webpush" and "device_token" not in data:
            raise ValidationError(f"{data['platform']} needs the app's device_token",
                                  "device_token")


class CenterSchema(Schema):
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    long = fields.Float(required=True, validate=validate.Range(min=-180, max=180))


class AreaSchema(Schema):
    """A circle (`center`, `radius_m` 50 to 20,000) or a GeoJSON Polygon (`polygon`)."""

    center = fields.Nested(CenterSchema)
    radius_m = fields.Float()
    polygon = fields.Dict()

    @validates_schema
    def circle_or_polygon(self, data, **kwargs):
        if ("polygon" in data) == ("center" in data or "radius_m" in data):
            raise ValidationError("give either center and radius_m, or a polygon")
        if "polygon" not in data and not ("center" in data and "radius_m" in data):
            raise ValidationError("a circle needs both center and radius_m")


class SubscribeSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("request", "area", "topic")))
    channel = fields.String(required=True, validate=validate.OneOf(("email", "sms", "push")))
    email = fields.Email()
    phone = fields.String(validate=validate.Length(min=3, max=32))
    push = fields.Nested(PushSchema)
    language = fields.String(load_default="en", validate=validate.OneOf(
        LANGUAGES, error=f"language must be one of {', '.join(LANGUAGES)}"))
    request_id = fields.String(validate=validate.Length(min=1, max=64))
    topic = fields.String(validate=validate.Length(min=1, max=64))
    area = fields.Nested(AreaSchema)
    categories = fields.List(fields.String(validate=validate.Length(min=1, max=64)),
                             validate=validate.Length(min=1, max=50))
    frequency = fields.String(load_default="immediate",
                              validate=validate.OneOf(("immediate", "daily")))

    @validates_schema
    def what_and_where(self, data, **kwargs):
        needs = {"request": "request_id", "topic": "topic", "area": "area"}[data["kind"]]
        if needs not in data:
            raise ValidationError(f"a {data['kind']} subscription needs {needs}", needs)
        reach = {"email": "email", "sms": "phone", "push": "push"}[data["channel"]]
        if reach not in data:
            raise ValidationError(f"the {data['channel']} channel needs {reach}", reach)
        if data["kind"] != "area" and ("categories" in data or data["frequency"] != "immediate"):
            raise ValidationError("categories and frequency are for area subscriptions")


class SubscriptionLinkSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=8, max=64))


class SubscriptionAnswerSchema(Schema):
    id = fields.String(allow_none=True)
    status = fields.String()
    kind = fields.String()
    channel = fields.String()


class FollowByPushSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=64))
    push = fields.Nested(PushSchema, required=True)
    language = fields.String(load_default="en", validate=validate.OneOf(LANGUAGES))


class NamesSchema(Schema):
    en = fields.String(required=True, validate=validate.Length(min=1, max=200))
    es = fields.String(validate=validate.Length(min=1, max=200))


class TopicSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(
        r"^[a-z0-9][a-z0-9_-]{0,63}$", error="code: lowercase letters, digits, - and _"))
    name = fields.Nested(NamesSchema, required=True)
    description = fields.String(load_default="", validate=validate.Length(max=1000))


class TopicsSchema(Schema):
    """The topics a city announces on (meetings, events, road closures, storm updates)."""

    format = fields.String(required=True, validate=validate.Equal(
        "loop311.topics/1", error="format must be loop311.topics/1"))
    topics = fields.List(fields.Nested(TopicSchema), required=True)


class BroadcastSchema(Schema):
    """An announcement: to a topic's subscribers or an area's; title and message in English,
    and in Spanish for those who chose it."""

    topic = fields.String(validate=validate.Length(min=1, max=64))
    area = fields.Nested(AreaSchema)
    title = fields.Nested(NamesSchema, required=True)
    message = fields.Dict(keys=fields.String(validate=validate.OneOf(LANGUAGES)),
                          values=fields.String(validate=validate.Length(
                              min=1, max=1000, error="a message is 1 to 1000 characters")),
                          required=True)

    @validates_schema
    def audience_and_words(self, data, **kwargs):
        if ("topic" in data) == ("area" in data):
            raise ValidationError("send to a topic or to an area (one of them)")
        if not (data.get("message") or {}).get("en", "").strip():
            raise ValidationError("message.en is required and not blank", "message")


# Integrations: accounts on the broker and webhooks (admin token).

class IntegratorSchema(Schema):
    name = fields.String(required=True, validate=validate.Regexp(
        r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$",
        error="name: 3 to 40 lower-case letters, digits and dashes (it names the broker "
              "user and the integrator's queues)"))
    description = fields.String(load_default="", validate=validate.Length(max=500))


class WebhookSchema(Schema):
    url = fields.String(required=True, validate=validate.Length(min=8, max=2000))
    event_types = fields.List(fields.String(), required=True,
                              validate=validate.Length(min=1, error="name at least one event type"))
    description = fields.String(load_default="", validate=validate.Length(max=500))
    owner_email = fields.Email(load_default=None, allow_none=True)


class WebhookChangeSchema(Schema):
    url = fields.String(validate=validate.Length(min=8, max=2000))
    event_types = fields.List(fields.String(), validate=validate.Length(min=1))
    description = fields.String(validate=validate.Length(max=500))
    owner_email = fields.Email(allow_none=True)
    status = fields.String(validate=validate.OneOf(
        ("active", "paused"), error="status must be active or paused"))

    @validates_schema
    def something(self, data, **kwargs):
        if not data:
            raise ValidationError("say what changes: url, event_types, description, "
                                  "owner_email or status")


class DeliveryQuerySchema(Schema):
    state = fields.String(load_default=None, validate=validate.OneOf(
        ("pending", "delivered", "failed")))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class RedeliverRangeSchema(Schema):
    since = fields.AwareDateTime(required=True)
    until = fields.AwareDateTime(load_default=None)

    @validates_schema
    def ordered(self, data, **kwargs):
        if data.get("until") and data["until"] <= data["since"]:
            raise ValidationError("until must come after since")

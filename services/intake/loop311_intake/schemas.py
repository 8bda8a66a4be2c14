"""Intake's HTTP bodies and answers, as marshmallow schemas: the entrypoints load these,
and the OpenAPI document is generated from the same classes."""
import json

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from loop311_contracts.schemas import RESOLUTIONS
from loop311_shared.reference_data import in_force_schema

from .domain.attributes import DATATYPES

PRIORITIES = ("low", "normal", "high", "urgent")
STATUSES = ("open", "acknowledged", "in_progress", "closed")


class ReportSchema(Schema):
    """The canonical fields of a report, whatever its channel (no channel: the entrypoint
    that received the report sets it)."""

    service_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    description = fields.String(load_default="", validate=validate.Length(max=4000))
    lat = fields.Float(validate=validate.Range(min=-90, max=90), allow_nan=False)
    long = fields.Float(validate=validate.Range(min=-180, max=180), allow_nan=False)
    address_string = fields.String(validate=validate.Length(min=1, max=500))
    address_id = fields.String(validate=validate.Length(min=1, max=100))
    media_url = fields.Url(validate=validate.Length(max=2000), schemes={"http", "https"})
    email = fields.String(validate=validate.Length(max=320))
    phone = fields.String(validate=validate.Length(min=3, max=32))
    first_name = fields.String(validate=validate.Length(max=100))
    last_name = fields.String(validate=validate.Length(max=100))
    language = fields.String(validate=validate.Regexp(
        r"^[a-z]{2}$", error="language is a two-letter ISO 639-1 code, like en or es"),
        metadata={"description": "the language the reporter wants to hear back in"})

    class Meta:
        # Open311 clients send fields we do not keep (api_key, device_id, account_id) and
        # a `channel` field is ignored: the entrypoint decides the channel.
        unknown = "exclude"

    @validates_schema
    def point_given_whole(self, data, **kwargs):
        if ("lat" in data) != ("long" in data):
            raise ValidationError("lat and long must be given together", "lat")


class SubmitRequestSchema(ReportSchema):
    """Open311 GeoReport v2 POST requests fields. A location is required: lat and long,
    address_string or address_id (clients that send a point with an address keep both).
    Service attributes come as `attribute[code]=value` form fields or an `attribute`
    object in JSON."""

    api_key = fields.String(required=True, validate=validate.Length(min=1, max=200),
                            load_only=True)
    jurisdiction_id = fields.String(validate=validate.Length(max=64), load_only=True)
    device_id = fields.String(validate=validate.Length(max=200), load_only=True)
    account_id = fields.String(validate=validate.Length(max=200), load_only=True)

    @validates_schema
    def location_given(self, data, **kwargs):
        if not ({"lat", "address_string", "address_id"} & set(data)):
            raise ValidationError(
                "a location is required: lat and long, address_string or address_id", "lat")


class SubmitWithPhotoSchema(SubmitRequestSchema):
    """The multipart/form-data POST may carry the photo itself as `media`: it is decoded,
    re-encoded and served at `media_url`. With a photo, the location may be left out when
    the photo's GPS position says where."""

    media = fields.Raw(load_only=True, metadata={
        "type": "string", "format": "binary",
        "description": "A JPEG, PNG, WebP or HEIC photo of at most 10 MB"})

    @validates_schema
    def location_given(self, data, **kwargs):
        pass  # checked once the photo is read (its GPS position may be the place)


class AcceptedSchema(Schema):
    service_request_id = fields.String(required=True)
    token = fields.String(required=True)
    service_notice = fields.String(allow_none=True)
    account_id = fields.String(allow_none=True)


class ServiceSchema(Schema):
    service_code = fields.String()
    service_name = fields.String()
    description = fields.String()
    metadata = fields.Boolean()
    type = fields.String()
    keywords = fields.String()
    group = fields.String()


class AttributeValueSchema(Schema):
    key = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class AttributeSchema(Schema):
    """One Open311 service attribute, as the catalog defines it and services/<code> shows it."""

    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]{1,64}$"))
    datatype = fields.String(required=True, validate=validate.OneOf(DATATYPES))
    required = fields.Boolean(load_default=False)
    variable = fields.Boolean(load_default=True)
    order = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    description = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    datatype_description = fields.String(load_default=None, allow_none=True)
    values = fields.List(fields.Nested(AttributeValueSchema), load_default=None, allow_none=True)

    @validates_schema
    def values_fit_datatype(self, data, **kwargs):
        listed = data["datatype"] in ("singlevaluelist", "multivaluelist")
        if listed and not data.get("values"):
            raise ValidationError(f"a {data['datatype']} attribute needs values", "values")
        if not listed and data.get("values"):
            raise ValidationError(f"a {data['datatype']} attribute takes no values", "values")


class ServiceDefinitionSchema(Schema):
    service_code = fields.String()
    attributes = fields.List(fields.Nested(AttributeSchema))


class NoteSchema(Schema):
    type = fields.String()
    summary = fields.String()
    datetime = fields.String()


class ServiceRequestSchema(Schema):
    """A request as the public sees it: no personal data."""

    service_request_id = fields.String()
    status = fields.String(validate=validate.OneOf(("open", "closed")))
    status_notes = fields.String(allow_none=True)
    service_name = fields.String(allow_none=True)
    service_code = fields.String()
    description = fields.String(allow_none=True)
    agency_responsible = fields.String(allow_none=True)
    service_notice = fields.String(allow_none=True)
    requested_datetime = fields.String(allow_none=True)
    updated_datetime = fields.String(allow_none=True)
    expected_datetime = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    address_id = fields.String(allow_none=True)
    zipcode = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    long = fields.Float(allow_none=True)
    media_url = fields.String(allow_none=True)
    notes = fields.List(fields.Nested(NoteSchema))


class TokenAnswerSchema(Schema):
    service_request_id = fields.String()
    token = fields.String()


class RequestsQuerySchema(Schema):
    """GET requests: the spec's filters plus page, page_size, updated_after and bbox."""

    jurisdiction_id = fields.String()
    service_request_id = fields.String(metadata={"description": "comma-separated ids; other "
                                                                "filters are then ignored"})
    service_code = fields.String(metadata={"description": "comma-separated codes"})
    start_date = fields.DateTime(metadata={"description": "ISO 8601 with a time zone"})
    end_date = fields.DateTime(metadata={"description": "at most 90 days after start_date"})
    updated_after = fields.DateTime()
    status = fields.String(metadata={"description": "open, closed or both, comma-separated"})
    bbox = fields.String(metadata={"description": "west,south,east,north"})
    page = fields.Integer(validate=validate.Range(min=1, max=1_000_000))
    page_size = fields.Integer(validate=validate.Range(min=1, max=1000))
    extensions = fields.Boolean(metadata={"description": "true adds the public notes"})


class JurisdictionQuerySchema(Schema):
    jurisdiction_id = fields.String()


class RequestQuerySchema(JurisdictionQuerySchema):
    extensions = fields.Boolean(metadata={"description": "true adds the public notes"})


class CallerSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    phone = fields.String(validate=validate.Length(min=3, max=32))
    email = fields.String(validate=validate.Length(max=320))
    callback = fields.String(load_default="phone", validate=validate.OneOf(("phone", "email", "none")))

    @validates_schema
    def reachable_as_asked(self, data, **kwargs):
        wanted = data.get("callback")
        if wanted in ("phone", "email") and not data.get(wanted):
            raise ValidationError(f"a {wanted} callback needs the caller's {wanted}", "callback")


class CallLocationSchema(Schema):
    address = fields.String(validate=validate.Length(min=1, max=500))
    intersection = fields.String(validate=validate.Length(min=3, max=500))
    lat = fields.Float(validate=validate.Range(min=-90, max=90), allow_nan=False)
    long = fields.Float(validate=validate.Range(min=-180, max=180), allow_nan=False)

    @validates_schema
    def one_form(self, data, **kwargs):
        forms = [form for form in ("address", "intersection") if form in data]
        if "lat" in data or "long" in data:
            if not ("lat" in data and "long" in data):
                raise ValidationError("lat and long must be given together", "lat")
            forms.append("coordinates")
        if len(forms) != 1:
            raise ValidationError("give exactly one of address, intersection, or lat and long",
                                  "location")


class CallInSchema(Schema):
    """A dispatcher's call-in: without a service_code the category is inferred from notes."""

    caller = fields.Nested(CallerSchema, allow_none=True, load_default=None)
    location = fields.Nested(CallLocationSchema, required=True)
    service_code = fields.String(load_default=None, allow_none=True,
                                 validate=validate.Length(min=1, max=64))
    notes = fields.String(load_default="", validate=validate.Length(max=4000))
    priority = fields.String(load_default="normal", validate=validate.OneOf(PRIORITIES))
    attribute = fields.Dict(keys=fields.String(), load_default=dict)

    @validates_schema
    def category_or_notes(self, data, **kwargs):
        if not data.get("service_code") and not data.get("notes"):
            raise ValidationError("give a service_code, or notes to infer it from",
                                  "service_code")


class NearbySchema(Schema):
    service_request_id = fields.String()
    service_code = fields.String()
    distance_m = fields.Integer()
    requested_datetime = fields.String()


class CallInAnswerSchema(AcceptedSchema):
    category = fields.Dict()
    location = fields.Dict()
    open_requests_nearby = fields.List(fields.Nested(NearbySchema))


class StatusChangeSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(
        STATUSES, error="status must be one of {choices}"))
    resolution = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32),
                               metadata={"description": "closing needs one: "
                                                        + ", ".join(RESOLUTIONS)})
    note = fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(max=4000, error="note must be text of at most "
                                                                  "4000 characters"))


class StatusAnswerSchema(Schema):
    service_request_id = fields.String()
    status = fields.String()
    resolution = fields.String(allow_none=True)


class CommentSchema(Schema):
    text = fields.String(required=True)
    visibility = fields.String(load_default="public", validate=validate.OneOf(
        ("public", "internal"), error="visibility must be public or internal"))

    @validates_schema
    def text_length(self, data, **kwargs):
        if not 1 <= len(data["text"].strip()) <= 4000:
            raise ValidationError("text must be 1 to 4000 characters", "text")


class CommentAnswerSchema(Schema):
    comment_id = fields.String()
    visibility = fields.String()
    comment_on = fields.String()


class CatalogServiceSchema(Schema):
    service_code = fields.String(required=True, validate=validate.Regexp(
        r"^[a-z0-9_.-]{1,64}$", error="service_code must be 1-64 lower-case letters, digits, "
                                      "'_', '.' or '-'"))
    service_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    group = fields.String(required=True, validate=validate.Length(min=1, max=100))
    keywords = fields.String(load_default="", validate=validate.Length(max=2000))
    contact_required = fields.Boolean(load_default=False)
    attributes = fields.List(fields.Nested(AttributeSchema), load_default=list)

    @validates_schema
    def attribute_codes_unique(self, data, **kwargs):
        codes = [attribute["code"] for attribute in data.get("attributes", [])]
        repeated = sorted({code for code in codes if codes.count(code) > 1})
        if repeated:
            raise ValidationError(f"attribute codes repeated: {', '.join(repeated)}", "attributes")


class CatalogSchema(Schema):
    """The catalog configuration document (config/demo/catalog.yml is one)."""

    format = fields.String(required=True, validate=validate.Equal(
        "loop311.catalog/1", error="format must be loop311.catalog/1"))
    jurisdiction_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    services = fields.List(fields.Nested(CatalogServiceSchema), required=True,
                           validate=validate.Length(min=1, max=1000))

    @validates_schema
    def codes_unique_and_triage_present(self, data, **kwargs):
        codes = [service["service_code"] for service in data.get("services", [])]
        repeated = sorted({code for code in codes if codes.count(code) > 1})
        if repeated:
            raise ValidationError(f"service codes repeated: {', '.join(repeated)}", "services")
        if "general" not in codes:
            raise ValidationError("the catalog needs a 'general' service: reports whose "
                                  "category cannot be told go there", "services")


CatalogInForceSchema = in_force_schema("CatalogInForceSchema", CatalogSchema)



class RatingSchema(Schema):
    """A resident's answer to "how did we do?" (the links in the closing email, or a form)."""

    token = fields.String(required=True, validate=validate.Length(equal=36),
                          metadata={"description": "the request's token: the proof"})
    contact = fields.String(required=True, validate=validate.Length(min=1, max=36),
                            metadata={"description": "who answers (the link carries it)"})
    score = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(
        min=1, max=5, error="score must be 1 (worst) to 5 (best)"))
    not_fixed = fields.Boolean(load_default=False)
    comment = fields.String(load_default="", validate=validate.Length(
        max=4000, error="comment must be at most 4000 characters"))


class RatingAnswerSchema(Schema):
    service_request_id = fields.String()
    rating_id = fields.String()
    score = fields.Integer(allow_none=True)
    not_fixed = fields.Boolean()
    reopened = fields.Boolean()


# Category inference: a city's history, the models learned from it, the suggestions.

class CategoryMapping(fields.String):
    """A form field holding a JSON object of history category name -> service_code."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            mapping = json.loads(super()._deserialize(value, attr, data, **kwargs))
        except json.JSONDecodeError as error:
            raise ValidationError(f"mapping is not JSON: {error}") from None
        if not isinstance(mapping, dict) or not mapping or not all(
                isinstance(key, str) and isinstance(code, str) for key, code in mapping.items()):
            raise ValidationError('mapping is a JSON object of history category name -> '
                                  'service_code, such as {"Potholes": "pothole"}')
        return mapping


class HistoryUploadSchema(Schema):
    """multipart/form-data: the file of past reports, and what its categories became."""

    reports = fields.Raw(required=True, metadata={
        "type": "string", "format": "binary",
        "description": "CSV with a header row, or JSON (a list of objects): description and "
                       "category, optionally created (ISO 8601 with offset) and channel"})
    mapping = CategoryMapping(required=True, metadata={
        "description": 'A JSON object: history category name -> service_code, such as '
                       '{"Potholes": "pothole"}. Names left out are ignored (and reported)'})
    jurisdiction_id = fields.String(load_default=None, validate=validate.Length(max=64),
                                    metadata={"description": "Whose history (default: the "
                                                             "platform's JURISDICTION_ID)"})


class HistoryImportedSchema(Schema):
    jurisdiction_id = fields.String()
    examples = fields.Integer()
    by_service_code = fields.Dict(keys=fields.String(), values=fields.Integer())
    ignored_categories = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                     metadata={"description": "History names not in the "
                                                              "mapping, with their reports"})
    skipped_blank = fields.Integer(metadata={"description": "Rows without a description "
                                                            "or category"})
    training_run = fields.Integer(metadata={"description": "The training run it queued"})


class TrainingRequestSchema(Schema):
    jurisdiction_id = fields.String(load_default=None, validate=validate.Length(max=64))


class TrainingRunSchema(Schema):
    id = fields.Integer()
    jurisdiction_id = fields.String()
    reason = fields.String()
    requested_by = fields.String()
    requested_at = fields.String()
    state = fields.String(metadata={"description": "queued, running, promoted (serves now), "
                                                   "kept (worse than the one serving) or failed"})
    progress = fields.String()
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    model_version = fields.Integer(allow_none=True)


class CategoryModelSchema(Schema):
    version = fields.Integer()
    jurisdiction_id = fields.String()
    trained_at = fields.String()
    training_run = fields.Integer()
    training_data = fields.Dict(metadata={"description": "examples, by_service_code"})
    quality = fields.Dict(metadata={"description": "On the newest fifth of its training data, "
                                    "held out: top1, top3, auto_share, auto_accuracy, and the "
                                    "comparison with the model serving when it was trained"})
    active = fields.Boolean()
    activated_at = fields.String(allow_none=True)


class CategoryModelsSchema(Schema):
    jurisdiction_id = fields.String()
    versions = fields.List(fields.Nested(CategoryModelSchema))


class SuggestionSchema(Schema):
    service_code = fields.String()
    service_name = fields.String()
    probability = fields.Float()


class CategorySuggestionsSchema(Schema):
    request_id = fields.String()
    service_code = fields.String(metadata={"description": "The category it has now"})
    guessed_by = fields.String(metadata={"description": "model v<N>, or keywords (no "
                                                        "history imported yet)"})
    suggestions = fields.List(fields.Nested(SuggestionSchema))
    pick_with = fields.String(metadata={"description": "Where a pick goes: routing's POST "
                                                       "/staff/v1/requests/{id}/assignment "
                                                       "with {\"service_code\": …}"})

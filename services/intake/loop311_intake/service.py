"""intake's entrypoints: load the body or event, build a command, run its handler in a
unit of work, answer. No SQL and no business rule here."""
import hashlib
from pathlib import Path

from werkzeug.wrappers import Response

from loop311_shared.auth import token_holder
from loop311_shared.db import Database
from loop311_shared.errors import Invalid, NotFound
from loop311_shared.messaging import OutboxRelay, handle_event
from loop311_shared.metrics import Metrics
from loop311_shared.operations import OperationalEndpoints
from loop311_shared.rate_limits import RateLimits
from loop311_shared.reference_data import ImportedVersionSchema
from loop311_shared.settings import SettingsProvider
from loop311_shared.unit_of_work import apply_once, run
from loop311_shared.web import Doc, http, json_object, json_response, load

from . import handlers, queries
from .adapters.email_webhooks import MAX_EMAIL_BYTES, from_mailgun, from_mime, from_sendgrid
from .adapters.media import media_response
from .adapters.mms import texted_photos
from .adapters.rating_page import rating_page
from .adapters.twilio import check_signature, twiml
from .commands import (
    CHANNEL_WEB,
    ActivateCategoryModel,
    AddComment,
    ChangeStatus,
    ImportCatalog,
    ImportHistory,
    RateRequest,
    ReceiveText,
    SubmitRequest,
    TakeCallIn,
    TrainCategoryModel,
)
from .dependencies import CategoryTrainer, UnitOfWorkFactory
from .handlers.submission import submit_once
from .models import outbox
from .open311.body import request_fields, uploaded_photos
from .open311.clients import idempotency_key, require_api_key
from .open311.discovery import discovery
from .open311.format import open311, render
from .openapi import openapi_document
from .schemas import (
    AcceptedSchema,
    CallInAnswerSchema,
    CallInSchema,
    CatalogInForceSchema,
    CatalogSchema,
    CategoryModelSchema,
    CategoryModelsSchema,
    CategorySuggestionsSchema,
    CommentAnswerSchema,
    CommentSchema,
    HistoryImportedSchema,
    HistoryUploadSchema,
    JurisdictionQuerySchema,
    RatingAnswerSchema,
    RatingSchema,
    RequestQuerySchema,
    RequestsQuerySchema,
    ServiceDefinitionSchema,
    ServiceRequestSchema,
    ServiceSchema,
    StatusAnswerSchema,
    StatusChangeSchema,
    SubmitRequestSchema,
    SubmitWithPhotoSchema,
    TokenAnswerSchema,
    TrainingRequestSchema,
    TrainingRunSchema,
)
from .settings import IntakeSettings

OPEN311 = "/open311/v2"
FORMAT = "<any(json, xml):fmt>"
OPEN311_TYPES = ("application/json", "text/xml")
FORM_OR_JSON = ("application/x-www-form-urlencoded", "multipart/form-data", "application/json")
UPLOAD_BYTES = 12_000_000  # a 10 MB photo and the form around it
# Built once: a report is the hot path, and building a schema costs more than loading one.
SUBMIT, SUBMIT_WITH_PHOTO = SubmitRequestSchema(), SubmitWithPhotoSchema()
HISTORY_BYTES = 50_000_000  # ten years of a city's reports


class IntakeService(OperationalEndpoints):
    name = "intake"

    database = Database(Path(__file__).parent / "migrations")
    settings = SettingsProvider(IntakeSettings)
    unit_of_work = UnitOfWorkFactory("database")
    outbox_relay = OutboxRelay("database", outbox)
    category_trainer = CategoryTrainer("database")
    metrics = Metrics()
    limits = RateLimits()

    @http("GET", "/openapi.json", doc=Doc("This document", tags=("meta",), answers={
        200: ("OpenAPI 3.1", None)}))
    def get_openapi(self, request):
        return json_response(openapi_document(type(self)))

    # Open311 GeoReport v2: the public API.

    @open311("GET", f"{OPEN311}/discovery.{FORMAT}", doc=Doc(
        "Service discovery", tags=("open311",), answers={200: ("Discovery", None)},
        answer_types=OPEN311_TYPES))
    def get_discovery(self, request, fmt):
        return render(fmt, discovery(self.settings, request.host_url), "discovery")

    @open311("GET", f"{OPEN311}/services.{FORMAT}", doc=Doc(
        "The services offered", tags=("open311",), query=JurisdictionQuerySchema,
        answers={200: ("Services", ServiceSchema(many=True))}, answer_types=OPEN311_TYPES,
        errors=(404,)))
    def get_services(self, request, fmt):
        offered = self._offered(request.args)
        return render(fmt, queries.list_services(self.database, offered), "services")

    @open311("GET", f"{OPEN311}/services/<string:service_code>.{FORMAT}", doc=Doc(
        "A service's definition (its attributes)", tags=("open311",),
        query=JurisdictionQuerySchema, answers={200: ("Service definition",
                                                      ServiceDefinitionSchema)},
        answer_types=OPEN311_TYPES, errors=(404,)))
    def get_service_definition(self, request, service_code, fmt):
        offered = self._offered(request.args)
        return render(fmt, queries.service_definition(self.database, service_code, offered),
                      "service_definition")

    @open311("POST", f"{OPEN311}/requests.{FORMAT}", doc=Doc(
        "Report a problem (a photo may come as the `media` file of a multipart POST)",
        tags=("open311",), body=SubmitRequestSchema, multipart_body=SubmitWithPhotoSchema,
        body_types=FORM_OR_JSON, answers={201: ("Accepted", AcceptedSchema(many=True))},
        answer_types=OPEN311_TYPES, errors=(400, 403, 404, 413, 422, 429),
        max_body_bytes=UPLOAD_BYTES))
    def post_request(self, request, fmt):
        self.limits.hit_per_address(self.settings.rate_limit_reports_per_ip, "report", request)
        body, attributes = request_fields(request)
        require_api_key(body.get("api_key"), self.settings.open311_api_keys)
        self.limits.hit(self.settings.key_limits.get(body["api_key"],
                                                     self.settings.rate_limit_reports_per_key),
                        "report", "key", hashlib.sha256(body["api_key"].encode()).hexdigest())
        offered = self._offered(body)
        key = idempotency_key(request.headers.get("Idempotency-Key"), body["api_key"], body,
                              attributes)
        photos = uploaded_photos(request)
        schema = SUBMIT_WITH_PHOTO if photos else SUBMIT
        # The channel is this entrypoint's: a `channel` in the body is ignored.
        command = SubmitRequest(fields=load(schema, body), channel=CHANNEL_WEB,
                                attributes=attributes, idempotency=key, offered=offered,
                                images=photos)
        answer, replayed = submit_once(self.unit_of_work, command)
        response = render(fmt, [{"service_notice": "", "account_id": None, **answer}],
                          "service_requests", status=201)
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return response

    @open311("GET", f"{OPEN311}/requests.{FORMAT}", doc=Doc(
        "Find requests", tags=("open311",), query=RequestsQuerySchema,
        answers={200: ("Requests", ServiceRequestSchema(many=True))},
        answer_types=OPEN311_TYPES, errors=(400, 404, 429)))
    def get_requests(self, request, fmt):
        self._read_limit(request)
        self._offered(request.args)
        return render(fmt, self._absolute_media(request, queries.find_requests(
            self.database, request.args)), "service_requests")

    @open311("GET", f"{OPEN311}/requests/<string:request_id>.{FORMAT}", doc=Doc(
        "One request", tags=("open311",), query=RequestQuerySchema,
        answers={200: ("The request", ServiceRequestSchema(many=True))},
        answer_types=OPEN311_TYPES, errors=(400, 404, 429)))
    def get_request(self, request, request_id, fmt):
        self._read_limit(request)
        self._offered(request.args)
        return render(fmt, self._absolute_media(request, [queries.public_view(
            self.database, request_id, queries.wants_notes(request.args))]), "service_requests")

    @open311("GET", f"{OPEN311}/tokens/<string:token>.{FORMAT}", doc=Doc(
        "The request a token became", tags=("open311",),
        answers={200: ("Request id", TokenAnswerSchema(many=True))},
        answer_types=OPEN311_TYPES, errors=(404,)))
    def get_token(self, request, token, fmt):
        self._lookup_limit(request)
        return render(fmt, [queries.request_for_token(self.database, token)], "service_requests")

    @http("GET", "/media/<string:media_id>", doc=Doc(
        "A photo that came with a report", tags=("open311",),
        answers={200: ("The image", None)}, answer_types=("image/*",), errors=(404,)))
    def get_media(self, request, media_id):
        item = queries.media_item(self.database, media_id)
        return media_response(item.data, item.content_type, f"photo-{media_id}")

    @http("GET", "/staff/v1/media/<string:media_id>/original", doc=Doc(
        "A photo as it came, with its metadata (kept only with KEEP_ORIGINAL_PHOTOS)",
        tags=("staff",), answers={200: ("A download", None)},
        answer_types=("application/octet-stream",), errors=(401, 404), security="staff"))
    def get_original_media(self, request, media_id):
        token_holder(request, self.settings.staff_api_tokens)
        item = queries.media_item(self.database, media_id)
        if item.original is None:
            raise NotFound(f"the original of media {media_id} was not kept")
        return media_response(item.original, item.original_type, f"original-{media_id}",
                              private=True)

    # Residents rate a closed request (the links in the closing email lead here).

    @http("GET", "/requests/v1/<string:request_id>/rating", doc=Doc(
        "One click from the closing email: records the score, or shows the not-fixed form",
        tags=("residents",), query=RatingSchema, answers={200: ("A page for the resident", None)},
        answer_types=("text/html",), errors=(400, 403, 404, 409)))
    def rating_link(self, request, request_id):
        self._lookup_limit(request)
        link = load(RatingSchema(), request.args.to_dict())
        # A score is one click; "not fixed" reopens the request, so it waits for the form
        # (mail scanners follow links too).
        answer = self._rate(request_id, {**link, "not_fixed": False}, "email") \
            if link["score"] is not None else None
        return self._rating_page(request, request_id, answer, link)

    @http("POST", "/requests/v1/<string:request_id>/rating", doc=Doc(
        "Rate a closed request, or say it is not fixed (which reopens it)", tags=("residents",),
        body=RatingSchema, body_types=("application/json", "application/x-www-form-urlencoded"),
        answers={200: ("Recorded", RatingAnswerSchema)}, errors=(400, 403, 404, 409)))
    def rate_request(self, request, request_id):
        self._lookup_limit(request)
        if request.mimetype == "application/x-www-form-urlencoded":
            link = load(RatingSchema(), request.form.to_dict())
            return self._rating_page(request, request_id, self._rate(request_id, link, "email"),
                                     link)
        return json_response(self._rate(request_id, load(RatingSchema(), json_object(request)),
                                        "web"))

    def _rate(self, request_id, answer, channel) -> dict:
        return run(self.unit_of_work(), handlers.rate_request, RateRequest(
            request_id, answer["contact"], channel, answer["score"], answer["not_fixed"],
            answer["comment"], token=answer["token"]))

    @staticmethod
    def _rating_page(request, request_id, answer, link):
        return rating_page(request_id, answer, link, request.path)

    # Staff and dispatchers.

    @http("POST", "/staff/v1/requests/<string:request_id>/status", doc=Doc(
        "Change a request's status", tags=("staff",), body=StatusChangeSchema,
        answers={200: ("Changed", StatusAnswerSchema)}, errors=(400, 401, 404, 409),
        security="staff"))
    def change_request_status(self, request, request_id):
        author = token_holder(request, self.settings.staff_api_tokens)
        change = load(StatusChangeSchema(), json_object(request))
        answer = run(self.unit_of_work(), handlers.change_status,
                     ChangeStatus(request_id, author=author, **change))
        return json_response(answer)

    @http("POST", "/staff/v1/requests/<string:request_id>/comments", doc=Doc(
        "Comment on a request, publicly or internally", tags=("staff",), body=CommentSchema,
        answers={201: ("Added", CommentAnswerSchema)}, errors=(400, 401, 404),
        security="staff"))
    def comment_on_request(self, request, request_id):
        author = token_holder(request, self.settings.staff_api_tokens)
        comment = load(CommentSchema(), json_object(request))
        answer = run(self.unit_of_work(), handlers.add_comment,
                     AddComment(request_id, author=author, **comment))
        return json_response(answer, status=201)

    @http("POST", "/dispatch/v1/call-ins", doc=Doc(
        "Take a phone call", tags=("dispatch",), body=CallInSchema,
        answers={201: ("Filed", CallInAnswerSchema)}, errors=(400, 401, 422, 503),
        security="dispatcher"))
    def take_call_in(self, request):
        dispatcher = token_holder(request, self.settings.dispatcher_api_tokens)
        call = load(CallInSchema(), json_object(request))
        answer = run(self.unit_of_work(), handlers.take_call_in, TakeCallIn(call, dispatcher))
        return json_response(answer, status=201)

    # Inbound text and email.

    @http("POST", "/sms/v1/twilio", doc=Doc(
        "Twilio's inbound-message webhook (signed)", tags=("webhooks",),
        body_types=("application/x-www-form-urlencoded",), answers={200: ("TwiML reply", None)},
        answer_types=("text/xml",), errors=(400, 403)))
    def receive_text(self, request):
        params = request.form.to_dict()
        base = self.settings.public_base_url
        url = f"{base.rstrip('/')}{request.full_path.rstrip('?')}" if base else request.url
        check_signature(self.settings.twilio_auth_token, url, params,
                        request.headers.get("X-Twilio-Signature"))
        if not params.get("From"):
            raise Invalid("From is required")
        self.limits.hit(self.settings.rate_limit_texts_per_number, "text", "number",
                        params["From"])
        photos, problems = texted_photos(params, self.settings.sms_media_hosts,
                                         self.settings.twilio_media_auth)
        reply = run(self.unit_of_work(), handlers.receive_text, ReceiveText(
            params["From"], str(params.get("Body", "")), photos, problems))
        return Response(twiml(reply), content_type="text/xml; charset=utf-8")

    @http("POST", "/email/v1/mime", doc=Doc(
        "A raw RFC 5322 message from an MTA (the bytes as they are, any content type)",
        tags=("webhooks",), body_types=("application/octet-stream",),
        body={"type": "string", "format": "binary"},
        answers={201: ("Filed", AcceptedSchema)}, errors=(400, 401, 413, 422, 429),
        security="mail", max_body_bytes=MAX_EMAIL_BYTES))
    def receive_mime_email(self, request):
        token_holder(request, self.settings.email_webhook_tokens)
        return self._file_email(from_mime(request.get_data()))

    @http("POST", "/email/v1/sendgrid", doc=Doc(
        "SendGrid Inbound Parse", tags=("webhooks",), body_types=("multipart/form-data",),
        answers={201: ("Filed", AcceptedSchema)}, errors=(400, 401, 413, 422, 429),
        security="mail", max_body_bytes=MAX_EMAIL_BYTES))
    def receive_sendgrid_email(self, request):
        token_holder(request, self.settings.email_webhook_tokens)
        return self._file_email(from_sendgrid(request.form.to_dict(), request.files))

    @http("POST", "/email/v1/mailgun", doc=Doc(
        "Mailgun route (signed)", tags=("webhooks",), body_types=("multipart/form-data",),
        answers={201: ("Filed", AcceptedSchema)}, errors=(400, 403, 413, 422, 429),
        max_body_bytes=MAX_EMAIL_BYTES))
    def receive_mailgun_email(self, request):
        message = from_mailgun(request.form.to_dict(), request.files,
                               self.settings.mailgun_signing_key)
        return self._file_email(message)

    # Administration: the catalog is configuration.

    @http("PUT", "/admin/v1/catalog", doc=Doc(
        "Import the service catalog (all or nothing)", tags=("admin",), body=CatalogSchema,
        answers={200: ("The version now in force", ImportedVersionSchema)},
        errors=(400, 401), security="admin"))
    def import_catalog(self, request):
        admin = token_holder(request, self.settings.admin_api_tokens)
        document = load(CatalogSchema(), json_object(request))
        return json_response(run(self.unit_of_work(), handlers.import_catalog,
                                 ImportCatalog(document, admin)))

    @http("GET", "/admin/v1/catalog", doc=Doc(
        "The catalog in force, as imported", tags=("admin",),
        answers={200: ("The current version and its document", CatalogInForceSchema)},
        errors=(401, 404), security="admin"))
    def export_catalog(self, request):
        token_holder(request, self.settings.admin_api_tokens)
        return json_response(queries.current_catalog(self.database))

    # Administration: category inference learns from the city's history.

    @http("POST", "/admin/v1/category-history", doc=Doc(
        "Import past reports to learn categories from (replaces the previous history; "
        "all or nothing) and queue a training run", tags=("admin",),
        body=HistoryUploadSchema, body_types=("multipart/form-data",),
        answers={202: ("Imported; training queued", HistoryImportedSchema)},
        errors=(400, 401, 413), security="admin", max_body_bytes=HISTORY_BYTES))
    def import_category_history(self, request):
        admin = token_holder(request, self.settings.admin_api_tokens)
        upload = request.files.get("reports")
        if upload is None:
            raise Invalid("send the past reports as the `reports` file of a "
                          "multipart/form-data POST")
        form = load(HistoryUploadSchema(), {**request.form.to_dict(), "reports": upload})
        command = ImportHistory(upload.read(), upload.filename or "", form["mapping"],
                                form["jurisdiction_id"], admin)
        return json_response(run(self.unit_of_work(), handlers.import_history, command),
                             status=202)

    @http("GET", "/admin/v1/category-models", doc=Doc(
        "Every category model version of a jurisdiction, newest first, with its quality",
        tags=("admin",), query=TrainingRequestSchema,
        answers={200: ("The versions", CategoryModelsSchema)}, errors=(400, 401),
        security="admin"))
    def list_category_models(self, request):
        token_holder(request, self.settings.admin_api_tokens)
        which = load(TrainingRequestSchema(), request.args.to_dict())
        return json_response(run(self.unit_of_work(), handlers.model_versions,
                                 which["jurisdiction_id"]))

    @http("POST", "/admin/v1/category-models/training-runs", doc=Doc(
        "Train again now, on the history and every correction since", tags=("admin",),
        body=TrainingRequestSchema, answers={202: ("Queued", TrainingRunSchema)},
        errors=(400, 401), security="admin"))
    def train_category_model(self, request):
        admin = token_holder(request, self.settings.admin_api_tokens)
        which = load(TrainingRequestSchema(), json_object(request))
        return json_response(run(self.unit_of_work(), handlers.train_category_model,
                                 TrainCategoryModel(which["jurisdiction_id"], admin)), status=202)

    @http("GET", "/admin/v1/category-models/training-runs/<int:run_id>", doc=Doc(
        "A training run's progress and outcome", tags=("admin",),
        answers={200: ("The run", TrainingRunSchema)}, errors=(401, 404), security="admin"))
    def get_training_run(self, request, run_id):
        token_holder(request, self.settings.admin_api_tokens)
        return json_response(run(self.unit_of_work(), handlers.training_run, run_id))

    @http("POST", "/admin/v1/category-models/<int:version>/activate", doc=Doc(
        "Serve this model version: a rollback to an earlier one, or forward again",
        tags=("admin",), answers={200: ("Serving now", CategoryModelSchema)},
        errors=(401, 404), security="admin"))
    def activate_category_model(self, request, version):
        admin = token_holder(request, self.settings.admin_api_tokens)
        return json_response(run(self.unit_of_work(), handlers.activate_category_model,
                                 ActivateCategoryModel(version, admin)))

    @http("GET", "/staff/v1/requests/<string:request_id>/category-suggestions", doc=Doc(
        "The three likeliest categories for a request's words, for a one-click pick in "
        "triage", tags=("staff",), answers={200: ("Suggestions", CategorySuggestionsSchema)},
        errors=(401, 404), security="staff"))
    def category_suggestions(self, request, request_id):
        token_holder(request, self.settings.staff_api_tokens)
        return json_response(run(self.unit_of_work(), handlers.category_suggestions,
                                 request_id))

    # Events from routing and sla.

    @handle_event("request_assigned")
    def handle_request_assigned(self, event):
        return apply_once(self.unit_of_work(), event, handlers.handle_request_assigned)

    @handle_event("request_reassigned")
    def handle_request_reassigned(self, event):
        return apply_once(self.unit_of_work(), event, handlers.handle_request_reassigned)

    @handle_event("directory_changed")
    def handle_directory_changed(self, event):
        return apply_once(self.unit_of_work(), event, handlers.handle_directory_changed)

    @handle_event("sla_started")
    def handle_sla_started(self, event):
        return apply_once(self.unit_of_work(), event, handlers.handle_sla_started)

    def _absolute_media(self, request, views: list[dict]) -> list[dict]:
        """Photos intake keeps are stored as /media/<id>: Open311 clients get the whole URL,
        on PUBLIC_BASE_URL (or, without one, the address they called)."""
        base = (self.settings.public_base_url or request.host_url).rstrip("/")
        return [{**view, "media_url": base + view["media_url"]}
                if (view.get("media_url") or "").startswith("/") else view for view in views]

    def _read_limit(self, request):
        # A page can hold 1,000 requests with their notes: one address is not the whole API.
        self.limits.hit_per_address(self.settings.rate_limit_reads_per_ip, "read", request)

    def _lookup_limit(self, request):
        self.limits.hit_per_address(self.settings.rate_limit_lookups_per_ip, "lookup", request)

    def _file_email(self, message):
        self.limits.hit(self.settings.rate_limit_emails_per_sender, "email", "sender",
                        message.sender.lower())
        return json_response(run(self.unit_of_work(), handlers.receive_email, message),
                             status=201)


    def _offered(self, params):
        return queries.jurisdiction_offers(self.database, params.get("jurisdiction_id"),
                                           self.settings.jurisdiction_id)

from datetime import timedelta
from pathlib import Path

from werkzeug.wrappers import Response

from loop311_shared.db import Database
from loop311_shared.inbox import apply_once
from loop311_shared.messaging import OutboxRelay, handle_event
from loop311_shared.metrics import Metrics
from loop311_shared.operations import OperationalEndpoints
from loop311_shared.web import http, json_response

from .attributes import service_definition
from .call_ins import take_call
from .dependencies import Categories, Geocoder
from .discovery import discovery
from .duplicates import DuplicatePolicy
from .email_inbound import from_mailgun, from_mime, from_sendgrid, receive_email, stored_media
from .idempotency import idempotency_key, submit_once
from .models import inbox, outbox
from .open311_auth import accepted_keys, require_api_key, require_jurisdiction
from .open311_format import open311, render
from .openapi import openapi_document
from .queries import find_requests, list_services, public_view, request_for_token
from .requests_body import json_object, request_fields
from .sms import check_signature, handle_text, twiml
from .staff_auth import authenticated_name, token_holders
from .staff_updates import add_comment, change_status
from .tracking import record_assignment, record_due_date

OPEN311 = "/open311/v2"
FORMAT = "<any(json, xml):fmt>"


class IntakeService(OperationalEndpoints):
    name = "intake"

    database = Database(Path(__file__).parent / "migrations")
    outbox_relay = OutboxRelay("database", outbox)
    metrics = Metrics()
    geocoder = Geocoder()
    categories = Categories()

    @http("GET", "/openapi.json")
    def get_openapi(self, request):
        return json_response(openapi_document())

    @open311("GET", f"{OPEN311}/discovery.{FORMAT}")
    def get_discovery(self, request, fmt):
        return render(fmt, discovery(self.config, request.host_url), "discovery")

    @open311("GET", f"{OPEN311}/services.{FORMAT}")
    def get_services(self, request, fmt):
        self._check_jurisdiction(request.args)
        return render(fmt, list_services(self.database), "services")

    @open311("GET", f"{OPEN311}/services/<string:service_code>.{FORMAT}")
    def get_service_definition(self, request, service_code, fmt):
        self._check_jurisdiction(request.args)
        return render(fmt, service_definition(self.database, service_code), "service_definition")

    @open311("POST", f"{OPEN311}/requests.{FORMAT}")
    def post_request(self, request, fmt):
        fields, attributes = request_fields(request)
        require_api_key(fields.get("api_key"), accepted_keys(self.config.get("OPEN311_API_KEYS")))
        self._check_jurisdiction(fields)
        key = idempotency_key(request.headers.get("Idempotency-Key"), fields["api_key"],
                              fields, attributes)
        accepted, replayed = submit_once(
            self.database, key, fields, attributes,
            phone_region=self.config.get("DEFAULT_PHONE_REGION", "US"),
            duplicates=DuplicatePolicy.from_config(self.config))
        response = render(fmt, [{"service_notice": "", "account_id": None, **accepted}],
                          "service_requests", status=201)
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return response

    @open311("GET", f"{OPEN311}/requests.{FORMAT}")
    def get_requests(self, request, fmt):
        self._check_jurisdiction(request.args)
        return render(fmt, find_requests(self.database, request.args), "service_requests")

    @open311("GET", f"{OPEN311}/requests/<string:request_id>.{FORMAT}")
    def get_request(self, request, request_id, fmt):
        self._check_jurisdiction(request.args)
        with_notes = request.args.get("extensions", "").lower() == "true"
        return render(fmt, [public_view(self.database, request_id, with_notes)],
                      "service_requests")

    @open311("GET", f"{OPEN311}/tokens/<string:token>.{FORMAT}")
    def get_token(self, request, token, fmt):
        return render(fmt, [request_for_token(self.database, token)], "service_requests")

    @http("POST", "/staff/v1/requests/<string:request_id>/status")
    def change_request_status(self, request, request_id):
        author = self._staff_member(request)
        return json_response(change_status(self.database, request_id, json_object(request), author))

    @http("POST", "/staff/v1/requests/<string:request_id>/comments")
    def comment_on_request(self, request, request_id):
        author = self._staff_member(request)
        return json_response(add_comment(self.database, request_id, json_object(request), author),
                             status=201)

    @http("POST", "/dispatch/v1/call-ins")
    def take_call_in(self, request):
        dispatcher = authenticated_name(request.headers.get("Authorization"),
                                        token_holders(self.config.get("DISPATCHER_API_TOKENS")))
        taken = take_call(self.database, json_object(request), self.geocoder, dispatcher,
                          self.categories.for_session(self.database),
                          phone_region=self.config.get("DEFAULT_PHONE_REGION", "US"),
                          duplicates=DuplicatePolicy.from_config(self.config))
        return json_response(taken, status=201)

    @http("POST", "/sms/v1/twilio")
    def receive_text(self, request):
        params = request.form.to_dict()
        base = self.config.get("PUBLIC_BASE_URL")
        url = f"{base.rstrip('/')}{request.full_path.rstrip('?')}" if base else request.url
        check_signature(self.config.get("TWILIO_AUTH_TOKEN"), url, params,
                        request.headers.get("X-Twilio-Signature"))
        reply = handle_text(
            self.database, params, self.geocoder, self.categories.for_session(self.database),
            expiry=timedelta(minutes=float(self.config.get("SMS_CONVERSATION_MINUTES", 30))),
            phone_region=self.config.get("DEFAULT_PHONE_REGION", "US"),
            duplicates=DuplicatePolicy.from_config(self.config))
        return Response(twiml(reply), content_type="text/xml; charset=utf-8")

    @http("POST", "/email/v1/mime")
    def receive_mime_email(self, request):
        self._mail_webhook(request)
        return self._file_email(from_mime(request.get_data()))

    @http("POST", "/email/v1/sendgrid")
    def receive_sendgrid_email(self, request):
        self._mail_webhook(request)
        return self._file_email(from_sendgrid(request.form.to_dict(), request.files))

    @http("POST", "/email/v1/mailgun")
    def receive_mailgun_email(self, request):
        message = from_mailgun(request.form.to_dict(), request.files,
                               str(self.config.get("MAILGUN_SIGNING_KEY") or ""))
        return self._file_email(message)

    @http("GET", "/media/<string:media_id>")
    def get_media(self, request, media_id):
        row = stored_media(self.database, media_id)
        return Response(row.data, content_type=row.content_type)

    @handle_event("request_assigned")
    def handle_request_assigned(self, event):
        return apply_once(self.database, inbox, self.name, event, record_assignment)

    @handle_event("sla_started")
    def handle_sla_started(self, event):
        return apply_once(self.database, inbox, self.name, event, record_due_date)

    def _mail_webhook(self, request):
        authenticated_name(request.headers.get("Authorization"),
                           token_holders(self.config.get("EMAIL_WEBHOOK_TOKENS")))

    def _file_email(self, message):
        filed = receive_email(self.database, message, self.geocoder,
                              self.categories.for_session(self.database),
                              media_base=str(self.config.get("PUBLIC_BASE_URL") or ""),
                              phone_region=self.config.get("DEFAULT_PHONE_REGION", "US"),
                              duplicates=DuplicatePolicy.from_config(self.config))
        return json_response(filed, status=201)

    def _staff_member(self, request):
        return authenticated_name(request.headers.get("Authorization"),
                                  token_holders(self.config.get("STAFF_API_TOKENS")))

    def _check_jurisdiction(self, params):
        require_jurisdiction(params.get("jurisdiction_id"), self.config.get("JURISDICTION_ID", "city"))

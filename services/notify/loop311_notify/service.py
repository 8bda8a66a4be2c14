"""notify's entrypoints: events in, to their handlers; the mailer sends what they queue."""
import hmac
from pathlib import Path

from werkzeug.wrappers import Response

from loop311_shared.auth import token_holder
from loop311_shared.db import Database
from loop311_shared.errors import Forbidden
from loop311_shared.messaging import handle_event
from loop311_shared.metrics import Metrics
from loop311_shared.operations import OperationalEndpoints
from loop311_shared.settings import SettingsProvider
from loop311_shared.twilio import check_signature
from loop311_shared.unit_of_work import apply_once, run
from loop311_shared.web import Doc, http, json_object, json_response, load

from . import handlers
from .adapters.http_sms import signed_by
from .adapters.smtp import Mailer, unsubscribe_token
from .adapters.texting import Texter
from .commands import SetPreferences, SmsStatus
from .dependencies import DigestComposer, Templates
from .schemas import (
    HttpSmsStatusSchema,
    PreferencesAnswerSchema,
    PreferencesQuerySchema,
    PreferencesSchema,
    SmsStatusSchema,
    UnsubscribeSchema,
)
from .settings import NotifySettings
from .unit_of_work import NotifyPolicy, NotifyUnitOfWork


class NotifyService(OperationalEndpoints):
    name = "notify"

    database = Database(Path(__file__).parent / "migrations")
    settings = SettingsProvider(NotifySettings)
    templates = Templates()
    mailer = Mailer("database")
    texter = Texter("database")
    digests = DigestComposer("database")
    metrics = Metrics()

    @handle_event("staff_directory_recorded")
    def handle_staff_directory_recorded(self, event):
        return apply_once(self._unit_of_work(), event, handlers.handle_staff_directory_recorded)

    @handle_event("request_assigned")
    def handle_request_assigned(self, event):
        return apply_once(self._unit_of_work(), event, handlers.handle_request_assigned)

    @handle_event("request_reassigned")
    def handle_request_reassigned(self, event):
        return apply_once(self._unit_of_work(), event, handlers.handle_request_reassigned)

    @handle_event("sla_reminder_due")
    def handle_sla_reminder_due(self, event):
        return apply_once(self._unit_of_work(), event, handlers.handle_sla_reminder_due)

    @handle_event("sla_escalated")
    def handle_sla_escalated(self, event):
        return apply_once(self._unit_of_work(), event, handlers.handle_sla_escalated)

    @handle_event("request_status_changed")
    def handle_request_status_changed(self, event):
        return apply_once(self._unit_of_work(), event, handlers.handle_request_status_changed)

    @handle_event("request_commented")
    def handle_request_commented(self, event):
        return apply_once(self._unit_of_work(), event, handlers.handle_request_commented)

    @handle_event("resident_rated")
    def handle_resident_rated(self, event):
        return apply_once(self._unit_of_work(), event, handlers.handle_resident_rated)

    @http("GET", "/notify/v1/requests/<string:request_id>/preferences", doc=Doc(
        "How a resident hears about their requests", tags=("residents",),
        query=PreferencesQuerySchema, answers={200: ("Their preferences", PreferencesAnswerSchema)},
        errors=(400, 401, 403, 404)))
    def get_preferences(self, request, request_id):
        asked = load(PreferencesQuerySchema(), request.args.to_dict())
        self._proof_or_staff(request, asked)
        return json_response(run(self._unit_of_work(), handlers.preferences_of, SetPreferences(
            request_id, asked["token"], asked["address"], {})))

    @http("PUT", "/notify/v1/requests/<string:request_id>/preferences", doc=Doc(
        "Choose the channel (email or sms), language and quiet hours; the request's token "
        "is the proof (or a staff bearer token)", tags=("residents",), body=PreferencesSchema,
        answers={200: ("Saved", PreferencesAnswerSchema)}, errors=(400, 401, 403, 404, 422)))
    def set_preferences(self, request, request_id):
        schema = PreferencesSchema()
        chosen = load(schema, json_object(request))
        self._proof_or_staff(request, chosen)
        return json_response(run(self._unit_of_work(), handlers.set_preferences, SetPreferences(
            request_id, chosen["token"], chosen["address"], schema.changes(chosen))))

    @http("GET", "/notify/v1/unsubscribe", doc=Doc(
        "Stop email to an address (the signed link in every email)", tags=("residents",),
        query=UnsubscribeSchema, answers={200: ("Unsubscribed", None)}, errors=(400, 403)))
    def unsubscribe_by_link(self, request):
        return self._unsubscribe(request.args.to_dict())

    @http("POST", "/notify/v1/unsubscribe", doc=Doc(
        "One-click unsubscribe (RFC 8058: mail clients POST List-Unsubscribe=One-Click)",
        tags=("residents",), query=UnsubscribeSchema, body_required=False,
        body_types=("application/x-www-form-urlencoded",),
        answers={200: ("Unsubscribed", None)}, errors=(400, 403)))
    def unsubscribe_one_click(self, request):
        return self._unsubscribe(request.args.to_dict())

    def _unsubscribe(self, params):
        link = load(UnsubscribeSchema(), params)
        if not self.settings.unsubscribe_secret or not hmac.compare_digest(
                link["token"], unsubscribe_token(self.settings.unsubscribe_secret, link["email"])):
            raise Forbidden("this unsubscribe link is not valid")
        run(self._unit_of_work(), handlers.unsubscribe, link["email"])
        return json_response({"email": link["email"], "unsubscribed": True})

    @http("POST", "/sms/v1/status", doc=Doc(
        "The SMS provider's status callback (Twilio's StatusCallback, signed)",
        tags=("webhooks",), body_types=("application/x-www-form-urlencoded",),
        answers={204: ("Recorded", None)}, errors=(400, 403)))
    def sms_status(self, request):
        params = request.form.to_dict()
        url = f"{self.settings.notify_public_url.rstrip('/')}{request.full_path.rstrip('?')}"
        check_signature(self.settings.twilio_auth_token, url, params,
                        request.headers.get("X-Twilio-Signature"))
        status = load(SmsStatusSchema(), params)
        run(self._unit_of_work(), handlers.record_sms_status,
            SmsStatus(status["MessageSid"], status["MessageStatus"]))
        return Response(status=204)

    @http("POST", "/sms/v1/status/http", doc=Doc(
        "The generic SMS provider's status callback (JSON, X-Loop311-Signature)",
        tags=("webhooks",), body=HttpSmsStatusSchema,
        answers={204: ("Recorded", None)}, errors=(400, 403)))
    def http_sms_status(self, request):
        if not signed_by(self.settings.sms_http_token, request.get_data(),
                         request.headers.get("X-Loop311-Signature")):
            raise Forbidden("the status callback's signature does not match")
        status = load(HttpSmsStatusSchema(), json_object(request))
        run(self._unit_of_work(), handlers.record_sms_status,
            SmsStatus(status["id"], status["status"]))
        return Response(status=204)

    def _proof_or_staff(self, request, asked: dict) -> None:
        """A resident shows the request's token; without one, only staff may ask."""
        if asked["token"] is None:
            token_holder(request, self.settings.staff_api_tokens)

    def _unit_of_work(self) -> NotifyUnitOfWork:
        return NotifyUnitOfWork(self.database, self.name, sms=self.settings.sms_enabled,
                                policy=NotifyPolicy.from_settings(self.settings))

    @handle_event("request_created")
    def handle_request_created(self, event):
        return apply_once(self._unit_of_work(), event,
                          handlers.handle_request_created)

    @handle_event("resident_contact_recorded")
    def handle_resident_contact_recorded(self, event):
        return apply_once(self._unit_of_work(), event,
                          handlers.handle_resident_contact_recorded)

    @handle_event("resident_opted_out")
    def handle_resident_opted_out(self, event):
        return apply_once(self._unit_of_work(), event,
                          handlers.handle_resident_opted_out)

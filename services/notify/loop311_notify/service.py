"""notify's entrypoints: events in, to their handlers; the mailer sends what they queue."""
import hmac
from pathlib import Path

from werkzeug.wrappers import Response

from loop311_contracts.catalog import PUBLIC_EVENT_TYPES
from loop311_shared.auth import token_holder
from loop311_shared.db import Database
from loop311_shared.errors import Forbidden
from loop311_shared.messaging import handle_event, handle_events
from loop311_shared.metrics import Metrics
from loop311_shared.operations import OperationalEndpoints
from loop311_shared.rate_limits import RateLimits
from loop311_shared.reference_data import ImportedVersionSchema
from loop311_shared.settings import SettingsProvider
from loop311_shared.twilio import check_signature
from loop311_shared.unit_of_work import apply_once, run
from loop311_shared.web import Doc, http, json_object, json_response, load

from . import handlers
from .adapters.http_sms import signed_by
from .adapters.pages import page_or_json
from .adapters.push import vapid_public_key
from .adapters.pusher import Pusher
from .adapters.smtp import Mailer, unsubscribe_token
from .adapters.texting import Texter
from .commands import (
    FollowByPush,
    ImportTopics,
    SetPreferences,
    SmsStatus,
    StartBroadcast,
    Subscribe,
    SubscriptionLink,
)
from .dependencies import BroadcastExpander, DigestComposer, Templates, WebhookDispatcher
from .integration_endpoints import IntegrationEndpoints
from .schemas import (
    BroadcastSchema,
    FollowByPushSchema,
    HttpSmsStatusSchema,
    PreferencesAnswerSchema,
    PreferencesQuerySchema,
    PreferencesSchema,
    SmsStatusSchema,
    SubscribeSchema,
    SubscriptionAnswerSchema,
    SubscriptionLinkSchema,
    TopicsSchema,
    UnsubscribeSchema,
)
from .settings import NotifySettings
from .unit_of_work import NotifyPolicy, NotifyUnitOfWork


class NotifyService(IntegrationEndpoints, OperationalEndpoints):
    name = "notify"

    database = Database(Path(__file__).parent / "migrations")
    settings = SettingsProvider(NotifySettings)
    templates = Templates()
    mailer = Mailer("database")
    texter = Texter("database")
    pusher = Pusher("database")
    digests = DigestComposer("database")
    broadcaster = BroadcastExpander("database")
    webhook_dispatcher = WebhookDispatcher("database")
    metrics = Metrics()
    limits = RateLimits()

    @handle_events(PUBLIC_EVENT_TYPES, consumer="webhooks")
    def fan_out_to_webhooks(self, event):
        # Most platforms have few webhooks: with none for this type, nothing is written.
        if run(self._unit_of_work(), handlers.webhooks_listening, event.type):
            return apply_once(NotifyUnitOfWork(self.database, "webhooks"), event,
                              handlers.handle_public_event)

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
        self._public_write_limit(request)
        asked = load(PreferencesQuerySchema(), request.args.to_dict())
        self._proof_or_staff(request, asked)
        return json_response(run(self._unit_of_work(), handlers.preferences_of, SetPreferences(
            request_id, asked["token"], asked["address"], {})))

    @http("PUT", "/notify/v1/requests/<string:request_id>/preferences", doc=Doc(
        "Choose the channel (email or sms), language and quiet hours; the request's token "
        "is the proof (or a staff bearer token)", tags=("residents",), body=PreferencesSchema,
        answers={200: ("Saved", PreferencesAnswerSchema)}, errors=(400, 401, 403, 404, 422)))
    def set_preferences(self, request, request_id):
        self._public_write_limit(request)
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

    # Subscriptions: follow a request, an area or a topic; confirm; leave in one step.

    @http("POST", "/notify/v1/subscriptions", doc=Doc(
        "Follow a request, an area (× categories, now or daily) or a topic, by email, SMS or "
        "push; email and SMS wait for the confirmation link", tags=("subscriptions",),
        body=SubscribeSchema, answers={201: ("Subscribed", SubscriptionAnswerSchema)},
        errors=(400, 404, 409, 422)))
    def subscribe(self, request):
        self._public_write_limit(request)
        wanted = load(SubscribeSchema(), json_object(request))
        answer = run(self._unit_of_work(), handlers.subscribe, Subscribe(
            wanted["kind"], wanted["channel"], wanted["language"],
            address=wanted.get("email") or wanted.get("phone"), push=wanted.get("push"),
            request_id=wanted.get("request_id"), topic=wanted.get("topic"),
            area=wanted.get("area"), categories=tuple(wanted.get("categories") or ()) or None,
            frequency=wanted["frequency"]))
        return json_response(answer, status=201)

    @http("GET", "/notify/v1/subscriptions/<string:subscription_id>/confirm", doc=Doc(
        "The confirmation link", tags=("subscriptions",), query=SubscriptionLinkSchema,
        answers={200: ("Confirmed", SubscriptionAnswerSchema)}, errors=(400, 403, 404, 409)))
    def confirm_subscription(self, request, subscription_id):
        link = load(SubscriptionLinkSchema(), request.args.to_dict())
        answer = run(self._unit_of_work(), handlers.confirm_subscription,
                     SubscriptionLink(subscription_id, link["token"]))
        return page_or_json(request, answer, "Subscribed",
                            "Thank you: your subscription is confirmed.")

    @http("GET", "/notify/v1/subscriptions/<string:subscription_id>/unsubscribe", doc=Doc(
        "The one-step way out in every subscription message", tags=("subscriptions",),
        query=SubscriptionLinkSchema, answers={200: ("Stopped", SubscriptionAnswerSchema)},
        errors=(400, 403, 404)))
    def unsubscribe_subscription(self, request, subscription_id):
        return self._leave(request, subscription_id)

    @http("POST", "/notify/v1/subscriptions/<string:subscription_id>/unsubscribe", doc=Doc(
        "One-click unsubscribe (RFC 8058) of one subscription", tags=("subscriptions",),
        query=SubscriptionLinkSchema, body_required=False,
        body_types=("application/x-www-form-urlencoded",),
        answers={200: ("Stopped", SubscriptionAnswerSchema)}, errors=(400, 403, 404)))
    def unsubscribe_subscription_one_click(self, request, subscription_id):
        return self._leave(request, subscription_id)

    @http("GET", "/u/<string:subscription_id>/<string:token>", doc=Doc(
        "The short form of the way out (in texts)", tags=("subscriptions",),
        answers={200: ("Stopped", SubscriptionAnswerSchema)}, errors=(403, 404)))
    def unsubscribe_short(self, request, subscription_id, token):
        return self._leave(request, subscription_id, token)

    @http("POST", "/u/<string:subscription_id>/<string:token>", doc=Doc(
        "One-click unsubscribe (RFC 8058) by the short link", tags=("subscriptions",),
        body_required=False, body_types=("application/x-www-form-urlencoded",),
        answers={200: ("Stopped", SubscriptionAnswerSchema)}, errors=(403, 404)))
    def unsubscribe_short_one_click(self, request, subscription_id, token):
        return self._leave(request, subscription_id, token)

    def _leave(self, request, subscription_id, token=None):
        if token is None:
            token = load(SubscriptionLinkSchema(), request.args.to_dict())["token"]
        answer = run(self._unit_of_work(), handlers.leave_subscription,
                     SubscriptionLink(subscription_id, token))
        return page_or_json(request, answer, "Unsubscribed",
                            "You will get no more of these messages.")

    @http("POST", "/notify/v1/requests/<string:request_id>/push", doc=Doc(
        "A reporter's browser or app follows their request by push (the request's token is "
        "the proof)", tags=("subscriptions",), body=FollowByPushSchema,
        answers={201: ("Following", SubscriptionAnswerSchema)}, errors=(400, 404, 422)))
    def follow_by_push(self, request, request_id):
        self._public_write_limit(request)
        wanted = load(FollowByPushSchema(), json_object(request))
        answer = run(self._unit_of_work(), handlers.follow_request_by_push, FollowByPush(
            request_id, wanted["token"], wanted["push"], wanted["language"]))
        return json_response(answer, status=201)

    @http("GET", "/notify/v1/push/key", doc=Doc(
        "The VAPID public key (a browser's applicationServerKey)", tags=("subscriptions",),
        answers={200: ("The key", None)}, errors=(404,)))
    def push_key(self, request):
        return json_response({"public_key": vapid_public_key(self.settings)})

    @http("GET", "/notify/v1/topics", doc=Doc(
        "The topics residents can follow", tags=("subscriptions",),
        answers={200: ("Topics", None)}))
    def list_topics(self, request):
        uow = self._unit_of_work()
        try:
            return json_response(list(uow.topics.topics().values()))
        finally:
            uow.rollback()

    # Administration: topics are configuration; broadcasts.

    @http("PUT", "/admin/v1/topics", doc=Doc(
        "Import the topics (all or nothing)", tags=("admin",), body=TopicsSchema,
        answers={200: ("The version now in force", ImportedVersionSchema)},
        errors=(400, 401), security="admin"))
    def import_topics(self, request):
        admin = token_holder(request, self.settings.admin_api_tokens)
        document = load(TopicsSchema(), json_object(request))
        return json_response(run(self._unit_of_work(), handlers.import_topics,
                                 ImportTopics(document, admin)))

    @http("POST", "/admin/v1/broadcasts", doc=Doc(
        "Announce to a topic's or an area's subscribers, each on their channel and language",
        tags=("admin",), body=BroadcastSchema, answers={201: ("Started", None)},
        errors=(400, 401, 422), security="admin"))
    def start_broadcast(self, request):
        admin = token_holder(request, self.settings.admin_api_tokens)
        wanted = load(BroadcastSchema(), json_object(request))
        answer = run(self._unit_of_work(), handlers.start_broadcast, StartBroadcast(
            wanted["title"], wanted["message"], admin, topic=wanted.get("topic"),
            area=wanted.get("area")))
        self.broadcaster.wake.set()
        return json_response(answer, status=201)

    @http("GET", "/admin/v1/broadcasts/<string:broadcast_id>", doc=Doc(
        "A broadcast's progress and delivery report (sent, delivered, failed, opted out)",
        tags=("admin",), answers={200: ("The report", None)}, errors=(401, 404),
        security="admin"))
    def broadcast_report(self, request, broadcast_id):
        token_holder(request, self.settings.admin_api_tokens)
        return json_response(run(self._unit_of_work(), handlers.broadcast_report, broadcast_id))

    @http("POST", "/admin/v1/broadcasts/<string:broadcast_id>/cancel", doc=Doc(
        "Stop a broadcast: what is not sent yet never will be", tags=("admin",),
        body_required=False, answers={200: ("Cancelled", None)}, errors=(401, 404, 409),
        security="admin"))
    def cancel_broadcast(self, request, broadcast_id):
        token_holder(request, self.settings.admin_api_tokens)
        return json_response(run(self._unit_of_work(), handlers.cancel_broadcast, broadcast_id))

    def _public_write_limit(self, request) -> None:
        self.limits.hit_per_address(self.settings.rate_limit_public_per_ip, "public request",
                                    request)

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

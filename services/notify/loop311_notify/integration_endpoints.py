"""notify's integration API (admin token): integrators' broker accounts and webhooks.
NotifyService inherits these entrypoints; the webhook fan-out and dispatcher are there."""
from functools import partial

from nameko.constants import AMQP_URI_CONFIG_KEY
from werkzeug.wrappers import Response

from loop311_shared.auth import token_holder
from loop311_shared.unit_of_work import run
from loop311_shared.web import Doc, http, json_object, json_response, load

from . import handlers
from .adapters.broker_accounts import BrokerAccounts, vhost_of
from .commands import CreateIntegrator, Redeliver, RegisterWebhook, UpdateWebhook
from .domain.webhooks import targets_from
from .schemas import (
    DeliveryQuerySchema,
    IntegratorSchema,
    RedeliverRangeSchema,
    WebhookChangeSchema,
    WebhookSchema,
)

ADMIN = {"tags": ("integrations",), "security": "admin"}


class IntegrationEndpoints:
    @http("POST", "/integrations/v1/integrators", doc=Doc(
        "Create an integrator: its own broker user, allowed to read the public event "
        "exchanges and the replay stream into queues named integrator.<name>.* (the "
        "password is shown once)", body=IntegratorSchema, answers={201: ("Created", None)},
        errors=(400, 401, 409, 503), **ADMIN))
    def create_integrator(self, request):
        admin = token_holder(request, self.settings.admin_api_tokens)
        wanted = load(IntegratorSchema(), json_object(request))
        answer = run(self._unit_of_work(), partial(
            handlers.create_integrator, accounts=self._broker_accounts()),
            CreateIntegrator(wanted["name"], wanted["description"], admin))
        return json_response(answer, status=201)

    @http("GET", "/integrations/v1/integrators", doc=Doc(
        "The integrators", answers={200: ("Integrators", None)}, errors=(401,), **ADMIN))
    def list_integrators(self, request):
        token_holder(request, self.settings.admin_api_tokens)
        return json_response(run(self._unit_of_work(), handlers.list_integrators, None))

    @http("DELETE", "/integrations/v1/integrators/<string:name>", doc=Doc(
        "Revoke an integrator: its broker user is removed and its connections closed",
        body_required=False, answers={204: ("Revoked", None)}, errors=(401, 404, 503), **ADMIN))
    def revoke_integrator(self, request, name):
        token_holder(request, self.settings.admin_api_tokens)
        run(self._unit_of_work(), partial(handlers.revoke_integrator,
                                          accounts=self._broker_accounts()), name)
        return Response(status=204)

    @http("POST", "/integrations/v1/webhooks", doc=Doc(
        "Register a webhook: public events of the given types, POSTed as CloudEvents JSON "
        "and signed as Standard Webhooks say (the secret is shown once)", body=WebhookSchema,
        answers={201: ("Registered", None)}, errors=(400, 401, 422, 503), **ADMIN))
    def register_webhook(self, request):
        admin = token_holder(request, self.settings.admin_api_tokens)
        wanted = load(WebhookSchema(), json_object(request))
        answer = run(self._unit_of_work(), partial(handlers.register_webhook,
                                                   targets=self._targets(),
                                                   bindings=self.webhook_dispatcher.bindings),
                     RegisterWebhook(wanted["url"], wanted["event_types"],
                                     wanted["description"], wanted["owner_email"], admin))
        self.webhook_dispatcher.wake.set()
        return json_response(answer, status=201)

    @http("GET", "/integrations/v1/webhooks", doc=Doc(
        "The webhooks", answers={200: ("Webhooks", None)}, errors=(401,), **ADMIN))
    def list_webhooks(self, request):
        token_holder(request, self.settings.admin_api_tokens)
        return json_response(run(self._unit_of_work(), handlers.list_webhooks, None))

    @http("GET", "/integrations/v1/webhooks/<string:webhook_id>", doc=Doc(
        "One webhook", answers={200: ("The webhook", None)}, errors=(401, 404), **ADMIN))
    def get_webhook(self, request, webhook_id):
        token_holder(request, self.settings.admin_api_tokens)
        return json_response(run(self._unit_of_work(), handlers.get_webhook, webhook_id))

    @http("PATCH", "/integrations/v1/webhooks/<string:webhook_id>", doc=Doc(
        "Change a webhook; `status` pauses it (its events wait) or makes it active again "
        "(also after it was disabled)", body=WebhookChangeSchema,
        answers={200: ("Changed", None)}, errors=(400, 401, 404, 422, 503), **ADMIN))
    def update_webhook(self, request, webhook_id):
        token_holder(request, self.settings.admin_api_tokens)
        changes = load(WebhookChangeSchema(), json_object(request))
        answer = run(self._unit_of_work(), partial(handlers.update_webhook,
                                                   targets=self._targets(),
                                                   bindings=self.webhook_dispatcher.bindings),
                     UpdateWebhook(webhook_id, changes))
        if "event_types" in changes:
            self.webhook_dispatcher.settle_bindings()
        self.webhook_dispatcher.wake.set()
        return json_response(answer)

    @http("DELETE", "/integrations/v1/webhooks/<string:webhook_id>", doc=Doc(
        "Delete a webhook and its delivery log", body_required=False,
        answers={204: ("Deleted", None)}, errors=(401, 404), **ADMIN))
    def delete_webhook(self, request, webhook_id):
        token_holder(request, self.settings.admin_api_tokens)
        run(self._unit_of_work(), handlers.delete_webhook, webhook_id)
        self.webhook_dispatcher.settle_bindings()
        return Response(status=204)

    @http("GET", "/integrations/v1/webhooks/<string:webhook_id>/deliveries", doc=Doc(
        "The delivery log: each delivery, newest first, with every attempt",
        query=DeliveryQuerySchema, answers={200: ("Deliveries", None)},
        errors=(400, 401, 404), **ADMIN))
    def webhook_deliveries(self, request, webhook_id):
        token_holder(request, self.settings.admin_api_tokens)
        query = load(DeliveryQuerySchema(), request.args.to_dict())
        return json_response(run(self._unit_of_work(), lambda uow, _: handlers.delivery_log(
            uow, webhook_id, query["state"], query["limit"]), None))

    @http("POST", "/integrations/v1/webhooks/<string:webhook_id>/deliveries/<int:delivery_id>"
                  "/redeliver", doc=Doc(
        "Deliver one delivery again, now", body_required=False,
        answers={202: ("Queued", None)}, errors=(401, 404), **ADMIN))
    def redeliver_one(self, request, webhook_id, delivery_id):
        token_holder(request, self.settings.admin_api_tokens)
        return self._redeliver(Redeliver(webhook_id, delivery_id=delivery_id))

    @http("POST", "/integrations/v1/webhooks/<string:webhook_id>/redeliver", doc=Doc(
        "Deliver again every event of a time range (since, until), delivered or not",
        body=RedeliverRangeSchema, answers={202: ("Queued", None)},
        errors=(400, 401, 404), **ADMIN))
    def redeliver_range(self, request, webhook_id):
        token_holder(request, self.settings.admin_api_tokens)
        asked = load(RedeliverRangeSchema(), json_object(request))
        return self._redeliver(Redeliver(webhook_id, since=asked["since"], until=asked["until"]))

    def _redeliver(self, command: Redeliver):
        answer = run(self._unit_of_work(), handlers.redeliver, command)
        self.webhook_dispatcher.wake.set()
        return json_response(answer, status=202)

    def _broker_accounts(self) -> BrokerAccounts:
        return BrokerAccounts(self.settings.rabbitmq_management_url,
                              vhost_of(self.config[AMQP_URI_CONFIG_KEY]))

    def _targets(self):
        return targets_from(self.settings, self.config[AMQP_URI_CONFIG_KEY])

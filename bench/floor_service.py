"""The floor: a bare nameko HTTP → event service and a consumer, with no database,
outbox, schemas or mail. Loop311's figures are read against these."""
import json
import os
import time

from nameko.events import EventDispatcher, event_handler
from nameko.web.handlers import http


class FloorIntake:
    name = "floor_intake"
    dispatch = EventDispatcher()

    @http("POST", "/requests")
    def post_request(self, request):
        body = json.loads(request.get_data(as_text=True))
        self.dispatch("request_received", {"id": body["id"]})
        return 201, json.dumps({"id": body["id"]})


class FloorConsumer:
    name = "floor_consumer"

    @event_handler("floor_intake", "request_received")
    def handle(self, payload):
        with open(os.environ["FLOOR_RECEIPTS"], "a") as receipts:
            receipts.write(f"{payload['id']} {time.time()}\n")

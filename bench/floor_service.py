"""The floor: the least a nameko HTTP → event → consumer path can cost.

`FloorIntake` takes the same form-encoded Open311 body Loop311's intake takes, dispatches
one nameko event (nameko's own EventDispatcher: persistent message, publisher confirms)
and answers 201 in Open311's shape. `FloorConsumer`, run as a separate `nameko run`
process, appends "<id> <unix time>" to $FLOOR_RECEIPTS for every event it consumes.
No database, outbox, inbox, schemas, routing or mail.
"""
import json
import os
import time
import uuid

from nameko.events import EventDispatcher, event_handler
from nameko.web.handlers import http


class FloorIntake:
    name = "floor_intake"
    dispatch = EventDispatcher()

    @http("POST", "/requests")
    def post_request(self, request):
        request_id = uuid.uuid4().hex
        self.dispatch("request_received", {"request_id": request_id, **request.form.to_dict()})
        return 201, json.dumps([{"service_request_id": request_id}])


class FloorConsumer:
    name = "floor_consumer"

    @event_handler("floor_intake", "request_received")
    def handle(self, payload):
        with open(os.environ["FLOOR_RECEIPTS"], "a") as receipts:
            receipts.write(f"{payload['request_id']} {time.time()}\n")

"""Loop311 quickstart: follow every public request event with a plain pika consumer.

Each event is a CloudEvents 1.0 JSON document (type, subject, time, dataversion, data) on
the publishing service's topic exchange (`intake.events`, `routing.events`, `sla.events`),
routed by its type. This binds a queue of your own to new and changed requests.
Your integrator account (POST /integrations/v1/integrators) may make queues named
`integrator.<your name>.*` and bind them to the public exchanges, nothing else.

    LOOP311_AMQP_URL=amqp://integrator-gis:password@broker:5672/%2F \
        LOOP311_INTEGRATOR=gis python quickstart.py
"""
import json
import os
import sys

import pika

URL = os.environ.get("LOOP311_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
QUEUE = f"integrator.{os.environ.get('LOOP311_INTEGRATOR', 'quickstart')}.events"
BINDINGS = {"intake.events": ["request_created", "request_status_changed"],
            "routing.events": ["request_assigned"]}
MAX_EVENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 0  # 0: run until stopped

channel = pika.BlockingConnection(pika.URLParameters(URL)).channel()
channel.queue_declare(QUEUE, durable=True)  # survives restarts; events wait for you
for exchange, types in BINDINGS.items():
    for event_type in types:
        channel.queue_bind(QUEUE, exchange, routing_key=event_type)
print(f"waiting for events on {QUEUE}", flush=True)

for count, (method, properties, body) in enumerate(channel.consume(QUEUE), 1):
    event = json.loads(body)
    print(f"{event['time']} {event['type']} v{event['dataversion']} "
          f"request {event['subject']}: {json.dumps(event['data'])}", flush=True)
    channel.basic_ack(method.delivery_tag)  # ack once handled: unacked events come back
    if count == MAX_EVENTS:
        break

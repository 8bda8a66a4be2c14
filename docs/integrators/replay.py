"""Loop311 replay: read every public event since a point in time from the replay stream.

The stream `loop311.replay` keeps each public event (30 days by default). A consumer
picks where to start with `x-stream-offset`; a timestamp starts at the first chunk the
broker wrote at or after it, which may hold a few earlier events, so this skips events
whose own `time` is before `since`. It stops once nothing new came for IDLE seconds
(caught up), or runs on with IDLE 0, a live consumer that began in the past.

    LOOP311_AMQP_URL=amqp://user:password@broker:5672/%2F python replay.py 2026-11-20T00:00:00Z
"""
import json
import os
import sys
from datetime import datetime

import pika

URL = os.environ.get("LOOP311_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
SINCE = datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00"))
IDLE = float(os.environ.get("LOOP311_IDLE_SECONDS", "5"))

channel = pika.BlockingConnection(pika.URLParameters(URL)).channel()
channel.basic_qos(prefetch_count=500)  # a stream needs a prefetch, and manual acks
events = channel.consume("loop311.replay", inactivity_timeout=IDLE or None,
                         arguments={"x-stream-offset": SINCE})  # pika sends a timestamp
for method, properties, body in events:
    if method is None:  # nothing for IDLE seconds: caught up
        break
    event = json.loads(body)
    if datetime.fromisoformat(event["time"]) >= SINCE:
        print(f"{event['time']} {event['type']} v{event['dataversion']} "
              f"request {event['subject']} id {event['id']}", flush=True)
    channel.basic_ack(method.delivery_tag)

"""Moving a platform's queues from classic to quorum (or back), keeping every message.

`loop311-admin queues migrate --to quorum`, with the consuming services stopped (their
publishers may keep running): for each consumer, retry and dead-letter queue, a holding
queue of the new type takes the queue's bindings, so new events land there; the old
queue's messages move to it; the old queue is deleted and made again with the new type
and its bindings; the held messages move back and the holding queue goes. Then start the
services with the new QUEUE_TYPE. Run it again after a crash: it picks up where it was.
"""
from amqp import Message
from amqp.exceptions import PreconditionFailed
from kombu import Connection

from loop311_contracts.catalog import SUBSCRIPTIONS, queue_name

from .topology import consumer_queue, dead_letter_queue, retry_queue, typed

HOLDING = ".migrating"


def platform_queues(queue_type: str, retry_delays_ms) -> list:
    queues = []
    for consumer, event_types in SUBSCRIPTIONS.items():
        for event_type in event_types:
            name = queue_name(consumer, event_type)
            queues += [consumer_queue(consumer, event_type, queue_type),
                       *[retry_queue(name, delay, queue_type) for delay in retry_delays_ms],
                       dead_letter_queue(name, queue_type)]
    return queues


def migrate(amqp_uri: str, queue_type: str, retry_delays_ms) -> dict[str, int]:
    """Every platform queue as `queue_type`: {queue moved: messages it held}."""
    moved = {}
    with Connection(amqp_uri) as connection:
        for queue in platform_queues(queue_type, retry_delays_ms):
            count = migrate_queue(connection, queue)
            if count is not None:
                moved[queue.name] = count
    return moved


def migrate_queue(connection, queue) -> int | None:
    """Remake `queue` with its (new) arguments; None if it already had them."""
    name, arguments = queue.name, queue.queue_arguments or {}
    binding = (queue.exchange.name, queue.routing_key) if queue.exchange.name else None
    holding = f"{name}{HOLDING}"
    channel = connection.channel()
    if _exists(connection, holding):  # a run that stopped halfway: finish it
        channel.queue_declare(name, durable=True, auto_delete=False, arguments=arguments)
    else:
        try:
            channel.queue_declare(name, durable=True, auto_delete=False, arguments=arguments)
            return None  # already this type (or new): nothing to move
        except PreconditionFailed:
            channel = connection.channel()  # the broker closed the refused one
        channel.queue_declare(holding, durable=True, auto_delete=False,
                              arguments=typed_like(arguments))
        if binding:
            channel.queue_bind(holding, *binding)
            channel.queue_unbind(name, *binding)
        move_messages(channel, name, holding)
        channel.queue_delete(name)
        channel.queue_declare(name, durable=True, auto_delete=False, arguments=arguments)
        # A channel that sent to the old queue must not send to the new one of the same
        # name (RabbitMQ 3.10 keeps the old queue's type for it and fails).
        channel.close()
        channel = connection.channel()
    if binding:
        channel.queue_bind(name, *binding)
        channel.queue_unbind(holding, *binding)
    count = move_messages(channel, holding, name)
    channel.queue_delete(holding)
    channel.close()
    return count


def typed_like(arguments: dict) -> dict:
    """The holding queue: the same type, no TTL or dead-lettering of its own."""
    return typed("quorum") if arguments.get("x-queue-type") == "quorum" else {}


def _exists(connection, name: str) -> bool:
    channel = connection.channel()
    try:
        channel.queue_declare(name, passive=True)
        channel.close()
        return True
    except Exception:
        return False


def move_messages(channel, source: str, target: str, limit: int | None = None,
                  drop_headers: tuple[str, ...] = ()) -> int:
    """Move up to `limit` (default: all) messages: each is published (confirmed) to
    `target` through the default exchange, then acknowledged at `source`, so a crash in
    between repeats one and loses none. `drop_headers` leave on the way."""
    channel.confirm_select()
    moved = 0
    while limit is None or moved < limit:
        message = channel.basic_get(source, no_ack=False)
        if message is None:
            break
        properties = {key: value for key, value in message.properties.items()
                      if key != "application_headers"}
        # A quorum queue counts deliveries in a header of its own; the broker refuses it
        # back on a publish.
        headers = {key: value for key, value in (message.headers or {}).items()
                   if key not in ("x-delivery-count", *drop_headers)}
        channel.basic_publish_confirm(
            Message(message.body, application_headers=headers, **properties),
            exchange="", routing_key=target)
        channel.basic_ack(message.delivery_tag)
        moved += 1
    return moved

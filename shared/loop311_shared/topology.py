"""Exchanges and queues, declared from the contracts so every service agrees on them.

For each consumer queue Q there are retry queues `Q.retry.<ms>ms` (a per-queue TTL, then
dead-lettered back into Q through the default exchange) and a dead-letter queue `Q.dead`
where messages go when retries are exhausted or the message is poison.

QUEUE_TYPE picks classic queues (one node) or quorum queues (replicated; every service of a
platform must use the same, see docs/operations.md for moving from one to the other). A
quorum consumer queue also dead-letters a message redelivered DELIVERY_LIMIT times (a
message that crashes its consumer every time), which classic queues cannot count.
"""
from amqp.exceptions import NotFound
from kombu import Exchange, Queue

from loop311_contracts.catalog import contract_for, queue_name, subscribers_of


def event_exchange(name: str) -> Exchange:
    # Same declaration as nameko's own event exchanges, so nameko services can share them.
    return Exchange(name, type="topic", durable=True, auto_delete=False, delivery_mode=2)


QUEUE_TYPES = ("classic", "quorum")
DELIVERY_LIMIT = 20


def typed(queue_type: str, **arguments) -> dict:
    if queue_type not in QUEUE_TYPES:
        raise ValueError(f"queue type {queue_type!r}: classic or quorum")
    return {"x-queue-type": "quorum", **arguments} if queue_type == "quorum" else {}


def consumer_queue(consumer: str, event_type: str, queue_type: str = "classic",
                   bound: bool = True) -> Queue:
    """`bound=False`: the same queue, declared without its binding (BOUND_BY_CONSUMER)."""
    contract = contract_for(event_type)
    name = queue_name(consumer, event_type)
    return Queue(
        name,
        exchange=event_exchange(contract.exchange) if bound else None,
        routing_key=event_type if bound else None,
        durable=True,
        auto_delete=False,
        queue_arguments=typed(queue_type, **{
            "x-delivery-limit": DELIVERY_LIMIT, "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": f"{name}.dead"}) or None,
    )


def retry_queue(main_queue: str, delay_ms: int, queue_type: str = "classic") -> Queue:
    return Queue(
        f"{main_queue}.retry.{delay_ms}ms",
        durable=True,
        auto_delete=False,
        queue_arguments={
            "x-message-ttl": delay_ms,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": main_queue,
            **typed(queue_type),
        },
    )


def dead_letter_queue(main_queue: str, queue_type: str = "classic") -> Queue:
    return Queue(f"{main_queue}.dead", durable=True, auto_delete=False,
                 queue_arguments=typed(queue_type) or None)


def queues_for_published(event_type: str, queue_type: str = "classic") -> list[Queue]:
    """The consumer queues a publisher makes sure exist before it publishes `event_type`."""
    return [consumer_queue(consumer, event_type, queue_type)
            for consumer in subscribers_of(event_type)]


def declare(connection, entities) -> None:
    channel = connection.default_channel
    for entity in entities:
        entity.maybe_bind(channel)
        entity.declare()


# Every public event, kept for replay: integrators read it from a point in time with
# `x-stream-offset` (see docs/integrators/). Publishers declare and bind it, like
# consumer queues, so nothing published is missing from it.
REPLAY_STREAM = "loop311.replay"


def declare_replay_stream(connection, exchanges: list[str], retention: str) -> None:
    """Bind the stream to `exchanges` (every routing key), making it first, with
    `retention` as its x-max-age, if it does not exist. An existing stream keeps its own
    retention: redeclaring it with another would be refused, so operators change it with a
    policy instead (docs/integrators/README.md)."""
    channel = connection.channel()
    try:
        channel.queue_declare(REPLAY_STREAM, passive=True)
    except NotFound:  # the broker closed the channel; the stream is made on a new one
        channel = connection.channel()
        channel.queue_declare(REPLAY_STREAM, durable=True, auto_delete=False, arguments={
            "x-queue-type": "stream", "x-max-age": retention})
    try:
        for exchange in exchanges:
            channel.queue_bind(REPLAY_STREAM, exchange, routing_key="#")
    finally:
        channel.close()

"""`loop311-admin dlq`: the dead-letter queues, handled from the command line.

    loop311-admin dlq list                         # every <queue>.dead and how many wait
    loop311-admin dlq show loop311.sla.request_created.dead [--limit 5]
    loop311-admin dlq replay loop311.sla.request_created.dead [--limit 10]
    loop311-admin dlq purge loop311.sla.request_created.dead --yes

`show` looks without taking (the messages go back); `replay` sends each message back to
the queue it died on, its attempts counted afresh, and only then removes it (a crash in
between repeats it: consumers are idempotent); `purge` drops them for good.
"""
import json

from amqp.exceptions import NotFound
from kombu import Connection

from loop311_contracts.catalog import SUBSCRIPTIONS, queue_name

from .messaging import ATTEMPT_HEADER, ERROR_HEADER
from .queue_migration import move_messages

DEAD_SUFFIX = ".dead"


def dead_letter_queues() -> list[str]:
    return sorted(f"{queue_name(consumer, event_type)}{DEAD_SUFFIX}"
                  for consumer, event_types in SUBSCRIPTIONS.items()
                  for event_type in event_types)


def counts(amqp_uri: str) -> dict[str, int]:
    """Each known dead-letter queue that exists, with the messages waiting in it."""
    found = {}
    with Connection(amqp_uri) as connection:
        for name in dead_letter_queues():
            channel = connection.channel()
            try:
                found[name] = channel.queue_declare(name, passive=True).message_count
            except NotFound:
                continue  # its consumer never started here
            channel.close()
    return found


def checked(name: str) -> str:
    if name not in dead_letter_queues():
        raise ValueError(f"{name!r} is not a Loop311 dead-letter queue (see `dlq list`)")
    return name


def show(amqp_uri: str, name: str, limit: int) -> list[dict]:
    """Up to `limit` messages, left in the queue."""
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        seen = []
        for _ in range(limit):
            message = channel.basic_get(checked(name), no_ack=False)
            if message is None:
                break
            seen.append(summary(message))
        channel.close()  # unacknowledged: all of them go back, in order
    return seen


def summary(message) -> dict:
    headers = message.headers or {}
    try:
        envelope = json.loads(message.body)
    except ValueError:
        envelope = {}
    return {"type": envelope.get("type"), "id": envelope.get("id"),
            "subject": envelope.get("subject"), "attempts": headers.get(ATTEMPT_HEADER),
            "error": headers.get(ERROR_HEADER)}


def replay(amqp_uri: str, name: str, limit: int) -> int:
    """Send up to `limit` messages back to their queue, their attempts counted afresh;
    return how many."""
    target = checked(name)[: -len(DEAD_SUFFIX)]
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        moved = move_messages(channel, name, target, limit,
                              drop_headers=(ATTEMPT_HEADER, ERROR_HEADER))
        channel.close()
    return moved


def purge(amqp_uri: str, name: str) -> int:
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        dropped = channel.queue_purge(checked(name))
        channel.close()
    return dropped or 0

"""Publishing from the outbox, and event handlers that retry with backoff, then dead-letter.

nameko's own `event_handler` acks and drops a message whose handler failed (or, with
`requeue_on_error`, redelivers it at once, forever). `handle_event` instead republishes the
failed message to a TTL queue that feeds it back after a delay, and after the last delay
(or at once, for a `PoisonMessage`) to the queue's dead-letter queue.
"""
import logging
import time
from functools import partial

from amqp.exceptions import AMQPError, PreconditionFailed
from kombu import Connection, Producer
from kombu.exceptions import OperationalError
from kombu.pools import connections
from nameko.amqp.publish import Publisher
from nameko.constants import AMQP_URI_CONFIG_KEY, PERSISTENT
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import Consumer, QueueConsumer
from nameko.utils import sanitize_url

from loop311_contracts.catalog import BOUND_BY_CONSUMER, CATALOG, contract_for
from loop311_contracts.envelope import PoisonMessage, read_envelope

from .background import BackgroundDrain
from .db import is_transient
from .outbox import BATCH, oldest_unpublished_age, publish_pending
from .settings import settings_of
from .topology import (
    consumer_queue,
    dead_letter_queue,
    declare,
    declare_replay_stream,
    event_exchange,
    queues_for_published,
    retry_queue,
)

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-loop311-attempt"
ERROR_HEADER = "x-loop311-error"


class StoppableQueueConsumer(QueueConsumer):
    """nameko's QueueConsumer, except that it can stop while it still waits for the broker.

    In nameko 2.14 every consumer that unregisters before the broker was first reached
    signals the last one gone; the second signal fails an assertion, the container's stop
    raises, and the process never exits: a SIGTERM during a broker outage hung until the
    SIGKILL came.

    It also tells whether it is `consuming`: after a broker restart the consumers come back
    on kombu's backoff, seconds after the broker answers again, and readiness waits for
    them."""

    consuming = False  # attached to the broker now, not only once since the start

    def unregister_provider(self, provider):
        if not self._consumers_ready.ready() and self._last_provider_unregistered.ready():
            return
        super().unregister_provider(provider)

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        self.consuming = True
        super().on_consume_ready(connection, channel, consumers, **kwargs)

    def consume(self, *args, **kwargs):
        try:
            yield from super().consume(*args, **kwargs)
        finally:
            self.consuming = False


class EventHandler(Consumer):
    """Consume one catalog event type from this service's durable queue.

    The decorated method receives a validated, upcast `Event`.
    """

    queue_consumer = StoppableQueueConsumer()

    def __init__(self, event_type, consumer=None, **kwargs):
        contract_for(event_type)  # fail at import time on a typo
        self.event_type = event_type
        self.consumer = consumer  # the queues' owner: the service's name unless given
        super().__init__(queue=None, requeue_on_error=False, **kwargs)

    def setup(self):
        consumer = self.consumer or self.container.service_name
        settings = settings_of(self.container)
        kind = settings.queue_type
        self.queue = consumer_queue(consumer, self.event_type, kind,
                                    bound=consumer not in BOUND_BY_CONSUMER)
        self.delays = settings.event_retry_delays_ms
        self.retry_queues = [retry_queue(self.queue.name, delay, kind) for delay in self.delays]
        self.dead_queue = dead_letter_queue(self.queue.name, kind)
        self.amqp_uri = self.container.config[AMQP_URI_CONFIG_KEY]
        try:
            with Connection(self.amqp_uri, connect_timeout=5) as connection:
                declare(connection, [self.queue, *self.retry_queues, self.dead_queue])
        except PreconditionFailed as error:
            # The broker answers, but the queue exists with other arguments: consuming it
            # fails until an operator puts it right, and readiness says so meanwhile.
            log.error("queue %s exists with other arguments (%s): if QUEUE_TYPE changed, "
                      "run `loop311-admin queues migrate --to %s` with the consumers stopped",
                      self.queue.name, error, kind)
        except (OSError, AMQPError, OperationalError) as error:
            # Not fatal: the consumer declares its queue once it connects, and a retry or
            # dead-letter queue is declared when something is first sent to it.
            log.warning("broker at %s unreachable while %s starts (%s); its queues will be "
                        "declared once it is back", sanitize_url(self.amqp_uri),
                        self.queue.name, error)
        self.publisher = Publisher(self.amqp_uri, use_confirms=True)
        super().setup()

    def handle_message(self, body, message):
        try:
            event = read_envelope(body)
        except PoisonMessage as error:
            self._park_or_requeue(message, error)
            return
        context_data = self.unpack_message_headers(message)
        handle_result = partial(self.handle_result, message)
        try:
            self.container.spawn_worker(self, (event,), {}, context_data=context_data,
                                        handle_result=handle_result)
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        if exc_info is not None:
            self._park_or_requeue(message, exc_info[1])
        else:
            self._settle(message, self.queue_consumer.ack_message)
        return result, exc_info

    def _park_or_requeue(self, message, error):
        try:
            self._reroute_failed(message, error)
        except Exception:
            # Could not park the message elsewhere: give it back to the broker rather
            # than lose it; it will be redelivered.
            log.exception("could not reroute failed message from %s", self.queue.name)
            self._settle(message, self.queue_consumer.requeue_message)
        else:
            self._settle(message, self.queue_consumer.ack_message)

    def _settle(self, message, how) -> None:
        """Ack or requeue; if the broker went away meanwhile, it has taken the message
        back and will deliver it again (the inbox absorbs the repeat): nothing to do, and
        certainly no reason to stop the service."""
        try:
            how(message)
        except (OSError, AMQPError) as error:
            log.warning("could not settle a message from %s, the broker connection is "
                        "gone (%r); it will be delivered again", self.queue.name, error)

    def _reroute_failed(self, message, error):
        headers = dict(message.headers or {})
        attempt = int(headers.get(ATTEMPT_HEADER, 0))
        if is_transient(error):
            # A dependency blinked (the database restarting): not the message's fault, so
            # it waits and comes back without using up an attempt.
            target = self.retry_queues[min(1, len(self.retry_queues) - 1)]
            log.warning("%s: a dependency is unavailable (%r); retrying the message later",
                        self.queue.name, error)
        elif isinstance(error, PoisonMessage) or attempt + 1 > len(self.delays):
            attempt, target = attempt + 1, self.dead_queue
            log.error("dead-lettering message from %s after %d attempt(s): %r",
                      self.queue.name, attempt, error)
        else:
            attempt, target = attempt + 1, self.retry_queues[attempt]
            log.warning("retrying message from %s in %d ms (attempt %d): %r",
                        self.queue.name, self.delays[attempt - 1], attempt, error)
        headers[ATTEMPT_HEADER] = attempt
        headers[ERROR_HEADER] = repr(error)[:1000]
        self.publisher.publish(
            message.body, exchange="", routing_key=target.name, headers=headers,
            serializer=None, content_type=message.content_type,
            content_encoding=message.content_encoding, declare=[target],
        )


handle_event = EventHandler.decorator


def handle_events(event_types, consumer=None):
    """One method for several event types, each from its own queue."""
    def decorate(method):
        for event_type in event_types:
            method = handle_event(event_type, consumer=consumer)(method)
        return method
    return decorate


class ConfirmedBatches:
    """Publishes a batch of events on one channel in confirm mode, then waits once for the
    broker to confirm them all: one wait per batch instead of one per event. The
    connection is kept between batches and dropped after any error (the next batch opens
    a new one)."""

    def __init__(self, amqp_uri: str, confirm_timeout: float = 30.0):
        self.amqp_uri = amqp_uri
        self.confirm_timeout = confirm_timeout
        self.connection = None

    def publish(self, messages) -> None:
        """`messages`: (exchange, routing_key, envelope) triples. Raises unless every one
        was confirmed."""
        try:
            if self.connection is None:
                self._open()
            producer = Producer(self.channel, serializer="json")
            for exchange, routing_key, envelope in messages:
                producer.publish(envelope, exchange=exchange,
                                 routing_key=routing_key, message_id=envelope["id"],
                                 delivery_mode=PERSISTENT)
                self.sent += 1
            self._wait_for_confirms()
        except BaseException:
            self.close()
            raise

    def _open(self) -> None:
        self.connection = Connection(self.amqp_uri, connect_timeout=5)
        self.channel = self.connection.channel()
        self.channel.confirm_select()
        self.sent = self.confirmed = 0
        self.refused = None
        self.channel.events["basic_ack"].add(self._on_ack)
        self.channel.events["basic_nack"].add(self._on_nack)

    def _on_ack(self, delivery_tag, multiple) -> None:
        # Acks come in order on a channel: a single ack confirms up to its tag too.
        self.confirmed = max(self.confirmed, delivery_tag)

    def _on_nack(self, delivery_tag, multiple) -> None:
        self.refused = delivery_tag

    def _wait_for_confirms(self) -> None:
        deadline = time.monotonic() + self.confirm_timeout
        while self.confirmed < self.sent and self.refused is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the broker confirmed {self.confirmed} of {self.sent} "
                                   f"events within {self.confirm_timeout:.0f} s")
            self.connection.drain_events(timeout=remaining)
        if self.refused is not None:
            raise RuntimeError(f"the broker refused event {self.refused} (basic.nack)")

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.release()
            except Exception:  # already broken: nothing to tidy
                pass
            self.connection = None


class OutboxRelay(BackgroundDrain):
    """Publishes committed outbox rows with publisher confirms.

    Before publishing, it declares the queues of every known consumer of the events this
    service publishes, so no event is dropped for want of a queue.
    """

    poll_setting = "outbox_poll_seconds"
    full_pass = BATCH  # a pass that published fewer took all there was

    def __init__(self, database_attr: str, outbox_table):
        super().__init__(database_attr)
        self.outbox = outbox_table
        self.wakes_on = (outbox_table.name,)

    def setup(self):
        super().setup()
        self.amqp_uri = self.container.config[AMQP_URI_CONFIG_KEY]
        self.batches = ConfirmedBatches(self.amqp_uri)
        self.declared = False
        self.metrics = self._metrics()
        self._declare_if_reachable()

    def _declare_if_reachable(self) -> bool:
        try:
            self._declare_topology()
        except (OSError, AMQPError, OperationalError) as error:
            log.warning("outbox: broker at %s unreachable (%s); events wait in the outbox",
                        sanitize_url(self.amqp_uri), error)
        return self.declared

    def _declare_topology(self) -> None:
        """Once per start, before the first publish (so a broker that is down when the
        service starts only delays publishing; the rows wait in the outbox)."""
        service = self.container.service_name
        published = [c for c in CATALOG.values() if c.source == service]
        entities = [event_exchange(c.exchange) for c in published]
        for contract in published:
            entities.extend(queues_for_published(contract.type,
                                                 settings_of(self.container).queue_type))
        public = sorted({c.exchange for c in published if not c.private})
        with Connection(self.amqp_uri, connect_timeout=5) as connection:
            declare(connection, entities)
            if public:
                declare_replay_stream(connection, public,
                                      settings_of(self.container).event_replay_retention)
        self.declared = True

    def stop(self):
        super().stop()
        self.batches.close()

    def drain_once(self, session) -> int:
        published = 0
        if self.declared or self._declare_if_reachable():
            try:
                published = publish_pending(session, self.outbox, self.batches.publish)
            except (OSError, AMQPError, OperationalError, TimeoutError) as error:
                log.warning("outbox: could not publish to %s (%r); the events wait in the "
                            "outbox", sanitize_url(self.amqp_uri), error)
        if published == 0 and self.metrics is not None:  # caught up, or cannot publish
            self.metrics.set_gauge(
                "loop311_outbox_oldest_unpublished_seconds", "How long the oldest event "
                "not yet published has waited", oldest_unpublished_age(session, self.outbox),
                service=self.container.service_name)
        return published


def broker_reachable(amqp_uri: str) -> bool:
    try:
        with connections[Connection(amqp_uri, connect_timeout=2)].acquire(block=True, timeout=2) as conn:
            conn.ensure_connection(max_retries=1)
        return True
    except Exception:
        return False

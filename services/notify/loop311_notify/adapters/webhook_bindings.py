"""The bindings of notify's webhook queues (`loop311.webhooks.<type>`) to the event exchanges.

A queue is bound while some webhook wants its type, and only then: publishers do not bind
these queues (BOUND_BY_CONSUMER in the catalog), so a platform without webhooks pays
nothing for them. A binding too many costs a little work (the fan-out finds no webhook);
a binding too few would lose events, so the handlers bind before a webhook is committed
and unbind only after looking, under a lock, at what the committed webhooks want.
"""
from contextlib import contextmanager

from amqp.exceptions import AMQPError
from kombu import Connection
from kombu.exceptions import OperationalError

from loop311_shared.errors import Unavailable
from loop311_shared.topology import consumer_queue

CONSUMER = "webhooks"


class WebhookBindings:
    def __init__(self, amqp_uri: str, queue_type: str = "classic"):
        self.amqp_uri = amqp_uri
        self.queue_type = queue_type

    def bind(self, event_types) -> None:
        with self._channel() as channel:
            for event_type in event_types:
                # The exchange, the queue and the binding.
                consumer_queue(CONSUMER, event_type, self.queue_type)(channel).declare()

    def unbind(self, event_types) -> None:
        with self._channel() as channel:
            for event_type in event_types:
                queue = consumer_queue(CONSUMER, event_type, self.queue_type)(channel)
                # Unbinding a queue or from an exchange that does not exist is an error.
                queue.exchange.declare()
                queue.queue_declare()
                queue.unbind_from(queue.exchange, event_type)

    @contextmanager
    def _channel(self):
        """The broker down is `Unavailable`: answered 503, and nothing is committed."""
        try:
            with Connection(self.amqp_uri, connect_timeout=5) as connection:
                yield connection.channel()
        except (OSError, AMQPError, OperationalError) as error:
            raise Unavailable(f"the message broker cannot be reached ({error}); try again "
                              "shortly") from error

"""Classic to quorum on the real broker: every message kept, bindings kept, idempotent."""
import json
from urllib.parse import quote

import requests
from kombu import Connection

from loop311_shared.admin_cli import main
from loop311_shared.topology import consumer_queue, dead_letter_queue, declare, event_exchange
from support import publish_envelope, request_created

QUEUE = "loop311.sla.request_created"


def count(uri, name) -> int:
    with Connection(uri) as connection:
        return connection.channel().queue_declare(name, passive=True).message_count


def queue_type(vhost, name) -> str:
    answer = requests.get(f"http://127.0.0.1:15672/api/queues/{quote(vhost, safe='')}/{name}",
                          auth=("guest", "guest"), timeout=10)
    return answer.json()["type"]


def test_classic_queues_become_quorum_with_every_message_and_binding(rabbit_config, capsys):
    uri, vhost = rabbit_config["AMQP_URI"], rabbit_config["vhost"]
    with Connection(uri) as connection:
        declare(connection, [event_exchange("intake.events"),
                             consumer_queue("sla", "request_created"), dead_letter_queue(QUEUE)])
        connection.Producer().publish(json.dumps(request_created("dead")), exchange="",
                                      routing_key=f"{QUEUE}.dead")
    for number in range(3):
        publish_envelope(uri, request_created(f"waiting-{number}"))
    assert (queue_type(vhost, QUEUE), count(uri, QUEUE)) == ("classic", 3)

    assert main(["queues", "migrate", "--to", "quorum", "--amqp", uri,
                 "--retry-delays-ms", "100,200"]) == 0
    moved = capsys.readouterr().out

    assert f"       3  {QUEUE} (now quorum)" in moved.splitlines()
    assert f"       1  {QUEUE}.dead (now quorum)" in moved.splitlines()
    assert (queue_type(vhost, QUEUE), count(uri, QUEUE)) == ("quorum", 3)
    assert (queue_type(vhost, f"{QUEUE}.dead"), count(uri, f"{QUEUE}.dead")) == ("quorum", 1)
    publish_envelope(uri, request_created("after"))  # the binding came along
    assert count(uri, QUEUE) == 4

    assert main(["queues", "migrate", "--to", "quorum", "--amqp", uri]) == 0
    assert capsys.readouterr().out == ""  # nothing left to move

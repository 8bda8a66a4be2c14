"""`loop311-admin dlq` on the real broker: list, show (nothing taken), replay (back to the
queue it died on, attempts counted afresh), purge (only with --yes)."""
import json

import pytest
from kombu import Connection

from loop311_shared.admin_cli import main
from loop311_shared.messaging import ATTEMPT_HEADER, ERROR_HEADER
from loop311_shared.topology import consumer_queue, dead_letter_queue, declare
from support import request_created

QUEUE = "loop311.sla.request_created"


@pytest.fixture
def broker(rabbit_config):
    """sla's queue for request_created and its dead letters: two events that died there
    (published with confirms, so both are in the queue before the test counts them)."""
    uri = rabbit_config["AMQP_URI"]
    with Connection(uri, transport_options={"confirm_publish": True}) as connection:
        declare(connection, [consumer_queue("sla", "request_created"), dead_letter_queue(QUEUE)])
        producer = connection.Producer()
        for number in (1, 2):
            producer.publish(request_created(f"dead-{number}"), exchange="",
                             routing_key=f"{QUEUE}.dead", serializer="json", headers={
                                 ATTEMPT_HEADER: 3, ERROR_HEADER: "OperationalError(...)"})
    return uri


def run(capsys, *args) -> tuple[int, str]:
    code = main(["dlq", *args])
    return code, capsys.readouterr().out


def waiting(uri, name) -> int:
    with Connection(uri) as connection:
        return connection.channel().queue_declare(name, passive=True).message_count


def test_list_show_replay_and_purge(broker, capsys):
    code, listed = run(capsys, "list", "--amqp", broker)
    assert code == 0 and f"       2  {QUEUE}.dead" in listed.splitlines()

    code, shown = run(capsys, "show", f"{QUEUE}.dead", "--amqp", broker)
    messages = [json.loads(line) for line in shown.splitlines()]
    assert [m["subject"] for m in messages] == ["dead-1", "dead-2"]
    assert messages[0]["attempts"] == 3 and "OperationalError" in messages[0]["error"]
    assert waiting(broker, f"{QUEUE}.dead") == 2  # looking takes nothing

    code, replayed = run(capsys, "replay", f"{QUEUE}.dead", "--limit", "1", "--amqp", broker)
    assert code == 0 and replayed.startswith(f"1 replayed to {QUEUE}")
    assert (waiting(broker, QUEUE), waiting(broker, f"{QUEUE}.dead")) == (1, 1)
    with Connection(broker) as connection:
        back = connection.channel().basic_get(QUEUE, no_ack=True)
    assert json.loads(back.body)["subject"] == "dead-1"
    assert ATTEMPT_HEADER not in (back.headers or {})  # its attempts start over

    with pytest.raises(SystemExit):
        main(["dlq", "purge", f"{QUEUE}.dead", "--amqp", broker])  # not without --yes
    code, purged = run(capsys, "purge", f"{QUEUE}.dead", "--yes", "--amqp", broker)
    assert purged.startswith("1 purged") and waiting(broker, f"{QUEUE}.dead") == 0


def test_only_loop311_dead_letter_queues_are_touched(broker, capsys):
    code = main(["dlq", "purge", QUEUE, "--yes", "--amqp", broker])
    assert code == 1 and "is not a Loop311 dead-letter queue" in capsys.readouterr().err
    assert waiting(broker, f"{QUEUE}.dead") == 2

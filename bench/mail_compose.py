"""CPU per email on the mailer's path: compose a confirmation as notify does, and write
out the bytes the SMTP session sends (no server, no database).

    .venv/bin/python bench/mail_compose.py [--emails N]

The last line is `compose_us=<median of 5 rounds, CPU microseconds per email>`.
"""
import argparse
import statistics
import time
import warnings
from types import SimpleNamespace

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from loop311_notify.adapters.smtp import as_sent, compose, sender_address  # noqa: E402
from loop311_notify.settings import NotifySettings  # noqa: E402

BODY = ("Thank you, Ada. Your service request number is {id}: Pothole Repair at "
        "100 Central Ave.\nWe will write again when the crew has been.\n")


def written_out(settings: NotifySettings, row) -> bytes:
    sender_address(settings.mail_from)
    return as_sent(compose(settings, row))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--emails", type=int, default=2000)
    args = parser.parse_args()
    settings = NotifySettings.from_config({"UNSUBSCRIBE_SECRET": "bench-secret"})
    rows = [SimpleNamespace(recipient=f"bench+{i}@example.org", request_id=str(i),
                            dedupe_key=f"confirmation:{i}", unsubscribe_url=None,
                            subject=f"We received your request {i}", body=BODY.format(id=i),
                            html=f"<p>{BODY.format(id=i)}</p>") for i in range(args.emails)]
    written_out(settings, rows[0])
    rounds = []
    for _ in range(5):
        started = time.process_time()
        for row in rows:
            written_out(settings, row)
        rounds.append((time.process_time() - started) / len(rows) * 1e6)
    print(f"{args.emails} confirmation emails (text and HTML, unsubscribe link), 5 rounds: "
          + ", ".join(f"{value:.0f}" for value in rounds) + " CPU µs per email")
    print(f"compose_us={statistics.median(rounds):.0f}")


if __name__ == "__main__":
    main()

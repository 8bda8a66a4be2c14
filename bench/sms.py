"""SMS benchmark: a burst of texts already in notify's ledger (a storm warning to every
subscriber), sent by two notify sender processes through the official twilio library to
the local provider (devtools/sms_provider.py), first unpaced, then paced through Redis.

Prints texts per second unpaced, and for the paced run its length and whether it honoured
the pace (N texts at R/s take at least (N-1)/R s) with none lost and none sent twice.
Builds its own database and processes and removes them. Usage:

    python bench/sms.py [--texts 1000] [--paced-rate 10] [--replicas 2]
"""
import argparse
import json
import secrets
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Scratch, exit_on_sigterm, free_port, stop_process, wait_until  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import loop311_notify  # noqa: E402
from loop311_notify.adapters.pacing import Pacer  # noqa: E402
from loop311_notify.adapters.texting import send_pending_texts, sms_provider  # noqa: E402
from loop311_notify.models import deliveries  # noqa: E402
from loop311_notify.repository import LedgerRepository  # noqa: E402
from loop311_notify.settings import NotifySettings  # noqa: E402
from loop311_shared.clock import utcnow  # noqa: E402
from loop311_shared.db import make_engine, migrate  # noqa: E402

TOKEN = "bench-twilio-token"
SENDER = "+17275550311"


def settings_for(provider_url: str) -> NotifySettings:
    # Status callbacks go to a closed port: this measures sending, not notify's web server.
    return NotifySettings.from_config({
        "TWILIO_ACCOUNT_SID": "ACbench", "TWILIO_AUTH_TOKEN": TOKEN, "SMS_FROM": SENDER,
        "SMS_BASE_URL": provider_url, "NOTIFY_PUBLIC_URL": f"http://127.0.0.1:{free_port()}"})


def sender(database_url: str, provider_url: str, rate: float, pace_key: str) -> None:
    """One notify replica's send loop, until the ledger has nothing pending."""
    settings = settings_for(provider_url)
    provider, pacer = sms_provider(settings), Pacer(settings.redis_url, pace_key, rate)
    engine = make_engine(database_url)
    with Session(engine) as session:
        while send_pending_texts(session, provider, pacer):
            pass
    engine.dispose()


def burst(scratch: Scratch, texts: int, rate: float, replicas: int, label: str) -> dict:
    database_url = scratch.database(label)
    engine = make_engine(database_url)
    scratch.on_exit(f"dispose {label} engine", engine.dispose)
    migrate(engine, Path(loop311_notify.__file__).parent / "migrations")
    with Session(engine) as session:
        ledger, now = LedgerRepository(session), utcnow()
        for number in range(texts):
            ledger.queue_delivery(f"storm:{label}:{number}", str(number), "sms",
                                  f"+1727555{number:04d}", "storm", f"Loop311: storm update "
                                  f"{number}. Reply STOP to stop.", now, kind="storm")
        session.commit()
    folder = Path(tempfile.mkdtemp(prefix=f"loop311-sms-{label}-"))
    port = free_port()
    scratch.spawn("sms provider", [sys.executable, "-m", "devtools.sms_provider", "--port",
                                   str(port), "--dir", str(folder), "--auth-token", TOKEN],
                  cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    provider_url = f"http://127.0.0.1:{port}"
    wait_until(lambda: _answers(provider_url), 20, what="the SMS provider")
    pace_key = f"loop311:bench-pace:{secrets.token_hex(4)}"
    started = time.perf_counter()
    workers = [scratch.spawn(f"sender {n}", [sys.executable, __file__, "--sender", database_url,
                                             provider_url, str(rate), pace_key])
               for n in range(replicas)]
    for worker in workers:
        worker.wait()
    elapsed = time.perf_counter() - started
    for worker in workers:
        stop_process(worker)
    stored = [json.loads(path.read_text()) for path in folder.glob("*.json")]
    with engine.connect() as connection:
        statuses = dict(connection.execute(select(deliveries.c.status, func.count())
                                           .group_by(deliveries.c.status)).all())
    twice = sum(1 for count in Counter(m["body"] for m in stored).values() if count > 1)
    return {"elapsed": elapsed, "stored": len(stored), "twice": twice, "statuses": statuses}


def _answers(url: str) -> bool:
    import requests
    try:
        requests.get(url, timeout=1)
        return True
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--paced-rate", type=float, default=10.0)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--sender", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sender:
        database_url, provider_url, rate, pace_key = args.sender
        return sender(database_url, provider_url, float(rate), pace_key)
    exit_on_sigterm()
    print(f"sms: {args.texts} texts in the ledger, {args.replicas} sender processes, "
          "twilio library -> local provider")
    with Scratch(f"loop311_bench_sms_{secrets.token_hex(3)}") as scratch:
        unpaced = burst(scratch, args.texts, 0, args.replicas, "unpaced")
        print(f"  unpaced: {unpaced['stored']} stored in {unpaced['elapsed']:.1f} s = "
              f"{unpaced['stored'] / unpaced['elapsed']:.1f} texts/s; ledger {unpaced['statuses']}; "
              f"sent twice: {unpaced['twice']}")
        paced = burst(scratch, args.texts, args.paced_rate, args.replicas, "paced")
        floor = (args.texts - 1) / args.paced_rate
        print(f"  paced at {args.paced_rate:g}/s across {args.replicas} replicas: "
              f"{paced['stored']} stored in {paced['elapsed']:.1f} s (the pace allows no less "
              f"than {floor:.1f} s: {'honoured' if paced['elapsed'] >= floor else 'BROKEN'}); "
              f"ledger {paced['statuses']}; lost: {args.texts - paced['stored']}; "
              f"sent twice: {paced['twice']}")


if __name__ == "__main__":
    main()

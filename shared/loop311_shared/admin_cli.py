"""`loop311-admin`: the operator's command line for what the admin APIs do.

    loop311-admin import catalog config/demo/catalog.yml      # intake
    loop311-admin import topics config/demo/topics.yml        # notify
    loop311-admin import history reports.csv --mapping mapping.yml [--jurisdiction ID]
                                                              # intake: learn categories
    loop311-admin import directory config/demo/directory.yml  # routing
    loop311-admin import policies config/demo/policies.yml    # sla
    loop311-admin dlq list|show|replay|purge [QUEUE]          # dead letters (the broker)
    loop311-admin queues migrate --to quorum                  # classic -> quorum queues

Each import is all or nothing; the answer names the version now in force. The token is
`--token` or LOOP311_ADMIN_TOKEN; `--wait` waits for the service to come up first. `dlq`
talks to the broker (`--amqp` or AMQP_URI): see loop311_shared.dead_letters.
"""
import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml
from urllib3 import encode_multipart_formdata

# Which service owns each kind of reference data, at its local default address.
OWNERS = {"catalog": "http://127.0.0.1:8001", "directory": "http://127.0.0.1:8002",
          "policies": "http://127.0.0.1:8003", "topics": "http://127.0.0.1:8004"}


def load_document(path: Path) -> dict:
    """A configuration file, with every `{file: …, name: …}` boundary reference replaced by
    the GeoJSON geometry it names (a path relative to the file; `name` picks a feature of
    a FeatureCollection by its `name` property)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document = yaml.load(Path(path).read_text(), Loader=loader)
    return _resolve(document, Path(path).parent, {})


def _resolve(value, folder: Path, files: dict):
    if isinstance(value, list):
        return [_resolve(item, folder, files) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) <= {"file", "name"} and "file" in value:
        path = folder / value["file"]
        if path not in files:  # one file serves many boundaries: read it once
            files[path] = json.loads(path.read_text())
        return _geometry(path, files[path], value.get("name"))
    return {key: _resolve(item, folder, files) for key, item in value.items()}


def _geometry(path: Path, collection: dict, name: str | None) -> dict:
    features = collection.get("features", [collection])
    chosen = [f for f in features if name is None or f.get("properties", {}).get("name") == name]
    if len(chosen) != 1:
        raise ValueError(f"{path}: {len(chosen)} features named {name!r}, expected one")
    return chosen[0]["geometry"]


def import_document(base_url: str, kind: str, document: dict, token: str,
                    timeout: float = 30) -> dict:
    """PUT the document to the owner's admin API; raise RuntimeError with its answer."""
    request = urllib.request.Request(
        f"{base_url.rstrip('/')}/admin/v1/{kind}", data=json.dumps(document).encode(),
        method="PUT", headers={"Content-Type": "application/json",
                               "Authorization": f"Bearer {token}"})
    return answer_to(request, kind, timeout)


def answer_to(request: urllib.request.Request, kind: str, timeout: float) -> dict:
    """The JSON answer; RuntimeError with the service's own words when it refuses."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"{kind} import refused ({error.code}): "
                           f"{error.read().decode(errors='replace')}") from None


def import_history(base_url: str, reports: Path, mapping: dict, jurisdiction_id: str | None,
                   token: str, timeout: float = 120) -> dict:
    """POST a city's past reports (CSV or JSON, sent as they are) and the mapping of its
    categories to intake; its answer says what was imported and the training run queued."""
    fields = {"mapping": json.dumps(mapping)}
    if jurisdiction_id:
        fields["jurisdiction_id"] = jurisdiction_id
    fields["reports"] = (reports.name, reports.read_bytes(), "application/octet-stream")
    body, content_type = encode_multipart_formdata(fields)
    request = urllib.request.Request(
        f"{base_url.rstrip('/')}/admin/v1/category-history", data=body, method="POST",
        headers={"Content-Type": content_type, "Authorization": f"Bearer {token}"})
    return answer_to(request, "history", timeout)


def wait_for(base_url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{base_url.rstrip('/')}/health", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers; not healthy yet is the import's business
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{base_url} did not answer within {seconds:.0f}s") from None
            time.sleep(0.5)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="loop311-admin", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    importing = commands.add_parser("import", help="import a configuration document")
    importing.add_argument("kind", choices=sorted([*OWNERS, "history"]))
    importing.add_argument("file", type=Path)
    importing.add_argument("--mapping", type=Path, help="history: a YAML or JSON file of "
                           "history category name -> service_code")
    importing.add_argument("--jurisdiction", help="history: whose (default: the platform's)")
    importing.add_argument("--url", help="the owning service (default: its local address)")
    importing.add_argument("--token", default=os.environ.get("LOOP311_ADMIN_TOKEN"))
    importing.add_argument("--wait", type=float, default=0, metavar="SECONDS")
    dlq = commands.add_parser("dlq", help="list, show, replay or purge dead letters")
    dlq.add_argument("action", choices=("list", "show", "replay", "purge"))
    dlq.add_argument("queue", nargs="?", help="a dead-letter queue (show, replay, purge)")
    dlq.add_argument("--limit", type=int, default=10)
    dlq.add_argument("--yes", action="store_true", help="purge: yes, drop them for good")
    dlq.add_argument("--amqp", default=os.environ.get(
        "AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/"))
    queues = commands.add_parser("queues", help="move the platform's queues to a new type")
    queues.add_argument("action", choices=("migrate",))
    queues.add_argument("--to", required=True, choices=("classic", "quorum"))
    queues.add_argument("--retry-delays-ms", default=os.environ.get(
        "EVENT_RETRY_DELAYS_MS", "1000,5000,30000,120000,600000"))
    queues.add_argument("--amqp", default=os.environ.get(
        "AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/"))
    args = parser.parse_args(argv)
    if args.command == "dlq":
        return dead_letters_command(parser, args)
    if args.command == "queues":
        from .queue_migration import migrate

        delays = [int(part) for part in args.retry_delays_ms.split(",") if part.strip()]
        for name, count in migrate(args.amqp, args.to, delays).items():
            print(f"{count:8d}  {name} (now {args.to})")
        return 0
    if not args.token:
        parser.error("an admin token is needed: --token or LOOP311_ADMIN_TOKEN")
    if args.kind == "history":
        return history_command(parser, args)
    url = args.url or OWNERS[args.kind]
    try:
        document = load_document(args.file)
        if args.wait:
            wait_for(url, args.wait)
        answer = import_document(url, args.kind, document, args.token)
    except (OSError, ValueError, yaml.YAMLError, RuntimeError) as error:
        print(f"loop311-admin: {error}", file=sys.stderr)
        return 1
    print(f"{args.kind}: version {answer['version']} imported into {url} "
          f"({answer.get('summary', '')})".replace(" ()", ""))
    return 0


def history_command(parser, args) -> int:
    if not args.mapping:
        parser.error("import history needs --mapping (history category -> service_code)")
    url = args.url or OWNERS["catalog"]
    try:
        mapping = yaml.safe_load(args.mapping.read_text())
        if args.wait:
            wait_for(url, args.wait)
        answer = import_history(url, args.file, mapping, args.jurisdiction, args.token)
    except (OSError, ValueError, yaml.YAMLError, RuntimeError) as error:
        print(f"loop311-admin: {error}", file=sys.stderr)
        return 1
    ignored = answer["ignored_categories"]
    print(f"history: {answer['examples']} reports imported into {url} for "
          f"{answer['jurisdiction_id']}; training run {answer['training_run']} queued"
          + (f"; ignored (not in the mapping): {ignored}" if ignored else ""))
    return 0


def dead_letters_command(parser, args) -> int:
    from . import dead_letters

    if args.action != "list" and not args.queue:
        parser.error(f"dlq {args.action} needs the queue (see `loop311-admin dlq list`)")
    if args.action == "purge" and not args.yes:
        parser.error("dlq purge drops the messages for good: add --yes")
    try:
        if args.action == "list":
            for name, waiting in dead_letters.counts(args.amqp).items():
                print(f"{waiting:8d}  {name}")
        elif args.action == "show":
            for message in dead_letters.show(args.amqp, args.queue, args.limit):
                print(json.dumps(message))
        elif args.action == "replay":
            print(f"{dead_letters.replay(args.amqp, args.queue, args.limit)} replayed to "
                  f"{args.queue.removesuffix('.dead')}")
        else:
            print(f"{dead_letters.purge(args.amqp, args.queue)} purged from {args.queue}")
    except (OSError, ValueError) as error:
        print(f"loop311-admin: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

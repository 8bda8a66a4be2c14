"""A local SMS provider for `make run`, the tests and the benchmark. It speaks Twilio's
Messages API (POST /2010-04-01/Accounts/<sid>/Messages.json) and the generic JSON API of
notify's http adapter (POST /v1/messages, bearer token).

Every message it accepts is stored as one JSON file under --dir (to, from, body, sid …),
and a signed status callback (X-Twilio-Signature as Twilio signs them, or
X-Loop311-Signature for the generic API) is sent to the message's callback: `delivered`,
or `undelivered` for numbers listed in --undeliverable. A message sent again with the
same Idempotency-Key header is answered as the first, and not stored twice.

    python -m devtools.sms_provider --port 8005 --dir var/sms --auth-token local-twilio-token
"""
import argparse
import hashlib
import hmac
import json
import threading
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from twilio.request_validator import RequestValidator


def keep(path: Path, record: dict) -> None:
    """Write the file whole or not at all: whoever reads the folder never sees half."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(record))
    partial.replace(path)


def make_handler(folder: Path, auth_token: str, undeliverable: set[str]):
    validator = RequestValidator(auth_token)
    counter = iter(range(1, 10**9))
    lock = threading.Lock()

    seen: dict[str, dict] = {}  # Idempotency-Key -> the message it created

    class Messages(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            parts = self.path.strip("/").split("/")
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length)
            if parts == ["v1", "messages"]:
                if self.headers.get("Authorization") != f"Bearer {auth_token}":
                    return self._answer(401, {"message": "bad bearer token"})
                fields = json.loads(raw or b"{}")
                to, sender, body = fields.get("to", ""), fields.get("from"), fields.get("body")
                status_callback, generic = fields.get("status_callback"), True
            elif len(parts) == 4 and parts[0] == "2010-04-01" and parts[3] == "Messages.json":
                form = dict(urllib.parse.parse_qsl(raw.decode()))
                to, sender, body = form.get("To", ""), form.get("From"), form.get("Body")
                status_callback, generic = form.get("StatusCallback"), False
            else:
                return self._answer(404, {"code": 20404, "message": "not found"})
            if not to.startswith("+") or not body:
                return self._answer(400, {"code": 21211, "message": "invalid To or empty Body",
                                          "status": 400})
            key = self.headers.get("Idempotency-Key")
            with lock:
                if key and key in seen:
                    return self._answer(200, seen[key])
                sid = "SM" + uuid.uuid4().hex
                message = {"sid": sid, "id": sid, "account_sid": parts[2] if not generic else None,
                           "to": to, "from": sender, "body": body, "status": "queued",
                           "status_callback": status_callback, "idempotency_key": key}
                keep(folder / f"{next(counter):06d}-{sid}.json", message)
                if key:
                    seen[key] = message
            self._answer(201, message)
            if status_callback:
                status = "undelivered" if to in undeliverable else "delivered"
                threading.Thread(target=callback, daemon=True,
                                 args=(status_callback, sid, status, generic)).start()

        def _answer(self, code, body):
            payload = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    def callback(url, sid, status, generic):
        if generic:
            body = json.dumps({"id": sid, "status": status}).encode()
            headers = {"Content-Type": "application/json", "X-Loop311-Signature": hmac.new(
                auth_token.encode(), body, hashlib.sha256).hexdigest()}
        else:
            params = {"MessageSid": sid, "MessageStatus": status}
            body = urllib.parse.urlencode(params).encode()
            headers = {"X-Twilio-Signature": validator.compute_signature(url, params),
                       "Content-Type": "application/x-www-form-urlencoded"}
        request = urllib.request.Request(url, data=body, headers=headers)
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except OSError:
            pass  # Twilio does not retry status callbacks either

    return Messages


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8005)
    parser.add_argument("--dir", type=Path, default=Path("var/sms"))
    parser.add_argument("--auth-token", default="local-twilio-token",
                        help="Twilio's auth token, and the generic API's bearer token")
    parser.add_argument("--undeliverable", default="", help="comma-separated numbers")
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    undeliverable = {n.strip() for n in args.undeliverable.split(",") if n.strip()}
    server = ThreadingHTTPServer(("127.0.0.1", args.port),
                                 make_handler(args.dir, args.auth_token, undeliverable))
    print(f"SMS provider on http://127.0.0.1:{args.port}, messages in {args.dir}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

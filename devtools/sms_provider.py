"""A local SMS provider that speaks Twilio's Messages API, for `make run` and the tests.

Every message it accepts is stored as one JSON file under --dir (to, from, body, sid …),
and a signed status callback (X-Twilio-Signature, as Twilio signs them) is sent to the
message's StatusCallback: `delivered`, or `undelivered` for numbers listed in --undeliverable.

    python -m devtools.sms_provider --port 8005 --dir var/sms --auth-token local-twilio-token
"""
import argparse
import json
import threading
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from twilio.request_validator import RequestValidator


def make_handler(folder: Path, auth_token: str, undeliverable: set[str]):
    validator = RequestValidator(auth_token)
    counter = iter(range(1, 10**9))
    lock = threading.Lock()

    class Messages(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            parts = self.path.strip("/").split("/")
            if len(parts) != 4 or parts[0] != "2010-04-01" or parts[3] != "Messages.json":
                return self._answer(404, {"code": 20404, "message": "not found"})
            length = int(self.headers.get("Content-Length", 0))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            if not form.get("To", "").startswith("+") or not form.get("Body"):
                return self._answer(400, {"code": 21211, "message": "invalid To or empty Body",
                                          "status": 400})
            sid = "SM" + uuid.uuid4().hex
            message = {"sid": sid, "account_sid": parts[2], "to": form["To"],
                       "from": form.get("From"), "body": form["Body"], "status": "queued",
                       "status_callback": form.get("StatusCallback")}
            with lock:
                (folder / f"{next(counter):06d}-{sid}.json").write_text(json.dumps(message))
            self._answer(201, message)
            if form.get("StatusCallback"):
                status = "undelivered" if form["To"] in undeliverable else "delivered"
                threading.Thread(target=callback, daemon=True,
                                 args=(form["StatusCallback"], sid, status)).start()

        def _answer(self, code, body):
            payload = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    def callback(url, sid, status):
        params = {"MessageSid": sid, "MessageStatus": status}
        request = urllib.request.Request(url, data=urllib.parse.urlencode(params).encode(), headers={
            "X-Twilio-Signature": validator.compute_signature(url, params),
            "Content-Type": "application/x-www-form-urlencoded"})
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except OSError:
            pass  # Twilio does not retry status callbacks either

    return Messages


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8005)
    parser.add_argument("--dir", type=Path, default=Path("var/sms"))
    parser.add_argument("--auth-token", default="local-twilio-token")
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

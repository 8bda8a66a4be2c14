"""A webhook endpoint on this machine, for the tests and the benchmark: it keeps every POST
(path, body, headers, when it came) and answers what `answer(request, tries)` returns
(204 by default; `tries` counts this request's webhook-id on its path, this one included).
`answer` may take its time, as a slow endpoint would: each request has its own thread."""
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookReceiver:
    def __init__(self, answer=None):
        self.answer = answer or (lambda request, tries: 204)
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do

            def do_POST(self):
                request = {"path": self.path, "at": time.monotonic(),
                           "body": self.rfile.read(int(self.headers["content-length"])),
                           "headers": dict(self.headers.items())}
                with receiver.lock:
                    receiver.requests.append(request)
                    tries = sum(1 for kept in receiver.requests if kept["path"] == self.path
                                and kept["headers"].get("webhook-id") ==
                                request["headers"].get("webhook-id"))
                self.send_response(receiver.answer(request, tries))
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def received(self, path: str | None = None) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if path is None or r["path"] == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

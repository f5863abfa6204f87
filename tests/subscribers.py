"""Real WebSub subscribers: an HTTP server on 127.0.0.1 whose callbacks behave as told.

/ok/NAME answers verification and takes deliveries; /slow/NAME takes each
delivery after `slow_seconds`; /failing/NAME answers every delivery 500;
/deny/NAME will not confirm a subscription.
"""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Subscribers:
    port: int = 0
    slow_seconds: float = 3.0
    verifications: list[dict] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, kind: str, name: str = "x") -> str:
        return f"http://127.0.0.1:{self.port}/{kind}/{name}"

    def received(self, path_part: str) -> list[Delivery]:
        with self.lock:
            return [d for d in self.deliveries if path_part in d.path]

    def verified(self, path_part: str) -> list[dict]:
        with self.lock:
            return [v for v in self.verifications if path_part in v["path"]]


def serve(subscribers: Subscribers) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args) -> None:
            pass

        def _answer(self, status: int, body: bytes = b"") -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            with subscribers.lock:
                subscribers.verifications.append({"path": parts.path, **query})
            if parts.path.startswith("/deny/"):
                self._answer(404)
            else:
                self._answer(200, query.get("hub.challenge", "").encode())

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path.startswith("/slow/"):
                time.sleep(subscribers.slow_seconds)
            delivery = Delivery(self.path, dict(self.headers), body, time.monotonic())
            with subscribers.lock:
                subscribers.deliveries.append(delivery)
            self._answer(500 if self.path.startswith("/failing/") else 204)

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # not 5: a build pings and delivers many at once

    server = Server(("127.0.0.1", subscribers.port), Handler)
    server.daemon_threads = True
    subscribers.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server

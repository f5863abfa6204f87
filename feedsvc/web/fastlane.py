"""The feed fast lane: a bare ASGI handler for published files, in front of the app.

Pollers fetch feeds all day, so this path does no routing, no rendering and no
compression: it looks the file up among the ready ones, compares validators and
writes bytes that were prepared when the build published them. Everything else
(/healthz, /metrics, /websub, /api) goes on to the Starlette app.
"""

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from feedsvc.web.accesslog import AccessLog
from feedsvc.web.conditional import accepts, not_modified
from feedsvc.web.metrics import RequestTally
from feedsvc.web.ratelimit import ClientAddress, RateLimiter
from feedsvc.web.ready import Ready, ReadyFiles, Variant

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PAGES = {"/": "index.html", "/feeds.opml": "feeds.opml"}
ALLOW = [(b"allow", b"GET, HEAD"), (b"content-type", b"text/plain; charset=utf-8")]
NOT_FOUND = b"not found (or not built yet)\n"
PLAIN = [(b"content-type", b"text/plain; charset=utf-8")]
ENCODINGS_SEEN = 256  # distinct Accept-Encoding values whose choice is remembered


class FastLane:
    def __init__(
        self,
        files: ReadyFiles,
        app: ASGIApp,
        *,
        limiter: RateLimiter | None,
        clients: ClientAddress,
        tally: RequestTally,
        access_log: AccessLog | None,
    ) -> None:
        self.files = files
        self.app = app
        self.limiter = limiter
        self.clients = clients
        self.tally = tally
        self.access_log = access_log
        self._encodings: dict[bytes, str] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        relative = PAGES.get(path) or (path[1:] if path.startswith("/feeds/") else None)
        if relative is None:
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status, sent, headers = await self._answer(scope, relative, send)
        self.tally.add(relative if status != 404 else "", status, sent)
        if self.access_log is not None:
            client = self._client(scope, headers)
            agent = headers.get(b"user-agent", b"")
            took = time.monotonic() - started
            self.access_log.add(client, scope["method"], path, status, sent, agent, took)

    async def _answer(
        self, scope: Scope, relative: str, send: Send
    ) -> tuple[int, int, dict[bytes, bytes]]:
        headers = dict(scope["headers"])
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            body = f"{method} is not allowed here: feeds are read with GET or HEAD\n".encode()
            return 405, await _send(send, 405, ALLOW, body), headers
        ready = self.files.get(relative)
        if ready is None:
            return 404, await _send(send, 404, PLAIN, NOT_FOUND), headers
        variant = self._variant(ready, headers.get(b"accept-encoding"))
        if _unchanged(ready, headers):
            # No Content-Length: on a 304 it would have to be the full body's (RFC 9110).
            await send(
                {"type": "http.response.start", "status": 304, "headers": variant.not_modified}
            )
            await send({"type": "http.response.body", "body": b""})
            return 304, 0, headers
        if self.limiter is not None:
            wait = self.limiter.wait(self._client(scope, headers), relative, time.monotonic())
            if wait:
                retry = [(b"retry-after", str(wait).encode()), *PLAIN]
                message = f"too many full fetches of this file; retry in {wait} s\n".encode()
                return 429, await _send(send, 429, retry, message), headers
        body = b"" if method == "HEAD" else variant.body
        await send({"type": "http.response.start", "status": 200, "headers": variant.full})
        await send({"type": "http.response.body", "body": body})
        return 200, len(body), headers

    def _client(self, scope: Scope, headers: dict[bytes, bytes]) -> str:
        peer = scope["client"][0] if scope.get("client") else ""
        return self.clients.of(peer, headers.get(b"x-forwarded-for"))

    def _variant(self, ready: Ready, accept_encoding: bytes | None) -> Variant:
        if not accept_encoding:
            return ready.plain
        coding = self._encodings.get(accept_encoding)
        if coding is None:
            text = accept_encoding.decode("latin-1")
            offered = ("br", "gzip") if self.files.serving.brotli else ("gzip",)
            coding = next((c for c in offered if accepts(text, c)), "identity")
            if len(self._encodings) < ENCODINGS_SEEN:
                self._encodings[accept_encoding] = coding
        if coding == "br" and ready.brotli is not None:
            return ready.brotli
        return ready.gzip if coding != "identity" else ready.plain


def _unchanged(ready: Ready, headers: dict[bytes, bytes]) -> bool:
    """If-None-Match decides when present; only otherwise does If-Modified-Since."""
    if (tag := headers.get(b"if-none-match")) is not None:
        return ready.matches(tag)
    if (since := headers.get(b"if-modified-since")) is not None:
        return not_modified(None, since.decode("latin-1"), ready.etags, ready.mtime)
    return False


async def _send(send: Send, status: int, headers: list, body: bytes) -> int:
    length = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + length})
    await send({"type": "http.response.body", "body": body})
    return len(body)

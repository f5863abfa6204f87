"""The feed fast lane: published files answered without routing, rendering or compression.

Pollers fetch feeds all day, so this path looks the file up among the ready ones,
compares validators and hands back bytes that were prepared when the build
published them. `FastLane.decide` makes that answer; the lane is reached two ways:
as an ASGI app in front of the Starlette app (every server), and straight from
uvicorn's HTTP protocol (`feedsvc.web.protocol`), which skips the ASGI machinery.
Everything else (/healthz, /metrics, /websub, /api) goes on to the Starlette app.
"""

import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from feedsvc.core.audience import AGENT_MOST
from feedsvc.core.layout import CORS, INDEX_PAGE, OPML_FILE, PREFLIGHT
from feedsvc.web.accesslog import AccessLog
from feedsvc.web.audience import AudienceTally
from feedsvc.web.conditional import accepts, unmodified_since
from feedsvc.web.metrics import RequestTally
from feedsvc.web.ratelimit import NOT_MODIFIED_COST, ClientAddress, RateLimiter
from feedsvc.web.ready import Headers, Ready, ReadyFiles, Variant, encoded, header_block

if TYPE_CHECKING:
    from feedsvc.web.reload import ConfigWatch

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PAGES = {"/": INDEX_PAGE, f"/{OPML_FILE}": OPML_FILE}
PLAIN = [(b"content-type", b"text/plain; charset=utf-8")]
ENCODINGS_SEEN = 256  # distinct Accept-Encoding values whose choice is remembered


def published(path: str) -> str | None:
    """The published file a request path asks for, or None when the path is not the lane's."""
    return PAGES.get(path) or (path[1:] if path.startswith("/feeds/") else None)


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Headers
    block: bytes  # the headers as wire lines
    body: bytes


def _message(status: int, text: str, extra: Sequence[tuple[bytes, bytes]] = ()) -> Reply:
    body = text.encode()
    headers = [*extra, *PLAIN, (b"content-length", str(len(body)).encode())]
    return Reply(status, headers, header_block(headers), body)


# A browser-based reader sees these answers too, not a CORS error in their place.
NOT_FOUND = _message(404, "not found (or not built yet)\n", encoded(CORS))
GONE = _message(410, "gone: this feed has had no article for a long while\n", encoded(CORS))
_PREFLIGHT = [*encoded(PREFLIGHT), (b"allow", b"GET, HEAD, OPTIONS")]
PREFLIGHT_REPLY = Reply(204, _PREFLIGHT, header_block(_PREFLIGHT), b"")


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
        audience: AudienceTally | None = None,
    ) -> None:
        self.files = files
        self.audience = audience
        self.app = app
        self.limiter = limiter
        self.clients = clients
        self.tally = tally
        self.access_log = access_log
        self._encodings: dict[bytes, str] = {}
        # The running service's: reads the config again (set by create_app).
        self.config_watch: ConfigWatch | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        relative = published(path)
        if relative is None:
            await self.app(scope, receive, send)
            return
        peer = scope["client"][0] if scope.get("client") else ""
        reply = self.decide(scope["method"], path, relative, dict(scope["headers"]), peer)
        await send(
            {"type": "http.response.start", "status": reply.status, "headers": reply.headers}
        )
        await send({"type": "http.response.body", "body": reply.body})

    def decide(
        self, method: str, path: str, relative: str, headers: dict[bytes, bytes], peer: str
    ) -> Reply:
        """The answer to one request for a published file, counted and logged."""
        started = time.monotonic()
        client = self.clients.of(peer, headers.get(b"x-forwarded-for"))
        reply = self._reply(method, relative, headers, client)
        sent = len(reply.body)
        # A label only for a file that is published: any other path, whatever its answer,
        # counts under "", or every path an attacker makes up would be a new series.
        published_file = reply.status in (200, 304, 429)
        self.tally.add(relative if published_file else "", reply.status, sent)
        agent = headers.get(b"user-agent", b"")[:AGENT_MOST]  # all that is read or logged
        if self.audience is not None and reply.status in (200, 304):
            self.audience.saw(relative, agent, client, time.time())
        if self.access_log is not None:
            took = time.monotonic() - started
            self.access_log.add(client, method, path, reply.status, sent, agent, took)
        return reply

    def _reply(self, method: str, relative: str, headers: dict[bytes, bytes], client: str) -> Reply:
        if method == "OPTIONS":
            return PREFLIGHT_REPLY
        if method not in ("GET", "HEAD"):
            text = f"{method} is not allowed here: feeds are read with GET or HEAD\n"
            return _message(405, text, [(b"allow", b"GET, HEAD, OPTIONS")])
        self.files.refresh()
        ready = self.files.get(relative)
        if ready is None:
            return GONE if self.files.gone(relative) else NOT_FOUND
        variant = self._variant(ready, headers.get(b"accept-encoding"))
        unchanged = _unchanged(ready, headers)
        if self.limiter is not None:
            cost = NOT_MODIFIED_COST if unchanged else 1.0
            wait = self.limiter.wait(client, relative, time.monotonic(), cost)
            if wait:
                text = f"too many fetches of this file; retry in {wait} s\n"
                return _message(429, text, [(b"retry-after", str(wait).encode())])
        if unchanged:
            # No Content-Length: on a 304 it would have to be the full body's (RFC 9110).
            return Reply(304, variant.not_modified, variant.not_modified_block, b"")
        body = b"" if method == "HEAD" else variant.body
        return Reply(200, variant.full, variant.full_block, body)

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
        return unmodified_since(since.decode("latin-1"), ready.mtime)
    return False

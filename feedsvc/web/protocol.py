"""uvicorn's httptools protocol with the feed fast lane built in.

A poll for a published file is answered as soon as its headers are parsed: the
lane decides, and the status line, headers and body go out in one write. No ASGI
scope, task or messages are made for it; those cost more than everything else a
poll needs. Any other request (and any request queued behind one still being
answered) takes uvicorn's usual way to the ASGI app, which has the same lane in
front of it, so the answers are the same either way.

It also holds every connection to limits uvicorn does not set (`Limits`): the
bytes and seconds a request head may take, the seconds its body may take and the
rate it must keep, and the connections a worker keeps. At the cap a new
connection is let in and another gives way: the one idle longest (no request in
flight), as nginx reuses idle keep-alive connections; with none idle, the request
in flight that has sent the fewest bytes for its time (a slow head or body: a
reader's poll is answered as soon as its head is in, so it never is one); only
when every other connection is being answered is the new one told 503.

This subclasses uvicorn internals (`HttpToolsProtocol`), so pyproject.toml pins
uvicorn's minor versions; the HTTP tests run every answer through it.
"""

import asyncio
import logging
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from feedsvc.web.fastlane import FastLane, published
from feedsvc.web.ready import header_block


class _Answered:
    """Stands in for uvicorn's request cycle once the lane has answered in full."""

    response_complete = True
    disconnected = False
    message_event = SimpleNamespace(set=lambda: None)


ANSWERED = _Answered()
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """What one connection may hold (server.* in the config; defaults here)."""

    header_bytes: int = 16_384
    header_timeout: float = 10.0
    body_timeout: float = 60.0
    max_connections: int = 1000
    # A body must come at this many bytes a second, over each BODY_RATE_WINDOW.
    body_min_rate: int = 1024


BODY_RATE_WINDOW = 5.0  # seconds over which a body's rate is measured


def _refusal(status: int, reason: str) -> bytes:
    text = reason.encode() + b"\n"
    return (
        STATUS_LINE[status] + b"content-type: text/plain; charset=utf-8\r\n"
        b"connection: close\r\ncontent-length: " + str(len(text)).encode() + b"\r\n\r\n" + text
    )


class FeedProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, limits: Limits = Limits(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._head: int | None = 0  # bytes of a head being read; None while a request runs
        self._idle_since = time.monotonic()
        self._deadline: asyncio.TimerHandle | None = None
        self._request_began = self._idle_since  # the request being read: since when,
        self._request_bytes = 0  # and how many of its bytes are in
        self._in_body = False  # its head is in and its body is not yet
        self._rate_check: asyncio.TimerHandle | None = None
        self._rate_mark = 0  # bytes in at the last rate check
        self._heads_read = 0  # request heads parsed on this connection

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.limits.header_timeout, 408, "the request head took too long")
        if len(self.connections) > self.limits.max_connections and not self._make_room():
            self._refuse(503, "too many connections; try again shortly")

    def _make_room(self) -> bool:
        """Close the connection that has waited longest with no request in flight, else
        refuse the request being read that has sent the fewest bytes for its time."""
        # The server's connection set holds ours only (this class is its protocol).
        others = [
            c
            for c in self.connections
            if isinstance(c, FeedProtocol) and c is not self and not c.transport.is_closing()
        ]
        idle = [c for c in others if c._head == 0]
        if idle:
            min(idle, key=lambda c: c._idle_since).transport.close()
            return True
        reading = [c for c in others if c._head or c._in_body]
        if not reading:
            return False
        now = time.monotonic()
        slowest = min(reading, key=lambda c: c._request_bytes / max(now - c._request_began, 1.0))
        slowest._refuse(503, "the server is full, and this request was the slowest")
        return True

    def _arm(self, seconds: float, status: int, reason: str) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._refuse, status, reason)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _refuse(self, status: int, reason: str) -> None:
        """Answer `status` (unless an answer has begun) and close the connection."""
        self._disarm()
        if self.transport.is_closing():
            return
        self._stop_rate_check()
        log.info("%s: %d %s", self.client[0] if self.client else "?", status, reason)
        if self.cycle is None or self.cycle.response_complete or not self.cycle.response_started:
            self.transport.write(_refusal(status, reason))
        self.transport.close()

    def _check_rate(self) -> None:
        """A body that came at less than body_min_rate over the last window is cut (408)."""
        self._rate_check = None
        if not self._in_body or self.transport.is_closing():
            return
        came = self._request_bytes - self._rate_mark
        if came < self.limits.body_min_rate * BODY_RATE_WINDOW:
            self._refuse(408, f"the request body came at under {self.limits.body_min_rate} B/s")
            return
        self._rate_mark = self._request_bytes
        self._rate_check = self.loop.call_later(BODY_RATE_WINDOW, self._check_rate)

    def _stop_rate_check(self) -> None:
        self._in_body = False
        if self._rate_check is not None:
            self._rate_check.cancel()
            self._rate_check = None

    def data_received(self, data: bytes) -> None:
        if self._head == 0:  # the first bytes of a request
            self._request_began, self._request_bytes = time.monotonic(), 0
        self._request_bytes += len(data)
        heads_before = self._heads_read
        super().data_received(data)
        if self._head is not None and not self.transport.is_closing():
            # Still in a head after this chunk: all of it is that head's when no head
            # ended in it; when one did (requests pipelined in one read), what follows
            # is the start of the next, counted from the next chunk on.
            self._head = 0 if self._heads_read != heads_before else self._head + len(data)
            if self._head > self.limits.header_bytes:
                self._refuse(431, f"request head over {self.limits.header_bytes:,} bytes")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:
            self._arm(self.limits.header_timeout, 408, "the request head took too long")

    def on_message_complete(self) -> None:
        self._disarm()
        self._stop_rate_check()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        idle = not self.pipeline  # else the next request in the pipeline starts now
        super().on_response_complete()
        if idle:
            self._head, self._idle_since = 0, time.monotonic()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._stop_rate_check()
        super().connection_lost(exc)

    def on_headers_complete(self) -> None:
        self._head = None
        self._heads_read += 1
        self._arm(self.limits.body_timeout, 408, "the request body took too long")
        lane = self.app
        method = self.parser.get_method()
        if (
            isinstance(lane, FastLane)
            and method in (b"GET", b"HEAD")
            and (self.cycle is None or self.cycle.response_complete)
            and not self.parser.should_upgrade()
        ):
            try:
                path = httptools.parse_url(self.url).path.decode("ascii")
            except (httptools.HttpParserInvalidURLError, UnicodeDecodeError):
                path = ""  # uvicorn's own way reports it
            if "%" in path:
                path = unquote(path)
            relative = published(path)
            if relative is not None:
                self._answer(lane, method.decode(), path, relative)
                return
        super().on_headers_complete()
        self._in_body, self._rate_mark = True, self._request_bytes
        self._rate_check = self.loop.call_later(BODY_RATE_WINDOW, self._check_rate)

    def _answer(self, lane: FastLane, method: str, path: str, relative: str) -> None:
        keep_alive = self.parser.get_http_version() != "1.0" and self.parser.should_keep_alive()
        peer = self.client[0] if self.client else ""
        reply = lane.decide(method, path, relative, dict(self.headers), peer)
        head = [STATUS_LINE[reply.status], header_block(self.server_state.default_headers)]
        head.append(reply.block)
        if not keep_alive:
            head.append(b"connection: close\r\n")
        head.append(b"\r\n")
        self.transport.writelines([b"".join(head), reply.body])
        self.cycle = ANSWERED  # type: ignore[assignment]
        self.on_response_complete()
        if not keep_alive:
            self.transport.close()

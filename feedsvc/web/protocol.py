"""uvicorn's httptools protocol with the feed fast lane built in.

A poll for a published file is answered as soon as its headers are parsed: the
lane decides, and the status line, headers and body go out in one write. No ASGI
scope, task or messages are made for it; those cost more than everything else a
poll needs. Any other request (and any request queued behind one still being
answered) takes uvicorn's usual way to the ASGI app, which has the same lane in
front of it, so the answers are the same either way.

It also holds every connection to limits uvicorn does not set (`Limits`): the
bytes and seconds a request head may take, the seconds its body may take, and
the connections a worker keeps. At the cap, the connection idle longest (no
request in flight) is closed to make room, as nginx reuses idle keep-alive
connections; with none idle, the new one is told 503.

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

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.limits.header_timeout, 408, "the request head took too long")
        if len(self.connections) > self.limits.max_connections and not self._make_room():
            self._refuse(503, "too many connections; try again shortly")

    def _make_room(self) -> bool:
        """Close the connection that has waited longest with no request in flight."""
        # The server's connection set holds ours only (this class is its protocol).
        idle = [
            c
            for c in self.connections
            if isinstance(c, FeedProtocol) and c is not self and c._head is not None
        ]
        if not idle:
            return False
        oldest = min(idle, key=lambda c: c._idle_since)
        oldest.transport.close()
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
        log.info("%s: %d %s", self.client[0] if self.client else "?", status, reason)
        if self.cycle is None or self.cycle.response_complete:
            self.transport.write(_refusal(status, reason))
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._head is not None and not self.transport.is_closing():
            self._head += len(data)  # still in the head after this chunk
            if self._head > self.limits.header_bytes:
                self._refuse(431, f"request head over {self.limits.header_bytes:,} bytes")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:
            self._arm(self.limits.header_timeout, 408, "the request head took too long")

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        idle = not self.pipeline  # else the next request in the pipeline starts now
        super().on_response_complete()
        if idle:
            self._head, self._idle_since = 0, time.monotonic()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_headers_complete(self) -> None:
        self._head = None
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

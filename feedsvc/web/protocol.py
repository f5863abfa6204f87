"""uvicorn's httptools protocol with the feed fast lane built in.

A poll for a published file is answered as soon as its headers are parsed: the
lane decides, and the status line, headers and body go out in one write. No ASGI
scope, task or messages are made for it; those cost more than everything else a
poll needs. Any other request (and any request queued behind one still being
answered) takes uvicorn's usual way to the ASGI app, which has the same lane in
front of it, so the answers are the same either way.

This subclasses uvicorn internals (`HttpToolsProtocol`), so pyproject.toml pins
uvicorn's minor versions; the HTTP tests run every answer through it.
"""

from types import SimpleNamespace
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


class FeedProtocol(HttpToolsProtocol):
    def on_headers_complete(self) -> None:
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

"""The built-in hub's endpoint: subscription requests, verified by a GET to the callback."""

import asyncio
import logging
import secrets
from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlencode

import httpx
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from feedsvc.core.layout import content_type
from feedsvc.feeds.specs import is_topic, public_url
from feedsvc.web.bodies import TooLarge, read_body
from feedsvc.websub.callbacks import callback_host, refusal
from feedsvc.websub.context import WebSubContext, WebSubPart

log = logging.getLogger(__name__)

MAX_SECRET = 200  # bytes (WebSub 5.1)
MAX_FORM = 16_384
# Verifications waiting on callbacks (each may hang for the whole timeout): per callback
# host, and in all. Past them a request is refused at once with 429, Retry-After.
PENDING_PER_HOST = 8
PENDING_MAX = 256
RETRY_AFTER = 60  # seconds
# Subscriptions one topic takes, and of those, from one callback host (each spelling of
# an address counted as one): past them a new one is refused with 429 (a renewal never).
PER_TOPIC = 10_000
PER_TOPIC_HOST = 100


class Hub(WebSubPart):
    """The endpoint: checks a request, answers 202, and verifies intent in the background."""

    def __init__(self, context: WebSubContext) -> None:
        super().__init__(context)
        self._pending: Counter[str] = Counter()  # verifications under way, by callback host

    def topic_path(self, topic: str) -> str | None:
        """The published feed a topic URL names, or None when it is not one of ours."""
        base = self.settings.site.base_url
        if not topic.startswith(base):
            return None
        relative = unquote(topic.removeprefix(base))
        if content_type(relative) is None or not is_topic(relative):  # no "..", no dot files
            return None
        return relative if (self.settings.public_dir / relative).is_file() else None

    async def endpoint(self, request: Request) -> Response:
        try:
            body = await read_body(request, MAX_FORM)
        except TooLarge as exc:
            return PlainTextResponse(f"{exc}\n", status_code=413)
        if body is None:
            return Response(status_code=400)
        # WebSub requests are application/x-www-form-urlencoded (WebSub 5.1)
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        mode = form.get("hub.mode", "")
        if mode not in ("subscribe", "unsubscribe"):
            return _bad(
                "hub.mode: must be subscribe or unsubscribe (this hub carries only this "
                "site's own feeds, so it takes no publish requests)"
            )
        callback, topic = form.get("hub.callback", ""), form.get("hub.topic", "")
        if not topic:
            return _bad("hub.topic: required")
        relative = self.topic_path(topic)
        if relative is None:
            return _bad(f"hub.topic: {topic} is not a feed published here")
        # One spelling for every topic (%6Dain.rss is main.rss): deliveries look it up so.
        topic = public_url(self.settings.site.base_url, relative)
        if not callback:
            return _bad("hub.callback: required")
        # Before the callback's name is looked up: a flood is refused without a lookup each.
        host = callback_host(callback)
        if self._pending[host] >= PENDING_PER_HOST or self._pending.total() >= PENDING_MAX:
            return PlainTextResponse(
                f"hub.callback: {self._pending[host]} verifications of {host} (and "
                f"{self._pending.total()} in all) are waiting on their callbacks; "
                "try again later\n",
                status_code=429,
                headers={"Retry-After": str(RETRY_AFTER)},
            )
        if reason := await refusal(callback, self.settings.websub.allow_private_callbacks):
            return _bad(reason)
        if mode == "subscribe" and (
            full := await asyncio.to_thread(self._full, topic, callback, host)
        ):
            return PlainTextResponse(
                full, status_code=429, headers={"Retry-After": str(RETRY_AFTER * 60)}
            )
        secret = form.get("hub.secret", "")
        if len(secret.encode()) >= MAX_SECRET:
            return _bad(f"hub.secret: must be shorter than {MAX_SECRET} bytes")
        lease = self._lease(form.get("hub.lease_seconds"))
        if lease is None:
            return _bad("hub.lease_seconds: must be a positive whole number")
        self._pending[host] += 1
        self.context.start(self._verify(mode, topic, callback, secret, lease, host))
        return PlainTextResponse("accepted; the callback will be asked to confirm\n", 202)

    def _full(self, topic: str, callback: str, host: str) -> str | None:
        """Why a new subscription to `topic` is refused (its caps), or None. In a thread:
        the topic's subscriptions are read, and up to 10,000 callbacks taken apart."""
        held = self.subscriptions.callbacks(topic, datetime.now(UTC))
        if callback in held:
            return None  # a renewal
        if len(held) >= PER_TOPIC:
            return f"hub.topic: {topic} has {len(held):,} subscribers, the most it takes\n"
        if sum(callback_host(other) == host for other in held) >= PER_TOPIC_HOST:
            return f"hub.callback: {host} has {PER_TOPIC_HOST} subscriptions to {topic}\n"
        return None

    def _lease(self, asked: str | None) -> int | None:
        websub = self.settings.websub
        if not asked:
            return websub.lease_seconds
        try:
            seconds = int(asked)
        except ValueError:
            return None
        return min(max(seconds, 60), websub.max_lease_seconds) if seconds > 0 else None

    async def _verify(
        self, mode: str, topic: str, callback: str, secret: str, lease: int, host: str
    ) -> None:
        try:
            await self._verified(mode, topic, callback, secret, lease)
        finally:
            self._pending[host] -= 1
            if not self._pending[host]:
                del self._pending[host]

    async def _verified(
        self, mode: str, topic: str, callback: str, secret: str, lease: int
    ) -> None:
        """Verification of intent (WebSub 5.3): the callback must echo the challenge."""
        challenge = secrets.token_urlsafe(24)
        query = {"hub.mode": mode, "hub.topic": topic, "hub.challenge": challenge}
        if mode == "subscribe":
            query["hub.lease_seconds"] = str(lease)
        url = callback + ("&" if "?" in callback else "?") + urlencode(query)
        try:
            response = await self.clients.verifications.get(url)
        except httpx.HTTPError as exc:
            log.warning("websub: %s of %s not verified: %s", mode, callback, exc)
            return
        if not response.is_success or response.text != challenge:
            log.warning(
                "websub: %s of %s not confirmed (HTTP %d)", mode, callback, response.status_code
            )
            return
        if mode == "subscribe":
            expires = datetime.now(UTC) + timedelta(seconds=lease)
            await asyncio.to_thread(self.subscriptions.subscribe, topic, callback, secret, expires)
        else:
            await asyncio.to_thread(self.subscriptions.unsubscribe, topic, callback)
        log.info("websub: %s %s to %s for %d s", mode + "d", callback, topic, lease)


def _bad(reason: str) -> Response:
    return PlainTextResponse(reason + "\n", status_code=400)

"""Calls to other servers that may fail: tried again after delay, 2 x delay, 4 x delay..."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

import httpx

log = logging.getLogger(__name__)


async def with_retries(
    call: Callable[[], Awaitable[httpx.Response]], retries: int, delay: float, what: str
) -> httpx.Response | None:
    """The first 2xx answer, or None once every attempt failed (the last answer is logged).
    A 410 Gone is returned at once: trying again won't change it."""
    for attempt in range(retries + 1):
        try:
            response = await call()
            if response.is_success or response.status_code == 410:
                return response
            reason = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if attempt < retries:
            await asyncio.sleep(delay * 2**attempt)
    log.warning("%s failed after %d attempts: %s", what, retries + 1, reason)
    return None

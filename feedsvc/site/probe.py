"""Podcast apps want an episode's length in bytes (and like its duration); audio found
in an article's body states neither. With `site.media_probe` on, each such file is
asked once: a 64 KB range request, bounded in time and count, through the same
address checks as the hub's callbacks (no private address unless "any"). What it
learns is kept in the state and put in the article's media; a file not learned yet is
tried again at a later build (the article is read again then), up to TRIES times.
"""

import asyncio
import logging
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

import httpx

from feedsvc.content.audio import HEAD_BYTES, duration
from feedsvc.core.model import Media, SourceArticle
from feedsvc.core.podcast import APPLE_AUDIO_TYPES
from feedsvc.state.mediafacts import Facts, MediaFacts
from feedsvc.store import Scan
from feedsvc.websub.callbacks import PRIVATE, PinnedTransport

log = logging.getLogger(__name__)

PER_BUILD = 16  # files asked at most in one build
AT_ONCE = 4
TIMEOUT = 3.0  # seconds for one file, all told
BUILD_BUDGET = 3.0  # seconds of asking in one build: news waits no longer (the rest: next build)
TRIES = 3
AGAIN_AFTER = timedelta(hours=6)
_RANGE_TOTAL = re.compile(r"^bytes \d+-\d+/(\d{1,15})$")


def unknown(media: Iterable[Media]) -> list[str]:
    """Addresses of audio podcast apps play whose length is not stated."""
    return [m.url for m in media if m.type in APPLE_AUDIO_TYPES and m.length is None]


Answer = tuple[int | None, int | None]  # (length, duration)


async def _ask(client: httpx.AsyncClient, url: str) -> Answer:
    """(length, duration) of the file at `url`, from a range request for its head."""
    headers = {"Range": f"bytes=0-{HEAD_BYTES - 1}", "Accept-Encoding": "identity"}
    async with client.stream("GET", url, headers=headers) as response:
        if response.status_code == 206:
            total = _RANGE_TOTAL.match(response.headers.get("Content-Range", ""))
            length = int(total.group(1)) if total else None
        elif response.status_code == 200:
            stated = response.headers.get("Content-Length", "")
            length = int(stated) if stated.isascii() and stated.isdigit() else None
        else:
            return None, None
        head = b""
        async for chunk in response.aiter_raw():
            head += chunk
            if len(head) >= HEAD_BYTES:
                break
    return length, duration(head[:HEAD_BYTES], length)


async def _ask_all(urls: list[str], allow_private: bool) -> dict[str, Answer | None]:
    """Each file's answer, or None when asking failed; those on an address not to be
    asked are left out (not a try: the setting may allow them later)."""
    transport = PinnedTransport(allow_private)
    limit = asyncio.Semaphore(AT_ONCE)
    found: dict[str, Answer | None] = {}

    async def one(client: httpx.AsyncClient, url: str) -> None:
        async with limit:
            try:
                found[url] = await asyncio.wait_for(_ask(client, url), TIMEOUT)
            except (httpx.HTTPError, TimeoutError, ValueError) as exc:
                log.warning("%s: length not learned: %s", url, exc or type(exc).__name__)
                if PRIVATE not in str(exc):
                    found[url] = None

    async with httpx.AsyncClient(transport=transport, timeout=TIMEOUT) as client:
        tasks = [asyncio.create_task(one(client, url)) for url in urls]
        await asyncio.wait(tasks, timeout=BUILD_BUDGET)
        for task in tasks:
            task.cancel()
    return found


def learn(scan: Scan, facts: MediaFacts, mode: str, now: datetime) -> Scan:
    """The scan's articles with what is known of their audio put in; unknown files
    asked (mode "public" or "any") within this build's bounds, and the sources of
    articles whose audio may still be learned read again next build."""
    wanted = {url for source in scan.changed for a in source.articles for url in unknown(a.media)}
    if not wanted:
        return scan
    known = facts.of(wanted)
    due = [
        url
        for url in sorted(wanted)
        if _open(had := known.get(url)) and (had is None or now - had.tried >= AGAIN_AFTER)
    ]
    if mode != "off" and due:
        asked = due[:PER_BUILD]
        answers = asyncio.run(_ask_all(asked, allow_private=mode == "any"))
        learned = {}
        for url, answer in answers.items():
            length, seconds = answer or (None, None)
            tries = (known[url].tries if url in known else 0) + 1
            learned[url] = Facts(length, seconds, now, tries)
        facts.keep(learned)
        known |= learned
    for source in scan.changed:
        source.articles = [_with_facts(article, known) for article in source.articles]
        if mode != "off" and any(
            _open(known.get(url)) for article in source.articles for url in unknown(article.media)
        ):
            source.signature = None  # read again next build, to ask again
    return scan


def _open(had: Facts | None) -> bool:
    """Whether a file's length may still be learned: never asked, or not answered yet
    and tried fewer than TRIES times."""
    return had is None or (had.length is None and had.tries < TRIES)


def _with_facts(article: SourceArticle, known: dict[str, Facts]) -> SourceArticle:
    media = tuple(
        replace(m, length=had.length, duration=m.duration or had.duration)
        if m.length is None and (had := known.get(m.url)) is not None and had.length is not None
        else m
        for m in article.media
    )
    return article if media == article.media else replace(article, media=media)

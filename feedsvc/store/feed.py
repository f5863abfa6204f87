"""The feed store: the items of an existing RSS or Atom feed, their ids and dates kept.

Made for moving a site's feeds to feedsvc without every subscriber's reader
showing old items as new, and for partner feeds. It polls with conditional
GET, follows redirects, and never forgets an item because the source feed
stopped listing it (feeds only list their newest items).
"""

from dataclasses import replace
from datetime import UTC, datetime
from time import struct_time
from typing import Any

import feedparser
import httpx

from feedsvc.content import markup
from feedsvc.core.model import FeedSource, Problem, digest
from feedsvc.core.text import one_line
from feedsvc.store import Memory, Progress, RecordError, Scan, no_progress
from feedsvc.store.record import COUNTS, DURATION, SiteContext, build

USER_AGENT = "feedsvc (feed store; +https://github.com/feedsvc/feedsvc)"
MAX_BYTES = 32 * 1024 * 1024  # of a source feed: read as it comes, and no further


class TooLarge(Exception):
    pass


def _fetch(url: str, headers: dict[str, str], timeout: float) -> tuple[httpx.Response, bytes]:
    """The answer and its body, read a chunk at a time up to MAX_BYTES."""
    with httpx.stream(
        "GET", url, headers=headers, timeout=timeout, follow_redirects=True
    ) as response:
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > MAX_BYTES:
                raise TooLarge(f"the feed is over {MAX_BYTES:,} bytes; not read")
        return response, bytes(body)


def _when(parsed: struct_time | None) -> datetime | None:
    return None if parsed is None else datetime(*parsed[:6], tzinfo=UTC)


def _enclosure(enclosure: dict[str, Any]) -> dict[str, Any]:
    """url, type and length (when it is a number) of an enclosure."""
    length = str(enclosure.get("length") or "")
    return {
        "url": enclosure["href"],
        "type": enclosure["type"],
        # ASCII digits only ("²" is a digit to str.isdigit, not to int), and no more
        # than a byte count needs.
        "length": int(length)
        if length.isascii() and length.isdigit() and len(length) <= 13
        else None,
    }


def _image(entry: dict[str, Any]) -> dict[str, Any] | None:
    for enclosure in entry.get("enclosures", []):
        if enclosure.get("type", "").startswith("image/") and enclosure.get("href"):
            return _enclosure(enclosure)
    for media in (*entry.get("media_content", []), *entry.get("media_thumbnail", [])):
        if media.get("url") and media.get("medium", "image") == "image":
            return {"url": media["url"]}
    return None


def _media(entry: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Audio and video enclosures; the episode's itunes:duration goes with the first."""
    found = []
    for enclosure in entry.get("enclosures", []):
        kind = enclosure.get("type", "").partition("/")[0]
        if kind in ("audio", "video") and enclosure.get("href"):
            found.append(_enclosure(enclosure))
    duration = str(entry.get("itunes_duration") or "")
    if found and DURATION.fullmatch(duration):
        found[0]["duration"] = duration
    return found[: COUNTS["media"]] or None


def entry_fields(entry: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Article fields and body HTML from a feedparser entry."""
    guid = entry.get("id") or entry.get("link")
    if not guid:
        raise RecordError("item has neither an id/guid nor a link")
    body = entry["content"][0]["value"] if entry.get("content") else entry.get("summary", "")
    summary = entry.get("summary") if entry.get("content") else None
    authors = [a["name"] for a in entry.get("authors", []) if a.get("name")]
    fields = {
        "id": guid,
        "title": entry.get("title"),
        "summary": markup.first_paragraph_text(summary) if summary else None,
        "author": authors or None,
        "categories": [t["term"] for t in entry.get("tags", []) if t.get("term")] or None,
        "url": entry.get("link"),
        "published": _when(entry.get("published_parsed")),
        "updated": _when(dict.get(entry, "updated_parsed")),  # no fallback to published
        "image": _image(entry),
        "media": _media(entry),
    }
    return fields, body


class FeedStore:
    def __init__(
        self, name: str, url: str, site: SiteContext, *, timeout: float, max_failures: int
    ) -> None:
        self.name = name
        self.url = url
        self.site = site
        self.timeout = timeout
        self.max_failures = max_failures

    def scan(self, memory: Memory, progress: Progress = no_progress) -> Scan:
        # Items the source no longer lists are still ours: every known one stays present.
        scan = Scan(self.name, present=set(memory.signatures), notes=dict(memory.notes))
        headers = {"User-Agent": USER_AGENT}
        if etag := memory.notes.get("etag"):
            headers["If-None-Match"] = etag
        if modified := memory.notes.get("last_modified"):
            headers["If-Modified-Since"] = modified
        try:
            response, body = _fetch(self.url, headers, self.timeout)
        except httpx.HTTPError as exc:
            return self._failed(scan, f"cannot fetch: {exc.__class__.__name__}: {exc}")
        except TooLarge as exc:
            return self._failed(scan, str(exc))
        if any(r.status_code in (301, 308) for r in response.history):
            scan.warnings.append(
                Problem(
                    self.url,
                    f"moved permanently to {response.url}; update the store's url",
                    warning=True,
                )
            )
        if response.status_code == 304:
            scan.notes["failures"] = "0"
            return scan
        if response.status_code == 410:
            scan.warnings.append(
                Problem(self.url, "the feed is gone (410 Gone); its items stay as they were")
            )
            return scan
        if response.status_code != 200:
            return self._failed(scan, f"HTTP {response.status_code} {response.reason_phrase}")
        parsed = feedparser.parse(
            body,
            response_headers={
                "content-location": str(response.url),
                "content-type": response.headers.get("content-type", "application/xml"),
            },
        )
        if parsed.bozo and not parsed.entries:
            return self._failed(scan, f"not a feed: {parsed.bozo_exception}")
        scan.notes = {
            "etag": response.headers.get("etag", ""),
            "last_modified": response.headers.get("last-modified", ""),
            "failures": "0",
        }
        # Wire copy keeps its origin: the feed's title and address go with every item.
        origin = FeedSource(one_line(parsed.feed.get("title") or "")[:500] or self.name, self.url)
        for number, entry in enumerate(parsed.entries, start=1):
            progress(number - 1, len(parsed.entries))
            self._read_entry(scan, memory, number, entry, origin)
        progress(len(parsed.entries), len(parsed.entries))
        return scan

    def _read_entry(
        self, scan: Scan, memory: Memory, number: int, entry: dict[str, Any], source: FeedSource
    ) -> None:
        origin = f"{self.url} item {number}"
        try:
            fields, body = entry_fields(entry)
        except RecordError as exc:
            scan.warnings.append(Problem(origin, exc.reason))
            return
        key = str(fields["id"])
        signature = digest(sorted((k, str(v)) for k, v in entry.items()), source)
        scan.add_record(
            memory,
            key,
            signature,
            origin,
            lambda: replace(
                build(
                    fields, store=self.name, key=key, origin=origin, site=self.site, body_html=body
                ),
                source_feed=source,
            ),
        )

    def _failed(self, scan: Scan, reason: str) -> Scan:
        """A failed fetch: a warning at first, an error after max_failures in a row."""
        failures = int(scan.notes.get("failures", "0") or 0) + 1
        scan.notes["failures"] = str(failures)
        serious = failures >= self.max_failures
        scan.warnings.append(
            Problem(self.url, f"{reason} ({failures} failed fetches in a row)", warning=not serious)
        )
        return scan

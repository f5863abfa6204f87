"""The published layout every layer shares: a built file, which files are served, as
which media types, and the Link header a feed carries (WebSub discovery)."""

import gzip
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import brotli

# Each feed format's media type (feeds/formats/ has the rest of each), as links name it.
FEED_MEDIA_TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}
INDEX_PAGE, OPML_FILE = "index.html", "feeds.opml"  # what a build writes beside feeds/
SITE_PAGES = (INDEX_PAGE, OPML_FILE)
CONTENT_TYPES = {  # what each published file is served as, by extension
    "rss": FEED_MEDIA_TYPES["rss"] + "; charset=utf-8",
    "atom": FEED_MEDIA_TYPES["atom"] + "; charset=utf-8",
    "json": FEED_MEDIA_TYPES["json"],  # JSON is UTF-8 by definition (RFC 8259)
    "html": "text/html; charset=utf-8",
    "opml": "text/x-opml; charset=utf-8",
}


def content_type(relative: str) -> str | None:
    """The type a published file is served as, or None for one that is not served."""
    parts = relative.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") or "\0" in part for part in parts):
        return None  # no climbing out, no lock, marker or temp files
    return CONTENT_TYPES.get(parts[-1].rpartition(".")[2])


def published_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(path below root, file) of every file under the publish folder that is served."""
    for folder, _dirs, names in os.walk(root):
        for name in names:
            file = Path(folder, name)
            relative = file.relative_to(root).as_posix()
            if content_type(relative) is not None:
                yield relative, file


# Browser-based readers fetch feeds from their own origin, conditionally: every published
# file may be read from any origin, its validators and Link header readable.
CORS = (
    ("access-control-allow-origin", "*"),
    ("access-control-expose-headers", "ETag, Last-Modified, Link"),
)
# The answer to a preflight: If-None-Match and If-Modified-Since are not headers a
# browser sends cross-origin without asking first.
PREFLIGHT = (
    *CORS,
    ("access-control-allow-methods", "GET, HEAD, OPTIONS"),
    ("access-control-allow-headers", "If-None-Match, If-Modified-Since, Cache-Control"),
    ("access-control-max-age", "86400"),
)


def is_feed_document(relative: str) -> bool:
    return relative.rpartition(".")[2] in FEED_MEDIA_TYPES


def conventions(relative: str, robots: str) -> list[tuple[str, str]]:
    """The headers every copy of a published file carries, wherever it is served: CORS,
    and X-Robots-Tag on feed documents (search results are for the HTML pages)."""
    headers = list(CORS)
    if robots and is_feed_document(relative):
        headers.append(("x-robots-tag", robots))
    return headers


def link_header(hubs: Iterable[str], self_url: str) -> str:
    """WebSub discovery (WebSub 4): the hubs, and the URL the body is the content of."""
    return ", ".join([*(f'<{hub}>; rel="hub"' for hub in hubs), f'<{self_url}>; rel="self"'])


@dataclass(frozen=True)
class OutputFile:
    """One built file: its path below the publish root and its bytes."""

    path: str
    body: bytes
    # Compressed copies made ahead (by a render process, in parallel), else made on demand.
    gz: bytes | None = field(default=None, repr=False, compare=False)
    br: bytes | None = field(default=None, repr=False, compare=False)

    def with_copies(self, *, brotli: bool) -> "OutputFile":
        return replace(self, gz=self.gzipped(), br=self.brotli() if brotli else None)

    def gzipped(self) -> bytes:
        if self.gz is not None:
            return self.gz
        # mtime=0: the same body always gives the same .gz bytes. Level 6: level 9 takes
        # three times as long (27 ms for a 1 MB archive page) for about 1% less.
        return gzip.compress(self.body, compresslevel=6, mtime=0)

    def brotli(self) -> bytes:
        if self.br is not None:
            return self.br
        # Quality 9: within a few percent of 11 at a tenth of the time.
        return brotli.compress(self.body, quality=9)

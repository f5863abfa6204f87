"""Published feeds, held ready in memory and answered with the right validators."""

import gzip
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from feedsvc.web.conditional import accepts_gzip, not_modified

CACHE_BYTES = 64 * 2**20  # bodies and their gzip, held ready to serve

CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json",  # JSON is UTF-8 by definition (RFC 8259)
    "html": "text/html; charset=utf-8",
    "opml": "text/x-opml; charset=utf-8",
}


def content_type(relative: str) -> str | None:
    """The type a published file is served as, or None for one that is not served."""
    parts = relative.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return None  # no climbing out, no lock or temp files
    return CONTENT_TYPES.get(parts[-1].rpartition(".")[2])


@dataclass(frozen=True)
class Ready:
    """One feed's bytes, compressed once, with its validators."""

    body: bytes
    gzipped: bytes
    etag: str
    gzip_etag: str  # a strong ETag names one representation, so the gzip one differs
    mtime: int
    content_type: str

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped)

    @classmethod
    def of(cls, body: bytes, mtime: float, content_type: str) -> "Ready":
        digest = hashlib.sha256(body).hexdigest()[:32]
        return cls(
            body=body,
            gzipped=gzip.compress(body, compresslevel=6, mtime=0),
            etag=f'"{digest}"',
            gzip_etag=f'"{digest}-gzip"',
            mtime=int(mtime),
            content_type=content_type,
        )


class FeedCache:
    """Published files read from the publish folder, reloaded when a build replaces one.

    Bounded: a crawler walking every archive page must not hold them all in memory,
    so the least recently served files go first once `max_bytes` is held.
    """

    def __init__(self, root: Path, max_bytes: int = CACHE_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self._ready: OrderedDict[Path, tuple[tuple[int, int, int], Ready]] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def get(self, relative: str) -> Ready | None:
        """The published file, or None when it is not there or not servable."""
        kind = content_type(relative)
        if kind is None:
            return None
        path = self.root / relative
        try:
            stat = path.stat()
            key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            with self._lock:
                cached = self._ready.get(path)
                if cached and cached[0] == key:
                    self._ready.move_to_end(path)
                    return cached[1]
            ready = Ready.of(path.read_bytes(), stat.st_mtime, kind)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        with self._lock:
            self._forget(path)
            self._ready[path] = (key, ready)
            self._held += ready.size
            while self._held > self.max_bytes and len(self._ready) > 1:
                self._forget(next(iter(self._ready)))
        return ready

    @property
    def held_bytes(self) -> int:
        return self._held

    def _forget(self, path: Path) -> None:
        if (old := self._ready.pop(path, None)) is not None:
            self._held -= old[1].size


def respond(request: Request, ready: Ready, max_age: int) -> Response:
    use_gzip = accepts_gzip(request.headers.get("accept-encoding", ""))
    headers = {
        "ETag": ready.gzip_etag if use_gzip else ready.etag,
        "Last-Modified": formatdate(ready.mtime, usegmt=True),
        "Cache-Control": f"max-age={max_age}",
        "Vary": "Accept-Encoding",
    }
    if not_modified(
        request.headers.get("if-none-match"),
        request.headers.get("if-modified-since"),
        (ready.etag, ready.gzip_etag),
        ready.mtime,
    ):
        return Response(status_code=304, headers=headers)
    if use_gzip:
        headers["Content-Encoding"] = "gzip"
    return Response(
        ready.gzipped if use_gzip else ready.body,
        headers=headers,
        media_type=ready.content_type,
    )

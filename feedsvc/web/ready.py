"""Published files held ready in memory: every encoding and every header made once per change.

A request for a feed then costs a dictionary lookup and a header comparison. The
bytes come from the publish folder (the body, and the .gz/.br copies the build
wrote beside it), so every worker process serves the same bytes and ETag. A worker
rereads what changed when the build's generation marker changes
(`ReadyFiles.refresh`), which requests look at every MARKER_LOOKS seconds at most:
what a build in any process published (a takedown from the command line) is served
to every request that starts once its publish returned.
"""

import gzip
import hashlib
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

import brotli

from feedsvc.core.layout import CONTENT_TYPES, content_type, conventions, link_header
from feedsvc.feeds.specs import feed_key, is_feed, is_topic, public_url
from feedsvc.publish.local import GENERATION_FILE, GONE_FILE, MARKER_LOOKS, cache_control
from feedsvc.web.conditional import etag_matches

Headers = list[tuple[bytes, bytes]]


def encoded(headers: Iterable[tuple[str, str]]) -> Headers:
    return [(name.encode(), value.encode()) for name, value in headers]


def header_block(headers: Headers) -> bytes:
    """Header lines as they go on the wire, for a server that writes them itself."""
    return b"".join(name + b": " + value + b"\r\n" for name, value in headers)


@dataclass(frozen=True)
class Variant:
    """One representation (identity, gzip or br): its bytes and both answers' headers."""

    body: bytes
    etag: bytes
    full: Headers  # a 200
    not_modified: Headers  # a 304: the same validators, no body headers
    full_block: bytes  # the same two, joined
    not_modified_block: bytes


@dataclass(frozen=True)
class Ready:
    plain: Variant
    gzip: Variant
    brotli: Variant | None
    tags: frozenset[bytes]  # every representation's ETag: If-None-Match may name any
    mtime: int
    signature: tuple[int, int, int]  # (inode, mtime_ns, size) of the file it was read from

    @property
    def size(self) -> int:
        return sum(len(v.body) for v in (self.plain, self.gzip, self.brotli) if v)

    def matches(self, if_none_match: bytes) -> bool:
        if if_none_match in self.tags:
            return True  # the usual case: a poller sends back the one tag it was given
        return etag_matches(if_none_match.decode("latin-1"), (t.decode() for t in self.tags))


@dataclass(frozen=True)
class Serving:
    """What every response of one site says besides the file itself."""

    base_url: str
    hubs: tuple[str, ...]
    max_age: int
    brotli: bool
    archive_max_age: int = 86400  # complete archive pages
    robots: str = "noindex"  # X-Robots-Tag of feed documents


def _decoded_copy(path: Path, body: bytes, decode: Callable[[bytes], bytes]) -> bytes | None:
    """The compressed copy the build wrote beside the file, if it still matches the body
    (a build may have replaced one but not yet the other)."""
    try:
        packed = path.read_bytes()
        return packed if decode(packed) == body else None
    except (OSError, gzip.BadGzipFile, brotli.error, EOFError):
        return None


def load(root: Path, relative: str, kind: str, serving: Serving) -> Ready | None:
    path = root / relative
    try:
        stat = path.stat()
        body = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, ValueError):
        return None
    gzipped = _decoded_copy(path.with_name(path.name + ".gz"), body, gzip.decompress)
    if gzipped is None:
        gzipped = gzip.compress(body, compresslevel=6, mtime=0)
    packed = None
    if serving.brotli:
        packed = _decoded_copy(path.with_name(path.name + ".br"), body, brotli.decompress)
        if packed is None:
            packed = brotli.compress(body, quality=5)
    digest = hashlib.sha256(body).hexdigest()[:32]
    # A 304 carries what a cache must update (RFC 9110 15.4.5): the ETag, Cache-Control, Vary.
    caching: Headers = [
        (
            b"cache-control",
            cache_control(root, relative, serving.max_age, serving.archive_max_age).encode(),
        ),
        (b"vary", b"Accept-Encoding"),
        *encoded(conventions(relative, serving.robots)),
    ]
    described: Headers = [
        (b"last-modified", formatdate(int(stat.st_mtime), usegmt=True).encode()),
        (b"content-type", kind.encode()),
    ]
    if is_feed(relative):
        # A hub only for a feed that is announced: an archive page never is.
        hubs = serving.hubs if is_topic(relative) else ()
        links = link_header(hubs, public_url(serving.base_url, relative))
        described.append((b"link", links.encode()))

    def variant(data: bytes, tag: str, encoding: bytes | None) -> Variant:
        etag = f'"{tag}"'.encode()
        validators = [(b"etag", etag), *caching]
        full = [*validators, *described]
        if encoding:
            full.append((b"content-encoding", encoding))
        full.append((b"content-length", str(len(data)).encode()))
        return Variant(data, etag, full, validators, header_block(full), header_block(validators))

    plain = variant(body, digest, None)
    zipped = variant(gzipped, digest + "-gzip", b"gzip")
    br = None if packed is None else variant(packed, digest + "-br", b"br")
    tags = frozenset(v.etag for v in (plain, zipped, br) if v)
    return Ready(plain, zipped, br, tags, int(stat.st_mtime), _signature_of(stat))


def _gone(root: Path) -> frozenset[str]:
    try:
        return frozenset((root / GONE_FILE).read_text(encoding="utf-8").split("\n")) - {""}
    except (OSError, UnicodeDecodeError):
        return frozenset()


def _signature_of(stat: os.stat_result) -> tuple[int, int, int]:
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def signature(path: Path) -> tuple[int, int, int] | None:
    try:
        return _signature_of(path.stat())
    except (FileNotFoundError, NotADirectoryError):
        return None


class ReadyFiles:
    """The published files a process serves, bounded: least recently served go first.

    Used from the event loop's thread only, so it needs no lock.
    """

    def __init__(self, root: Path, serving: Serving, max_bytes: int) -> None:
        self.root = root
        self.serving = serving
        self.max_bytes = max_bytes
        self._ready: OrderedDict[str, Ready] = OrderedDict()
        self._held = 0
        self._looked = time.monotonic()  # before the look: a publish after it is seen
        self._generation = signature(root / GENERATION_FILE)
        self._gone = _gone(root)

    def gone(self, relative: str) -> bool:
        """Whether the file was a feed's that is gone for good (410, not 404)."""
        return bool(self._gone) and feed_key(relative) in self._gone

    @property
    def held_bytes(self) -> int:
        return self._held

    def get(self, relative: str) -> Ready | None:
        ready = self._ready.get(relative)
        if ready is not None:
            self._ready.move_to_end(relative)
            return ready
        kind = content_type(relative)
        if kind is None:
            return None
        ready = load(self.root, relative, kind, self.serving)
        if ready is not None:
            self._keep(relative, ready)
        return ready

    def refresh(self) -> None:
        """Reread every held file a build replaced since the last look (dropping those
        gone), if any build published since. Looked at every MARKER_LOOKS s at most."""
        now_looking = time.monotonic()
        if now_looking - self._looked < MARKER_LOOKS:
            return
        self._looked = now_looking
        now = signature(self.root / GENERATION_FILE)
        if now == self._generation:
            return
        self._generation = now
        self._gone = _gone(self.root)
        for relative, ready in list(self._ready.items()):
            if signature(self.root / relative) == ready.signature:
                continue
            self._forget(relative)
            kind = CONTENT_TYPES[relative.rpartition(".")[2]]
            if (fresh := load(self.root, relative, kind, self.serving)) is not None:
                self._keep(relative, fresh)

    def _keep(self, relative: str, ready: Ready) -> None:
        self._forget(relative)
        self._ready[relative] = ready
        self._held += ready.size
        while self._held > self.max_bytes and len(self._ready) > 1:
            self._forget(next(iter(self._ready)))

    def _forget(self, relative: str) -> None:
        if (old := self._ready.pop(relative, None)) is not None:
            self._held -= old.size

"""The one test every URL feedsvc publishes passes, from a record's field or an
article's markup: absolute http(s), and read alike by browsers (the WHATWG URL
standard) and by Python's parser, which readers written in Python use."""

import re
from urllib.parse import urljoin, urlsplit

_HTTP = re.compile(r"^https?://[^/\s]+", re.IGNORECASE)
# Browsers and Python's parser read these apart: a backslash is a slash to a browser
# (https://example.org\@evil.com is example.org's to it, evil.com's to Python), spaces
# and controls are dropped or escaped by one and not the other.
_READ_APART = re.compile(r"[\\\s\x00-\x1f\x7f]")


class UnsafeURL(ValueError):
    """Why a URL is not published (the message names what is wrong)."""


def http_url(url: str, base: str = "") -> str:
    """`url` made absolute against `base`, if it is an http(s) URL every parser takes
    apart alike (a bracket or a port out of range makes Python's, and readers', raise)."""
    if _READ_APART.search(url):
        raise UnsafeURL(f"no backslash, space or control character in a URL, got {url[:100]!r}")
    try:
        url = urljoin(base, url) if base else url
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port out of range raises only when asked for)
    except ValueError as exc:
        raise UnsafeURL(f"not a valid URL ({exc}): {url[:100]!r}") from None
    if not _HTTP.match(url) or not parts.hostname:
        raise UnsafeURL(f"must be an absolute http(s) URL, got {url[:100]!r}")
    if "@" in parts.netloc:
        raise UnsafeURL(f"no user name or password in a URL, got {url[:100]!r}")
    return url

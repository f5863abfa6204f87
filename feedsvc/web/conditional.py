"""HTTP caching rules readers rely on: validators, 304s, gzip negotiation (RFC 9110)."""

from collections.abc import Iterable
from email.utils import parsedate_to_datetime


def accepts(accept_encoding: str, coding: str) -> bool:
    """Whether Accept-Encoding admits `coding` ("gzip" also matches x-gzip; "*" all)."""
    names = {coding, "x-gzip"} if coding == "gzip" else {coding}
    wildcard = None
    for part in accept_encoding.split(","):
        name, _, params = part.strip().partition(";")
        name = name.strip().lower()
        q = params.strip().lower()
        allowed = not (q.startswith("q=") and _qvalue(q[2:]) == 0)
        if name in names:
            return allowed
        if name == "*":
            wildcard = allowed
    return bool(wildcard)


def _qvalue(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 1.0


def etag_matches(if_none_match: str, etags: Iterable[str]) -> bool:
    """Weak comparison, as If-None-Match requires: W/ prefixes are ignored."""
    if if_none_match.strip() == "*":
        return True
    wanted = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return any(tag in wanted for tag in etags)


def unmodified_since(if_modified_since: str, mtime: int) -> bool:
    """If-Modified-Since, which counts only when If-None-Match is absent (RFC 9110 13.2.2)."""
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    return since.tzinfo is not None and mtime <= since.timestamp()

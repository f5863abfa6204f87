"""Request bodies read a chunk at a time and given up at a limit, never buffered whole."""

import logging

from starlette.requests import ClientDisconnect, Request

log = logging.getLogger(__name__)


class TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body: over {limit:,} bytes")


async def read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when the client went away before sending it all.

    Raises TooLarge as soon as the declared length or the bytes received pass the
    limit: at most `limit` bytes (plus one chunk) are ever held.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(limit)
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise TooLarge(limit)
            chunks.append(chunk)
    except ClientDisconnect:
        log.info("%s %s: the client went away before sending its body", request.method,
                 request.url.path)  # fmt: skip
        return None
    return b"".join(chunks)
